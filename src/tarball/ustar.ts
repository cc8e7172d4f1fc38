/**
 * Encoding tar entries the way hex_core (OTP's erl_tar) writes them, for the
 * packing hot path: a POSIX ustar header per entry, with a PAX extended header
 * only when a name does not fit (longer than the ustar name/prefix split, or
 * not ASCII), and no padding of the archive to a record size.
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

/** Splits a path into ustar prefix (≤155 bytes) and name (≤100 bytes) at a `/`, if possible. */
function splitPath(path: string): { prefix: string; name: string } | undefined {
  if (byteLength(path) <= 100) return { prefix: "", name: path };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (byteLength(name) > 100) break;
    if (byteLength(prefix) <= 155 && name.length > 0) return { prefix, name };
  }
  return undefined;
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
  putString(block, 345, 155, h.prefix);
  let sum = 0;
  for (const b of block) sum += b;
  putOctal(block, 148, 7, sum);
  return block;
}

/** One PAX record: `LEN key=value\n`, where LEN counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = encoder.encode(body).length;
  let len = bytes + String(bytes).length;
  if (String(len).length !== String(bytes).length) len = bytes + String(len).length;
  return `${len}${body}`;
}

/** A short ASCII stand-in for a name carried in a PAX record. */
function fallbackName(path: string): string {
  const ascii = [...path].map((c) => (isAscii(c) ? c : "_")).join("");
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

/**
 * Why an entry's name cannot be read back by Hex, or `undefined` when it can.
 * Names that need a PAX record (non-ASCII, or too long for ustar) must not
 * contain a space: OTP's erl_tar, which hex_core and hex.pm use, splits PAX
 * records at every space and rejects the archive as malformed.
 */
export function paxProblem(entry: HeaderInput): string | undefined {
  const path = entry.kind === "dir" ? `${entry.path.replace(/\/+$/, "")}/` : entry.path;
  const needsPax = !isAscii(path) || !splitPath(path);
  if (needsPax && path.includes(" ")) return `path "${entry.path}"`;
  const link = entry.kind === "symlink" ? entry.target ?? "" : "";
  const linkNeedsPax = !isAscii(link) || byteLength(link) > 100;
  if (linkNeedsPax && link.includes(" ")) return `symlink target "${link}" of "${entry.path}"`;
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

  // Non-ASCII names go in a PAX record; the ustar field keeps the UTF-8 bytes
  // when they fit, so readers without PAX support still see the right name.
  const split = splitPath(path);
  const linkFits = byteLength(linkname) <= 100;
  let records = "";
  if (!split || !isAscii(path)) records += paxRecord("path", path);
  if (!linkFits || !isAscii(linkname)) records += paxRecord("linkpath", linkname);
  const main = headerBlock({
    name: split ? split.name : fallbackName(path),
    prefix: split ? split.prefix : "",
    mode,
    size,
    typeflag,
    linkname: linkFits ? linkname : fallbackName(linkname),
  });
  if (!records) return main;

  const data = encoder.encode(records);
  const base = path.replace(/\/$/, "").split("/").pop() ?? "";
  const dir = path.replace(/\/$/, "").split("/").slice(0, -1).join("/");
  const paxName = fallbackName(`${dir ? dir + "/" : ""}PaxHeaders.0/${base}`);
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
