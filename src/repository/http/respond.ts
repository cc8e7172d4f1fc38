/**
 * hex.pm's HTTP answers, as a served repository gives them: JSON bodies,
 * errors as `{status, message, errors?}`, a store's refusals as their
 * statuses, and capped request bodies.
 *
 * @module
 */
import { readBodyUpTo } from "../../hex/read_capped.ts";
import type { Refusal } from "../store_types.ts";

const enc = new TextEncoder();

/** A JSON answer (no body for a 204), with its length (sent whole, not streamed). */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  if (status === 204) return new Response(null, { status, headers });
  const bytes = enc.encode(JSON.stringify(body));
  return new Response(bytes, {
    status,
    headers: {
      "content-type": "application/json",
      "content-length": String(bytes.length),
      ...headers,
    },
  });
}

/** hex.pm's error body; a 401 asks for Basic credentials, as hex.pm does. */
export function error(status: number, message: string, errors?: unknown): Response {
  const headers: Record<string, string> = status === 401
    ? { "www-authenticate": "Basic realm=hex" }
    : {};
  return json(
    status,
    errors === undefined ? { status, message } : { status, message, errors },
    headers,
  );
}

/** 404. */
export const notFound = (): Response => error(404, "Page not found");
/** 204. */
export const noContent = (): Response => json(204, null);
/** 405. */
export const notAllowed = (): Response => error(405, "Method not allowed");
/** 401, for a missing or unknown API key. */
export const badKey = (): Response => error(401, "invalid API key");
/** 413, for a body over the cap. */
export const tooLarge = (): Response => error(413, "Payload too large");

/** hex.pm's answer to a write by someone who is not (enough of) an owner. */
const FORBIDDEN = "account not authorized for this action";
/** 403. */
export const forbidden = (): Response => error(403, FORBIDDEN);
/** 422 with hex.pm's per-field errors. */
const invalid = (errors: unknown): Response => error(422, "Validation error(s)", errors);

/**
 * The answer to a store's refusal of `user`'s write. A package with releases
 * but no owners is hex.pm's 403, with the fix in `errors` (hexpub and mix
 * show it under the message).
 */
export function refusal(r: Refusal, user: string): Response {
  switch (r.refused) {
    case "forbidden":
      return forbidden();
    case "unowned":
      return error(403, FORBIDDEN, {
        owners:
          `package ${r.name} has no owners: on the server, run \`hexpub serve owner add DIR ${r.name} ${user}\``,
      });
    case "exists":
      return invalid({
        inserted_at: "must include the --replace flag to update an existing release",
      });
    case "invalid":
      return invalid(r.errors);
    default:
      return notFound();
  }
}

/** Hex's largest tarball (16 MiB); bigger uploads are refused with 413. */
const MAX_UPLOAD = 16 * 1024 * 1024;
/** The largest JSON body (retire, owners) read. */
const MAX_JSON = 64 * 1024;

/** The request body, or undefined when it is larger than `limit` (read no further). */
export function readBody(req: Request, limit = MAX_UPLOAD): Promise<Uint8Array | undefined> {
  return readBodyUpTo(req, limit);
}

/** A JSON object body: the object, or the error response to send. */
export async function readJsonBody(req: Request): Promise<Record<string, unknown> | Response> {
  const body = await readBody(req, MAX_JSON);
  if (!body) return tooLarge();
  const text = new TextDecoder().decode(body).trim();
  if (!text) return {};
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // below
  }
  return error(400, "Bad request");
}

const SEGMENT = /^[A-Za-z0-9_.+@-]+$/;

/** Path segments of a URL path, decoded; `undefined` when one is unsafe. */
export function segments(pathname: string): string[] | undefined {
  if (pathname.includes("\\")) return undefined;
  const raw = pathname.split("/").slice(1);
  const out: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return undefined;
    }
    if (s === "" || s === "." || s === ".." || !SEGMENT.test(s)) return undefined;
    out.push(s);
  }
  return out;
}

/** A whole number from a query parameter, or `fallback` when absent or malformed. */
export function intParam(url: URL, key: string, fallback: number): number {
  const v = url.searchParams.get(key);
  return v !== null && /^\d{1,9}$/.test(v) && Number(v) >= 1 ? Number(v) : fallback;
}
