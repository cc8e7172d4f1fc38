import assert from "node:assert/strict";
import { HexApiError, HexNetworkError, parseErrorResponse } from "../../src/hex/api_errors.ts";
import { buildApiRequest } from "../../src/hex/request.ts";
import { backoffMs, send, type SendIo, serverWaitMs } from "../../src/hex/send.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const KEY = "0123456789abcdef0123456789abcdef";
const START = 1_788_264_000_000; // 2026-09-01T12:00:00Z

type Step = Response | Error | "hang" | "ignore-signal";

/** A scripted fetch with a fake clock: sleeping advances the clock and is recorded. */
function fakeIo(steps: Step[]) {
  const requests: Request[] = [];
  const sleeps: number[] = [];
  const lines: string[] = [];
  let clock = START;
  const io: SendIo = {
    out: { info: (line) => lines.push(line) },
    fetch(req) {
      requests.push(req);
      const step = steps.shift();
      if (step === undefined) throw new Error("unexpected request");
      if (step instanceof Error) return Promise.reject(step);
      if (step === "hang") {
        return new Promise((_, reject) => {
          req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true });
        });
      }
      if (step === "ignore-signal") return new Promise(() => {});
      return Promise.resolve(step);
    },
    sleep(ms) {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
  };
  return { io, requests, sleeps, lines };
}

function status(code: number, headers: Record<string, string> = {}): Response {
  const body = code === 204 ? null : JSON.stringify({ status: code, message: "x" });
  return new Response(body, { status: code, headers });
}

function get(path = "/users/me", query?: Record<string, string>): Request {
  return buildApiRequest({ apiUrl: "https://hex.pm/api" }, {
    method: "GET",
    path,
    query,
    credential: { kind: "key", secret: KEY },
    userAgent: UA,
  });
}

function post(path = "/keys", body: unknown = { name: "ci" }): Request {
  return buildApiRequest({ apiUrl: "https://hex.pm/api" }, {
    method: "POST",
    path,
    body,
    credential: { kind: "key", secret: KEY },
    userAgent: UA,
  });
}

Deno.test("backoffMs() doubles from 1 s and is capped", () => {
  assert.deepEqual([1, 2, 3, 4, 10].map(backoffMs), [1000, 2000, 4000, 8000, 30000]);
});

Deno.test("send() returns a success at once", async () => {
  const { io, requests, sleeps } = fakeIo([status(200)]);
  const res = await send(io, get(), { idempotent: true });
  assert.equal(res.status, 200);
  assert.equal(requests.length, 1);
  assert.deepEqual(sleeps, []);
  assert.equal(requests[0].headers.get("authorization"), KEY);
  assert.equal(requests[0].headers.get("user-agent"), UA);
  assert.equal(requests[0].redirect, "manual");
});

Deno.test("send() retries an idempotent request on 5xx with 1 s, 2 s backoff", async () => {
  const { io, requests, sleeps } = fakeIo([status(503), status(502), status(200)]);
  const res = await send(io, get(), { idempotent: true });
  assert.equal(res.status, 200);
  assert.equal(requests.length, 3);
  assert.deepEqual(sleeps, [1000, 2000]);
});

Deno.test("send() gives up after 3 retries and returns the last response", async () => {
  const { io, requests, sleeps } = fakeIo([status(500), status(500), status(500), status(500)]);
  const res = await send(io, get(), { idempotent: true });
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { status: 500, message: "x" });
  assert.equal(requests.length, 4);
  assert.deepEqual(sleeps, [1000, 2000, 4000]);
});

Deno.test("send() honours the retries option", async () => {
  const none = fakeIo([status(503)]);
  assert.equal((await send(none.io, get(), { idempotent: true, retries: 0 })).status, 503);
  assert.equal(none.requests.length, 1);
  const one = fakeIo([status(503), status(503)]);
  assert.equal((await send(one.io, get(), { idempotent: true, retries: 1 })).status, 503);
  assert.equal(one.requests.length, 2);
  assert.deepEqual(one.sleeps, [1000]);
});

Deno.test("send() never retries a non-idempotent request", async () => {
  for (const code of [429, 500, 503]) {
    const { io, requests, sleeps } = fakeIo([status(code), status(200)]);
    const res = await send(io, post(), { idempotent: false });
    assert.equal(res.status, code);
    assert.equal(requests.length, 1);
    assert.deepEqual(sleeps, []);
  }
});

