/**
 * The `user` use cases — the stable entry point of `tasks/user/`:
 *
 * - `login.ts`: log in (OAuth device flow or an API key) and out;
 * - `account.ts`: whoami, register, the audit log;
 * - `keys.ts`: API keys (shared with `organization`);
 * - `key_rotate.ts`: replacing a key safely;
 * - `local_password.ts`: re-encrypting the credential store.
 *
 * @module
 */
export { type AuthResult, userAuth, userDeauth } from "./user/login.ts";
export { accountPasswordHelp, userAudit, userRegister, userWhoami } from "./user/account.ts";
export {
  chooseKeyPermissions,
  createKey,
  keyFetch,
  keyGenerate,
  keyList,
  keyPermissions,
  keyRevoke,
  keyRevokeAll,
  listKeys,
  revokeAllKeys,
  revokeKey,
} from "./user/keys.ts";
export { keyRotate, type Rotation } from "./user/key_rotate.ts";
export { resetLocalPassword } from "./user/local_password.ts";
