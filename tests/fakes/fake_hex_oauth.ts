/**
 * FakeHex's OAuth: the device authorization flow (`/oauth/device_authorization`,
 * the device-code grant of `/oauth/token`), refresh tokens, `/oauth/revoke`, and
 * the sessions (an access token and its refresh token) they issue.
 *
 * @module
 */

import type { Ctx, FakeHexCore, RouteDef } from "./fake_hex_core.ts";
import {
  cmp,
  fakeJwt,
  json,
  oauthError,
  parseParams,
  randomBase64Url,
  randomFrom,
  str,
} from "./fake_hex_http.ts";
import type { FakeDevice, FakeToken, TokenResponse } from "./fake_hex_types.ts";

const ACCESS_TTL_MS = 30 * 60 * 1000;
const REFRESH_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const DEVICE_TTL_MS = 600 * 1000;
const USER_CODE_ALPHABET = "23456789BCDFGHJKLMNPQRSTVWXYZ";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** hex.pm hands `api` back as `api:read api:write` (§9). */
export function splitApiScope(scopes: string[]): string[] {
  return [...new Set(scopes.flatMap((s) => s === "api" ? ["api:read", "api:write"] : [s]))];
}

// ------------------------------------------------------------------ sessions

function expandScopes(core: FakeHexCore, username: string, granted: string[]): string[] {
  const out: string[] = [];
  for (const scope of granted) {
    if (scope === "repositories") {
      for (const org of [...core.orgs.values()].sort((a, b) => cmp(a.name, b.name))) {
        if (org.members.has(username)) out.push(`repository:${org.name}`);
      }
    } else out.push(scope);
  }
  return [...new Set(out)];
}

/** Issues an access token and a refresh token for `username`. */
export function issueSession(
  core: FakeHexCore,
  username: string,
  clientId: string,
  granted: string[],
  grantType: string,
  refreshExpiresAt?: number,
): FakeToken {
  const now = core.now();
  const token: FakeToken = {
    id: core.id(),
    user: username,
    clientId,
    accessToken: "",
    refreshToken: randomBase64Url(32),
    grantedScopes: granted,
    scopes: expandScopes(core, username, granted),
    expiresAt: now + ACCESS_TTL_MS,
    refreshExpiresAt: refreshExpiresAt ?? now + REFRESH_TTL_MS,
    revokedAt: null,
    grantType,
  };
  token.accessToken = fakeJwt({
    iss: "hexpm",
    aud: "hexpm:api",
    sub: `user:${username}`,
    scope: token.scopes.join(" "),
    iat: Math.floor(now / 1000),
    exp: Math.floor(token.expiresAt / 1000),
    jti: randomBase64Url(12),
  });
  core.secrets.set(token.accessToken, `access token of ${username}`);
  core.secrets.set(token.refreshToken!, `refresh token of ${username}`);
  core.tokens.push(token);
  return token;
}

/** The token endpoint's answer for a session. */
export function tokenResponse(core: FakeHexCore, token: FakeToken): TokenResponse {
  const res: TokenResponse = {
    access_token: token.accessToken,
    token_type: "bearer",
    expires_in: Math.max(0, Math.round((token.expiresAt - core.now()) / 1000)),
    scope: token.scopes.join(" "),
  };
  if (token.refreshToken) res.refresh_token = token.refreshToken;
  return res;
}

function revokeToken(core: FakeHexCore, token: FakeToken): void {
  token.revokedAt ??= core.now();
}

// ------------------------------------------------------------------ device flow hooks

/** The device authorization with this user code (dashes and case ignored). */
export function deviceByUserCode(core: FakeHexCore, userCode: string): FakeDevice {
  const wanted = userCode.replace(/-/g, "").toUpperCase();
  const device = [...core.devices.values()].find((d) => d.userCode === wanted);
  if (!device) throw new Error(`FakeHex: no device authorization with user code "${userCode}"`);
  return device;
}

