/**
 * Smoke test of the built-in `local` repository as a process: `hexpub publish
 * -r local --yes` with no setup at all, under the permissions README documents,
 * the private key written 0600. The rest of the use case is tested in process
 * in tests/commands/local_repo_test.ts.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readNames, readPackage } from "../../src/registry/registry_files.ts";
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