Deno.test("send() does not retry 4xx other than 429", async () => {
  for (const code of [400, 401, 403, 404, 422]) {
    const { io, requests } = fakeIo([status(code), status(200)]);
    assert.equal((await send(io, get(), { idempotent: true })).status, code);
    assert.equal(requests.length, 1);
  }
});

Deno.test("send() waits for x-ratelimit-reset on a 429", async () => {
  const reset = String(START / 1000 + 42);
  const { io, requests, sleeps } = fakeIo([
    status(429, { "x-ratelimit-reset": reset, "x-ratelimit-remaining": "0" }),
    status(200),
  ]);
  const res = await send(io, get("/packages"), { idempotent: true });
  assert.equal(res.status, 200);
  assert.equal(requests.length, 2);
  assert.deepEqual(sleeps, [42_000]);
});

Deno.test("send() uses the backoff when x-ratelimit-reset has passed", async () => {
  const past = fakeIo([
    status(429, { "x-ratelimit-reset": String(START / 1000 - 5) }),
    status(200),
  ]);
  await send(past.io, get(), { idempotent: true });
  assert.deepEqual(past.sleeps, [1000]);
  assert.deepEqual(past.lines, [
    "GET https://hex.pm/api/users/me: 429 rate limited; waiting 1 s, then trying again (attempt 2 of 4)",
  ], "a short wait is announced too");
});

Deno.test("send() announces every retry on one line: why, how long, which header", async () => {
  const reset = fakeIo([
    status(429, { "x-ratelimit-reset": String(START / 1000 + 42) }),
    status(200),
  ]);
  await send(reset.io, get("/packages"), { idempotent: true });
  assert.deepEqual(reset.lines, [
    "GET https://hex.pm/api/packages: 429 rate limited; waiting 42 s as its x-ratelimit-reset " +
    "header asks, then trying again (attempt 2 of 4)",
  ]);
  const backoff = fakeIo([status(502), status(502), status(200)]);
  await send(backoff.io, get("/packages"), { idempotent: true });
  assert.deepEqual(backoff.sleeps, [1000, 2000]);
  assert.deepEqual(backoff.lines, [
    "GET https://hex.pm/api/packages: 502 server error; waiting 1 s, then trying again " +
    "(attempt 2 of 4)",
    "GET https://hex.pm/api/packages: 502 server error; waiting 2 s, then trying again " +
    "(attempt 3 of 4)",
  ]);
  const network = fakeIo([new TypeError("connection refused"), new TypeError("x"), status(200)]);
  await send(network.io, get("/packages"), { idempotent: true });
  assert.equal(network.lines.length, 2, "a retry after a failure is announced, however short");
  assert.match(
    network.lines[0],
    /GET https:\/\/hex\.pm\/api\/packages: connection refused; waiting 1 s, then trying again \(attempt 2 of 4\)/,
  );
  assert.match(network.lines[1], /GET https:\/\/hex\.pm\/api\/packages: x; waiting 2 s/);
});

Deno.test("send() honours a retry-after shorter than x-ratelimit-reset", async () => {
  const { io, sleeps, lines } = fakeIo([
    status(429, { "x-ratelimit-reset": String(START / 1000 + 50), "retry-after": "5" }),
    status(200),
  ]);
  assert.equal((await send(io, get(), { idempotent: true })).status, 200);
  assert.deepEqual(sleeps, [5000]);
  assert.match(lines[0], /waiting 5 s as its retry-after header asks/);
});

Deno.test("send() does not wait past 60 s for one request: it fails at once, naming the header", async () => {
  const far = fakeIo([
    status(429, { "x-ratelimit-reset": String(START / 1000 + 170) }),
    status(200),
  ]);
  await assert.rejects(send(far.io, get("/packages"), { idempotent: true }), (e: unknown) => {
    assert.ok(e instanceof HexApiError);
    assert.equal(e.status, 429);
    assert.equal(e.exitCode, 1);
    assert.match(e.message, /GET \/api\/packages failed: 429/);
    assert.match(
      e.hint ?? "",
      /asks to wait 170 s \(its x-ratelimit-reset header\); hexpub waits at most 60 s for one request: wait until 2026-09-01T12:02:50Z, then retry/,
    );
    return true;
  });
  assert.deepEqual(far.sleeps, []);
  assert.equal(far.requests.length, 1);
  // The waits add up: 42 s, then another 42 s would pass 60 s.
  const twice = fakeIo([
    status(429, { "x-ratelimit-reset": String(START / 1000 + 42) }),
    status(429, { "x-ratelimit-reset": String(START / 1000 + 84) }),
    status(200),
  ]);
  await assert.rejects(send(twice.io, get(), { idempotent: true }), /429/);
  assert.deepEqual(twice.sleeps, [42_000]);
  assert.equal(twice.requests.length, 2);
});

