/**
 * A small HTTP/1.1 server for `hexpub serve`, over any stream listener (the
 * caller accepts TCP connections: `src/deno_deps.ts`), that a hostile client
 * cannot exhaust:
 *
 * - **a connection cap** ({@link ServeLimits.maxConnections}, set below the
 *   process's file limit by the caller): at the cap, a new connection takes
 *   the place of the oldest one that is not in a request (idle, or still
 *   sending its request head), preferring those that never made a request,
 *   as nginx reuses idle connections; when every connection is busy with a
 *   request, accepting waits (back-pressure: the kernel's backlog holds
 *   newcomers; one accepted just as the last idle one turned busy waits,
 *   unread, so the cap is passed by one at most). A failed accept (EMFILE,
 *   ENFILE, ECONNABORTED) is waited out, never fatal.
 * - **timeouts**: idle (no request byte yet, or between requests; also any
 *   single read or write that makes no progress), header (the whole request
 *   head from its first byte) and body (the whole request body once the
 *   handler starts reading it).
 *
 * Requests and answers are Web `Request`/`Response` values. A request's body
 * is streamed (`Content-Length` or chunked, `Expect: 100-continue` honoured);
 * the answer's too: sent with its `content-length` when the handler gives one
 * or the body is short, chunked otherwise (close-delimited for HTTP/1.0).
 * `Request.signal` aborts when the client goes away before its answer is
 * written in full. Pipelined requests are answered in order. A body the
 * handler leaves unread is drained (up to {@link DRAIN_LIMIT}, arriving within
 * `DRAIN_MS`) to keep the connection, else the connection closes after the
 * answer.
 *
 * Each answered request (and each one the server refuses itself) is told to
 * {@link HttpServeOptions.onAnswered}, for an access log.
 *
 * Cheap per request, as profiling `scripts/bench_serve.ts` showed: the head's
 * fields go to `Request` as pairs (a `Headers` in between doubles the
 * validation), a body with a `content-length` up to 1 MiB is taken with
 * `Response.bytes()` (no stream and reader), and an answer up to 16 KiB goes
 * out in one write.
 *
 * The parsing follows RFC 9112: a request with both `Transfer-Encoding` and
 * `Content-Length`, several differing lengths, a transfer coding other than
 * chunked, obsolete line folding, or a malformed line is a 400 and the
 * connection closes; a head over {@link MAX_HEAD} bytes is a 431.
 *
 * @module
 */
import type { AccessEntry, ServeLimits } from "../ports.ts";

/** A byte stream connection, as `Deno.Conn` is. */
export interface StreamConn {
  /** Reads into `buffer`: the byte count, or `null` at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`: the byte count written. */
  write(data: Uint8Array): Promise<number>;
  /** Closes the writing side (lingering close); optional. */
  closeWrite?(): Promise<void>;
  close(): void;
  /** The peer's address, when known (a TCP connection's has a `hostname`). */
  readonly remoteAddr?: { readonly transport: string; readonly hostname?: string };
}

/** A source of connections, as `Deno.Listener` is. */
export interface StreamListener {
  /** The next connection; throws when the listener is closed or the accept fails. */
  accept(): Promise<StreamConn>;
  close(): void;
}

export type { AccessEntry, ServeLimits } from "../ports.ts";

/** The defaults of {@link ServeLimits} (the connection cap's comes from the file limit). */
export const DEFAULT_TIMEOUTS: Omit<ServeLimits, "maxConnections"> = {
  idleTimeout: 30_000,
  headerTimeout: 20_000,
  bodyTimeout: 300_000,
};

/** Options of {@link serveHttp}. */
export interface HttpServeOptions {
  limits: ServeLimits;
  /** The `host:port` used in request URLs when a request has no `Host`. */
  defaultHost: string;
  /**
   * Whether a failed accept is worth retrying (the listener lives on), or
   * means the listener is gone (the server stops).
   */
  isListenerClosed: (error: unknown) => boolean;
  /** Told about a failure the server survived (a failed accept, a handler's throw). */
  onError?: (error: unknown) => void;
  /**
   * Told about each request once its answer is written (or has failed), and
   * about each request the server refuses itself (400, 431, 501, 505), for an
   * access log. A request whose client went away before its answer was
   * written in full has status {@link CLIENT_GONE}.
   */
  onAnswered?: (entry: AccessEntry) => void;
}

