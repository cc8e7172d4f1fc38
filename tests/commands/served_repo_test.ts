/**
 * The CLI in process against a repository served by `hexpub serve` on
 * 127.0.0.1 (`withServedRepo`), from an empty environment: `publish -r NAME`
 * read back signed, `retire`, `retire --unretire`, `owner add|list|remove`
 * with a second key that is not an owner being refused, and a package with no
 * owners (copied in and `repo build`) refused until `hexpub serve owner add`.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readPackage, readVersions } from "../../src/registry/registry_files.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { withServedRepo } from "../support/http.ts";
import { inProcessHexpub } from "../support/in_process.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";

const project = (name: string, version: string) => ({
  "rebar.config": "{deps, []}.\n",
  "rebar.lock": "[].\n",
  [`src/${name}.app.src`]:
    `{application, ${name}, [{description, "A ${name}"}, {vsn, "${version}"}, {licenses, ["MIT"]}]}.\n`,
  [`src/${name}.erl`]: `-module(${name}).\n`,
  "doc/index.html": `<p>${name}</p>`,
});

Deno.test("hexpub publish -r NAME into hexpub serve; the signed registry lists the release", async () => {
  await withServedRepo(async (repo) => {
    const user = await inProcessHexpub();
    const env = await repo.env(user.home);
    const cwd = await makeProject({
      "rebar.config": "{deps, []}.\n",
      "rebar.lock": "[].\n",
      "src/thing.app.src":
        `{application, thing, [{description, "A thing"}, {vsn, "1.0.0"}, {licenses, ["MIT"]}]}.\n`,
      "src/thing.erl": "-module(thing).\n",
    });
    const r = await user.run(["publish", "package", "-r", "team", "--yes"], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Published thing 1\.0\.0/);
    assert.match(r.stdout, /verified on the server/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(repo.key));
    const pkg = await readPackage(
      await Deno.readFile(join(repo.dir, "packages", "thing")),
      repo.publicKeyPem,
      { repository: "team", name: "thing", verify: true },
    );
    assert.deepEqual(pkg.releases.map((x) => x.version), ["1.0.0"]);
  }, { keyName: "ci" });
});

Deno.test("hexpub retire and owner against hexpub serve: an owner may, another key may not", async () => {
  await withServedRepo(async (repo) => {
    const alice = repo.key;
    const bob = await generateServeKey(testDeps(repo.work), repo.dir, "bob");
    const user = await inProcessHexpub();
    const env = await repo.env(user.home);
    const cwd = await makeProject(project("thing", "1.0.0"));
    const hexpub = (args: string[], more: Record<string, string> = {}) =>
      user.run(args, { cwd, env: { ...env, ...more } });
    // HEX_API_KEY goes to a repository other than hex.pm only with HEX_API_URL naming its API.
    const asBob = { HEX_API_KEY: bob, HEX_API_URL: repo.apiUrl };
    const registry = async () => {
      const opts = { repository: "team", verify: true };
      return {
        pkg: await readPackage(
          await Deno.readFile(join(repo.dir, "packages", "thing")),
          repo.publicKeyPem,
          { ...opts, name: "thing" },
        ),
        versions: await readVersions(
          await Deno.readFile(join(repo.dir, "versions")),
          repo.publicKeyPem,
          opts,
        ),
      };
    };

    let r = await hexpub(["publish", "package", "-r", "team", "--yes"]);
    assert.equal(r.code, 0, r.stderr);

    r = await hexpub(["retire", "thing", "1.0.0", "security", "-m", "CVE-2026-7", "-r", "team"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /thing 1\.0\.0 has been retired/);
    let reg = await registry();
    assert.deepEqual(reg.pkg.releases[0].retired, { reason: 2, message: "CVE-2026-7" });
    assert.deepEqual(reg.versions.packages[0].retired, [0]);

    r = await hexpub(["owner", "add", "thing", "bob", "--level", "maintainer", "-r", "team"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Added bob as maintainer owner of package thing/);
    r = await hexpub(["owner", "list", "thing", "-r", "team", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).map((o: { username: string; level: string }) => [o.username, o.level]),
      [["alice", "full"], ["bob", "maintainer"]],
    );
    r = await hexpub(["owner", "add", "thing", "zed", "-r", "team"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /404/);

    // bob, a maintainer, may unretire; as a non-owner afterwards, he may not retire.
    r = await hexpub(["retire", "thing", "1.0.0", "--unretire", "-r", "team"], asBob);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /thing 1\.0\.0 has been unretired/);
    reg = await registry();
    assert.equal(reg.pkg.releases[0].retired, undefined);
    assert.deepEqual(reg.versions.packages[0].retired, []);

    r = await hexpub(["owner", "remove", "thing", "bob", "-r", "team"]);
    assert.equal(r.code, 0, r.stderr);
    r = await hexpub(["owner", "list", "thing", "-r", "team"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /alice/);
    assert.doesNotMatch(r.stdout, /bob/);

    r = await hexpub(
      ["retire", "thing", "1.0.0", "invalid", "-m", "not mine", "-r", "team"],
      asBob,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /403/);
    assert.match(r.stderr, /account not authorized for this action/);
    r = await hexpub(["owner", "add", "thing", "bob", "-r", "team"], asBob);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /account not authorized for this action/);
    reg = await registry();
    assert.equal(reg.pkg.releases[0].retired, undefined, "the refused retire changed nothing");
    for (const out of [r.stdout, r.stderr]) {
      assert.doesNotMatch(out, new RegExp(`${alice}|${bob}`));
    }
  }, { keyName: "alice" });
});

Deno.test("a copied-in package has no owners: writes are refused naming `hexpub serve owner add`, which fixes it", async () => {
  await withServedRepo(async (repo) => {
    const alice = repo.key;
    const user = await inProcessHexpub();
    const cwd = await makeProject(project("thing", "1.0.0"));
    const hexpub = (args: string[], env: Record<string, string> = {}) =>
      user.run(args, { cwd, env });
    // The tarball comes from another repository (here `local`), copied in and rebuilt.
    let r = await hexpub(["publish", "-r", "local", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    await Deno.copyFile(
      join(user.home, ".local", "share", "hexpub", "local", "tarballs", "thing-1.0.0.tar"),
      join(repo.dir, "tarballs", "thing-1.0.0.tar"),
    );
    r = await hexpub(["repo", "build", repo.dir]);
    assert.equal(r.code, 0, r.stderr);

    const env = await repo.env(user.home);
    const retire = ["retire", "thing", "1.0.0", "security", "-m", "CVE-2026-9", "-r", "team"];
    r = await hexpub(retire, env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /403 account not authorized for this action/);
    assert.match(
      r.stderr,
      /package thing has no owners: on the server, run `hexpub serve owner add DIR thing alice`/,
    );
    r = await hexpub(["publish", "package", "-r", "team", "--yes", "--replace"], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /hexpub serve owner add DIR thing alice/);

    // On the server: who owns it, then give it to alice.
    r = await hexpub(["serve", "owner", "list", repo.dir, "thing"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /package thing has no owners/);
    r = await hexpub(["serve", "owner", "add", repo.dir, "thing", "zed"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /zed is not a user of the repository/);
    assert.match(r.stderr, /hexpub serve key generate .* --key-name zed/);
    r = await hexpub(["serve", "owner", "add", repo.dir, "thing", "alice"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Added alice as full owner of package thing/);
    r = await hexpub(["serve", "owner", "list", repo.dir, "thing"]);
    assert.match(r.stdout, /alice\s+full/);

    r = await hexpub(retire, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /thing 1\.0\.0 has been retired/);
    r = await hexpub(["owner", "list", "thing", "-r", "team", "--json"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).map((o: { username: string; level: string }) => [o.username, o.level]),
      [["alice", "full"]],
    );
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(alice));
  }, { keyName: "alice" });
});

Deno.test("publish --dry-run with no key at hand still reads a served repository anonymously: an already published version is an error", async () => {
  await withServedRepo(async (repo) => {
    const user = await inProcessHexpub();
    const env = await repo.env(user.home);
    const cwd = await makeProject(project("dup", "1.0.0"));
    const first = await user.run(["publish", "package", "-r", "team", "--yes"], { cwd, env });
    assert.equal(first.code, 0, first.stderr);
    // The key is gone (as after `user deauth`, or on a machine that only checks).
    const { api_key: _key, ...withoutKey } = repo.configEntry();
    await Deno.writeTextFile(
      join(env.HEXPUB_CONFIG_DIR, "config.json"),
      JSON.stringify({ repos: [withoutKey] }),
    );
    const dry = await user.run(["publish", "package", "-r", "team", "--dry-run", "--json"], {
      cwd,
      env,
    });
    assert.equal(dry.code, 1, dry.stdout + dry.stderr);
    // The error document carries the findings, not only stderr.
    const doc = JSON.parse(dry.stdout);
    assert.equal(doc.exitCode, 1);
    assert.deepEqual(doc.problems.map((p: { message: string }) => p.message), [
      "dup 1.0.0 is already published",
    ]);
    assert.doesNotMatch(dry.stderr, /offline\?/);
    // On a terminal, the finding is shown once, under the error.
    const text = await user.run(["publish", "package", "-r", "team", "--dry-run"], { cwd, env });
    assert.equal(text.code, 1);
    assert.equal(text.stderr.match(/is already published/g)?.length, 1, text.stderr);
  });
});
