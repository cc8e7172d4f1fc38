import assert from "node:assert/strict";
import { HexApiError } from "../../src/hex/api_errors.ts";
import {
  buildDeviceAuthorizationRequest,
  buildDeviceTokenRequest,
  buildRefreshRequest,
  buildRevokeRequest,
  DEFAULT_OAUTH_SCOPE,
  DEVICE_CODE_GRANT_TYPE,
  GLEAM_CLIENT_ID,
  MIX_CLIENT_ID,
  OAUTH_CLIENT_IDS,
  parseDeviceAuthorization,
  parseRevokeResponse,
  parseTokenPoll,
  parseTokenResponse,
  REBAR3_CLIENT_ID,
  SLOW_DOWN_INCREMENT_S,
} from "../../src/hex/oauth.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const API = "https://hex.pm/api";
const REFRESH = "refresh-6f1d2c3b4a5968778695a4b3c2d1e0f1";
const ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyOmFsaWNlIn0.c2lnbmF0dXJl";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function form(req: Request): Promise<Record<string, string>> {
  return Object.fromEntries(new URLSearchParams(await req.text()));
}

Deno.test("the known client ids and the default scope", () => {
  assert.equal(MIX_CLIENT_ID, "78ea6566-89fd-481e-a1d6-7d9d78eacca8");
  assert.equal(REBAR3_CLIENT_ID, "b9721cf5-be2f-4a65-bfa5-141698b4b9cf");
  assert.equal(GLEAM_CLIENT_ID, "877731e8-cb88-45e1-9b84-9214de7da421");
  assert.deepEqual(OAUTH_CLIENT_IDS, {
    mix: MIX_CLIENT_ID,
    rebar3: REBAR3_CLIENT_ID,
    gleam: GLEAM_CLIENT_ID,
  });
  assert.equal(DEFAULT_OAUTH_SCOPE, "api repositories");
  assert.equal(DEVICE_CODE_GRANT_TYPE, "urn:ietf:params:oauth:grant-type:device_code");
  assert.equal(SLOW_DOWN_INCREMENT_S, 5);
});

Deno.test("buildDeviceAuthorizationRequest() posts a form with client_id, scope and name", async () => {
  const req = buildDeviceAuthorizationRequest(`${API}/`, {
    clientId: REBAR3_CLIENT_ID,
    name: "laptop",
    userAgent: UA,
  });
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/oauth/device_authorization");
  assert.equal(req.headers.get("content-type"), "application/x-www-form-urlencoded");
  assert.equal(req.headers.get("accept"), "application/json");
  assert.equal(req.headers.get("user-agent"), UA);
  assert.equal(req.headers.has("authorization"), false);
  assert.equal(req.redirect, "manual");
  assert.deepEqual(await form(req), {
    client_id: REBAR3_CLIENT_ID,
    scope: "api repositories",
    name: "laptop",
  });
  const narrow = buildDeviceAuthorizationRequest(API, {
    clientId: MIX_CLIENT_ID,
    scope: "api:read",
    userAgent: UA,
  });
  assert.deepEqual(await form(narrow), { client_id: MIX_CLIENT_ID, scope: "api:read" });
});

Deno.test("parseDeviceAuthorization() reads the codes and timings", async () => {
  const auth = await parseDeviceAuthorization(json(200, {
    device_code: "dc-secret",
    user_code: "BCDF2345",
    verification_uri: "https://hex.pm/oauth/device",
    verification_uri_complete: "https://hex.pm/oauth/device?user_code=BCDF2345",
    expires_in: 600,
    interval: 5,
  }));
  assert.deepEqual(auth, {
    deviceCode: "dc-secret",
    userCode: "BCDF2345",
    verificationUri: "https://hex.pm/oauth/device",
    verificationUriComplete: "https://hex.pm/oauth/device?user_code=BCDF2345",
    expiresIn: 600,
    interval: 5,
  });
  const minimal = await parseDeviceAuthorization(json(200, {
    device_code: "d",
    user_code: "u",
    verification_uri: "https://hex.pm/oauth/device",
    expires_in: 600,
  }));
  assert.equal(minimal.interval, 5);
  assert.equal(minimal.verificationUriComplete, undefined);
});

