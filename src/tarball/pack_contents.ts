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
import { gzipStream } from "./gzip.ts";
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

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

function changedError(path: string, expected: number, actual: string): HexpubError {
  return new HexpubError(
    `Cannot pack "${path}": read ${actual} bytes, expected ${expected}`,
    { hint: "The file changed while hexpub was reading it: run the build again" },
  );
}

/** Passes a file's bytes through, failing when there are more or fewer than promised. */
function exactSize(path: string, expected: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.length;
      if (seen > expected) throw changedError(path, expected, `more than ${expected}`);
      controller.enqueue(chunk);
    },
    flush() {
      if (seen !== expected) throw changedError(path, expected, String(seen));
    },
  });
}

/** Counts bytes going through, failing beyond `max`. */
function capped(
  max: number,
  error: () => TarballError,
  onCount: (n: number) => void,
): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      if (total > max) throw error();
      onCount(total);
      controller.enqueue(chunk);
    },
  });
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  max: number,
  error: () => TarballError,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      const err = error();
      await reader.cancel(err).catch(() => {});
      throw err;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function openContent(file: PackageFile): Promise<ReadableStream<Uint8Array>> {
  if (file.content) return bytesStream(file.content);
  if (file.open) return await file.open();
  throw new TypeError(`Package file "${file.path}" has neither content nor open()`);
}

/**
 * Packs entries, in the given order, into a gzipped tar with hex_core's
 * headers. Files are opened one at a time.
 *
 * The entries must already be validated (see `checkPackageFile`).
 *
 * @param files The entries.
 * @param options Limits and the errors to throw when they are passed.
 * @returns The gzipped tar and its uncompressed size.
 * @throws {TarballError} From `uncompressedError` or `compressedError`.
 * @throws {HexpubError} When a file's length differs from its `size`.
 */
export async function packContents(
  files: PackageFile[],
  options: PackContentsOptions,
): Promise<PackedContents> {
  if (minimumTarSize(files) > options.maxUncompressedSize) throw options.uncompressedError();

  let uncompressedSize = 0;
  const { readable, controller } = createTarPacker();
  const compressed = collect(
    readable
      .pipeThrough(capped(options.maxUncompressedSize, options.uncompressedError, (n) => {
        uncompressedSize = n;
      }))
      .pipeThrough(gzipStream(options.level ?? 6)),
    options.maxCompressedSize,
    options.compressedError,
  );

  const writing = (async () => {
    try {
      for (const file of files) {
        if (file.kind !== "file" && file.kind !== "dir" && file.kind !== "symlink") {
          throw new TypeError(`Cannot pack "${file.path}": unsupported kind ${file.kind}`);
        }
        const size = file.kind === "file" ? fileSize(file) : 0;
        const body = controller.add(hexTarHeader({ ...file, kind: file.kind, size }));
        if (file.kind === "file") {
          const source = await openContent(file);
          await source.pipeThrough(exactSize(file.path, size)).pipeTo(body);
        } else {
          await body.close();
        }
      }
      controller.finalize();
    } catch (err) {
      controller.error(err);
      throw err;
    }
  })();

  const [written, packed] = await Promise.allSettled([writing, compressed]);
  if (packed.status === "fulfilled" && written.status === "fulfilled") {
    return { compressed: packed.value, uncompressedSize };
  }
  const errors = [written, packed].flatMap((r) => r.status === "rejected" ? [r.reason] : []);
  throw errors.find((e) => e instanceof TarballError) ?? errors[0];
}
