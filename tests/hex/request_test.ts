import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  apiUrl,
  buildApiRequest,
  buildRawUploadRequest,
  pathSegment,
} from "../../src/hex/request.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const ACME = { apiUrl: "https://hex.pm/api", repo: "acme" };

Deno.test("buildApiRequest() sends JSON with accept, user-agent and no credential by default", async () => {
  const req = buildApiRequest(HEXPM, {
    method: "POST",
    path: "/keys",
    body: { name: "ci", permissions: [{ domain: "api", resource: null }] },
    userAgent: UA,
  });
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/keys");
  assert.equal(req.headers.get("content-type"), "application/json");
  assert.equal(req.headers.get("accept"), "application/json");
  assert.equal(req.headers.get("user-agent"), UA);
  assert.equal(req.headers.has("authorization"), false);
  assert.equal(req.headers.has("x-hex-otp"), false);
  assert.equal(req.redirect, "manual");
  assert.deepEqual(await req.json(), {
    name: "ci",
    permissions: [{ domain: "api", resource: null }],
  });
});

Deno.test("buildApiRequest() sends an API key raw and an OAuth token as Bearer", () => {
  const key = buildApiRequest(HEXPM, {
    method: "GET",
    path: "/users/me",
    credential: { kind: "key", secret: "0123456789abcdef0123456789abcdef" },
    userAgent: UA,
  });
  assert.equal(key.headers.get("authorization"), "0123456789abcdef0123456789abcdef");
  assert.equal(key.headers.has("content-type"), false);
  assert.equal(key.body, null);
  const oauth = buildApiRequest(HEXPM, {
    method: "DELETE",
    path: "/keys/ci",
    credential: { kind: "oauth", accessToken: "eyJ.token" },
    otp: "123456",
    userAgent: UA,
  });
  assert.equal(oauth.headers.get("authorization"), "Bearer eyJ.token");
  assert.equal(oauth.headers.get("x-hex-otp"), "123456");
});

Deno.test("buildApiRequest() prefixes /repos/ORG or /orgs/ORG only when asked and the target has a repo", () => {
  const url = (target: typeof HEXPM | typeof ACME, scope?: "repo" | "org" | "none") =>
    buildApiRequest(target, { method: "GET", path: "/packages/foo", scope, userAgent: UA }).url;
  assert.equal(url(ACME, "repo"), "https://hex.pm/api/repos/acme/packages/foo");
  assert.equal(url(ACME, "org"), "https://hex.pm/api/orgs/acme/packages/foo");
  assert.equal(url(ACME, "none"), "https://hex.pm/api/packages/foo");
  assert.equal(url(ACME), "https://hex.pm/api/packages/foo");
  assert.equal(url(HEXPM, "repo"), "https://hex.pm/api/packages/foo");
  assert.equal(url(HEXPM, "org"), "https://hex.pm/api/packages/foo");
});

Deno.test("buildApiRequest() encodes query parameters, booleans as true/false, skipping undefined", () => {
  const req = buildApiRequest({ apiUrl: "http://localhost:4000/api/" }, {
    method: "POST",
    path: "/publish",
    query: { replace: false, search: "name:foo* depends:cowboy", page: 2, skip: undefined },
    userAgent: UA,
  });
  const url = new URL(req.url);
  assert.equal(url.origin + url.pathname, "http://localhost:4000/api/publish");
  assert.equal(url.searchParams.get("replace"), "false");
  assert.equal(url.searchParams.get("search"), "name:foo* depends:cowboy");
  assert.equal(url.searchParams.get("page"), "2");
  assert.equal(url.searchParams.has("skip"), false);
  assert.equal(
    apiUrl(HEXPM, "/publish", { query: { replace: true } }).href,
    "https://hex.pm/api/publish?replace=true",
  );
});

Deno.test("buildApiRequest() refuses an API URL that does not parse", () => {
  assert.throws(
    () => buildApiRequest({ apiUrl: "hex.pm/api" }, { method: "GET", path: "/", userAgent: UA }),
    (e: unknown) =>
      e instanceof UsageError && e.message === 'invalid API URL "hex.pm/api"' &&
      /HEX_API_URL/.test(e.hint ?? ""),
  );
});

Deno.test("pathSegment() encodes names and refuses ones URL parsing would resolve", () => {
  assert.equal(pathSegment("my key/1"), "my%20key%2F1");
  assert.equal(pathSegment("a@b.c"), "a%40b.c");
  for (const bad of ["", ".", ".."]) {
    assert.throws(() => pathSegment(bad), UsageError, JSON.stringify(bad));
  }
});

Deno.test("buildRawUploadRequest() sends bytes as octet-stream with Content-Length-able body and no Expect", async () => {
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const req = buildRawUploadRequest(ACME, {
    path: "/publish",
    query: { replace: false },
    scope: "repo",
    body: bytes,
    credential: { kind: "key", secret: "s3cret-key" },
    userAgent: UA,
  });
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/repos/acme/publish?replace=false");
  assert.equal(req.headers.get("content-type"), "application/octet-stream");
  assert.equal(req.headers.get("accept"), "application/json");
  assert.equal(req.headers.get("authorization"), "s3cret-key");
  assert.equal(req.headers.has("expect"), false);
  assert.equal(req.redirect, "manual");
  assert.deepEqual(new Uint8Array(await req.arrayBuffer()), bytes);
});

Deno.test("buildRawUploadRequest() takes another method and content type", () => {
  const req = buildRawUploadRequest(HEXPM, {
    method: "PUT",
    path: "/packages/foo/releases/1.0.0/docs",
    body: new Uint8Array(1),
    contentType: "application/x-tar",
    userAgent: UA,
  });
  assert.equal(req.method, "PUT");
  assert.equal(req.headers.get("content-type"), "application/x-tar");
});

Deno.test("buildApiRequest() refuses unsendable secrets without echoing them", () => {
  const secret = "0123456789abcdef\n0123456789abcdef";
  const cases = [
    { credential: { kind: "key" as const, secret }, message: /^the API key contains/ },
    {
      credential: { kind: "oauth" as const, accessToken: `tok en${secret}` },
      message: /^the OAuth access token contains/,
    },
    { credential: { kind: "key" as const, secret: "  " }, message: /^the API key is empty$/ },
    { otp: "12 34 56", message: /^the TOTP code contains/ },
  ];
  for (const { credential, otp, message } of cases) {
    assert.throws(
      () =>
        buildApiRequest({ apiUrl: "https://hex.pm/api" }, {
          method: "GET",
          path: "/users/me",
          credential,
          otp,
          userAgent: UA,
        }),
      (e: unknown) =>
        e instanceof UsageError && message.test(e.message) &&
        !JSON.stringify([e.message, e.hint]).includes("0123456789abcdef") &&
        !e.message.includes("12 34"),
    );
  }
});

Deno.test("buildApiRequest() trims surrounding whitespace of secrets and skips a blank OTP", () => {
  const req = buildApiRequest(HEXPM, {
    method: "GET",
    path: "/users/me",
    credential: { kind: "key", secret: " abc123\n" },
    otp: "",
    userAgent: UA,
  });
  assert.equal(req.headers.get("authorization"), "abc123");
  assert.equal(req.headers.has("x-hex-otp"), false);
});
