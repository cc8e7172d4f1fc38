/**
 * hexpub's own credential store: `credentials.json` in the user config
 * directory (see `config_paths.ts`), one entry per repository name (`hexpm`,
 * `hexpm:acme`, a custom repo).
 *
 * Secrets that live long (OAuth refresh tokens, API keys, repository keys) are
 * encrypted with a key derived from a local password: PBKDF2-SHA256 with
 * {@link DEFAULT_ITERATIONS} iterations and a random 16-byte salt per store,
 * then AES-256-GCM with a random 12-byte IV per secret and additional data
 * naming the repository and the field, so a secret copied to another place in
 * the file no longer decrypts. A verifier (a known text encrypted with the
 * key) tells a wrong password from a damaged file. Short-lived OAuth access
 * tokens are kept in clear beside their expiry, so most commands need no
 * password.
 *
 * On disk (version 1; base64 is standard, with padding; `ct` is ciphertext then
 * the 16-byte tag):
 *
 * ```json
 * {
 *   "version": 1,
 *   "kdf": { "name": "PBKDF2-SHA256", "salt": "<16 bytes>", "iterations": 600000 },
 *   "verifier": { "iv": "<12 bytes>", "ct": "…" },
 *   "repos": {
 *     "hexpm": {
 *       "username": "alice",
 *       "oauth": {
 *         "accessToken": "…", "expiresAt": 1767225600, "scope": "api:write", "clientId": "…",
 *         "refreshToken": { "iv": "…", "ct": "…" }
 *       },
 *       "apiKey": { "iv": "…", "ct": "…", "name": "laptop-api" },
 *       "repoKey": { "iv": "…", "ct": "…" }
 *     }
 *   }
 * }
 * ```
 *
 * A store with no local password (no `kdf`) may instead hold its secrets in
 * plain text, as `{ "plain": "…" }` where an encrypted secret has `{ "iv",
 * "ct" }`: that is what a run with no terminal and no `HEXPUB_LOCAL_PASSWORD`
 * writes (as gh and cargo keep tokens in a private file). A store is either
 * encrypted or plain, never a mix: the first key made from a local password
 * encrypts every plain secret (see {@link createKey} and the setters).
 *
 * Writes are atomic (a temporary file renamed over the store) with mode 0600,
 * so a crash leaves the old or the new file, never a mix. {@link updateStore}
 * re-reads, changes and writes the store while holding a lock file beside it
 * (`credentials.json.lock`, see `file_lock.ts`), so concurrent runs do not lose
 * each other's updates.
 *
 * @module
 */

import { dirname } from "node:path";
import { AuthError, type HexpubErrorOptions } from "../errors.ts";
import type { Fs } from "../ports.ts";
import { type ExclusiveCreate, type LockOptions, withFileLock } from "../io/file_lock.ts";

/**
 * PBKDF2-SHA256 iterations for new keys: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
 * About 90 ms with WebCrypto in Deno (measured on a 2-core machine). Every key hexpub creates uses this
 * unless a caller (a test) passes a count explicitly.
 */
export const DEFAULT_ITERATIONS = 600_000;

/** The most iterations a stored key may claim: beyond this a file could stall hexpub. */
const MAX_ITERATIONS = 10_000_000;

const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KDF_NAME = "PBKDF2-SHA256";
const VERIFIER_TEXT = "hexpub local password check";
const VERIFIER_AAD = JSON.stringify(["hexpub", 1, "verifier"]);

/** A secret encrypted with AES-256-GCM: base64 IV (12 bytes) and base64 ciphertext‖tag. */
export interface Encrypted {
  iv: string;
  ct: string;
}

/** How the store's key is derived from the local password. */
export interface KdfParams {
  name: "PBKDF2-SHA256";
  /** Base64 of 16 random bytes, one salt per store. */
  salt: string;
  iterations: number;
}

/** A secret kept in plain text, in a store that has no local password. */
export interface PlainSecret {
  plain: string;
}

/** A secret as stored: encrypted, or (in a store without a local password) plain. */
export type StoredSecret = Encrypted | PlainSecret;

