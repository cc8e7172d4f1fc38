/**
 * Hex API failures as typed errors, and the response-reading helpers every
 * resource module's parsers share.
 *
 * Every non-2xx (and every 2xx a parser does not expect) becomes a
 * {@link HexApiError} carrying the status, the server's message and its `errors`
 * map (hexpm `ErrorView`: `{"status", "message", "errors"}`; OAuth endpoints:
 * `{"error", "error_description"}`; hexpm/specifications `http_api.md`). A 401 asking for a
 * TOTP code becomes a {@link TotpRequiredError}. Messages never contain the
 * request's credential or TOTP code: they are cut out of whatever the server
 * echoes, and the request itself is not kept on the error.
 *
 * Exit codes: 4 (auth) for a 401, a TOTP challenge, and the OAuth errors meaning
 * the login is gone or refused (`invalid_grant`, `invalid_client`, `access_denied`,
 * `expired_token`); 1 for everything else, 403 included, because hex.pm answers 403
 * for causes a new login does not fix (a package name owned by someone else, an
 * unverified email, no 2FA, unpaid billing).
 *
 * @module
 */

import { HexpubError } from "../errors.ts";

/** Why a request needs a TOTP code (`www-authenticate` `error` parameter, §3.3). */
export type TotpReason = "totp_required" | "invalid_totp";

/** What {@link HexApiError} is made of. */
export interface HexApiErrorInit {
  /** The HTTP status. */
  status: number;
  /** The request method. */
  method: string;
  /** The request URL without its query string or user info. */
  url: string;
  /** The server's message (`message`, or OAuth's `error_description`), or a default for the status. */
  serverMessage: string;
  /** The 422 `errors` value as sent: a map (possibly nested), a string, or `undefined`. */
  errors?: unknown;
  /** The OAuth `error` code (`invalid_grant`, `access_denied`, …), when the body had one. */
  code?: string;
  /** The `www-authenticate` header of a 401. */
  authenticate?: string;
  /** `x-ratelimit-reset`: unix seconds when the rate-limit window ends. */
  rateLimitReset?: number;
  /** How to fix it. */
  hint?: string;
  /** The error this one wraps. */
  cause?: unknown;
}

const AUTH_CODES = new Set(["invalid_grant", "invalid_client", "access_denied", "expired_token"]);

/** A Hex API request that did not succeed (exit 4 for auth failures, else 1; see the module doc). */
export class HexApiError extends HexpubError {
  /** The HTTP status. */
  readonly status: number;
  /** The server's message, or a default for the status. */
  readonly serverMessage: string;
  /** The 422 `errors` value (nested map or string); render it with {@link renderErrors}. */
  readonly errors: unknown;
  /** The request URL without query or user info. */
  readonly url: string;
  /** The request method. */
  readonly method: string;
  /** The OAuth `error` code, when there was one. */
  readonly code?: string;
  /** The `www-authenticate` header, when there was one. */
  readonly authenticate?: string;
  /** Unix seconds when the rate-limit window ends (`x-ratelimit-reset`), when sent. */
  readonly rateLimitReset?: number;
  override readonly exitCode: number;

  constructor(message: string, init: HexApiErrorInit) {
    super(message, { hint: init.hint, cause: init.cause });
    this.name = "HexApiError";
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.errors = init.errors;
    this.url = init.url;
    this.method = init.method;
    this.code = init.code;
    this.authenticate = init.authenticate;
    this.rateLimitReset = init.rateLimitReset;
    this.exitCode = init.status === 401 || (init.code !== undefined && AUTH_CODES.has(init.code))
      ? 4
      : 1;
  }
}

/**
 * A write made with an OAuth token needs a TOTP code (401 with `www-authenticate:
 * Bearer realm="hex", error="totp_required"`), or the code sent was wrong
 * (`error="invalid_totp"`). The caller prompts for a code and retries (exit 4).
 */
