/**
 * Building Hex API requests (hexpm/specifications `http_api.md`): the URL with its repository or
 * organization prefix, the query, a JSON body, and the headers hex.pm expects
 * (`accept`, `user-agent`, `authorization`, `x-hex-otp`).
 *
 * Every request is built with `redirect: "manual"`: a Hex API never redirects its
 * JSON endpoints, and following a redirect would re-send the credential (and a
 * publish body) to wherever it points. A 3xx therefore reaches the parser, which
 * reports it as an error naming the `Location`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ApiTarget, Credential } from "./api_config.ts";

/** Which prefix a path gets when the target is an organization's repository. */
export type PathScope = "repo" | "org" | "none";

/** A query parameter value; `undefined` and `null` leave the parameter out. */
export type QueryValue = string | number | boolean | undefined | null;

/** What every request builder needs besides its own input. */
export interface CallOptions {
  /** The `User-Agent` (see `userAgent()`); hex.pm refuses requests without one. */
  userAgent: string;
  /** The credential to send, if any. */
  credential?: Credential;
  /** A TOTP code for writes made with an OAuth token (§3.3), sent as `x-hex-otp`. */
  otp?: string;
}

/** Input of {@link buildApiRequest}. */
export interface ApiRequestOptions extends CallOptions {
  /** `GET`, `POST`, `PUT`, `DELETE`, … */
  method: string;
  /** The path under the API base, starting with `/`; dynamic segments encoded with {@link pathSegment}. */
  path: string;
  /** Query parameters; booleans are sent as `true` / `false`. */
  query?: Record<string, QueryValue>;
  /** A value to send as JSON. */
  body?: unknown;
  /**
   * `repo`: put the path under `/repos/ORG` when the target is `hexpm:ORG`; `org`: under
   * `/orgs/ORG`; `none` (the default): never prefix.
   */
  scope?: PathScope;
}

/** Input of {@link buildRawUploadRequest}. */
export interface RawUploadOptions extends CallOptions {
  /** The path under the API base (`/publish`). */
  path: string;
  /** The bytes to upload (a package or docs tarball). */
  body: Uint8Array;
  /** Defaults to `POST`. */
  method?: string;
  /** Query parameters (`replace`). */
  query?: Record<string, QueryValue>;
  /** Defaults to `application/octet-stream`, what mix, rebar3 and hex_core send. */
  contentType?: string;
  /** As in {@link ApiRequestOptions.scope}. */
  scope?: PathScope;
}

/**
 * Encodes one dynamic path segment (a key, user or package name).
 *
 * @param value The raw segment.
 * @returns The percent-encoded segment.
 * @throws {UsageError} For an empty segment, `.` or `..`, which URL parsing would
 * swallow or resolve, sending the request somewhere else.
 */
export function pathSegment(value: string): string {
  if (value === "" || value === "." || value === "..") {
    throw new UsageError(`invalid name ${JSON.stringify(value)}: it cannot be used in a URL path`);
  }
  return encodeURIComponent(value);
}

/**
 * Builds the full URL of an API path.
 *
 * @param target The API base and, for `hexpm:ORG`, the organization.
 * @param path The path, starting with `/`.
 * @param options The scope and query.
 * @returns The URL.
 * @throws {UsageError} When `target.apiUrl` is not a URL.
 */
export function apiUrl(
  target: ApiTarget,
  path: string,
  options: { scope?: PathScope; query?: Record<string, QueryValue> } = {},
): URL {
  const scope = options.scope ?? "none";
  const prefix = target.repo === undefined || scope === "none"
    ? ""
    : `/${scope === "repo" ? "repos" : "orgs"}/${pathSegment(target.repo)}`;
  const base = target.apiUrl.replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(base + prefix + path);
  } catch (cause) {
    throw new UsageError(`invalid API URL ${JSON.stringify(target.apiUrl)}`, {
      hint: "Set HEX_API_URL (or the repository's api_url) to a URL like https://hex.pm/api",
      cause,
    });
  }
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value === undefined || value === null) continue;
    url.searchParams.append(name, String(value));
  }
  return url;
}

