/**
 * Encoding tar entries the way hex_core 0.18.0's tar writer (src/hex_erl_tar.erl,
 * a fork of OTP's erl_tar) writes them, for the packing hot path: a POSIX
 * ustar header per entry, with a PAX extended header only when a name does not
 * fit (longer than the ustar name/prefix split, or not ASCII), and no padding
 * of the archive to a record size.
 *
 * Reading stays with modern-tar. Packing does not use its web-stream packer:
 * measured on a 5,000-file, 100 MiB project, the per-chunk stream machinery
 * pushed peak memory past 200 MB, while this plain encoder feeding the gzip
 * writer directly stays far below (scripts/bench_build.ts).
 *
 * @module
 */
import { type HeaderInput, HEX_MTIME_SECONDS, TYPE_BITS } from "./tar_header.ts";

/** The tar block size. */
export const BLOCK = 512;

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE: Uint8Array = new Uint8Array(2 * BLOCK);

const encoder = new TextEncoder();
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** Zero bytes that pad `size` up to a whole block. */
export function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

function putString(block: Uint8Array, offset: number, length: number, value: string): void {
  block.set(encoder.encode(value).subarray(0, length), offset);
}

/** `digits` octal digits, zero-padded, then NUL (erl_tar's layout). */
function putOctal(block: Uint8Array, offset: number, digits: number, value: number): void {
  putString(block, offset, digits + 1, value.toString(8).padStart(digits, "0") + "\0");
}

/**
 * Splits a path that is too long for the 100-byte name field into a ustar
 * prefix and name, as hex_core's `split_ustar_path/1` does (src/hex_erl_tar.erl):
 * only ASCII paths over 100 characters; the name is the last component (without
 * a directory's trailing `/`) and must be under 100 bytes; the prefix check
 * adds the parts' lengths without their separators, as that code does.
 */
function splitUstar(path: string): { prefix: string; name: string } | undefined {
  if (path.length <= 100 || !isAscii(path)) return undefined;
  const parts = path.split("/").filter((p) => p !== "");
  const name = parts.pop() ?? "";
  if (name.length >= 100) return undefined;
  let prefix: string | undefined;
  for (const part of parts) {
    if (part.length + (prefix?.length ?? 0) > 155) return undefined;
    prefix = prefix === undefined ? part : `${prefix}/${part}`;
  }
  return { prefix: prefix ?? "", name };
}

/** Whether a name goes in a PAX record: longer than its field, or not ASCII (erl_tar's rule). */
function needsPax(value: string, field: number): boolean {
  return [...value].length > field || !isAscii(value);
}

interface RawHeader {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  typeflag: string;
  linkname: string;
}

function headerBlock(h: RawHeader): Uint8Array {
  const block = new Uint8Array(BLOCK);
  putString(block, 0, 100, h.name);
  putOctal(block, 100, 7, h.mode);
  putOctal(block, 108, 7, 0);
  putOctal(block, 116, 7, 0);
  putOctal(block, 124, 11, h.size);
  putOctal(block, 136, 11, HEX_MTIME_SECONDS);
  block.fill(0x20, 148, 156);
  putString(block, 156, 1, h.typeflag);
  putString(block, 157, 100, h.linkname);
  putString(block, 257, 6, "ustar\0");
  putString(block, 263, 2, "00");
  putOctal(block, 329, 7, 0);
  putOctal(block, 337, 7, 0);
  // hex_core's prefix check can let a prefix reach 156 bytes, into the padding.
  putString(block, 345, 167, h.prefix);
  let sum = 0;
  for (const b of block) sum += b;
  putOctal(block, 148, 7, sum);
  return block;
}

/**
 * One PAX record, `LEN key=value\n`, with LEN computed as hex_core's
 * `build_pax_file/3` computes it: from the value's length in characters, then
 * replaced once by the record's byte length when the two differ (non-ASCII).
 */
function paxRecord(key: string, value: string): string {
  const size = key.length + [...value].length + 3;
  const size2 = String(size).length + size;
  const record = `${size2} ${key}=${value}\n`;
  const bytes = byteLength(record);
  return bytes === size2 ? record : `${bytes} ${key}=${value}\n`;
}

