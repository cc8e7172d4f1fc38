/**
 * FakeHex's HTTP plumbing: hexpm's JSON and error bodies, OAuth errors, the
 * parameters of a request, the repository's plain-text errors and ETags, the
 * URLs hex.pm puts in its JSON, and small text helpers.
 *
 * @module
 */

import type { FakePackage, FakeRelease } from "./_hex_packages.ts";
import { sha256HexSync } from "./_hex_packages.ts";
import type { Ctx } from "./fake_hex_core.ts";

/** Where the API is rooted. */
export const API = "/api";
/** Where the repository (tarballs, docs, registry) is rooted. */
export const REPO = "/repo";

/** The message hexpm's `ErrorView` gives a status when nothing more precise is said. */
export const DEFAULT_MESSAGES: Record<number, string> = {
  400: "Bad request",
  404: "Page not found",
  408: "Request timeout",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Validation error(s)",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};
const OAUTH_STATUS: Record<string, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  server_error: 500,
};

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** hexpm's `ErrorView` body: `{status, message, errors?}`. */
export function errorResponse(
  status: number,
  message?: string,
  errors?: unknown,
  headers: Record<string, string> = {},
): Response {
  const body: Record<string, unknown> = {
    status,
    message: message ?? DEFAULT_MESSAGES[status] ?? `HTTP ${status}`,
  };
  if (errors !== undefined) body.errors = errors;
  return json(status, body, headers);
}

/** A 401 with hexpm's `www-authenticate` challenge. */
export function unauthorized(message: string, challenge = "Basic realm=hex"): Response {
  return errorResponse(401, message, undefined, { "www-authenticate": challenge });
}

/** A 403. */
export function forbidden(message = "account not authorized for this action"): Response {
  return errorResponse(403, message);
}

export function oauthError(error: string, description: string): Response {
  return json(OAUTH_STATUS[error] ?? 400, { error, error_description: description });
}

/** Query and body parameters merged (body wins), as Phoenix does. */
export function parseParams(ctx: Ctx): Record<string, unknown> | Response {
  const params: Record<string, unknown> = Object.fromEntries(ctx.url.searchParams);
  if (ctx.body.length === 0) return params;
  const type = (ctx.req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const text = new TextDecoder().decode(ctx.body);
  if (type === "application/json" || type === "application/vnd.hex+json") {
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return { ...params, ...parsed };
      }
      return errorResponse(400);
    } catch {
      return errorResponse(400);
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    return { ...params, ...Object.fromEntries(new URLSearchParams(text)) };
  }
  if (type.startsWith("application/vnd.hex+")) return errorResponse(415);
  return params;
}

/** A package resource with its repository (`foo` → `hexpm/foo`). */
export function normalisePackage(resource: string): string {
  return resource.includes("/") ? resource : `hexpm/${resource}`;
}

export function packageUrl(origin: string, p: FakePackage): string {
  return p.repository === "hexpm"
    ? `${origin}${API}/packages/${p.name}`
    : `${origin}${API}/repos/${p.repository}/packages/${p.name}`;
}

/** A package's URLs: API, web page, docs pages and repository base. */
export function packageUrls(
  origin: string,
  p: FakePackage,
): { api: string; html: string; docs: string; repo: string } {
  const org = p.repository === "hexpm" ? "" : `/${p.repository}`;
  return {
    api: packageUrl(origin, p),
    html: `${origin}/packages${org}/${p.name}`,
    docs: `${origin}/docs${org}/${p.name}`,
    repo: p.repository === "hexpm" ? `${origin}${REPO}` : `${origin}${REPO}/repos/${p.repository}`,
  };
}

/** Where a release's docs tarball is served (the `Location` of a docs upload). */
export function docsTarballUrl(origin: string, p: FakePackage, release: FakeRelease): string {
  return `${packageUrls(origin, p).repo}/docs/${p.name}-${release.version}.tar.gz`;
}

/** The `configs` of Release and Package JSON: how to depend on this version. */
export function depSnippets(p: FakePackage, version: string): Record<string, string> {
  const org = p.repository === "hexpm" ? "" : `, organization: "${p.repository}"`;
  return {
    "mix.exs": `{:${p.name}, "~> ${version}"${org}}`,
    "rebar.config": `{${p.name}, "${version}"}`,
    "erlang.mk": `dep_${p.name} = hex ${version}`,
  };
}

/** The path a fault or `requestsTo` filter sees: under `/api` without it, else in full. */
export function subPath(path: string): string {
  return path === API || path.startsWith(`${API}/`) ? path.slice(API.length) : path;
}

/** A repository (CDN) error: plain text, no JSON. */
export function repoError(status: 401 | 403 | 404): Response {
  const text = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" }[status];
  return new Response(text, { status, headers: { "content-type": "text/plain" } });
}

export function etagMatches(req: Request, etag: string): boolean {
  const header = req.headers.get("if-none-match");
  if (!header) return false;
  return header.trim() === "*" ||
    header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** hex.pm sends an `ETag` with GET responses and answers a matching `If-None-Match` with 304. */
export async function withEtag(req: Request, res: Response): Promise<Response> {
  if (req.method !== "GET" || res.status !== 200 || res.headers.has("etag")) return res;
  const bytes = new Uint8Array(await res.arrayBuffer());
  const headers = new Headers(res.headers);
  const etag = `"${sha256HexSync(bytes).slice(0, 32)}"`;
  headers.set("etag", etag);
  if (etagMatches(req, etag)) return new Response(null, { status: 304, headers });
  return new Response(bytes, { status: 200, headers });
}

/** A positive integer query parameter, or `fallback`. */
export function positiveInt(text: string | null, fallback: number): number {
  const n = text === null ? NaN : Number(text);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

/** Whether a fault or `requestsTo` filter matches a path. */
export function matchPath(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

/** A string parameter, or `""`. */
export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** Code-unit order, as Elixir sorts binaries. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A fake-clock time as hexpm's ISO 8601 timestamps. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `bytes` random bytes as lower hex. */
export function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** `bytes` random bytes as unpadded base64url. */
export function randomBase64Url(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function randomFrom(alphabet: string, length: number): string {
  // 29 symbols: rejection sampling keeps the draw uniform.
  let out = "";
  while (out.length < length) {
    const [b] = crypto.getRandomValues(new Uint8Array(1));
    if (b < 256 - (256 % alphabet.length)) out += alphabet[b % alphabet.length];
  }
  return out;
}

/** A JWT-shaped access token with hex.pm's claims and a random signature; clients treat it as opaque. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(v)));
  return `${enc({ alg: "HS256", typ: "JWT" })}.${enc(claims)}.${randomBase64Url(32)}`;
}