export class TotpRequiredError extends HexApiError {
  /** Whether no code was sent or the code was refused. */
  readonly reason: TotpReason;

  constructor(message: string, reason: TotpReason, init: HexApiErrorInit) {
    super(message, init);
    this.name = "TotpRequiredError";
    this.reason = reason;
  }
}

/** A request that got no response: the connection failed or the time ran out (exit 1). */
export class HexNetworkError extends HexpubError {
  /** `timeout` when no response came within the time limit, else `network`. */
  readonly reason: "timeout" | "network";
  /** The request method. */
  readonly method: string;
  /** The request URL without query or user info. */
  readonly url: string;
  /** How many times the request was sent. */
  readonly attempts: number;

  constructor(
    message: string,
    init: {
      reason: "timeout" | "network";
      method: string;
      url: string;
      attempts: number;
      hint?: string;
      cause?: unknown;
    },
  ) {
    super(message, { hint: init.hint, cause: init.cause });
    this.name = "HexNetworkError";
    this.reason = init.reason;
    this.method = init.method;
    this.url = init.url;
    this.attempts = init.attempts;
  }
}

/**
 * A URL fit for messages: without query string, fragment or user info.
 *
 * @param url Any URL.
 * @returns `origin + pathname`, or the text before `?` when it does not parse.
 */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.origin === "null" ? `${u.protocol}${u.pathname}` : `${u.origin}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/s, "");
  }
}

/**
 * Reads the TOTP challenge out of a `www-authenticate` header. hex_core matches the
 * exact prefixes `Bearer realm="hex", error="totp_required"` and
 * `… error="invalid_totp"` (hexpm `lib/hexpm_web/auth_helpers.ex`); this also accepts other spacing
 * and parameter order, in case a proxy re-serialises the header.
 *
 * @param header The header value, or `null`.
 * @returns The reason, or `undefined` when the header is not a TOTP challenge.
 *
 * Exported for tests, which check each hex.pm wording it recognises.
 */
export function totpReason(header: string | null | undefined): TotpReason | undefined {
  if (!header) return undefined;
  if (header.startsWith('Bearer realm="hex", error="totp_required"')) return "totp_required";
  if (header.startsWith('Bearer realm="hex", error="invalid_totp"')) return "invalid_totp";
  const m = /^\s*Bearer\b.*?\berror\s*=\s*"?(totp_required|invalid_totp)\b/i.exec(header);
  return m ? (m[1].toLowerCase() as TotpReason) : undefined;
}

/**
 * Renders an `errors` value as lines, nested maps as dotted paths
 * (`{"meta":{"app":"can't be blank"}}` → `meta.app: can't be blank`), list items by
 * index (`links[0]: …`), and a plain string as itself.
 *
 * @param errors The `errors` value of a 422 body.
 * @returns One line per leaf, in the order the server sent them.
 */
export function renderErrors(errors: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const scalar = item === null || typeof item !== "object";
        walk(item, scalar ? path : `${path}[${i}]`);
      });
      return;
    }
    if (typeof value === "object") {
      for (const [key, item] of Object.entries(value)) walk(item, path ? `${path}.${key}` : key);
      return;
    }
    const text = clean(String(value));
    out.push(path ? `${path}: ${text}` : text);
  };
  walk(errors, "");
  return out;
}

/** Default messages of hexpm's `ErrorView` and HTTP for statuses without a body. */
const DEFAULT_MESSAGES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Page not found",
  408: "Request timeout",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Validation error(s)",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

const MAX_TEXT = 300;

