import assert from "node:assert/strict";
import { packTar } from "modern-tar";
import { HEX_MTIME_SECONDS, hexTarHeader, memoryFileHeader } from "../../src/tarball/tar_header.ts";
import { rawHeaders } from "./_helpers.ts";

Deno.test("hexTarHeader() sets hex_core's fixed fields", () => {
  const header = hexTarHeader({ path: "src/a.erl", kind: "file", mode: 0o644, size: 3 });
  assert.deepEqual(header, {
    name: "src/a.erl",
    size: 3,
    mode: 0o100644,
    type: "file",
    mtime: new Date(946684800_000),
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
    linkname: "",
  });
  assert.equal(HEX_MTIME_SECONDS, 946684800);
});

Deno.test("hexTarHeader() adds type bits and keeps only permission bits", () => {
  assert.equal(hexTarHeader({ path: "x", kind: "file", mode: 0o100755, size: 0 }).mode, 0o100755);
  assert.equal(hexTarHeader({ path: "d", kind: "dir", mode: 0o755, size: 0 }).mode, 0o40755);
  assert.equal(
    hexTarHeader({ path: "l", kind: "symlink", mode: 0o777, size: 0, target: "x" }).mode,
    0o120777,
  );
});

Deno.test("hexTarHeader() gives directories one trailing slash and no size", () => {
  const header = hexTarHeader({ path: "priv/empty//", kind: "dir", mode: 0o755, size: 99 });
  assert.equal(header.name, "priv/empty/");
  assert.equal(header.type, "directory");
  assert.equal(header.size, 0);
});

Deno.test("hexTarHeader() adds PAX records for non-ASCII names and targets", () => {
  const header = hexTarHeader({
    path: "lib/ünï",
    kind: "symlink",
    mode: 0o777,
    size: 0,
    target: "ç",
  });
  assert.deepEqual(header.pax, { path: "lib/ünï", linkpath: "ç" });
  assert.equal(hexTarHeader({ path: "ascii", kind: "file", mode: 0o644, size: 0 }).pax, undefined);
});

Deno.test("memoryFileHeader() packs to hex_core's raw ustar bytes", async () => {
  const tar = await packTar([
    { header: memoryFileHeader("VERSION", 1), body: Uint8Array.of(0x33) },
  ]);
  const [h] = rawHeaders(tar);
  assert.equal(h.name, "VERSION");
  assert.equal(h.modeField, "0100644\0");
  assert.equal(h.uidField, "0000000\0");
  assert.equal(h.gidField, "0000000\0");
  assert.equal(h.mtimeField, "07033241600\0");
  assert.equal(h.typeflag, "0");
  assert.equal(h.magicField, "ustar\u000000");
  assert.ok(h.unameGnameBytes.every((b) => b === 0), "empty uname and gname");
  assert.equal(h.size, 1);
  assert.ok(h.checksumOk);
  // One header block, one content block, two end blocks: no 10 KiB record padding.
  assert.equal(tar.length, 4 * 512);
});

Deno.test("hexTarHeader() entries pack to raw dir, symlink and PAX headers", async () => {
  const tar = await packTar([
    { header: hexTarHeader({ path: "priv", kind: "dir", mode: 0o755, size: 0 }) },
    {
      header: hexTarHeader({ path: "link", kind: "symlink", mode: 0o777, size: 0, target: "a/b" }),
    },
    { header: hexTarHeader({ path: "ü.txt", kind: "file", mode: 0o600, size: 0 }), body: "" },
  ]);
  const [d, l, pax, u] = rawHeaders(tar);
  assert.equal(d.name, "priv/");
  assert.equal(d.modeField, "0040755\0");
  assert.equal(d.typeflag, "5");
  assert.equal(l.modeField, "0120777\0");
  assert.equal(l.typeflag, "2");
  assert.equal(l.linkname, "a/b");
  assert.equal(pax.typeflag, "x");
  const record = new TextDecoder().decode(
    tar.subarray(pax.offset + 512, pax.offset + 512 + pax.size),
  );
  assert.match(record, /^\d+ path=ü\.txt\n$/);
  assert.equal(u.modeField, "0100600\0");
  for (const h of [d, l, pax, u]) {
    assert.equal(h.uidField, "0000000\0");
    assert.equal(h.mtimeField, "07033241600\0");
    assert.ok(h.checksumOk);
  }
});
