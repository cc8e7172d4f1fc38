/**
 * Gzip bombs for tests of size limits, made in milliseconds.
 *
 * @module
 */
import { gzipBytes } from "../../src/tarball/gzip.ts";

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
