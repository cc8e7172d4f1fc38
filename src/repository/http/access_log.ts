/**
 * The access log of `hexpub serve`: one line per request, in the Common Log
 * Format of Apache httpd and nginx (`%h %l %u %t "%r" %>s %b`) with the
 * answer's duration added:
 *
 * ```text
 * 127.0.0.1 - ci [07/Dec/2025:18:22:14 +0000] "POST /api/publish HTTP/1.1" 201 312 14.2ms
 * ```
 *
 * - the client's address (`-` when unknown);
 * - `-` (no identd);
 * - the name of the API key that authenticated the request, or `-`;
 * - when the request arrived, in UTC;
 * - the method, the path and the protocol; never the query (it could carry a
 *   secret), never a header (`authorization` holds the key);
 * - the status (499 when the client went away before its answer was
 *   written, as nginx logs it);
 * - the bytes of the answer's body written;
 * - milliseconds from the request's arrival to the end of its answer.
 *
 * A request the server refused before reading it (a malformed request line)
 * is logged as `"-"`.
 *
 * @module
 */
import type { AccessEntry } from "../../ports.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const two = (n: number) => String(n).padStart(2, "0");

let cachedSecond = NaN;
let cachedTime = "";

/** `07/Dec/2025:18:22:14 +0000` (the Common Log Format's time, in UTC), made once a second. */
export function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedTime;
  const d = new Date(second * 1000);
  cachedSecond = second;
  cachedTime = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${
    two(d.getUTCHours())
  }:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  return cachedTime;
}

const SAFE = /^[\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * `text` safe inside a log line: every byte outside printable ASCII, and `"`
 * and `\`, written as `\xHH` (as nginx escapes its log fields).
 */
function field(text: string): string {
  if (SAFE.test(text)) return text;
  return text.replace(
    /[^\x21-\x7e]|["\\]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** The path of `url`, without its query and fragment; `-` when it is no URL. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "-";
  }
}

/**
 * The access log line of `entry`; `user` is the name of the API key that
 * authenticated the request, when one did.
 */
export function accessLogLine(entry: AccessEntry, user?: string): string {
  const request = entry.request && entry.method && entry.protocol
    ? `${field(entry.method)} ${field(pathOf(entry.request.url))} ${field(entry.protocol)}`
    : "-";
  return `${entry.remoteAddr ? field(entry.remoteAddr) : "-"} - ${user ? field(user) : "-"} [${
    clfTime(entry.time)
  }] "${request}" ${entry.status} ${entry.bytes} ${entry.ms.toFixed(1)}ms`;
}
