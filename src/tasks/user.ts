/**
 * The `user` use cases: log in (OAuth device flow or an API key), log out,
 * whoami, register, API keys, and the local password.
 *
 * @module
 */
import { AuthError, HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import type { Credential } from "../hex/api_config.ts";
import { HexApiError } from "../hex/api_errors.ts";
import {
  buildCreateKeyRequest,
  buildGetKeyRequest,
  buildListKeysRequest,
  buildRevokeAllKeysRequest,
  buildRevokeKeyRequest,
  type Key,
  parseCreateKeyResponse,
  parseGetKeyResponse,
  parseListKeysResponse,
  parseRevokeAllKeysResponse,
  parseRevokeKeyResponse,
} from "../hex/key.ts";
import {
  buildDeviceAuthorizationRequest,
  buildDeviceTokenRequest,
  buildRevokeRequest,
  DEFAULT_OAUTH_SCOPE,
  parseDeviceAuthorization,
  parseRevokeResponse,
  parseTokenPoll,
  SLOW_DOWN_INCREMENT_S,
} from "../hex/oauth.ts";
import { parsePermissions, type Permission } from "../hex/permissions.ts";
import { parseDuration, parseExpiry, parseScopes, purposePermissions } from "../hex/scopes.ts";
import { type AuditEntry, buildUserAuditRequest, parseAuditResponse } from "../hex/audit.ts";
import {
  buildCreateUserRequest,
  buildTestAuthRequest,
  buildWhoamiRequest,
  parseCreateUserResponse,
  parseTestAuthResponse,
  parseWhoamiResponse,
} from "../hex/user.ts";
import { send } from "../hex/send.ts";
import {
  changePassword,
  getAccessToken,
  hasPassword,
  loadStore,
  removeRepo,
  setApiKey,
  setOAuth,
  setUsername,
  updateStore,
} from "../config/credential_store.ts";
import {
  call,
  openSession,
  redact,
  type Session,
  storeKey,
  unlockWithPassword,
} from "./session.ts";

/** Who a login is for. */
export interface AuthResult {
  repo: string;
  username: string;
  email?: string;
  /** How: `oauth` (device flow) or `api key`. */
  method: "oauth" | "api key";
  scope?: string;
}

async function whoamiWith(deps: Deps, session: Session, credential: Credential) {
  const req = buildWhoamiRequest(session.accountTarget, {
    userAgent: session.userAgent,
    credential,
  });
  return await parseWhoamiResponse(await send(deps, req, { idempotent: true }), req);
}

/** Revokes an OAuth session on the server (best effort). */
async function revokeSession(
  deps: Deps,
  session: Session,
  access: { accessToken: string; clientId: string } | undefined,
): Promise<boolean> {
  if (!access) return false;
  const req = buildRevokeRequest(session.accountTarget.apiUrl, {
    clientId: access.clientId,
    token: access.accessToken,
    userAgent: session.userAgent,
  });
  try {
    await parseRevokeResponse(await send(deps, req, { idempotent: true }), req);
    return true;
  } catch {
    return false;
  }
}

/**
 * `user auth`: stores an API key (checked first), or runs the OAuth device
 * flow, revoking the previous session.
 *
 * @throws {AuthError} When the key is refused, or the login is denied or expires.
 */
export async function userAuth(
  deps: Deps,
  input: { repo?: string; browser: boolean; key?: string; scopes?: string[] },
): Promise<AuthResult> {
  // Refused before anything happens when malformed.
  const scope = input.scopes?.length ? parseScopes(input.scopes).join(" ") : DEFAULT_OAUTH_SCOPE;
  const session = await openSession(deps, { repo: input.repo, command: "user auth" });
  const name = session.accountEntry;
  const store = await loadStore(deps, session.storePath);
  // Ask for the local password before anything else, not after the browser step.
  const key = await storeKey(deps, store);
  // The session this login replaces: revoked once the new credential is stored.
  const previous = getAccessToken(store, name);

  if (input.key !== undefined) {
    const secret = input.key.trim();
    const credential: Credential = { kind: "key", secret };
    const req = buildTestAuthRequest(session.accountTarget, { domain: "api", resource: "read" }, {
      userAgent: session.userAgent,
      credential,
    });
    const check = await parseTestAuthResponse(await send(deps, req, { idempotent: true }), req)
      .catch((e) => {
        if (e instanceof HexApiError && (e.status === 401 || e.status === 403)) {
          throw new AuthError("the server refused that API key", {
            hint: "Copy the key again from https://hex.pm/dashboard/keys (it needs api:read)",
            cause: e,
          });
        }
        throw e;
      });
    const me = await whoamiWith(deps, session, credential);
    await updateStore(deps, session.storePath, async (s) =>
      setUsername(
        await setApiKey(removeRepo(s, name), key, name, secret, {
          name: check.kind === "key" ? check.name : undefined,
        }),
        name,
        me.username,
      ));
    await revokeSession(deps, session, previous);
    return { repo: session.repo.name, username: me.username, email: me.email, method: "api key" };
  }

  const daReq = buildDeviceAuthorizationRequest(session.accountTarget.apiUrl, {
    clientId: session.clientId,
    scope,
    name: `hexpub on ${deps.host.hostname}`,
    userAgent: session.userAgent,
  });
  const device = await parseDeviceAuthorization(
    await send(deps, daReq, { idempotent: false, timeoutMs: session.timeoutMs }),
    daReq,
  );
  const url = verificationUrl(device.verificationUriComplete ?? device.verificationUri, session);
  deps.out.info("Open this URL in your browser to authenticate:");
  deps.out.info(`  ${url}`);
  deps.out.info(`Enter code: ${printable(device.userCode)}`);
  if (input.browser) {
    const opened = await deps.openUrl(url);
    if (!opened) deps.out.info("(could not open a browser: open the URL yourself)");
  }
  deps.out.info("Waiting for authentication...");

  // At least a second between polls, whatever the server says.
  let interval = Math.max(device.interval, 1);
  const deadline = deps.now() + device.expiresIn * 1000;
  while (true) {
    await deps.sleep(interval * 1000);
    if (deps.now() > deadline) {
      throw new AuthError("the login code expired before it was approved", {
        hint: "Run `hexpub user auth` again and approve the code within 10 minutes",
      });
    }
    const req = buildDeviceTokenRequest(session.accountTarget.apiUrl, {
      clientId: session.clientId,
      deviceCode: device.deviceCode,
      userAgent: session.userAgent,
    });
    // Polling again is harmless (a repeat poll only reissues the token), so
    // transient failures are retried instead of ending a 10-minute login.
    const poll = await parseTokenPoll(
      await send(deps, req, { idempotent: true, timeoutMs: session.timeoutMs }),
      req,
    ).catch((e) => {
      redact(e, [device.deviceCode]);
      throw e;
    });
    if (poll.kind === "pending") continue;
    if (poll.kind === "slow_down") {
      interval += SLOW_DOWN_INCREMENT_S;
      continue;
    }
    if (poll.kind === "denied") {
      throw new AuthError("the login was denied in the browser", {
        hint: "Run `hexpub user auth` again and approve it",
      });
    }
    if (poll.kind === "expired") {
      throw new AuthError("the login code expired before it was approved", {
        hint: "Run `hexpub user auth` again and approve the code within 10 minutes",
      });
    }
    const tokens = poll.tokens;
    const me = await whoamiWith(deps, session, { kind: "oauth", accessToken: tokens.accessToken });
    await updateStore(deps, session.storePath, async (s) =>
      setUsername(
        await setOAuth(removeRepo(s, name), key, name, {
          accessToken: tokens.accessToken,
          expiresAt: Math.floor(deps.now() / 1000) + tokens.expiresIn,
          refreshToken: tokens.refreshToken,
          scope: tokens.scope,
          clientId: session.clientId,
        }),
        name,
        me.username,
      ));
    await revokeSession(deps, session, previous);
    return {
      repo: session.repo.name,
      username: me.username,
      email: me.email,
      method: "oauth",
      scope: tokens.scope,
    };
  }
}

/** Drops control characters, so server text cannot drive the terminal. */
function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, "");
}

