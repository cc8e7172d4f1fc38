/**
 * Builds a Hex docs tarball: a gzipped ustar of the generated docs directory
 * with hex_core's headers (`hex_tarball:create_docs/2`), plus mix's client
 * rules: an `index.html` at the top, and no top-level name that looks like a
 * version (hexdocs serves each version under `/VERSION/`).
 *
 * @module
 */

import { TarballError } from "../errors.ts";
import { sha256Hex } from "./checksum.ts";
import { DEFAULT_DOCS_LIMITS, formatMegabytes, type Limits } from "./limits.ts";
import { packContents } from "./pack_contents.ts";
import type { PackageFile } from "./package_file.ts";
import { archivePathSegments, checkPackageFile, normalizeArchivePath } from "./safe_path.ts";

/** A built docs tarball. */
export interface DocsTarball {
  /** The gzipped tar, as uploaded to Hex. */
  tarball: Uint8Array;
  /** SHA-256 of `tarball`, 64 lower-case hex digits. */
  checksum: string;
  /** Size of the tar before compression. */
  uncompressedSize: number;
}

/** Docs limits a caller may override (metadata plays no part in docs). */
export type DocsLimits = Pick<Limits, "maxSize" | "maxUncompressedSize">;

/** Options of {@link createDocsTarball}: limit overrides and the zlib level. */
export interface DocsOptions extends Partial<DocsLimits> {
  /** zlib level (default 6). */
  level?: number;
}

/** SemVer 2.0.0 (semver.org), which Elixir's `Version.parse/1` follows. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const EXCLUDE_FROM_DOCS = "remove it from the docs directory";

const SHRINK_HINT = "Remove large assets from the docs directory, or pass --doc-dir with a " +
  "smaller docs build";

/**
 * Whether a name parses as a SemVer version (`1.0.0`, `2.1.0-rc.1+build`).
 *
 * @param name A file or directory name.
 * @returns `true` when hexdocs would take it for a version path.
 *
 * Exported for tests, which check the accepted forms directly.
 */
export function looksLikeVersion(name: string): boolean {
  return SEMVER.test(name);
}

function checkDocsFiles(files: PackageFile[]): void {
  const hasIndex = files.some((f) =>
    f.kind === "file" && !f.path.includes("\0") && normalizeArchivePath(f.path) === "index.html"
  );
  if (!hasIndex) {
    throw new TarballError("missing_index_html", "docs have no index.html at the top level", {
      hint: "Generate the docs first (check the doc provider in rebar.config, e.g. " +
        "{hex, [{doc, #{provider => ex_doc}}]}), or pass --doc-dir DIR where DIR holds index.html",
    });
  }
  for (const file of files) {
    checkPackageFile(file, EXCLUDE_FROM_DOCS);
    const top = archivePathSegments(normalizeArchivePath(file.path))[0];
    if (top !== undefined && looksLikeVersion(top)) {
      throw new TarballError(
        "invalid_docs",
        `invalid docs file name "${file.path}": top-level filenames cannot match a semantic ` +
          "version pattern",
        {
          hint:
            `Rename "${top}" or move it into a subdirectory: hexdocs serves versions at /VERSION/`,
        },
      );
    }
  }
}

/**
 * Builds a docs tarball. Files are streamed one at a time; limits are enforced
 * as the bytes flow.
 *
 * @param files The docs files, paths relative to the docs directory, packed in this order.
 * @param options Overrides of the 16 MiB compressed / 128 MiB uncompressed limits, zlib level.
 * @returns The tarball, its checksum and uncompressed size.
 * @throws {TarballError} `missing_index_html`, `unsafe_path`, `unsafe_symlink`,
 *   `unsupported_file_type`, `invalid_docs`, `too_big_uncompressed` or `too_big`.
 */
export async function createDocsTarball(
  files: PackageFile[],
  options: DocsOptions = {},
): Promise<DocsTarball> {
  const maxSize = options.maxSize ?? DEFAULT_DOCS_LIMITS.maxSize;
  const maxUncompressedSize = options.maxUncompressedSize ??
    DEFAULT_DOCS_LIMITS.maxUncompressedSize;
  checkDocsFiles(files);

  const { compressed, uncompressedSize } = await packContents(files, {
    maxUncompressedSize,
    maxCompressedSize: maxSize,
    uncompressedError: () =>
      new TarballError(
        "too_big_uncompressed",
        `docs tarball exceeds max uncompressed size ${formatMegabytes(maxUncompressedSize)} MB`,
        { hint: SHRINK_HINT },
      ),
    compressedError: () =>
      new TarballError(
        "too_big",
        `docs tarball exceeds max compressed size ${formatMegabytes(maxSize)} MB`,
        { hint: SHRINK_HINT },
      ),
    level: options.level,
  });
  return { tarball: compressed, checksum: await sha256Hex(compressed), uncompressedSize };
}
