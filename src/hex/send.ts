/**
 * Sending one API request: a time limit on every attempt, network failures turned
 * into errors that name the request, and retries with backoff for requests that
 * are safe to repeat. The only I/O is the injected `fetch`, `sleep` and `now`
 * (`Deps` satisfies {@link SendIo}).
 *
 * Retry policy:
 * - only requests the caller marks `idempotent` are ever re-sent, on 429, any 5xx,
 *   a network failure or a timeout; anything else (a publish, a key creation) is
 *   sent once, whatever happens, because a failure does not prove the server did
 *   not act on it (a publish can land and still fail: the answer can be lost after the server stored it);
 * - the wait before attempt n+1 is 1 s, 2 s, 4 s, … (capped at {@link MAX_BACKOFF_MS}),
 *   or longer when the server says so: `retry-after` (seconds or an HTTP date) on
 *   a 429 or 503, else, on a 429, until `x-ratelimit-reset` (unix seconds). A
 *   `retry-after` shorter than the reset is honoured;
 * - every retry is announced on one line through `io.out.info` before its wait:
 *   the request, why, how long, which header asked for it, which attempt comes;
 * - the waits for one request add up to at most {@link MAX_TOTAL_WAIT_MS} (60 s):
 *   when the next one would pass it, `send` waits no more and throws the
 *   server's answer as a {@link HexApiError} (exit 1) saying how long the server
 *   asked for and until when;
 * - the last response is returned whatever its status: parsers decide what it means.
 *
 * Re-sending: each attempt sends a clone of the request (`Request.clone()`), so a
 * body can be sent again; a `Uint8Array` or string body keeps its `Content-Length`
 * through the clone. A request that gets a single attempt is sent as is. Either
 * way, `send` owns the request: don't send it again yourself.
 *
 * Progress: with {@link SendOptions.progress}, the body is read once and each
 * attempt sends it as a counting body (`upload_body.ts`), which keeps its
 * `Content-Length` and reports the bytes `fetch` has taken.
 *
 * The time limit covers the whole exchange: it bounds the wait for the response
 * headers, then every pause while the parser reads the body (each chunk resets
 * it), and the body as a whole may take twice the time limit plus 1 s per 10 KB
 * received (a body dripped a byte at a time fails). A body that breaks or times
 * out errors with a {@link HexNetworkError} when it is read.
 *
 * @module
 */

import type { Output } from "../ports.ts";
import { HexApiError, HexNetworkError, initOf, parseErrorResponse, safeUrl } from "./api_errors.ts";
import { countingBody } from "./upload_body.ts";

/** The I/O {@link send} uses. */
export interface SendIo {
  /** Sends one request (Web `fetch`). */
  fetch(req: Request): Promise<Response>;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Where each retry is announced (stderr); `Deps` passes its own. */
  out?: Pick<Output, "info">;
}

/** How {@link send} treats a request. */
export interface SendOptions {
  /** Whether the request may be sent again after a 429, 5xx, network failure or timeout. */
  idempotent: boolean;
  /** Time limit per attempt, in milliseconds; default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Re-sends allowed after the first attempt (idempotent requests only); default {@link DEFAULT_RETRIES}. */
  retries?: number;
  /**
   * Called as the body goes out: bytes taken by `fetch` so far, and the body's
   * size (starting again from 0 on a re-send).
   */
  progress?: (sent: number, total: number) => void;
}

/** The default time limit per attempt (30 s). */
const DEFAULT_TIMEOUT_MS = 30_000;
/** The default number of re-sends. */
const DEFAULT_RETRIES = 3;
/** The first backoff wait; it doubles with every attempt. */
const BACKOFF_BASE_MS = 1_000;
/** The longest backoff wait of our own. */
const MAX_BACKOFF_MS = 30_000;
/**
 * The slowest a response body may arrive once the time limit has passed, in
 * bytes per millisecond (10 KB/s): see {@link guardBody}.
 */
const MIN_BODY_RATE = 10;
/** The most `send` waits, in all, for one request (backoff and server-asked waits together). */
const MAX_TOTAL_WAIT_MS = 60_000;

