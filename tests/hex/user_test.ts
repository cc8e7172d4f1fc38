import assert from "node:assert/strict";
import { HexApiError } from "../../src/hex/api_errors.ts";
import {
  buildCreateUserRequest,
  buildGetUserRequest,
  buildTestAuthRequest,
  buildWhoamiRequest,
  parseCreateUserResponse,
  parseGetUserResponse,
  parseTestAuthResponse,
  parseWhoamiResponse,
} from "../../src/hex/user.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const ACME = { apiUrl: "https://hex.pm/api", repo: "acme" };
const KEY = "0123456789abcdef0123456789abcdef";
const call = { userAgent: UA, credential: { kind: "key" as const, secret: KEY } };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

const ME = {
  username: "alice",
  email: "alice@example.com",
  full_name: "Alice Liddell",
  handles: { GitHub: "https://github.com/alice" },
  url: "https://hex.pm/api/users/alice",
  inserted_at: "2020-01-01T00:00:00.000000Z",
  updated_at: "2026-01-01T00:00:00.000000Z",
  organizations: [{ name: "acme", role: "admin" }, { name: "wonder", role: "read" }],
  packages: [{
    name: "rabbit_hole",
    repository: "hexpm",
    url: "https://hex.pm/api/packages/rabbit_hole",
    html_url: "https://hex.pm/packages/rabbit_hole",
  }],
  owned_packages: { rabbit_hole: "https://hex.pm/api/packages/rabbit_hole" },
};

Deno.test("buildWhoamiRequest() is GET /users/me, never repository-scoped", () => {
  const req = buildWhoamiRequest(ACME, call);
  assert.equal(req.method, "GET");
  assert.equal(req.url, "https://hex.pm/api/users/me");
  assert.equal(req.headers.get("authorization"), KEY);
  assert.equal(req.headers.get("accept"), "application/json");
  assert.equal(req.headers.get("user-agent"), UA);
});

Deno.test("parseWhoamiResponse() reads the user and their organizations", async () => {
  const user = await parseWhoamiResponse(json(200, ME), buildWhoamiRequest(HEXPM, call));
  assert.deepEqual(user, {
    username: "alice",
    email: "alice@example.com",
    fullName: "Alice Liddell",
    url: "https://hex.pm/api/users/alice",
    organizations: [{ name: "acme", role: "admin" }, { name: "wonder", role: "read" }],
    packages: [{
      name: "rabbit_hole",
      repository: "hexpm",
      url: "https://hex.pm/api/packages/rabbit_hole",
      htmlUrl: "https://hex.pm/packages/rabbit_hole",
    }],
    insertedAt: "2020-01-01T00:00:00.000000Z",
    updatedAt: "2026-01-01T00:00:00.000000Z",
  });
});

Deno.test("parseWhoamiResponse() tolerates missing optional fields", async () => {
  const user = await parseWhoamiResponse(json(200, { username: "bob", email: null }));
  assert.deepEqual(user, {
    username: "bob",
    email: undefined,
    fullName: undefined,
    url: undefined,
    organizations: [],
    packages: [],
    insertedAt: undefined,
    updatedAt: undefined,
  });
});

Deno.test("parseWhoamiResponse() throws on 401 and on unexpected statuses", async () => {
  const req = buildWhoamiRequest(HEXPM, call);
  await assert.rejects(
    () =>
      parseWhoamiResponse(
        json(401, { status: 401, message: "invalid API key" }, {
          "www-authenticate": "Basic realm=hex",
        }),
        req,
      ),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 401 && e.exitCode === 4 &&
      e.message === "GET /api/users/me failed: 401 invalid API key",
  );
  for (const status of [201, 202, 204, 302]) {
    await assert.rejects(
      () => parseWhoamiResponse(new Response(null, { status }), req),
      (e: unknown) => e instanceof HexApiError && e.status === status,
    );
  }
  await assert.rejects(
    () => parseWhoamiResponse(json(200, { name: "alice" }), req),
    /invalid response: expected "username" to be a string/,
  );
});

Deno.test("buildGetUserRequest() encodes the name or email", () => {
  const req = buildGetUserRequest(HEXPM, "alice@example.com", { userAgent: UA });
  assert.equal(req.url, "https://hex.pm/api/users/alice%40example.com");
  assert.equal(req.headers.has("authorization"), false);
});

