/**
 * Serves a fetch handler on 127.0.0.1 with `Deno.serve`, behind a byte-for-byte
 * TCP relay so a test can drop the client's connection before any response
 * byte is sent (something `Deno.serve` alone cannot do: an errored body still
 * sends the status line first).
 *
 * The relay opens one upstream connection per client connection, so the
 * handler can name the client connection by `info.remoteAddr.port`.
 *
 * @module
 */

/** A running loopback server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  origin: string;
  port: number;
  /** Stops accepting, cuts every open connection and waits until all is closed. */
  close(): Promise<void>;
}

/** What the handler gets besides the request. */
export interface LoopbackInfo {
  /** The client's address as the relay saw it. */
  remoteAddr: Deno.NetAddr;
  /** Closes this request's client connection at once, with nothing written. */
  drop(): void;
}

interface Pair {
  client: Deno.TcpConn;
  upstream: Deno.TcpConn;
  clientAddr: Deno.NetAddr;
  closed: boolean;
}

function closeQuietly(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // already closed by its stream
  }
}

/** Starts `handler` on 127.0.0.1 at a free port. */
export function serveLoopback(
  handler: (req: Request, info: LoopbackInfo) => Promise<Response>,
  options: { onError?: (error: unknown) => void } = {},
): LoopbackServer {
  const byUpstreamPort = new Map<number, Pair>();
  const tasks = new Set<Promise<void>>();

  const shut = (pair: Pair) => {
    if (pair.closed) return;
    pair.closed = true;
    closeQuietly(pair.client);
    closeQuietly(pair.upstream);
  };

  const inner = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    onError: (error) => {
      options.onError?.(error);
      return new Response("Internal Server Error", { status: 500 });
    },
  }, (req, info) => {
    const pair = byUpstreamPort.get(info.remoteAddr.port);
    return handler(req, {
      remoteAddr: pair?.clientAddr ?? info.remoteAddr,
      drop: () => {
        if (pair) shut(pair);
      },
    });
  });

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });

  const relay = async (client: Deno.TcpConn) => {
    let upstream: Deno.TcpConn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: inner.addr.port });
    } catch {
      closeQuietly(client);
      return;
    }
    const pair: Pair = {
      client,
      upstream,
      clientAddr: client.remoteAddr as Deno.NetAddr,
      closed: false,
    };
    const upstreamPort = (upstream.localAddr as Deno.NetAddr).port;
    byUpstreamPort.set(upstreamPort, pair);
    try {
      await Promise.allSettled([
        client.readable.pipeTo(upstream.writable),
        upstream.readable.pipeTo(client.writable),
      ]);
    } finally {
      byUpstreamPort.delete(upstreamPort);
      shut(pair);
    }
  };

  const track = (p: Promise<void>) => {
    tasks.add(p);
    p.finally(() => tasks.delete(p));
  };

  const accepting = (async () => {
    try {
      for await (const client of listener) track(relay(client));
    } catch {
      // the listener was closed
    }
  })();

  const port = (listener.addr as Deno.NetAddr).port;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close() {
      closing ??= (async () => {
        try {
          listener.close();
        } catch {
          // already closed
        }
        await accepting;
        for (const pair of byUpstreamPort.values()) shut(pair);
        await Promise.allSettled([...tasks]);
        await inner.shutdown();
      })();
      return closing;
    },
  };
}