Deno.test("send() honours retry-after in seconds or as a date, and fails when it is too long", async () => {
  const seconds = fakeIo([status(503, { "retry-after": "7" }), status(200)]);
  await send(seconds.io, get(), { idempotent: true });
  assert.deepEqual(seconds.sleeps, [7000]);
  const date = fakeIo([
    status(429, { "retry-after": new Date(START + 3000).toUTCString() }),
    status(200),
  ]);
  await send(date.io, get(), { idempotent: true });
  assert.deepEqual(date.sleeps, [3000]);
  const long = fakeIo([status(503, { "retry-after": "3600" }), status(200)]);
  await assert.rejects(send(long.io, get(), { idempotent: true }), /503/);
  assert.equal(long.requests.length, 1);
  assert.deepEqual(long.sleeps, []);
});

Deno.test("serverWaitMs() reads nothing from a 500 without retry-after", () => {
  assert.equal(serverWaitMs(status(500, { "x-ratelimit-reset": "1788264060" }), START), undefined);
  assert.equal(serverWaitMs(status(429, { "x-ratelimit-reset": "" }), START), undefined);
  assert.deepEqual(serverWaitMs(status(429, { "x-ratelimit-reset": "1788264600" }), START), {
    ms: 600_000,
    header: "x-ratelimit-reset",
  });
});

Deno.test("send() re-sends the same body on every attempt", async () => {
  const body = { level: "full", transfer: true };
  const req = buildApiRequest({ apiUrl: "https://hex.pm/api" }, {
    method: "PUT",
    path: "/packages/foo/owners/bob",
    body,
    userAgent: UA,
  });
  const { io, requests } = fakeIo([status(500), new TypeError("connection reset"), status(204)]);
  const res = await send(io, req, { idempotent: true });
  assert.equal(res.status, 204);
  assert.equal(requests.length, 3);
  for (const sent of requests) {
    assert.equal(sent.method, "PUT");
    assert.equal(sent.headers.get("content-type"), "application/json");
    assert.deepEqual(await sent.json(), body);
  }
});

Deno.test("send() names method, URL without query, and cause on a network failure", async () => {
  const failure = () =>
    new TypeError(
      "error sending request for url (https://hex.pm/api/auth?domain=api&resource=write): " +
        "client error (Connect): dns error: failed to lookup address information",
    );
  const { io, requests, sleeps } = fakeIo([failure(), failure(), failure(), failure()]);
  const err = await send(io, get("/auth", { domain: "api", resource: "write" }), {
    idempotent: true,
  }).catch((e) => e);
  assert.ok(err instanceof HexNetworkError);
  assert.equal(err.reason, "network");
  assert.equal(err.attempts, 4);
  assert.equal(err.method, "GET");
  assert.equal(err.url, "https://hex.pm/api/auth");
  assert.equal(
    err.message,
    "GET https://hex.pm/api/auth failed: error sending request for url (https://hex.pm/api/auth): " +
      "client error (Connect): dns error: failed to lookup address information (after 4 attempts)",
  );
  assert.match(err.hint ?? "", /network connection.*HEX_API_URL/);
  assert.ok(err.cause instanceof TypeError);
  assert.equal(err.exitCode, 1);
  assert.equal(requests.length, 4);
  assert.deepEqual(sleeps, [1000, 2000, 4000]);
  assert.ok(!err.message.includes(KEY) && !(err.hint ?? "").includes(KEY));
});

Deno.test("send() fails a POST on the first network error and says it may have landed", async () => {
  const { io, requests } = fakeIo([new TypeError("connection closed before message completed")]);
  const err = await send(io, post(), { idempotent: false }).catch((e) => e);
  assert.ok(err instanceof HexNetworkError);
  assert.equal(err.attempts, 1);
  assert.equal(
    err.message,
    "POST https://hex.pm/api/keys failed: connection closed before message completed",
  );
  assert.match(err.hint ?? "", /may have received the request/);
  assert.equal(requests.length, 1);
});

