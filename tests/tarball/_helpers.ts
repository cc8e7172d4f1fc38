/**
 * Helpers shared by the tarball tests: in-memory package files, raw tar
 * header reading at fixed offsets, and running system tools.
 *
 * @module
 */

import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { TarballError, type TarballReason } from "../../src/errors.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A regular file held in memory. */
export function memFile(path: string, text: string | Uint8Array, mode = 0o644): PackageFile {
  const content = typeof text === "string" ? encoder.encode(text) : text;
  return { path, kind: "file", mode, size: content.length, content };
}

/** A regular file read through `open()`, delivered in chunks of `chunk` bytes. */
export function streamedFile(
  path: string,
  bytes: Uint8Array,
  options: { mode?: number; chunk?: number; onOpen?: () => void; onCancel?: () => void } = {},
): PackageFile {
  const chunk = options.chunk ?? 16 * 1024;
  return {
    path,
    kind: "file",
    mode: options.mode ?? 0o644,
    size: bytes.length,
    open: () => {
      options.onOpen?.();
      let offset = 0;
      return Promise.resolve(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (offset >= bytes.length) {
              controller.close();
              return;
            }
            controller.enqueue(bytes.slice(offset, offset + chunk));
            offset += chunk;
          },
          cancel() {
            options.onCancel?.();
          },
        }),
      );
    },
  };
}

/** A directory entry. */
export function dir(path: string, mode = 0o755): PackageFile {
  return { path, kind: "dir", mode, size: 0 };
}

/** A symlink entry. */
export function symlink(path: string, target: string): PackageFile {
  return { path, kind: "symlink", mode: 0o777, size: 0, target };
}

/** Text of a NUL-terminated (or full-width) header field. */
function field(block: Uint8Array, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return decoder.decode(end === -1 ? raw : raw.subarray(0, end));
}

/** The raw fields of one 512-byte tar header, read at the ustar offsets. */
export interface RawHeader {
  /** Offset of the header block in the archive. */
  offset: number;
  /** The whole block. */
  block: Uint8Array;
  name: string;
  /** The 8 raw bytes of the mode field, as Latin-1 text (`0100644\0`). */
  modeField: string;
  uidField: string;
  gidField: string;
  size: number;
  mtimeField: string;
  typeflag: string;
  linkname: string;
  /** The 6 raw magic bytes plus 2 version bytes (`ustar\0` + `00`). */
  magicField: string;
  uname: string;
  gname: string;
  /** Raw bytes of uname and gname (64 bytes). */
  unameGnameBytes: Uint8Array;
  prefix: string;
  /** Whether the stored checksum matches the unsigned byte sum. */
  checksumOk: boolean;
}

const latin1 = new TextDecoder("latin1");

/** Reads every header block of a tar (PAX headers included), walking sizes. */
export function rawHeaders(tar: Uint8Array): RawHeader[] {
  const out: RawHeader[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) break;
    const size = parseInt(field(block, 124, 12).trim() || "0", 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
    out.push({
      offset,
      block,
      name: field(block, 0, 100),
      modeField: latin1.decode(block.subarray(100, 108)),
      uidField: latin1.decode(block.subarray(108, 116)),
      gidField: latin1.decode(block.subarray(116, 124)),
      size,
      mtimeField: latin1.decode(block.subarray(136, 148)),
      typeflag: String.fromCharCode(block[156]),
      linkname: field(block, 157, 100),
      magicField: latin1.decode(block.subarray(257, 265)),
      uname: field(block, 265, 32),
      gname: field(block, 297, 32),
      unameGnameBytes: block.slice(265, 329),
      prefix: field(block, 345, 155),
      checksumOk: parseInt(field(block, 148, 8).trim(), 8) === sum,
    });
    const typeflag = block[156];
    const hasBody = typeflag !== 0x35 && typeflag !== 0x32 && typeflag !== 0x31;
    offset += 512 + (hasBody ? Math.ceil(size / 512) * 512 : 0);
  }
  return out;
}

/** The byte offset just past the last header's content: where the end blocks start. */
export function endOfEntries(tar: Uint8Array): number {
  const headers = rawHeaders(tar);
  const last = headers[headers.length - 1];
  return last.offset + 512 + Math.ceil(last.size / 512) * 512;
}

/** SHA-256 in lower-case hex via node:crypto (independent of the WebCrypto code under test). */
export function nodeSha256(...parts: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Deterministic pseudo-random bytes (xorshift), compressible when `alphabet` is small. */
export function pseudoRandomBytes(length: number, seed = 1, alphabet = 256): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = alphabet === 256 ? x & 0xff : 97 + (x % alphabet);
  }
  return out;
}

/** Runs a command, returning stdout as text; throws with stderr on failure. */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; stdin?: Uint8Array } = {},
): Promise<{ stdout: string; bytes: Uint8Array }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C.UTF-8", TZ: "UTC" },
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const result = await child.output();
  if (!result.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${decoder.decode(result.stderr)}`);
  }
  return { stdout: decoder.decode(result.stdout), bytes: result.stdout };
}

/**
 * A file of `size` generated bytes (pseudo-random, or compressible text when
 * `alphabet` is small), produced chunk by chunk so it never sits in memory.
 * `stats.read` counts the bytes handed out; `stats.cancelled` is set on cancel.
 */
export function generatedFile(
  path: string,
  size: number,
  options: { seed?: number; alphabet?: number; chunk?: number } = {},
): PackageFile & { stats: { read: number; cancelled: boolean } } {
  const chunk = options.chunk ?? 64 * 1024;
  const stats = { read: 0, cancelled: false };
  return {
    path,
    kind: "file",
    mode: 0o644,
    size,
    stats,
    open: () => {
      let seed = options.seed ?? 1;
      return Promise.resolve(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            const n = Math.min(chunk, size - stats.read);
            if (n <= 0) {
              controller.close();
              return;
            }
            controller.enqueue(pseudoRandomBytes(n, seed++, options.alphabet));
            stats.read += n;
          },
          cancel() {
            stats.cancelled = true;
          },
        }),
      );
    },
  };
}

/** Awaits `promise`, asserting it rejects with a TarballError of `reason` (and `message`) and a hint. */
export async function rejectsWith(
  promise: Promise<unknown>,
  reason: TarballReason,
  message?: string | RegExp,
): Promise<TarballError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof TarballError, `expected TarballError, got ${caught}`);
  assert.equal(caught.reason, reason);
  if (typeof message === "string") assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  assert.ok(caught.hint && caught.hint.length > 0, "has a hint");
  return caught;
}
