/**
 * `user reset_password local`: the password that encrypts hexpub's
 * credential store on this machine (not the hex.pm account's).
 *
 * @module
 */
import { UsageError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import {
  changePassword,
  hasPassword,
  hasPlainSecrets,
  loadStore,
  updateStore,
} from "../../config/credential_store.ts";
import { openSession, unlockWithPassword } from "../session.ts";

/**
 * `user reset_password local`: re-encrypts the store under a new local password.
 * A store kept in plain text (no password yet) is encrypted under the new one.
 */
export async function resetLocalPassword(deps: Deps): Promise<void> {
  const session = await openSession(deps, { command: "user reset_password" });
  const store = await loadStore(deps, session.storePath);
  if (!hasPassword(store)) {
    if (!hasPlainSecrets(store)) {
      throw new UsageError("no local password is set yet: nothing is stored", {
        hint: "It is chosen the first time you log in (`hexpub user auth`), " +
          "from HEXPUB_LOCAL_PASSWORD or at a terminal",
      });
    }
    const next = await newPassword(deps);
    await updateStore(
      deps,
      session.storePath,
      async (s) => (await changePassword(s, "", next)).store,
    );
    return;
  }
  if (!deps.env.HEXPUB_LOCAL_PASSWORD && !deps.isTerminal) {
    throw new UsageError("the local password is needed and there is no terminal to ask for it", {
      hint: "Set HEXPUB_LOCAL_PASSWORD (the current one) and HEXPUB_NEW_LOCAL_PASSWORD",
    });
  }
  // The current password: three tries at a terminal, checked before anything changes.
  const { password: old } = await unlockWithPassword(deps, store);
  const next = await newPassword(deps);
  await updateStore(
    deps,
    session.storePath,
    async (s) => (await changePassword(s, old, next)).store,
  );
}

/** The new local password: HEXPUB_NEW_LOCAL_PASSWORD, else asked twice at a terminal. */
async function newPassword(deps: Deps): Promise<string> {
  const fromEnv = deps.env.HEXPUB_NEW_LOCAL_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!deps.isTerminal) {
    throw new UsageError("the new local password is needed and there is no terminal", {
      hint: "Set HEXPUB_NEW_LOCAL_PASSWORD (and HEXPUB_LOCAL_PASSWORD to the current one, if any)",
    });
  }
  const next = await deps.prompt.password("New local password:");
  if (next !== await deps.prompt.password("New local password (confirm):") || !next) {
    throw new UsageError("the new passwords do not match or are empty", {
      hint: "Run the command again",
    });
  }
  return next;
}
