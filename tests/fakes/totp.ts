/**
 * RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s steps) with
 * WebCrypto, and the RFC 4648 base32 that authenticator apps and hex.pm use for
 * TOTP secrets. Test-only: the fake Hex server checks `x-hex-otp` with it and
 * tests compute valid codes with it.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** TOTP parameters; the defaults are hex.pm's (and every authenticator app's). */
export interface TotpOptions {
  /** Code length; 6 unless given. */
  digits?: number;
  /** Step length in seconds; 30 unless given. */
  stepSeconds?: number;
}

/**
 * The TOTP code for `secret` at `timeMs` (milliseconds since the Unix epoch).
 *
 * @param secret a base32 string (case and `=`/space insensitive), or the raw key bytes
 * @param timeMs the moment the code is for
 * @returns the code, zero-padded to `digits`
 * @throws {SyntaxError} when a string secret is not base32
 */
export async function totpCode(
  secret: string | Uint8Array,
  timeMs: number,
  options: TotpOptions = {},
): Promise<string> {
  const step = options.stepSeconds ?? 30;
  return await hotpCode(secret, Math.floor(timeMs / 1000 / step), options.digits ?? 6);
}

/**
 * The RFC 4226 HOTP code for `secret` at `counter`.
 *
 * @throws {SyntaxError} when a string secret is not base32
 */
export async function hotpCode(
  secret: string | Uint8Array,
  counter: number,
  digits = 6,
): Promise<string> {
  const keyBytes = typeof secret === "string" ? base32Decode(secret) : secret;
  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(keyBytes),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, BigInt(counter));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) |
    (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** RFC 4648 base32 without padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes RFC 4648 base32, ignoring case, spaces and `=` padding.
 *
 * @throws {SyntaxError} on a character outside the alphabet
 */
export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    const value = ALPHABET.indexOf(ch);
    if (value < 0) throw new SyntaxError(`Cannot decode base32: unexpected "${ch}"`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return new Uint8Array(out);
}

/** A fresh random secret (20 bytes, as hex.pm and RFC 4226 recommend), base32-encoded. */
export function randomTotpSecret(): string {
  return base32Encode(crypto.getRandomValues(new Uint8Array(20)));
}
