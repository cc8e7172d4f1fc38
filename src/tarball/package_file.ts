/**
 * The input the tarball builders take: one entry of a package or docs
 * tarball, described without touching the file system (the caller lists the
 * files and hands over a way to read each one).
 *
 * @module
 */

/** What kind of file system object an entry is. */
export type PackageFileKind = "file" | "dir" | "symlink" | "other";

/**
 * One entry to put into a tarball.
 *
 * A `file` carries its bytes either as `content` or through `open()`; `open()`
 * is called once, when the builder reaches the entry, so only one file is
 * streamed at a time (`read()` may start one entry early, see packContents).
 */
export interface PackageFile {
  /** Archive path: POSIX separators, relative to the package root (`src/foo.erl`). */
  path: string;
  /** The kind of entry; `other` (sockets, devices, FIFOs) is refused. */
  kind: PackageFileKind;
  /** Permission bits (`0o644`, `0o755`); file-type bits, if present, are ignored. */
  mode: number;
  /** Size in bytes of a `file` (0 for the other kinds). */
  size: number;
  /** The link target of a `symlink`, as stored in the link. */
  target?: string;
  /**
   * Reads the whole content of a `file` (preferred by the packer: one read per file). The
   * buffer is handed over: the packer frees it once packed, so it must not be shared.
   */
  read?: () => Promise<Uint8Array>;
  /** Opens the content of a `file` as a stream of exactly `size` bytes. */
  open?: () => Promise<ReadableStream<Uint8Array>>;
  /** The content of a `file` held in memory (takes precedence over `open`). */
  content?: Uint8Array;
}
