/**
 * `hexpub repo add|list|remove` in process, against a real `hexpub serve`
 * repository on 127.0.0.1 (`withServedRepo`), from an empty environment.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { publicKeyFingerprint } from "../../src/registry/fingerprint.ts";
import { generateRepoKeys } from "../../src/registry/signing.ts";
import { withServedRepo } from "../support/http.ts";
import { inProcessHexpub } from "../support/in_process.ts";

const readConfig = async (configDir: string) =>
  JSON.parse(await Deno.readTextFile(join(configDir, "config.json")));

Deno.test("repo add with the right fingerprint stores the key (0600) and repo list shows it", async () => {
  await withServedRepo(async ({ url, publicKeyPem: pem, work }) => {
    const user = await inProcessHexpub();
    const hexpub = (args: string[]) => user.run(args, { cwd: work });
    const fp = await publicKeyFingerprint(pem);
    const r = await hexpub(["repo", "add", "team", url, "--fetch-public-key", fp]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Added repository team/);
    assert.match(r.stdout, new RegExp(`api: ${url}/api`));
    // The login it suggests keeps the key out of the process list (was `--key KEY`).
    assert.match(r.stdout + r.stderr, /hexpub user auth -r team --key-stdin/);
    assert.doesNotMatch(r.stdout + r.stderr, /--key KEY/);
    const config = await readConfig(user.configDir);
    assert.deepEqual(config.repos.map((x: { name: string }) => x.name), ["team"]);
    assert.equal(config.repos[0].repo_url, url);
    assert.equal(config.repos[0].api_url, `${url}/api`);
    assert.equal(await publicKeyFingerprint(config.repos[0].repo_public_key), fp);
    const mode = (await Deno.stat(join(user.configDir, "config.json"))).mode! & 0o777;
    assert.equal(mode, 0o600);

    const list = await hexpub(["repo", "list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), [
      { name: "team", repoUrl: url, apiUrl: `${url}/api`, fingerprint: fp, source: "config.json" },
    ]);

    // Adding again updates the entry in place and keeps hand-set fields…
    const config2 = await readConfig(user.configDir);
    config2.repos[0].api_key = "kept-by-hand";
    await Deno.writeTextFile(join(user.configDir, "config.json"), JSON.stringify(config2));
    const again = await hexpub(["repo", "add", "team", url, "--yes"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Updated repository team/);
    assert.match(again.stderr, /trusted as fetched/);
    assert.equal((await readConfig(user.configDir)).repos[0].api_key, "kept-by-hand");
    // …but not when the repository moves: a key never follows the name to another place.
    const moved = await hexpub(["repo", "add", "team", url, "--no-api", "--yes"]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, /settings were dropped: api_key/);
    assert.match(moved.stderr, /user auth -r team --key-stdin/);
    const after = await readConfig(user.configDir);
    assert.equal(after.repos.length, 1);
    assert.equal(after.repos[0].api_key, undefined);
    assert.equal(after.repos[0].api_url, undefined);
    assert.doesNotMatch(again.stdout + again.stderr + moved.stdout + moved.stderr, /kept-by-hand/);

    const rm = await hexpub(["repo", "remove", "team"]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual((await readConfig(user.configDir)).repos, []);
    const rm2 = await hexpub(["repo", "remove", "team"]);
    assert.equal(rm2.code, 2);
    assert.match(rm2.stderr, /no repository named "team"/);
  });
});

Deno.test("repo add refuses a fetched key with another fingerprint and writes nothing", async () => {
  await withServedRepo(async ({ url, work }) => {
    const user = await inProcessHexpub();
    const other = await publicKeyFingerprint((await generateRepoKeys()).publicKeyPem);
    const r = await user.run(["repo", "add", "team", url, "--fetch-public-key", other], {
      cwd: work,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has fingerprint SHA256:\S+, not SHA256:/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    assert.equal(await Deno.stat(join(user.configDir, "config.json")).catch(() => null), null);
  });
});

Deno.test("repo add --public-key reads a PEM file and refuses a file that is not a key", async () => {
  await withServedRepo(async ({ url, publicKeyPem: pem, work }) => {
    const user = await inProcessHexpub();
    await Deno.writeTextFile(join(work, "key.pem"), pem);
    await Deno.writeTextFile(join(work, "junk.pem"), "hello\n");
    const bad = await user.run(["repo", "add", "team", url, "--public-key", "junk.pem"], {
      cwd: work,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--public-key: junk\.pem does not hold an RSA public key/);
    const ok = await user.run(["repo", "add", "team", url, "--public-key", "key.pem"], {
      cwd: work,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await readConfig(user.configDir)).repos[0].repo_public_key, pem);
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
    const user = await inProcessHexpub();
    const r = await user.run(["repo", "add", ...args, "--yes"], { cwd: work });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
