/**
 * Reads package and docs tarballs back, checking what hex_core's `unpack/3`
 * and `unpack_docs/3` check: sizes, the four outer entries, `VERSION` = `3`,
 * the inner checksum, the metadata, and that no inner entry or symlink points
 * outside the archive.
 *
 * @module
 */

import { type ParsedTarEntryWithData, unpackTar } from "modern-tar";
import { TarballError } from "../errors.ts";
import type { Term } from "../erlang/term.ts";
import { sha256Hex, sha256HexOfParts } from "./checksum.ts";
import { gunzipCapped } from "./gzip.ts";
import { formatMegabytes, type Limits, resolveLimits } from "./limits.ts";
import { decodeMetadata, decodeMetadataBytes, encodeTerm } from "./metadata_config.ts";
import {
  isSafeArchivePath,
  normalizeArchivePath,
  resolveSymlinkTarget,
  throughSymlink,
} from "./safe_path.ts";

/** One entry of an unpacked tarball. */
export interface UnpackedFile {
  /** Archive path, without a directory's trailing `/`. */
  path: string;
  /** What the entry is. */
  kind: "file" | "dir" | "symlink";
  /** Permission bits (`0o644`), file-type bits removed. */
  mode: number;
  /** A symlink's target. */
  target?: string;
  /** A file's content. */
  data?: Uint8Array;
}

/** An unpacked, verified package tarball. */
export interface UnpackedPackage {
  /** The `VERSION` entry (always `3`). */
  version: string;
  /** The inner checksum, 64 upper-case hex digits (verified against `CHECKSUM`). */
  innerChecksum: string;
  /** SHA-256 of the whole tarball, 64 lower-case hex digits: compare it with the registry's. */
  outerChecksum: string;
  /** The `metadata.config` text. */
  metadataConfig: string;
  /** The decoded metadata, sorted by key. */
  metadata: [string, Term][];
  /** The package files, in archive order. */
  files: UnpackedFile[];
}

/** An unpacked, verified docs tarball. */
export interface UnpackedDocs {
  /** SHA-256 of the tarball, 64 lower-case hex digits. */
  checksum: string;
  /** The docs files, in archive order. */
  files: UnpackedFile[];
}

const OUTER_FILES = ["VERSION", "CHECKSUM", "metadata.config", "contents.tar.gz"] as const;
const MAX_VERSION_SIZE = 32;
const MAX_CHECKSUM_SIZE = 128;
const UNSAFE_HINT = "Do not use this tarball: it may write outside the directory it is unpacked in";
const DAMAGED_HINT = "The tarball is damaged or was not made by a Hex client: rebuild it";

const ascii = new TextDecoder("ascii");

function invalid(message: string, cause?: unknown): TarballError {
  return new TarballError("invalid_tarball", message, { cause, hint: DAMAGED_HINT });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readTar(bytes: Uint8Array, label: string): Promise<ParsedTarEntryWithData[]> {
  try {
    return await unpackTar(bytes, { strict: true });
  } catch (err) {
    throw invalid(`${label} error, ${messageOf(err)}`, err);
  }
}

async function gunzip(
  bytes: Uint8Array,
  max: number,
  label: string,
  what: string,
): Promise<Uint8Array> {
  try {
    return await gunzipCapped(bytes, max);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new TarballError(
        "too_big_uncompressed",
        `${what} exceeds max uncompressed size ${formatMegabytes(max)} MB`,
        { cause: err, hint: DAMAGED_HINT },
      );
    }
    throw invalid(`${label} error, ${messageOf(err)}`, err);
  }
}

/** Checks and converts the entries of a contents or docs tar. */
function toFiles(entries: ParsedTarEntryWithData[], max: number, what: string): UnpackedFile[] {
  const files: UnpackedFile[] = [];
  let total = 0;
  for (const { header, data } of entries) {
    const name = header.name;
    // A backslash is a separator on Windows and a name character elsewhere:
    // paths that mean different things on different systems are refused.
    if (
      name.includes("\0") || name.includes("\\") || (header.linkname ?? "").includes("\\") ||
      !isSafeArchivePath(name) || normalizeArchivePath(name) === ""
    ) {
      throw new TarballError("unsafe_path", `unsafe path in tarball: ${name}`, {
        hint: UNSAFE_HINT,
      });
    }
    const path = name.replace(/\/+$/, "");
    const mode = (header.mode ?? 0) & 0o7777;
    switch (header.type) {
      case "file":
      case undefined:
        total += data?.length ?? 0;
        files.push({ path, kind: "file", mode, data: data ?? new Uint8Array() });
        break;
      case "directory":
        files.push({ path, kind: "dir", mode });
        break;
      case "symlink": {
        const target = header.linkname ?? "";
        if (target === "" || !isSafeArchivePath(resolveSymlinkTarget(path, target))) {
          throw new TarballError(
            "unsafe_symlink",
            `unsafe symlink in tarball: ${path} -> ${target}`,
            {
              hint: UNSAFE_HINT,
            },
          );
        }
        files.push({ path, kind: "symlink", mode, target });
        break;
      }
      default:
        throw new TarballError(
          "unsupported_file_type",
          `unsupported file type in tarball: ${path} (${header.type})`,
          { hint: DAMAGED_HINT },
        );
    }
    if (total > max) {
      throw new TarballError(
        "too_big_uncompressed",
        `${what} exceeds max uncompressed size ${formatMegabytes(max)} MB`,
        { hint: DAMAGED_HINT },
      );
    }
  }
  const through = throughSymlink(files);
  if (through) {
    throw new TarballError(
      "unsafe_symlink",
      `unsafe entry in tarball: ${through.path} (${through.why})`,
      { hint: UNSAFE_HINT },
    );
  }
  return files;
}

