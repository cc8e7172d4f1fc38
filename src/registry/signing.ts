/**
 * Signing and opening registry files: gzip(Signed{payload, signature}) with
 * RSASSA-PKCS1-v1_5 / SHA-512 (hexpm/specifications `registry-v2.md`), keys as PEM, WebCrypto only.
 *
 * @module
 */

import { HexpubError, type HexpubErrorOptions } from "../errors.ts";
import { gunzipBytes, gzipBytes } from "../tarball/gzip.ts";
import { decodeSigned, encodeSigned } from "./messages.ts";

/** Why a registry file was refused. */
export type RegistryErrorReason =
  | "bad_gzip"
  | "too_big"
  | "bad_signed"
  | "bad_signature"
  | "missing_public_key"
  | "bad_key"
  | "bad_payload"
  | "wrong_repository"
  | "wrong_package";

/** A registry file that cannot be trusted or read; `reason` says why. */
export class RegistryError extends HexpubError {
  /** The machine-readable cause. */
  readonly reason: RegistryErrorReason;

  constructor(reason: RegistryErrorReason, message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "RegistryError";
    this.reason = reason;
  }
}

const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" } as const;

// ---------------------------------------------------------------- PEM / DER

/**
 * Wraps DER bytes in PEM armour (64-character lines).
 *
 * @param der The DER bytes.
 * @param label The PEM label, e.g. `"PUBLIC KEY"`.
 * @returns The PEM text, ending with a newline.
 *
 * Exported for tests, which check the PEM wrapping.
 */
export function derToPem(der: Uint8Array, label: string): string {
  let b64 = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < der.length; i += CHUNK) {
    b64 += String.fromCharCode(...der.subarray(i, i + CHUNK));
  }
  b64 = btoa(b64);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A PEM block: its label and DER body. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes. */
  label: string;
  /** The decoded body. */
  der: Uint8Array;
}

/**
 * Reads the first PEM block of a text.
 *
 * @param pem PEM text (surrounding text and CRLF line ends are allowed).
 * @returns The label and DER bytes.
 * @throws {SyntaxError} When there is no well-formed PEM block.
 *
 * Exported for tests, which check PEM parsing directly.
 */
export function readPem(pem: string): PemBlock {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m) throw new SyntaxError("Cannot read the key: no PEM block found");
  const body = m[2].replace(/\s+/g, "");
  let bin: string;
  try {
    bin = atob(body);
  } catch (cause) {
    throw new SyntaxError(`Cannot read the key: bad base64 in the "${m[1]}" PEM block`, { cause });
  }
  const der = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
  return { label: m[1], der };
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const head = [tag, ...derLength(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** AlgorithmIdentifier { rsaEncryption, NULL }. */
// deno-fmt-ignore
const RSA_ALGORITHM_ID = Uint8Array.of(
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
);

/**
 * Wraps a PKCS#1 `RSAPublicKey` (what `mix hex.registry build` writes as
 * "RSA PUBLIC KEY") in the SPKI structure WebCrypto imports.
 */
function pkcs1PublicToSpki(pkcs1: Uint8Array): Uint8Array {
  return derTlv(0x30, RSA_ALGORITHM_ID, derTlv(0x03, Uint8Array.of(0), pkcs1));
}

/** Wraps a PKCS#1 `RSAPrivateKey` ("RSA PRIVATE KEY") in a PKCS#8 `PrivateKeyInfo`. */
function pkcs1PrivateToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return derTlv(0x30, Uint8Array.of(0x02, 0x01, 0x00), RSA_ALGORITHM_ID, derTlv(0x04, pkcs1));
}

// ---------------------------------------------------------------- keys

/**
 * Imports an RSA public key for verifying registry signatures.
 *
 * @param pem SPKI ("BEGIN PUBLIC KEY", as hexpm publishes) or PKCS#1 ("BEGIN RSA PUBLIC KEY").
 * @returns A WebCrypto verification key.
 * @throws {RegistryError} `bad_key` when the PEM is not an RSA public key.
 */
export async function importPublicKey(pem: string): Promise<CryptoKey> {
  try {
    const { label, der } = readPem(pem);
    let spki: Uint8Array;
    if (label === "PUBLIC KEY") spki = der;
    else if (label === "RSA PUBLIC KEY") spki = pkcs1PublicToSpki(der);
    else throw new SyntaxError(`a "${label}" PEM block is not a public key`);
    return await crypto.subtle.importKey("spki", spki as BufferSource, ALGORITHM, true, ["verify"]);
  } catch (cause) {
    throw new RegistryError("bad_key", `Cannot read the repository public key: ${msg(cause)}`, {
      cause,
    });
  }
}

/**
 * Imports an RSA private key for signing registry files.
 *
 * @param pem PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY").
 * @returns A WebCrypto signing key (extractable, so the public key can be derived).
 * @throws {RegistryError} `bad_key` when the PEM is not an RSA private key.
 */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  try {
    const { label, der } = readPem(pem);
    let pkcs8: Uint8Array;
    if (label === "PRIVATE KEY") pkcs8 = der;
    else if (label === "RSA PRIVATE KEY") pkcs8 = pkcs1PrivateToPkcs8(der);
    else throw new SyntaxError(`a "${label}" PEM block is not a private key`);
    return await crypto.subtle.importKey("pkcs8", pkcs8 as BufferSource, ALGORITHM, true, ["sign"]);
  } catch (cause) {
    throw new RegistryError("bad_key", `Cannot read the repository private key: ${msg(cause)}`, {
      cause,
    });
  }
}

