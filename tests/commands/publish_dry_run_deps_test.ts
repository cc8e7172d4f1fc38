/**
 * `publish --dry-run` checks each dependency against its repository's signed
 * registry (no credentials): on hex.pm a missing package (looked up in hexpm,
 * as hex.pm does, even for an organization's package) or a requirement
 * nothing matches is an error; for local and custom repositories, which check
 * nothing, a package found in no known repository is a warning; a requirement
 * only retired versions match is a warning, and a registry that cannot be
 * reached is "not checked".
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { configDirOf, makeHome } from "../support/e2e.ts";
import { hexEnv, inProcessHexpub, withFakeHex } from "../support/in_process.ts";
import { makeProject } from "../support/project.ts";
import { trustHexpmKey, writeGlobalRepos } from "../support/registry.ts";
import type { FakeHex } from "../fakes/fake_hex.ts";

/** A project depending on these packages, `name => [requirement, locked version]`. */
function project(deps: Record<string, [string, string]>) {
  const entries = Object.entries(deps);
  return makeProject({
    "rebar.config": `{deps, [${entries.map(([n, [req]]) => `{${n}, "${req}"}`).join(", ")}]}.\n`,
    "rebar.lock": `{"1.2.0", [${
      entries.map(([n, [, v]]) => `{<<"${n}">>,{pkg,<<"${n}">>,<<"${v}">>},0}`).join(",\n ")
    }]}.\n`,
    "src/widget.app.src": `{application, widget, [{description, "A widget"}, {vsn, "0.1.0"},
  {licenses, ["Apache-2.0"]}, {applications, [kernel, stdlib${
      entries.map(([n]) => `, ${n}`).join("")
    }]}]}.\n`,
    "src/widget.erl": "-module(widget).\n",
  });
}

async function trusted(fake: FakeHex) {
  const home = await makeHome();
  await trustHexpmKey(home, (await fake.registryKeys()).publicKeyPem);
  return home;
}

Deno.test("--dry-run reports a dependency that does not exist and one no version matches", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addRelease({ name: "cowlib", version: "2.12.1" });
    fake.addRelease({ name: "ranch", version: "1.8.0" });
    fake.addRelease({ name: "ranch", version: "2.1.0" });
    const home = await trusted(fake);
    const cwd = await project({
      cowlib: ["~> 2.12", "2.12.1"],
      ranch: ["~> 3.0", "2.1.0"],
      ghost: ["~> 1.0", "1.0.0"],
    });
    const r = await hexpub.run(["publish", "package", "--dry-run"], {
      cwd,
      home,
      env: hexEnv(server),
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /dependency "ghost" does not exist in repository "hexpm"/);
    assert.match(
      r.stderr,
      /no version of dependency "ranch" in repository "hexpm" matches "~> 3\.0" \(it has 2\.1\.0, 1\.8\.0\)/,
    );
    assert.doesNotMatch(r.stderr, /cowlib/);
    assert.match(r.stderr, /would be refused by hexpm/);
    // Read from the registry, anonymously; the API's package endpoint is not used for them.
    // Twice: the dependency check, then the audit of rebar.lock (hexpub audit).
    for (const name of ["cowlib", "ranch", "ghost"]) {
      const reads = fake.requestsTo("GET", `/repo/packages/${name}`);
      assert.equal(reads.length, 2, name);
      assert.equal(reads[0].headers.has("authorization"), false);
      assert.equal(fake.requestsTo("GET", `/packages/${name}`).length, 0, name);
    }
    assert.equal(fake.requestsTo("POST", "/publish").length, 0);
  });
});

Deno.test("--dry-run warns when only retired versions match, and passes", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addRelease({
      name: "oldie",
      version: "1.0.0",
      retirement: { reason: "deprecated", message: "Use newie" },
    });
    fake.addRelease({ name: "oldie", version: "2.0.0" });
    const home = await trusted(fake);
    const cwd = await project({ oldie: ["~> 1.0.0", "1.0.0"] });
    const r = await hexpub.run(["publish", "package", "--dry-run"], {
      cwd,
      home,
      env: hexEnv(server),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /every version of dependency "oldie" in repository "hexpm" matching "~> 1\.0\.0" is retired \(1\.0\.0: deprecated "Use newie"\)/,
    );
    assert.match(r.stdout, /Dry run: widget 0\.1\.0 would be published/);
  });
});

Deno.test("--dry-run lists an unreachable registry as not checked, and a refused one as a warning", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addRelease({ name: "cowlib", version: "2.12.1" });
    const home = await trusted(fake);
    const cwd = await project({ cowlib: ["~> 2.12", "2.12.1"] });
    fake.failNext(1, 503, { path: "/repo/packages/cowlib" });
    const down = await hexpub.run(["publish", "package", "--dry-run"], {
      cwd,
      home,
      env: hexEnv(server),
    });
    assert.equal(down.code, 0, down.stderr);
    assert.match(
      down.stdout,
      /not checked \(offline\?\): that dependency "cowlib" exists in repository "hexpm" \(503/,
    );
    // A home that does not trust the fake's key: hex.pm's built-in key refuses the file.
    const untrusting = await hexpub.run(["publish", "package", "--dry-run"], {
      cwd,
      env: hexEnv(server),
    });
    assert.equal(untrusting.code, 0, untrusting.stderr);
    assert.match(
      untrusting.stderr,
      /dependency "cowlib" was not checked: refused the registry entry of package "cowlib"[\s\S]*signature/,
    );
  });
});

