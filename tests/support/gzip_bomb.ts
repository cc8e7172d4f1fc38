/**
 * Gzip bombs for tests of size limits, made in milliseconds: a bare gzip
 * stream ({@link gzipBomb}), and package tarballs whose `contents.tar.gz` is
 * small but inflates to a large tar ({@link bombTarball}) for the unpacking
 * limits of `hexpub serve` (tests/repository/server_limits_test.ts,
 * scripts/bench_serve.ts).
 *
 * @module
 */
import { Deflate } from "pako";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { encodeHeader, padding, tarOfFiles } from "../../src/tarball/ustar.ts";
import { GZIP_HEADER, gzipBytes } from "../../src/tarball/gzip.ts";

/**
 * `mib` copies of one gzip member of 1 MiB of zeros (about 1 KiB each), which
 * gunzip reads as one stream of `mib` MiB.
 */
export function gzipBomb(mib: number): Uint8Array {
  const one = gzipBytes(new Uint8Array(1024 * 1024), 9);
  const bomb = new Uint8Array(one.length * mib);
  for (let i = 0; i < mib; i++) bomb.set(one, i * one.length);
  return bomb;
}

const enc = new TextEncoder();
const MiB = 1024 * 1024;

/** Options of {@link bombTarball}. */
export interface BombOptions {
  /** The package's name (default `bomb`). */
  name?: string;
  /** Its version (default `1.0.0`). */
  version?: string;
  /**
   * End the deflate stream with garbage right after `inflated` bytes instead
   * of finishing it: an inflater that reads past its limit fails with a
   * format error instead of a size error.
   */
  corruptAfter?: boolean;
}

/**
 * A package tarball whose `contents.tar.gz` inflates to a tar of about
 * `inflated` bytes (a single file of zeros), compressed about 1000:1 (a 120 MiB one weighs about 120 KiB).
 */
export function bombTarball(inflated: number, options: BombOptions = {}): Uint8Array {
  const name = options.name ?? "bomb";
  const version = options.version ?? "1.0.0";
  const size = inflated - 3 * 512;
  const chunks: Uint8Array[] = [GZIP_HEADER.slice()];
  const deflate = new Deflate({ level: 9, raw: true, chunkSize: 1 * MiB });
  deflate.onData = (c) => chunks.push((c as Uint8Array).slice());
  const header = encodeHeader({ path: "zeros", kind: "file", mode: 0o644, size });
  let crc = 0;
  let total = 0;
  const push = (bytes: Uint8Array, last: boolean) => {
    crc = crc32(bytes, crc);
    total += bytes.length;
    deflate.push(bytes, last);
  };
  push(header, false);
  const zeros = new Uint8Array(MiB);
  for (let left = size; left > 0; left -= MiB) {
    push(left >= MiB ? zeros : zeros.subarray(0, left), false);
  }
  if (options.corruptAfter) {
    deflate.push(new Uint8Array(0), 2 /* Z_SYNC_FLUSH */);
    chunks.push(new Uint8Array(64).fill(0xff));
  } else {
    push(padding(size), false);
    push(new Uint8Array(1024), true);
    const trailer = new DataView(new ArrayBuffer(8));
    trailer.setUint32(0, crc >>> 0, true);
    trailer.setUint32(4, total % 0x1_0000_0000, true);
    chunks.push(new Uint8Array(trailer.buffer));
  }
  const contents = concat(chunks);
  const metadata = enc.encode(
    `{<<"name">>,<<"${name}">>}.\n{<<"version">>,<<"${version}">>}.\n` +
      `{<<"app">>,<<"${name}">>}.\n{<<"description">>,<<"A bomb">>}.\n` +
      `{<<"licenses">>,[<<"MIT">>]}.\n{<<"build_tools">>,[<<"rebar3">>]}.\n` +
      `{<<"files">>,[<<"zeros">>]}.\n{<<"requirements">>,[]}.\n`,
  );
  const vsn = enc.encode("3");
  const checksum = createHash("sha256").update(vsn).update(metadata).update(contents)
    .digest("hex").toUpperCase();
  return tarOfFiles([
    ["VERSION", vsn],
    ["CHECKSUM", enc.encode(checksum)],
    ["metadata.config", metadata],
    ["contents.tar.gz", contents],
  ]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
