/**
 * Unpacking refuses symlinks that escape the output directory through other
 * symlinks, backslash names and link chains that differ only in case. The
 * registry and checksum of such a package are genuine, so only the unpacker
 * can refuse it.
 */
import { strict as assert } from "node:assert";
import { TarballError } from "../../src/errors.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { dir, escapingPackage, link, packageOf } from "../support/escaping_package.ts";

Deno.test("unpacking refuses a symlink whose target passes through another symlink", async () => {
  const tarball = await escapingPackage();
  await assert.rejects(
    () => unpackPackage(tarball),
    (e: unknown) =>
      e instanceof TarballError && e.reason === "unsafe_symlink" &&
      /x \(its target d\/e\/b\/\.\.\/\.\. passes through the symlink d\/e\/b\)/.test(e.message),
  );
});

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
