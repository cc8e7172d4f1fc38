/**
 * Builds a Hex package tarball (format version 3) the way hex_core's
 * `hex_tarball:create/3` does, plus the checks mix and hex_core ≥0.16 make
 * before they write one.
 *
 * Layout: an uncompressed ustar holding `VERSION` (`3`), `CHECKSUM` (inner
 * checksum, upper-case hex), `metadata.config` and `contents.tar.gz` (the
 * package files, gzipped), in that order.
 *
 * @module
 */

import { TarballError } from "../errors.ts";
import type { Term } from "../erlang/term.ts";
import { sha256Hex } from "./checksum.ts";
import { formatMegabytes, type Limits, resolveLimits } from "./limits.ts";
import { encodeMetadata } from "./metadata_config.ts";
import { packContents } from "./pack_contents.ts";
import { tarOfFiles } from "./ustar.ts";
import type { PackageFile } from "./package_file.ts";
import { checkPackageFile, normalizeArchivePath } from "./safe_path.ts";

/** The tarball format version this module writes. */
const TARBALL_VERSION = "3";

/** A file name Hex writes next to unpacked packages, so packages may not carry it. */
const RESERVED_FILE = "hex_metadata.config";

/** What to build. */
export interface CreatePackageInput {
  /** Metadata entries (`name`, `version`, `files`, …), written sorted by key. */
  metadata: [string, Term][];
  /** The package files, packed in this order. */
  files: PackageFile[];
  /** Overrides of hex_core's size limits. */
  limits?: Partial<Limits>;
  /** zlib level for `contents.tar.gz` (default 6). */
  level?: number;
}

/** A built package tarball. */
export interface PackageTarball {
  /** The outer tar, as uploaded to Hex. */
  tarball: Uint8Array;
  /** SHA-256 of `VERSION ‖ metadata.config ‖ contents.tar.gz`, 64 upper-case hex digits. */
  innerChecksum: string;
  /** SHA-256 of `tarball`, 64 lower-case hex digits (what Hex calls the checksum). */
  outerChecksum: string;
  /** The `metadata.config` text. */
  metadataConfig: string;
  /** Size of the package files' tar before compression. */
  uncompressedSize: number;
  /** Size of `contents.tar.gz`. */
  contentsSize: number;
}

const encoder = new TextEncoder();

const SHRINK_HINT = "Exclude large files with exclude_paths or exclude_patterns in the .app.src";

function tooBigUncompressed(max: number): TarballError {
  return new TarballError(
    "too_big_uncompressed",
    `package exceeds max uncompressed size ${formatMegabytes(max)} MB`,
    { hint: SHRINK_HINT },
  );
}

function tooBig(max: number): TarballError {
  return new TarballError(
    "too_big",
    `package exceeds max compressed size ${formatMegabytes(max)} MB`,
    {
      hint: SHRINK_HINT,
    },
  );
}

/** Size of a ustar holding in-memory files of these sizes (no PAX needed). */
function outerTarSize(sizes: number[]): number {
  return sizes.reduce((n, size) => n + 512 + Math.ceil(size / 512) * 512, 1024);
}

function checkFiles(files: PackageFile[]): void {
  for (const file of files) {
    checkPackageFile(file);
    if (normalizeArchivePath(file.path) === RESERVED_FILE) {
      throw new TarballError("reserved_file", `reserved file in package: ${file.path}`, {
        hint: `Hex writes ${RESERVED_FILE} when it unpacks a package: rename the file, or ` +
          "exclude it with exclude_paths or exclude_patterns in the .app.src",
      });
    }
  }
}

/**
 * Builds a package tarball.
 *
 * Files are validated first (paths, symlinks, kinds, reserved names), then
 * streamed one at a time through the tar packer and gzip; the size limits are
 * enforced as the bytes flow. The result is deterministic: the same input
 * gives the same bytes (for one Deno/zlib build).
 *
 * @param input Metadata, files and optional limit overrides.
 * @returns The tarball, its checksums and sizes.
 * @throws {TarballError} `empty`, `metadata_too_big`, `unsafe_path`, `unsafe_symlink`,
 *   `unsupported_file_type`, `reserved_file`, `too_big_uncompressed` or `too_big`.
 * @throws {TypeError} For metadata that cannot be written (floats, duplicate keys).
 */
export async function createPackageTarball(input: CreatePackageInput): Promise<PackageTarball> {
  const limits = resolveLimits(input.limits);
  if (input.files.length === 0) {
    throw new TarballError("empty", "package has no files", {
      hint: "Check the files the package includes: include_paths, exclude_paths and " +
        "exclude_patterns in the .app.src",
    });
  }

  const metadataConfig = encodeMetadata(input.metadata);
  const metadataBytes = encoder.encode(metadataConfig);
  if (metadataBytes.length > limits.maxMetadataSize) {
    throw new TarballError("metadata_too_big", "file too big: metadata.config", {
      hint: `metadata.config is ${metadataBytes.length} bytes, the limit is ` +
        `${limits.maxMetadataSize}: shorten the description or drop unneeded metadata`,
    });
  }

  checkFiles(input.files);

  const version = encoder.encode(TARBALL_VERSION);
  const headroom = version.length + metadataBytes.length;
  const { compressed, withHeadroom: inner, uncompressedSize } = await packContents(input.files, {
    maxUncompressedSize: limits.maxUncompressedSize,
    maxCompressedSize: limits.maxSize,
    uncompressedError: () => tooBigUncompressed(limits.maxUncompressedSize),
    compressedError: () => tooBig(limits.maxSize),
    level: input.level,
    headroom,
  });

  // The inner checksum covers VERSION ‖ metadata.config ‖ contents.tar.gz. WebCrypto
  // has no incremental hashing, so the packer left room for the first two in
  // front of the compressed bytes: one contiguous buffer, no copy.
  inner.set(version, 0);
  inner.set(metadataBytes, version.length);
  const innerChecksum = (await sha256Hex(inner)).toUpperCase();
  const checksum = encoder.encode(innerChecksum);

  const outer: [string, Uint8Array][] = [
    ["VERSION", version],
    ["CHECKSUM", checksum],
    ["metadata.config", metadataBytes],
    ["contents.tar.gz", compressed],
  ];
  if (outerTarSize(outer.map(([, bytes]) => bytes.length)) > limits.maxSize) {
    throw tooBig(limits.maxSize);
  }
  const tarball = tarOfFiles(outer);

  return {
    tarball,
    innerChecksum,
    outerChecksum: await sha256Hex(tarball),
    metadataConfig,
    uncompressedSize,
    contentsSize: compressed.length,
  };
}
