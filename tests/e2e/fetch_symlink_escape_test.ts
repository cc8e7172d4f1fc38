/**
 * A package whose symlinks chain out of the output directory: `d/e/b -> ../..`
 * is harmless alone, but `x -> d/e/b/../..` then resolves (through b) above
 * the unpack root, and `x/pwned.txt` would be written there. The registry and
 * checksum are genuine, so only the unpacker can refuse it.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { bin, list, type Term } from "../../src/erlang/term.ts";
import { TarballError } from "../../src/errors.ts";
import { buildRepository, initRepository } from "../../src/repository/repository_dir.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { makeHome, runHexpub } from "../support/e2e.ts";
import { testDeps } from "../support/test_deps.ts";

const enc = new TextEncoder();
const file = (path: string, text: string): PackageFile => ({
  path,
  kind: "file",
  mode: 0o644,
  size: enc.encode(text).length,
  content: enc.encode(text),
});
const link = (path: string, target: string): PackageFile => ({
  path,
  kind: "symlink",
  mode: 0o777,
  size: 0,
  target,
});
const dir = (path: string): PackageFile => ({ path, kind: "dir", mode: 0o755, size: 0 });

async function escapingPackage(): Promise<Uint8Array> {
  const files = [
    file("src/evil.app.src", `{application, evil, [{vsn, "1.0.0"}]}.\n`),
    dir("d"),
    dir("d/e"),
    link("d/e/b", "../.."),
    link("x", "d/e/b/../.."),
    file("x/pwned.txt", "pwned\n"),
  ];
  const metadata: [string, Term][] = [
    ["name", bin("evil")],
    ["version", bin("1.0.0")],
    ["app", bin("evil")],
    ["description", bin("evil")],
    ["licenses", list([bin("MIT")])],
    ["build_tools", list([bin("rebar3")])],
    ["files", list(files.map((f) => bin(f.path)))],
    ["requirements", list([])],
  ];
  return (await createPackageTarball({ metadata, files })).tarball;
}

Deno.test("unpacking refuses a symlink whose target passes through another symlink", async () => {
  const tarball = await escapingPackage();
  await assert.rejects(
    () => unpackPackage(tarball),
    (e: unknown) =>
      e instanceof TarballError && e.reason === "unsafe_symlink" &&
      /x \(its target d\/e\/b\/\.\.\/\.\. passes through the symlink d\/e\/b\)/.test(e.message),
  );
});

Deno.test("hexpub fetch --unpack of such a package fails and writes nothing outside -o", async () => {
  const home = await makeHome();
  const repoDir = join(home, "local-repo");
  const deps = testDeps(repoDir);
  const repo = await initRepository(deps, repoDir, "local");
  await Deno.writeFile(join(repoDir, "tarballs", "evil-1.0.0.tar"), await escapingPackage());
  await buildRepository(deps, repo);
  const base = await Deno.makeTempDir();
  const cwd = join(base, "a", "b", "c");
  await Deno.mkdir(cwd, { recursive: true });
  const r = await runHexpub(["fetch", "evil", "-r", "local", "-o", "out", "--unpack"], {
    cwd,
    home,
    env: { HEXPUB_LOCAL_REPO: repoDir },
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
