import assert from "node:assert/strict";
import type { PackageFile, PackageFileKind } from "../../src/tarball/package_file.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";

Deno.test("PackageFile describes every kind, with content in memory or behind open()", async () => {
  const bytes = new TextEncoder().encode("-module(a).\n");
  const files = [
    { path: "src", kind: "dir", mode: 0o755, size: 0 },
    { path: "src/a.erl", kind: "file", mode: 0o644, size: bytes.length, content: bytes },
    {
      path: "src/b.erl",
      kind: "file",
      mode: 0o644,
      size: bytes.length,
      open: () => Promise.resolve(new Blob([bytes]).stream()),
    },
    { path: "src/c.erl", kind: "symlink", mode: 0o777, size: 0, target: "a.erl" },
  ] satisfies PackageFile[];
  const kinds: PackageFileKind[] = files.map((f) => f.kind);
  assert.deepEqual(kinds, ["dir", "file", "file", "symlink"]);

  const { tarball } = await createPackageTarball({ metadata: [], files });
  const unpacked = await unpackPackage(tarball);
  assert.deepEqual(unpacked.files.map((f) => [f.path, f.kind]), [
    ["src", "dir"],
    ["src/a.erl", "file"],
    ["src/b.erl", "file"],
    ["src/c.erl", "symlink"],
  ]);
  assert.deepEqual(unpacked.files[2].data, bytes);
});