/**
 * The backoff before the next attempt, after `attempt` attempts failed.
 *
 * @param attempt How many attempts have been made (1 for the first).
 * @returns 1000, 2000, 4000, … milliseconds, capped at {@link MAX_BACKOFF_MS}.
 *
 * Exported for tests, which check the schedule without waiting for it.
 */
export function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
}

function retryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** A wait the server asked for, and the header that asked. */
export interface ServerWait {
  ms: number;
  header: "retry-after" | "x-ratelimit-reset";
}

/**
 * How long the server asks us to wait before retrying: `retry-after` (on a 429
 * or 503) when it is there, even when it is shorter than the rate-limit reset;
 * else, on a 429, until `x-ratelimit-reset`.
 *
 * @param res A 429 or 5xx response.
 * @param now Milliseconds since the epoch.
 * @returns The wait (0 when the time has passed) and its header, or `undefined`
 * when the server says nothing.
 *
 * Exported for tests, which check the headers' handling without waiting.
 */
export function serverWaitMs(res: Response, now: number): ServerWait | undefined {
  const retryAfter = res.headers.get("retry-after")?.trim();
  if (retryAfter && (res.status === 429 || res.status === 503)) {
    const seconds = /^\d+(\.\d+)?$/.test(retryAfter) ? Number(retryAfter) : undefined;
    const date = seconds === undefined ? Date.parse(retryAfter) : NaN;
    const ms = seconds !== undefined
      ? seconds * 1000
      : Number.isFinite(date)
      ? Math.max(0, date - now)
      : undefined;
    if (ms !== undefined) return { ms, header: "retry-after" };
  }
  const raw = res.headers.get("x-ratelimit-reset")?.trim();
  const reset = Number(raw);
  if (res.status === 429 && raw && Number.isFinite(reset)) {
    return { ms: Math.max(0, reset * 1000 - now), header: "x-ratelimit-reset" };
  }
  return undefined;
}

/** Why a status is retried, for the announcement. */
function statusWhy(status: number): string {
  return status === 429 ? "429 rate limited" : `${status} server error`;
}

/** The server's answer as an error, saying that hexpub will not wait as long as it asks. */
async function tooLong(
  res: Response,
  req: Request,
  asked: ServerWait | undefined,
  wait: number,
  now: number,
): Promise<HexApiError> {
  const err = await parseErrorResponse(res, req);
  const source = asked && asked.ms >= wait ? ` (its ${asked.header} header)` : "";
  // A wait past a year is the server's nonsense (or hostility): no date to show.
  const until = wait <= YEAR_MS ? isoTime(now + wait) : undefined;
  const asks = until ? formatSeconds(Math.ceil(wait / 1000) * 1000) : "over a year";
  const hint = `The server asks to wait ${asks}${source}; ` +
    `hexpub waits at most ${formatSeconds(MAX_TOTAL_WAIT_MS)} for one request: ${
      until ? `wait until ${until}, then retry` : "retry much later, or ask its operators"
    }`;
  return new HexApiError(err.message, initOf(err, hint));
}

const YEAR_MS = 366 * 24 * 3600 * 1000;

