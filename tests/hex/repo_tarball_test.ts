import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError } from "../../src/hex/api_errors.ts";
import { buildRepoTarballRequest, parseRepoTarballResponse } from "../../src/hex/repo_tarball.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const REPO = "https://repo.hex.pm";
const REPO_KEY = "fedcba9876543210fedcba9876543210";
const TAR = new Uint8Array([0x56, 0x45, 0x52, 0x53, 0x49, 0x4f, 0x4e, 0, 1, 2, 255]);

Deno.test("buildRepoTarballRequest() is GET {repo}/tarballs/NAME-VSN.tar", () => {
  const req = buildRepoTarballRequest(REPO, undefined, "rabbit_hole", "1.2.0", { userAgent: UA });
  assert.equal(req.method, "GET");
  assert.equal(req.url, "https://repo.hex.pm/tarballs/rabbit_hole-1.2.0.tar");
  assert.equal(req.headers.get("user-agent"), UA);
  assert.equal(req.headers.has("authorization"), false);
  assert.equal(req.redirect, "follow");
  assert.equal(
    buildRepoTarballRequest("https://mirror.example.com/hex/", undefined, "x", "0.1.0-rc.1", {
      userAgent: UA,
    }).url,
    "https://mirror.example.com/hex/tarballs/x-0.1.0-rc.1.tar",
  );
});

Deno.test("buildRepoTarballRequest() goes under /repos/ORG and sends the repository key raw", () => {
  const req = buildRepoTarballRequest(REPO, "acme", "rabbit_hole", "1.2.0", {
    userAgent: UA,
    repoKey: ` ${REPO_KEY}\n`,
  });
  assert.equal(req.url, "https://repo.hex.pm/repos/acme/tarballs/rabbit_hole-1.2.0.tar");
  assert.equal(req.headers.get("authorization"), REPO_KEY);
  // A redirect is not followed with the key on board.
  assert.equal(req.redirect, "manual");
});

Deno.test("buildRepoTarballRequest() refuses bad URLs, segments and keys without echoing keys", () => {
  assert.throws(
    () => buildRepoTarballRequest("not a url", undefined, "x", "1.0.0", { userAgent: UA }),
    (e: unknown) => e instanceof UsageError && /invalid repository URL "not a url"/.test(e.message),
  );
  assert.throws(
    () => buildRepoTarballRequest(REPO, "..", "x", "1.0.0", { userAgent: UA }),
    UsageError,
  );
  assert.throws(
    () => buildRepoTarballRequest(REPO, undefined, "x", "1.0.0", { userAgent: UA, repoKey: " " }),
    (e: unknown) => e instanceof UsageError && e.message === "the repository key is empty",
  );
  const bad = `${REPO_KEY}\u00e9`;
  assert.throws(
    () => buildRepoTarballRequest(REPO, "acme", "x", "1.0.0", { userAgent: UA, repoKey: bad }),
    (e: unknown) =>
      e instanceof UsageError && !e.message.includes(REPO_KEY) &&
      !(e.hint ?? "").includes(REPO_KEY),
  );
  assert.equal(
    buildRepoTarballRequest(REPO, undefined, "a/b", "1.0.0", { userAgent: UA }).url,
    "https://repo.hex.pm/tarballs/a%2Fb-1.0.0.tar",
  );
});

Deno.test("parseRepoTarballResponse() returns the bytes of a 200", async () => {
  const req = buildRepoTarballRequest(REPO, undefined, "rabbit_hole", "1.2.0", { userAgent: UA });
  const bytes = await parseRepoTarballResponse(
    new Response(TAR, { status: 200, headers: { etag: '"abc"' } }),
    req,
  );
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual(bytes, TAR);
});

Deno.test("parseRepoTarballResponse() throws HexApiError 404 for a missing tarball", async () => {
  const req = buildRepoTarballRequest(REPO, "acme", "rabbit_hole", "9.9.9", {
    userAgent: UA,
    repoKey: REPO_KEY,
  });
  const err = await parseRepoTarballResponse(
    new Response(`<?xml version="1.0"?><Error><Code>NoSuchKey</Code></Error>`, {
      status: 404,
      headers: { "content-type": "application/xml" },
    }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.status, 404);
  assert.equal(
    err.message,
    "GET /repos/acme/tarballs/rabbit_hole-9.9.9.tar failed: 404 Page not found",
  );
});

Deno.test("parseRepoTarballResponse() refuses other statuses with repository hints", async () => {
  const keyed = buildRepoTarballRequest(REPO, "acme", "x", "1.0.0", {
    userAgent: UA,
    repoKey: REPO_KEY,
  });
  const redirect = await parseRepoTarballResponse(
    new Response(null, {
      status: 302,
      headers: { location: "https://elsewhere.example.com/x.tar?sig=1" },
    }),
    keyed,
  ).catch((e) => e);
  assert.ok(redirect instanceof HexApiError);
  assert.equal(redirect.status, 302);
  assert.match(redirect.message, /302 redirect to https:\/\/elsewhere\.example\.com\/x\.tar$/);
  assert.match(redirect.hint ?? "", /repo_url/);
  assert.doesNotMatch(redirect.hint ?? "", /HEX_API_URL/);

  const partial = await parseRepoTarballResponse(new Response(TAR, { status: 206 }), keyed)
    .catch((e) => e);
  assert.ok(partial instanceof HexApiError);
  assert.equal(partial.status, 206);
  assert.match(partial.hint ?? "", /repo_url/);

  for (const status of [401, 403, 500]) {
    await assert.rejects(
      () => parseRepoTarballResponse(new Response(null, { status }), keyed),
      (e: unknown) => e instanceof HexApiError && e.status === status,
    );
  }
});

Deno.test("parseRepoTarballResponse() never echoes the repository key", async () => {
  const req = buildRepoTarballRequest(REPO, "acme", "x", "1.0.0", {
    userAgent: UA,
    repoKey: REPO_KEY,
  });
  const err = await parseRepoTarballResponse(
    new Response(JSON.stringify({ status: 403, message: `key ${REPO_KEY} has no access` }), {
      status: 403,
      headers: { "content-type": "application/json" },
    }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  const everything = [err.message, err.serverMessage, err.hint].join();
  assert.ok(!everything.includes(REPO_KEY));
  assert.match(err.message, /\[REDACTED\]/);
});

Deno.test("a tarball body over 16 MiB is refused, by its length or while reading", async () => {
  const req = buildRepoTarballRequest("https://repo.test", undefined, "big", "1.0.0", {
    userAgent: "t",
  });
  const declared = new Response("x", {
    status: 200,
    headers: { "content-length": String(16 * 1024 * 1024 + 1) },
  });
  await assert.rejects(
    () => parseRepoTarballResponse(declared, req),
    (e: unknown) => e instanceof HexApiError && /the tarball is larger than 16 MiB/.test(e.message),
  );
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      sent += 1024 * 1024;
      c.enqueue(new Uint8Array(1024 * 1024));
    },
  });
  await assert.rejects(
    () => parseRepoTarballResponse(new Response(endless, { status: 200 }), req),
    /the tarball is larger than 16 MiB/,
  );
  assert.ok(sent <= 18 * 1024 * 1024, `read ${sent} bytes`);
  const ok = await parseRepoTarballResponse(new Response(new Uint8Array(10)), req);
  assert.equal(ok.length, 10);
});
