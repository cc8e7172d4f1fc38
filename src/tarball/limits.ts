/**
 * Size limits of Hex tarballs, as hex_core's default config sets them
 * (`tarball_max_size`, `tarball_max_uncompressed_size`, metadata cap).
 *
 * @module
 */

/** Size limits a tarball builder or reader enforces, in bytes. */
export interface Limits {
  /** Largest tarball as uploaded (the outer tar, or the gzipped docs tar). */
  maxSize: number;
  /** Largest uncompressed tar of the package (or docs) files. */
  maxUncompressedSize: number;
  /** Largest `metadata.config` (package tarballs only). */
  maxMetadataSize: number;
}

/** 16 MiB: hex_core `tarball_max_size` and hexpm's upload limit. */
export const MAX_TARBALL_SIZE = 16 * 1024 * 1024;
/** 128 MiB: hex_core `tarball_max_uncompressed_size`. */
const MAX_UNCOMPRESSED_SIZE = 128 * 1024 * 1024;
/** 1 MiB: hex_core's cap on `metadata.config` (create and unpack). */
const MAX_METADATA_SIZE = 1024 * 1024;

/**
 * hex_core's defaults for package tarballs.
 *
 * Exported for tests, which check hex_core's limits.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxSize: MAX_TARBALL_SIZE,
  maxUncompressedSize: MAX_UNCOMPRESSED_SIZE,
  maxMetadataSize: MAX_METADATA_SIZE,
});

/** hex_core's defaults for docs tarballs (`docs_tarball_max_size` and friends). */
export const DEFAULT_DOCS_LIMITS: Readonly<Limits> = DEFAULT_LIMITS;

/**
 * Fills in the limits a caller left out.
 *
 * @param limits Overrides (tests pass tiny ones).
 * @returns Every limit, defaults where not given.
 */
export function resolveLimits(limits: Partial<Limits> = {}): Limits {
  return {
    maxSize: limits.maxSize ?? DEFAULT_LIMITS.maxSize,
    maxUncompressedSize: limits.maxUncompressedSize ?? DEFAULT_LIMITS.maxUncompressedSize,
    maxMetadataSize: limits.maxMetadataSize ?? DEFAULT_LIMITS.maxMetadataSize,
  };
}

/**
 * Prints a byte count the way hex_core's error texts do: in decimal megabytes
 * (`16777216` → `16.777216`).
 *
 * @param bytes A size in bytes.
 * @returns The size divided by 1,000,000, shortest decimal form.
 */
export function formatMegabytes(bytes: number): string {
  return String(bytes / 1_000_000);
}