Deno.test("--dry-run -r local looks dependencies up as rebar3 does: local, then hexpm, then the others; missing is a warning", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addRelease({ name: "cowlib", version: "2.12.1" });
    const home = await trusted(fake);
    const dir = `${home}/local`;
    // A configured repository nobody answers at: "not checked".
    await Deno.mkdir(configDirOf(home), { recursive: true });
    await Deno.writeTextFile(
      join(configDirOf(home), "config.json"),
      JSON.stringify({
        repos: [{
          name: "team",
          repo_url: "http://127.0.0.1:1",
          repo_public_key: (await fake.registryKeys()).publicKeyPem,
        }],
      }),
    );
    // hexpm's registry at the fake (HEX_API_URL would make `local` an HTTP repository).
    const env = { HEX_MIRROR_URL: server.repoUrl, HEXPUB_LOCAL_REPO: dir };
    const gizmo = await makeProject({
      "rebar.config": "{deps, []}.\n",
      "rebar.lock": "[].\n",
      "src/gizmo.app.src":
        `{application, gizmo, [{description, "G"}, {vsn, "1.0.0"}, {licenses, ["MIT"]}]}.\n`,
      "src/gizmo.erl": "-module(gizmo).\n",
    });
    const cwd = await project({ gizmo: ["~> 1.0", "1.0.0"], cowlib: ["~> 2.12", "2.12.1"] });
    const before = await hexpub.run(["publish", "package", "-r", "local", "--dry-run"], {
      cwd,
      home,
      env,
    });
    // The local repository checks no dependencies: a warning, not a refusal.
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.match(
      before.stderr,
      /warning: [^\n]*dependency "gizmo" was not found in repository "local" or "hexpm" \(the others could not be read\)/,
    );
    assert.match(
      before.stdout,
      /not checked \(offline\?\): that dependency "gizmo" exists in repository "team"/,
    );
    assert.doesNotMatch(before.stderr, /cowlib/, "found on hexpm");
    assert.doesNotMatch(before.stdout, /not checked[^\n]*cowlib/);
    // The dependency check, then the audit of rebar.lock.
    assert.equal(fake.requestsTo("GET", "/repo/packages/cowlib").length, 2);
    const put = await hexpub.run(["publish", "package", "-r", "local", "--yes"], {
      cwd: gizmo,
      home,
      env,
    });
    assert.equal(put.code, 0, put.stderr);
    const after = await hexpub.run(["publish", "package", "-r", "local", "--dry-run"], {
      cwd,
      home,
      env,
    });
    assert.equal(after.code, 0, after.stderr);
    assert.doesNotMatch(after.stderr + after.stdout, /gizmo"/);
    // Found locally: hexpm was asked by the first dependency check, and by each run's audit
    // of rebar.lock (which reads the repositories rebar3 uses: hexpm here), nothing more.
    assert.equal(fake.requestsTo("GET", "/repo/packages/gizmo").length, 3, "found locally");
  });
});

Deno.test("--dry-run -r hexpm:ORG looks dependencies up in hexpm only, and names the organization trap (rebar3_hex#262)", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addOrg({ name: "acme" });
    fake.addRelease({ name: "cowlib", version: "2.12.1" });
    fake.addRelease({ name: "inner", version: "1.0.0", repository: "acme" });
    fake.addRelease({ name: "shared", version: "1.0.0", repository: "acme" });
    fake.addRelease({ name: "shared", version: "1.0.0" });
    const orgKey = fake.addKey({
      owner: { organization: "acme" },
      permissions: [{ domain: "repository", resource: "acme" }],
    });
    const home = await makeHome();
    const { publicKeyPem } = await fake.registryKeys();
    await writeGlobalRepos(home, [
      { name: "hexpm", repo_url: server.repoUrl, repo_public_key: publicKeyPem },
      { name: "hexpm:acme", repo_key: orgKey.secret },
    ]);
    const cwd = await project({
      inner: ["~> 1.0", "1.0.0"],
      cowlib: ["~> 2.12", "2.12.1"],
      shared: ["~> 1.0", "1.0.0"],
    });
    const r = await hexpub.run(["publish", "package", "-r", "hexpm:acme", "--dry-run"], {
      cwd,
      home,
      env: { HEX_API_URL: server.url },
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /dependency "inner" does not exist in repository "hexpm"; it is in "hexpm:acme", but hex\.pm looks/,
    );
    assert.match(r.stderr, /rebar3_hex issue #262/);
    assert.doesNotMatch(r.stderr, /cowlib|shared/);
    assert.match(r.stderr, /would be refused by hexpm:acme/);
    // shared is found on hexpm: the organization is not read for it.
    assert.equal(fake.requestsTo("GET", "/repo/repos/acme/packages/shared").length, 0);
    fake.assertNoSecretIn(r.stdout + r.stderr);
  });
});

Deno.test("--dry-run with checks off warns once, and registry text reaches the terminal without control characters", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addRelease({
      name: "oldie",
      version: "1.0.0",
      retirement: { reason: "deprecated", message: "Use newie\x1b]0;owned\x07\x1b[2J" },
    });
    fake.addRelease({ name: "cowlib", version: "2.12.1" });
    // Not trusted: with checks on, hex.pm's built-in key would refuse these files.
    const cwd = await project({ oldie: ["~> 1.0", "1.0.0"], cowlib: ["~> 2.12", "2.12.1"] });
    const r = await hexpub.run(["publish", "package", "--dry-run"], {
      cwd,
      env: { ...hexEnv(server), HEX_UNSAFE_REGISTRY: "true" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr.match(/registry signatures are not checked \(HEX_UNSAFE_REGISTRY is set\)/g)
        ?.length,
      1,
      r.stderr,
    );
    assert.match(r.stderr, /1\.0\.0: deprecated "Use newie \]0;owned \[2J"/);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r.stderr + r.stdout, /[\x07\x1b]/);
  });
});