Deno.test("parseDeviceAuthorization() reports invalid_client (exit 4) and bad bodies", async () => {
  const req = buildDeviceAuthorizationRequest(API, { clientId: "nope", userAgent: UA });
  const err = await parseDeviceAuthorization(
    json(401, { error: "invalid_client", error_description: "Invalid client" }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.code, "invalid_client");
  assert.equal(err.exitCode, 4);
  assert.equal(err.message, "POST /api/oauth/device_authorization failed: 401 Invalid client");
  await assert.rejects(
    () => parseDeviceAuthorization(json(200, { device_code: "d" }), req),
    /expected "user_code" to be a string/,
  );
});

Deno.test("buildDeviceTokenRequest() polls with the device-code grant", async () => {
  const req = buildDeviceTokenRequest(API, {
    clientId: REBAR3_CLIENT_ID,
    deviceCode: "dc-secret",
    userAgent: UA,
  });
  assert.equal(req.url, "https://hex.pm/api/oauth/token");
  assert.deepEqual(await form(req), {
    grant_type: "urn:ietf:params:oauth:grant-type:device_code",
    device_code: "dc-secret",
    client_id: REBAR3_CLIENT_ID,
  });
});

Deno.test("parseTokenPoll() returns the tokens when approved", async () => {
  const poll = await parseTokenPoll(json(200, {
    access_token: ACCESS,
    token_type: "bearer",
    expires_in: 1800,
    scope: "api:read api:write repository:acme",
    refresh_token: REFRESH,
  }));
  assert.deepEqual(poll, {
    kind: "done",
    tokens: {
      accessToken: ACCESS,
      tokenType: "bearer",
      refreshToken: REFRESH,
      expiresIn: 1800,
      scope: "api:read api:write repository:acme",
    },
  });
});

Deno.test("parseTokenPoll() maps pending, slow_down, denied and expired", async () => {
  const cases: [number, string, string][] = [
    [400, "authorization_pending", "pending"],
    [400, "slow_down", "slow_down"],
    [403, "access_denied", "denied"],
    [400, "expired_token", "expired"],
  ];
  for (const [status, error, kind] of cases) {
    const poll = await parseTokenPoll(
      json(status, { error, error_description: "..." }),
    );
    assert.deepEqual(poll, { kind }, error);
  }
});

Deno.test("parseTokenPoll() throws on other errors and statuses", async () => {
  const req = buildDeviceTokenRequest(API, {
    clientId: REBAR3_CLIENT_ID,
    deviceCode: "dc-secret",
    userAgent: UA,
  });
  const grant = await parseTokenPoll(
    json(400, { error: "invalid_grant", error_description: "Invalid device code" }),
    req,
  ).catch((e) => e);
  assert.ok(grant instanceof HexApiError);
  assert.equal(grant.code, "invalid_grant");
  assert.equal(grant.message, "POST /api/oauth/token failed: 400 Invalid device code");
  await assert.rejects(
    () => parseTokenPoll(json(500, { error: "server_error" }), req),
    (e: unknown) => e instanceof HexApiError && e.status === 500,
  );
  await assert.rejects(
    () => parseTokenPoll(json(500, { error: "authorization_pending" }), req),
    (e: unknown) => e instanceof HexApiError && e.status === 500,
  );
  await assert.rejects(
    () => parseTokenPoll(new Response("not json", { status: 400 }), req),
    /400 not json/,
  );
  await assert.rejects(
    () => parseTokenPoll(new Response(null, { status: 204 }), req),
    /unexpected 204 response/,
  );
  await assert.rejects(
    () => parseTokenPoll(json(200, { token_type: "bearer" }), req),
    /expected "access_token" to be a string/,
  );
});

Deno.test("buildRefreshRequest() and parseTokenResponse() rotate tokens", async () => {
  const req = buildRefreshRequest(API, {
    clientId: REBAR3_CLIENT_ID,
    refreshToken: REFRESH,
    userAgent: UA,
  });
  assert.equal(req.url, "https://hex.pm/api/oauth/token");
  assert.equal(req.method, "POST");
  assert.deepEqual(await form(req), {
    grant_type: "refresh_token",
    refresh_token: REFRESH,
    client_id: REBAR3_CLIENT_ID,
  });
  const tokens = await parseTokenResponse(json(200, {
    access_token: "new-access",
    token_type: "bearer",
    expires_in: 1800,
    scope: "api:read api:write",
    refresh_token: "new-refresh",
  }));
  assert.equal(tokens.refreshToken, "new-refresh");
  assert.equal(tokens.accessToken, "new-access");
});

Deno.test("parseTokenResponse() reports an expired refresh token as an auth error without the token", async () => {
  const req = buildRefreshRequest(API, {
    clientId: REBAR3_CLIENT_ID,
    refreshToken: REFRESH,
    userAgent: UA,
  });
  const err = await parseTokenResponse(
    json(400, { error: "invalid_grant", error_description: "Invalid refresh token" }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.exitCode, 4);
  assert.equal(err.code, "invalid_grant");
  assert.match(err.hint ?? "", /hexpub user auth/);
  assert.ok(!JSON.stringify([err, err.message, err.hint]).includes(REFRESH));
});

Deno.test("buildRevokeRequest() and parseRevokeResponse() accept 200 with an empty body", async () => {
  const req = buildRevokeRequest(API, {
    clientId: REBAR3_CLIENT_ID,
    token: REFRESH,
    userAgent: UA,
  });
  assert.equal(req.url, "https://hex.pm/api/oauth/revoke");
  assert.deepEqual(await form(req), { token: REFRESH, client_id: REBAR3_CLIENT_ID });
  await parseRevokeResponse(new Response("", { status: 200 }));
  await parseRevokeResponse(json(200, {}));
  for (const status of [201, 204, 302]) {
    await assert.rejects(
      () => parseRevokeResponse(new Response(null, { status }), req),
      (e: unknown) => e instanceof HexApiError && e.status === status,
    );
  }
  await assert.rejects(
    () => parseRevokeResponse(json(401, { error: "invalid_client" }), req),
    /POST \/api\/oauth\/revoke failed: 401 invalid_client/,
  );
});
