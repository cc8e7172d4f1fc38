/**
 * `hexpub lock` and the lock step of `build`, through the real ports, against
 * a real `hexpub serve` repository on 127.0.0.1 (tests/support/lock_repo.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { ProjectError } from "../../src/errors.ts";
import { build } from "../../src/tasks/build.ts";
import { lock } from "../../src/tasks/lock.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { startLockRepo } from "../support/lock_repo.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { fakeAt, inProcessHexpub } from "../support/in_process.ts";
import { trustHexpmKey } from "../support/registry.ts";

const APP_SRC =
  `{application, tiny, [{description, "Tiny"}, {vsn, "0.1.0"}, {licenses, ["MIT"]}]}.\n`;

/** Ports in `root`, seeing no rebar3 or hexpub configuration but the project's. */
function isolated(root: string, extra: Record<string, string> = {}) {
  const deps = testDeps(root, {
    env: {
      HOME: root,
      REBAR_GLOBAL_CONFIG_DIR: root,
      HEXPUB_CONFIG_DIR: join(root, ".hexpub"),
      ...extra,
    },
  });
  deps.sleep = () => Promise.resolve();
  return deps;
}

Deno.test("build of a project without rebar.lock or deps writes [].\\n and packs it", async () => {
  for (const config of ["{erl_opts, [debug_info]}.\n", "{deps, []}.\n"]) {
    const root = await makeProject({ "rebar.config": config, "src/tiny.app.src": APP_SRC });
    try {
      // HEX_CDN points nowhere: no dependencies means no registry is asked.
      const deps = isolated(root, { HEX_CDN: "http://127.0.0.1:9" });
      const result = await build(deps, {
        target: "package",
        unpack: false,
        repo: "hexpm",
        strict: false,
        output: "out.tar",
      });
      assert.equal(await Deno.readTextFile(join(root, "rebar.lock")), "[].\n");
      const pkg = await unpackPackage(await Deno.readFile(join(root, "out.tar")));
      const packed = pkg.files.find((f) => f.path === "rebar.lock");
      assert.ok(packed, `rebar.lock is packed: ${pkg.files.map((f) => f.path)}`);
      assert.equal(new TextDecoder().decode(packed.data), "[].\n");
      assert.ok(result.package);
      // The task names the file by absolute path (the CLI shows it relative).
      assert.ok(
        deps.stderr.join("\n").includes(
          `No ${join(root, "rebar.lock")}: resolving the dependencies`,
        ),
        deps.stderr.join("\n"),
      );
      // No temporary file is left beside it.
      const names = [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => n !== ".hexpub");
      assert.deepEqual(names.sort(), ["out.tar", "rebar.config", "rebar.lock", "src"]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("hexpub lock resolves from the registry; build then uses the new lock", async () => {
  const work = await Deno.makeTempDir({ prefix: "hexpub-lock-task-" });
  const repo = await startLockRepo(work, [
    { name: "base", version: "1.0.0" },
    { name: "base", version: "1.4.0" },
    { name: "base", version: "2.0.0-rc.1" },
    { name: "mid", version: "0.3.0", deps: [{ pkg: "base", requirement: "~> 1.0" }] },
  ]);
  try {
    const root = join(work, "app");
    await Deno.mkdir(join(root, "src"), { recursive: true });
    await Deno.writeTextFile(join(root, "rebar.config"), `{deps, [mid]}.\n${repo.reposConfig}`);
    await Deno.writeTextFile(join(root, "src", "tiny.app.src"), APP_SRC);
    const deps = isolated(root);

    assert.equal(await runCli(["lock"], deps), 0, deps.stderr.join("\n"));
    const text = await Deno.readTextFile(join(root, "rebar.lock"));
    assert.match(
      text,
      /^\{"1\.2\.0",\n\[\{<<"base">>,\{pkg,<<"base">>,<<"1\.4\.0">>\},1\},\n \{<<"mid">>,\{pkg,<<"mid">>,<<"0\.3\.0">>\},0\}\]\}\.\n\[\n\{pkg_hash,\[\n \{<<"base">>, <<"[0-9A-F]{64}">>\},/,
    );
    assert.match(deps.stdout.join("\n"), /wrote rebar\.lock \(2 packages\)/);
    assert.ok(repo.seen.includes("GET /packages/mid 200"));

    // A lock that exists is left alone; --force resolves again to the same bytes.
    assert.equal((await lock(deps, {})).written, false);
    await Deno.writeTextFile(join(root, "rebar.lock"), "[].\n");
    assert.equal((await lock(deps, { force: true })).written, true);
    assert.equal(await Deno.readTextFile(join(root, "rebar.lock")), text);

    // build without a lock locks first, and the requirement comes from it.
    await Deno.remove(join(root, "rebar.lock"));
    const built = await build(deps, {
      target: "package",
      unpack: true,
      repo: "hexpm",
      strict: false,
      output: "out",
    });
    assert.equal(await Deno.readTextFile(join(root, "rebar.lock")), text);
    assert.equal(await Deno.readTextFile(join(root, "out", "rebar.lock")), text);
    assert.deepEqual(
      built.package?.requirements.map((r) => `${r.name} ${r.requirement}`),
      ["mid ~>0.3.0"],
    );
  } finally {
    await repo.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("hexpub lock refuses git and other source dependencies, naming each", async () => {
  const root = await makeProject({
    "rebar.config": `{deps, [jsx, {meck, {git, "https://example.com/meck.git", {tag, "1"}}},
  {rec, "1.0", {hg, "https://example.com/rec"}}]}.\n`,
    "src/tiny.app.src": APP_SRC,
  });
  try {
    const deps = isolated(root, { HEX_CDN: "http://127.0.0.1:9" });
    await assert.rejects(
      () => lock(deps, {}),
      (e: unknown) =>
        e instanceof ProjectError &&
        /only Hex packages can be dependencies: meck \(git\), rec \(hg\)$/.test(e.message),
    );
    assert.ok(!(await Deno.lstat(join(root, "rebar.lock")).catch(() => undefined)));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("hexpub lock without a reachable registry names the repository and exits 1", async () => {
  const root = await makeProject({
    "rebar.config": `{deps, [{jsx, "~> 3.1"}]}.\n`,
    "src/tiny.app.src": APP_SRC,
  });
  try {
    const deps = isolated(root, { HEX_CDN: "http://127.0.0.1:9" });
    assert.equal(await runCli(["lock"], deps), 1);
    const err = deps.stderr.join("\n");
    assert.match(err, /cannot reach repository "hexpm" \(http:\/\/127\.0\.0\.1:9\)/);
    assert.match(err, /to resolve dependency jsx/);
    assert.match(err, /hint: .*rebar3 lock/);
    assert.ok(!(await Deno.lstat(join(root, "rebar.lock")).catch(() => undefined)));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("hexpub lock, outdated and audit read an organization with the key organization auth stored under HEX_API_URL, as info does", async () => {
  const fake = new FakeHex();
  fake.addUser({ username: "frank", orgs: { acme: "admin" } });
  fake.addOrg({ name: "acme" });
  fake.addRelease({ name: "secret", version: "1.2.0", repository: "acme" });
  const orgKey = fake.addKey({
    owner: { organization: "acme" },
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  const server = fakeAt(fake);
  // hex.pm's stand-in named at run time: its API (HEX_API_URL) and repository (HEX_CDN).
  const hexpub = await inProcessHexpub({
    fakes: [server],
    env: { HEX_API_URL: server.url, HEX_CDN: server.repoUrl, HEXPUB_LOCAL_PASSWORD: "pw" },
  });
  await trustHexpmKey(hexpub.home, (await fake.registryKeys()).publicKeyPem);
  const auth = await hexpub.run(["organization", "auth", "hexpm:acme", "--key", orgKey.secret]);
  assert.equal(auth.code, 0, auth.stderr);
  const root = await makeProject({
    "rebar.config": `{hex, [{repos, [#{name => <<"hexpm:acme">>}]}]}.\n` +
      `{deps, [{secret, "~> 1.0"}]}.\n`,
    "src/tiny.app.src": APP_SRC,
  });
  try {
    const info = await hexpub.run(["info", "secret", "-r", "hexpm:acme"], { cwd: root });
    assert.equal(info.code, 0, info.stderr);
    const locked = await hexpub.run(["lock"], { cwd: root });
    assert.equal(locked.code, 0, locked.stderr);
    const text = await Deno.readTextFile(join(root, "rebar.lock"));
    // rebar3 records no repository in the lock: the version found in hexpm:acme.
    assert.match(text, /\{<<"secret">>,\{pkg,<<"secret">>,<<"1\.2\.0">>\},0\}/);
    for (const args of [["outdated"], ["audit"]]) {
      const r = await hexpub.run(args, { cwd: root });
      assert.equal(r.code, 0, `${args}: ${r.stderr}`);
    }
    // Every read of the organization carried its key; nothing was read without it.
    const reads = fake.requests.filter((r) => r.path.startsWith("/repo/repos/acme/"));
    assert.ok(reads.length >= 4);
    for (const r of reads) assert.equal(r.headers.get("authorization"), orgKey.secret, r.path);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
