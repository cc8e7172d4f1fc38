/**
 * Package tarballs built from hand-picked entries, for tests of what unpacking
 * refuses: `packageOf(files)` makes a genuine package (metadata, checksum) of
 * `evil` 1.0.0, and `escapingPackage()` one whose symlinks chain out of the
 * output directory: `d/e/b -> ../..` is harmless alone, but
 * `x -> d/e/b/../..` then resolves (through b) above the unpack root, and
 * `x/pwned.txt` would be written there.
 *
 * @module
 */
import { bin, list, type Term } from "../../src/erlang/term.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";

const enc = new TextEncoder();

/** A regular file entry. */
export const file = (path: string, text: string): PackageFile => ({
  path,
  kind: "file",
  mode: 0o644,
  size: enc.encode(text).length,
  content: enc.encode(text),
});

/** A symlink entry. */
export const link = (path: string, target: string): PackageFile => ({
  path,
  kind: "symlink",
  mode: 0o777,
  size: 0,
  target,
});

/** A directory entry. */
export const dir = (path: string): PackageFile => ({ path, kind: "dir", mode: 0o755, size: 0 });

/** The tarball of package `evil` 1.0.0 holding exactly `files`. */
export async function packageOf(files: PackageFile[]): Promise<Uint8Array> {
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

/** `evil` 1.0.0 whose `x/pwned.txt` lands above the unpack root through a chain of symlinks. */
export function escapingPackage(): Promise<Uint8Array> {
  return packageOf([
    file("src/evil.app.src", `{application, evil, [{vsn, "1.0.0"}]}.\n`),
    dir("d"),
    dir("d/e"),
    link("d/e/b", "../.."),
    link("x", "d/e/b/../.."),
    file("x/pwned.txt", "pwned\n"),
  ]);
}
