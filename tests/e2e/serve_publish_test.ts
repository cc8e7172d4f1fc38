/** `hexpub publish` into a repository served by `hexpub serve`, then read back signed. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { denoFs } from "../../src/deno_deps.ts";
import { readPackage } from "../../src/registry/registry_files.ts";
import { initRepository } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { configDirOf, makeHome, runHexpub } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("hexpub publish -r NAME into hexpub serve; the signed registry lists the release", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "team"), "team");
  const secret = await generateServeKey(deps, repo.dir, "ci");
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
        repos: [{ name: "team", api_url: `${url}/api`, repo_url: url, api_key: secret }],
      }),
    );
    const cwd = await makeProject({
      "rebar.config": "{deps, []}.\n",
      "rebar.lock": "[].\n",
      "src/thing.app.src":
        `{application, thing, [{description, "A thing"}, {vsn, "1.0.0"}, {licenses, ["MIT"]}]}.\n`,
      "src/thing.erl": "-module(thing).\n",
    });
    const r = await runHexpub(["publish", "package", "-r", "team", "--yes"], { cwd, home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Published thing 1\.0\.0/);
    assert.match(r.stdout, /verified on the server/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(secret));
    const pkg = await readPackage(
      await denoFs(work).readFile(join(repo.dir, "packages", "thing")),
      repo.publicKeyPem,
      {
        repository: "team",
        name: "thing",
        verify: true,
      },
    );
    assert.deepEqual(pkg.releases.map((x) => x.version), ["1.0.0"]);
  } finally {
    await server.shutdown();
  }
});
