/**
 * The HTTP/1.1 server of `hexpub serve` (`src/io/http_server.ts` through
 * `denoListen`), on 127.0.0.1 with raw TCP clients and fetch: its timeouts,
 * connection cap and back-pressure, a failing accept, and HTTP itself
 * (keep-alive, pipelining, chunked bodies both ways, 100-continue, HEAD,
 * malformed requests, Request.signal on disconnect).
 */
import assert from "node:assert/strict";
import { denoListen } from "../../src/deno_deps.ts";
import {
  CLIENT_GONE,
  serveHttp,
  type StreamConn,
  type StreamListener,
} from "../../src/io/http_server.ts";
import type { AccessEntry, Listener, ServeLimits } from "../../src/ports.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function withServer(
  handler: (r: Request) => Promise<Response>,
  limits: Partial<ServeLimits>,
  fn: (l: Listener) => Promise<void>,
) {
  const l = await denoListen(handler, { hostname: "127.0.0.1", port: 0, limits });
  try {
    await fn(l);
  } finally {
    await l.close();
  }
}

const echo = async (r: Request) => {
  const body = r.body ? new Uint8Array(await r.arrayBuffer()) : new Uint8Array();
  return new Response(`${r.method} ${new URL(r.url).pathname} ${body.length}`);
};

