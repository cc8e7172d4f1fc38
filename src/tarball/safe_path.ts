/**
 * Archive path safety, as hex_core (≥0.16) checks it when creating and
 * unpacking tarballs: names must be relative, must not climb above the
 * archive root, and symlinks must point inside the archive. Both `/` and `\`
 * count as separators so that a name that is harmless on Unix cannot escape
 * on Windows.
 *
 * @module
 */

import { TarballError } from "../errors.ts";
import type { PackageFile } from "./package_file.ts";

const DRIVE = /^[A-Za-z]:/;

/** How a user keeps a file out of a package tarball (the tail of a hint). */
const EXCLUDE_FROM_PACKAGE = "exclude it with exclude_paths or exclude_patterns in the .app.src";

/**
 * Splits an archive path into its segments on `/` and `\`, dropping empty ones.
 *
 * @param path An archive path.
 * @returns The non-empty segments, `.` and `..` included.
 */
export function archivePathSegments(path: string): string[] {
  return path.split(/[/\\]/).filter((s) => s !== "");
}

/**
 * Whether a path is relative and never climbs above the archive root
 * (`a/../b` is fine, `a/../../b` is not; `.` segments are ignored).
 *
 * @param path An archive path or resolved symlink target.
 * @returns `false` for absolute paths, drive letters and escaping `..`.
 */
export function isSafeArchivePath(path: string): boolean {
  if (path.startsWith("/") || path.startsWith("\\") || DRIVE.test(path)) return false;
  let depth = 0;
  for (const segment of archivePathSegments(path)) {
    if (segment === ".") continue;
    if (segment === "..") {
      if (depth === 0) return false;
      depth--;
    } else {
      depth++;
    }
  }
  return true;
}

/**
 * The canonical form of a safe archive path: `.` dropped, `..` applied,
 * segments joined by `/`.
 *
 * @param path A path for which {@link isSafeArchivePath} holds.
 * @returns The normalised path (`""` for the root itself).
 */
export function normalizeArchivePath(path: string): string {
  const out: string[] = [];
  for (const segment of archivePathSegments(path)) {
    if (segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return out.join("/");
}

/**
 * Where a symlink's target lands, as an archive path: relative targets are
 * joined to the link's directory; absolute ones (and drive letters) stay as
 * they are, so that {@link isSafeArchivePath} refuses them.
 *
 * @param linkPath The archive path of the link.
 * @param target The link's target as stored.
 * @returns The target joined to the link's directory.
 */
export function resolveSymlinkTarget(linkPath: string, target: string): string {
  if (target.startsWith("/") || target.startsWith("\\") || DRIVE.test(target)) return target;
  const dir = archivePathSegments(linkPath).slice(0, -1);
  return dir.length === 0 ? target : `${dir.join("/")}/${target}`;
}

/**
 * Throws unless an archive path is safe and names something below the root.
 *
 * @param path The archive path of an entry.
 * @param exclude How the user keeps the file out (ends the hint).
 * @throws {TarballError} `unsafe_path`.
 *
 * Exported for tests, which check each refused path directly.
 */
export function checkArchivePath(path: string, exclude = EXCLUDE_FROM_PACKAGE): void {
  if (!path.includes("\0") && isSafeArchivePath(path) && normalizeArchivePath(path) !== "") {
    return;
  }
  throw new TarballError("unsafe_path", `unsafe path in tarball: ${path}`, {
    hint: `Archive paths must be relative and stay inside the root: rename the file or ${exclude}`,
  });
}

/**
 * Throws unless a symlink's target, resolved from the link's directory, stays
 * inside the archive.
 *
 * @param path The archive path of the link.
 * @param target The link's target.
 * @param exclude How the user keeps the link out (ends the hint).
 * @throws {TarballError} `unsafe_symlink`.
 *
 * Exported for tests, which check each refused target directly.
 */
export function checkSymlinkTarget(
  path: string,
  target: string,
  exclude = EXCLUDE_FROM_PACKAGE,
): void {
  if (
    target !== "" && !target.includes("\0") && isSafeArchivePath(resolveSymlinkTarget(path, target))
  ) {
    return;
  }
  throw new TarballError("unsafe_symlink", `unsafe symlink in tarball: ${path} -> ${target}`, {
    hint: `Replace the symlink "${path}" with the file it points to, or ${exclude}`,
  });
}

/**
 * Runs the checks hex_core applies to every entry it is asked to pack: a safe
 * path, a symlink target inside the archive, and a supported kind.
 *
 * @param file The entry to check.
 * @param exclude How the user keeps a file out (ends the hints).
 * @throws {TarballError} `unsafe_path`, `unsafe_symlink` or `unsupported_file_type`.
 */
export function checkPackageFile(file: PackageFile, exclude = EXCLUDE_FROM_PACKAGE): void {
  checkArchivePath(file.path, exclude);
  switch (file.kind) {
    case "file":
    case "dir":
      return;
    case "symlink":
      checkSymlinkTarget(file.path, file.target ?? "", exclude);
      return;
    default:
      throw new TarballError(
        "unsupported_file_type",
        `unsupported file type in tarball: ${file.path} (${file.kind})`,
        {
          hint: `Only regular files, directories and symlinks can be packed: ${exclude}`,
        },
      );
  }
}

/**
 * The first entry of an archive that reaches through one of the archive's own
 * symlinks, or `undefined` when none does. Each link's target is checked as
 * text ({@link resolveSymlinkTarget}), but the file system follows links: a
 * link `d/e/b -> ../..` makes `x -> d/e/b/../..` (textually the root) climb
 * out, and an entry `d/e/b/f` would be written wherever `b` points. So an
 * entry's parent directories, and the directories a link's target passes
 * through, must not be symlinks of the archive.
 *
 * @param entries The archive's entries (kind, path and, for links, target).
 * @returns The offending entry's path and why, or `undefined`.
 */
export function throughSymlink(
  entries: readonly { path: string; kind: string; target?: string }[],
): { path: string; why: string } | undefined {
  // Compared folded: on a case-insensitive or normalising file system (macOS,
  // Windows) `d/e/B` and `d/e/b` are one path.
  const fold = (p: string) => p.normalize("NFC").toLowerCase();
  const links = new Set(
    entries.filter((e) => e.kind === "symlink").map((e) => fold(normalizeArchivePath(e.path))),
  );
  if (links.size === 0) return undefined;
  // Every proper prefix of `segments` (as a path) that is a link, walking `..` as the OS does.
  const firstLinkOnTheWay = (segments: string[]): string | undefined => {
    const at: string[] = [];
    for (let i = 0; i < segments.length - 1; i++) {
      const s = segments[i];
      if (s === ".") continue;
      if (s === "..") at.pop();
      else at.push(s);
      if (links.has(fold(at.join("/")))) return at.join("/");
    }
    return undefined;
  };
  for (const e of entries) {
    const parent = firstLinkOnTheWay(archivePathSegments(e.path));
    if (parent !== undefined) {
      return { path: e.path, why: `it is inside the symlink ${parent}` };
    }
    if (e.kind === "symlink" && e.target !== undefined) {
      const via = firstLinkOnTheWay(archivePathSegments(resolveSymlinkTarget(e.path, e.target)));
      if (via !== undefined) {
        return { path: e.path, why: `its target ${e.target} passes through the symlink ${via}` };
      }
    }
  }
  return undefined;
}