/**
 * Generates a repository key pair: RSA 2048, e = 65537.
 *
 * @returns The PKCS#8 private key ("BEGIN PRIVATE KEY") and SPKI public key ("BEGIN PUBLIC KEY").
 */
export async function generateRepoKeys(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const pair = await crypto.subtle.generateKey(
    { ...ALGORITHM, modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1) },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return {
    privateKeyPem: derToPem(pkcs8, "PRIVATE KEY"),
    publicKeyPem: derToPem(spki, "PUBLIC KEY"),
  };
}

/**
 * Derives the SPKI public key PEM of a private key (what `/public_key` serves).
 *
 * @param privateKeyPem PKCS#8 or PKCS#1 private key PEM.
 * @returns The SPKI "BEGIN PUBLIC KEY" PEM.
 * @throws {RegistryError} `bad_key` when the PEM is not an RSA private key.
 */
export async function publicKeyPemOf(privateKeyPem: string): Promise<string> {
  const key = await importPrivateKey(privateKeyPem);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const pub = await crypto.subtle.importKey(
    "jwk",
    { kty: "RSA", n: jwk.n, e: jwk.e, alg: "RS512", ext: true },
    ALGORITHM,
    true,
    ["verify"],
  );
  return derToPem(new Uint8Array(await crypto.subtle.exportKey("spki", pub)), "PUBLIC KEY");
}

// ---------------------------------------------------------------- files

/**
 * Signs a payload and packs it as a registry file: gzip(Signed{payload, signature}).
 *
 * @param payload An encoded `Names`, `Versions` or `Package`.
 * @param privateKey The repository private key, as PEM or an imported key (faster in loops).
 * @returns The file bytes.
 * @throws {RegistryError} `bad_key` when the key cannot be imported.
 */
export async function signedFile(
  payload: Uint8Array,
  privateKey: string | CryptoKey,
): Promise<Uint8Array> {
  const key = typeof privateKey === "string" ? await importPrivateKey(privateKey) : privateKey;
  const signature = new Uint8Array(
    await crypto.subtle.sign(ALGORITHM, key, payload as BufferSource),
  );
  return gzipBytes(encodeSigned({ payload, signature }));
}

/** Options of {@link openSignedFile}. */
export interface OpenSignedOptions {
  /** Check the signature (false = `HEX_UNSAFE_REGISTRY`). */
  verify: boolean;
}

/**
 * The largest registry file accepted, unpacked (hex.pm's biggest are a few MiB).
 *
 * Exported for tests, which check the cap.
 */
export const MAX_UNPACKED_REGISTRY_FILE = 256 * 1024 * 1024;

/**
 * Unpacks a registry file and checks its signature.
 *
 * @param file The file bytes as served (gzip).
 * @param publicKey The repository public key (PEM or imported); needed when `verify` is true.
 * @param options Whether to verify.
 * @returns The signed payload.
 * @throws {RegistryError} `bad_gzip`, `too_big` (over {@link MAX_UNPACKED_REGISTRY_FILE}
 *   unpacked), `bad_signed`, `missing_public_key`, `bad_key` or
 *   `bad_signature` (a tampered file or the wrong key).
 */
export async function openSignedFile(
  file: Uint8Array,
  publicKey: string | CryptoKey | undefined,
  options: OpenSignedOptions,
): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    raw = gunzipBytes(file, { maxOutputLength: MAX_UNPACKED_REGISTRY_FILE });
  } catch (cause) {
    // gunzipBytes stops with a RangeError at the limit: a gzip bomb, not bad gzip.
    if (cause instanceof RangeError) {
      throw new RegistryError(
        "too_big",
        `Cannot read the registry file: it unpacks to more than ${
          MAX_UNPACKED_REGISTRY_FILE / 1024 / 1024
        } MiB, the limit for a registry file`,
        { cause },
      );
    }
    throw new RegistryError("bad_gzip", "Cannot read the registry file: it is not valid gzip", {
      cause,
    });
  }
  let signed;
  try {
    signed = decodeSigned(raw);
  } catch (cause) {
    throw new RegistryError("bad_signed", `Cannot read the registry file: ${msg(cause)}`, {
      cause,
    });
  }
  if (!options.verify) return signed.payload;
  if (publicKey === undefined) {
    throw new RegistryError(
      "missing_public_key",
      "Cannot verify the registry file: no public key is configured for the repository",
      {
        hint: "Configure the repository's public key (hexpub repo add NAME URL --public-key FILE)",
      },
    );
  }
  const key = typeof publicKey === "string" ? await importPublicKey(publicKey) : publicKey;
  let ok = false;
  if (signed.signature !== undefined) {
    try {
      ok = await crypto.subtle.verify(
        ALGORITHM,
        key,
        signed.signature as BufferSource,
        signed.payload as BufferSource,
      );
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new RegistryError(
      "bad_signature",
      signed.signature === undefined
        ? "Registry file refused: it is not signed"
        : "Registry file refused: the signature does not match the repository public key",
      { hint: "The file was tampered with, or the configured public key is not the repository's" },
    );
  }
  return signed.payload;
}

/**
 * The origin check: the repository named inside a signed file must be the one asked for.
 *
 * @param decodedRepository The `repository` field of the decoded payload.
 * @param expected The repository name the client is configured with.
 * @throws {RegistryError} `wrong_repository` naming both.
 */
export function checkRepository(decodedRepository: string, expected: string): void {
  if (decodedRepository !== expected) {
    throw new RegistryError(
      "wrong_repository",
      `Registry file refused: it is signed for repository "${decodedRepository}", expected "${expected}"`,
      { hint: "Check the repository's name, URL and public key in the configuration" },
    );
  }
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