/**
 * Approves a device code as the user would in the browser (see `FakeHex.approveDevice`).
 *
 * @throws {Error} on an unknown, expired or already decided code, or the 2FA rule
 */
export function approveDevice(
  core: FakeHexCore,
  userCode: string,
  options: { user: string; scopes?: string[] },
): void {
  const device = deviceByUserCode(core, userCode);
  const user = core.users.get(options.user);
  if (!user) throw new Error(`FakeHex: no user "${options.user}"`);
  if (device.expiresAt <= core.now()) throw new Error("FakeHex: device code has expired");
  if (device.status !== "pending") throw new Error("FakeHex: device code is not pending");
  const scopes = options.scopes ?? device.scopes;
  const extra = scopes.filter((s) => !device.scopes.includes(s));
  if (extra.length) throw new Error(`FakeHex: scopes not requested: ${extra.join(", ")}`);
  const granted = splitApiScope(scopes);
  if (granted.includes("api:write") && !user.totpSecret) {
    throw new Error(`FakeHex: ${user.username} needs 2FA to approve write scopes`);
  }
  device.status = "approved";
  device.user = user.username;
  device.grantedScopes = granted;
}

// ------------------------------------------------------------------ routes

/** The OAuth routes (they ignore `authorization`). */
export function oauthRoutes(core: FakeHexCore): RouteDef[] {
  return [
    {
      method: "POST",
      pattern: "/oauth/device_authorization",
      run: (ctx) => deviceAuth(core, ctx),
      authenticate: false,
    },
    {
      method: "POST",
      pattern: "/oauth/token",
      run: (ctx) => token(core, ctx),
      authenticate: false,
    },
    {
      method: "POST",
      pattern: "/oauth/revoke",
      run: (ctx) => revoke(core, ctx),
      authenticate: false,
    },
  ];
}

function validScope(scope: string): boolean {
  if (["api", "api:read", "api:write", "repositories"].includes(scope)) return true;
  const [name, resource] = scope.split(/:(.*)/s);
  return ["package", "repository", "docs"].includes(name) && !!resource;
}

function deviceAuth(core: FakeHexCore, ctx: Ctx): Response {
  const params = parseParams(ctx);
  if (params instanceof Response) return params;
  const clientId = str(params.client_id);
  if (!clientId) return oauthError("invalid_client", "Missing client_id");
  if (!core.clientIds.has(clientId)) return oauthError("invalid_client", "Invalid client");
  const scopes = str(params.scope).split(" ").filter(Boolean);
  // hexpm answers a bad scope with invalid_client (401), not invalid_scope.
  if (!scopes.every((s) => validScope(s))) {
    return oauthError("invalid_client", "Invalid scope");
  }
  let userCode: string;
  do {
    userCode = randomFrom(USER_CODE_ALPHABET, 8);
  } while ([...core.devices.values()].some((d) => d.userCode === userCode));
  const device: FakeDevice = {
    deviceCode: randomBase64Url(32),
    userCode,
    clientId,
    scopes,
    name: str(params.name) || null,
    expiresAt: core.now() + DEVICE_TTL_MS,
    interval: core.deviceInterval,
    status: "pending",
    polls: 0,
    lastPollAt: null,
  };
  core.devices.set(device.deviceCode, device);
  core.secrets.set(device.deviceCode, "a device code");
  const uri = core.verificationUri ?? `${ctx.origin}/oauth/device`;
  return json(200, {
    device_code: device.deviceCode,
    user_code: device.userCode,
    verification_uri: uri,
    verification_uri_complete: `${uri}?user_code=${device.userCode}`,
    expires_in: DEVICE_TTL_MS / 1000,
    interval: device.interval,
  });
}

