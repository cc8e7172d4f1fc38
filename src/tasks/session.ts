/**
 * A connection to one Hex repository — the stable entry point of
 * `tasks/session/`:
 *
 * - `select_repo.ts`: which repository (`-r`, rebar3 and hexpub config, the
 *   run's settings) and the `Session` for it, with its kind (`api` or `local`);
 * - `credentials.ts`: which credential, in hex_cli_auth's order;
 * - `refresh.ts`: OAuth refresh under the store lock;
 * - `local_password.ts`: the password that opens hexpub's credential store;
 * - `call.ts`: one call, with the scope check, a refresh on 401 and TOTP;
 * - `redact.ts`: secrets kept out of server errors.
 *
 * @module
 */
export {
  httpTimeout,
  isLocal,
  knownRepos,
  LOCAL_API,
  LOCAL_REPO,
  openSession,
  rebarConfigs,
  type RepoKind,
  repoKind,
  runUserAgent,
  selectRepository,
  type Session,
  storeEntry,
} from "./session/select_repo.ts";
export { resolveCredential, type ResolvedCredential } from "./session/credentials.ts";
export {
  announcePlain,
  storeKey,
  unlockStore,
  unlockWithPassword,
} from "./session/local_password.ts";
export { type Call, call } from "./session/call.ts";
export { redact } from "./session/redact.ts";