Deno.test("send() times out each attempt and names the request", async () => {
  const { io, requests, sleeps } = fakeIo(["hang", "hang"]);
  const err = await send(io, get(), { idempotent: true, retries: 1, timeoutMs: 20 })
    .catch((e) => e);
  assert.ok(err instanceof HexNetworkError);
  assert.equal(err.reason, "timeout");
  assert.equal(
    err.message,
    "GET https://hex.pm/api/users/me timed out after 20 ms (after 2 attempts)",
  );
  assert.match(err.hint ?? "", /did not answer in time/);
  assert.equal(requests.length, 2);
  assert.ok(requests.every((r) => r.signal.aborted));
  assert.deepEqual(sleeps, [1000]);
});

Deno.test("send() times out even when fetch ignores the signal", async () => {
  const { io } = fakeIo(["ignore-signal"]);
  const err = await send(io, post(), { idempotent: false, timeoutMs: 10 }).catch((e) => e);
  assert.ok(err instanceof HexNetworkError);
  assert.equal(err.reason, "timeout");
  assert.equal(err.message, "POST https://hex.pm/api/keys timed out after 10 ms");
});

Deno.test("send() recovers from a timeout on retry", async () => {
  const { io, requests } = fakeIo(["hang", status(200)]);
  const res = await send(io, get(), { idempotent: true, timeoutMs: 10 });
  assert.equal(res.status, 200);
  assert.equal(requests.length, 2);
});

Deno.test("send() passes the caller's abort through without retrying", async () => {
  const controller = new AbortController();
  const req = new Request(get(), { signal: controller.signal });
  controller.abort(new Error("cancelled by user"));
  const { io, requests } = fakeIo(["hang", "hang"]);
  await assert.rejects(() => send(io, req, { idempotent: true }), /cancelled by user/);
  assert.equal(requests.length, 0);
});

Deno.test("send() stops waiting when the caller aborts mid-request", async () => {
  const controller = new AbortController();
  const req = new Request(get(), { signal: controller.signal });
  const { io, requests, sleeps } = fakeIo(["ignore-signal", "hang"]);
  const pending = send(io, req, { idempotent: true });
  setTimeout(() => controller.abort(new Error("cancelled by user")), 5);
  await assert.rejects(() => pending, /cancelled by user/);
  assert.equal(requests.length, 1);
  assert.deepEqual(sleeps, []);
});

Deno.test("send() names the repository URL settings when a registry or tarball read fails", async () => {
  const { io } = fakeIo([new TypeError("connection refused")]);
  const err = await send(io, new Request("https://repo.hex.pm/packages/jsx"), {
    idempotent: true,
    retries: 0,
  }).catch((e) => e);
  assert.ok(err instanceof HexNetworkError);
  assert.match(err.hint ?? "", /HEX_CDN or HEX_MIRROR \(or the repository's repo_url\)/);
  assert.doesNotMatch(err.hint ?? "", /HEX_API_URL/);
});

Deno.test("send() fails with the server's answer, not a crash, when its wait is absurd or negative", async () => {
  // Before: retry-after 99999999999999999999 (or x-ratelimit-reset 1e300) threw
  // "RangeError: Invalid time value" ("report it"), and retry-after -5 hinted "Wait -5 s".
  for (
    const headers of <Record<string, string>[]> [
      { "retry-after": "99999999999999999999" },
      { "x-ratelimit-reset": "1e300" },
      { "x-ratelimit-reset": "1e300", "retry-after": "1e300" },
    ]
  ) {
    const { io } = fakeIo([status(429, headers), status(200)]);
    await assert.rejects(send(io, get("/packages"), { idempotent: true }), (e: unknown) => {
      assert.ok(e instanceof HexApiError, `${JSON.stringify(headers)}: ${e}`);
      assert.equal(e.status, 429);
      assert.doesNotMatch(e.hint ?? "", /Invalid|NaN|Infinity/);
      return true;
    });
  }
  const negative = await parseErrorResponse(status(429, { "retry-after": "-5" }), get());
  assert.doesNotMatch(negative.hint ?? "", /-5/);
  const far = await parseErrorResponse(status(429, { "x-ratelimit-reset": "1e300" }), get());
  assert.doesNotMatch(far.hint ?? "", /Invalid|NaN|Infinity/);
});
