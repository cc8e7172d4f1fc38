/**
 * Streams files into a gzipped tar (the package's `contents.tar.gz`, or a docs
 * tarball) without holding more than two small files (or one large file's
 * chunk) and the compressed output in memory. Size limits are enforced while streaming, so an oversized
 * project stops at the limit instead of being read to the end.
 *
 * @module
 */

import { HexpubError, TarballError } from "../errors.ts";
import { createGzipWriter } from "./gzip.ts";
import type { PackageFile } from "./package_file.ts";
import { BLOCK, encodeHeader, END_OF_ARCHIVE, padding, paxProblem } from "./ustar.ts";

/** What {@link packContents} produced. */
export interface PackedContents {
  /** The gzipped tar. */
  compressed: Uint8Array;
  /** `headroom` free bytes followed by `compressed`, in the same memory. */
  withHeadroom: Uint8Array;
  /** Size of the tar before compression. */
  uncompressedSize: number;
}

/** Limits and errors of {@link packContents}. */
export interface PackContentsOptions {
  /** Fail once the uncompressed tar grows beyond this many bytes. */
  maxUncompressedSize: number;
  /** Fail once the gzipped tar grows beyond this many bytes. */
  maxCompressedSize: number;
  /** Builds the error for the uncompressed limit. */
  uncompressedError: () => TarballError;
  /** Builds the error for the compressed limit. */
  compressedError: () => TarballError;
  /** zlib level (default 6). */
  level?: number;
  /** Bytes to leave free before the compressed data in the returned buffer. */
  headroom?: number;
}

function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/**
 * The smallest tar these files can make: one header block each, the padded
 * contents and the two end blocks (PAX records only add to it).
 *
 * @param files The entries.
 * @returns A lower bound of the uncompressed tar size in bytes.
 *
 * Exported for tests, which check it against the packed size.
 */
export function minimumTarSize(files: PackageFile[]): number {
  let total = 2 * BLOCK;
  for (const file of files) {
    total += BLOCK + (file.kind === "file" ? paddedSize(fileSize(file)) : 0);
  }
  return total;
}

function fileSize(file: PackageFile): number {
  return file.content ? file.content.length : file.size;
}

function changedError(path: string, expected: number, actual: number): HexpubError {
  return new HexpubError(
    `Cannot pack "${path}": read ${actual} bytes, expected ${expected}`,
    { hint: "The file changed while hexpub was reading it: run the build again" },
  );
}

/** Files up to this size are read whole (one read per file is far cheaper than a stream). */
const WHOLE_READ_MAX = 4 * 1024 * 1024;

/**
 * Packs files into a gzipped tar, one file at a time, in a plain loop: each
 * entry's header, bytes and padding go straight into the gzip writer, which
 * deflates them at once. Small files are read whole, the next one while this
 * one is deflated (so at most two are held); large ones are read chunk by
 * chunk, so a file that breaks a limit stops being read at once. The
 * uncompressed size is counted as the tar is written and the compressed size
 * as the deflater emits it.
 *
 * @param files The entries, in order.
 * @param options Limits, the errors they raise, and the deflate level.
 * @returns The gzipped tar and the size of the tar before compression.
 */
