/**
 * Umbrella apps that depend on each other: `front` uses its sibling `store`
 * (named in its rebar.config deps or its .app.src applications). Its package
 * requires store's (`~>` + store's version); `--app all` publishes store first;
 * publishing front alone while store is missing from the target repository is
 * refused before anything is uploaded, naming store and the command to publish
 * it. Against the `local` repository and the in-process fake hex.pm.
 */
import { strict as assert } from "node:assert";
import { formatError } from "../../src/ui/format_error.ts";
import { join } from "node:path";
import { HexpubError, ValidationError } from "../../src/errors.ts";
import { build } from "../../src/tasks/build.ts";
import { publish, type PublishInput } from "../../src/tasks/publish.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { metadataToJson } from "../../src/tarball/metadata_config.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { makeProject } from "../support/project.ts";
import { writeGlobalRepos } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";

/** An umbrella: `front` uses `store` (through its rebar.config, or its applications). */
async function umbrella(
  options: { via?: "deps" | "applications"; storeVsn?: string; storePkg?: string } = {},
) {
  const via = options.via ?? "applications";
  const pkg = options.storePkg ? `{pkg_name, ${options.storePkg}}, ` : "";
  const lic = `{licenses, ["MIT"]}, {description, "An umbrella app"}`;
  return await makeProject({
    "rebar.config": "{erl_opts, [debug_info]}.\n",
    "rebar.lock": "[].\n",
    "apps/store/src/store.app.src": `{application, store, [{vsn, "${
      options.storeVsn ?? "0.1.0"
    }"}, ${pkg}${lic},\n  {applications, [kernel, stdlib]}]}.\n`,
    "apps/store/src/store.erl": "-module(store).\n",
    "apps/front/rebar.config": via === "deps" ? "{deps, [store]}.\n" : "{deps, []}.\n",
    "apps/front/src/front.app.src":
      `{application, front, [{vsn, "1.0.0"}, ${lic},\n  {applications, [${
        via === "applications" ? "kernel, stdlib, store" : "kernel, stdlib"
      }]}]}.\n`,
    "apps/front/src/front.erl": "-module(front).\n",
  });
}

async function isolated(cwd: string, env: Record<string, string> = {}) {
  const home = await Deno.makeTempDir({ prefix: "hexpub-home-" });
  const local = join(home, "local-repo");
  const deps = testDeps(cwd, {
    env: {
      HOME: home,
      HEXPUB_CONFIG_DIR: join(home, "config"),
      REBAR_GLOBAL_CONFIG_DIR: home,
      HEXPUB_LOCAL_REPO: local,
      HEX_API_KEY: "",
      HEX_API_URL: "",
      HEX_MIRROR_URL: "",
      HEX_MIRROR: "",
      HEX_CDN: "",
      HEX_UNSAFE_REGISTRY: "",
      ...env,
    },
  });
  return { deps, local, home };
}

const base: PublishInput = { target: "package", yes: true, replace: false, dryRun: false };

async function requirementsOf(path: string) {
  const m = metadataToJson((await unpackPackage(await Deno.readFile(path))).metadata);
  return m.requirements;
}

for (const via of ["deps", "applications"] as const) {
  Deno.test(`build: an umbrella app requires the sibling named in its ${via} (~> + its version, pkg_name)`, async () => {
    const cwd = await umbrella({ via, storePkg: "acme_store", storeVsn: "0.3.2" });
    const { deps } = await isolated(cwd);
    const r = await build(deps, {
      target: "package",
      app: "front",
      unpack: false,
      repo: "hexpm",
      strict: true, // no warning: a sibling in rebar.config is not "missing from rebar.lock"
      output: join(cwd, "front.tar"),
    });
    assert.deepEqual(r.package!.requirements, [{ name: "acme_store", requirement: "~>0.3.2" }]);
    assert.deepEqual(await requirementsOf(join(cwd, "front.tar")), {
      acme_store: { app: "store", optional: false, requirement: "~>0.3.2" },
    });
  });
}

Deno.test("build -r hexpm:ORG: the sibling requirement names the organization as its repository", async () => {
  const cwd = await umbrella();
  const { deps } = await isolated(cwd);
  await build(deps, {
    target: "package",
    app: "front",
    unpack: false,
    repo: "hexpm:acme",
    strict: false,
    output: join(cwd, "front.tar"),
  });
  assert.deepEqual(await requirementsOf(join(cwd, "front.tar")), {
    store: { app: "store", optional: false, repository: "acme", requirement: "~>0.1.0" },
  });
});

