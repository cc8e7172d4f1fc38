/**
 * Tar headers as hex_core writes them (through its copy of OTP's erl_tar):
 * POSIX ustar, mode with the file-type bits (`0100644`), uid and gid 0, empty
 * user and group names, mtime 2000-01-01T00:00:00Z. A PAX record carries
 * names that are not ASCII or do not fit the ustar name and prefix fields.
 *
 * @module
 */

import type { TarHeader } from "modern-tar";
import type { PackageFile } from "./package_file.ts";

/** hex_core's fixed mtime: 946684800 s, 2000-01-01T00:00:00Z (`07033241600` in octal). */
export const HEX_MTIME_SECONDS = 946_684_800;

/** File-type bits hex_core leaves in the mode field (`S_IFREG`, `S_IFDIR`, `S_IFLNK`). */
export const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const;

const NON_ASCII = /[\u0080-\uffff]/;

/** The parts of a {@link PackageFile} a header needs. */
export type HeaderInput = Pick<PackageFile, "path" | "mode" | "target"> & {
  kind: "file" | "dir" | "symlink";
  size: number;
};

/**
 * The tar header of one entry, hex_core style.
 *
 * @param entry Path, kind, permission bits, size and link target.
 * @returns A modern-tar header (directories get a trailing `/`).
 */
export function hexTarHeader(entry: HeaderInput): TarHeader {
  const name = entry.kind === "dir" ? `${entry.path.replace(/\/+$/, "")}/` : entry.path;
  const pax: Record<string, string> = {};
  if (NON_ASCII.test(name)) pax.path = name;
  const linkname = entry.kind === "symlink" ? entry.target ?? "" : "";
  if (NON_ASCII.test(linkname)) pax.linkpath = linkname;
  return {
    name,
    size: entry.kind === "file" ? entry.size : 0,
    mode: TYPE_BITS[entry.kind] | (entry.mode & 0o7777),
    type: entry.kind === "dir" ? "directory" : entry.kind,
    mtime: new Date(HEX_MTIME_SECONDS * 1000),
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
    linkname,
    ...(Object.keys(pax).length > 0 ? { pax } : {}),
  };
}

/**
 * The header of an in-memory file (`VERSION`, `metadata.config`, …): mode
 * `0100644`, as hex_core gives content it was handed as a binary.
 *
 * @param name The archive name.
 * @param size The content length.
 * @returns A modern-tar header.
 */
export function memoryFileHeader(name: string, size: number): TarHeader {
  return hexTarHeader({ path: name, kind: "file", mode: 0o644, size });
}