function isoTime(ms: number): string | undefined {
  const date = new Date(Math.ceil(ms / 1000) * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The error message of a failed `fetch`, without query strings or user info in any URL in it. */
function causeText(err: unknown, req: Request): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .split(req.url).join(safeUrl(req.url))
    .replace(/\b(https?:\/\/)[^\s/@]*@/g, "$1")
    .replace(/\b(https?:\/\/[^\s?#]+)[?#][^\s)]*/g, "$1")
    // deno-lint-ignore no-control-regex -- keep the message on one line
    .replace(/[\u0000-\u001f]+/g, " ")
    .trim();
}

/** What one attempt gave: a response, or the error and whether it was the time limit. */
interface Attempt {
  res?: Response;
  error?: unknown;
  timedOut: boolean;
  /** Aborts the attempt's fetch (and so its body). */
  abort?: AbortController;
}

/**
 * Sends one attempt with a time limit on the response headers.
 *
 * @param req The caller's request (its signal is watched).
 * @param body The request this attempt sends (a clone, a rebuilt one, or `req`).
 */
async function attemptOnce(
  io: SendIo,
  req: Request,
  timeoutMs: number,
  body: () => Request,
): Promise<Attempt> {
  if (req.signal.aborted) return { error: req.signal.reason, timedOut: false };
  const timer = new AbortController();
  const id = setTimeout(() => timer.abort(), timeoutMs);
  const signal = AbortSignal.any([req.signal, timer.signal]);
  // Settles on a timeout or the caller's abort even if the fetch ignores its signal.
  let stop: () => void = () => {};
  const aborted = new Promise<"aborted">((resolve) => {
    stop = () => resolve("aborted");
    signal.addEventListener("abort", stop, { once: true });
  });
  try {
    const attempt = new Request(body(), { signal });
    const outcome = await Promise.race([io.fetch(attempt), aborted]);
    if (outcome === "aborted") {
      return { error: signal.reason, timedOut: timer.signal.aborted && !req.signal.aborted };
    }
    return { res: outcome, timedOut: false, abort: timer };
  } catch (error) {
    return { error, timedOut: timer.signal.aborted && !req.signal.aborted };
  } finally {
    clearTimeout(id);
    signal.removeEventListener("abort", stop);
  }
}

/** What {@link guardBody} needs to name the request in its errors. */
interface BodyGuard {
  req: Request;
  method: string;
  url: string;
  timeoutMs: number;
  /** The clause a non-idempotent request's errors end with. */
  unsure: string;
  /** Aborts the fetch when the body times out. */
  abort?: AbortController;
}

/**
 * The response with its body under the time limit: each read waits at most
 * `timeoutMs` for the next bytes (an idle timer reset by every chunk), and the
 * body as a whole may take at most twice `timeoutMs` plus 1 s per 10 KB received
 * ({@link MIN_BODY_RATE}), so a body dripped a byte at a time fails too.
 * A body that fails (cut off, reset, timed out) errors with a
 * {@link HexNetworkError}, which the parsers pass on as it is.
 */
function guardBody(res: Response, g: BodyGuard): Response {
  if (!res.body) return res;
  const reader = res.body.getReader();
  const started = performance.now();
  let received = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const elapsed = performance.now() - started;
      const budget = 2 * g.timeoutMs + received / MIN_BODY_RATE - elapsed;
      const wait = Math.max(0, Math.min(g.timeoutMs, budget));
      let id: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        id = setTimeout(() => resolve("timeout"), wait);
      });
      try {
        const read = await Promise.race([reader.read(), timeout]);
        if (read === "timeout") {
          g.abort?.abort();
          reader.cancel().catch(() => {});
          const why = wait < g.timeoutMs
            ? `the answer came too slowly (${received} bytes in ${
              formatSeconds(Math.round(performance.now() - started))
            })`
            : `no data for ${formatSeconds(g.timeoutMs)} while reading the answer`;
          controller.error(
            new HexNetworkError(`${g.method} ${g.url} timed out: ${why}`, {
              reason: "timeout",
              method: g.method,
              url: g.url,
              attempts: 1,
              hint: `The server stopped sending its answer: check your connection, or try again ` +
                `later (HEX_HTTP_TIMEOUT sets the time limit)${g.unsure}`,
            }),
          );
          return;
        }
        if (read.done) return controller.close();
        received += read.value.length;
        controller.enqueue(read.value);
      } catch (error) {
        if (g.req.signal.aborted) return controller.error(g.req.signal.reason ?? error);
        controller.error(
          new HexNetworkError(
            `${g.method} ${g.url} failed while reading the answer: ${causeText(error, g.req)}`,
            {
              reason: "network",
              method: g.method,
              url: g.url,
              attempts: 1,
              hint: `The connection broke after the server answered: check your network ` +
                `connection, and ${urlSetting(g.req.url)} if you set it${g.unsure}`,
              cause: error,
            },
          ),
        );
      } finally {
        clearTimeout(id);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const out = new Response(stream, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  Object.defineProperty(out, "url", { value: res.url });
  return out;
}

/**
 * Sends a request, retrying it when that is safe (see the module doc).
 *
 * @param io `fetch`, `sleep` and `now`.
 * @param req The request; `send` owns it from here (it is cloned per attempt).
 * @param options Whether it is idempotent, the time limit per attempt, the retries.
 * @returns The last response, whatever its status.
 * @throws {HexNetworkError} When no response came: `reason` `timeout` or `network`,
 * naming the method and the URL (without its query) and keeping the cause.
 * @throws The request signal's reason, when the caller aborted it.
 */
export async function send(io: SendIo, req: Request, options: SendOptions): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const attempts = options.idempotent ? Math.max(0, options.retries ?? DEFAULT_RETRIES) + 1 : 1;
  const method = req.method;
  const url = safeUrl(req.url);
  const unsure = options.idempotent
    ? ""
    : "; the server may have received the request, so check before sending it again";
  let waited = 0;
  let attempt = 1;
  /** One line for each retry: the request, why, how long, what comes next. */
  const announce = (why: string) => {
    io.out?.info(
      `${method} ${url}: ${why}, then trying again (attempt ${attempt + 1} of ${attempts})`,
    );
  };
  const progress = options.progress;
  const bytes = progress && req.body ? new Uint8Array(await req.arrayBuffer()) : undefined;
  /** The request one attempt sends. */
  const next = (last: boolean) => () => {
    if (!bytes) return last ? req : req.clone();
    progress!(0, bytes.length);
    return new Request(req.url, {
      method: req.method,
      headers: req.headers,
      redirect: req.redirect,
      body: countingBody(bytes, (sent) => progress!(sent, bytes.length)),
    });
  };
  for (;; attempt++) {
    const last = attempt >= attempts;
    const outcome = await attemptOnce(io, req, timeoutMs, next(last));
    if (outcome.res) {
      const res = guardBody(outcome.res, {
        req,
        method,
        url,
        timeoutMs,
        unsure,
        abort: outcome.abort,
      });
      if (last || !retryableStatus(res.status)) return res;
      const now = io.now();
      const asked = serverWaitMs(res, now);
      const wait = Math.max(backoffMs(attempt), asked?.ms ?? 0);
      if (waited + wait > MAX_TOTAL_WAIT_MS) throw await tooLong(res, req, asked, wait, now);
      await res.body?.cancel().catch(() => {});
      const because = asked && asked.ms >= wait ? ` as its ${asked.header} header asks` : "";
      announce(`${statusWhy(res.status)}; waiting ${formatSeconds(wait)}${because}`);
      await io.sleep(wait);
      waited += wait;
      continue;
    }
    if (req.signal.aborted) throw req.signal.reason ?? outcome.error;
    if (last) {
      const after = attempt > 1 ? ` (after ${attempt} attempts)` : "";
      if (outcome.timedOut) {
        throw new HexNetworkError(
          `${method} ${url} timed out after ${formatSeconds(timeoutMs)}${after}`,
          {
            reason: "timeout",
            method,
            url,
            attempts: attempt,
            hint:
              `The server did not answer in time: check your connection, or try again later${unsure}`,
            cause: outcome.error,
          },
        );
      }
      throw new HexNetworkError(
        `${method} ${url} failed: ${causeText(outcome.error, req)}${after}`,
        {
          reason: "network",
          method,
          url,
          attempts: attempt,
          hint: `Check your network connection, and ${urlSetting(req.url)} if you set it${unsure}`,
          cause: outcome.error,
        },
      );
    }
    const wait = backoffMs(attempt);
    announce(`${causeText(outcome.error, req)}; waiting ${formatSeconds(wait)}`);
    await io.sleep(wait);
    waited += wait;
  }
}

/**
 * The settings that choose a URL: the API's (`/api/…`) or the repository's
 * (registry files, tarballs), so a hint names the one that may be wrong.
 */
function urlSetting(url: string): string {
  return new URL(url).pathname.startsWith("/api/") || new URL(url).pathname === "/api"
    ? "HEX_API_URL (or the repository's api_url)"
    : "HEX_CDN or HEX_MIRROR (or the repository's repo_url)";
}

function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
