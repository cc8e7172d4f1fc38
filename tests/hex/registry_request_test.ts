import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError } from "../../src/hex/api_errors.ts";
import {
  buildRegistryRequest,
  MAX_REGISTRY_FILE,
  parseRegistryResponse,
  registryPath,
  storedRegistryFile,
} from "../../src/hex/registry_request.ts";
import { gunzipBytes, gzipBytes } from "../../src/tarball/gzip.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const REPO = "https://repo.hex.pm";
const KEY = "fedcba9876543210fedcba9876543210";
const SIGNED = Uint8Array.of(0x0a, 3, 1, 2, 3, 0x12, 1, 9); // Signed{payload, signature}

Deno.test("registryPath() names /names, /versions and /packages/NAME, under /repos/ORG for an organization", () => {
  assert.equal(registryPath(undefined, { kind: "names" }), "/names");
  assert.equal(registryPath(undefined, { kind: "versions" }), "/versions");
  assert.equal(registryPath(undefined, { kind: "package", name: "cowboy" }), "/packages/cowboy");
  assert.equal(
    registryPath("acme", { kind: "package", name: "secret" }),
    "/repos/acme/packages/secret",
  );
  assert.equal(registryPath("acme", { kind: "versions" }), "/repos/acme/versions");
  assert.throws(() => registryPath("..", { kind: "names" }), UsageError);
  assert.equal(registryPath(undefined, { kind: "package", name: "a/b" }), "/packages/a%2Fb");
});

Deno.test("buildRegistryRequest() is an anonymous GET that may follow redirects", () => {
  const req = buildRegistryRequest(`${REPO}/`, undefined, { kind: "package", name: "jsx" }, {
    userAgent: UA,
  });
  assert.equal(req.method, "GET");
  assert.equal(req.url, "https://repo.hex.pm/packages/jsx");
  assert.equal(req.headers.get("user-agent"), UA);
  assert.equal(req.headers.has("authorization"), false);
  assert.equal(req.redirect, "follow");
});

Deno.test("buildRegistryRequest() sends a repository key raw and never follows a redirect with it", () => {
  const req = buildRegistryRequest(REPO, "acme", { kind: "package", name: "jsx" }, {
    userAgent: UA,
    authorization: ` ${KEY}\n`,
  });
  assert.equal(req.url, "https://repo.hex.pm/repos/acme/packages/jsx");
  assert.equal(req.headers.get("authorization"), KEY);
  assert.equal(req.redirect, "manual");
  const bearer = buildRegistryRequest(REPO, "acme", { kind: "names" }, {
    userAgent: UA,
    authorization: "Bearer abc.def",
  });
  assert.equal(bearer.headers.get("authorization"), "Bearer abc.def");
});

Deno.test("buildRegistryRequest() refuses bad URLs and keys without echoing the key", () => {
  for (const url of ["not a url", "file:///etc", "ftp://x"]) {
    assert.throws(
      () => buildRegistryRequest(url, undefined, { kind: "names" }, { userAgent: UA }),
      (e: unknown) => e instanceof UsageError && /invalid repository URL/.test(e.message),
    );
  }
  assert.throws(
    () =>
      buildRegistryRequest(REPO, undefined, { kind: "names" }, {
        userAgent: UA,
        authorization: "  ",
      }),
    (e: unknown) => e instanceof UsageError && e.message === "the repository key is empty",
  );
  const bad = `${KEY}\u00e9`;
  assert.throws(
    () =>
      buildRegistryRequest(REPO, undefined, { kind: "names" }, {
        userAgent: UA,
        authorization: bad,
      }),
    (e: unknown) =>
      e instanceof UsageError && !e.message.includes(KEY) && !(e.hint ?? "").includes(KEY),
  );
});

Deno.test("parseRegistryResponse() returns the stored gzip file as is", async () => {
  const file = gzipBytes(SIGNED);
  const res = await parseRegistryResponse(new Response(file.slice(), { status: 200 }));
  assert.deepEqual(res, { found: true, file });
});

Deno.test("parseRegistryResponse() re-wraps a body fetch already decompressed (Content-Encoding: gzip)", async () => {
  const res = await parseRegistryResponse(new Response(SIGNED, { status: 200 }));
  assert.ok(res.found);
  assert.deepEqual([...res.file.subarray(0, 2)], [0x1f, 0x8b]);
  assert.deepEqual(gunzipBytes(res.file), SIGNED);
  const gz = gzipBytes(SIGNED);
  assert.equal(storedRegistryFile(gz), gz, "a gzip body is kept byte for byte");
});

Deno.test("parseRegistryResponse() reads 404 as no such package", async () => {
  assert.deepEqual(
    await parseRegistryResponse(new Response("Not Found", { status: 404 })),
    { found: false },
  );
});

Deno.test("parseRegistryResponse() explains 401/403 as a missing or refused repository key (exit 4)", async () => {
  const anonymous = buildRegistryRequest(REPO, "acme", { kind: "names" }, { userAgent: UA });
  await assert.rejects(
    parseRegistryResponse(new Response("Unauthorized", { status: 401 }), anonymous),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 401 && e.exitCode === 4 &&
      /repo_key/.test(e.hint ?? "") && /organization auth/.test(e.hint ?? ""),
  );
  const keyed = buildRegistryRequest(REPO, "acme", { kind: "names" }, {
    userAgent: UA,
    authorization: KEY,
  });
  await assert.rejects(
    parseRegistryResponse(new Response("Forbidden", { status: 403 }), keyed),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 403 && /refused the key/.test(e.hint ?? "") &&
      !e.message.includes(KEY),
  );
});

Deno.test("parseRegistryResponse() reports a redirect that carried a key, and 5xx as errors", async () => {
  const keyed = buildRegistryRequest(REPO, "acme", { kind: "names" }, {
    userAgent: UA,
    authorization: KEY,
  });
  await assert.rejects(
    parseRegistryResponse(
      new Response(null, { status: 302, headers: { location: "https://elsewhere.example/x" } }),
      keyed,
    ),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 302 && /not followed/.test(e.hint ?? ""),
  );
  await assert.rejects(
    parseRegistryResponse(new Response("oops", { status: 503 })),
    (e: unknown) => e instanceof HexApiError && e.status === 503,
  );
});

Deno.test("parseRegistryResponse() refuses a body larger than the limit", async () => {
  await assert.rejects(
    parseRegistryResponse(
      new Response("x", {
        status: 200,
        headers: { "content-length": String(MAX_REGISTRY_FILE + 1) },
      }),
    ),
    (e: unknown) => e instanceof HexApiError && /larger than 64 MiB/.test(e.message),
  );
  const chunk = new Uint8Array(1024 * 1024);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent > MAX_REGISTRY_FILE) return c.close();
      sent += chunk.length;
      c.enqueue(chunk);
    },
  });
  await assert.rejects(
    parseRegistryResponse(new Response(body, { status: 200 })),
    (e: unknown) => e instanceof HexApiError && /larger than/.test(e.message),
  );
});