/**
 * The headers every API request carries.
 *
 * @param call The User-Agent, credential and TOTP code.
 * @returns `accept`, `user-agent`, and `authorization` / `x-hex-otp` when given.
 * @throws {UsageError} When the credential or TOTP code is empty or holds characters
 * a header cannot carry (the message never includes the value: `Headers` itself
 * would quote it).
 */
function apiHeaders(call: CallOptions): Headers {
  const headers = new Headers({ accept: "application/json", "user-agent": call.userAgent });
  if (call.credential) headers.set("authorization", authorization(call.credential));
  if (call.otp !== undefined && call.otp.trim() !== "") {
    headers.set(
      "x-hex-otp",
      headerSafe(call.otp, "the TOTP code", "Pass the 6-digit code from your authenticator app"),
    );
  }
  return headers;
}

/** The `Authorization` value of a credential: a key's raw secret, or `Bearer TOKEN`. */
function authorization(credential: Credential): string {
  if (credential.kind === "key") {
    const hint = "Check HEX_API_KEY or the stored key for stray spaces or line breaks";
    return headerSafe(credential.secret, "the API key", hint);
  }
  const hint = "Run `hexpub user auth` to log in again";
  return `Bearer ${headerSafe(credential.accessToken, "the OAuth access token", hint)}`;
}

/** A secret trimmed and checked to be visible ASCII, without ever echoing it. */
function headerSafe(value: string, what: string, hint: string): string {
  const trimmed = value.trim();
  if (trimmed === "") throw new UsageError(`${what} is empty`, { hint });
  if (!/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new UsageError(`${what} contains characters that cannot be sent in an HTTP header`, {
      hint,
    });
  }
  return trimmed;
}

/**
 * Builds a JSON API request.
 *
 * @example
 * ```ts
 * buildApiRequest({ apiUrl: "https://hex.pm/api", repo: "acme" }, {
 *   method: "GET",
 *   path: "/packages/foo",
 *   scope: "repo",
 *   userAgent: "hexpub/0.1.0 (deno/2.9.6; linux)",
 * }); // GET https://hex.pm/api/repos/acme/packages/foo
 * ```
 *
 * @param target The API base and organization.
 * @param options Method, path, query, body, credential, TOTP code, scope and User-Agent.
 * @returns The request, with `redirect: "manual"`.
 * @throws {UsageError} For an API URL that does not parse.
 */
export function buildApiRequest(target: ApiTarget, options: ApiRequestOptions): Request {
  const url = apiUrl(target, options.path, options);
  const headers = apiHeaders(options);
  let body: string | undefined;
  if (options.body !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.body);
  }
  return new Request(url, { method: options.method, headers, body, redirect: "manual" });
}

/**
 * Builds an upload of raw bytes (a package or docs tarball). The body is a
 * `Uint8Array`, so `fetch` sends a `Content-Length`; no `Expect: 100-continue` is
 * sent (hexpm/specifications `http_api.md`: optional, and not something `fetch` handles).
 *
 * @param target The API base and organization.
 * @param options Path, bytes, method, query, content type, credential, TOTP code and scope.
 * @returns The request, with `redirect: "manual"`.
 * @throws {UsageError} For an API URL that does not parse.
 */
export function buildRawUploadRequest(target: ApiTarget, options: RawUploadOptions): Request {
  const url = apiUrl(target, options.path, options);
  const headers = apiHeaders(options);
  headers.set("content-type", options.contentType ?? "application/octet-stream");
  return new Request(url, {
    method: options.method ?? "POST",
    headers,
    // Tarballs are ArrayBuffer-backed; the lib types only admit that form as a body.
    body: options.body as Uint8Array<ArrayBuffer>,
    redirect: "manual",
  });
}
