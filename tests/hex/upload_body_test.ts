/**
 * Upload progress keeps `Content-Length`: `send()` with a `progress` callback,
 * through Deno's real `fetch`, to a real server on 127.0.0.1 that records the
 * headers it got and the bytes it read.
 */
import assert from "node:assert/strict";
import { buildPublishRequest } from "../../src/hex/release.ts";
import { send } from "../../src/hex/send.ts";
import { countingBody } from "../../src/hex/upload_body.ts";
import { serveHandler } from "../support/http.ts";

/** 3 MiB of bytes that differ from one another, so a lost or repeated chunk shows. */
function payload(size = 3 * 1024 * 1024): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
  return bytes;
}

/** A server that records each request's length headers and a digest of its body. */
function recordingServer() {
  const got: { contentLength: string | null; transferEncoding: string | null; body: Uint8Array }[] =
    [];
  const served = serveHandler(async (req) => {
    got.push({
      contentLength: req.headers.get("content-length"),
      transferEncoding: req.headers.get("transfer-encoding"),
      body: new Uint8Array(await req.arrayBuffer()),
    });
    return new Response(null, { status: 204 });
  });
  return { served, got };
}

const io = {
  fetch: (req: Request) => fetch(req),
  sleep: () => Promise.resolve(),
  now: () => Date.now(),
};

Deno.test("send() with progress keeps Content-Length and sends the same bytes, counting them", async () => {
  const { served, got } = recordingServer();
  await using _ = served;
  const bytes = payload();
  const req = buildPublishRequest({ apiUrl: `${served.origin}/api` }, bytes, {
    replace: false,
    userAgent: "hexpub-test",
    credential: { kind: "key", secret: "0".repeat(32) },
  });
  const seen: [number, number][] = [];
  const res = await send(io, req, {
    idempotent: false,
    progress: (sent, total) => seen.push([sent, total]),
  });
  assert.equal(res.status, 204);
  assert.equal(got.length, 1);
  assert.equal(got[0].contentLength, String(bytes.length));
  assert.equal(got[0].transferEncoding, null, "not chunked");
  assert.deepEqual(got[0].body, bytes);
  assert.deepEqual(seen[0], [0, bytes.length], "starts at 0");
  assert.deepEqual(seen.at(-1), [bytes.length, bytes.length], "ends at the size");
  assert.ok(seen.length >= 40, `reported in steps (${seen.length})`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] >= seen[i - 1][0], "never goes back");
});

Deno.test("a ReadableStream body would lose Content-Length: the reason for countingBody", async () => {
  const { served, got } = recordingServer();
  await using _ = served;
  const bytes = payload(256 * 1024);
  await (await fetch(served.origin, {
    method: "POST",
    body: new Blob([bytes]).stream(),
    headers: { "content-length": String(bytes.length) },
    duplex: "half",
  } as RequestInit)).body?.cancel();
  await (await fetch(served.origin, {
    method: "POST",
    body: countingBody(bytes, () => {}),
  })).body?.cancel();
  assert.deepEqual(got.map((g) => [g.contentLength, g.transferEncoding]), [
    [null, "chunked"],
    [String(bytes.length), null],
  ]);
  assert.deepEqual(got[1].body, bytes);
});

Deno.test("send() with progress re-sends the whole body on a retry, counting from 0 again", async () => {
  let calls = 0;
  const bodies: number[] = [];
  const served = serveHandler(async (req) => {
    bodies.push((await req.arrayBuffer()).byteLength);
    return new Response(null, { status: ++calls === 1 ? 503 : 204 });
  });
  await using _ = served;
  const bytes = payload(200 * 1024);
  const seen: number[] = [];
  const lines: string[] = [];
  const res = await send(
    { ...io, out: { info: (l) => lines.push(l) } },
    new Request(`${served.origin}/api/x`, { method: "PUT", body: bytes }),
    { idempotent: true, progress: (sent) => seen.push(sent) },
  );
  assert.equal(res.status, 204);
  assert.deepEqual(bodies, [bytes.length, bytes.length]);
  assert.equal(seen.filter((s) => s === 0).length, 2);
  assert.equal(seen.filter((s) => s === bytes.length).length, 2);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /PUT http:\/\/127\.0\.0\.1:\d+\/api\/x: 503 server error; waiting 1 s/);
});