/**
 * The verification URL, only if it is safe to print and to hand to a browser:
 * https (or http on loopback), no control characters.
 */
function verificationUrl(raw: string, session: Session): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const loopback = !!url && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (!url || (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))) {
    throw new AuthError("the server sent an unusable verification URL", {
      hint: `Check the API URL in use (${session.accountTarget.apiUrl})`,
    });
  }
  return printable(url.href);
}

/** `user deauth`: revokes the OAuth session on the server, then forgets the repo locally. */
export async function userDeauth(
  deps: Deps,
  input: { repo?: string },
): Promise<{ forgot: boolean; revoked: boolean }> {
  const session = await openSession(deps, { repo: input.repo, command: "user deauth" });
  const name = session.accountEntry;
  const store = await loadStore(deps, session.storePath);
  if (!store.repos[name]) return { forgot: false, revoked: false };
  const revoked = await revokeSession(deps, session, getAccessToken(store, name));
  await updateStore(deps, session.storePath, (s) => removeRepo(s, name));
  return { forgot: true, revoked };
}

/** `user whoami`. */
export async function userWhoami(deps: Deps, input: { repo?: string }) {
  const session = await openSession(deps, { repo: input.repo, command: "user whoami" });
  const me = await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildWhoamiRequest(session.accountTarget, { userAgent: session.userAgent, credential }),
    parse: parseWhoamiResponse,
  });
  return {
    repo: session.repo.name,
    username: me.username,
    email: me.email,
    fullName: me.fullName,
    organizations: me.organizations,
  };
}

