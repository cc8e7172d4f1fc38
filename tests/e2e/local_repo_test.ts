/** The built-in `local` repository: `hexpub publish -r local --yes` with no setup at all. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readNames, readPackage } from "../../src/registry/registry_files.ts";
import { generateRepoKeys } from "../../src/registry/signing.ts";
import { makeHome, runHexpub } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";

const app = (version: string) => ({
  "rebar.config": "{deps, []}.\n",
  "rebar.lock": "[].\n",
  "src/solo.app.src":
    `{application, solo, [{description, "Solo"}, {vsn, "${version}"}, {licenses, ["MIT"]}]}.\n`,
  "src/solo.erl": "-module(solo).\n",
  "doc/index.html": "<p>solo</p>",
});

Deno.test("publish -r local works on a fresh machine: tarball, docs and a signed registry, no server, no login", async () => {
  const home = await makeHome();
  const dir = join(home, ".local", "share", "hexpub", "local");
  const cwd = await makeProject(app("1.0.0"));
  const r = await runHexpub(["publish", "-r", "local", "--yes", "--doc-dir", "doc"], { cwd, home });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Published solo 1\.0\.0/);
  assert.match(r.stdout, /verified/);
  const publicKey = await Deno.readTextFile(join(dir, "public_key"));
  const names = await readNames(await Deno.readFile(join(dir, "names")), publicKey, {
    repository: "local",
    verify: true,
  });
  assert.deepEqual(names.packages.map((p) => p.name), ["solo"]);
  assert.ok((await Deno.stat(join(dir, "docs", "solo-1.0.0.tar.gz"))).isFile);
  assert.equal((await Deno.stat(`${dir}.private_key.pem`)).mode! & 0o777, 0o600);

  const again = await runHexpub(["publish", "package", "-r", "local", "--yes"], { cwd, home });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already in the local repository[\s\S]*--replace/);
  const dry = await runHexpub(["publish", "package", "-r", "local", "--dry-run"], { cwd, home });
  assert.equal(dry.code, 1);

  const next = await makeProject(app("1.1.0"));
  assert.equal(
    (await runHexpub(["publish", "package", "-r", "local", "--yes"], { cwd: next, home })).code,
    0,
  );
  const pkg = await readPackage(await Deno.readFile(join(dir, "packages", "solo")), publicKey, {
    repository: "local",
    name: "solo",
    verify: true,
  });
  assert.deepEqual(pkg.releases.map((x) => x.version), ["1.0.0", "1.1.0"]);
});

Deno.test("HEX_API_URL does not turn -r local into an upload; HEX_UNSAFE_REGISTRY applies to local", async () => {
  const home = await makeHome();
  const dir = join(home, ".local", "share", "hexpub", "local");
  const cwd = await makeProject(app("2.0.0"));
  // A dead API: if hexpub went there, the publish would fail.
  const env = { HEX_API_URL: "http://127.0.0.1:9/api", HEX_API_KEY: "not-for-local" };
  const r = await runHexpub(["publish", "package", "-r", "local", "--yes"], { cwd, home, env });
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await Deno.stat(join(dir, "tarballs", "solo-2.0.0.tar"))).isFile);
  assert.doesNotMatch(r.stdout + r.stderr, /not-for-local/);

  // Another public key in the directory: the registry no longer verifies…
  await Deno.writeTextFile(join(dir, "public_key"), (await generateRepoKeys()).publicKeyPem);
  const strict = await runHexpub(["info", "solo", "-r", "local"], { cwd, home });
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /refused the registry entry of package "solo"/);
  // …unless the user turns verification off, and is warned.
  const unsafe = await runHexpub(["info", "solo", "-r", "local"], {
    cwd,
    home,
    env: { HEX_UNSAFE_REGISTRY: "1" },
  });
  assert.equal(unsafe.code, 0, unsafe.stderr);
  assert.match(unsafe.stdout, /Latest stable version: 2\.0\.0/);
  assert.match(unsafe.stderr, /HEX_UNSAFE_REGISTRY/);
});

Deno.test("commands that need an API refuse -r local clearly, without sending anything", async () => {
  const home = await makeHome();
  const cwd = await makeProject(app("1.0.0"));
  for (const args of [["search", "solo"], ["user", "whoami"], ["user", "key", "list"]]) {
    const r = await runHexpub([...args, "-r", "local"], { cwd, home });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /does not work on the local repository/);
    assert.match(r.stderr, /hexpub serve/);
    assert.doesNotMatch(r.stderr, /scheme|attempts/);
  }
});
