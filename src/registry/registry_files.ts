/**
 * Whole registry files: `names`, `versions` and `packages/NAME` written as
 * gzip(Signed(payload)) and read back with the signature, the repository name
 * (and for packages the package name) checked, as hex_core does.
 *
 * @module
 */

import {
  decodeNames,
  decodePackage,
  decodeVersions,
  encodeNames,
  encodePackage,
  encodeVersions,
  type Names,
  type Package,
  type Versions,
} from "./messages.ts";
import { checkRepository, openSignedFile, RegistryError, signedFile } from "./signing.ts";

/**
 * Encodes and signs a `names` file.
 *
 * @param names The names (packages sorted by the caller).
 * @param privateKey The repository private key, PEM or imported.
 * @returns gzip(Signed(Names)).
 * @throws {RegistryError} `bad_key` for an unusable key.
 */
export function encodeSignedNames(
  names: Names,
  privateKey: string | CryptoKey,
): Promise<Uint8Array> {
  return signedFile(encodeNames(names), privateKey);
}

/**
 * Encodes and signs a `versions` file.
 *
 * @param versions The versions.
 * @param privateKey The repository private key, PEM or imported.
 * @returns gzip(Signed(Versions)).
 * @throws {RegistryError} `bad_key` for an unusable key.
 */
export function encodeSignedVersions(
  versions: Versions,
  privateKey: string | CryptoKey,
): Promise<Uint8Array> {
  return signedFile(encodeVersions(versions), privateKey);
}

/**
 * Encodes and signs a `packages/NAME` file.
 *
 * @param pkg The package and its releases.
 * @param privateKey The repository private key, PEM or imported.
 * @returns gzip(Signed(Package)).
 * @throws {RegistryError} `bad_key` for an unusable key.
 */
export function encodeSignedPackage(
  pkg: Package,
  privateKey: string | CryptoKey,
): Promise<Uint8Array> {
  return signedFile(encodePackage(pkg), privateKey);
}

/** Options of the registry file readers. */
export interface ReadRegistryOptions {
  /** The repository name the client expects (the signed `repository` must equal it). */
  repository: string;
  /** Check the signature (false = `HEX_UNSAFE_REGISTRY`). */
  verify: boolean;
  /** Check the repository (and package) name; default true (false = `HEX_NO_VERIFY_REPO_ORIGIN`). */
  verifyOrigin?: boolean;
}

/** Options of {@link readPackage}. */
export interface ReadPackageOptions extends ReadRegistryOptions {
  /** The package requested; the signed `name` must equal it. */
  name: string;
}

function decodePayload<T>(payload: Uint8Array, decode: (b: Uint8Array) => T): T {
  try {
    return decode(payload);
  } catch (cause) {
    const m = cause instanceof Error ? cause.message : String(cause);
    throw new RegistryError("bad_payload", `Cannot read the registry file: ${m}`, { cause });
  }
}

/**
 * Reads a `names` file.
 *
 * @param file The file bytes (gzip).
 * @param publicKey The repository public key (PEM or imported).
 * @param options Expected repository and what to verify.
 * @returns The decoded names.
 * @throws {RegistryError} See {@link openSignedFile}; `bad_payload`; `wrong_repository`.
 *
 * Exported for tests (hexpub reads only package files): they read the `names` file a repository serves, as a client would.
 */
export async function readNames(
  file: Uint8Array,
  publicKey: string | CryptoKey | undefined,
  options: ReadRegistryOptions,
): Promise<Names> {
  const payload = await openSignedFile(file, publicKey, options);
  const names = decodePayload(payload, decodeNames);
  if (options.verifyOrigin !== false) checkRepository(names.repository, options.repository);
  return names;
}

/**
 * Reads a `versions` file.
 *
 * @param file The file bytes (gzip).
 * @param publicKey The repository public key (PEM or imported).
 * @param options Expected repository and what to verify.
 * @returns The decoded versions.
 * @throws {RegistryError} See {@link openSignedFile}; `bad_payload`; `wrong_repository`.
 *
 * Exported for tests (hexpub reads only package files): they read the `versions` file a repository serves, as a client would.
 */
export async function readVersions(
  file: Uint8Array,
  publicKey: string | CryptoKey | undefined,
  options: ReadRegistryOptions,
): Promise<Versions> {
  const payload = await openSignedFile(file, publicKey, options);
  const versions = decodePayload(payload, decodeVersions);
  if (options.verifyOrigin !== false) checkRepository(versions.repository, options.repository);
  return versions;
}

/**
 * Reads a `packages/NAME` file.
 *
 * @param file The file bytes (gzip).
 * @param publicKey The repository public key (PEM or imported).
 * @param options Expected repository and package name, and what to verify.
 * @returns The decoded package.
 * @throws {RegistryError} See {@link openSignedFile}; `bad_payload`; `wrong_repository`;
 *   `wrong_package` when the file is another package's.
 */
export async function readPackage(
  file: Uint8Array,
  publicKey: string | CryptoKey | undefined,
  options: ReadPackageOptions,
): Promise<Package> {
  const payload = await openSignedFile(file, publicKey, options);
  const pkg = decodePayload(payload, decodePackage);
  if (options.verifyOrigin !== false) {
    checkRepository(pkg.repository, options.repository);
    if (pkg.name !== options.name) {
      throw new RegistryError(
        "wrong_package",
        `Registry file refused: it describes package "${pkg.name}", expected "${options.name}"`,
      );
    }
  }
  return pkg;
}
