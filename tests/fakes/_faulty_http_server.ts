/**
 * A hand-written HTTP/1.1 server on 127.0.0.1 in front of a fetch handler (a
 * FakeHex's, say), that can damage the answer's body the way a real network
 * does: cut it off after some bytes, stall it, or drip it one byte at a time.
 * `Deno.serve` cannot do these (it finishes or resets what it started), so this
 * writes the status line, the headers and the body itself on a raw TCP
 * connection. One request per connection (`connection: close`).
 *
 * @module
 */

/** What to do with one answer's body. */
export type BodyFault =
  /** Send the first `bytes` of the body, then close the connection. */
  | { kind: "cut"; bytes: number }
  /** Send the first `bytes`, then nothing more until the client goes away. */
  | { kind: "stall"; bytes: number }
  /** Send one byte every `everyMs` milliseconds, for ever (until the client goes away). */
  | { kind: "drip"; everyMs: number };

/** A running faulty server. */
export interface FaultyServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  origin: string;
  /** Every request line served, in order (`POST /api/publish`). */
  served: string[];
  /** Stops accepting, closes every open connection and waits until all is closed. */
  close(): Promise<void>;
}

const CRLF = "\r\n";
const enc = new TextEncoder();

/** Reads one request (headers and a `content-length` body) off the connection. */
async function readRequest(conn: Deno.Conn, origin: string): Promise<Request | undefined> {
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  const append = (n: number) => {
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
  };
  let end = -1;
  while (end < 0) {
    const n = await conn.read(chunk);
    if (n === null) return undefined;
    append(n);
    end = new TextDecoder().decode(buf).indexOf(CRLF + CRLF);
  }
  const head = new TextDecoder().decode(buf.subarray(0, end));
  const [requestLine, ...lines] = head.split(CRLF);
  const [method, target] = requestLine.split(" ");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get("content-length") ?? "0");
  while (buf.length < end + 4 + length) {
    const n = await conn.read(chunk);
    if (n === null) return undefined;
    append(n);
  }
  const body = buf.slice(end + 4, end + 4 + length);
  return new Request(origin + target, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : body,
  });
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/**
 * Serves `handler` on 127.0.0.1 at a free port; `fault` picks, per request and
 * answer, what happens to the body (undefined: sent whole).
 */
export function serveFaulty(
  handler: (req: Request) => Promise<Response>,
  fault: (req: Request, res: Response) => BodyFault | undefined,
): FaultyServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const origin = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  const open = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const served: string[] = [];
  let closing = false;

  const answer = async (conn: Deno.Conn) => {
    const req = await readRequest(conn, origin);
    if (!req) return;
    served.push(`${req.method} ${new URL(req.url).pathname}`);
    const res = await handler(req.clone());
    const body = new Uint8Array(await res.arrayBuffer());
    const how = fault(req, res);
    let head = `HTTP/1.1 ${res.status} ${res.statusText || "Status"}${CRLF}`;
    res.headers.forEach((value, name) => {
      if (!["content-length", "transfer-encoding", "connection"].includes(name)) {
        head += `${name}: ${value}${CRLF}`;
      }
    });
    head += `content-length: ${body.length}${CRLF}connection: close${CRLF}${CRLF}`;
    await writeAll(conn, enc.encode(head));
    if (!how) return await writeAll(conn, body);
    if (how.kind === "cut") return await writeAll(conn, body.subarray(0, how.bytes));
    if (how.kind === "stall") {
      await writeAll(conn, body.subarray(0, how.bytes));
      // Nothing more: wait for the client to give up (a read sees its close).
      await conn.read(new Uint8Array(1)).catch(() => null);
      return;
    }
    for (let at = 0; !closing; at = (at + 1) % Math.max(1, body.length)) {
      await new Promise((resolve) => setTimeout(resolve, how.everyMs));
      await writeAll(conn, body.subarray(at, at + 1));
    }
  };

  const handle = async (conn: Deno.Conn) => {
    open.add(conn);
    try {
      await answer(conn);
    } catch {
      // the client went away
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = handle(conn);
        tasks.add(task);
        task.finally(() => tasks.delete(task));
      }
    } catch {
      // the listener was closed
    }
  })();

  return {
    origin,
    served,
    async close() {
      closing = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      await accepting;
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await Promise.allSettled([...tasks]);
    },
  };
}