function token(core: FakeHexCore, ctx: Ctx): Response {
  const params = parseParams(ctx);
  if (params instanceof Response) return params;
  const grant = params.grant_type;
  if (grant === DEVICE_GRANT) return deviceGrant(core, params);
  if (grant === "refresh_token") return refreshGrant(core, params);
  return oauthError(
    "unsupported_grant_type",
    `Unsupported grant type: ${typeof grant === "string" ? JSON.stringify(grant) : "nil"}`,
  );
}

function deviceGrant(core: FakeHexCore, params: Record<string, unknown>): Response {
  const device = core.devices.get(str(params.device_code));
  if (!device) return oauthError("invalid_grant", "Invalid device code");
  if (device.clientId !== str(params.client_id)) {
    return oauthError("invalid_client", "Invalid client");
  }
  const now = core.now();
  device.polls++;
  const tooSoon = device.lastPollAt !== null &&
    now - device.lastPollAt < device.interval * 1000;
  device.lastPollAt = now;
  if (core.slowDowns > 0 || (core.enforceInterval && tooSoon)) {
    if (core.slowDowns > 0) core.slowDowns--;
    else device.interval += 5;
    return oauthError("slow_down", "Polling too frequently");
  }
  const auto = core.autoApprove;
  if (auto && device.status === "pending" && device.polls > (auto.afterPolls ?? 1)) {
    const outcome = auto.outcome ?? "approve";
    if (outcome === "approve") {
      approveDevice(core, device.userCode, { user: auto.user, scopes: auto.scopes });
    } else if (outcome === "deny") device.status = "denied";
    else device.expiresAt = now - 1;
  }
  if (device.expiresAt <= now) return oauthError("expired_token", "Device code has expired");
  if (device.status === "denied") {
    return oauthError("access_denied", "Authorization denied by user");
  }
  if (device.status === "pending") {
    return oauthError("authorization_pending", "Authorization pending");
  }
  // Polling an approved code again issues a new session and revokes the previous (§9).
  const previous = core.tokens.find((t) => t.id === device.tokenId);
  if (previous) revokeToken(core, previous);
  const session = issueSession(
    core,
    device.user!,
    device.clientId,
    device.grantedScopes!,
    DEVICE_GRANT,
  );
  device.tokenId = session.id;
  return json(200, tokenResponse(core, session));
}

function refreshGrant(core: FakeHexCore, params: Record<string, unknown>): Response {
  const clientId = str(params.client_id);
  if (!clientId) return oauthError("invalid_client", "Missing client_id");
  if (!core.clientIds.has(clientId)) return oauthError("invalid_client", "Invalid client");
  const value = str(params.refresh_token);
  if (!value) return oauthError("invalid_grant", "Missing refresh token");
  const old = core.tokens.find((t) => t.refreshToken === value && t.clientId === clientId);
  if (!old) return oauthError("invalid_grant", "Invalid refresh token");
  if (old.revokedAt !== null || old.refreshExpiresAt <= core.now()) {
    return oauthError("invalid_grant", "Refresh token expired or revoked");
  }
  // The old pair is revoked (access token included); the new refresh token keeps the
  // original 30-day expiry; `repositories` is expanded again.
  revokeToken(core, old);
  const session = issueSession(
    core,
    old.user,
    clientId,
    old.grantedScopes,
    "refresh_token",
    old.refreshExpiresAt,
  );
  return json(200, tokenResponse(core, session));
}

function revoke(core: FakeHexCore, ctx: Ctx): Response {
  const params = parseParams(ctx);
  if (!(params instanceof Response)) {
    const value = str(params.token);
    const clientId = str(params.client_id);
    if (value && core.clientIds.has(clientId)) {
      const token = core.tokens.find((t) =>
        t.clientId === clientId && (t.accessToken === value || t.refreshToken === value)
      );
      if (token) revokeToken(core, token);
    }
  }
  // 200 with an empty body, also for unknown tokens (RFC 7009; apiary's `{}` is stale).
  return new Response(null, { status: 200 });
}