/** The ASCII characters of `s` (erl_tar's `to_ascii/1` drops the others). */
function asciiOnly(s: string): string {
  return [...s].filter(isAscii).join("");
}

/**
 * The name of the PAX header entry for `path`: `DIR/PaxHeaders.0/BASE` with
 * `filename:dirname/1` and `basename/1`'s rules (a directory's trailing `/`
 * makes its own path the dirname; a top-level name gets `.`), non-ASCII
 * characters dropped, cut to 99 bytes when over 100.
 */
function paxHeaderName(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const base = trimmed.split("/").pop() ?? "";
  const dir = path.endsWith("/")
    ? trimmed
    : trimmed.includes("/")
    ? trimmed.slice(0, trimmed.lastIndexOf("/"))
    : ".";
  const ascii = asciiOnly(`${dir}/PaxHeaders.0/${base}`);
  return ascii.length > 100 ? ascii.slice(0, 99) : ascii;
}

/**
 * Why an entry's name cannot be read back by Hex, or `undefined` when it can.
 * Names that need a PAX record (non-ASCII, or too long for ustar) must not
 * contain a space: OTP's erl_tar, which hex_core and hex.pm use, splits PAX
 * records at every space and rejects the archive as malformed.
 */
export function paxProblem(entry: HeaderInput): string | undefined {
  const path = entry.kind === "dir" ? `${entry.path.replace(/\/+$/, "")}/` : entry.path;
  const pathPax = needsPax(path, 100) && !splitUstar(path);
  if (pathPax && path.includes(" ")) return `path "${entry.path}"`;
  const link = entry.kind === "symlink" ? entry.target ?? "" : "";
  if (needsPax(link, 100) && link.includes(" ")) {
    return `symlink target "${link}" of "${entry.path}"`;
  }
  return undefined;
}

/**
 * The header bytes of one entry: a ustar block, preceded by a PAX header and its
 * records when the path or link target does not fit ustar.
 *
 * @param entry The entry (directories get a trailing `/`).
 */
export function encodeHeader(entry: HeaderInput): Uint8Array {
  const path = entry.kind === "dir" ? `${entry.path.replace(/\/+$/, "")}/` : entry.path;
  const linkname = entry.kind === "symlink" ? entry.target ?? "" : "";
  const size = entry.kind === "file" ? entry.size : 0;
  const mode = TYPE_BITS[entry.kind] | (entry.mode & 0o7777);
  const typeflag = entry.kind === "file" ? "0" : entry.kind === "symlink" ? "2" : "5";

  // As hex_core's build_header/2: a name that is too long or not ASCII leaves
  // its field empty and goes in a PAX record (records sorted by key), unless a
  // long ASCII path splits into ustar prefix and name.
  const split = needsPax(path, 100) ? splitUstar(path) : { prefix: "", name: path };
  const linkPax = needsPax(linkname, 100);
  let records = "";
  if (linkPax) records += paxRecord("linkpath", linkname);
  if (!split) records += paxRecord("path", path);
  const main = headerBlock({
    name: split?.name ?? "",
    prefix: split?.prefix ?? "",
    mode,
    size,
    typeflag,
    linkname: linkPax ? "" : linkname,
  });
  if (!records) return main;

  const data = encoder.encode(records);
  const paxName = paxHeaderName(path);
  const pax = headerBlock({
    name: paxName,
    prefix: "",
    mode: 0o100644,
    size: data.length,
    typeflag: "x",
    linkname: "",
  });
  const out = new Uint8Array(BLOCK + data.length + padding(data.length).length + BLOCK);
  out.set(pax, 0);
  out.set(data, BLOCK);
  out.set(main, out.length - BLOCK);
  return out;
}

/**
 * A whole in-memory tar of small named files (the outer package tar), written
 * into one buffer with no intermediate copies.
 *
 * @param entries Names and contents, in order.
 */
export function tarOfFiles(entries: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data] of entries) {
    parts.push(encodeHeader({ path: name, kind: "file", mode: 0o644, size: data.length }));
    parts.push(data, padding(data.length));
  }
  parts.push(END_OF_ARCHIVE);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
