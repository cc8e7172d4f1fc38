/**
 * The real CLI managing packages in a repository served by `hexpub serve` on
 * 127.0.0.1 (`retire`, `retire --unretire`, `owner add|list|remove` with
 * `-r NAME`), a second key that is not an owner being refused, a package with
 * no owners (copied in and `repo build`) refused until `hexpub serve owner
 * add` on the server, and the built-in `local` repository (`retire -r local`,
 * `publish --revert -r local`).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readPackage, readVersions } from "../../src/registry/registry_files.ts";
import { initRepository } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { configDirOf, makeHome, runHexpub } from "../support/e2e.ts";
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

Deno.test("hexpub retire and owner against hexpub serve: an owner may, another key may not", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "team"), "team");
  const alice = await generateServeKey(deps, repo.dir, "alice");
  const bob = await generateServeKey(deps, repo.dir, "bob");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    repositoryHandler(deps, repo),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const home = await makeHome();
    await Deno.mkdir(configDirOf(home), { recursive: true });
    await Deno.writeTextFile(
      join(configDirOf(home), "config.json"),
      JSON.stringify({
        repos: [{ name: "team", api_url: `${url}/api`, repo_url: url, api_key: alice }],
      }),
    );
    const cwd = await makeProject(project("thing", "1.0.0"));
    const hexpub = (args: string[], env: Record<string, string> = {}) =>
      runHexpub(args, { cwd, home, env });
    // HEX_API_KEY goes to a repository other than hex.pm only with HEX_API_URL naming its API.
    const asBob = { HEX_API_KEY: bob, HEX_API_URL: `${url}/api` };
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
  } finally {
    await server.shutdown();
  }
});

Deno.test("a copied-in package has no owners: writes are refused naming `hexpub serve owner add`, which fixes it", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "team"), "team");
  const alice = await generateServeKey(deps, repo.dir, "alice");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    repositoryHandler(deps, repo),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const home = await makeHome();
    const cwd = await makeProject(project("thing", "1.0.0"));
    // The tarball comes from another repository (here `local`), copied in and rebuilt.
    let r = await runHexpub(["publish", "-r", "local", "--yes"], { cwd, home });
    assert.equal(r.code, 0, r.stderr);
    await Deno.copyFile(
      join(home, ".local", "share", "hexpub", "local", "tarballs", "thing-1.0.0.tar"),
      join(repo.dir, "tarballs", "thing-1.0.0.tar"),
    );
    r = await runHexpub(["repo", "build", repo.dir], { cwd, home });
    assert.equal(r.code, 0, r.stderr);

    await Deno.mkdir(configDirOf(home), { recursive: true });
    await Deno.writeTextFile(
      join(configDirOf(home), "config.json"),
      JSON.stringify({
        repos: [{ name: "team", api_url: `${url}/api`, repo_url: url, api_key: alice }],
      }),
    );
    const retire = ["retire", "thing", "1.0.0", "security", "-m", "CVE-2026-9", "-r", "team"];
    r = await runHexpub(retire, { cwd, home });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /403 account not authorized for this action/);
    assert.match(
      r.stderr,
      /package thing has no owners: on the server, run `hexpub serve owner add DIR thing alice`/,
    );
    r = await runHexpub(["publish", "package", "-r", "team", "--yes", "--replace"], { cwd, home });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /hexpub serve owner add DIR thing alice/);

    // On the server: who owns it, then give it to alice.
    r = await runHexpub(["serve", "owner", "list", repo.dir, "thing"], { cwd, home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /package thing has no owners/);
    r = await runHexpub(["serve", "owner", "add", repo.dir, "thing", "zed"], { cwd, home });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /zed is not a user of the repository/);
    assert.match(r.stderr, /hexpub serve key generate .* --key-name zed/);
    r = await runHexpub(["serve", "owner", "add", repo.dir, "thing", "alice"], { cwd, home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Added alice as full owner of package thing/);
    r = await runHexpub(["serve", "owner", "list", repo.dir, "thing"], { cwd, home });
    assert.match(r.stdout, /alice\s+full/);

    r = await runHexpub(retire, { cwd, home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /thing 1\.0\.0 has been retired/);
    r = await runHexpub(["owner", "list", "thing", "-r", "team", "--json"], { cwd, home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).map((o: { username: string; level: string }) => [o.username, o.level]),
      [["alice", "full"]],
    );
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(alice));
  } finally {
    await server.shutdown();
  }
});

Deno.test("the local repository: retire and unretire with -r local; owner is refused", async () => {
  const home = await makeHome();
  const dir = join(home, ".local", "share", "hexpub", "local");
  const cwd = await makeProject(project("solo", "1.0.0"));
  let r = await runHexpub(["publish", "-r", "local", "--yes", "--doc-dir", "doc"], { cwd, home });
  assert.equal(r.code, 0, r.stderr);

  r = await runHexpub(["retire", "solo", "1.0.0", "deprecated", "-m", "use solo2", "-r", "local"], {
    cwd,
    home,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /solo 1\.0\.0 has been retired/);
  const key = await Deno.readTextFile(join(dir, "public_key"));
  const read = async () =>
    await readPackage(await Deno.readFile(join(dir, "packages", "solo")), key, {
      repository: "local",
      name: "solo",
      verify: true,
    });
  assert.deepEqual((await read()).releases[0].retired, { reason: 3, message: "use solo2" });

  r = await runHexpub(["retire", "solo", "1.0.0", "--unretire", "-r", "local"], { cwd, home });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await read()).releases[0].retired, undefined);

  r = await runHexpub(["retire", "solo", "2.0.0", "other", "-m", "nope", "-r", "local"], {
    cwd,
    home,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /solo 2\.0\.0 is not in the local repository/);
  assert.match(r.stderr, /It has solo 1\.0\.0/);

  r = await runHexpub(["owner", "list", "solo", "-r", "local"], { cwd, home });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the local repository has no owners/);
});
