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
import { writeUnpacked } from "../../src/tasks/write_unpacked.ts";
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

function escapingPackage(): Promise<Uint8Array> {
  return packageOf([
    file("src/evil.app.src", `{application, evil, [{vsn, "1.0.0"}]}.\n`),
    dir("d"),
    dir("d/e"),
    link("d/e/b", "../.."),
    link("x", "d/e/b/../.."),
    file("x/pwned.txt", "pwned\n"),
  ]);
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

async function packageOf(files: PackageFile[]): Promise<Uint8Array> {
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

Deno.test("unpacking refuses backslash names and link chains that differ only in case", async () => {
  const deep = Array(21).fill("m").join("\\");
  const cases: [string, PackageFile[], RegExp][] = [
    [
      "a backslash name (one file on Unix, 21 directories to the checker)",
      [link(deep, "../".repeat(20) + "tmp/x"), link(".hexpub-unpack", deep)],
      /unsafe path in tarball: m\\m/,
    ],
    [
      "a link chain that only differs in case (one path on macOS)",
      [dir("d"), dir("d/e"), link("d/e/B", "../.."), link("x", "d/e/b/../../f")],
      /passes through the symlink d\/e\/b/,
    ],
  ];
  for (const [what, files, pattern] of cases) {
    const tarball = await packageOf(files);
    await assert.rejects(() => unpackPackage(tarball), pattern, what);
  }
});

Deno.test("the unpack writer itself refuses what unpacking refuses, and hexpub's own names", async () => {
  const base = await Deno.makeTempDir();
  const deps = testDeps(base);
  const entry = (path: string, target: string) => ({
    path,
    kind: "symlink" as const,
    mode: 0o777,
    target,
  });
  for (
    const [files, pattern] of [
      [[entry(".hexpub-unpack", "../../x")], /a name hexpub writes itself/],
      [[entry("HEX_METADATA.config", "../x")], /a name hexpub writes itself/],
      [[entry("a\\b", "c")], /a backslash/],
      [[entry("d/B", ".."), entry("x", "d/b/../..")], /passes through the symlink d\/b/],
    ] as const
  ) {
    await assert.rejects(
      () => writeUnpacked(deps, join(base, "out"), { files: [...files] }),
      pattern,
    );
  }
  const left: string[] = [];
  for await (const e of Deno.readDir(base)) left.push(e.name);
  assert.deepEqual(left, []);
});
