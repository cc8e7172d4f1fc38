/**
 * OAuth 2.0 on hex.pm (hexpm `lib/hexpm_web/controllers/api/oauth_controller.ex`, hex_core
 * `hex_api_oauth.erl`): the Device Authorization Grant (RFC 8628) that replaces
 * password log-in, refreshing tokens, and revoking them (RFC 7009).
 *
 * All endpoints are `POST` under the API base with a form-urlencoded body; they are
 * never repository-scoped. The device flow, for a task to drive:
 * 1. {@link buildDeviceAuthorizationRequest} → {@link parseDeviceAuthorization}: show
 *    `userCode` and `verificationUri(Complete)`;
 * 2. every `interval` seconds (plus {@link SLOW_DOWN_INCREMENT_S} after each
 *    `slow_down`), until `expiresIn` runs out: {@link buildDeviceTokenRequest} →
 *    {@link parseTokenPoll}; stop at the first `done`, since polling an approved
 *    code again issues new tokens and revokes the previous ones (§9);
 * 3. store the tokens; refresh with {@link buildRefreshRequest} →
 *    {@link parseTokenResponse} shortly before `expiresIn` runs out, always keeping
 *    the new refresh token (the old one is revoked).
 *
 * @module
 */

import {
  asObject,
  decodeJson,
  expectStatus,
  numberField,
  optionalString,
  parseErrorResponse,
  stringField,
} from "./api_errors.ts";
import { apiUrl } from "./request.ts";

/**
 * mix hex's OAuth client id (hex `lib/hex/api/oauth.ex`).
 *
 * Exported for tests, which check hex.pm's client table.
 */
export const MIX_CLIENT_ID = "78ea6566-89fd-481e-a1d6-7d9d78eacca8";
/**
 * rebar3's OAuth client id (rebar3 `rebar_hex_auth.erl`); hexpub's default for hex.pm until it has its own.
 *
 * Exported for tests, which send it as rebar3 does.
 */
export const REBAR3_CLIENT_ID = "b9721cf5-be2f-4a65-bfa5-141698b4b9cf";
/**
 * Gleam's OAuth client id (gleam `compiler-cli/src/hex/auth.rs`).
 *
 * Exported for tests, which check hex.pm's client table.
 */
export const GLEAM_CLIENT_ID = "877731e8-cb88-45e1-9b84-9214de7da421";

/**
 * The public OAuth clients registered on hex.pm, by tool.
 *
 * Exported for tests; hexpub itself signs in as rebar3 ({@link REBAR3_CLIENT_ID}).
 */
export const OAUTH_CLIENT_IDS: Readonly<Record<"mix" | "rebar3" | "gleam", string>> = {
  mix: MIX_CLIENT_ID,
  rebar3: REBAR3_CLIENT_ID,
  gleam: GLEAM_CLIENT_ID,
};

/** The scope mix and hex_core ask for: the full API plus every organization repository. */
export const DEFAULT_OAUTH_SCOPE = "api repositories";

/**
 * RFC 8628's grant type for polling with a device code.
 *
 * Exported for tests, which check the token request's form.
 */
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";

/** Seconds to add to the polling interval after each `slow_down` (RFC 8628 §3.5; hex_core). */
export const SLOW_DOWN_INCREMENT_S = 5;

/** Input of {@link buildDeviceAuthorizationRequest}. */
export interface DeviceAuthorizationInput {
  /** The OAuth client id (e.g. {@link REBAR3_CLIENT_ID}). */
  clientId: string;
  /** Space-separated scopes; default {@link DEFAULT_OAUTH_SCOPE}. Always sent. */
  scope?: string;
  /** A label for the session in the hex.pm dashboard (hex_core sends the host name). */
  name?: string;
  /** The User-Agent. */
  userAgent: string;
}

/** What the device authorization endpoint answers. */
export interface DeviceAuthorization {
  /** The secret the client polls with; never show it. */
  deviceCode: string;
  /** The code the user types in the browser (8 characters; mix shows it as `XXXX-XXXX`). */
  userCode: string;
  /** Where the user enters the code (`https://hex.pm/oauth/device`). */
  verificationUri: string;
  /** The same page with the code filled in, when the server sends it. */
  verificationUriComplete?: string;
  /** Seconds until the device code expires (hex.pm: 600). */
  expiresIn: number;
  /** Seconds to wait between polls (hex.pm: 5; 5 when absent). */
  interval: number;
}

/** Tokens from the token endpoint. */
export interface OAuthTokens {
  /** The access token (a JWT; treat it as opaque), sent as `Authorization: Bearer …`. */
  accessToken: string;
  /** `bearer`. */
  tokenType: string;
  /** The refresh token, when one was issued (not for `client_credentials`). */
  refreshToken?: string;
  /** Seconds the access token is valid (hex.pm: about 1800). */
  expiresIn: number;
  /** The scopes granted, space-separated: possibly fewer than asked for. */
  scope: string;
}

/** One poll of the device flow. */
export type TokenPoll =
  /** The user approved: the tokens. */
  | { kind: "done"; tokens: OAuthTokens }
  /** `authorization_pending`: not approved yet; poll again after the interval. */
  | { kind: "pending" }
  /** `slow_down`: poll again after the interval plus {@link SLOW_DOWN_INCREMENT_S}. */
  | { kind: "slow_down" }
  /** `access_denied`: the user refused in the browser. */
  | { kind: "denied" }
  /** `expired_token`: the device code ran out; start again. */
  | { kind: "expired" };

/** A form-urlencoded `POST` to an OAuth endpoint. */
function formRequest(
  base: string,
  path: string,
  params: Record<string, string | undefined>,
  userAgent: string,
): Request {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) form.set(name, value);
  }
  return new Request(apiUrl({ apiUrl: base }, path), {
    method: "POST",
    headers: {
      accept: "application/json",
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": userAgent,
    },
    body: form.toString(),
    redirect: "manual",
  });
}

