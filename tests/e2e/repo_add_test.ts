/** `hexpub repo add|list|remove` against a repository served on 127.0.0.1. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { publicKeyFingerprint } from "../../src/registry/fingerprint.ts";
import { generateRepoKeys } from "../../src/registry/signing.ts";
import { initRepository } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { configDirOf, makeHome, runHexpub } from "../support/e2e.ts";
import { testDeps } from "../support/test_deps.ts";

async function withServedRepo(
  fn: (url: string, publicKeyPem: string, work: string) => Promise<void>,
): Promise<void> {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "team"), "team");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    repositoryHandler(deps, repo),
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, repo.publicKeyPem, work);
  } finally {
    await server.shutdown();
    await Deno.remove(work, { recursive: true });
  }
}

const readConfig = async (home: string) =>
  JSON.parse(await Deno.readTextFile(join(configDirOf(home), "config.json")));

Deno.test("repo add with the right fingerprint stores the key (0600) and repo list shows it", async () => {
  await withServedRepo(async (url, pem, work) => {
    const home = await makeHome();
    const fp = await publicKeyFingerprint(pem);
    const r = await runHexpub(["repo", "add", "team", url, "--fetch-public-key", fp], {
      cwd: work,
      home,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Added repository team/);
    assert.match(r.stdout, new RegExp(`api: ${url}/api`));
    const config = await readConfig(home);
    assert.deepEqual(config.repos.map((x: { name: string }) => x.name), ["team"]);
    assert.equal(config.repos[0].repo_url, url);
    assert.equal(config.repos[0].api_url, `${url}/api`);
    assert.equal(await publicKeyFingerprint(config.repos[0].repo_public_key), fp);
    const mode = (await Deno.stat(join(configDirOf(home), "config.json"))).mode! & 0o777;
    assert.equal(mode, 0o600);

    const list = await runHexpub(["repo", "list", "--json"], { cwd: work, home });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), [
      { name: "team", repoUrl: url, apiUrl: `${url}/api`, fingerprint: fp, source: "config.json" },
    ]);

    // Adding again updates the entry in place and keeps hand-set fields…
    const config2 = await readConfig(home);
    config2.repos[0].api_key = "kept-by-hand";
    await Deno.writeTextFile(join(configDirOf(home), "config.json"), JSON.stringify(config2));
    const again = await runHexpub(["repo", "add", "team", url, "--yes"], { cwd: work, home });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Updated repository team/);
    assert.match(again.stderr, /trusted as fetched/);
    assert.equal((await readConfig(home)).repos[0].api_key, "kept-by-hand");
    // …but not when the repository moves: a key never follows the name to another place.
    const moved = await runHexpub(["repo", "add", "team", url, "--no-api", "--yes"], {
      cwd: work,
      home,
    });
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, /settings were dropped: api_key/);
    const after = await readConfig(home);
    assert.equal(after.repos.length, 1);
    assert.equal(after.repos[0].api_key, undefined);
    assert.equal(after.repos[0].api_url, undefined);
    assert.doesNotMatch(again.stdout + again.stderr + moved.stdout + moved.stderr, /kept-by-hand/);

    const rm = await runHexpub(["repo", "remove", "team"], { cwd: work, home });
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual((await readConfig(home)).repos, []);
    const rm2 = await runHexpub(["repo", "remove", "team"], { cwd: work, home });
    assert.equal(rm2.code, 2);
    assert.match(rm2.stderr, /no repository named "team"/);
  });
});

Deno.test("repo add refuses a fetched key with another fingerprint and writes nothing", async () => {
  await withServedRepo(async (url, _pem, work) => {
    const home = await makeHome();
    const other = await publicKeyFingerprint((await generateRepoKeys()).publicKeyPem);
    const r = await runHexpub(["repo", "add", "team", url, "--fetch-public-key", other], {
      cwd: work,
      home,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has fingerprint SHA256:\S+, not SHA256:/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    assert.equal(await Deno.stat(join(configDirOf(home), "config.json")).catch(() => null), null);
  });
});

Deno.test("repo add without a terminal never waits: it names the flags", async () => {
  await withServedRepo(async (url, _pem, work) => {
    const home = await makeHome();
    const r = await runHexpub(["repo", "add", "team", url], { cwd: work, home });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs confirming and there is no terminal/);
    assert.match(r.stderr, /--fetch-public-key FINGERPRINT/);
    assert.equal(await Deno.stat(join(configDirOf(home), "config.json")).catch(() => null), null);
  });
});

Deno.test("repo add --public-key reads a PEM file and refuses a file that is not a key", async () => {
  await withServedRepo(async (url, pem, work) => {
    const home = await makeHome();
    await Deno.writeTextFile(join(work, "key.pem"), pem);
    await Deno.writeTextFile(join(work, "junk.pem"), "hello\n");
    const bad = await runHexpub(["repo", "add", "team", url, "--public-key", "junk.pem"], {
      cwd: work,
      home,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--public-key: junk\.pem does not hold an RSA public key/);
    const ok = await runHexpub(["repo", "add", "team", url, "--public-key", "key.pem"], {
      cwd: work,
      home,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await readConfig(home)).repos[0].repo_public_key, pem);
  });
});

Deno.test("repo add refuses the built-in names and bad URLs", async () => {
  const work = await Deno.makeTempDir();
  for (
    const [args, pattern] of [
      [["hexpm", "http://127.0.0.1:1"], /"hexpm" is built in/],
      [["local", "http://127.0.0.1:1"], /"local" is built in/],
      [["a/b", "http://127.0.0.1:1"], /invalid repository name "a\/b"/],
      [["team", "ftp://127.0.0.1"], /invalid repository URL "ftp:\/\/127\.0\.0\.1"/],
    ] as const
  ) {
    const r = await runHexpub(["repo", "add", ...args, "--yes"], { cwd: work });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
