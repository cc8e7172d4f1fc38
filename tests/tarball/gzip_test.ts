import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import {
  createGzipWriter,
  gunzipBytes,
  gunzipCapped,
  GZIP_HEADER,
  gzipBytes,
} from "../../src/tarball/gzip.ts";
import { concat, nodeSha256, pseudoRandomBytes, run } from "./_helpers.ts";

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

Deno.test("gzipBytes() gives zlib 1.2.13's bytes (as OTP's zlib in hex_core)", () => {
  // Recorded from the system zlib 1.2.13 (python3's zlib and OTP 25's zlib agree) at
  // windowBits -15, memLevel 8, default strategy, framed like hex_core's gzip/1.
  // Deno's node:zlib gives other bytes for both inputs; tests/interop checks many more.
  const random = pseudoRandomBytes(300_000, 7, 20);
  const known: [Uint8Array, number, number, string][] = [
    [text, 6, 150, "9aef6f878423215d711d8e9d6b5d73e670700092e0ac6acdc8f383d73aa2f869"],
    [text, 1, 223, "23c73d8797f217deff960f1bbf2263cfd42737452ab3ca83c9d2166a58db5089"],
    [random, 6, 181697, "517dd44244e2ffae3b69fa73448b329969e9415bef440e6555c81e67dbe86ee8"],
    [random, 1, 186837, "000389a3504955133b080d5a9283c9011c41082fc0a544633bc009ce4ac36fcb"],
  ];
  for (const [input, level, length, sha] of known) {
    const gz = gzipBytes(input, level);
    assert.equal(gz.length, length, `level ${level}, ${input.length} bytes`);
    assert.equal(nodeSha256(gz), sha, `level ${level}, ${input.length} bytes`);
  }
});

Deno.test("gzipBytes() and createGzipWriter() refuse a level outside 0-9", () => {
  for (const level of [-1, 10, 1.5, NaN]) {
    assert.throws(() => gzipBytes(text, level), RangeError);
    assert.throws(() => createGzipWriter(() => {}, level), RangeError);
  }
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
  for (const chunk of [1_000, 7_777, 32_768, 65_536, 65_537, 1 << 20]) {
    assert.deepEqual(await viaStream(data, chunk), expected, `chunk ${chunk}`);
  }
  const small = text.subarray(0, 999);
  assert.deepEqual(await viaStream(small, 1), gzipBytes(small));
});

Deno.test("createGzipWriter() handles empty input and every level like gzipBytes()", async () => {
  assert.deepEqual(await viaStream(new Uint8Array(), 10), gzipBytes(new Uint8Array()));
  assert.deepEqual(gunzipBytes(await viaStream(new Uint8Array(), 10)), new Uint8Array());
  const data = concat(text, pseudoRandomBytes(50_000, 5), text);
  for (const level of [1, 4, 9]) {
    const expected = gzipBytes(data, level);
    assert.deepEqual(await viaStream(data, 4096, level), expected, `level ${level}`);
    assert.deepEqual(await viaStream(data, 333, level), expected, `level ${level}`);
    assert.deepEqual(gunzipBytes(expected), data);
  }
  // Level 0 stores blocks as input arrives (zlib does too): valid, but cut by the chunks.
  const stored = await viaStream(data, 333, 0);
  assert.ok(stored.length > data.length);
  assert.deepEqual(gunzipBytes(stored), data);
});

Deno.test("createGzipWriter() stops at a throw from onChunk and rethrows it", async () => {
  let chunks = 0;
  const writer = createGzipWriter(() => {
    if (++chunks > 1) throw new Error("over the limit");
  });
  // Incompressible input fills a 64 KiB output chunk after about 64 KiB of input.
  await assert.rejects(writer.write(pseudoRandomBytes(200_000, 3)), /over the limit/);
  await assert.rejects(writer.write(text), /over the limit/);
  await assert.rejects(writer.end(), /over the limit/);
});

Deno.test("createGzipWriter() refuses writes once destroyed or ended", async () => {
  const destroyed = createGzipWriter(() => {});
  destroyed.destroy();
  await assert.rejects(destroyed.write(text), /destroyed/);
  await assert.rejects(destroyed.end(), /destroyed/);
  const ended = createGzipWriter(() => {});
  await ended.end();
  await assert.rejects(ended.write(text), /ended/);
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

const enc = new TextEncoder();

Deno.test("gunzipCapped() inflates any gzip: several members, a lying ISIZE, exactly at the cap", async () => {
  const a = enc.encode("hello "), b = enc.encode("world");
  const two = new Uint8Array([...gzipBytes(a), ...gzipBytes(b)]);
  assert.deepEqual(await gunzipCapped(two, 11), enc.encode("hello world"));
  const big = new Uint8Array(300_000).fill(7);
  const lying = gzipBytes(big);
  new DataView(lying.buffer).setUint32(lying.length - 4, 10, true); // ISIZE says 10
  await assert.rejects(gunzipCapped(lying, 1_000_000)); // the trailer check still fails
  assert.deepEqual(await gunzipCapped(gzipBytes(big), 300_000), big);
  await assert.rejects(gunzipCapped(gzipBytes(big), 299_999), RangeError);
  await assert.rejects(gunzipCapped(enc.encode("not gzip at all, no"), 100), /header/);
});

Deno.test("gunzipCapped() stops inflating at the cap: data past it is never reached", async () => {
  // 2 MiB of zeros, then garbage: inflating in full would fail on the garbage.
  const deflated = deflateRawSync(new Uint8Array(2 * 1024 * 1024), { finishFlush: 2 });
  const bomb = new Uint8Array([...GZIP_HEADER, ...deflated, ...new Uint8Array(64).fill(0xff)]);
  await assert.rejects(gunzipCapped(bomb, 4 * 1024 * 1024), /invalid|corrupt|incorrect/i);
  await assert.rejects(gunzipCapped(bomb, 1024 * 1024), RangeError);
});
