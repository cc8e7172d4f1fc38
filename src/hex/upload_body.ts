/**
 * A request body that reports how much of it `fetch` has taken, and still goes
 * out with a `Content-Length`.
 *
 * Deno's `fetch` sends a `ReadableStream` body chunked: it drops a
 * `Content-Length` header set by hand, even with `duplex: "half"` (checked
 * against Deno 2.9.6). A `Blob` body keeps its length, and Deno reads it through
 * the blob's `stream()`; so the body is a `Blob` whose `stream()` hands out the
 * bytes in chunks and counts them as `fetch` pulls them. Pulls follow the
 * socket's back-pressure, so the count runs ahead of what the server has
 * received by at most a few buffers. `tests/hex/upload_body_test.ts` checks the
 * headers on a real server, so a Deno that reads the blob differently fails there.
 *
 * @module
 */

/** The size of the pieces `fetch` is handed (64 KiB). */
const CHUNK = 64 * 1024;

/** A `Blob` of `bytes` that calls `onProgress` with the bytes handed out so far. */
class CountingBlob extends Blob {
  readonly #bytes: Uint8Array;
  readonly #onProgress: (sent: number) => void;

  constructor(bytes: Uint8Array, onProgress: (sent: number) => void) {
    super([bytes as Uint8Array<ArrayBuffer>]);
    this.#bytes = bytes;
    this.#onProgress = onProgress;
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const bytes = this.#bytes;
    const onProgress = this.#onProgress;
    let at = 0;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        const end = Math.min(at + CHUNK, bytes.length);
        controller.enqueue(bytes.slice(at, end));
        at = end;
        onProgress(at);
      },
    }, { highWaterMark: 0 });
  }
}

/**
 * A body for `new Request(url, { body })` holding `bytes`: sent with
 * `Content-Length: bytes.length`, calling `onProgress(sent)` as `fetch` reads it.
 * A fresh one is needed per request.
 */
export function countingBody(bytes: Uint8Array, onProgress: (sent: number) => void): Blob {
  return new CountingBlob(bytes, onProgress);
}
