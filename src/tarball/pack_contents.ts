/**
 * Streams files into a gzipped tar (the package's `contents.tar.gz`, or a docs
 * tarball) without holding more than one file's chunk and the compressed
 * output in memory. Size limits are enforced while streaming, so an oversized
 * project stops at the limit instead of being read to the end.
 *
 * @module
 */

import { createTarPacker } from "modern-tar";
import { HexpubError, TarballError } from "../errors.ts";
import { createGzipWriter } from "./gzip.ts";
import type { PackageFile } from "./package_file.ts";
import { hexTarHeader } from "./tar_header.ts";

/** What {@link packContents} produced. */
export interface PackedContents {
  /** The gzipped tar. */
  compressed: Uint8Array;
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
}

const BLOCK = 512;

function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/**
 * The smallest tar these files can make: one header block each, the padded
 * contents and the two end blocks (PAX records only add to it).
 *
 * @param files The entries.
 * @returns A lower bound of the uncompressed tar size in bytes.
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
 * Writes a file's bytes into its tar entry: read whole when small (or when only
 * `content`/`read` is available), else streamed chunk by chunk so a large file
 * costs little memory and stops being read as soon as a limit is hit.
 */
async function writeContent(
  file: PackageFile,
  expected: number,
  writer: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  if (file.content || (file.read && (expected <= WHOLE_READ_MAX || !file.open))) {
    const bytes = file.content ?? await file.read!();
    if (bytes.length !== expected) throw changedError(file.path, expected, bytes.length);
    if (bytes.length > 0) await writer.write(bytes);
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
      await writer.write(value);
    }
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  }
  if (seen !== expected) throw changedError(file.path, expected, seen);
}

/**
 * Packs files into a gzipped tar, one file at a time, checking the limits as the
 * bytes flow: the uncompressed tar is counted as modern-tar's packer emits it,
 * and the compressed size as zlib emits it, so oversized input stops early.
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

  const chunks: Uint8Array[] = [];
  let compressedSize = 0;
  let uncompressedSize = 0;
  const gzip = createGzipWriter((chunk) => {
    compressedSize += chunk.length;
    if (compressedSize > options.maxCompressedSize) throw options.compressedError();
    chunks.push(chunk);
  }, options.level ?? 6);
  const { readable, controller } = createTarPacker();

  // Drains the packer into gzip in a plain loop (no stream pipeline per chunk).
  const draining = (async () => {
    const reader = readable.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        uncompressedSize += value.length;
        if (uncompressedSize > options.maxUncompressedSize) throw options.uncompressedError();
        await gzip.write(value);
      }
      await gzip.end();
    } catch (err) {
      gzip.destroy();
      await reader.cancel(err).catch(() => {});
      throw err;
    }
  })();

  const writing = (async () => {
    try {
      for (const file of files) {
        if (file.kind !== "file" && file.kind !== "dir" && file.kind !== "symlink") {
          throw new TypeError(`Cannot pack "${file.path}": unsupported kind ${file.kind}`);
        }
        const expected = file.kind === "file" ? fileSize(file) : 0;
        const entry = controller.add(hexTarHeader({ ...file, kind: file.kind, size: expected }));
        const writer = entry.getWriter();
        if (file.kind === "file") await writeContent(file, expected, writer);
        await writer.close();
      }
      controller.finalize();
    } catch (err) {
      controller.error(err);
      throw err;
    }
  })();

  const [written, drained] = await Promise.allSettled([writing, draining]);
  if (written.status === "fulfilled" && drained.status === "fulfilled") {
    const compressed = new Uint8Array(compressedSize);
    let offset = 0;
    for (const chunk of chunks.splice(0)) {
      compressed.set(chunk, offset);
      offset += chunk.length;
    }
    return { compressed, uncompressedSize };
  }
  const errors = [written, drained].flatMap((r) => r.status === "rejected" ? [r.reason] : []);
  throw errors.find((e) => e instanceof TarballError) ?? errors[0];
}
