/**
 * `hexpub fetch --unpack` in process, from the built-in `local` repository,
 * of a package whose symlinks chain out of the output directory (see
 * tests/support/escaping_package.ts): it fails and writes nothing anywhere.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { buildRepository, initRepository } from "../../src/repository/repository_dir.ts";
import { dir, escapingPackage, file, packageOf } from "../support/escaping_package.ts";
import { inProcessHexpub, refusingFetch } from "../support/in_process.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("hexpub fetch --unpack of such a package fails and writes nothing outside -o", async () => {
  const user = await inProcessHexpub();
  const repoDir = join(user.home, "local-repo");
  const deps = testDeps(repoDir);
  const repo = await initRepository(deps, repoDir, "local");
  await Deno.writeFile(join(repoDir, "tarballs", "evil-1.0.0.tar"), await escapingPackage());
  await buildRepository(deps, repo);
  const base = await Deno.makeTempDir();
  const cwd = join(base, "a", "b", "c");
  await Deno.mkdir(cwd, { recursive: true });
  const r = await user.run(["fetch", "evil", "-r", "local", "-o", "out", "--unpack"], {
    cwd,
    env: { HEXPUB_LOCAL_REPO: repoDir },
    // The local repository is read from disk: nothing goes over HTTP.
    fetch: refusingFetch().fetch,
  });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /unsafe entry in tarball: x/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  // Nothing anywhere under the base directory but the empty working directory.
  const found: string[] = [];
  for await (const e of Deno.readDir(base)) found.push(e.name);
  assert.deepEqual(found, ["a"]);
  const left: string[] = [];
  for await (const e of Deno.readDir(cwd)) left.push(e.name);
  assert.deepEqual(left, []);
});

Deno.test("fetch --unpack of a package whose entries collide is a tarball problem (exit 1), not bad usage", async () => {
  const user = await inProcessHexpub();
  const repoDir = join(user.home, "local-repo");
  const deps = testDeps(repoDir);
  const repo = await initRepository(deps, repoDir, "local");
  const app = file("src/evil.app.src", `{application, evil, [{vsn, "1.0.0"}]}.\n`);
  const cases = [
    [[app, file("a", "1"), file("a/b", "2")], /"a" is a file and also the directory of "a\/b"/],
    [[app, dir("a"), file("a", "2")], /"a" is a directory and also a file/],
    [[app, file("a", "1"), file("./a", "2")], /"a" appears twice/],
  ] as const;
  for (const [files, pattern] of cases) {
    await Deno.writeFile(join(repoDir, "tarballs", "evil-1.0.0.tar"), await packageOf([...files]));
    await buildRepository(deps, repo);
    const cwd = await Deno.makeTempDir();
    const r = await user.run(["fetch", "evil", "-r", "local", "-o", "out", "--unpack"], {
      cwd,
      env: { HEXPUB_LOCAL_REPO: repoDir },
      fetch: refusingFetch().fetch,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, pattern);
    // The hint is about the package, not about -o.
    assert.match(r.stderr, /hint: .*package/);
    assert.doesNotMatch(r.stderr, /-o|os error|report it if/);
    const left: string[] = [];
    for await (const e of Deno.readDir(cwd)) left.push(e.name);
    assert.deepEqual(left, []);
  }
});
