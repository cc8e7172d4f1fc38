/**
 * The fixed header values hex_core (OTP's erl_tar) writes in package and docs
 * tarballs, shared by the encoder (`ustar.ts`) and its readers.
 *
 * @module
 */
import type { PackageFile } from "./package_file.ts";

/** 2000-01-01T00:00:00Z: hex_core's mtime for every entry. */
export const HEX_MTIME_SECONDS = 946_684_800;

/** File-type bits hex_core keeps in the mode field. */
export const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const;

/** What a tar header needs to know about an entry. */
export type HeaderInput = Pick<PackageFile, "path" | "mode" | "target"> & {
  kind: "file" | "dir" | "symlink";
  size: number;
};