/** OAuth tokens as stored: the access token in clear (it is short-lived), the refresh token encrypted. */
export interface OAuthEntry {
  accessToken: string;
  /** When the access token expires, in Unix seconds (as Hex's `expires_at`). */
  expiresAt: number;
  refreshToken?: StoredSecret;
  scope: string;
  clientId: string;
}

/** An API key as stored: encrypted (or plain), with the key's name on the server in clear. */
export type ApiKeyEntry = StoredSecret & { name?: string };

/** The credentials of one repository. */
export interface RepoEntry {
  username?: string;
  oauth?: OAuthEntry;
  apiKey?: ApiKeyEntry;
  repoKey?: StoredSecret;
}

/** The whole store, as held in memory. */
export interface CredentialStore {
  version: 1;
  /** Absent until the first secret is stored. */
  kdf?: KdfParams;
  /** Absent exactly when `kdf` is. */
  verifier?: Encrypted;
  /** Entries by repository name. */
  repos: Readonly<Record<string, RepoEntry>>;
  /** The file it was read from, for error messages; never written. */
  file?: string;
}

/** A key that opens one store: the AES key plus the parameters and verifier it belongs to. */
export interface EncryptionKey {
  readonly cryptoKey: CryptoKey;
  readonly kdf: KdfParams;
  readonly verifier: Encrypted;
}

/** The "key" of a store without a local password: secrets are written in plain text. */
export interface PlainKey {
  readonly plain: true;
}

/** What the getters and setters take: a store's encryption key, or {@link PLAIN_KEY}. */
export type StoreKey = EncryptionKey | PlainKey;

/**
 * The key of a store kept without a local password: setters given it write secrets in
 * plain text (mode 0600 like the rest of the file). Refused by a store that has a password.
 */
export const PLAIN_KEY: PlainKey = Object.freeze({ plain: true as const });

/** Whether `key` is {@link PLAIN_KEY} (secrets written in plain text). */
export function isPlainKey(key: StoreKey): key is PlainKey {
  return "plain" in key;
}

/** Whether a stored secret is in plain text. */
export function isPlainSecret(secret: StoredSecret): secret is PlainSecret {
  return "plain" in secret;
}

/** Decrypted OAuth tokens. */
export interface OAuthTokens {
  accessToken: string;
  /** Unix seconds. */
  expiresAt: number;
  refreshToken?: string;
  scope: string;
  clientId: string;
}

/** The encrypted fields of a repository entry, as named in additional data. */
export type SecretField = "apiKey" | "repoKey" | "oauth.refreshToken";

/** The ports the store uses: `Deps` fits. */
export interface StoreIo {
  fs: Fs & Partial<ExclusiveCreate>;
}

/** The local password does not open the store (or the rebar3 write key). Callers give three tries. */
export class WrongPasswordError extends AuthError {
  constructor(message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "WrongPasswordError";
  }
}