Deno.test("publish -r local: front alone is refused while store is missing; --app all publishes store first", async () => {
  const cwd = await umbrella();
  const { deps, local } = await isolated(cwd);

  const refused = await publish(deps, { ...base, app: "front", repo: "local" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(refused instanceof ValidationError, `got ${refused}`);
  assert.equal(refused.exitCode, 1);
  const [p] = refused.problems;
  assert.equal(p.field, "requirements.store");
  assert.match(p.message, /front 1\.0\.0 requires its sibling app "store" \(store ~>0\.1\.0\)/);
  assert.match(p.message, /repository "local" has no package "store"/);
  assert.match(p.hint!, /`hexpub publish --app store -r local`/);
  assert.equal(await Deno.stat(join(local, "tarballs")).catch(() => undefined), undefined);

  // The dry run reports it the same way, and fails.
  const dry = await isolated(cwd);
  const e = await publish(dry.deps, { ...base, app: "front", repo: "local", dryRun: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(e instanceof HexpubError && /would be refused by local/.test(e.message), `got ${e}`);
  assert.match(formatError(e).text, /error: .*sibling app "store"[\s\S]*--app store -r local/);

  // --app all: dry run first (store is published earlier in the same run), then for real.
  const plan = await publish(deps, { ...base, app: "all", repo: "local", dryRun: true });
  assert.deepEqual(plan.published.map((x) => x.name), ["store", "front"]);
  const all = await publish(deps, { ...base, app: "all", repo: "local" });
  assert.deepEqual(all.published.map((x) => `${x.name} ${x.version} ${x.verified}`), [
    "store 0.1.0 true",
    "front 1.0.0 true",
  ]);
  assert.deepEqual(await requirementsOf(join(local, "tarballs", "front-1.0.0.tar")), {
    store: { app: "store", optional: false, requirement: "~>0.1.0" },
  });
});

Deno.test("publish -r local: front alone works once store is there, and is refused when store's version moved on", async () => {
  const cwd = await umbrella({ via: "deps" });
  const { deps, local } = await isolated(cwd);
  await publish(deps, { ...base, app: "store", repo: "local" });
  const ok = await publish(deps, { ...base, app: "front", repo: "local" });
  assert.equal(ok.published[0].verified, true);

  // store is now 0.2.0 in the umbrella, but only 0.1.0 is published: front 1.0.1 needs ~>0.2.0.
  const moved = await umbrella({ via: "deps", storeVsn: "0.2.0" });
  const again = testDeps(moved, { env: { ...deps.env } });
  const e = await publish(again, { ...base, app: "front", repo: "local", version: "1.0.1" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(e instanceof ValidationError, `got ${e}`);
  assert.match(
    e.problems[0].message,
    /\(store ~>0\.2\.0\), but repository "local" has only 0\.1\.0/,
  );
  assert.equal(
    await Deno.stat(join(local, "tarballs", "front-1.0.1.tar")).catch(() => undefined),
    undefined,
  );
});

/** Ports talking to the in-process fake hex.pm, whose registry key the user trusts. */
async function withFake(cwd: string) {
  const fake = new FakeHex();
  fake.addUser({ username: "pat" });
  const key = fake.addKey({ owner: "pat" });
  const { deps, home } = await isolated(cwd, {
    HEX_API_KEY: key.secret,
    HEX_API_URL: "http://fake.test/api",
  });
  await writeGlobalRepos(home, [{
    name: "hexpm",
    repo_url: "http://fake.test/repo",
    repo_public_key: (await fake.registryKeys()).publicKeyPem,
  }]);
  deps.fetch = fake.handler;
  return { fake, deps };
}

Deno.test("publish to hex.pm: front alone is refused before any upload while store is missing; --app all works", async () => {
  const cwd = await umbrella();
  const { fake, deps } = await withFake(cwd);
  const e = await publish(deps, { ...base, app: "front" }).then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof ValidationError, `got ${e}`);
  assert.match(e.problems[0].hint!, /`hexpub publish --app store -r hexpm`/);
  assert.deepEqual(fake.requestsTo("POST", "/publish"), [], "nothing was uploaded");

  const all = await publish(deps, { ...base, app: "all" });
  assert.deepEqual(all.published.map((x) => `${x.name} ${x.verified}`), [
    "store true",
    "front true",
  ]);
  assert.ok(fake.release("front", "1.0.0"));
  fake.verify();
});

Deno.test("publish --dry-run to hex.pm when its registry cannot be read: the sibling is listed as not checked", async () => {
  const cwd = await umbrella();
  const { deps } = await isolated(cwd);
  deps.fetch = () => Promise.reject(new TypeError("offline (test)"));
  const r = await publish(deps, { ...base, app: "front", dryRun: true });
  assert.ok(
    r.published[0].skippedChecks!.some((s) => /sibling app "store" \(package store\)/.test(s)),
    r.published[0].skippedChecks!.join("\n"),
  );
});
