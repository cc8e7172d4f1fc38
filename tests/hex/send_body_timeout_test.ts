/**
 * The time limit covers the response body, over real HTTP on 127.0.0.1: a
 * server that sends its headers and then stalls, or drips the body a byte at a
 * time, makes the read fail with a timeout naming the request, instead of
 * hanging. Each test uses a fraction of a second as the limit.
 */
import assert from "node:assert/strict";
import { HexNetworkError } from "../../src/hex/api_errors.ts";
import { buildGetReleaseRequest, parseGetReleaseResponse } from "../../src/hex/release.ts";
import { send, type SendIo } from "../../src/hex/send.ts";
import { fetchPackage } from "../../src/tasks/fetch.ts";
import { type BodyFault, serveFaulty } from "../fakes/_faulty_http_server.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { trustingDeps } from "../support/registry.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";

const io: SendIo = {
  fetch: (req) => fetch(req),
  sleep: () => Promise.resolve(),
  now: () => Date.now(),
};

/** A FakeHex with one release, its answers' bodies damaged by `fault`. */
function server(fault: BodyFault) {
  const fake = new FakeHex();
  fake.addRelease({ name: "widget", version: "1.0.0" });
  return { fake, server: serveFaulty(fake.handler, () => fault) };
}

async function readRelease(origin: string, timeoutMs: number): Promise<unknown> {
  const req = buildGetReleaseRequest({ apiUrl: `${origin}/api` }, "widget", "1.0.0", {
    userAgent: UA,
  });
  const res = await send(io, req, { idempotent: true, timeoutMs });
  return await parseGetReleaseResponse(res, req);
}

Deno.test("a body that stalls after the headers times out, naming the request", async () => {
  const { server: s } = server({ kind: "stall", bytes: 5 });
  try {
    await assert.rejects(readRelease(s.origin, 300), (e: unknown) => {
      assert.ok(e instanceof HexNetworkError, String(e));
      assert.equal(e.reason, "timeout");
      assert.match(
        e.message,
        /GET http:\/\/127\.0\.0\.1:\d+\/api\/packages\/widget\/releases\/1\.0\.0/,
      );
      assert.match(e.message, /no data for 300 ms while reading the answer/);
      assert.match(e.hint ?? "", /HEX_HTTP_TIMEOUT/);
      return true;
    });
  } finally {
    await s.close();
  }
});

Deno.test("a body dripped a byte at a time times out too", async () => {
  const { server: s } = server({ kind: "drip", everyMs: 20 });
  try {
    await assert.rejects(readRelease(s.origin, 300), (e: unknown) => {
      assert.ok(e instanceof HexNetworkError, String(e));
      assert.equal(e.reason, "timeout");
      assert.match(e.message, /the answer came too slowly \(\d+ bytes in/);
      return true;
    });
  } finally {
    await s.close();
  }
});

Deno.test("a body cut off mid-way is a network error naming the request", async () => {
  const { server: s } = server({ kind: "cut", bytes: 10 });
  try {
    await assert.rejects(readRelease(s.origin, 5_000), (e: unknown) => {
      assert.ok(e instanceof HexNetworkError, String(e));
      assert.equal(e.reason, "network");
      assert.match(e.message, /failed while reading the answer/);
      return true;
    });
  } finally {
    await s.close();
  }
});

Deno.test("fetch: a tarball download that stalls fails after HEX_HTTP_TIMEOUT", async () => {
  const fake = new FakeHex();
  fake.addRelease({ name: "widget", version: "1.0.0" });
  const s = serveFaulty(
    fake.handler,
    (req) => req.url.includes("/tarballs/") ? { kind: "stall", bytes: 100 } : undefined,
  );
  try {
    const { deps, cwd } = await trustingDeps(fake, {
      cdn: `${s.origin}/repo`,
      env: { HEX_HTTP_TIMEOUT: "0.3" },
      routeToFake: false,
    });
    await assert.rejects(
      fetchPackage(deps, { name: "widget", spec: "1.0.0", unpack: false }),
      (e: unknown) => {
        assert.ok(e instanceof HexNetworkError, String(e));
        assert.match(e.message, /tarballs\/widget-1\.0\.0\.tar timed out: no data for 300 ms/);
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(cwd)], [], "nothing was written");
  } finally {
    await s.close();
  }
});