/** One line of server text, without control characters (no terminal escapes), capped. */
function clean(text: string): string {
  // deno-lint-ignore no-control-regex -- stripping control characters is the point
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT)}…` : line;
}

/** The secrets a request carries in its headers: the credential and the TOTP code. */
function requestSecrets(req: Request | undefined): string[] {
  if (!req) return [];
  const out: string[] = [];
  const auth = req.headers.get("authorization");
  if (auth) {
    out.push(auth);
    const m = /^(?:Bearer|Basic)\s+(.+)$/i.exec(auth);
    if (m) out.push(m[1]);
  }
  const otp = req.headers.get("x-hex-otp");
  if (otp) out.push(otp);
  return out.filter((s) => s.trim().length >= 4).sort((a, b) => b.length - a.length);
}

function redactText(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[REDACTED]");
  return out;
}

function redactValue(value: unknown, secrets: string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === "string") return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redactText(k, secrets), redactValue(v, secrets)]),
    );
  }
  return value;
}

/** `METHOD /path` of the request (or of the response's URL when there is no request). */
function describe(res: Response, req: Request | undefined): { method: string; url: string } {
  const url = safeUrl(req?.url ?? res.url);
  return { method: req?.method ?? "", url };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function headline(method: string, url: string): string {
  const target = url ? pathOf(url) : "request";
  return method ? `${method} ${target}` : target;
}

/** The number in a header, or `undefined`. */
function numberHeader(res: Response, name: string): number | undefined {
  const raw = res.headers.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** The time as ISO 8601 to the second, or `undefined` past what a Date holds. */
function isoSeconds(unixSeconds: number): string | undefined {
  const date = new Date(unixSeconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The hint for a failed status, from the status and the server's message. */
function hintFor(
  status: number,
  message: string,
  info: { code?: string; totp?: TotpReason; hadCredential: boolean; res: Response },
): string | undefined {
  const lower = message.toLowerCase();
  if (info.totp) {
    return info.totp === "invalid_totp"
      ? "Check the code in your authenticator app and pass a current one with --otp CODE or HEX_OTP"
      : "Pass the code from your authenticator app with --otp CODE or HEX_OTP";
  }
  if (info.code === "access_denied") {
    return "The request was denied in the browser: run `hexpub user auth` to try again";
  }
  if (info.code === "invalid_grant" || info.code === "expired_token") {
    return "Run `hexpub user auth` to log in again";
  }
  if (status === 401) {
    if (lower.includes("basic authentication is disabled")) {
      return "Run `hexpub user auth` to log in with OAuth, or use an API key (HEX_API_KEY)";
    }
    if (lower.includes("not authorized for this action")) {
      return "The credential's permissions do not cover this action: run `hexpub user auth`, " +
        "or use a key with the permission it needs";
    }
    return "Run `hexpub user auth` to log in again, or check HEX_API_KEY";
  }
  if (status === 403) {
    if (lower.includes("two-factor")) {
      return "Enable two-factor authentication in your hex.pm account's security settings, " +
        "then retry";
    }
    if (lower.includes("email not verified")) {
      return "Verify your email address with the link hex.pm sent you, then retry";
    }
    if (lower.includes("billing")) {
      return "Ask an admin of the organization to renew its billing on hex.pm";
    }
    if (lower.includes("not authorized") && !info.hadCredential) {
      return "This action needs credentials: run `hexpub user auth` or set HEX_API_KEY";
    }
    if (lower.includes("not authorized")) {
      return "Ask an owner of the package or an admin of the organization for access";
    }
    return undefined;
  }
  if (status === 404) {
    return "Check the name: hex.pm also answers 404 when your credentials cannot see a " +
      "private resource";
  }
  if (status === 413) return "The upload is larger than the server accepts";
  if (status === 429) {
    if (lower.includes("two-factor")) return "Wait a few minutes before trying another code";
    const reset = numberHeader(info.res, "x-ratelimit-reset");
    const resetAt = reset === undefined ? undefined : isoSeconds(reset);
    if (resetAt !== undefined) {
      return `Wait until ${resetAt}, when the rate limit resets, then retry`;
    }
    const after = numberHeader(info.res, "retry-after");
    if (after !== undefined && after > 0 && after < 366 * 24 * 3600) {
      return `Wait ${Math.ceil(after)} s, then retry`;
    }
    return "Wait a minute, then retry";
  }
  if (status >= 500) return "The server failed: try again later";
  return undefined;
}

/**
 * Turns a response a parser does not accept into a {@link HexApiError} (or a
 * {@link TotpRequiredError}), reading the body: JSON `{status, message, errors}`,
 * OAuth JSON `{error, error_description}`, or text. Never throws for a malformed body.
 *
 * The message reads `POST /api/keys failed: 422 Validation error(s)` followed by one
 * indented line per entry of `errors` (see {@link renderErrors}); unexpected 2xx and
 * 3xx responses read `… failed: unexpected 202 response` / `… 302 redirect to URL`.
 * The request's credential and TOTP code are cut out of everything taken from the
 * body.
 *
 * @param res The response (its body is consumed).
 * @param req The request it answers: used for the method, URL and the secrets to cut
 * out. Without it the response's URL is used.
 * @returns The error, for the caller to throw.
 */
export async function parseErrorResponse(res: Response, req?: Request): Promise<HexApiError> {
  const { method, url } = describe(res, req);
  const secrets = requestSecrets(req);
  let text = "";
  try {
    text = await res.text();
  } catch {
    // A body that cannot be read leaves the status to speak for itself.
  }
  let body: unknown;
  try {
    body = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const record = body !== null && typeof body === "object" && !Array.isArray(body)
    ? body as Record<string, unknown>
    : undefined;
  const str = (v: unknown) => typeof v === "string" && v.trim() !== "" ? v : undefined;
  const code = str(record?.error);
  let serverMessage = str(record?.message) ?? str(record?.error_description) ?? code;
  if (serverMessage === undefined && record === undefined && text.trim() !== "") {
    const contentType = res.headers.get("content-type") ?? "";
    if (!/html/i.test(contentType) && !/^\s*</.test(text)) serverMessage = text;
  }
  const status = res.status;
  const location = res.headers.get("location");
  let summary: string;
  if (status >= 300 && status < 400) {
    serverMessage ??= location ? `redirect to ${safeUrl(location)}` : "redirect";
    summary = `${status} ${serverMessage}`;
  } else if (status < 300) {
    serverMessage ??= `unexpected ${status} response`;
    summary = `unexpected ${status} response`;
  } else {
    serverMessage ??= DEFAULT_MESSAGES[status] ?? (clean(res.statusText) || "HTTP error");
    summary = `${status} ${serverMessage}`;
  }
  serverMessage = clean(redactText(serverMessage, secrets));
  summary = clean(redactText(summary, secrets));
  const errors = redactValue(record?.errors, secrets);
  const lines = renderErrors(errors).map((line) => `  ${line}`);
  const message = [`${headline(method, url)} failed: ${summary}`, ...lines].join("\n");

  const authenticate = res.headers.get("www-authenticate") ?? undefined;
  const totp = status === 401 ? totpReason(authenticate) : undefined;
  let hint = hintFor(status, serverMessage, {
    code,
    totp,
    hadCredential: req?.headers.has("authorization") ?? false,
    res,
  });
  if (status >= 300 && status < 400) {
    hint = "The Hex API does not redirect: check HEX_API_URL (or the repository's api_url)";
  } else if (status < 300) {
    hint = "Check that HEX_API_URL (or the repository's api_url) points at a Hex API";
  }
  const init: HexApiErrorInit = {
    status,
    method,
    url,
    serverMessage,
    errors,
    code,
    authenticate,
    rateLimitReset: numberHeader(res, "x-ratelimit-reset"),
    hint,
  };
  return totp ? new TotpRequiredError(message, totp, init) : new HexApiError(message, init);
}

/**
 * Throws unless the response has one of the expected statuses.
 *
 * @param res The response.
 * @param req The request it answers.
 * @param expected The statuses that mean success for this endpoint.
 * @throws {HexApiError} For any other status (its body is consumed).
 */
export async function expectStatus(
  res: Response,
  req: Request | undefined,
  expected: readonly number[],
): Promise<void> {
  if (!expected.includes(res.status)) throw await parseErrorResponse(res, req);
}

/**
 * An error for a success response whose body is not what the endpoint returns.
 *
 * @param res The response.
 * @param req The request it answers.
 * @param detail What is wrong with the body.
 * @param cause The parse or decode error.
 * @returns The error, for the caller to throw.
 */
function invalidResponse(
  res: Response,
  req: Request | undefined,
  detail: string,
  cause?: unknown,
): HexApiError {
  const { method, url } = describe(res, req);
  const serverMessage = `invalid response: ${detail}`;
  return new HexApiError(`${headline(method, url)} failed: ${res.status} ${serverMessage}`, {
    status: res.status,
    method,
    url,
    serverMessage,
    hint: "Check that HEX_API_URL (or the repository's api_url) points at a Hex API",
    cause,
  });
}

/**
 * Checks the status, then reads the JSON body and decodes it. A decoder reports a
 * wrong shape by throwing a `TypeError` (the helpers below do), which becomes a
 * {@link HexApiError} naming the endpoint.
 *
 * @param res The response.
 * @param req The request it answers.
 * @param expected The success statuses.
 * @param decode Turns the parsed JSON into the result.
 * @returns The decoded value.
 * @throws {HexApiError} For another status, a body that is not JSON, or a wrong shape.
 */
export async function decodeJson<T>(
  res: Response,
  req: Request | undefined,
  expected: readonly number[],
  decode: (json: unknown) => T,
): Promise<T> {
  await expectStatus(res, req, expected);
  let json: unknown;
  try {
    json = await res.json();
  } catch (cause) {
    // A body cut off or timed out (see send.ts) is a transport failure, not a bad answer.
    if (cause instanceof HexNetworkError) throw cause;
    throw invalidResponse(res, req, "the body is not JSON", cause);
  }
  try {
    return decode(json);
  } catch (cause) {
    if (cause instanceof TypeError) throw invalidResponse(res, req, cause.message, cause);
    throw cause;
  }
}

/** A JSON object, for the decoding helpers. */
export type JsonObject = Record<string, unknown>;

/**
 * The value as a JSON object.
 *
 * @throws {TypeError} When it is not one.
 */
export function asObject(value: unknown, what: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`expected ${what} to be an object`);
  }
  return value as JsonObject;
}

/**
 * The value as a JSON array.
 *
 * @throws {TypeError} When it is not one.
 */
export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`expected ${what} to be a list`);
  return value;
}

/**
 * A required string field.
 *
 * @throws {TypeError} When it is missing or not a string.
 */
export function stringField(obj: JsonObject, key: string): string {
  const value = obj[key];
  if (typeof value !== "string") throw new TypeError(`expected "${key}" to be a string`);
  return value;
}

/**
 * An optional string field; `null` and absence give `undefined`.
 *
 * @throws {TypeError} When it is present and not a string.
 */
export function optionalString(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new TypeError(`expected "${key}" to be a string`);
  return value;
}

/**
 * A required number field.
 *
 * @throws {TypeError} When it is missing or not a number.
 */
export function numberField(obj: JsonObject, key: string): number {
  const value = obj[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`expected "${key}" to be a number`);
  }
  return value;
}

/**
 * An optional boolean field; `null` and absence give `fallback`.
 *
 * @throws {TypeError} When it is present and not a boolean.
 */
export function booleanField(obj: JsonObject, key: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`expected "${key}" to be a boolean`);
  return value;
}

/** The fields of an error with another hint: to build a subclass, or the same error better explained. */
export function initOf(err: HexApiError, hint: string): HexApiErrorInit {
  return {
    status: err.status,
    method: err.method,
    url: err.url,
    serverMessage: err.serverMessage,
    errors: err.errors,
    code: err.code,
    authenticate: err.authenticate,
    rateLimitReset: err.rateLimitReset,
    hint,
    cause: err.cause,
  };
}