/** Reads a value from a flag, else a prompt, else fails naming the flag. */
async function ask(deps: Deps, given: string | undefined, message: string, flag: string) {
  if (given) return given;
  if (!deps.isTerminal) {
    throw new UsageError(`${flag} is needed and there is no terminal to ask for it`, {
      hint: `Pass ${flag}`,
    });
  }
  return (await deps.prompt.input(message)).trim();
}

/** `user register`: creates a hex.pm account. */
export async function userRegister(
  deps: Deps,
  input: { repo?: string; username?: string; email?: string },
): Promise<{ username: string; email: string }> {
  const session = await openSession(deps, { repo: input.repo, command: "user register" });
  const username = await ask(deps, input.username, "Username:", "--username");
  const email = await ask(deps, input.email, "Email:", "--email");
  let password = deps.env.HEXPUB_ACCOUNT_PASSWORD;
  if (!password) {
    if (!deps.isTerminal) {
      throw new UsageError(
        "the account password is needed and there is no terminal to ask for it",
        {
          hint: "Set HEXPUB_ACCOUNT_PASSWORD",
        },
      );
    }
    password = await deps.prompt.password("Account password:");
    if (password !== await deps.prompt.password("Account password (confirm):")) {
      throw new UsageError("the passwords do not match", { hint: "Run the command again" });
    }
  }
  deps.out.info("Registering...");
  const user = await call(deps, session, {
    write: true,
    idempotent: false,
    anonymous: true,
    build: () =>
      buildCreateUserRequest(session.accountTarget, { username, email, password: password! }, {
        userAgent: session.userAgent,
      }),
    parse: parseCreateUserResponse,
    secrets: [password!],
  });
  return { username: user.username, email: user.email ?? email };
}

/** The permissions of a new key: the given ones (validated before any request), else full API. */
export function keyPermissions(given: string[], fallback: Permission[]): Permission[] {
  return given.length > 0 ? parsePermissions(given) : fallback;
}

/** Key operations for the user (`org` undefined) or an organization. */
export async function createKey(
  deps: Deps,
  session: Session,
  input: { name: string; permissions: Permission[]; org?: string; revokeAt?: Date },
): Promise<Key> {
  return await call(deps, session, {
    write: true,
    idempotent: false,
    build: (credential, otp) =>
      buildCreateKeyRequest(session.accountTarget, {
        name: input.name,
        permissions: input.permissions,
        ...(input.revokeAt ? { revokeAt: input.revokeAt } : {}),
      }, { userAgent: session.userAgent, credential, otp, org: input.org }),
    parse: parseCreateKeyResponse,
  });
}

/** Lists keys (of the user, or of `org`). */
export async function listKeys(deps: Deps, session: Session, org?: string): Promise<Key[]> {
  return await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildListKeysRequest(session.accountTarget, {
        userAgent: session.userAgent,
        credential,
        org,
      }),
    parse: parseListKeysResponse,
  });
}

/** Revokes one key by name; returns its name. */
export async function revokeKey(
  deps: Deps,
  session: Session,
  input: { name: string; org?: string },
): Promise<string> {
  await call(deps, session, {
    write: true,
    idempotent: true,
    build: (credential, otp) =>
      buildRevokeKeyRequest(session.accountTarget, input.name, {
        userAgent: session.userAgent,
        credential,
        otp,
        org: input.org,
      }),
    parse: parseRevokeKeyResponse,
  });
  return input.name;
}

/** Revokes every key (of the user, or of `org`). */
export async function revokeAllKeys(deps: Deps, session: Session, org?: string): Promise<void> {
  await call(deps, session, {
    write: true,
    idempotent: true,
    build: (credential, otp) =>
      buildRevokeAllKeysRequest(session.accountTarget, {
        userAgent: session.userAgent,
        credential,
        otp,
        org,
      }),
    parse: parseRevokeAllKeysResponse,
  });
}

