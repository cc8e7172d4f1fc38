import assert from "node:assert/strict";
import { TarballError, type TarballReason } from "../../src/errors.ts";
import {
  archivePathSegments,
  checkArchivePath,
  checkPackageFile,
  checkSymlinkTarget,
  isSafeArchivePath,
  normalizeArchivePath,
  resolveSymlinkTarget,
  throughSymlink,
} from "../../src/tarball/safe_path.ts";
import { dir, memFile, symlink } from "./_helpers.ts";

function rejects(fn: () => void, reason: TarballReason, message?: string): void {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof TarballError);
    assert.equal(err.reason, reason);
    if (message !== undefined) assert.equal(err.message, message);
    assert.ok(err.hint && err.hint.length > 0, "has a hint");
    return true;
  });
}

Deno.test("archivePathSegments() splits on both separators", () => {
  assert.deepEqual(archivePathSegments("a/b\\c//d/"), ["a", "b", "c", "d"]);
  assert.deepEqual(archivePathSegments(""), []);
});

Deno.test("isSafeArchivePath() accepts relative paths that stay inside", () => {
  for (const path of ["a", "src/foo.erl", "./a", "a/./b", "a/../b", "a/b/../../c", ".", "a/.."]) {
    assert.equal(isSafeArchivePath(path), true, path);
  }
});

Deno.test("isSafeArchivePath() refuses absolute paths, drive letters and climbing", () => {
  for (
    const path of [
      "/etc/passwd",
      "\\windows",
      "C:/x",
      "c:x",
      "..",
      "../x",
      "a/../../x",
      "a\\..\\..\\x",
      "./../x",
    ]
  ) {
    assert.equal(isSafeArchivePath(path), false, path);
  }
});

Deno.test("normalizeArchivePath() drops . and applies ..", () => {
  assert.equal(normalizeArchivePath("./a/./b/../c/"), "a/c");
  assert.equal(normalizeArchivePath("a\\b"), "a/b");
  assert.equal(normalizeArchivePath("."), "");
});

Deno.test("resolveSymlinkTarget() joins relative targets to the link's directory", () => {
  assert.equal(resolveSymlinkTarget("link", "src/a"), "src/a");
  assert.equal(resolveSymlinkTarget("lib/x/link", "../y"), "lib/x/../y");
  assert.equal(resolveSymlinkTarget("lib/link", "/etc/passwd"), "/etc/passwd");
  assert.equal(resolveSymlinkTarget("lib/link", "C:\\x"), "C:\\x");
});

Deno.test("checkArchivePath() throws unsafe_path with hex_core's message", () => {
  rejects(() => checkArchivePath("../x"), "unsafe_path", "unsafe path in tarball: ../x");
  rejects(() => checkArchivePath("/abs"), "unsafe_path");
  rejects(() => checkArchivePath("D:evil"), "unsafe_path");
  rejects(() => checkArchivePath("a\\..\\..\\evil"), "unsafe_path");
  rejects(() => checkArchivePath(""), "unsafe_path");
  rejects(() => checkArchivePath("."), "unsafe_path");
  rejects(() => checkArchivePath("a\0b"), "unsafe_path");
  checkArchivePath("src/foo.erl");
});

Deno.test("checkSymlinkTarget() throws unsafe_symlink for targets outside the archive", () => {
  checkSymlinkTarget("link", "src/foo.erl");
  checkSymlinkTarget("lib/a/link", "../b");
  checkSymlinkTarget("lib/link", "..");
  rejects(
    () => checkSymlinkTarget("link", "../outside"),
    "unsafe_symlink",
    "unsafe symlink in tarball: link -> ../outside",
  );
  rejects(() => checkSymlinkTarget("lib/a/link", "../../../x"), "unsafe_symlink");
  rejects(() => checkSymlinkTarget("lib/link", "/etc/passwd"), "unsafe_symlink");
  rejects(() => checkSymlinkTarget("lib/link", "C:/x"), "unsafe_symlink");
  rejects(() => checkSymlinkTarget("lib/link", ""), "unsafe_symlink");
});

Deno.test("checkPackageFile() checks paths, symlinks and kinds", () => {
  checkPackageFile(memFile("src/a.erl", "x"));
  checkPackageFile(dir("priv/empty"));
  checkPackageFile(symlink("priv/link", "../src/a.erl"));
  rejects(() => checkPackageFile(memFile("../a", "x")), "unsafe_path");
  rejects(() => checkPackageFile(symlink("a", "../b")), "unsafe_symlink");
  rejects(
    () => checkPackageFile({ path: "sock", kind: "other", mode: 0o644, size: 0 }),
    "unsupported_file_type",
    "unsupported file type in tarball: sock (other)",
  );
});

Deno.test("checkPackageFile() ends hints with the caller's exclusion advice", () => {
  assert.throws(
    () => checkPackageFile(memFile("/x", ""), "remove it from the docs directory"),
    (err) => err instanceof TarballError && err.hint!.endsWith("remove it from the docs directory"),
  );
  assert.throws(
    () => checkPackageFile(memFile("/x", "")),
    (err) => err instanceof TarballError && err.hint!.includes("exclude_paths"),
  );
});

Deno.test("throughSymlink: links through links and entries inside links are found", () => {
  const f = (path: string) => ({ path, kind: "file" });
  const l = (path: string, target: string) => ({ path, kind: "symlink", target });
  assert.equal(throughSymlink([f("a/b"), l("c", "a/b"), l("d", "c")]), undefined);
  assert.deepEqual(throughSymlink([l("d/e/b", "../.."), l("x", "d/e/b/../..")]), {
    path: "x",
    why: "its target d/e/b/../.. passes through the symlink d/e/b",
  });
  assert.deepEqual(throughSymlink([l("lib", "src"), f("lib/evil.erl")]), {
    path: "lib/evil.erl",
    why: "it is inside the symlink lib",
  });
  assert.deepEqual(throughSymlink([l("./lib", "src"), f("lib/./x")]), {
    path: "lib/./x",
    why: "it is inside the symlink lib",
  });
  assert.equal(throughSymlink([l("a/l", "../b"), f("a/l2/x")]), undefined);
});