export async function packContents(
  files: PackageFile[],
  options: PackContentsOptions,
): Promise<PackedContents> {
  if (minimumTarSize(files) > options.maxUncompressedSize) throw options.uncompressedError();
  for (const file of files) {
    if (file.kind !== "file" && file.kind !== "dir" && file.kind !== "symlink") continue;
    const problem = paxProblem({ ...file, kind: file.kind, size: 0 });
    if (problem) {
      throw new TarballError("unsafe_path", `${problem} cannot be read back by Hex`, {
        hint: "Hex's tar reader (erl_tar) cannot read non-ASCII or very long names that contain " +
          "spaces: rename the file without spaces, or exclude it",
      });
    }
  }

  // Compressed bytes go straight into one buffer as zlib emits them: sized to the
  // limit, its untouched pages are never made resident, and no chunk list or
  // final concatenation is needed. `headroom` bytes at the front are left for
  // the caller (VERSION and metadata.config, for the inner checksum).
  const headroom = options.headroom ?? 0;
  const output = new Uint8Array(headroom + options.maxCompressedSize);
  let compressedSize = 0;
  let uncompressedSize = 0;
  const gzip = createGzipWriter((chunk) => {
    if (compressedSize + chunk.length > options.maxCompressedSize) {
      throw options.compressedError();
    }
    output.set(chunk, headroom + compressedSize);
    compressedSize += chunk.length;
  }, options.level ?? 6);
  const put = async (bytes: Uint8Array) => {
    uncompressedSize += bytes.length;
    if (uncompressedSize > options.maxUncompressedSize) throw options.uncompressedError();
    if (bytes.length > 0) await gzip.write(bytes);
  };

  // Whole reads run one file ahead: the next file is read on Deno's I/O threads
  // while this one is deflated on the main thread (deflate is synchronous).
  let ahead: { index: number; bytes: Promise<Uint8Array> } | undefined;
  const readAhead = (index: number) => {
    const next = files[index];
    ahead = undefined;
    if (next?.kind !== "file" || next.content || !readsWhole(next, fileSize(next))) return;
    const bytes = next.read!();
    bytes.catch(() => {}); // awaited when its turn comes; a failure ahead of it wins
    ahead = { index, bytes };
  };

  try {
    for (const [index, file] of files.entries()) {
      if (file.kind !== "file" && file.kind !== "dir" && file.kind !== "symlink") {
        throw new TypeError(`Cannot pack "${file.path}": unsupported kind ${file.kind}`);
      }
      const size = file.kind === "file" ? fileSize(file) : 0;
      const whole = ahead?.index === index ? ahead.bytes : undefined;
      readAhead(index + 1);
      await put(encodeHeader({ ...file, kind: file.kind, size }));
      if (file.kind !== "file") continue;
      await writeContent(file, size, put, whole);
      await put(padding(size));
    }
    await put(END_OF_ARCHIVE);
    await gzip.end();
  } catch (err) {
    gzip.destroy();
    throw err;
  }

  const used = output.subarray(0, headroom + compressedSize);
  return { compressed: used.subarray(headroom), withHeadroom: used, uncompressedSize };
}

/**
 * Frees the memory of a buffer `read()` handed over, at once. The deflater has
 * copied what it needs by then; left to the garbage collector, thousands of
 * small files' buffers pile up outside the JavaScript heap (measured: about
 * 40 MB more peak memory on a 100 MiB project). Only a buffer that is a whole
 * ArrayBuffer of its own is released.
 */
function release(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (
    buffer instanceof ArrayBuffer && bytes.byteOffset === 0 &&
    bytes.byteLength === buffer.byteLength
  ) {
    buffer.transfer(0);
  }
}

/** Whether a file is taken in one piece (`content`, or one `read()`) rather than streamed. */
function readsWhole(file: PackageFile, size: number): boolean {
  return !!file.content || (!!file.read && (size <= WHOLE_READ_MAX || !file.open));
}

/**
 * Writes a file's bytes through `put`, checking they are exactly `expected` long.
 * `whole` is its `read()` when already started.
 */
async function writeContent(
  file: PackageFile,
  expected: number,
  put: (bytes: Uint8Array) => Promise<void>,
  whole?: Promise<Uint8Array>,
): Promise<void> {
  if (readsWhole(file, expected)) {
    if (file.content) {
      if (file.content.length !== expected) {
        throw changedError(file.path, expected, file.content.length);
      }
      return await put(file.content);
    }
    const bytes = await (whole ?? file.read!());
    try {
      if (bytes.length !== expected) throw changedError(file.path, expected, bytes.length);
      await put(bytes);
    } finally {
      release(bytes);
    }
    return;
  }
  if (!file.open) {
    throw new TypeError(`Package file "${file.path}" has neither content, read() nor open()`);
  }
  const reader = (await file.open()).getReader();
  let seen = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.length;
      if (seen > expected) throw changedError(file.path, expected, seen);
      await put(value);
    }
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  }
  if (seen !== expected) throw changedError(file.path, expected, seen);
}
