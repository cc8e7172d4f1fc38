/**
 * gzip as hex_core writes it: raw deflate wrapped in a fixed 10-byte header
 * (no name, MTIME 0, XFL 0, OS 0) and the usual CRC-32 + ISIZE trailer.
 *
 * hex_core (src/hex_tarball.erl, gzip/1) deflates with OTP's zlib at
 * `deflateInit(Z, default, deflated, -15, 8, default)` in one `deflate(Z, Data,
 * finish)` call, and OTP links the system zlib (1.2.13 on Debian 12). The
 * deflate here is pako 2.1.0, a line-by-line JavaScript port of zlib 1.2.x,
 * which gives zlib's bytes exactly at levels 1–9 (level 0 frames stored blocks
 * differently since zlib 1.2.12). Deno's node:zlib (zlib-ng) and pako 3 choose
 * matches differently, so their bytes differ from hex_core's. Like zlib's,
 * pako's output at levels 1–9 does not depend on how the input is split into
 * calls (no flushes are made), so the streaming writer needs no re-blocking.
 *
 * Decompression stays on node:zlib: any valid gzip reads back the same.
 * {@link gunzipCapped}, for archives from others (uploads, downloads), inflates
 * chunk by chunk into one buffer and stops as soon as the output passes its
 * limit, so a gzip bomb costs at most the limit, never the bomb's full size.
 *
 * @module
 */

// @ts-types="@types/pako"
import { Deflate, deflateRaw } from "pako";
import { crc32, createGunzip, gunzipSync } from "node:zlib";

/**
 * The header hex_core writes: ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=0.
 *
 * Exported for tests, which check the bytes hex_core writes.
 */
export const GZIP_HEADER: Uint8Array = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0);

/** Size of the output chunks the writer hands on (pako's default is 16 KiB). */
const OUTPUT_CHUNK = 64 * 1024;

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** zlib's defaults, as hex_core passes them: raw deflate, 32 KiB window, memLevel 8. */
function deflateOptions(level: number) {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`gzip level must be an integer from 0 to 9, got ${level}`);
  }
  return { level: level as Level, windowBits: 15, memLevel: 8, strategy: 0 as const };
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
  /** Stops compressing and drops the deflate state. */
  destroy(): void;
}

/**
 * Creates a hex_core-style gzip writer. Each `write` is deflated at once (the
 * deflater copies what it needs into its fixed state of about 300 KiB, so
 * memory stays bounded by that and one output chunk); at levels 1–9 the output depends
 * only on the bytes, not on how callers chunk them, and equals `gzipBytes`
 * (level 0 stores blocks as input arrives, so there the chunks show).
 *
 * @param onChunk Receives every compressed chunk in order, header first; a chunk is
 *   valid only during the call (copy what you keep); a throw
 *   from it stops the writer and is rethrown by `write`/`end`.
 * @param level zlib compression level, 0–9.
 */
export function createGzipWriter(onChunk: (chunk: Uint8Array) => void, level = 6): GzipWriter {
  const deflate = new Deflate({ ...deflateOptions(level), raw: true, chunkSize: OUTPUT_CHUNK });
  let crc = 0;
  let size = 0;
  let failure: unknown;
  let ended = false;
  deflate.onData = (data) => {
    const chunk = data as Uint8Array;
    onChunk(chunk);
    // pako hands over a fresh 64 KiB buffer per full chunk and never touches it
    // again; freeing it at once keeps a large build's garbage down.
    const buffer = chunk.buffer;
    if (
      buffer instanceof ArrayBuffer && chunk.byteOffset === 0 &&
      chunk.byteLength === buffer.byteLength
    ) {
      buffer.transfer(0);
    }
  };
  const push = (bytes: Uint8Array, last: boolean) => {
    if (failure) throw failure;
    if (ended) throw new Error("gzip writer already ended");
    try {
      if (!deflate.push(bytes, last)) throw new Error(`deflate failed: ${deflate.msg}`);
    } catch (err) {
      failure ??= err;
      throw failure;
    }
  };
  onChunk(GZIP_HEADER.slice());
  return {
    // deno-lint-ignore require-await
    async write(bytes) {
      if (bytes.length === 0 && !failure) return;
      push(bytes, false);
      crc = crc32(bytes, crc);
      size += bytes.length;
    },
    // deno-lint-ignore require-await
    async end() {
      push(new Uint8Array(0), true);
      ended = true;
      onChunk(trailer(crc, size));
    },
    destroy() {
      failure ??= new Error("gzip writer destroyed");
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
  const body = deflateRaw(bytes, deflateOptions(level));
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

/** Output chunk size of {@link gunzipCapped}'s inflater. */
const INFLATE_CHUNK = 256 * 1024;

/**
 * Decompresses gzip data (any valid gzip, several members too, checking
 * CRC-32 and ISIZE) with a hard cap on the output, checked while inflating:
 * inflation stops at the first chunk past `maxOutputLength`, so memory stays
 * bounded by the cap (one buffer, sized from the ISIZE trailer when that is
 * within the cap, grown otherwise), whatever the data claims.
 *
 * @param bytes The gzip data.
 * @param maxOutputLength The most bytes it may inflate to.
 * @returns The decompressed bytes.
 * @throws {RangeError} As soon as the output passes `maxOutputLength`.
 * @throws {Error} When the data is not valid gzip.
 */
export function gunzipCapped(bytes: Uint8Array, maxOutputLength: number): Promise<Uint8Array> {
  // ISIZE (the last member's size mod 2^32) is a hint only: a wrong one costs a regrow.
  const hint = bytes.length >= 18
    ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true)
    : 0;
  let out = new Uint8Array(Math.min(Math.max(hint, 64 * 1024), maxOutputLength, 0x7fff_ffff));
  let size = 0;
  return new Promise((resolve, reject) => {
    const inflater = createGunzip({ chunkSize: INFLATE_CHUNK });
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      inflater.destroy();
      out = new Uint8Array(0);
      reject(err);
    };
    inflater.on("data", (chunk: Uint8Array) => {
      if (done) return;
      if (size + chunk.length > maxOutputLength) {
        fail(new RangeError(`gzip data inflates to more than ${maxOutputLength} bytes`));
        return;
      }
      if (size + chunk.length > out.length) {
        const grown = new Uint8Array(
          Math.min(Math.max(out.length * 2, size + chunk.length), maxOutputLength),
        );
        grown.set(out.subarray(0, size));
        out = grown;
      }
      out.set(chunk, size);
      size += chunk.length;
    });
    inflater.on("error", fail);
    inflater.on("end", () => {
      if (done) return;
      done = true;
      resolve(out.subarray(0, size));
    });
    inflater.end(bytes);
  });
}
