/**
 * The fingerprint of a repository public key, as hex.pm shows it on its
 * public-keys page and `mix hex.repo add --fetch-public-key` expects it: the
 * OpenSSH form, `SHA256:` and the unpadded base64 SHA-256 of the key's
 * `ssh-rsa` wire encoding (string "ssh-rsa", mpint e, mpint n).
 *
 * @module
 */
import { importPublicKey } from "./signing.ts";
import { sha256 } from "../tarball/checksum.ts";

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(
    atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)),
    (c) => c.charCodeAt(0),
  );
}

/** An SSH `mpint`: big-endian, no leading zeros, one 0x00 added when the top bit is set. */
function mpint(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = bytes.subarray(start);
  return (body[0] & 0x80) ? Uint8Array.of(0, ...body) : body;
}

function sshString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/**
 * The `SHA256:…` fingerprint of an RSA public key.
 *
 * @param pem SPKI or PKCS#1 public key PEM.
 * @returns E.g. `SHA256:O1LOYhHFW4kcrblKAxROaDEzLD8bn1seWbe5tq8TRsk`.
 * @throws {RegistryError} `bad_key` when the PEM is not an RSA public key.
 */
export async function publicKeyFingerprint(pem: string): Promise<string> {
  const key = await importPublicKey(pem);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const parts = [
    sshString(new TextEncoder().encode("ssh-rsa")),
    sshString(mpint(fromBase64Url(jwk.e!))),
    sshString(mpint(fromBase64Url(jwk.n!))),
  ];
  const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    blob.set(p, at);
    at += p.length;
  }
  const digest = await sha256(blob);
  return `SHA256:${btoa(String.fromCharCode(...digest)).replace(/=+$/, "")}`;
}
