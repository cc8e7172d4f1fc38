import { strict as assert } from "node:assert";
import { ProjectError } from "../../src/errors.ts";
import { parseAppSrc } from "../../src/project/app_src.ts";
import { consultFile } from "../../src/project/consult.ts";
import { gitVersion, resolveVersion } from "../../src/project/resolve_version.ts";
import { git, makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";
import { join } from "node:path";

async function appWith(vsn: string, extra: Record<string, string> = {}) {
  const root = await makeProject({
    "src/demo.app.src": `{application, demo,\n  [{description, "d"},\n   {vsn, ${vsn}}]}.\n`,
    ...extra,
  });
  const deps = testDeps(root);
  const app = parseAppSrc((await consultFile(deps, join(root, "src/demo.app.src")))!);
  return { root, deps, app };
}

Deno.test("resolveVersion() reads literal, {file,…} and {cmd,…} versions", async () => {
  let t = await appWith(`"1.2.3"`);
  assert.deepEqual((await resolveVersion(t.deps, t.app, t.root)).version, "1.2.3");
  t = await appWith(`<<"2.0.0">>`);
  assert.equal((await resolveVersion(t.deps, t.app, t.root)).version, "2.0.0");
  t = await appWith(`{file, "VERSION"}`, { VERSION: "  3.1.4\n" });
  assert.deepEqual(await resolveVersion(t.deps, t.app, t.root), {
    version: "3.1.4",
    source: "file",
    warnings: [],
  });
  t = await appWith(`{cmd, "echo 4.5.6"}`);
  assert.equal((await resolveVersion(t.deps, t.app, t.root)).version, "4.5.6");
});

Deno.test("resolveVersion() points at the vsn when a command or file fails", async () => {
  let t = await appWith(`{cmd, "exit 3"}`);
  await assert.rejects(
    resolveVersion(t.deps, t.app, t.root),
    (e: unknown) =>
      e instanceof ProjectError && e.where?.line === 3 && /exit code 3/.test(e.message),
  );
  t = await appWith(`{file, "NOPE"}`);
  await assert.rejects(resolveVersion(t.deps, t.app, t.root), ProjectError);
  t = await appWith(`{hg, short}`);
  await assert.rejects(resolveVersion(t.deps, t.app, t.root), /unknown vsn form/);
});

Deno.test("gitVersion() derives versions from tags as rebar3 does", async () => {
  const root = await makeProject({ "a.txt": "1" });
  const deps = testDeps(root);
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", ".");
  await git(root, "commit", "-q", "-m", "one");
  const short1 = (await git(root, "log", "-n", "1", "--pretty=format:%h")).trim();
  // No tag at all: 0.0.0 plus the total commit count.
  assert.equal((await gitVersion(deps, root)).version, `0.0.0+build.1.ref${short1}`);
  await git(root, "tag", "v1.4.0");
  assert.equal((await gitVersion(deps, root)).version, "1.4.0");
  await Deno.writeTextFile(join(root, "a.txt"), "2");
  await git(root, "commit", "-q", "-am", "two");
  const short2 = (await git(root, "log", "-n", "1", "--pretty=format:%h")).trim();
  // HEAD untagged: rebar3 counts every commit of HEAD, not those since the tag.
  assert.equal((await gitVersion(deps, root)).version, `1.4.0+build.2.ref${short2}`);
  await git(root, "tag", "release/app/2.0.0");
  assert.equal((await gitVersion(deps, root)).version, "2.0.0");
});

Deno.test("gitVersion() falls back to 0.0.0 with a warning outside a repository", async () => {
  const root = await makeProject({ "a.txt": "1" });
  const r = await gitVersion(testDeps(root, { env: { GIT_CEILING_DIRECTORIES: root } }), root);
  assert.equal(r.version, "0.0.0");
  assert.equal(r.warnings.length, 1);
});
