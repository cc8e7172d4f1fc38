/**
 * The local password that encrypts hexpub's credential store: read from
 * `HEXPUB_LOCAL_PASSWORD` (the `localPassword` setting, from `deps.settings`)
 * or asked at a terminal, with three tries there.
 *
 * @module
 */
import { UsageError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import {
  createKey,
  type CredentialStore,
  hasPassword,
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

/** Opens the store with the local password (see `unlockWithPassword`). */
export async function unlockStore(deps: Deps, store: CredentialStore): Promise<StoreKey> {
  return (await unlockWithPassword(deps, store)).key;
}

/**
 * The store's key: unlocked, or (for an empty store) created from a new password, confirmed.
 *
 * @throws {UsageError} When the new passwords differ (or are empty) three times.
 */
export async function storeKey(deps: Deps, store: CredentialStore): Promise<StoreKey> {
  if (hasPassword(store)) return await unlockStore(deps, store);
  const fromEnv = deps.settings.get("localPassword");
  if (fromEnv) return await createKey(fromEnv);
  deps.out.info("Choose a local password: it encrypts the secrets hexpub stores on this machine.");
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
