import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError, TotpRequiredError } from "../../src/hex/api_errors.ts";
import {
  buildCreateKeyRequest,
  buildGetKeyRequest,
  buildListKeysRequest,
  buildRevokeAllKeysRequest,
  buildRevokeKeyRequest,
  parseCreateKeyResponse,
  parseGetKeyResponse,
  parseListKeysResponse,
  parseRevokeAllKeysResponse,
  parseRevokeKeyResponse,
} from "../../src/hex/key.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const ACME = { apiUrl: "https://hex.pm/api", repo: "acme" };
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyOmFsaWNlIn0.c2lnbmF0dXJl";
const call = { userAgent: UA, credential: { kind: "oauth" as const, accessToken: TOKEN } };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

const LAPTOP = {
  name: "laptop",
  authing_key: true,
  permissions: [{ domain: "api", resource: null }],
  revoke_at: null,
  last_use: {
    used_at: "2026-08-30T10:00:00Z",
    ip: "192.0.2.1",
    user_agent: "hexpub/0.1.0 (deno/2.9.6; linux)",
  },
  inserted_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T00:00:00Z",
  url: "https://hex.pm/api/keys/laptop",
};

const CI = {
  name: "ci-2",
  authing_key: false,
  secret: "fedcba9876543210fedcba9876543210",
  permissions: [
    { domain: "api", resource: "read" },
    { domain: "package", resource: "hexpm/foo" },
  ],
  revoke_at: "2027-01-01T00:00:00Z",
  inserted_at: "2026-09-01T00:00:00Z",
  updated_at: "2026-09-01T00:00:00Z",
  url: "https://hex.pm/api/keys/ci-2",
};

Deno.test("key builders address /keys, or /orgs/ORG/keys with org", () => {
  const cases: [Request, string, string][] = [
    [buildListKeysRequest(HEXPM, call), "GET", "https://hex.pm/api/keys"],
    [
      buildListKeysRequest(HEXPM, { ...call, org: "acme" }),
      "GET",
      "https://hex.pm/api/orgs/acme/keys",
    ],
    [buildGetKeyRequest(HEXPM, "my key", call), "GET", "https://hex.pm/api/keys/my%20key"],
    [
      buildGetKeyRequest(HEXPM, "ci", { ...call, org: "acme" }),
      "GET",
      "https://hex.pm/api/orgs/acme/keys/ci",
    ],
    [buildRevokeKeyRequest(HEXPM, "ci", call), "DELETE", "https://hex.pm/api/keys/ci"],
    [
      buildRevokeKeyRequest(HEXPM, "ci", { ...call, org: "acme" }),
      "DELETE",
      "https://hex.pm/api/orgs/acme/keys/ci",
    ],
    [buildRevokeAllKeysRequest(HEXPM, call), "DELETE", "https://hex.pm/api/keys"],
    [
      buildRevokeAllKeysRequest(HEXPM, { ...call, org: "acme" }),
      "DELETE",
      "https://hex.pm/api/orgs/acme/keys",
    ],
    [buildCreateKeyRequest(HEXPM, { name: "ci" }, call), "POST", "https://hex.pm/api/keys"],
  ];
  for (const [req, method, url] of cases) {
    assert.equal(req.method, method, url);
    assert.equal(req.url, url);
    assert.equal(req.headers.get("authorization"), `Bearer ${TOKEN}`);
    assert.equal(req.headers.get("accept"), "application/json");
  }
});

Deno.test("a hexpm:ORG target alone does not turn user keys into organization keys", () => {
  assert.equal(buildListKeysRequest(ACME, call).url, "https://hex.pm/api/keys");
});

Deno.test("key builders refuse names that are not path segments", () => {
  assert.throws(() => buildRevokeKeyRequest(HEXPM, "..", call), UsageError);
  assert.throws(() => buildGetKeyRequest(HEXPM, "", call), UsageError);
});

Deno.test("buildCreateKeyRequest() sends name, permissions with null resources, revoke_at and the OTP", async () => {
  const req = buildCreateKeyRequest(HEXPM, {
    name: "ci",
    permissions: [{ domain: "api", resource: "write" }, { domain: "repositories" }],
    revokeAt: new Date("2027-01-01T00:00:00Z"),
  }, { ...call, otp: "123456" });
  assert.equal(req.headers.get("content-type"), "application/json");
  assert.equal(req.headers.get("x-hex-otp"), "123456");
  assert.deepEqual(await req.json(), {
    name: "ci",
    permissions: [{ domain: "api", resource: "write" }, { domain: "repositories", resource: null }],
    revoke_at: "2027-01-01T00:00:00.000Z",
  });
  const minimal = buildCreateKeyRequest(HEXPM, { name: "laptop" }, call);
  assert.deepEqual(await minimal.json(), { name: "laptop" });
});

