/**
 * The local password that encrypts hexpub's credential store: read from
 * `HEXPUB_LOCAL_PASSWORD` (the `localPassword` setting, from `deps.settings`)
 * or asked at a terminal, with three tries there.
 *
 * With neither (CI: no terminal, no variable) and a store that has no password,
 * secrets are kept in plain text instead, in the store's private file (mode
 * 0600), as gh and cargo keep tokens; {@link announcePlain} says so in one
 * line. A store that has a password still needs it: without a terminal, that is
 * a usage error naming `HEXPUB_LOCAL_PASSWORD`.
 *
 * @module
 */
import { UsageError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import {
  createKey,
  type CredentialStore,
  hasPassword,
  hasPlainSecrets,
  isPlainKey,
  PLAIN_KEY,
  type StoreKey,
  unlock,
  WrongPasswordError,
} from "../../config/credential_store.ts";

/**
 * Reads the local password: HEXPUB_LOCAL_PASSWORD, else a prompt, else a usage error.
 *
 * @throws {UsageError} With no variable and no terminal.
 */
async function askPassword(deps: Deps, message: string): Promise<string> {
  const fromEnv = deps.settings.get("localPassword");
  if (fromEnv) return fromEnv;
  if (!deps.isTerminal) {
    throw new UsageError("the local password is needed and there is no terminal to ask for it", {
      hint: "Set HEXPUB_LOCAL_PASSWORD (it encrypts the secrets hexpub stores)",
    });
  }
  return await deps.prompt.password(message);
}

/**
 * Runs `attempt` with the local password: three tries at a terminal, one with
 * HEXPUB_LOCAL_PASSWORD; "Sorry, try again." between wrong ones.
 *
 * @throws {WrongPasswordError} After the last wrong try.
 */
export async function withPasswordTries<T>(
  deps: Deps,
  message: string,
  attempt: (password: string) => Promise<T>,
): Promise<T> {
  const tries = deps.settings.get("localPassword") ? 1 : 3;
  for (let i = 1;; i++) {
    const password = await askPassword(deps, message);
    try {
      return await attempt(password);
    } catch (e) {
      if (!(e instanceof WrongPasswordError) || i >= tries) throw e;
      deps.out.info("Sorry, try again.");
    }
  }
}

/**
 * Opens the store with the local password: three tries at a terminal, one with
 * HEXPUB_LOCAL_PASSWORD. Returns the key and the password that opened it.
 *
 * @throws {WrongPasswordError} After the last wrong try.
 */
export async function unlockWithPassword(
  deps: Deps,
  store: CredentialStore,
): Promise<{ key: StoreKey; password: string }> {
  return await withPasswordTries(deps, "Local password:", async (password) => ({
    key: await unlock(store, password),
    password,
  }));
}

/**
 * The key to read a store's secrets: {@link PLAIN_KEY} for a store without a
 * password (its secrets, if any, are plain), else the store unlocked with the
 * local password (see `unlockWithPassword`).
 */
export async function unlockStore(deps: Deps, store: CredentialStore): Promise<StoreKey> {
  if (!hasPassword(store)) return PLAIN_KEY;
  return (await unlockWithPassword(deps, store)).key;
}

/**
 * The key to store a new secret with:
 * - a store with a password: unlocked (HEXPUB_LOCAL_PASSWORD, else asked; no terminal: a usage error);
 * - else HEXPUB_LOCAL_PASSWORD: a new key from it (plain secrets already there get encrypted);
 * - else, at a terminal: a new password, asked twice (ditto);
 * - else {@link PLAIN_KEY}: no terminal and no variable, the secrets are kept in plain text.
 *
 * @throws {UsageError} When the new passwords differ (or are empty) three times.
 */
export async function storeKey(deps: Deps, store: CredentialStore): Promise<StoreKey> {
  if (hasPassword(store)) return await unlockStore(deps, store);
  const fromEnv = deps.settings.get("localPassword");
  if (fromEnv) return await createKey(fromEnv);
  if (!deps.isTerminal) return PLAIN_KEY;
  deps.out.info("Choose a local password: it encrypts the secrets hexpub stores on this machine.");
  if (hasPlainSecrets(store)) {
    deps.out.info("The secrets already stored in plain text will be encrypted with it.");
  }
  for (let i = 1;; i++) {
    const first = await askPassword(deps, "New local password:");
    const second = await askPassword(deps, "New local password (confirm):");
    if (first === second && first.length > 0) return await createKey(first);
    if (i >= 3) {
      throw new UsageError("the passwords did not match (or were empty) three times", {
        hint: "Run the command again, or set HEXPUB_LOCAL_PASSWORD",
      });
    }
    deps.out.info("Passwords do not match or are empty, please try again");
  }
}

/**
 * Says, in one stderr line, that a secret was just saved in plain text (when
 * `key` is {@link PLAIN_KEY}); nothing otherwise.
 *
 * @param deps The ports.
 * @param key The key the secret was stored with.
 * @param file The credential store's path.
 */
export function announcePlain(deps: Deps, key: StoreKey, file: string): void {
  if (!isPlainKey(key)) return;
  deps.out.warn(
    `warning: credentials saved in plain text in "${file}" (mode 0600): no terminal to ask ` +
      "for a local password; set HEXPUB_LOCAL_PASSWORD to encrypt them",
  );
}