/** The store is not what hexpub wrote: bad JSON, bad shape, or a secret that fails its tag. */
export class TamperedStoreError extends AuthError {
  constructor(message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "TamperedStoreError";
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function describe(file: string | undefined): string {
  return file === undefined ? "the credential store" : `the credential store "${file}"`;
}

function tampered(file: string | undefined, detail: string, cause?: unknown): TamperedStoreError {
  const where = file === undefined ? "the credential store" : `"${file}"`;
  return new TamperedStoreError(
    `${describe(file)} is damaged or was changed outside hexpub: ${detail}`,
    {
      hint: `Run \`hexpub user deauth\` for the repository, or delete ${where}, ` +
        "then log in again with `hexpub user auth`",
      where: file === undefined ? undefined : { file },
      cause,
    },
  );
}

/** Additional data binding a secret to its repository and field. */
export function secretAad(repo: string, field: SecretField): string {
  return JSON.stringify(["hexpub", 1, repo, field]);
}

/**
 * Derives the store's AES-256-GCM key from the local password with PBKDF2-SHA256.
 * The password is NFC-normalised first, so the same characters typed anywhere give the same key.
 *
 * @param password The local password.
 * @param salt The store's salt.
 * @param iterations PBKDF2 iterations; {@link DEFAULT_ITERATIONS} unless a test lowers it.
 * @returns A non-extractable key for encrypt and decrypt.
 */
export async function deriveKey(
  password: string,
  salt: Uint8Array,
  iterations: number = DEFAULT_ITERATIONS,
): Promise<CryptoKey> {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be from 1 to ${MAX_ITERATIONS}: ${iterations}`);
  }
  const material = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveKey"],
  );
  return await crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * Encrypts a secret with AES-GCM under a fresh random 12-byte IV.
 *
 * @param key The store's key.
 * @param aad Additional data (see {@link secretAad}).
 * @param plaintext The secret.
 * @returns The IV and ciphertext‖tag, base64.
 */
export async function encryptSecret(
  key: CryptoKey,
  aad: string,
  plaintext: string,
): Promise<Encrypted> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(aad), tagLength: TAG_BYTES * 8 },
    key,
    encoder.encode(plaintext),
  );
  return { iv: iv.toBase64(), ct: new Uint8Array(ct).toBase64() };
}

/**
 * Decrypts a secret made by {@link encryptSecret}.
 *
 * @param key The store's key.
 * @param aad The additional data it was encrypted with.
 * @param secret The encrypted secret.
 * @returns The secret.
 * @throws {TamperedStoreError} When the tag does not match (wrong key, changed bytes or
 *   changed additional data).
 */
export async function decryptSecret(
  key: CryptoKey,
  aad: string,
  secret: Encrypted,
): Promise<string> {
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: Uint8Array.fromBase64(secret.iv),
        additionalData: encoder.encode(aad),
        tagLength: TAG_BYTES * 8,
      },
      key,
      Uint8Array.fromBase64(secret.ct),
    );
  } catch (e) {
    throw tampered(undefined, "a secret fails its integrity check", e);
  }
  try {
    return decoder.decode(plain);
  } catch (e) {
    throw tampered(undefined, "a secret is not UTF-8 text", e);
  }
}

/** An empty store: no password yet, no repositories. */
export function emptyStore(): CredentialStore {
  return { version: 1, repos: {} };
}

/** Whether the store has a local password (it has held an encrypted secret). */
export function hasPassword(store: CredentialStore): boolean {
  return store.kdf !== undefined;
}

/** Whether the store holds secrets in plain text (it has no local password). */
export function hasPlainSecrets(store: CredentialStore): boolean {
  return secretsOf(store).some(({ secret }) => isPlainSecret(secret));
}

/**
 * Makes a key for a store that has no password yet, or for a new password:
 * a fresh salt, {@link DEFAULT_ITERATIONS} iterations unless given, and a verifier.
 *
 * @param password The new local password.
 * @param options `iterations` (tests only); `salt` (16 bytes; random by default).
 * @returns The key, to pass to the setters (which record its parameters in the store).
 */
export async function createKey(
  password: string,
  options: { iterations?: number; salt?: Uint8Array } = {},
): Promise<EncryptionKey> {
  const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  if (salt.length !== SALT_BYTES) throw new RangeError(`salt must be ${SALT_BYTES} bytes`);
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const cryptoKey = await deriveKey(password, salt, iterations);
  const kdf: KdfParams = { name: KDF_NAME, salt: salt.toBase64(), iterations };
  const verifier = await encryptSecret(cryptoKey, VERIFIER_AAD, VERIFIER_TEXT);
  return { cryptoKey, kdf, verifier };
}

/** Every secret of a store (encrypted or plain), with where it is. */
function secretsOf(
  store: CredentialStore,
): { repo: string; field: SecretField; secret: StoredSecret }[] {
  const out: { repo: string; field: SecretField; secret: StoredSecret }[] = [];
  for (const [repo, entry] of Object.entries(store.repos)) {
    if (entry.apiKey) out.push({ repo, field: "apiKey", secret: entry.apiKey });
    if (entry.repoKey) out.push({ repo, field: "repoKey", secret: entry.repoKey });
    if (entry.oauth?.refreshToken) {
      out.push({ repo, field: "oauth.refreshToken", secret: entry.oauth.refreshToken });
    }
  }
  return out;
}

/** Decrypts one field (a plain one is read as is), naming the file, repository and field when it fails. */
async function openField(
  store: CredentialStore,
  key: StoreKey,
  repo: string,
  field: SecretField,
  secret: StoredSecret,
): Promise<string> {
  if (isPlainSecret(secret)) return secret.plain;
  if (isPlainKey(key)) {
    throw tampered(store.file, `the ${field} of repository "${repo}" is encrypted but no kdf is`);
  }
  try {
    return await decryptSecret(key.cryptoKey, secretAad(repo, field), secret);
  } catch (e) {
    throw tampered(store.file, `the ${field} of repository "${repo}" fails its integrity check`, e);
  }
}

/**
 * Opens a store with the local password, and checks every secret in it.
 *
 * @param store The store (from {@link loadStore}).
 * @param password The local password.
 * @returns The key for the getters and setters.
 * @throws {WrongPasswordError} When the password is wrong (the caller asks again, three tries).
 * @throws {TamperedStoreError} When the password is right but a secret was changed or moved.
 * @throws {AuthError} When the store has no password yet (nothing to unlock: use {@link createKey}).
 */
export async function unlock(store: CredentialStore, password: string): Promise<EncryptionKey> {
  if (!store.kdf || !store.verifier) {
    throw new AuthError(`${describe(store.file)} has no local password yet`, {
      hint: "Log in with `hexpub user auth` first",
    });
  }
  const cryptoKey = await deriveKey(
    password,
    Uint8Array.fromBase64(store.kdf.salt),
    store.kdf.iterations,
  );
  try {
    const text = await decryptSecret(cryptoKey, VERIFIER_AAD, store.verifier);
    if (text !== VERIFIER_TEXT) throw new Error("unexpected verifier text");
  } catch (e) {
    throw new WrongPasswordError(`wrong local password for ${describe(store.file)}`, {
      hint: "If you forgot it, run `hexpub user deauth` or delete the file, " +
        "then log in again with `hexpub user auth`",
      cause: e,
    });
  }
  const key: EncryptionKey = { cryptoKey, kdf: store.kdf, verifier: store.verifier };
  for (const { repo, field, secret } of secretsOf(store)) {
    await openField(store, key, repo, field, secret);
  }
  return key;
}

/** Throws unless `key` belongs to `store` (an encryption key, or the plain key of a store with no password). */
function checkKey(store: CredentialStore, key: StoreKey): void {
  if (isPlainKey(key)) {
    if (store.kdf) {
      throw new AuthError(`${describe(store.file)} got a local password during this run`, {
        hint: "Run the command again",
      });
    }
    return;
  }
  if (!store.kdf || !store.verifier) return;
  const same = store.kdf.salt === key.kdf.salt && store.kdf.iterations === key.kdf.iterations &&
    store.verifier.iv === key.verifier.iv && store.verifier.ct === key.verifier.ct;
  if (!same) {
    throw new AuthError(`the local password of ${describe(store.file)} changed during this run`, {
      hint: "Run the command again",
    });
  }
}

/**
 * The store ready to take a secret sealed with `key`: checked against it, and for an
 * encryption key and a store without a password, given the key's parameters with every
 * plain secret encrypted (a store is never a mix).
 */
async function adopt(store: CredentialStore, key: StoreKey): Promise<CredentialStore> {
  checkKey(store, key);
  if (isPlainKey(key) || (store.kdf && store.verifier)) return store;
  const repos: Record<string, RepoEntry> = {};
  for (const [repo, entry] of Object.entries(store.repos)) repos[repo] = structuredClone(entry);
  for (const { repo, field, secret } of secretsOf(store)) {
    if (!isPlainSecret(secret)) continue;
    putSecret(
      repos[repo],
      field,
      await encryptSecret(key.cryptoKey, secretAad(repo, field), secret.plain),
    );
  }
  return { ...store, kdf: key.kdf, verifier: key.verifier, repos };
}

/** Puts a sealed secret into an entry (changed in place), keeping an API key's name. */
function putSecret(entry: RepoEntry, field: SecretField, sealed: StoredSecret): void {
  if (field === "apiKey") entry.apiKey = { ...sealed, ...nameOf(entry.apiKey) };
  else if (field === "repoKey") entry.repoKey = sealed;
  else entry.oauth = { ...entry.oauth!, refreshToken: sealed };
}

/** Seals a secret with `key`: encrypted, or plain for {@link PLAIN_KEY}. */
async function seal(
  key: StoreKey,
  repo: string,
  field: SecretField,
  secret: string,
): Promise<StoredSecret> {
  if (isPlainKey(key)) return { plain: secret };
  return await encryptSecret(key.cryptoKey, secretAad(repo, field), secret);
}

function withRepo(
  store: CredentialStore,
  repo: string,
  change: (entry: RepoEntry) => RepoEntry,
): CredentialStore {
  if (repo === "") throw new RangeError("a repository name cannot be empty");
  const entry = change(getRepo(store, repo) ?? {});
  return { ...store, repos: { ...store.repos, [repo]: entry } };
}

/**
 * Re-encrypts every secret under a new password (`hexpub user reset_password local`).
 * A store with no password yet gets the new one, its plain secrets encrypted.
 *
 * @param store The store.
 * @param oldPassword The current local password (ignored when the store has none).
 * @param newPassword The new one.
 * @param options `iterations` for the new key (tests only; default {@link DEFAULT_ITERATIONS}).
 * @returns The new store and its key.
 * @throws {WrongPasswordError} When `oldPassword` is wrong.
 * @throws {TamperedStoreError} When a secret fails its check.
 */
export async function changePassword(
  store: CredentialStore,
  oldPassword: string,
  newPassword: string,
  options: { iterations?: number } = {},
): Promise<{ store: CredentialStore; key: EncryptionKey }> {
  const secrets: { repo: string; field: SecretField; plain: string }[] = [];
  const oldKey = hasPassword(store) ? await unlock(store, oldPassword) : PLAIN_KEY;
  for (const { repo, field, secret } of secretsOf(store)) {
    secrets.push({ repo, field, plain: await openField(store, oldKey, repo, field, secret) });
  }
  const key = await createKey(newPassword, { iterations: options.iterations });
  const repos: Record<string, RepoEntry> = {};
  for (const [repo, entry] of Object.entries(store.repos)) repos[repo] = structuredClone(entry);
  for (const { repo, field, plain } of secrets) {
    putSecret(repos[repo], field, await seal(key, repo, field, plain));
  }
  return { store: { ...store, kdf: key.kdf, verifier: key.verifier, repos }, key };
}

function nameOf(entry: ApiKeyEntry | undefined): { name?: string } {
  return entry?.name === undefined ? {} : { name: entry.name };
}

// ---------------------------------------------------------------------------------------------
// Getters and setters. Setters return a new store; those that encrypt need the store's key.

/** The repository names that have an entry, sorted. */
export function repoNames(store: CredentialStore): string[] {
  return Object.keys(store.repos).sort();
}

/** One repository's entry as stored (secrets still encrypted). */
export function getRepo(store: CredentialStore, repo: string): RepoEntry | undefined {
  return Object.hasOwn(store.repos, repo) ? store.repos[repo] : undefined;
}

/** The username recorded for a repository. */
export function getUsername(store: CredentialStore, repo: string): string | undefined {
  return getRepo(store, repo)?.username;
}

/** Records the username for a repository. */
export function setUsername(
  store: CredentialStore,
  repo: string,
  username: string,
): CredentialStore {
  return withRepo(store, repo, (e) => ({ ...e, username }));
}

/**
 * The cached OAuth access token, readable without the password. Whether it is still fresh
 * enough is the caller's decision (`expiresAt` is in Unix seconds).
 */
export function getAccessToken(
  store: CredentialStore,
  repo: string,
): { accessToken: string; expiresAt: number; scope: string; clientId: string } | undefined {
  const oauth = getRepo(store, repo)?.oauth;
  if (!oauth) return undefined;
  const { accessToken, expiresAt, scope, clientId } = oauth;
  return { accessToken, expiresAt, scope, clientId };
}

/** The OAuth tokens of a repository, the refresh token decrypted. */
export async function getOAuth(
  store: CredentialStore,
  key: StoreKey,
  repo: string,
): Promise<OAuthTokens | undefined> {
  const oauth = getRepo(store, repo)?.oauth;
  if (!oauth) return undefined;
  checkKey(store, key);
  const { accessToken, expiresAt, scope, clientId } = oauth;
  const tokens: OAuthTokens = { accessToken, expiresAt, scope, clientId };
  if (oauth.refreshToken) {
    tokens.refreshToken = await openField(
      store,
      key,
      repo,
      "oauth.refreshToken",
      oauth.refreshToken,
    );
  }
  return tokens;
}

/** Stores OAuth tokens for a repository, encrypting the refresh token (plain with {@link PLAIN_KEY}). */
export async function setOAuth(
  store: CredentialStore,
  key: StoreKey,
  repo: string,
  tokens: OAuthTokens,
): Promise<CredentialStore> {
  const next = await adopt(store, key);
  const oauth: OAuthEntry = {
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt,
    scope: tokens.scope,
    clientId: tokens.clientId,
  };
  if (tokens.refreshToken !== undefined) {
    oauth.refreshToken = await seal(key, repo, "oauth.refreshToken", tokens.refreshToken);
  }
  return withRepo(next, repo, (e) => ({ ...e, oauth }));
}

/**
 * Replaces a repository's cached access token (after a refresh that kept the refresh token);
 * needs no password.
 *
 * @throws {RangeError} When the repository has no OAuth entry.
 */
export function setAccessToken(
  store: CredentialStore,
  repo: string,
  accessToken: string,
  expiresAt: number,
): CredentialStore {
  const oauth = getRepo(store, repo)?.oauth;
  if (!oauth) throw new RangeError(`repository "${repo}" has no OAuth tokens`);
  return withRepo(store, repo, (e) => ({ ...e, oauth: { ...oauth, accessToken, expiresAt } }));
}

/** A repository's API key, decrypted, with its name on the server. */
export async function getApiKey(
  store: CredentialStore,
  key: StoreKey,
  repo: string,
): Promise<{ secret: string; name?: string } | undefined> {
  const apiKey = getRepo(store, repo)?.apiKey;
  if (!apiKey) return undefined;
  checkKey(store, key);
  const secret = await openField(store, key, repo, "apiKey", apiKey);
  return { secret, ...nameOf(apiKey) };
}

/** Stores a repository's API key, encrypted (plain with {@link PLAIN_KEY}). */
export async function setApiKey(
  store: CredentialStore,
  key: StoreKey,
  repo: string,
  secret: string,
  options: { name?: string } = {},
): Promise<CredentialStore> {
  const next = await adopt(store, key);
  const sealed = await seal(key, repo, "apiKey", secret);
  const apiKey: ApiKeyEntry = options.name === undefined
    ? sealed
    : { ...sealed, name: options.name };
  return withRepo(next, repo, (e) => ({ ...e, apiKey }));
}

/** A repository's repository (read) key, decrypted. */
export async function getRepoKey(
  store: CredentialStore,
  key: StoreKey,
  repo: string,
): Promise<string | undefined> {
  const repoKey = getRepo(store, repo)?.repoKey;
  if (!repoKey) return undefined;
  checkKey(store, key);
  return await openField(store, key, repo, "repoKey", repoKey);
}

/** Stores a repository's repository key, encrypted (plain with {@link PLAIN_KEY}). */
export async function setRepoKey(
  store: CredentialStore,
  key: StoreKey,
  repo: string,
  secret: string,
): Promise<CredentialStore> {
  const next = await adopt(store, key);
  const repoKey = await seal(key, repo, "repoKey", secret);
  return withRepo(next, repo, (e) => ({ ...e, repoKey }));
}

/** Forgets one credential of a repository (the entry goes when nothing is left); needs no password. */
export function removeCredential(
  store: CredentialStore,
  repo: string,
  what: "oauth" | "apiKey" | "repoKey" | "username",
): CredentialStore {
  const entry = getRepo(store, repo);
  if (!entry) return store;
  const rest: RepoEntry = { ...entry };
  delete rest[what];
  if (Object.keys(rest).length === 0) return removeRepo(store, repo);
  return withRepo(store, repo, () => rest);
}

/** Forgets everything about a repository (`hexpub user deauth`); needs no password. */
export function removeRepo(store: CredentialStore, repo: string): CredentialStore {
  if (!getRepo(store, repo)) return store;
  const repos: Record<string, RepoEntry> = {};
  for (const [name, entry] of Object.entries(store.repos)) {
    if (name !== repo) repos[name] = entry;
  }
  return { ...store, repos };
}

// ---------------------------------------------------------------------------------------------
// The file.

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks and copies a parsed store, so nothing unexpected reaches the rest of hexpub. */
function validate(json: unknown, file: string): CredentialStore {
  const bad = (detail: string) => tampered(file, detail);
  const base64 = (v: unknown, what: string, length?: number, min?: number): string => {
    if (typeof v !== "string") throw bad(`${what} is not a string`);
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.fromBase64(v);
    } catch {
      throw bad(`${what} is not base64`);
    }
    if (length !== undefined && bytes.length !== length) {
      throw bad(`${what} is not ${length} bytes`);
    }
    if (min !== undefined && bytes.length < min) throw bad(`${what} is too short`);
    return v;
  };
  const text = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw bad(`${what} is not a string`);
    return v;
  };
  let plainSecrets = 0;
  const sealed = (v: unknown, what: string): StoredSecret => {
    if (!isRecord(v)) throw bad(`${what} is not an object`);
    if (v.plain !== undefined || v.iv === undefined) {
      plainSecrets++;
      return { plain: text(v.plain, `${what}.plain`) };
    }
    return {
      iv: base64(v.iv, `${what}.iv`, IV_BYTES),
      ct: base64(v.ct, `${what}.ct`, undefined, TAG_BYTES),
    };
  };

  if (!isRecord(json)) throw bad("it is not a JSON object");
  if (json.version !== 1) {
    if (typeof json.version === "number" && json.version > 1) {
      throw new AuthError(
        `${describe(file)} was written by a newer hexpub (format ${json.version})`,
        { hint: "Upgrade hexpub", where: { file } },
      );
    }
    throw bad(`unknown format version ${JSON.stringify(json.version)}`);
  }
  const store: CredentialStore = { version: 1, repos: {}, file };
  if ((json.kdf === undefined) !== (json.verifier === undefined)) {
    throw bad("it has only one of kdf and verifier");
  }
  if (json.kdf !== undefined) {
    const kdf = json.kdf;
    if (!isRecord(kdf) || kdf.name !== KDF_NAME) throw bad(`kdf is not ${KDF_NAME}`);
    const iterations = kdf.iterations;
    if (
      typeof iterations !== "number" || !Number.isSafeInteger(iterations) || iterations < 1 ||
      iterations > MAX_ITERATIONS
    ) {
      throw bad(`kdf.iterations is not from 1 to ${MAX_ITERATIONS}`);
    }
    store.kdf = { name: KDF_NAME, salt: base64(kdf.salt, "kdf.salt", SALT_BYTES), iterations };
    const verifier = sealed(json.verifier, "verifier");
    if (isPlainSecret(verifier)) throw bad("verifier is not encrypted");
    store.verifier = verifier;
  }
  if (!isRecord(json.repos)) throw bad("repos is not an object");
  const repos: Record<string, RepoEntry> = {};
  let secrets = 0;
  for (const [name, value] of Object.entries(json.repos)) {
    const at = `repos[${JSON.stringify(name)}]`;
    if (name === "" || !isRecord(value)) throw bad(`${at} is not a repository entry`);
    const entry: RepoEntry = {};
    if (value.username !== undefined) entry.username = text(value.username, `${at}.username`);
    if (value.apiKey !== undefined) {
      entry.apiKey = sealed(value.apiKey, `${at}.apiKey`);
      if (isRecord(value.apiKey) && value.apiKey.name !== undefined) {
        entry.apiKey.name = text(value.apiKey.name, `${at}.apiKey.name`);
      }
      secrets++;
    }
    if (value.repoKey !== undefined) {
      entry.repoKey = sealed(value.repoKey, `${at}.repoKey`);
      secrets++;
    }
    if (value.oauth !== undefined) {
      const o = value.oauth;
      if (!isRecord(o)) throw bad(`${at}.oauth is not an object`);
      if (typeof o.expiresAt !== "number" || !Number.isFinite(o.expiresAt)) {
        throw bad(`${at}.oauth.expiresAt is not a number`);
      }
      entry.oauth = {
        accessToken: text(o.accessToken, `${at}.oauth.accessToken`),
        expiresAt: o.expiresAt,
        scope: text(o.scope, `${at}.oauth.scope`),
        clientId: text(o.clientId, `${at}.oauth.clientId`),
      };
      if (o.refreshToken !== undefined) {
        entry.oauth.refreshToken = sealed(o.refreshToken, `${at}.oauth.refreshToken`);
        secrets++;
      }
    }
    repos[name] = entry;
  }
  if (secrets > plainSecrets && !store.kdf) throw bad("it holds encrypted secrets but no kdf");
  if (plainSecrets > 0 && store.kdf) {
    throw bad("it holds plain-text secrets beside a local password");
  }
  store.repos = repos;
  return store;
}

/** The store as written: fields in a fixed order, `file` left out. */
function serialise(store: CredentialStore): Uint8Array {
  const out: Record<string, unknown> = { version: 1 };
  if (store.kdf && store.verifier) {
    out.kdf = store.kdf;
    out.verifier = store.verifier;
  }
  const repos: Record<string, unknown> = {};
  for (const name of repoNames(store)) repos[name] = store.repos[name];
  out.repos = repos;
  return encoder.encode(JSON.stringify(out, null, 2) + "\n");
}

/**
 * Reads the store. A missing file is an empty store.
 *
 * @param io The ports.
 * @param path The store's path (see `credentialsPath`).
 * @returns The store, with `file` set to `path`.
 * @throws {TamperedStoreError} When the file is not a valid store.
 * @throws {AuthError} When the file cannot be read.
 */
export async function loadStore(io: StoreIo, path: string): Promise<CredentialStore> {
  const info = await io.fs.stat(path);
  if (!info) return { ...emptyStore(), file: path };
  if (info.kind !== "file") throw tampered(path, "it is not a regular file");
  let bytes: Uint8Array;
  try {
    bytes = await io.fs.readFile(path);
  } catch (e) {
    throw new AuthError(`cannot read ${describe(path)}: ${e instanceof Error ? e.message : e}`, {
      hint: `Check the permissions of "${path}" (hexpub keeps it private to you, mode 0600)`,
      where: { file: path },
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw tampered(path, "it is not valid JSON", e);
  }
  return validate(json, path);
}

/**
 * Writes the store atomically (a temporary file renamed over it), mode 0600 where the platform
 * has modes. Creates the directory (mode 0700) when missing. Use {@link updateStore} to change
 * a store other runs may also change.
 *
 * @param io The ports.
 * @param path The store's path.
 * @param store The store to write.
 */
export async function saveStore(io: StoreIo, path: string, store: CredentialStore): Promise<void> {
  const hasModes = await ensureDir(io.fs, dirname(path));
  await io.fs.writeFileAtomic(path, serialise(store), hasModes ? { mode: 0o600 } : undefined);
}

/** Creates `dir` (private) when missing; tells whether the platform has permission bits. */
async function ensureDir(fs: Fs, dir: string): Promise<boolean> {
  const before = await fs.stat(dir);
  if (before) return before.mode !== undefined;
  await fs.mkdir(dir);
  const after = await fs.stat(dir);
  const hasModes = after?.mode !== undefined;
  if (hasModes) await fs.chmod(dir, 0o700);
  return hasModes;
}

/**
 * Changes the store safely against other hexpub runs: takes the lock
 * `PATH.lock`, re-reads the store, applies `update`, writes it atomically,
 * releases the lock. `update` should be quick (no prompts, no network); derive
 * the key before calling.
 *
 * @param io The ports.
 * @param path The store's path.
 * @param update Makes the new store from the current one.
 * @param options Lock timing (tests).
 * @returns The store as written.
 * @throws {TamperedStoreError} When the current file is not a valid store.
 * @throws {HexpubError} When another run holds the lock past the timeout.
 */
export async function updateStore(
  io: StoreIo,
  path: string,
  update: (store: CredentialStore) => CredentialStore | Promise<CredentialStore>,
  options: LockOptions = {},
): Promise<CredentialStore> {
  await ensureDir(io.fs, dirname(path));
  return await withFileLock(io.fs, `${path}.lock`, async () => {
    const next = await update(await loadStore(io, path));
    await saveStore(io, path, next);
    return { ...next, file: path };
  }, options);
}
