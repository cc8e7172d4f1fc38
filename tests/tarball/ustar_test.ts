import { strict as assert } from "node:assert";
import { unpackTar } from "modern-tar";
import { encodeHeader, END_OF_ARCHIVE, padding, tarOfFiles } from "../../src/tarball/ustar.ts";
import { run } from "./_helpers.ts";

const dec = new TextDecoder();
const field = (block: Uint8Array, offset: number, length: number) =>
  dec.decode(block.subarray(offset, offset + length));

function checksumOk(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return parseInt(field(block, 148, 7), 8) === sum && block[155] === 0;
}

Deno.test("encodeHeader() writes erl_tar's raw ustar fields", () => {
  const h = encodeHeader({ path: "src/a.erl", kind: "file", mode: 0o644, size: 3 });
  assert.equal(h.length, 512);
  assert.equal(field(h, 0, 10), "src/a.erl\0");
  assert.equal(field(h, 100, 8), "0100644\0");
  assert.equal(field(h, 108, 8), "0000000\0");
  assert.equal(field(h, 116, 8), "0000000\0");
  assert.equal(field(h, 124, 12), "00000000003\0");
  assert.equal(field(h, 136, 12), "07033241600\0");
  assert.equal(field(h, 156, 1), "0");
  assert.equal(field(h, 257, 8), "ustar\x0000");
  assert.equal(field(h, 265, 64).replaceAll("\0", ""), "", "empty uname and gname");
  assert.equal(field(h, 329, 16), "0000000\x000000000\0");
  assert.ok(checksumOk(h));
});

Deno.test("encodeHeader() adds type bits, a slash for directories and symlink targets", () => {
  const d = encodeHeader({ path: "priv/empty//", kind: "dir", mode: 0o755, size: 9 });
  assert.equal(field(d, 0, 12), "priv/empty/\0");
  assert.equal(field(d, 100, 8), "0040755\0");
  assert.equal(field(d, 124, 12), "00000000000\0");
  assert.equal(field(d, 156, 1), "5");
  const l = encodeHeader({ path: "l", kind: "symlink", mode: 0o777, size: 0, target: "../x" });
  assert.equal(field(l, 100, 8), "0120777\0");
  assert.equal(field(l, 156, 5), "2../x");
  const x = encodeHeader({ path: "run.sh", kind: "file", mode: 0o100755, size: 0 });
  assert.equal(field(x, 100, 8), "0100755\0");
});

Deno.test("encodeHeader() splits long ASCII paths into prefix and name", () => {
  const path = `${"deep/".repeat(25)}file.txt`;
  const h = encodeHeader({ path, kind: "file", mode: 0o644, size: 0 });
  assert.equal(h.length, 512);
  assert.equal(field(h, 0, 9), "file.txt\0");
  assert.equal(field(h, 345, 124), `${"deep/".repeat(24)}deep`);
});

Deno.test("encodeHeader() carries non-ASCII and over-long names in PAX records", () => {
  const uni = encodeHeader({ path: "priv/ünï/日本.txt", kind: "file", mode: 0o644, size: 1 });
  assert.equal(uni.length, 3 * 512);
  assert.equal(field(uni, 156, 1), "x");
  assert.match(field(uni, 512, 512), /^\d+ path=priv\/ünï\/日本\.txt\n/);
  assert.ok(checksumOk(uni) && checksumOk(uni.subarray(1024)));
  const long = encodeHeader({ path: "x".repeat(300), kind: "file", mode: 0o644, size: 0 });
  assert.match(field(long, 512, 512), /^310 path=x{300}\n/);
});

Deno.test("tar streams from encodeHeader() read back with modern-tar and GNU tar", async () => {
  const body = new TextEncoder().encode("hello");
  const parts = [
    encodeHeader({ path: "a/ünï.txt", kind: "file", mode: 0o644, size: body.length }),
    body,
    padding(body.length),
    encodeHeader({ path: `${"d/".repeat(70)}f`, kind: "file", mode: 0o755, size: 0 }),
    encodeHeader({ path: "a/empty", kind: "dir", mode: 0o755, size: 0 }),
    encodeHeader({ path: "a/link", kind: "symlink", mode: 0o777, size: 0, target: "ünï.txt" }),
    END_OF_ARCHIVE,
  ];
  const tar = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (tar.set(p, o), o += p.length);
  const entries = await unpackTar(tar, { strict: true });
  assert.deepEqual(entries.map((e) => [e.header.name, e.header.type, e.header.linkname ?? ""]), [
    ["a/ünï.txt", "file", ""],
    [`${"d/".repeat(70)}f`, "file", ""],
    ["a/empty/", "directory", ""],
    ["a/link", "symlink", "ünï.txt"],
  ]);
  assert.equal(dec.decode(entries[0].data), "hello");
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/t.tar`, tar);
  const listing = (await run("tar", ["-tvf", "t.tar"], { cwd: dir })).stdout;
  assert.match(listing, /-rw-r--r-- 0\/0 +5 2000-01-01 00:00 a\/ünï\.txt/);
  assert.match(listing, /a\/link -> ünï\.txt/);
});

Deno.test("tarOfFiles() lays out the outer tar with no record padding", () => {
  const tar = tarOfFiles([["VERSION", new TextEncoder().encode("3")], ["x", new Uint8Array(600)]]);
  assert.equal(tar.length, 512 + 512 + 512 + 1024 + 1024);
  assert.equal(field(tar, 0, 8), "VERSION\0");
  assert.equal(field(tar, 512, 1), "3");
  assert.equal(field(tar, 1024, 2), "x\0");
});
