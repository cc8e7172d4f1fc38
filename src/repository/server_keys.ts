/**
 * API keys of a served repository (`hexpub serve key generate`). Only the
 * SHA-256 of each secret is stored, in `DIR.keys.json` beside the repository
 * directory (mode 0600), never inside the served directory.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { sha256Hex } from "../tarball/checksum.ts";

/** One stored key: its name and the SHA-256 (lower hex) of its secret. */
export interface ServeKey {
  name: string;
  sha256: string;
}

/** Where the keys of repository `dir` are kept: beside it, not in it. */
export function serveKeysPath(dir: string): string {
  return join(dirname(dir), `${basename(dir)}.keys.json`);
}

/** The stored keys of repository `dir` (none when the file does not exist). */
export async function readServeKeys(deps: Deps, dir: string): Promise<ServeKey[]> {
  const path = serveKeysPath(dir);
  if (!(await deps.fs.lstat(path))) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(await deps.fs.readTextFile(path));
  } catch (cause) {
    throw new HexpubError(`${path} is not valid JSON`, {
      cause,
      hint: "Remove it and generate the keys again with `hexpub serve key generate`",
    });
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) return [];
  return keys.filter((k): k is ServeKey =>
    typeof k?.name === "string" && typeof k?.sha256 === "string"
  );
}

/**
 * Creates an API key named `name` for repository `dir`, replacing a key of
 * the same name.
 *
 * @returns The secret (32 lower-case hex digits); it is not stored and cannot be shown again.
 */
export async function generateServeKey(deps: Deps, dir: string, name: string): Promise<string> {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) {
    throw new UsageError(`invalid key name "${name}"`, {
      hint: "Use 1 to 64 letters, digits, _, ., @ and -",
    });
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const secret = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const keys = (await readServeKeys(deps, dir)).filter((k) => k.name !== name);
  keys.push({ name, sha256: await sha256Hex(new TextEncoder().encode(secret)) });
  await deps.fs.writeFileAtomic(
    serveKeysPath(dir),
    new TextEncoder().encode(JSON.stringify({ keys }, null, 2) + "\n"),
    { mode: 0o600 },
  );
  return secret;
}

/** Compares two equal-length strings without an early exit. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The name of the key whose secret is `secret`, or `undefined` for an unknown secret. */
export async function checkServeKey(
  deps: Deps,
  dir: string,
  secret: string,
): Promise<string | undefined> {
  if (!secret) return undefined;
  const hash = await sha256Hex(new TextEncoder().encode(secret.trim()));
  let found: string | undefined;
  for (const k of await readServeKeys(deps, dir)) {
    if (sameText(k.sha256, hash)) found ??= k.name;
  }
  return found;
}
