/**
 * SHA-256 through WebCrypto, and hex digits.
 *
 * @module
 */

/**
 * SHA-256 of some bytes: the one place hexpub hashes (checksums, fingerprints).
 *
 * @param bytes The data (WebCrypto hashes it in one call).
 * @returns The 32-byte digest.
 */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/**
 * Bytes as lower-case hex digits.
 *
 * @param bytes The bytes.
 * @returns Two digits a byte.
 */
export function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * SHA-256 of some bytes as 64 lower-case hex digits.
 *
 * @param bytes The data (WebCrypto hashes it in one call).
 * @returns The digest in lower-case hex.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hexOf(await sha256(bytes));
}

/**
 * SHA-256 over several byte strings joined end to end (the inner checksum
 * hashes `VERSION ‖ metadata.config ‖ contents.tar.gz`).
 *
 * @param parts The pieces, in order.
 * @returns The digest in lower-case hex.
 */
export function sha256HexOfParts(parts: Uint8Array[]): Promise<string> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return sha256Hex(joined);
}
