/**
 * Reads the Hex credentials rebar3 and the rebar3_hex plugin keep in
 * `~/.config/rebar3/hex.config` (path: `rebar3HexConfigPath`), so rebar3_hex
 * users can switch to hexpub without logging in again. hexpub never writes
 * this file.
 *
 * The file is a `%% coding: utf-8` line and one Erlang map keyed by repository
 * name binaries (`rebar_hex_repos.erl` write_auth_config/2):
 *
 * ```erlang
 * #{<<"hexpm">> => #{username => <<"alice">>, write_key => {IV, {CipherText, Tag}},
 *                    read_key => <<"…">>, repo_key => <<"…">>},
 *   <<"hexpm:acme">> => #{name => <<"hexpm:acme">>, repo_key => <<"…">>},
 *   <<"$oauth">> => #{access_token => <<"…">>, refresh_token => <<"…">>, expires_at => 1767225600}}.
 * ```
 *
 * The layout of rebar3's newer OAuth entries is not settled, so inner keys are
 * accepted as atoms or binaries alike. Values that are not what a field should
 * hold are skipped rather than refused: the file belongs to another tool.
 *
 * rebar3_hex seals the write key with AES-GCM under the local password
 * zero-padded to 16, 24 or 32 bytes, with no key derivation
 * (`rebar3_hex_config.erl` encrypt_write_key/3, pad/1); see
 * {@link decryptLegacyWriteKey}.
 *
 * @module
 */

import { AuthError, HexpubError } from "../errors.ts";
import { readTerms } from "../erlang/read_terms.ts";
import { latin1, type Term, textOf } from "../erlang/term.ts";
import type { Fs } from "../ports.ts";
import { WrongPasswordError } from "./credential_store.ts";

/** rebar3_hex's sealed write key, `{IV, {CipherText, Tag}}`. */
export interface LegacyWriteKey {
  iv: Uint8Array;
  cipherText: Uint8Array;
  tag: Uint8Array;
}

/** OAuth tokens as rebar3 stores them (each part optional: the layout is not settled). */
export interface Rebar3OAuth {
  accessToken?: string;
  refreshToken?: string;
  /** Unix seconds. */
  expiresAt?: number;
}

/** What hex.config holds for one repository. */
export interface Rebar3RepoCredentials {
  /** The repository name (`hexpm`, `hexpm:acme`, …). */
  repo: string;
  /** The file it was read from. */
  file: string;
  username?: string;
  /** The username's exact bytes: the additional data of the write key. */
  usernameBytes?: Uint8Array;
  /** rebar3_hex's encrypted write key (permission `api`). */
  writeKey?: LegacyWriteKey;
  /** rebar3_hex's plaintext read key (`api:read`). */
  readKey?: string;
  /** A plaintext repository key (`repositories`, or an organization's). */
  repoKey?: string;
  /** A plaintext API key (rebar3 core's per-repo `api_key`). */
  apiKey?: string;
  /** rebar3 core's per-repo `auth_key`. */
  authKey?: string;
  /** rebar3 core's per-repo OAuth token cache (`oauth_token`). */
  oauthToken?: Rebar3OAuth;
}

/** The credentials of a whole hex.config. */
export interface Rebar3HexConfig {
  file: string;
  /** By repository name; `$oauth` is not among them. */
  repos: Record<string, Rebar3RepoCredentials>;
  /** rebar3's global OAuth tokens (the `$oauth` entry). */
  oauth?: Rebar3OAuth;
}

const OAUTH_ENTRY = "$oauth";

/** The text of a map key or value that names something: an atom, a binary or a string. */
function nameOf(term: Term): string | undefined {
  return term.kind === "atom" ? term.value : textOf(term);
}

/** A map's value under `key`, whether the key is written as an atom or as a binary. */
function field(map: Term, key: string): Term | undefined {
  if (map.kind !== "map") return undefined;
  for (const [k, v] of map.entries) {
    if ((k.kind === "atom" || k.kind === "binary" || k.kind === "string") && nameOf(k) === key) {
      return v;
    }
  }
  return undefined;
}

function textField(map: Term, key: string): string | undefined {
  const v = field(map, key);
  return v === undefined ? undefined : textOf(v);
}

