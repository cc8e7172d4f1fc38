/**
 * gzip as hex_core writes it: raw deflate wrapped in a fixed 10-byte header
 * (no name, MTIME 0, XFL 0, OS 0) and the usual CRC-32 + ISIZE trailer, so the
 * same input always gives the same bytes (for one zlib build).
 *
 * @module
 */

import { crc32, createDeflateRaw, deflateRawSync, gunzipSync } from "node:zlib";

/** The header hex_core writes: ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=0. */
export const GZIP_HEADER: Uint8Array = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0);

/**
 * Deflate output depends on how the input is split into calls, so the stream
 * re-blocks its input into slices of this size before compressing. The same
 * bytes then compress the same way whatever chunks the caller produced.
 */
const BLOCK = 64 * 1024;

function deflateOptions(level: number) {
  return { level, windowBits: 15, memLevel: 8 };
}

function trailer(crc: number, size: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, crc >>> 0, true);
  view.setUint32(4, size % 0x1_0000_0000, true);
  return out;
}

/** A gzip writer: bytes go in with `write`, compressed chunks come out through `onChunk`. */
export interface GzipWriter {
  /** Compresses `bytes` (which may be reused once the promise settles). */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes the rest and the CRC-32/ISIZE trailer. */
  end(): Promise<void>;
  /** Stops compressing and frees zlib's state. */
  destroy(): void;
}

/**
 * Creates a hex_core-style gzip writer without web streams: input is copied
 * into one reused 64 KiB block that is handed to zlib when full, so the output
 * depends only on the bytes (not on how callers chunk them) and, at level 6,
 * equals `gzipBytes`.
 *
 * @param onChunk Receives every compressed chunk in order, header first; a throw
 *   from it stops the writer and is rethrown by `write`/`end`.
 */
export function createGzipWriter(onChunk: (chunk: Uint8Array) => void, level = 6): GzipWriter {
  const deflate = createDeflateRaw(deflateOptions(level));
  const block = new Uint8Array(BLOCK);
  let filled = 0;
  let crc = 0;
  let size = 0;
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    deflate.destroy();
  };
  deflate.on("data", (chunk: Uint8Array) => {
    if (failure) return;
    try {
      onChunk(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (err) {
      fail(err);
    }
  });
  deflate.on("error", fail);
  const push = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      deflate.write(bytes, (err?: Error | null) => {
        if (failure ?? err) reject(failure ?? err);
        else resolve();
      });
    });
  onChunk(GZIP_HEADER.slice());
  return {
    async write(bytes) {
      if (failure) throw failure;
      crc = crc32(bytes, crc);
      size += bytes.length;
      let offset = 0;
      while (offset < bytes.length) {
        const take = Math.min(BLOCK - filled, bytes.length - offset);
        block.set(bytes.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === BLOCK) {
          // zlib has consumed the block when the write callback runs, so it can be refilled.
          await push(block);
          filled = 0;
        }
      }
    },
    async end() {
      if (filled > 0) await push(block.subarray(0, filled));
      filled = 0;
      await new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        deflate.once("end", () => (failure ? reject(failure) : resolve()));
        deflate.once("close", () => reject(failure ?? new Error("gzip writer closed early")));
        deflate.end();
        deflate.resume();
      });
      if (failure) throw failure;
      onChunk(trailer(crc, size));
    },
    destroy() {
      fail(new Error("gzip writer destroyed"));
    },
  };
}

/**
 * Gzips bytes in memory, hex_core style.
 *
 * @param bytes The data.
 * @param level zlib compression level, 0–9.
 * @returns The gzip member: fixed header, raw deflate, CRC-32 and ISIZE.
 */
export function gzipBytes(bytes: Uint8Array, level = 6): Uint8Array {
  const body = deflateRawSync(bytes, deflateOptions(level));
  const result = new Uint8Array(GZIP_HEADER.length + body.length + 8);
  result.set(GZIP_HEADER, 0);
  result.set(body, GZIP_HEADER.length);
  result.set(trailer(crc32(bytes), bytes.length), GZIP_HEADER.length + body.length);
  return result;
}

/** Options of {@link gunzipBytes}. */
export interface GunzipOptions {
  /** Refuse to produce more than this many bytes (a zip-bomb guard). */
  maxOutputLength?: number;
}

/**
 * Decompresses gzip data (any valid gzip, checking CRC-32 and ISIZE).
 *
 * @param bytes The gzip data.
 * @param options Output cap.
 * @returns The decompressed bytes.
 * @throws {RangeError} When the output would exceed `maxOutputLength`.
 * @throws {Error} When the data is not valid gzip.
 */
export function gunzipBytes(bytes: Uint8Array, options: GunzipOptions = {}): Uint8Array {
  const result = options.maxOutputLength === undefined
    ? gunzipSync(bytes)
    : gunzipSync(bytes, { maxOutputLength: Math.max(1, options.maxOutputLength) });
  return new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
}
