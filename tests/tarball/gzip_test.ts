import assert from "node:assert/strict";
import { createGzipWriter, gunzipBytes, GZIP_HEADER, gzipBytes } from "../../src/tarball/gzip.ts";
import { pseudoRandomBytes, run } from "./_helpers.ts";

/** Bitwise CRC-32 (IEEE, reflected, polynomial 0xEDB88320), independent of node:zlib. */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Gzips `bytes` fed to the writer in `chunk`-sized pieces. */
async function viaStream(bytes: Uint8Array, chunk: number, level?: number): Promise<Uint8Array> {
  const out: Uint8Array<ArrayBuffer>[] = [];
  const writer = createGzipWriter((c) => out.push(new Uint8Array(c)), level);
  for (let i = 0; i < bytes.length; i += chunk) await writer.write(bytes.slice(i, i + chunk));
  await writer.end();
  return new Uint8Array(await new Blob(out).arrayBuffer());
}

const text = new TextEncoder().encode(
  "-module(foo).\n-export([bar/0]).\nbar() -> ok.\n".repeat(500),
);

Deno.test("gzipBytes() writes hex_core's fixed 10-byte header", () => {
  const gz = gzipBytes(text);
  assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...GZIP_HEADER], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("gzipBytes() ends with CRC-32 and ISIZE, little-endian", () => {
  for (const input of [text, new Uint8Array(), Uint8Array.of(0xff), pseudoRandomBytes(70_000)]) {
    const gz = gzipBytes(input);
    const view = new DataView(gz.buffer, gz.byteOffset, gz.byteLength);
    assert.equal(view.getUint32(gz.length - 8, true), referenceCrc32(input));
    assert.equal(view.getUint32(gz.length - 4, true), input.length);
  }
});

Deno.test("gzipBytes() output round-trips through gunzipBytes() and system gzip", async () => {
  const gz = gzipBytes(text);
  assert.deepEqual(gunzipBytes(gz), text);
  const { bytes } = await run("gzip", ["-dc"], { stdin: gz });
  assert.deepEqual(bytes, text);
  await run("gzip", ["-t"], { stdin: gz });
});

Deno.test("gzipBytes() is deterministic", () => {
  assert.deepEqual(gzipBytes(text), gzipBytes(text));
});

Deno.test("gzipBytes() honours the level", () => {
  const stored = gzipBytes(text, 0);
  const best = gzipBytes(text, 9);
  assert.ok(stored.length > text.length, "level 0 stores");
  assert.ok(best.length < text.length / 10);
  assert.deepEqual(gunzipBytes(stored), text);
  assert.deepEqual(gunzipBytes(best), text);
});

Deno.test("createGzipWriter() gives the same bytes as gzipBytes() at level 6, however the input is chunked", async () => {
  const data = pseudoRandomBytes(300_000, 7, 20);
  const expected = gzipBytes(data);
  for (const chunk of [1_000, 7_777, 65_536, 65_537, 1 << 20]) {
    assert.deepEqual(await viaStream(data, chunk), expected, `chunk ${chunk}`);
  }
  const small = text.subarray(0, 999);
  assert.deepEqual(await viaStream(small, 1), gzipBytes(small));
});

Deno.test("createGzipWriter() handles empty input and levels", async () => {
  assert.deepEqual(await viaStream(new Uint8Array(), 10), gzipBytes(new Uint8Array()));
  assert.deepEqual(gunzipBytes(await viaStream(new Uint8Array(), 10)), new Uint8Array());
  // Other levels need not match the one-shot output (zlib-ng's fast paths end
  // blocks where input ends), but each is valid and independent of chunking.
  for (const level of [0, 1, 9]) {
    const a = await viaStream(text, 4096, level);
    assert.deepEqual(await viaStream(text, 333, level), a, `level ${level}`);
    assert.deepEqual(gunzipBytes(a), text);
  }
});

Deno.test("createGzipWriter() output starts with the fixed header and carries CRC and ISIZE", async () => {
  const data = pseudoRandomBytes(100_000, 3);
  const gz = await viaStream(data, 10_000);
  assert.deepEqual([...gz.subarray(0, 10)], [...GZIP_HEADER]);
  const view = new DataView(gz.buffer, gz.byteOffset, gz.byteLength);
  assert.equal(view.getUint32(gz.length - 8, true), referenceCrc32(data));
  assert.equal(view.getUint32(gz.length - 4, true), data.length);
  const { bytes } = await run("gzip", ["-dc"], { stdin: gz });
  assert.deepEqual(bytes, data);
});

Deno.test("gunzipBytes() refuses output beyond maxOutputLength", () => {
  const gz = gzipBytes(new Uint8Array(10_000));
  assert.throws(() => gunzipBytes(gz, { maxOutputLength: 1_000 }), RangeError);
  assert.equal(gunzipBytes(gz, { maxOutputLength: 10_000 }).length, 10_000);
});

Deno.test("gunzipBytes() rejects damaged data", () => {
  const gz = gzipBytes(text);
  assert.throws(() => gunzipBytes(Uint8Array.of(1, 2, 3)));
  const bad = gz.slice();
  bad[bad.length - 8] ^= 0xff; // CRC
  assert.throws(() => gunzipBytes(bad));
});
