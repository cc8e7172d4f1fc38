/**
 * `user auth` and `user deauth`: logging this machine in to a Hex account —
 * with an API key (checked with the server first) or with the OAuth device
 * flow — and out again. A new login replaces the stored one and revokes the
 * OAuth session it replaces; a failed login leaves the old one untouched.
 *
 * @module
 */
import { isHexpmFamily } from "../../config/repos.ts";
import { AuthError, UsageError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import type { Credential } from "../../hex/api_config.ts";
import { HexApiError } from "../../hex/api_errors.ts";
import {
  buildDeviceAuthorizationRequest,
  buildDeviceTokenRequest,
  buildRevokeRequest,
  DEFAULT_OAUTH_SCOPE,
  type DeviceAuthorization,
  type OAuthTokens,
  parseDeviceAuthorization,
  parseRevokeResponse,
  parseTokenPoll,
  SLOW_DOWN_INCREMENT_S,
} from "../../hex/oauth.ts";
import { parseScopes } from "../../hex/scopes.ts";
import {
  buildTestAuthRequest,
  buildWhoamiRequest,
  parseTestAuthResponse,
  parseWhoamiResponse,
} from "../../hex/user.ts";
import { send } from "../../hex/send.ts";
import {
  type CredentialStore,
  getAccessToken,
  loadStore,
  removeRepo,
  setApiKey,
  setOAuth,
  setUsername,
  type StoreKey,
  updateStore,
} from "../../config/credential_store.ts";
import { announcePlain, openSession, redact, type Session, storeKey } from "../session.ts";
import { keyFromStdin } from "../secret_stdin.ts";

/** Who a login is for. */
export interface AuthResult {
  repo: string;
  username: string;
  email?: string;
  /** How: `oauth` (device flow) or `api key`. */
  method: "oauth" | "api key";
  scope?: string;
}

/** What a login hands back to be stored. */
interface Login {
  /** Writes the new credential into the (emptied) entry. */
  store(s: CredentialStore, key: StoreKey, name: string): Promise<CredentialStore>;
  credential: Credential;
  method: AuthResult["method"];
  scope?: string;
}

/** What `user auth` is given. */
export interface UserAuthInput {
  repo?: string;
  browser: boolean;
  /** `--device`: run the OAuth device flow even without a terminal (print, then wait). */
  device?: boolean;
  /** `--key KEY` (seen by other users in `ps`). */
  key?: string;
  /** `--key-stdin`: the key is read from stdin, or asked without echo at a terminal. */
  keyStdin?: boolean;
  scopes?: string[];
}

/**
 * The API key to store, if any: `--key`, `--key-stdin`, else `HEX_API_KEY`
 * when it is sent to this repository; `undefined` means the OAuth login.
 */
async function givenKey(
  deps: Deps,
  session: Session,
  input: UserAuthInput,
): Promise<string | undefined> {
  if (input.keyStdin) return await keyFromStdin(deps, "hexpub user auth", input.key);
  if (input.key !== undefined) return input.key.trim();
  // HEX_API_KEY, when it is the key this repository is sent (see selectRepo).
  const env = deps.settings.source("apiKey");
  if (env?.source === "env" && session.repo.apiKey === env.value) {
    deps.out.info(`Storing the API key from ${env.origin}.`);
    return env.value.trim();
  }
  return undefined;
}

/**
 * `user auth`: stores an API key (checked first) given with `--key`,
 * `--key-stdin` or `HEX_API_KEY`, or runs the OAuth device flow, revoking the
 * previous session.
 *
 * @throws {AuthError} When the key is refused, or the login is denied or expires.
 * @throws {UsageError} For both `--key` and `--key-stdin`, or nothing on stdin.
 */
export async function userAuth(deps: Deps, input: UserAuthInput): Promise<AuthResult> {
  // Refused before anything happens when malformed.
  const scope = input.scopes?.length ? parseScopes(input.scopes).join(" ") : DEFAULT_OAUTH_SCOPE;
  const session = await openSession(deps, { repo: input.repo, command: "user auth" });
  const secret = await givenKey(deps, session, input);
  // The device flow waits for someone at a browser: without a terminal it
  // runs only when asked for (gh's `auth login` wants --web or --with-token).
  if (secret === undefined && !deps.isTerminal && !input.browser && !input.device) {
    throw new UsageError("user auth: no terminal, and no API key given", {
      hint: "In CI, pipe an API key: `printf '%s' \"$KEY\" | hexpub user auth --key-stdin` " +
        "(or set HEX_API_KEY); to run the OAuth device flow anyway and wait for it, " +
        "pass --device (or --browser)",
    });
  }
  const name = session.accountEntry;
  const store = await loadStore(deps, session.storePath);
  // Ask for the local password before anything else, not after the browser step.
  const key = await storeKey(deps, store);
  // The session this login replaces: revoked once the new credential is stored.
  const previous = getAccessToken(store, name);

  const login = secret !== undefined
    ? await keyLogin(deps, session, secret)
    : await deviceLogin(deps, session, { scope, browser: input.browser });
  const me = await whoamiWith(deps, session, login.credential);
  await updateStore(
    deps,
    session.storePath,
    async (s) => setUsername(await login.store(removeRepo(s, name), key, name), name, me.username),
  );
  announcePlain(deps, key, session.storePath);
  await revokeSession(deps, session, previous);
  return {
    repo: session.repo.name,
    username: me.username,
    email: me.email,
    method: login.method,
    ...(login.method === "oauth" ? { scope: login.scope } : {}),
  };
}

/**
 * An API key, checked with the server (`GET /auth`, api:read) before it is kept.
 *
 * @throws {AuthError} When the server refuses it.
 */
async function keyLogin(deps: Deps, session: Session, secret: string): Promise<Login> {
  const credential: Credential = { kind: "key", secret };
  const req = buildTestAuthRequest(session.accountTarget, { domain: "api", resource: "read" }, {
    userAgent: session.userAgent,
    credential,
  });
  const check = await parseTestAuthResponse(await send(deps, req, { idempotent: true }), req)
    .catch((e) => {
      if (e instanceof HexApiError && (e.status === 401 || e.status === 403)) {
        throw new AuthError("the server refused that API key", {
          hint: isHexpmFamily(session.repo)
            ? "Copy the key again from https://hex.pm/dashboard/keys (it needs api:read)"
            : `Check the key with the owner of ${session.repo.name} (it needs api:read); a ` +
              "repository served by hexpub makes keys with `hexpub serve key generate DIR`",
          cause: e,
        });
      }
      throw e;
    });
  return {
    credential,
    method: "api key",
    store: (s, key, name) =>
      setApiKey(s, key, name, secret, { name: check.kind === "key" ? check.name : undefined }),
  };
}

/**
 * The OAuth device flow: shows the URL and code, opens a browser when asked,
 * then polls until the login is approved, denied or expires.
 *
 * @throws {AuthError} When the login is denied, or the code expires.
 */
async function deviceLogin(
  deps: Deps,
  session: Session,
  options: { scope: string; browser: boolean },
): Promise<Login> {
  const daReq = buildDeviceAuthorizationRequest(session.accountTarget.apiUrl, {
    clientId: session.clientId,
    scope: options.scope,
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
  if (options.browser) {
    const opened = await deps.openUrl(url);
    if (!opened) deps.out.info("(could not open a browser: open the URL yourself)");
  }
  deps.out.info("Waiting for authentication...");
  const tokens = await pollForTokens(deps, session, device);
  return {
    credential: { kind: "oauth", accessToken: tokens.accessToken },
    method: "oauth",
    scope: tokens.scope,
    store: (s, key, name) =>
      setOAuth(s, key, name, {
        accessToken: tokens.accessToken,
        expiresAt: Math.floor(deps.now() / 1000) + tokens.expiresIn,
        refreshToken: tokens.refreshToken,
        scope: tokens.scope,
        clientId: session.clientId,
      }),
  };
}

/** Polls the token endpoint at the server's pace until the device login ends. */
async function pollForTokens(
  deps: Deps,
  session: Session,
  device: DeviceAuthorization,
): Promise<OAuthTokens> {
  const expired = () =>
    new AuthError("the login code expired before it was approved", {
      hint: "Run `hexpub user auth` again and approve the code within 10 minutes",
    });
  // At least a second between polls, whatever the server says.
  let interval = Math.max(device.interval, 1);
  const deadline = deps.now() + device.expiresIn * 1000;
  while (true) {
    await deps.sleep(interval * 1000);
    if (deps.now() > deadline) throw expired();
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
    if (poll.kind === "expired") throw expired();
    return poll.tokens;
  }
}

/** Who a credential belongs to (`GET /users/me`). */
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
