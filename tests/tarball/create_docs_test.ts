import assert from "node:assert/strict";
import { unpackTar } from "modern-tar";
import { createDocsTarball, looksLikeVersion } from "../../src/tarball/create_docs.ts";
import { gunzipBytes } from "../../src/tarball/gzip.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";
import { unpackDocs } from "../../src/tarball/unpack_package.ts";
import {
  dir,
  memFile,
  nodeSha256,
  pseudoRandomBytes,
  rawHeaders,
  rejectsWith,
  run,
  streamedFile,
  symlink,
} from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function docs(): PackageFile[] {
  return [
    memFile("index.html", "<!doctype html>\n<title>foo</title>\n"),
    memFile("foo.html", "<p>foo</p>\n"),
    dir("dist"),
    streamedFile("dist/app.js", enc.encode("console.log(1)\n"), { chunk: 2 }),
    memFile("1.0.0.html", "not a version: has an extension"),
    memFile("api/1.0.0/index.html", "nested versions are fine"),
    memFile("ünïcode.html", "u"),
  ];
}

Deno.test("createDocsTarball() writes a gzipped tar with hex_core's headers", async () => {
  const { tarball, uncompressedSize } = await createDocsTarball(docs());
  assert.deepEqual([...tarball.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0]);
  const tar = gunzipBytes(tarball);
  assert.equal(uncompressedSize, tar.length);
  const view = new DataView(tarball.buffer, tarball.byteOffset, tarball.byteLength);
  assert.equal(view.getUint32(tarball.length - 4, true), tar.length);
  const all = rawHeaders(tar);
  const headers = all.filter((h) => h.typeflag !== "x");
  // As hex_core's tar writer: a non-ASCII name leaves the ustar field empty and
  // goes in a PAX record, under a header named with the ASCII characters only.
  assert.deepEqual(headers.map((h) => h.name), [
    "index.html",
    "foo.html",
    "dist/",
    "dist/app.js",
    "1.0.0.html",
    "api/1.0.0/index.html",
    "",
  ]);
  assert.deepEqual(all.filter((h) => h.typeflag === "x").map((h) => h.name), [
    "./PaxHeaders.0/ncode.html",
  ]);
  for (const h of headers) {
    assert.equal(h.modeField, h.typeflag === "5" ? "0040755\0" : "0100644\0");
    assert.equal(h.uidField, "0000000\0");
    assert.equal(h.gidField, "0000000\0");
    assert.equal(h.mtimeField, "07033241600\0");
    assert.equal(h.magicField, "ustar\u000000");
    assert.ok(h.unameGnameBytes.every((b) => b === 0));
  }
});

Deno.test("createDocsTarball() checksum equals sha256sum and GNU tar reads it", async () => {
  const { tarball, checksum } = await createDocsTarball(docs());
  assert.equal(checksum, nodeSha256(tarball));
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${root}/docs.tar.gz`, tarball);
    assert.equal(
      (await run("sha256sum", ["docs.tar.gz"], { cwd: root })).stdout.split(" ")[0],
      checksum,
    );
    const listing = (await run("tar", ["-tvzf", "docs.tar.gz"], { cwd: root })).stdout;
    assert.match(listing, /^-rw-r--r-- 0\/0 +35 2000-01-01 00:00 index\.html$/m);
    await Deno.mkdir(`${root}/out`);
    await run("tar", ["-xzf", "../docs.tar.gz"], { cwd: `${root}/out` });
    assert.equal(await Deno.readTextFile(`${root}/out/dist/app.js`), "console.log(1)\n");
    assert.equal(await Deno.readTextFile(`${root}/out/ünïcode.html`), "u");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createDocsTarball() is reproducible and round-trips through unpackDocs()", async () => {
  const a = await createDocsTarball(docs());
  const b = await createDocsTarball(docs());
  assert.deepEqual(a.tarball, b.tarball);
  assert.equal(a.checksum, b.checksum);
  const unpacked = await unpackDocs(a.tarball);
  assert.equal(unpacked.checksum, a.checksum);
  assert.deepEqual(unpacked.files.map((f) => f.path), [
    "index.html",
    "foo.html",
    "dist",
    "dist/app.js",
    "1.0.0.html",
    "api/1.0.0/index.html",
    "ünïcode.html",
  ]);
  assert.equal(dec.decode(unpacked.files[3].data), "console.log(1)\n");
  const entries = await unpackTar(gunzipBytes(a.tarball));
  assert.equal(entries.length, 7);
});

Deno.test("createDocsTarball() requires a top-level index.html", async () => {
  const error = await rejectsWith(
    createDocsTarball([memFile("foo.html", "x"), memFile("sub/index.html", "x")]),
    "missing_index_html",
  );
  assert.match(error.hint!, /--doc-dir/);
  assert.match(error.hint!, /provider/);
  await rejectsWith(createDocsTarball([]), "missing_index_html");
  await rejectsWith(createDocsTarball([dir("index.html")]), "missing_index_html");
  await createDocsTarball([memFile("./index.html", "x")]);
});

Deno.test("createDocsTarball() refuses top-level names that look like versions", async () => {
  for (const path of ["1.0.0/index.html", "0.1.0", "2.0.0-rc.1/x.html", "1.2.3+build.7"]) {
    await rejectsWith(
      createDocsTarball([memFile("index.html", "x"), memFile(path, "x")]),
      "invalid_docs",
      /top-level filenames cannot match a semantic version pattern/,
    );
  }
  await rejectsWith(
    createDocsTarball([memFile("index.html", "x"), dir("1.0.0")]),
    "invalid_docs",
  );
});

Deno.test("looksLikeVersion() follows SemVer 2.0", () => {
  for (
    const name of ["1.0.0", "0.0.0", "10.20.30", "1.0.0-alpha", "1.0.0-0.3.7", "1.0.0+20130313"]
  ) {
    assert.equal(looksLikeVersion(name), true, name);
  }
  for (const name of ["1.0", "v1.0.0", "01.0.0", "1.0.0.html", "1.0.0-", "latest", "1.0.0-01"]) {
    assert.equal(looksLikeVersion(name), false, name);
  }
});

Deno.test("createDocsTarball() refuses unsafe paths and symlinks", async () => {
  const error = await rejectsWith(
    createDocsTarball([memFile("index.html", "x"), memFile("../escape.html", "x")]),
    "unsafe_path",
    "unsafe path in tarball: ../escape.html",
  );
  assert.match(error.hint!, /docs directory/);
  await rejectsWith(
    createDocsTarball([memFile("index.html", "x"), symlink("up", "../../etc")]),
    "unsafe_symlink",
  );
  await rejectsWith(
    createDocsTarball([memFile("index.html", "x"), { path: "s", kind: "other", mode: 0, size: 0 }]),
    "unsupported_file_type",
  );
});

Deno.test("createDocsTarball() enforces the size limits", async () => {
  await rejectsWith(
    createDocsTarball([memFile("index.html", new Uint8Array(5000))], { maxUncompressedSize: 4000 }),
    "too_big_uncompressed",
    "docs tarball exceeds max uncompressed size 0.004 MB",
  );
  await rejectsWith(
    createDocsTarball([memFile("index.html", pseudoRandomBytes(20_000))], { maxSize: 10_000 }),
    "too_big",
    "docs tarball exceeds max compressed size 0.01 MB",
  );
});