/** The permissions of a new key: a named purpose, the given ones, or the fallback. */
export function chooseKeyPermissions(
  input: { permissions: string[]; purpose?: string[] },
  repo: string,
  fallback: Permission[],
): Permission[] {
  if (input.purpose?.length) {
    if (input.permissions.length > 0) {
      throw new UsageError("--for and --permission cannot be combined", {
        hint: "--for picks the permissions for you; pass one or the other",
      });
    }
    const [purpose, ...args] = input.purpose;
    if (args.length > 1) {
      throw new UsageError(`--for ${purpose} takes at most one argument, got ${args.length}`);
    }
    return purposePermissions(purpose, args[0], repo);
  }
  return keyPermissions(input.permissions, fallback);
}

/** `user key generate`: the new key, with its secret (shown once). */
export async function keyGenerate(
  deps: Deps,
  input: {
    repo?: string;
    name?: string;
    permissions: string[];
    purpose?: string[];
    expires?: string;
    otp?: string;
  },
): Promise<Key> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key generate",
  });
  const repoName = session.repo.organization ?? "hexpm";
  const permissions = chooseKeyPermissions(input, repoName, [{ domain: "api" }]);
  const revokeAt = input.expires === undefined ? undefined : parseExpiry(input.expires, deps.now());
  return await createKey(deps, session, {
    name: input.name ?? deps.host.hostname,
    permissions,
    revokeAt,
  });
}

/** A rotated key: the replacement (with its secret) and the name of the key it replaced. */
export interface Rotation {
  key: Key;
  replaced: string;
}

/**
 * `user key rotate NAME`: a replacement with the same permissions and expiry
 * policy, checked with `GET /auth`, then the old key revoked. Any failure
 * leaves the old key valid (a replacement that does not work is revoked).
 */
export async function keyRotate(
  deps: Deps,
  input: {
    repo?: string;
    name: string;
    otp?: string;
    /** Shows the replacement (its secret) before the old key is revoked. */
    announce?: (key: Key) => void;
  },
): Promise<Rotation> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key rotate",
  });
  const keep = (what: string, e: unknown) =>
    new HexpubError(`${what}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: `The key "${input.name}" is unchanged and still valid`,
      cause: e,
    });
  let old: Key;
  try {
    old = await call(deps, session, {
      write: false,
      idempotent: true,
      build: (credential) =>
        buildGetKeyRequest(session.accountTarget, input.name, {
          userAgent: session.userAgent,
          credential,
        }),
      parse: parseGetKeyResponse,
    });
  } catch (e) {
    throw keep(`could not read the key "${input.name}"`, e);
  }
  // Same expiry policy: as long from now as the old key was given from its creation.
  let revokeAt: Date | undefined;
  if (old.revokeAt && old.insertedAt) {
    const lifetime = Date.parse(old.revokeAt) - Date.parse(old.insertedAt);
    if (lifetime > 0) revokeAt = new Date(deps.now() + lifetime);
  }
  const base = old.name.replace(/-\d{8}(-\d+)?$/, "");
  const stamp = new Date(deps.now()).toISOString().slice(0, 10).replaceAll("-", "");
  let fresh: Key;
  try {
    fresh = await createKey(deps, session, {
      name: `${base}-${stamp}`,
      permissions: old.permissions,
      revokeAt,
    });
  } catch (e) {
    throw keep("could not create the replacement key", e);
  }
  // Does the replacement work? Ask the server with it.
  const [first] = old.permissions.length ? old.permissions : [{ domain: "api" }];
  const check = buildTestAuthRequest(
    session.accountTarget,
    { domain: first.domain, resource: first.resource },
    { userAgent: session.userAgent, credential: { kind: "key", secret: fresh.secret! } },
  );
  try {
    await parseTestAuthResponse(
      await send(deps, check, { idempotent: true, timeoutMs: session.timeoutMs }),
      check,
    );
  } catch (e) {
    const cleaned = await revokeKey(deps, session, { name: fresh.name }).then(
      () => true,
      () => false,
    );
    throw keep(
      cleaned
        ? `the replacement key "${fresh.name}" did not work, so it was revoked again`
        : `the replacement key "${fresh.name}" did not work, and revoking it failed too: revoke it with \`hexpub user key revoke ${fresh.name}\``,
      e,
    );
  }
  // The replacement works: show it before the old key goes, so it is never lost.
  input.announce?.(fresh);
  try {
    await revokeKey(deps, session, { name: old.name });
  } catch (e) {
    const err = new HexpubError(
      `the replacement "${fresh.name}" works, but revoking "${old.name}" failed: ${
        e instanceof Error ? e.message : String(e)
      }`,
      {
        hint:
          `Both keys are valid now: revoke the old one with \`hexpub user key revoke ${old.name}\``,
        cause: e,
      },
    );
    // The new secret must not be lost: it is printed with the error.
    (err as HexpubError & { rotation?: Rotation }).rotation = { key: fresh, replaced: old.name };
    throw err;
  }
  return { key: fresh, replaced: old.name };
}