/** The status logged for a request whose client went away before its answer (nginx's 499). */
export const CLIENT_GONE = 499;

/** A running server. */
export interface HttpServer {
  /** Settles when the server has stopped. */
  finished: Promise<void>;
  /** Stops accepting, closes every connection, and waits for the accept loop to end. */
  close(): Promise<void>;
  /** Connections open now (for tests and diagnostics). */
  readonly connections: number;
}

/** Largest request head (request line and headers). */
export const MAX_HEAD = 64 * 1024;
/** Largest unread request body drained to keep a connection open. */
export const DRAIN_LIMIT = 1024 * 1024;
/** Longest wait for an unread body to arrive and be dropped, to keep its connection. */
const DRAIN_MS = 2000;
/** The read buffer of a connection waiting for a request (grown for bodies, shrunk back after). */
const SMALL_BUFFER = 4 * 1024;
/** The read buffer while a body streams in. */
const BODY_BUFFER = 64 * 1024;
/** Answers whose body is at most this long get a `content-length` (else chunked). */
const BUFFER_ANSWER = 64 * 1024;
/**
 * Answers with a `content-length` up to this long are taken whole from the
 * `Response` (no stream); longer ones are streamed.
 */
const BUFFER_DECLARED = 1024 * 1024;
/**
 * Answers up to this long (head and body) are sent in one write; longer ones
 * in two, head then body (measured: for a 40 KiB body, copying it next to the
 * head into a new buffer costs more than a second write).
 */
const COALESCE = 16 * 1024;
/** How often timeouts are checked: a quarter of the shortest, within 10 ms to 1 s. */
const SWEEP_MS = (l: ServeLimits) =>
  Math.min(1000, Math.max(10, Math.min(l.idleTimeout, l.headerTimeout, l.bodyTimeout) / 4));
/** Pause after a failed accept (EMFILE and friends), before trying again. */
const ACCEPT_RETRY_MS = 5;

const enc = new TextEncoder();
const CRLF = enc.encode("\r\n");
const LAST_CHUNK = enc.encode("0\r\n\r\n");
const latin1 = new TextDecoder("latin1");

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Thrown by reads and writes of a connection that timed out or was closed. */
class ConnectionGone extends Error {}

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Phase = "idle" | "head" | "busy";

/** One connection: a read buffer over the socket, its phase and its timers. */
class Connection {
  phase: Phase = "idle";
  /** Requests started on it. */
  requests = 0;
  /**
   * When the read or write under way must have made progress (Infinity when
   * none is): past it, the server's sweep closes the connection.
   */
  deadline = Infinity;
  /** Whether the sweep closed it. */
  timedOut = false;
  /** When the connection entered its phase (the eviction order). */
  since = 0;
  closed = false;
  #buf = new Uint8Array(SMALL_BUFFER);
  #start = 0;
  #end = 0;
  #pending: Promise<number | null> | undefined;
  #eof = false;
  #onGone: (() => void) | undefined;

  /** The peer's address (a host name or IP address), when known. */
  readonly remoteAddr: string | undefined;

  constructor(readonly conn: StreamConn, now: number) {
    this.since = now;
    try {
      this.remoteAddr = conn.remoteAddr?.hostname;
    } catch {
      // a closed connection may not tell
    }
  }