/** Everything the server sends until it closes (or `guardMs` passes: then "GUARD"). */
async function readAll(conn: Deno.Conn, guardMs = 5000): Promise<string> {
  let out = "";
  const buf = new Uint8Array(65536);
  const guard = setTimeout(() => conn.close(), guardMs);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += dec.decode(buf.subarray(0, n));
    }
  } catch {
    out += "GUARD";
  } finally {
    clearTimeout(guard);
    try {
      conn.close();
    } catch {
      // closed by the guard
    }
  }
  return out;
}

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** A GET on a fresh connection (`Connection: close`): the answer's body, or "" when none came. */
async function get(port: number, path: string): Promise<string> {
  const c = await connect(port);
  await c.write(enc.encode(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
  const out = await readAll(c);
  return out.slice(out.indexOf("\r\n\r\n") + 4);
}

Deno.test("an idle connection is closed after the idle timeout; a request before it is answered", async () => {
  await withServer(echo, { idleTimeout: 200 }, async ({ port }) => {
    assert.equal(await readAll(await connect(port)), "");
    const c = await connect(port);
    await c.write(enc.encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
    const out = await readAll(c);
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out, /GET \/a 0$/);
  });
});

Deno.test("slowloris: a head dripping in is cut at the header timeout; others are answered meanwhile", async () => {
  await withServer(echo, { idleTimeout: 2000, headerTimeout: 300 }, async ({ port }) => {
    const drips = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
    let stop = false;
    const dripping = Promise.all(drips.map(async (c) => {
      const head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200);
      for (const ch of head) {
        if (stop) return;
        try {
          await c.write(enc.encode(ch));
        } catch {
          return; // closed by the server
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }));
    const res = await fetch(`http://127.0.0.1:${port}/ok`);
    assert.equal(await res.text(), "GET /ok 0");
    const outs = await Promise.all(drips.map((c) => readAll(c)));
    stop = true;
    await dripping;
    assert.deepEqual(new Set(outs), new Set([""])); // closed without an answer, before the guard
  });
});

Deno.test("a body dripping in is cut at the body timeout", async () => {
  let failed = "";
  const handler = async (r: Request) => {
    try {
      await r.arrayBuffer();
    } catch (e) {
      failed = String(e);
    }
    return new Response("late");
  };
  await withServer(handler, { idleTimeout: 2000, bodyTimeout: 300 }, async ({ port }) => {
    const c = await connect(port);
    await c.write(enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
    const writer = (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          await c.write(enc.encode("a"));
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    assert.equal(await readAll(c), "");
    await writer;
    assert.match(failed, /timed out/);
  });
});

Deno.test("at the connection cap, idle connections make room; busy ones hold it (back-pressure)", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const handler = async (r: Request) => {
    if (new URL(r.url).pathname === "/slow") await gate;
    return new Response("ok");
  };
  await withServer(handler, { maxConnections: 3 }, async ({ port }) => {
    const idle = await Promise.all(Array.from({ length: 10 }, () => connect(port)));
    // New clients are answered: the oldest idle connections are closed for them.
    for (let i = 0; i < 3; i++) assert.equal(await get(port, "/"), "ok");
    const closedIdle = (await Promise.all(idle.map((c) => readAll(c, 1000)))).filter((s) =>
      s === ""
    );
    assert.ok(closedIdle.length >= 7, `${closedIdle.length} idle connections closed`);
    // Three busy requests fill the cap: a fourth waits, then is answered.
    const slow = [0, 1, 2].map(() => get(port, "/slow"));
    await new Promise((r) => setTimeout(r, 100));
    let fourth = "";
    const waiting = get(port, "/").then((t) => fourth = t);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fourth, "");
    release();
    assert.equal(await waiting, "ok");
    for (const s of await Promise.all(slow)) assert.match(s, /ok$/);
  });
});

Deno.test("a failing accept (too many open files) is waited out, never the end of the server", async () => {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let failures = 3;
  const listener: StreamListener = {
    accept: async (): Promise<StreamConn> => {
      if (failures-- > 0) throw new Error("Too many open files (os error 24)");
      return await tcp.accept();
    },
    close: () => tcp.close(),
  };
  const errors: unknown[] = [];
  const server = serveHttp(listener, echo, {
    limits: { maxConnections: 10, idleTimeout: 1000, headerTimeout: 1000, bodyTimeout: 1000 },
    defaultHost: "127.0.0.1",
    isListenerClosed: (e) => e instanceof Deno.errors.BadResource,
    onError: (e) => errors.push(e),
  });
  const res = await fetch(`http://127.0.0.1:${(tcp.addr as Deno.NetAddr).port}/x`);
  assert.equal(await res.text(), "GET /x 0");
  assert.equal(errors.length, 3);
  await server.close();
  await server.finished;
});

Deno.test("HTTP/1.1: keep-alive, pipelining, chunked bodies, 100-continue, HEAD, streamed answers", async () => {
  const handler = async (r: Request) => {
    const path = new URL(r.url).pathname;
    if (path === "/stream") {
      const parts = ["one ", "two ", "x".repeat(100_000)];
      return new Response(
        new ReadableStream({
          pull(c) {
            const p = parts.shift();
            if (p === undefined) c.close();
            else c.enqueue(enc.encode(p));
          },
        }),
      );
    }
    return await echo(r);
  };
  await withServer(handler, {}, async ({ port }) => {
    const base = `http://127.0.0.1:${port}`;
    // fetch: keep-alive, a streamed (chunked) answer, a body
    for (let i = 0; i < 3; i++) {
      assert.equal(await (await fetch(`${base}/k${i}`)).text(), `GET /k${i} 0`);
    }
    const streamed = await (await fetch(`${base}/stream`)).text();
    assert.equal(streamed.length, 100_008);
    assert.ok(streamed.startsWith("one two x"));
    const posted = await fetch(`${base}/p`, { method: "POST", body: new Uint8Array(300_000) });
    assert.equal(await posted.text(), "POST /p 300000");
    // raw: pipelined requests, a chunked request body, HEAD
    const c = await connect(port);
    await c.write(enc.encode(
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" +
        "POST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "3\r\nabc\r\n5;ext=1\r\nde\r\nf\r\n0\r\nTrailer: x\r\n\r\n" +
        "HEAD /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ));
    const out = await readAll(c);
    assert.match(out, /GET \/1 0/);
    assert.match(out, /POST \/2 8/);
    assert.equal(out.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
    assert.ok(out.endsWith("\r\n\r\n"), "HEAD has no body");
    // curl: Expect: 100-continue for a large upload
    const file = await Deno.makeTempFile();
    await Deno.writeFile(file, new Uint8Array(2 * 1024 * 1024));
    const curl = await new Deno.Command("curl", {
      args: ["-sS", "-H", "Expect: 100-continue", "--data-binary", `@${file}`, `${base}/up`],
      stdout: "piped",
      stderr: "piped",
    }).output().catch(() => undefined);
    await Deno.remove(file);
    if (curl) assert.equal(dec.decode(curl.stdout), "POST /up 2097152", dec.decode(curl.stderr));
  });
});

Deno.test("malformed requests get 400/431/501 and the connection closes; the server goes on", async () => {
  await withServer(echo, {}, async ({ port }) => {
    const send = async (raw: string) => {
      const c = await connect(port);
      await c.write(enc.encode(raw)).catch(() => {});
      return (await readAll(c)).split("\r\n")[0];
    };
    assert.equal(
      await send(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
      ),
      "HTTP/1.1 400 Bad Request",
    );
    assert.equal(
      await send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabc"),
      "HTTP/1.1 400 Bad Request",
    );
    assert.equal(await send("GARBAGE\r\n\r\n"), "HTTP/1.1 400 Bad Request");
    assert.equal(await send("GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request");
    assert.equal(
      await send("GET / HTTP/1.1\r\nHost: x\r\nX: " + "a".repeat(70_000) + "\r\n\r\n"),
      "HTTP/1.1 431 Request Header Fields Too Large",
    );
    assert.equal(
      await send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
      "HTTP/1.1 501 Not Implemented",
    );
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "GET / 0");
  });
});

Deno.test("Request.signal aborts when the client goes away before the answer", async () => {
  let aborted!: (why: string) => void;
  const seen = new Promise<string>((r) => aborted = r);
  const handler = (r: Request) =>
    new Promise<Response>((resolve) => {
      r.signal.addEventListener("abort", () => {
        aborted(String(r.signal.reason));
        resolve(new Response("too late"));
      });
    });
  await withServer(handler, {}, async ({ port }) => {
    const c = await connect(port);
    await c.write(enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    await new Promise((r) => setTimeout(r, 50));
    c.close();
    assert.match(await seen, /closed the connection/);
  });
});

Deno.test("onAnswered: each request's status, body bytes, address and time; 499 for a client gone", async () => {
  const entries: AccessEntry[] = [];
  const BIG = 32 * 1024 * 1024;
  const handler = (r: Request) =>
    new URL(r.url).pathname === "/big"
      ? Promise.resolve(
        new Response(new Uint8Array(BIG), { headers: { "content-length": String(BIG) } }),
      )
      : echo(r);
  const l = await denoListen(handler, {
    hostname: "127.0.0.1",
    port: 0,
    onAnswered: (e) => entries.push(e),
  });
  try {
    const before = Date.now();
    assert.equal(await (await fetch(`http://127.0.0.1:${l.port}/a?q=1`)).text(), "GET /a 0");
    const c = await connect(l.port);
    await c.write(enc.encode("GARBAGE\r\n\r\n"));
    await readAll(c);
    // A client that reads a little of a large answer and goes away.
    const gone = await connect(l.port);
    await gone.write(enc.encode("GET /big HTTP/1.0\r\n\r\n"));
    await gone.read(new Uint8Array(1024));
    gone.close();
    for (let i = 0; i < 500 && entries.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    const [a, garbage, big] = entries;
    assert.equal(a.request?.url, `http://127.0.0.1:${l.port}/a?q=1`);
    assert.deepEqual([a.method, a.protocol, a.remoteAddr, a.status, a.bytes], [
      "GET",
      "HTTP/1.1",
      "127.0.0.1",
      200,
      8,
    ]);
    assert.ok(a.time >= before && a.time <= Date.now() && a.ms >= 0);
    assert.deepEqual([garbage.request, garbage.method, garbage.status], [
      undefined,
      undefined,
      400,
    ]);
    assert.ok(garbage.bytes > 0);
    assert.deepEqual([big.method, big.protocol, big.status], ["GET", "HTTP/1.0", CLIENT_GONE]);
    assert.ok(big.bytes < BIG, `${big.bytes} bytes`);
  } finally {
    await l.close();
  }
});

Deno.test("a body the handler left unread and the client drips is not waited for: answered, closed, the slot freed", async () => {
  // Before: the server drained the unread body (up to 1 MiB) before answering,
  // so anonymous POSTs dripping a byte at a time held every slot until the body
  // timeout (300 s by default) and nobody else was answered.
  const handler = (r: Request) =>
    Promise.resolve(new Response(new URL(r.url).pathname === "/" ? "ok" : "no", { status: 401 }));
  await withServer(
    handler,
    { maxConnections: 3, idleTimeout: 500, bodyTimeout: 60_000 },
    async ({ port }) => {
      const drips = await Promise.all([0, 1, 2].map(() => connect(port)));
      let stop = false;
      const dripping = Promise.all(drips.map(async (c) => {
        await c.write(
          enc.encode("POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"),
        );
        while (!stop) {
          try {
            await c.write(enc.encode("a"));
          } catch {
            return; // closed by the server
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }));
      const outs = await Promise.all(drips.map((c) => readAll(c, 5000)));
      for (const out of outs) assert.match(out, /^HTTP\/1\.1 401 .*connection: close.*no$/s);
      assert.equal(await get(port, "/"), "ok");
      stop = true;
      await dripping;
    },
  );
});