/** `user key list`. */
export async function keyList(
  deps: Deps,
  input: { repo?: string; stale?: string },
): Promise<Key[]> {
  const maxAge = input.stale === undefined ? undefined : parseDuration(input.stale);
  const keys = await listKeys(
    deps,
    await openSession(deps, { repo: input.repo, command: "user key list" }),
  );
  if (maxAge === undefined) return keys;
  const cutoff = deps.now() - maxAge;
  return keys.filter((k) => {
    const last = k.lastUse?.usedAt ?? k.insertedAt;
    return last === undefined || Date.parse(last) < cutoff;
  });
}

/** `user audit [--page N]`: the account's audit log. */
export async function userAudit(
  deps: Deps,
  input: { repo?: string; page: number },
): Promise<AuditEntry[]> {
  const session = await openSession(deps, { repo: input.repo, command: "user audit" });
  return await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildUserAuditRequest(session.accountTarget, { page: input.page }, {
        userAgent: session.userAgent,
        credential,
      }),
    parse: parseAuditResponse,
  });
}

/** `user key fetch NAME`. */
export async function keyFetch(deps: Deps, input: { repo?: string; name: string }): Promise<Key> {
  const session = await openSession(deps, { repo: input.repo, command: "user key fetch" });
  return await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildGetKeyRequest(session.accountTarget, input.name, {
        userAgent: session.userAgent,
        credential,
      }),
    parse: parseGetKeyResponse,
  });
}

/** `user key revoke NAME`. */
export async function keyRevoke(
  deps: Deps,
  input: { repo?: string; name: string; otp?: string },
): Promise<string> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key revoke",
  });
  return await revokeKey(deps, session, { name: input.name });
}

/** `user key revoke --all`. */
export async function keyRevokeAll(
  deps: Deps,
  input: { repo?: string; otp?: string },
): Promise<void> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key revoke",
  });
  await revokeAllKeys(deps, session);
}

/** `user reset_password account`: where that happens now. */
export function accountPasswordHelp(): string[] {
  return [
    "hex.pm account passwords are reset on the website, not through the API:",
    "  https://hex.pm/password/reset",
    "hexpub logs in with OAuth (`hexpub user auth`) or an API key, so it never needs that password.",
  ];
}

/** `user reset_password local`: re-encrypts the store under a new local password. */
export async function resetLocalPassword(deps: Deps): Promise<void> {
  const session = await openSession(deps, { command: "user reset_password" });
  const store = await loadStore(deps, session.storePath);
  if (!hasPassword(store)) {
    throw new UsageError("no local password is set yet: nothing is stored", {
      hint: "It is chosen the first time you run `hexpub user auth`",
    });
  }
  if (!deps.env.HEXPUB_LOCAL_PASSWORD && !deps.isTerminal) {
    throw new UsageError("the local password is needed and there is no terminal to ask for it", {
      hint: "Set HEXPUB_LOCAL_PASSWORD (the current one) and HEXPUB_NEW_LOCAL_PASSWORD",
    });
  }
  // The current password: three tries at a terminal, checked before anything changes.
  const { password: old } = await unlockWithPassword(deps, store);
  let next = deps.env.HEXPUB_NEW_LOCAL_PASSWORD;
  if (!next) {
    if (!deps.isTerminal) {
      throw new UsageError("the new local password is needed and there is no terminal", {
        hint: "Set HEXPUB_NEW_LOCAL_PASSWORD (and HEXPUB_LOCAL_PASSWORD to the current one)",
      });
    }
    next = await deps.prompt.password("New local password:");
    if (next !== await deps.prompt.password("New local password (confirm):") || !next) {
      throw new UsageError("the new passwords do not match or are empty", {
        hint: "Run the command again",
      });
    }
  }
  await updateStore(
    deps,
    session.storePath,
    async (s) => (await changePassword(s, old, next!)).store,
  );
}