  /** Unread buffered bytes. */
  get buffered(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  get eof(): boolean {
    return this.#eof;
  }

  consume(n: number): void {
    this.#start += n;
    // Not while a read is under way: it lands after #end.
    if (this.#start === this.#end && !this.#pending) this.#start = this.#end = 0;
  }

  /** Sets the read buffer's size for what comes next, when no read is under way (bytes kept). */
  resize(size: number): void {
    if (this.#pending || this.#buf.length === size || this.#end - this.#start > size) return;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buf = next;
  }

  /**
   * Runs `f` once if the connection closes or the peer ends it before
   * {@link onGone} is called again (`undefined` clears it): one request's
   * abort at a time, so keep-alive connections collect nothing.
   */
  onGone(f: (() => void) | undefined): void {
    if (f && (this.closed || this.#eof)) f();
    else this.#onGone = f;
  }

  #gone(): void {
    const f = this.#onGone;
    this.#onGone = undefined;
    f?.();
  }

  /** Starts a read unless one is under way (bounded by the buffer's room). */
  #startRead(): Promise<number | null> {
    if (this.#pending) return this.#pending;
    if (this.#start > 0 && this.#end === this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf.subarray(0, this.#end));
      this.#buf = bigger;
    }
    const target = this.#buf.subarray(this.#end);
    const buffer = this.#buf;
    this.#pending = this.conn.read(target).then(
      (n) => {
        this.#pending = undefined;
        if (n === null) {
          this.#eof = true;
          this.#gone();
        } else if (buffer === this.#buf) this.#end += n;
        return n;
      },
      (err) => {
        this.#pending = undefined;
        this.#eof = true;
        this.#gone();
        throw err;
      },
    );
    return this.#pending;
  }

  /**
   * Reads more into the buffer, waiting at most `ms` (and until `deadline`,
   * a time from `now`): false at the end of the stream.
   */
  async fill(ms: number, deadline = Infinity, now = Date.now()): Promise<boolean> {
    if (this.#eof) return false;
    const wait = Math.min(ms, deadline - now);
    if (wait <= 0) {
      this.timedOut = true;
      this.close();
      throw new ConnectionGone("timed out");
    }
    this.deadline = now + wait;
    try {
      return (await this.#startRead()) !== null;
    } catch (err) {
      throw new ConnectionGone(
        this.timedOut ? "timed out" : err instanceof Error ? err.message : String(err),
      );
    } finally {
      this.deadline = Infinity;
    }
  }

  /** Notices the peer closing while a handler runs (a read is kept pending, its bytes kept). */
  watch(): void {
    if (this.closed || this.#eof || this.#pending) return;
    if (this.#end - this.#start >= MAX_HEAD) return; // enough pipelined already
    this.#startRead().then((n) => {
      if (n !== null) this.watch();
    }, () => {});
  }

  /** Writes all of `data`, each write making progress within `ms`. */
  async write(data: Uint8Array, ms: number): Promise<void> {
    try {
      while (data.length > 0) {
        this.deadline = Date.now() + ms;
        data = data.subarray(await this.conn.write(data));
      }
    } catch (err) {
      this.close();
      throw new ConnectionGone(
        this.timedOut ? "write timed out" : err instanceof Error ? err.message : String(err),
      );
    } finally {
      this.deadline = Infinity;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    this.#gone();
  }
}

/** A parsed request head. */
interface Head {
  method: string;
  target: string;
  minor: number;
  /**
   * The header fields in order, names as sent: handed to `Request` as they are
   * (one pass of `Headers` validation, not two).
   */
  fields: [string, string][];
  /** The `Host` field's value (several joined with ", "), if any. */
  host: string | undefined;
  /** `chunked`, a length, or no body. */
  body: "chunked" | number;
  keepAlive: boolean;
  expectContinue: boolean;
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  // A CRLF CRLF: look for each LF (indexOf is native) and check the three bytes before it.
  let i = bytes.indexOf(10, 3);
  while (i >= 0) {
    if (bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) return i + 1;
    i = bytes.indexOf(10, i + 1);
  }
  return -1;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.([01])$/;
/** What `Headers` refuses in a value (after trimming): NUL, CR, LF. */
const BAD_VALUE = /[\0\r\n]/;

/** Appends `value` to a field seen before (as `Headers.get` combines them). */
const combine = (seen: string | undefined, value: string) =>
  seen === undefined ? value : `${seen}, ${value}`;

/** `s` without leading and trailing spaces and tabs (a field value's optional whitespace). */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Parses a request head (the bytes up to and including the blank line). */
export function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  lines.length -= 2; // the blank line's two empty strings
  const requestLine = lines[0] ?? "";
  const m = REQUEST_LINE.exec(requestLine);
  if (!m) {
    if (/^\S+ \S+ HTTP\/\d/.test(requestLine)) {
      throw new HttpError(505, "HTTP version not supported");
    }
    throw new HttpError(400, "malformed request line");
  }
  const fields: [string, string][] = [];
  let te: string | undefined;
  let cl: string | undefined;
  let host: string | undefined;
  let connection: string | undefined;
  let expect: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) throw new HttpError(400, "obsolete line folding");
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) throw new HttpError(400, "malformed header line");
    const value = trimOws(line.slice(colon + 1));
    if (BAD_VALUE.test(value)) throw new HttpError(400, "malformed header value");
    fields.push([name, value]);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") host = combine(host, value);
        break;
      case 6:
        if (name.toLowerCase() === "expect") expect = combine(expect, value);
        break;
      case 10:
        if (name.toLowerCase() === "connection") connection = combine(connection, value);
        break;
      case 14:
        if (name.toLowerCase() === "content-length") cl = combine(cl, value);
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") te = combine(te, value);
        break;
    }
  }
  const minor = Number(m[3]);
  let body: Head["body"] = 0;
  if (te !== undefined) {
    if (cl !== undefined) throw new HttpError(400, "both Transfer-Encoding and Content-Length");
    if (minor === 0 || te.trim().toLowerCase() !== "chunked") {
      throw new HttpError(501, "unsupported transfer coding");
    }
    body = "chunked";
  } else if (cl !== undefined) {
    const values = new Set(cl.split(",").map((s) => s.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only)) {
      throw new HttpError(400, "invalid Content-Length");
    }
    body = Number(only);
  }
  const tokens = connection === undefined
    ? []
    : connection.toLowerCase().split(",").map((s) => s.trim());
  const keepAlive = minor === 1 ? !tokens.includes("close") : tokens.includes("keep-alive");
  return {
    method: m[1],
    target: m[2],
    minor,
    fields,
    host,
    body,
    keepAlive,
    expectContinue: minor === 1 && (expect ?? "").toLowerCase() === "100-continue",
  };
}

/** A request target made only of these needs no parsing of ours (`Request` parses it). */
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;

function requestUrl(head: Head, defaultHost: string): string {
  if (/^https?:\/\//i.test(head.target)) {
    try {
      return new URL(head.target).href;
    } catch {
      throw new HttpError(400, "malformed request target");
    }
  }
  if (!head.target.startsWith("/")) {
    if (head.method === "OPTIONS" && head.target === "*") return `http://${defaultHost}/`;
    throw new HttpError(400, "malformed request target");
  }
  const host = head.host ?? (head.minor === 0 ? defaultHost : undefined);
  if (host === undefined) throw new HttpError(400, "missing Host header");
  if (!/^[A-Za-z0-9.\-_~%!$&'()*+,;=:[\]]*$/.test(host)) {
    throw new HttpError(400, "malformed Host header");
  }
  // An absolute path (not "//…", which a URL parser takes for a host) of plain
  // characters: the origin and the target joined are what a URL parser makes of them.
  if (PLAIN_TARGET.test(head.target)) return `http://${host || defaultHost}${head.target}`;
  try {
    return new URL(head.target, `http://${host || defaultHost}`).href;
  } catch {
    throw new HttpError(400, "malformed request target");
  }
}

/**
 * The body of a request, read from the connection on demand: `remaining`
 * tracks a fixed length; chunked bodies are decoded.
 */
class BodyReader {
  done: boolean;
  #left: number;
  #chunked: boolean;
  #chunkLeft = 0;
  #started = 0;
  #sentContinue = false;

  constructor(
    readonly c: Connection,
    head: Head,
    readonly limits: ServeLimits,
    readonly continueLine: Uint8Array | undefined,
  ) {
    this.#chunked = head.body === "chunked";
    this.#left = head.body === "chunked" ? 0 : head.body;
    this.done = !this.#chunked && this.#left === 0;
  }

  async #more(): Promise<void> {
    if (!this.#started) {
      this.#started = Date.now();
      this.c.resize(BODY_BUFFER);
    }
    if (this.continueLine && !this.#sentContinue) {
      this.#sentContinue = true;
      await this.c.write(this.continueLine, this.limits.idleTimeout);
    }
    const ok = await this.c.fill(
      this.limits.idleTimeout,
      this.#started + this.limits.bodyTimeout,
    );
    if (!ok) throw new ConnectionGone("the client closed the connection mid-body");
  }

  /** A line of the chunked framing (without CRLF). */
  async #line(): Promise<string> {
    while (true) {
      const b = this.c.buffered;
      const i = b.indexOf(10);
      if (i >= 0) {
        if (i === 0 || b[i - 1] !== 13) throw new HttpError(400, "malformed chunked body");
        const line = latin1.decode(b.subarray(0, i - 1));
        this.c.consume(i + 1);
        return line;
      }
      if (b.length > 4096) throw new HttpError(400, "malformed chunked body");
      await this.#more();
    }
  }

  /** The next piece of the body, or `undefined` at its end. */
  async next(): Promise<Uint8Array | undefined> {
    if (this.done) return undefined;
    if (this.#chunked && this.#chunkLeft === 0) {
      const size = (await this.#line()).split(";")[0].trim();
      if (!/^[0-9A-Fa-f]{1,12}$/.test(size)) throw new HttpError(400, "malformed chunk size");
      this.#chunkLeft = parseInt(size, 16);
      if (this.#chunkLeft === 0) {
        while ((await this.#line()) !== "") {
          // trailer fields are read and dropped
        }
        this.done = true;
        return undefined;
      }
    }
    const want = this.#chunked ? this.#chunkLeft : this.#left;
    if (this.c.buffered.length === 0) await this.#more();
    const b = this.c.buffered;
    const piece = b.slice(0, Math.min(want, b.length));
    this.c.consume(piece.length);
    if (this.#chunked) {
      this.#chunkLeft -= piece.length;
      if (this.#chunkLeft === 0) {
        if ((await this.#line()) !== "") throw new HttpError(400, "malformed chunked body");
      }
    } else {
      this.#left -= piece.length;
      if (this.#left === 0) this.done = true;
    }
    return piece;
  }

  /**
   * Reads and drops the rest, if it is at most `limit` bytes and arrives
   * within `ms`: whether the body is done. A body still coming after `ms` is
   * given up on (the connection then closes after its answer), so a client
   * dripping a body nobody reads cannot hold its connection until the body
   * timeout.
   */
  async drain(limit: number, ms: number): Promise<boolean> {
    if (!this.#chunked && this.#left > limit) return false;
    const until = Date.now() + ms;
    let total = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      while (!this.done) {
        const wait = until - Date.now();
        if (wait <= 0) return false;
        const next = this.next();
        // Left running when late: it ends with the connection, unobserved.
        next.catch(() => {});
        const piece = await Promise.race([
          next,
          new Promise<"late">((r) => timer = setTimeout(() => r("late"), wait)),
        ]);
        clearTimeout(timer);
        if (piece === "late") return false;
        total += piece?.length ?? 0;
        if (total > limit) return false;
      }
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

let dateSecond = 0;
let dateText = "";

/** The `date` header's value, made once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

function statusLine(minor: number, status: number): string {
  return `HTTP/1.${minor} ${status} ${REASONS[status] ?? "Status"}\r\n`;
}

/** A refusal of the server's own (the connection closes after it), and its body's length. */
function simpleAnswer(status: number, message: string): { answer: Uint8Array; body: number } {
  const body = enc.encode(JSON.stringify({ status, message }));
  const head = enc.encode(
    statusLine(1, status) +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n` +
      "connection: close\r\n\r\n",
  );
  return { answer: concatBytes([head, body]), body: body.length };
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Serves `handler` on connections from `listener` with `options.limits`
 * until {@link HttpServer.close} or the listener fails for good.
 */
export function serveHttp(
  listener: StreamListener,
  handler: (request: Request) => Promise<Response>,
  options: HttpServeOptions,
): HttpServer {
  const { limits } = options;
  const open = new Set<Connection>();
  let closing = false;
  let slotFreed: (() => void) | undefined;

  /** Lets a waiting accept loop look again. */
  const wake = () => {
    slotFreed?.();
    slotFreed = undefined;
  };

  const release = (c: Connection) => {
    c.close();
    if (open.delete(c)) wake();
  };

  /** Makes room for a newcomer: closes the oldest connection not in a request; false if none. */
  const evictIdle = (): boolean => {
    // Connections that never made a request go first (oldest first): a keep-alive
    // client about to reuse its connection is disturbed only when none is left.
    let oldest: Connection | undefined;
    for (const c of open) {
      if (c.phase === "busy") continue;
      if (
        !oldest || (c.requests === 0 && oldest.requests > 0) ||
        ((c.requests === 0) === (oldest.requests === 0) && c.since < oldest.since)
      ) oldest = c;
    }
    if (!oldest) return false;
    release(oldest);
    return true;
  };

  /**
   * Writes `res` as the answer to `head`: whether the connection stays open.
   * `sent.bytes` counts the body bytes written, for the access log (also when
   * the answer fails half-way).
   */
  async function answer(
    c: Connection,
    head: Head,
    res: Response,
    keepAlive: boolean,
    sent: { bytes: number },
  ): Promise<boolean> {
    const status = res.status;
    const bodyless = head.method === "HEAD" || status === 204 || status === 304 ||
      (status >= 100 && status < 200);
    let text = statusLine(head.minor, status);
    let declared: number | undefined;
    let hasDate = false;
    for (const [k, v] of res.headers) {
      if (k === "connection" || k === "transfer-encoding" || k === "keep-alive") continue;
      if (k === "content-length") {
        declared = /^\d+$/.test(v) ? Number(v) : undefined;
        continue;
      }
      if (k === "set-cookie") {
        for (const cookie of res.headers.getSetCookie()) text += `set-cookie: ${cookie}\r\n`;
        continue;
      }
      if (k === "date") hasDate = true;
      text += `${k}: ${v}\r\n`;
    }
    if (!hasDate) text += `date: ${httpDate()}\r\n`;
    const end = keepAlive ? "\r\n" : "connection: close\r\n\r\n";
    if (bodyless) {
      await res.body?.cancel().catch(() => {});
      if (declared !== undefined && status !== 204) text += `content-length: ${declared}\r\n`;
      await c.write(enc.encode(text + end), limits.idleTimeout);
      return keepAlive;
    }
    if (declared !== undefined && declared <= BUFFER_DECLARED) {
      // The usual answer (a file, a JSON document): its bytes at once, without a
      // stream and a reader over them.
      const bytes = await res.bytes();
      if (bytes.length !== declared) {
        throw new ConnectionGone(
          `the answer's body is ${
            bytes.length < declared ? "shorter" : "longer"
          } than its content-length`,
        );
      }
      const headBytes = enc.encode(`${text}content-length: ${declared}\r\n${end}`);
      if (headBytes.length + bytes.length <= COALESCE) {
        // One write: head and body leave in one segment (one syscall, one op).
        const out = new Uint8Array(headBytes.length + bytes.length);
        out.set(headBytes);
        out.set(bytes, headBytes.length);
        await c.write(out, limits.idleTimeout);
      } else {
        await c.write(headBytes, limits.idleTimeout);
        await c.write(bytes, limits.idleTimeout);
      }
      sent.bytes = bytes.length;
      return keepAlive;
    }
    const reader = res.body?.getReader();
    try {
      // Read ahead up to BUFFER_ANSWER to learn a short body's length.
      const first: Uint8Array[] = [];
      let firstSize = 0;
      let ended = !reader;
      // With a declared length, only the first piece: it goes out with the head, in one write.
      while (reader && firstSize <= BUFFER_ANSWER) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          break;
        }
        first.push(value);
        firstSize += value.length;
        if (declared !== undefined) break;
      }
      const length = declared ?? (ended ? firstSize : undefined);
      const chunked = length === undefined && head.minor === 1;
      if (length === undefined && !chunked) keepAlive = false; // HTTP/1.0: close-delimited
      if (length !== undefined) text += `content-length: ${length}\r\n`;
      if (chunked) text += "transfer-encoding: chunked\r\n";
      text += keepAlive ? "\r\n" : "connection: close\r\n\r\n";
      const frame = (bytes: Uint8Array): Uint8Array[] =>
        !chunked || bytes.length === 0
          ? [bytes]
          : [enc.encode(`${bytes.length.toString(16)}\r\n`), bytes, CRLF];
      let out: Uint8Array[] = [enc.encode(text)];
      let size = 0;
      for (const piece of first) out.push(...frame(piece)), size += piece.length;
      if (length !== undefined && size > length) {
        throw new ConnectionGone("the answer's body is longer than its content-length");
      }
      await c.write(concatBytes(out), limits.idleTimeout);
      sent.bytes = size;
      while (!ended && reader) {
        const { done, value } = await reader.read();
        if (done) break;
        if (length !== undefined && sent.bytes + value.length > length) {
          throw new ConnectionGone("the answer's body is longer than its content-length");
        }
        out = frame(value);
        await c.write(out.length === 1 ? out[0] : concatBytes(out), limits.idleTimeout);
        sent.bytes += value.length;
      }
      if (chunked) await c.write(LAST_CHUNK, limits.idleTimeout);
      if (length !== undefined && sent.bytes !== length) {
        throw new ConnectionGone("the answer's body is shorter than its content-length");
      }
      return keepAlive;
    } finally {
      if (reader) await reader.cancel().catch(() => {});
    }
  }

  /** Reads the request head into a `Head`, or `undefined` when the connection should end. */
  async function readHead(c: Connection): Promise<Head | undefined> {
    c.phase = "idle";
    c.since = Date.now();
    c.resize(SMALL_BUFFER);
    wake();
    // Leading empty lines before a request are ignored (RFC 9112, 2.2).
    while (true) {
      const b = c.buffered;
      let skip = 0;
      while (skip < b.length && (b[skip] === 13 || b[skip] === 10)) skip++;
      if (skip) c.consume(skip);
      if (c.buffered.length > 0) break;
      if (!(await c.fill(limits.idleTimeout))) return undefined;
    }
    c.phase = "head";
    c.since = Date.now();
    const deadline = c.since + limits.headerTimeout;
    while (true) {
      const b = c.buffered;
      const end = indexOfHeadEnd(b.subarray(0, MAX_HEAD + 4));
      if (end > 0) {
        const text = latin1.decode(b.subarray(0, end));
        c.consume(end);
        c.phase = "busy";
        c.requests++;
        return parseHead(text);
      }
      if (b.length > MAX_HEAD) throw new HttpError(431, "request head too large");
      if (!(await c.fill(limits.idleTimeout, deadline))) {
        return undefined; // closed mid-head
      }
    }
  }

  /** Tells `options.onAnswered` about a request; its failure is the server's `onError`. */
  const logged = (entry: AccessEntry) => {
    try {
      options.onAnswered?.(entry);
    } catch (err) {
      options.onError?.(err);
    }
  };

  /** Sends a refusal the server makes itself (the connection closes after it), and logs it. */
  const refuse = async (
    c: Connection,
    err: HttpError,
    head: Head | undefined,
    request?: Request,
  ) => {
    const time = Date.now();
    const t0 = performance.now();
    const bytes = simpleAnswer(err.status, err.message);
    await c.write(bytes.answer, limits.idleTimeout).catch(() => {});
    if (options.onAnswered) {
      logged({
        request,
        method: head?.method,
        protocol: head ? `HTTP/1.${head.minor}` : undefined,
        remoteAddr: c.remoteAddr,
        status: err.status,
        bytes: bytes.body,
        time,
        ms: performance.now() - t0,
      });
    }
  };

  async function serveConnection(c: Connection) {
    try {
      while (!closing) {
        let head: Head | undefined;
        try {
          head = await readHead(c);
        } catch (err) {
          if (err instanceof HttpError) await refuse(c, err, undefined);
          return;
        }
        if (!head) return;
        const time = Date.now();
        const t0 = performance.now();
        let url: string;
        try {
          url = requestUrl(head, options.defaultHost);
        } catch (err) {
          await refuse(c, err as HttpError, head);
          return;
        }
        const continueLine = head.expectContinue
          ? enc.encode(statusLine(1, 100) + "\r\n")
          : undefined;
        const body = new BodyReader(c, head, limits, continueLine);
        const aborter = new AbortController();
        c.onGone(() => aborter.abort(new Error("the client closed the connection")));
        let bodyError: unknown;
        const stream = head.body === 0 ? null : new ReadableStream<Uint8Array>({
          async pull(controller) {
            try {
              const piece = await body.next();
              if (piece === undefined) {
                controller.close();
                c.watch();
              } else controller.enqueue(piece);
            } catch (err) {
              bodyError = err;
              controller.error(err);
            }
          },
        }, { highWaterMark: 0 });
        if (!stream) c.watch();
        let request: Request;
        try {
          request = new Request(url, {
            method: head.method,
            headers: head.fields,
            body: stream,
            signal: aborter.signal,
          });
        } catch {
          await refuse(c, new HttpError(400, "malformed request"), head);
          return;
        }
        const sent = { bytes: 0 };
        let status = 0;
        const log = () => {
          if (!options.onAnswered) return;
          logged({
            request,
            method: head.method,
            protocol: `HTTP/1.${head.minor}`,
            remoteAddr: c.remoteAddr,
            status,
            bytes: sent.bytes,
            time,
            ms: performance.now() - t0,
          });
        };
        let res: Response;
        try {
          res = await handler(request);
        } catch (err) {
          if (bodyError instanceof ConnectionGone || c.closed) {
            status = CLIENT_GONE;
            log();
            return;
          }
          if (bodyError instanceof HttpError) {
            await refuse(c, bodyError, head, request);
            return;
          }
          options.onError?.(err);
          res = new Response(JSON.stringify({ status: 500, message: "Internal server error" }), {
            status: 500,
            headers: { "content-type": "application/json" },
          });
        }
        if (c.closed) {
          await res.body?.cancel().catch(() => {});
          status = CLIENT_GONE;
          log();
          return;
        }
        // A body left unread: drain a small one to keep the connection, else close after answering.
        let keepAlive = head.keepAlive && !closing;
        if (
          !body.done &&
          !(bodyError === undefined &&
            await body.drain(DRAIN_LIMIT, Math.min(DRAIN_MS, limits.idleTimeout)))
        ) {
          keepAlive = false;
        }
        status = res.status;
        try {
          keepAlive = await answer(c, head, res, keepAlive, sent);
        } catch (err) {
          if (err instanceof ConnectionGone && c.closed && !c.timedOut) status = CLIENT_GONE;
          log();
          throw err;
        }
        log();
        c.onGone(undefined);
        if (!keepAlive) {
          if (!body.done) {
            // Lingering close: stop writing, let the client read the answer, then close.
            await c.conn.closeWrite?.().catch(() => {});
            await c.fill(Math.min(1000, limits.idleTimeout)).catch(() => {});
          }
          return;
        }
      }
    } catch (err) {
      if (!(err instanceof ConnectionGone)) options.onError?.(err);
    } finally {
      release(c);
    }
  }

  const hasIdle = () => [...open].some((c) => c.phase !== "busy");

  const acceptLoop = async () => {
    while (!closing) {
      if (open.size >= limits.maxConnections && !hasIdle()) {
        // Back-pressure: every connection is in a request; accept again once one
        // ends or goes idle (the kernel's backlog holds newcomers meanwhile).
        await new Promise<void>((resolve) => slotFreed = resolve);
        continue;
      }
      let conn: StreamConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closing || options.isListenerClosed(err)) break;
        options.onError?.(err);
        // EMFILE and the like: free a slot if we can, wait, and try again.
        evictIdle();
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      if (closing) {
        conn.close();
        break;
      }
      // All may have turned busy while accept() waited: then the newcomer (one
      // over the cap at most) waits, unread, for a connection to end or go idle.
      while (open.size >= limits.maxConnections && !closing && !evictIdle()) {
        await new Promise<void>((resolve) => slotFreed = resolve);
      }
      const c = new Connection(conn, Date.now());
      open.add(c);
      const served = serveConnection(c);
      serving.add(served);
      served.finally(() => serving.delete(served));
    }
  };

  // One timer for every connection's timeouts, instead of one per read and write.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const c of open) {
      if (c.deadline < now) {
        c.timedOut = true;
        release(c);
      }
    }
  }, SWEEP_MS(limits));

  const serving = new Set<Promise<void>>();
  const finished = acceptLoop().then(async () => {
    while (serving.size) await Promise.all([...serving]);
  }).finally(() => clearInterval(sweep));
  return {
    finished,
    get connections() {
      return open.size;
    },
    async close() {
      if (!closing) {
        closing = true;
        try {
          listener.close();
        } catch {
          // already closed
        }
        slotFreed?.();
        for (const c of [...open]) if (c.phase !== "busy") release(c);
      }
      await finished;
    },
  };
}