/**
 * `POST /oauth/device_authorization`: starts the device flow.
 *
 * @param apiUrl The API base (`https://hex.pm/api`).
 * @param input Client id, scope, session name and User-Agent.
 * @throws {UsageError} For an API URL that does not parse.
 */
export function buildDeviceAuthorizationRequest(
  apiUrl: string,
  input: DeviceAuthorizationInput,
): Request {
  return formRequest(apiUrl, "/oauth/device_authorization", {
    client_id: input.clientId,
    scope: input.scope ?? DEFAULT_OAUTH_SCOPE,
    name: input.name,
  }, input.userAgent);
}

/**
 * Reads the answer to {@link buildDeviceAuthorizationRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The codes and timings.
 * @throws {HexApiError} For any other status (e.g. 401 `invalid_client`) or a
 * malformed body.
 */
export function parseDeviceAuthorization(
  res: Response,
  req?: Request,
): Promise<DeviceAuthorization> {
  return decodeJson(res, req, [200], (json) => {
    const o = asObject(json, "the body");
    const interval = o.interval === undefined || o.interval === null
      ? 5
      : numberField(o, "interval");
    return {
      deviceCode: stringField(o, "device_code"),
      userCode: stringField(o, "user_code"),
      verificationUri: stringField(o, "verification_uri"),
      verificationUriComplete: optionalString(o, "verification_uri_complete"),
      expiresIn: numberField(o, "expires_in"),
      interval,
    };
  });
}

/**
 * `POST /oauth/token` with the device-code grant: one poll.
 *
 * @param apiUrl The API base.
 * @param input Client id, the device code and User-Agent.
 */
export function buildDeviceTokenRequest(
  apiUrl: string,
  input: { clientId: string; deviceCode: string; userAgent: string },
): Request {
  return formRequest(apiUrl, "/oauth/token", {
    grant_type: DEVICE_CODE_GRANT_TYPE,
    device_code: input.deviceCode,
    client_id: input.clientId,
  }, input.userAgent);
}

function decodeTokens(json: unknown): OAuthTokens {
  const o = asObject(json, "the body");
  return {
    accessToken: stringField(o, "access_token"),
    tokenType: optionalString(o, "token_type") ?? "bearer",
    refreshToken: optionalString(o, "refresh_token"),
    expiresIn: numberField(o, "expires_in"),
    scope: optionalString(o, "scope") ?? "",
  };
}

const POLL_ERRORS: Record<string, TokenPoll> = {
  authorization_pending: { kind: "pending" },
  slow_down: { kind: "slow_down" },
  access_denied: { kind: "denied" },
  expired_token: { kind: "expired" },
};

/**
 * Reads the answer to {@link buildDeviceTokenRequest}: 200 with tokens, or a 4xx
 * whose `error` is `authorization_pending`, `slow_down`, `access_denied` (403) or
 * `expired_token`.
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @returns What to do next.
 * @throws {HexApiError} For any other error (`invalid_grant`, `invalid_client`, a
 * 5xx, …) or a malformed 200 body.
 */
export async function parseTokenPoll(res: Response, req?: Request): Promise<TokenPoll> {
  if (res.status === 200) {
    return { kind: "done", tokens: await decodeJson(res, req, [200], decodeTokens) };
  }
  if (res.status >= 400 && res.status < 500) {
    let code: unknown;
    try {
      code = (JSON.parse(await res.clone().text()) as { error?: unknown })?.error;
    } catch {
      code = undefined;
    }
    if (typeof code === "string" && Object.hasOwn(POLL_ERRORS, code)) {
      await res.body?.cancel();
      return POLL_ERRORS[code];
    }
  }
  throw await parseErrorResponse(res, req);
}

/**
 * `POST /oauth/token` with the `refresh_token` grant. The answer carries a new
 * refresh token and the old one stops working: persist the new one.
 *
 * @param apiUrl The API base.
 * @param input Client id, the refresh token and User-Agent.
 */
export function buildRefreshRequest(
  apiUrl: string,
  input: { clientId: string; refreshToken: string; userAgent: string },
): Request {
  return formRequest(apiUrl, "/oauth/token", {
    grant_type: "refresh_token",
    refresh_token: input.refreshToken,
    client_id: input.clientId,
  }, input.userAgent);
}

/**
 * Reads a token endpoint answer (a refresh).
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The tokens.
 * @throws {HexApiError} For any other status: `code` `invalid_grant` means the
 * refresh token is expired or revoked (log in again; exit code 4).
 */
export function parseTokenResponse(res: Response, req?: Request): Promise<OAuthTokens> {
  return decodeJson(res, req, [200], decodeTokens);
}

/**
 * `POST /oauth/revoke` (RFC 7009): revokes an access or refresh token (revoking the
 * refresh token ends the session).
 *
 * @param apiUrl The API base.
 * @param input Client id, the token and User-Agent.
 */
export function buildRevokeRequest(
  apiUrl: string,
  input: { clientId: string; token: string; userAgent: string },
): Request {
  return formRequest(apiUrl, "/oauth/revoke", {
    token: input.token,
    client_id: input.clientId,
  }, input.userAgent);
}

/**
 * Reads the answer to {@link buildRevokeRequest}: 200, with an empty body on hex.pm
 * (`{}` in older documentation), also for tokens it does not know.
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {HexApiError} For any status but 200.
 */
export async function parseRevokeResponse(res: Response, req?: Request): Promise<void> {
  await expectStatus(res, req, [200]);
  await res.body?.cancel();
}