Deno.test("parseGetUserResponse() reads a public profile and 404s", async () => {
  const { organizations: _, email: __, ...publicProfile } = ME;
  const user = await parseGetUserResponse(json(200, publicProfile));
  assert.equal(user.username, "alice");
  assert.equal(user.email, undefined);
  assert.deepEqual(user.organizations, []);
  assert.equal(user.packages.length, 1);
  await assert.rejects(
    () =>
      parseGetUserResponse(
        json(404, { status: 404, message: "Page not found" }),
        buildGetUserRequest(HEXPM, "nobody", { userAgent: UA }),
      ),
    /GET \/api\/users\/nobody failed: 404 Page not found/,
  );
});

Deno.test("buildCreateUserRequest() posts username, email and password as JSON", async () => {
  const req = buildCreateUserRequest(HEXPM, {
    username: "carol",
    email: "carol@example.com",
    password: "correct horse",
  }, { userAgent: UA });
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/users");
  assert.equal(req.headers.get("content-type"), "application/json");
  assert.equal(req.headers.has("authorization"), false);
  assert.deepEqual(await req.json(), {
    username: "carol",
    email: "carol@example.com",
    password: "correct horse",
  });
});

Deno.test("parseCreateUserResponse() expects 201 and renders 422 errors", async () => {
  const user = await parseCreateUserResponse(
    json(201, { username: "carol", email: "carol@example.com" }, {
      location: "https://hex.pm/api/users/carol",
    }),
  );
  assert.equal(user.username, "carol");
  await assert.rejects(
    () => parseCreateUserResponse(json(200, { username: "carol" })),
    /unexpected 200 response/,
  );
  const req = buildCreateUserRequest(HEXPM, {
    username: "me",
    email: "x",
    password: "hunter2hunter2",
  }, { userAgent: UA });
  const err = await parseCreateUserResponse(
    json(422, {
      status: 422,
      message: "Validation error(s)",
      errors: { username: "is reserved", emails: { email: "has invalid format" } },
    }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.equal(
    err.message,
    "POST /api/users failed: 422 Validation error(s)\n" +
      "  username: is reserved\n  emails.email: has invalid format",
  );
  assert.ok(!JSON.stringify(err).includes("hunter2hunter2"));
});

Deno.test("buildTestAuthRequest() asks GET /auth with domain and resource", () => {
  const req = buildTestAuthRequest(HEXPM, { domain: "api", resource: "write" }, call);
  assert.equal(req.method, "GET");
  assert.equal(req.url, "https://hex.pm/api/auth?domain=api&resource=write");
  assert.equal(req.headers.get("authorization"), KEY);
  const bare = buildTestAuthRequest(ACME, { domain: "repositories" }, call);
  assert.equal(bare.url, "https://hex.pm/api/auth?domain=repositories");
});

Deno.test("parseTestAuthResponse() tells API keys (200) from OAuth tokens (204)", async () => {
  assert.deepEqual(
    await parseTestAuthResponse(
      json(200, { key: { name: "laptop", owner: { type: "user", name: "alice" } } }),
    ),
    { kind: "key", name: "laptop", owner: { type: "user", name: "alice" } },
  );
  assert.deepEqual(await parseTestAuthResponse(new Response(null, { status: 204 })), {
    kind: "oauth",
  });
  assert.deepEqual(await parseTestAuthResponse(new Response("", { status: 200 })), {
    kind: "key",
  });
});

Deno.test("parseTestAuthResponse() throws on 401 and unexpected statuses", async () => {
  const req = buildTestAuthRequest(HEXPM, { domain: "api", resource: "write" }, call);
  await assert.rejects(
    () =>
      parseTestAuthResponse(
        json(401, { status: 401, message: "key not authorized for this action" }),
        req,
      ),
    (e: unknown) =>
      e instanceof HexApiError && e.exitCode === 4 &&
      e.message === "GET /api/auth failed: 401 key not authorized for this action",
  );
  await assert.rejects(
    () => parseTestAuthResponse(new Response(null, { status: 202 }), req),
    /GET \/api\/auth failed: unexpected 202 response/,
  );
});
