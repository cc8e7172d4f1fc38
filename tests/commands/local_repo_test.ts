/**
 * The built-in `local` repository in process, from an empty environment:
 * HEX_API_URL does not turn `-r local` into an upload, HEX_UNSAFE_REGISTRY
 * applies to it, commands that need an API refuse it, and retire/unretire work
 * on it while owner is refused. (Publishing on a fresh machine stays an e2e
 * smoke test: tests/e2e/local_repo_test.ts.)
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readPackage } from "../../src/registry/registry_files.ts";
import { generateRepoKeys } from "../../src/registry/signing.ts";
import { inProcessHexpub, refusingFetch } from "../support/in_process.ts";
import { makeProject } from "../support/project.ts";

const app = (name: string, version: string) => ({
  "rebar.config": "{deps, []}.\n",
  "rebar.lock": "[].\n",
  [`src/${name}.app.src`]:
    `{application, ${name}, [{description, "A ${name}"}, {vsn, "${version}"}, {licenses, ["MIT"]}]}.\n`,
  [`src/${name}.erl`]: `-module(${name}).\n`,
  "doc/index.html": `<p>${name}</p>`,
});

const localDir = (home: string) => join(home, ".local", "share", "hexpub", "local");

Deno.test("HEX_API_URL does not turn -r local into an upload; HEX_UNSAFE_REGISTRY applies to local", async () => {
  const user = await inProcessHexpub();
  const dir = localDir(user.home);
  const cwd = await makeProject(app("solo", "2.0.0"));
  // A dead API: if hexpub went there, the publish would fail (and be recorded).
  const env = { HEX_API_URL: "http://127.0.0.1:9/api", HEX_API_KEY: "not-for-local" };
  const net = refusingFetch();
  const r = await user.run(["publish", "package", "-r", "local", "--yes"], {
    cwd,
    env,
    fetch: net.fetch,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(net.sent, []);
  assert.ok((await Deno.stat(join(dir, "tarballs", "solo-2.0.0.tar"))).isFile);
  assert.doesNotMatch(r.stdout + r.stderr, /not-for-local/);

  // Another public key in the directory: the registry no longer verifies…
  await Deno.writeTextFile(join(dir, "public_key"), (await generateRepoKeys()).publicKeyPem);
  const strict = await user.run(["info", "solo", "-r", "local"], { cwd });
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /refused the registry entry of package "solo"/);
  // …unless the user turns verification off, and is warned.
  const unsafe = await user.run(["info", "solo", "-r", "local"], {
    cwd,
    env: { HEX_UNSAFE_REGISTRY: "1" },
  });
  assert.equal(unsafe.code, 0, unsafe.stderr);
  assert.match(unsafe.stdout, /Latest stable version: 2\.0\.0/);
  assert.match(unsafe.stderr, /HEX_UNSAFE_REGISTRY/);
});

Deno.test("commands that need an API refuse -r local clearly, without sending anything", async () => {
  const user = await inProcessHexpub();
  const cwd = await makeProject(app("solo", "1.0.0"));
  const net = refusingFetch();
  for (const args of [["search", "solo"], ["user", "whoami"], ["user", "key", "list"]]) {
    const r = await user.run([...args, "-r", "local"], { cwd, fetch: net.fetch });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /does not work on the local repository/);
    assert.match(r.stderr, /hexpub serve/);
    assert.doesNotMatch(r.stderr, /scheme|attempts/);
  }
  assert.deepEqual(net.sent, []);
});

Deno.test("the local repository: retire and unretire with -r local; owner is refused", async () => {
  const user = await inProcessHexpub();
  const dir = localDir(user.home);
  const cwd = await makeProject(app("solo", "1.0.0"));
  const hexpub = (args: string[]) => user.run(args, { cwd });
  let r = await hexpub(["publish", "-r", "local", "--yes", "--doc-dir", "doc"]);
  assert.equal(r.code, 0, r.stderr);

  r = await hexpub(["retire", "solo", "1.0.0", "deprecated", "-m", "use solo2", "-r", "local"]);
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

  r = await hexpub(["retire", "solo", "1.0.0", "--unretire", "-r", "local"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await read()).releases[0].retired, undefined);

  r = await hexpub(["retire", "solo", "2.0.0", "other", "-m", "nope", "-r", "local"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /solo 2\.0\.0 is not in the local repository/);
  assert.match(r.stderr, /It has solo 1\.0\.0/);

  r = await hexpub(["owner", "list", "solo", "-r", "local"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the local repository has no owners/);
});