Deno.test("parseListKeysResponse() reads keys", async () => {
  const keys = await parseListKeysResponse(json(200, [LAPTOP, { ...CI, secret: undefined }]));
  assert.deepEqual(keys, [
    {
      name: "laptop",
      permissions: [{ domain: "api" }],
      secret: undefined,
      authing: true,
      revokeAt: undefined,
      lastUse: {
        usedAt: "2026-08-30T10:00:00Z",
        ip: "192.0.2.1",
        userAgent: "hexpub/0.1.0 (deno/2.9.6; linux)",
      },
      insertedAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-02T00:00:00Z",
      url: "https://hex.pm/api/keys/laptop",
    },
    {
      name: "ci-2",
      permissions: [{ domain: "api", resource: "read" }, {
        domain: "package",
        resource: "hexpm/foo",
      }],
      secret: undefined,
      authing: false,
      revokeAt: "2027-01-01T00:00:00Z",
      lastUse: undefined,
      insertedAt: "2026-09-01T00:00:00Z",
      updatedAt: "2026-09-01T00:00:00Z",
      url: "https://hex.pm/api/keys/ci-2",
    },
  ]);
  await assert.rejects(() => parseListKeysResponse(json(200, { keys: [] })), /to be a list/);
});

Deno.test("parseGetKeyResponse() reads one key and reports 404", async () => {
  assert.equal((await parseGetKeyResponse(json(200, LAPTOP))).name, "laptop");
  await assert.rejects(
    () =>
      parseGetKeyResponse(
        json(404, { status: 404, message: "Page not found" }),
        buildGetKeyRequest(HEXPM, "gone", call),
      ),
    (e: unknown) =>
      e instanceof HexApiError && e.message === "GET /api/keys/gone failed: 404 Page not found",
  );
});

Deno.test("parseCreateKeyResponse() returns the renamed key with its secret", async () => {
  const key = await parseCreateKeyResponse(
    json(201, CI, { location: "https://hex.pm/api/keys/ci-2" }),
  );
  assert.equal(key.name, "ci-2");
  assert.equal(key.secret, "fedcba9876543210fedcba9876543210");
});

Deno.test("parseCreateKeyResponse() refuses other statuses and a body without secret", async () => {
  const req = buildCreateKeyRequest(HEXPM, { name: "ci" }, call);
  await assert.rejects(
    () => parseCreateKeyResponse(json(200, CI), req),
    /POST \/api\/keys failed: unexpected 200 response/,
  );
  await assert.rejects(
    () => parseCreateKeyResponse(json(201, LAPTOP), req),
    /expected "secret" in the new key/,
  );
});

Deno.test("parseCreateKeyResponse() surfaces TOTP challenges and 422 permission errors", async () => {
  const req = buildCreateKeyRequest(HEXPM, { name: "ci" }, call);
  const totp = await parseCreateKeyResponse(
    json(401, {
      status: 401,
      message: "Two-factor authentication required. Include X-Hex-OTP header with your TOTP code.",
    }, { "www-authenticate": 'Bearer realm="hex", error="totp_required"' }),
    req,
  ).catch((e) => e);
  assert.ok(totp instanceof TotpRequiredError);
  assert.equal(totp.reason, "totp_required");
  const invalid = await parseCreateKeyResponse(
    json(422, {
      status: 422,
      message: "Validation error(s)",
      errors: { permissions: { resource: "invalid resource for given domain" } },
    }),
    req,
  ).catch((e) => e);
  assert.ok(invalid instanceof HexApiError);
  assert.equal(
    invalid.message,
    "POST /api/keys failed: 422 Validation error(s)\n" +
      "  permissions.resource: invalid resource for given domain",
  );
  assert.ok(!JSON.stringify([totp, invalid, totp.message, invalid.message]).includes(TOKEN));
});

Deno.test("parseRevokeKeyResponse() accepts 200 with the key, or 204", async () => {
  const revoked = await parseRevokeKeyResponse(json(200, { ...LAPTOP, authing_key: false }));
  assert.equal(revoked?.name, "laptop");
  assert.equal(await parseRevokeKeyResponse(new Response(null, { status: 204 })), undefined);
  assert.equal(await parseRevokeKeyResponse(new Response("", { status: 200 })), undefined);
});

Deno.test("parseRevokeKeyResponse() never reports success on another status", async () => {
  const req = buildRevokeKeyRequest(HEXPM, "ci", call);
  for (const status of [201, 202, 301, 302, 304]) {
    await assert.rejects(
      () => parseRevokeKeyResponse(new Response(null, { status }), req),
      (e: unknown) => e instanceof HexApiError && e.status === status,
      String(status),
    );
  }
  await assert.rejects(
    () => parseRevokeKeyResponse(json(404, { status: 404, message: "Page not found" }), req),
    /DELETE \/api\/keys\/ci failed: 404 Page not found/,
  );
});

Deno.test("parseRevokeAllKeysResponse() accepts 200 or 204 only", async () => {
  assert.equal((await parseRevokeAllKeysResponse(json(200, LAPTOP)))?.name, "laptop");
  assert.equal(await parseRevokeAllKeysResponse(new Response(null, { status: 204 })), undefined);
  await assert.rejects(
    () =>
      parseRevokeAllKeysResponse(
        new Response(null, { status: 202 }),
        buildRevokeAllKeysRequest(HEXPM, call),
      ),
    /DELETE \/api\/keys failed: unexpected 202 response/,
  );
});