function tooBig(what: string, max: number): TarballError {
  return new TarballError(
    "too_big",
    `${what} exceeds max compressed size ${formatMegabytes(max)} MB`,
    {
      hint: DAMAGED_HINT,
    },
  );
}

/**
 * Unpacks a package tarball in memory and verifies it.
 *
 * @param tarball The outer tar.
 * @param limits Overrides of hex_core's size limits.
 * @returns Version, checksums, metadata and files.
 * @throws {TarballError} `too_big`, `too_big_uncompressed`, `metadata_too_big`, `empty`,
 *   `invalid_tarball` (bad tar, missing entries, wrong version, checksum mismatch),
 *   `invalid_metadata`, `unsafe_path`, `unsafe_symlink` or `unsupported_file_type`.
 */
export async function unpackPackage(
  tarball: Uint8Array,
  limits: Partial<Limits> = {},
): Promise<UnpackedPackage> {
  const { maxSize, maxUncompressedSize, maxMetadataSize } = resolveLimits(limits);
  if (tarball.length > maxSize) throw tooBig("package", maxSize);
  const outerChecksum = await sha256Hex(tarball);

  const entries = await readTar(tarball, "tarball");
  if (entries.length === 0) {
    throw new TarballError("empty", "empty tarball", { hint: DAMAGED_HINT });
  }
  const outer = new Map<string, Uint8Array>();
  for (const { header, data } of entries) {
    if ((header.type ?? "file") === "file" && data) outer.set(header.name, data);
  }

  if ((outer.get("VERSION")?.length ?? 0) > MAX_VERSION_SIZE) {
    throw invalid("file too big: VERSION");
  }
  if ((outer.get("CHECKSUM")?.length ?? 0) > MAX_CHECKSUM_SIZE) {
    throw invalid("file too big: CHECKSUM");
  }
  if ((outer.get("metadata.config")?.length ?? 0) > maxMetadataSize) {
    throw new TarballError("metadata_too_big", "file too big: metadata.config", {
      hint: DAMAGED_HINT,
    });
  }
  const missing = OUTER_FILES.filter((name) => !outer.has(name));
  if (missing.length > 0) {
    throw invalid(`missing files: [${missing.map((m) => `"${m}"`).join(",")}]`);
  }
  const version = outer.get("VERSION")!;
  const checksum = outer.get("CHECKSUM")!;
  const metadataBytes = outer.get("metadata.config")!;
  const contents = outer.get("contents.tar.gz")!;

  const versionText = ascii.decode(version);
  if (versionText !== "3") {
    throw invalid(`unsupported version: ${encodeTerm({ kind: "binary", bytes: version })}`);
  }

  const expected = ascii.decode(checksum);
  if (!/^[0-9a-fA-F]{64}$/.test(expected)) throw invalid("invalid tarball checksum");
  const innerChecksum = (await sha256HexOfParts([version, metadataBytes, contents])).toUpperCase();
  if (expected.toUpperCase() !== innerChecksum) {
    throw invalid(
      "tarball checksum mismatch\n\n" +
        `Expected (base16-encoded): ${expected.toUpperCase()}\n` +
        `Actual   (base16-encoded): ${innerChecksum}`,
    );
  }

  const metadataConfig = decodeMetadataBytes(metadataBytes);
  const metadata = decodeMetadata(metadataConfig);

  // The inflated tar is not kept: once read, only the entries' copies stay.
  const innerEntries = await readTar(
    await gunzip(contents, maxUncompressedSize, "inner tarball", "package"),
    "inner tarball",
  );
  const files = toFiles(innerEntries, maxUncompressedSize, "package");

  return { version: versionText, innerChecksum, outerChecksum, metadataConfig, metadata, files };
}

/**
 * Unpacks a docs tarball (gzipped tar) in memory and verifies its entries.
 *
 * @param tarball The gzipped tar.
 * @param limits Overrides of the 16 MiB / 128 MiB limits.
 * @returns The checksum and files.
 * @throws {TarballError} `too_big`, `too_big_uncompressed`, `invalid_tarball`,
 *   `unsafe_path`, `unsafe_symlink` or `unsupported_file_type`.
 */
export async function unpackDocs(
  tarball: Uint8Array,
  limits: Partial<Pick<Limits, "maxSize" | "maxUncompressedSize">> = {},
): Promise<UnpackedDocs> {
  const { maxSize, maxUncompressedSize } = resolveLimits(limits);
  if (tarball.length > maxSize) throw tooBig("docs tarball", maxSize);
  const checksum = await sha256Hex(tarball);
  const tar = await gunzip(tarball, maxUncompressedSize, "tarball", "docs tarball");
  const files = toFiles(await readTar(tar, "tarball"), maxUncompressedSize, "docs tarball");
  return { checksum, files };
}