function bytesOf(term: Term | undefined): Uint8Array | undefined {
  if (!term) return undefined;
  if (term.kind === "binary") return term.bytes;
  const text = textOf(term);
  if (text === undefined || [...text].some((c) => c.codePointAt(0)! > 255)) return undefined;
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function oauthOf(term: Term | undefined): Rebar3OAuth | undefined {
  if (!term || term.kind !== "map") return undefined;
  const out: Rebar3OAuth = {};
  const access = textField(term, "access_token");
  const refresh = textField(term, "refresh_token");
  const expires = field(term, "expires_at");
  if (access !== undefined) out.accessToken = access;
  if (refresh !== undefined) out.refreshToken = refresh;
  if (expires?.kind === "integer") out.expiresAt = Number(expires.value);
  return out;
}

function writeKeyOf(term: Term | undefined): LegacyWriteKey | undefined {
  if (term?.kind !== "tuple" || term.items.length !== 2) return undefined;
  const [iv, sealed] = term.items;
  if (sealed.kind !== "tuple" || sealed.items.length !== 2) return undefined;
  const ivBytes = bytesOf(iv);
  const cipherText = bytesOf(sealed.items[0]);
  const tag = bytesOf(sealed.items[1]);
  if (!ivBytes || !cipherText || !tag || ivBytes.length === 0) return undefined;
  return { iv: ivBytes, cipherText, tag };
}

function repoOf(repo: string, file: string, term: Term): Rebar3RepoCredentials {
  const out: Rebar3RepoCredentials = { repo, file };
  const username = field(term, "username");
  if (username) {
    const bytes = bytesOf(username);
    const text = textOf(username);
    if (bytes && text !== undefined) {
      out.username = text;
      out.usernameBytes = bytes;
    }
  }
  const writeKey = writeKeyOf(field(term, "write_key"));
  if (writeKey) out.writeKey = writeKey;
  const texts = [
    ["readKey", "read_key"],
    ["repoKey", "repo_key"],
    ["apiKey", "api_key"],
    ["authKey", "auth_key"],
  ] as const;
  for (const [name, key] of texts) {
    const value = textField(term, key);
    if (value !== undefined) out[name] = value;
  }
  const oauthToken = oauthOf(field(term, "oauth_token"));
  if (oauthToken) out.oauthToken = oauthToken;
  return out;
}

/** Decodes the file's bytes as Erlang would: UTF-8 unless a `coding: latin-1` comment says so. */
function decodeText(bytes: Uint8Array): string {
  const head = latin1(bytes.subarray(0, 200)).split("\n", 2).join("\n");
  if (/coding\s*[:=]\s*latin-?1/i.test(head)) return latin1(bytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

/**
 * Reads the text of a hex.config.
 *
 * @param text The file's text.
 * @param file Its path, for messages.
 * @returns The credentials by repository, and the global OAuth tokens.
 * @throws {TermSyntaxError} When the text is not Erlang terms.
 * @throws {HexpubError} When it is not one map.
 */
export function parseRebar3HexConfig(text: string, file: string): Rebar3HexConfig {
  const terms = readTerms(text, file);
  const config: Rebar3HexConfig = { file, repos: {} };
  if (terms.length === 0) return config;
  if (terms.length > 1 || terms[0].kind !== "map") {
    const at = terms[terms.length > 1 ? 1 : 0].span;
    throw new HexpubError(`rebar3's credentials file "${file}" is not one Erlang map`, {
      where: { file, line: at?.line, column: at?.column },
      hint:
        "hexpub only reads this file; fix it with rebar3 (`rebar3 hex user deauth`) or ignore it",
    });
  }
  for (const [k, v] of terms[0].entries) {
    const name = nameOf(k);
    if (name === undefined || v.kind !== "map") continue;
    if (name === OAUTH_ENTRY) config.oauth = oauthOf(v);
    else config.repos[name] = repoOf(name, file, v);
  }
  return config;
}

/**
 * Reads rebar3's hex.config.
 *
 * @param fs The file system.
 * @param path The file's path (see `rebar3HexConfigPath`).
 * @returns The credentials, or `undefined` when there is no such file.
 * @throws As {@link parseRebar3HexConfig}.
 */
export async function readRebar3HexConfig(
  fs: Pick<Fs, "stat" | "readFile">,
  path: string,
): Promise<Rebar3HexConfig | undefined> {
  const info = await fs.stat(path);
  if (!info || info.kind !== "file") return undefined;
  return parseRebar3HexConfig(decodeText(await fs.readFile(path)), path);
}

/**
 * rebar3_hex's AES key for a local password: its UTF-8 bytes zero-padded to 16, 24 or 32
 * bytes, the smallest that fits (`pad/1`).
 *
 * @throws {WrongPasswordError} For 32 bytes or more: rebar3_hex never accepted such a password.
 */
export function legacyKey(localPassword: string): Uint8Array {
  const bytes = new TextEncoder().encode(localPassword);
  if (bytes.length >= 32) {
    throw new WrongPasswordError(
      "local password too long: rebar3_hex local passwords are shorter than 32 bytes",
    );
  }
  const size = bytes.length <= 16 ? 16 : bytes.length <= 24 ? 24 : 32;
  const key = new Uint8Array(size);
  key.set(bytes);
  return key;
}

/**
 * Decrypts rebar3_hex's write key with the local password: AES-GCM, key
 * {@link legacyKey}, the stored IV (16 bytes), additional data = the username's
 * bytes, ciphertext‖tag.
 *
 * @param entry The repository's credentials (from {@link readRebar3HexConfig}).
 * @param localPassword The password given at `rebar3 hex user auth`.
 * @returns The API key.
 * @throws {AuthError} When the entry has no write key.
 * @throws {WrongPasswordError} When the password does not open it (the caller asks again,
 *   three tries).
 */
export async function decryptLegacyWriteKey(
  entry: Pick<Rebar3RepoCredentials, "repo" | "file" | "usernameBytes" | "writeKey">,
  localPassword: string,
): Promise<string> {
  const sealed = entry.writeKey;
  if (!sealed) {
    throw new AuthError(
      `no rebar3_hex write key for repository "${entry.repo}" in "${entry.file}"`,
      {
        hint: "Log in with `hexpub user auth`",
      },
    );
  }
  const raw = legacyKey(localPassword);
  const key = await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    "AES-GCM",
    false,
    [
      "decrypt",
    ],
  );
  const data = new Uint8Array(sealed.cipherText.length + sealed.tag.length);
  data.set(sealed.cipherText);
  data.set(sealed.tag, sealed.cipherText.length);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: sealed.iv as Uint8Array<ArrayBuffer>,
        additionalData: (entry.usernameBytes ?? new Uint8Array()) as Uint8Array<ArrayBuffer>,
        tagLength: sealed.tag.length * 8,
      },
      key,
      data,
    );
  } catch (e) {
    throw new WrongPasswordError(
      `wrong local password for the rebar3_hex write key of "${entry.repo}" in "${entry.file}"`,
      {
        hint: "It is the local password chosen at `rebar3 hex user auth`. " +
          "If it is lost, run `hexpub user auth` to log in afresh",
        cause: e,
      },
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch (e) {
    throw new AuthError(`the rebar3_hex write key of "${entry.repo}" is not text`, { cause: e });
  }
}
