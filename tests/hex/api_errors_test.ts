import assert from "node:assert/strict";
import { HexpubError } from "../../src/errors.ts";
import {
  asObject,
  decodeJson,
  expectStatus,
  HexApiError,
  parseErrorResponse,
  renderErrors,
  safeUrl,
  stringField,
  totpReason,
  TotpRequiredError,
} from "../../src/hex/api_errors.ts";
import { buildApiRequest } from "../../src/hex/request.ts";
import type { Credential } from "../../src/hex/api_config.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const KEY = "0123456789abcdef0123456789abcdef";
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyOmFsaWNlIn0.c2lnbmF0dXJl";

function request(method: string, path: string, credential?: Credential, otp?: string) {
  return buildApiRequest({ apiUrl: "https://hex.pm/api" }, {
    method,
    path,
    credential,
    otp,
    userAgent: UA,
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

Deno.test("parseErrorResponse() renders a nested 422 as dotted paths", async () => {
  const res = json(422, {
    status: 422,
    message: "Validation error(s)",
    errors: {
      meta: { app: "can't be blank" },
      requirements: { cowboy: 'package does not exist in repository "hexpm"' },
    },
  });
  const err = await parseErrorResponse(res, request("POST", "/publish"));
  assert.ok(err instanceof HexApiError && err instanceof HexpubError);
  assert.equal(
    err.message,
    "POST /api/publish failed: 422 Validation error(s)\n" +
      "  meta.app: can't be blank\n" +
      '  requirements.cowboy: package does not exist in repository "hexpm"',
  );
  assert.equal(err.status, 422);
  assert.equal(err.serverMessage, "Validation error(s)");
  assert.deepEqual(err.errors, {
    meta: { app: "can't be blank" },
    requirements: { cowboy: 'package does not exist in repository "hexpm"' },
  });
  assert.equal(err.method, "POST");
  assert.equal(err.url, "https://hex.pm/api/publish");
  assert.equal(err.exitCode, 1);
  assert.equal(err.hint, undefined);
});

Deno.test("parseErrorResponse() keeps a plain-string errors value", async () => {
  const res = json(422, {
    status: 422,
    message: "Validation error(s)",
    errors: "not enough seats to add member",
  });
  const err = await parseErrorResponse(res, request("POST", "/orgs/acme/members"));
  assert.equal(
    err.message,
    "POST /api/orgs/acme/members failed: 422 Validation error(s)\n  not enough seats to add member",
  );
  assert.equal(err.errors, "not enough seats to add member");
});

Deno.test("renderErrors() flattens maps, lists and strings", () => {
  assert.deepEqual(renderErrors(undefined), []);
  assert.deepEqual(renderErrors(null), []);
  assert.deepEqual(renderErrors("oops"), ["oops"]);
  assert.deepEqual(renderErrors({ tar: 'missing files: ["CHECKSUM"]' }), [
    'tar: missing files: ["CHECKSUM"]',
  ]);
  assert.deepEqual(
    renderErrors({
      meta: { links: "expected type map(string)", app: "can't be blank" },
      name: ["has already been taken", "is reserved"],
      permissions: [{ resource: "invalid resource for given domain" }],
      inserted_at: "must include the --replace flag to update an existing release",
      count: 3,
    }),
    [
      "meta.links: expected type map(string)",
      "meta.app: can't be blank",
      "name: has already been taken",
      "name: is reserved",
      "permissions[0].resource: invalid resource for given domain",
      "inserted_at: must include the --replace flag to update an existing release",
      "count: 3",
    ],
  );
});

Deno.test("renderErrors() strips control characters from server text", () => {
  assert.deepEqual(renderErrors({ a: "red\u001b[31m\nnext" }), ["a: red [31m next"]);
});

Deno.test("parseErrorResponse() turns a totp_required 401 into TotpRequiredError (exit 4)", async () => {
  const res = json(401, {
    status: 401,
    message: "Two-factor authentication required. Include X-Hex-OTP header with your TOTP code.",
  }, { "www-authenticate": 'Bearer realm="hex", error="totp_required"' });
  const err = await parseErrorResponse(
    res,
    request("POST", "/keys", { kind: "oauth", accessToken: TOKEN }),
  );
  assert.ok(err instanceof TotpRequiredError);
  assert.equal(err.reason, "totp_required");
  assert.equal(err.status, 401);
  assert.equal(err.exitCode, 4);
  assert.equal(err.authenticate, 'Bearer realm="hex", error="totp_required"');
  assert.match(err.hint ?? "", /--otp CODE or HEX_OTP/);
  assert.equal(
    err.message,
    "POST /api/keys failed: 401 Two-factor authentication required. " +
      "Include X-Hex-OTP header with your TOTP code.",
  );
});

Deno.test("parseErrorResponse() reads invalid_totp", async () => {
  const res = json(401, { status: 401, message: "Invalid two-factor authentication code" }, {
    "www-authenticate": 'Bearer realm="hex", error="invalid_totp"',
  });
  const err = await parseErrorResponse(res, request("DELETE", "/keys/ci"));
  assert.ok(err instanceof TotpRequiredError);
  assert.equal(err.reason, "invalid_totp");
  assert.match(err.hint ?? "", /current one/);
});

Deno.test("parseErrorResponse() only reads TOTP challenges on a 401", async () => {
  const res = json(403, { status: 403, message: "x" }, {
    "www-authenticate": 'Bearer realm="hex", error="totp_required"',
  });
  const err = await parseErrorResponse(res, request("GET", "/users/me"));
  assert.ok(!(err instanceof TotpRequiredError));
});

Deno.test("totpReason() matches hex_core's prefixes and tolerates re-serialised headers", () => {
  assert.equal(totpReason('Bearer realm="hex", error="totp_required"'), "totp_required");
  assert.equal(totpReason('Bearer realm="hex", error="invalid_totp"'), "invalid_totp");
  assert.equal(totpReason('Bearer error="invalid_totp", realm="hex"'), "invalid_totp");
  assert.equal(totpReason('bearer realm="hex",error="totp_required"'), "totp_required");
  assert.equal(totpReason('Bearer realm="hex"'), undefined);
  assert.equal(totpReason('Bearer realm="hex", error="token_expired"'), undefined);
  assert.equal(totpReason("Basic realm=hex"), undefined);
  assert.equal(totpReason(null), undefined);
});

Deno.test("parseErrorResponse() hints at logging in on a 401 (exit 4)", async () => {
  const basic = await parseErrorResponse(
    json(401, {
      status: 401,
      message: "Basic authentication is disabled. Update your client to use OAuth or an API key.",
    }, { "www-authenticate": 'Bearer realm="hex"' }),
    request("POST", "/keys"),
  );
  assert.ok(!(basic instanceof TotpRequiredError));
  assert.equal(basic.exitCode, 4);
  assert.match(basic.hint ?? "", /hexpub user auth/);
  const invalid = await parseErrorResponse(
    json(401, { status: 401, message: "invalid API key" }, {
      "www-authenticate": "Basic realm=hex",
    }),
    request("GET", "/users/me", { kind: "key", secret: KEY }),
  );
  assert.equal(invalid.message, "GET /api/users/me failed: 401 invalid API key");
  assert.equal(invalid.hint, "Run `hexpub user auth` to log in again, or check HEX_API_KEY");
  assert.equal(invalid.authenticate, "Basic realm=hex");
  const scope = await parseErrorResponse(
    json(401, { status: 401, message: "key not authorized for this action" }),
    request("POST", "/publish", { kind: "key", secret: KEY }),
  );
  assert.match(scope.hint ?? "", /permissions do not cover this action/);
});

Deno.test("parseErrorResponse() hints for each kind of 403 (exit 1)", async () => {
  const cases: [string, boolean, RegExp][] = [
    ["Two-factor authentication must be enabled for API write access", true, /Enable two-factor/],
    ["email not verified", true, /Verify your email/],
    ["organization has no active billing subscription", true, /billing/],
    ["account not authorized for this action", false, /needs credentials/],
    ["account not authorized for this action", true, /Ask an owner/],
  ];
  for (const [message, withKey, hint] of cases) {
    const err = await parseErrorResponse(
      json(403, { status: 403, message }),
      request("POST", "/packages/foo/owners", withKey ? { kind: "key", secret: KEY } : undefined),
    );
    assert.equal(err.exitCode, 1, message);
    assert.match(err.hint ?? "", hint, message);
  }
});

Deno.test("parseErrorResponse() tells when the rate limit resets", async () => {
  const err = await parseErrorResponse(
    json(429, { status: 429, message: "API rate limit exceeded for user 123" }, {
      "x-ratelimit-limit": "500",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": "1788264060",
    }),
    request("GET", "/packages"),
  );
  assert.equal(err.message, "GET /api/packages failed: 429 API rate limit exceeded for user 123");
  assert.equal(err.rateLimitReset, 1788264060);
  assert.equal(err.hint, "Wait until 2026-09-01T12:01:00Z, when the rate limit resets, then retry");
  const totp = await parseErrorResponse(
    json(429, {
      status: 429,
      message: "Too many failed two-factor authentication attempts. Please try again later.",
    }),
    request("POST", "/keys"),
  );
  assert.match(totp.hint ?? "", /few minutes/);
  const after = await parseErrorResponse(
    new Response("", { status: 429, headers: { "retry-after": "30" } }),
    request("GET", "/packages"),
  );
  assert.equal(after.message, "GET /api/packages failed: 429 Too many requests");
  assert.equal(after.hint, "Wait 30 s, then retry");
});

Deno.test("parseErrorResponse() falls back to defaults for HTML and empty bodies, and uses plain text", async () => {
  const html = await parseErrorResponse(
    new Response("<html><body>Internal Server Error</body></html>", {
      status: 500,
      headers: { "content-type": "text/html" },
    }),
    request("GET", "/users/me"),
  );
  assert.equal(html.message, "GET /api/users/me failed: 500 Internal server error");
  assert.match(html.hint ?? "", /try again later/);
  const text = await parseErrorResponse(
    new Response("upstream connect error\n", { status: 502 }),
    request("GET", "/users/me"),
  );
  assert.equal(text.message, "GET /api/users/me failed: 502 upstream connect error");
  const empty = await parseErrorResponse(
    new Response(null, { status: 404 }),
    request("GET", "/keys/nope"),
  );
  assert.equal(empty.message, "GET /api/keys/nope failed: 404 Page not found");
  assert.match(empty.hint ?? "", /private/);
  const odd = await parseErrorResponse(
    new Response(null, { status: 418, statusText: "I'm a teapot" }),
    request("GET", "/"),
  );
  assert.equal(odd.message, "GET /api/ failed: 418 I'm a teapot");
});

Deno.test("parseErrorResponse() reads OAuth error bodies", async () => {
  const err = await parseErrorResponse(
    json(400, { error: "invalid_grant", error_description: "The refresh token is invalid" }),
    request("POST", "/oauth/token"),
  );
  assert.equal(err.code, "invalid_grant");
  assert.equal(err.serverMessage, "The refresh token is invalid");
  assert.equal(err.message, "POST /api/oauth/token failed: 400 The refresh token is invalid");
  assert.equal(err.exitCode, 4);
  const bare = await parseErrorResponse(json(400, { error: "invalid_request" }));
  assert.equal(bare.serverMessage, "invalid_request");
  assert.equal(bare.exitCode, 1);
});

Deno.test("parseErrorResponse() reports unexpected 2xx and 3xx", async () => {
  const accepted = await parseErrorResponse(
    new Response(null, { status: 202 }),
    request("DELETE", "/keys/ci"),
  );
  assert.equal(accepted.message, "DELETE /api/keys/ci failed: unexpected 202 response");
  assert.equal(accepted.status, 202);
  assert.match(accepted.hint ?? "", /HEX_API_URL/);
  const moved = await parseErrorResponse(
    new Response(null, {
      status: 302,
      headers: { location: "https://elsewhere.example/api/users/me?token=abc" },
    }),
    request("GET", "/users/me"),
  );
  assert.equal(
    moved.message,
    "GET /api/users/me failed: 302 redirect to https://elsewhere.example/api/users/me",
  );
  assert.match(moved.hint ?? "", /does not redirect/);
});

Deno.test("parseErrorResponse() works without the request", async () => {
  const err = await parseErrorResponse(new Response(null, { status: 404 }));
  assert.equal(err.message, "request failed: 404 Page not found");
  assert.equal(err.method, "");
});

Deno.test("expectStatus() passes expected statuses and throws on others", async () => {
  await expectStatus(new Response(null, { status: 204 }), undefined, [200, 204]);
  await assert.rejects(
    () => expectStatus(new Response(null, { status: 200 }), request("GET", "/"), [204]),
    (e: unknown) =>
      e instanceof HexApiError && e.message === "GET /api/ failed: unexpected 200 response",
  );
});

Deno.test("decodeJson() reports bodies that are not JSON or have the wrong shape", async () => {
  const decode = (j: unknown) => stringField(asObject(j, "the user"), "username");
  assert.equal(
    await decodeJson(json(200, { username: "alice" }), undefined, [200], decode),
    "alice",
  );
  await assert.rejects(
    () => decodeJson(new Response("<html>"), request("GET", "/users/me"), [200], decode),
    (e: unknown) =>
      e instanceof HexApiError &&
      e.message === "GET /api/users/me failed: 200 invalid response: the body is not JSON",
  );
  await assert.rejects(
    () => decodeJson(json(200, { username: 3 }), request("GET", "/users/me"), [200], decode),
    (e: unknown) =>
      e instanceof HexApiError &&
      e.message ===
        'GET /api/users/me failed: 200 invalid response: expected "username" to be a string',
  );
  await assert.rejects(
    () => decodeJson(json(200, [1]), request("GET", "/users/me"), [200], decode),
    /expected the user to be an object/,
  );
});

Deno.test("safeUrl() drops query, fragment and user info", () => {
  assert.equal(safeUrl("https://u:p@hex.pm/api/auth?domain=api#x"), "https://hex.pm/api/auth");
  assert.equal(safeUrl("not a url?secret=1"), "not a url");
});

Deno.test("no error message or JSON contains the key, token or TOTP code used", async () => {
  const credentials: Credential[] = [
    { kind: "key", secret: KEY },
    { kind: "oauth", accessToken: TOKEN },
  ];
  const secretOf = (c: Credential) => c.kind === "key" ? c.secret : c.accessToken;
  const otp = "987654";
  for (const credential of credentials) {
    const secret = secretOf(credential);
    const bodies: [number, unknown, Record<string, string>][] = [
      [401, { status: 401, message: `invalid API key ${secret}` }, {}],
      [401, { status: 401, message: `Bearer ${secret} refused; code ${otp}` }, {
        "www-authenticate": 'Bearer realm="hex", error="invalid_totp"',
      }],
      [422, {
        status: 422,
        message: "Validation error(s)",
        errors: { key: { [secret]: `echo ${secret}`, list: [secret] } },
      }, {}],
      [500, { error: "server_error", error_description: `boom ${secret}` }, {}],
      [302, {}, { location: `https://evil.example/${secret}` }],
    ];
    for (const [status, body, headers] of bodies) {
      const req = buildApiRequest({ apiUrl: "https://hex.pm/api" }, {
        method: "POST",
        path: "/keys",
        query: { q: "x" },
        credential,
        otp,
        userAgent: UA,
      });
      const err = await parseErrorResponse(json(status, body, headers), req);
      const everything = [
        err.message,
        err.hint ?? "",
        err.serverMessage,
        err.url,
        JSON.stringify(err),
        JSON.stringify(err.errors),
        String(err.stack),
      ].join("\n");
      assert.ok(!everything.includes(secret), `${status}: ${everything}`);
      assert.ok(!everything.includes(otp), `${status}: ${everything}`);
      assert.ok(!everything.includes("q=x"), `${status}: ${everything}`);
    }
  }
});
