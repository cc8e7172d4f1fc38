/**
 * Tests of the fake Hex server itself, so that an end-to-end failure against it
 * points at hexpub, not at the fake.
 */
import { strict as assert } from "node:assert";
import {
  DroppedConnectionError,
  FakeHex,
  type FakeHexOptions,
  REBAR3_CLIENT_ID,
} from "./fake_hex.ts";
import { callFake as call } from "./_call_fake.ts";
import { base32Decode, base32Encode, hotpCode, totpCode } from "./totp.ts";
import {
  cleanEnv,
  configDirOf,
  hexEnv,
  makeHome,
  runHexpub,
  spawnHexpub,
  withFakeHex,
} from "../support/e2e.ts";

/** 2026-11-22T12:00:00Z: aligned to the minute, so to TOTP steps and rate windows. */
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/**
 * alice: 2FA, admin of acme, owns hexpm/foo and acme/secret. bob: no 2FA, reader of acme.
 * carol: no organizations. broke: an org without billing, carol is admin.
 */
function seeded(options: FakeHexOptions = {}) {
  let now = T0;
  const fake = new FakeHex({ clock: () => now, ...options });
  const alice = fake.addUser({ username: "alice", twoFactor: true, publicEmail: true });
  fake.addUser({ username: "bob" });
  fake.addUser({ username: "carol", fullName: "Carol C" });
  fake.addOrg({ name: "acme", members: { alice: "admin", bob: "read" } });
  fake.addOrg({ name: "widgets", members: { bob: "write" } });
  fake.addOrg({ name: "broke", billingActive: false, members: { carol: "admin" } });
  fake.addPackage({ name: "foo", owners: ["alice"] });
  fake.addPackage({ name: "secret", repository: "acme", owners: ["alice"] });
  const aliceKey = fake.addKey({ owner: "alice", name: "laptop" });
  return {
    fake,
    alice,
    aliceKey: aliceKey.secret,
    setNow(t: number) {
      now = t;
    },
  };
}

/** Starts rebar3's device authorization for `scope` (with more form fields). */
function startDevice(fake: FakeHex, scope: string, more: Record<string, string> = {}) {
  return call(fake, "POST", "/oauth/device_authorization", {
    form: { client_id: REBAR3_CLIENT_ID, scope, ...more },
  });
}

/** Polls the token endpoint for `device_code` (as rebar3, unless `client_id`). */
function pollDevice(fake: FakeHex, device_code: string, client_id: string = REBAR3_CLIENT_ID) {
  return call(fake, "POST", "/oauth/token", {
    form: { grant_type: DEVICE_GRANT, device_code, client_id },
  });
}

async function deviceLogin(
  fake: FakeHex,
  user: string,
  scope = "api repositories",
): Promise<{ access_token: string; refresh_token: string; scope: string }> {
  const start = await startDevice(fake, scope, { name: "laptop" });
  assert.equal(start.status, 200);
  fake.approveDevice(start.body.user_code, { user });
  const done = await pollDevice(fake, start.body.device_code);
  assert.equal(done.status, 200, done.text);
  return done.body;
}

// ------------------------------------------------------------------ TOTP

Deno.test("totpCode() matches the RFC 6238 SHA-1 test vectors", async () => {
  const raw = new TextEncoder().encode("12345678901234567890");
  assert.equal(await totpCode(raw, 59_000, { digits: 8 }), "94287082");
  assert.equal(await totpCode(raw, 59_000), "287082");
  assert.equal(await totpCode(raw, 1111111109_000, { digits: 8 }), "07081804");
  assert.equal(await totpCode(raw, 1234567890_000, { digits: 8 }), "89005924");
  assert.equal(await totpCode(raw, 2000000000_000, { digits: 8 }), "69279037");
  // The same key as base32, as authenticator apps and hex.pm store it.
  assert.equal(base32Encode(raw), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  assert.equal(await totpCode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", 59_000), "287082");
  // RFC 4226 appendix D.
  assert.equal(await hotpCode(raw, 0), "755224");
  assert.equal(await hotpCode(raw, 9), "520489");
});

Deno.test("base32 round-trips and refuses foreign characters", () => {
  for (const n of [0, 1, 5, 10, 20, 33]) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    assert.deepEqual(base32Decode(base32Encode(bytes)), bytes);
  }
  assert.deepEqual(base32Decode("MZXW6===").length, 3);
  assert.throws(() => base32Decode("MZ1W"), SyntaxError);
});

// ------------------------------------------------------------------ users

Deno.test("GET /users/me returns the user with organizations and packages", async () => {
  const { fake, aliceKey } = seeded();
  const r = await call(fake, "GET", "/users/me", { key: aliceKey });
  assert.equal(r.status, 200);
  assert.equal(r.body.username, "alice");
  assert.equal(r.body.email, "alice@example.com");
  assert.equal(r.body.url, "http://hex.test/api/users/alice");
  assert.deepEqual(r.body.organizations, [{ name: "acme", role: "admin" }]);
  assert.deepEqual(r.body.packages.map((p: { name: string }) => p.name), ["foo", "secret"]);
  assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(r.headers.get("x-ratelimit-limit"), "500");
  assert.equal(r.headers.get("x-ratelimit-remaining"), "499");
  assert.equal(r.headers.get("x-ratelimit-reset"), String(T0 / 1000 + 60));
});

Deno.test("authentication failures are 401 with hex.pm's messages and challenges", async () => {
  const { fake } = seeded();
  const missing = await call(fake, "GET", "/users/me");
  assert.equal(missing.status, 401);
  assert.deepEqual(missing.body, { status: 401, message: "missing authentication information" });
  assert.equal(missing.headers.get("www-authenticate"), "Basic realm=hex");
  assert.equal(missing.headers.get("x-ratelimit-limit"), null, "no rate headers on 401");

  const badKey = await call(fake, "GET", "/users/me", { key: "0".repeat(32) });
  assert.equal(badKey.status, 401);
  assert.equal(badKey.body.message, "invalid API key");

  const badBearer = await call(fake, "GET", "/users/me", { bearer: "nope.nope.nope" });
  assert.equal(badBearer.status, 401);
  assert.equal(badBearer.body.message, "invalid API key");
  assert.equal(badBearer.headers.get("www-authenticate"), "Basic realm=hex");

  const basic = await call(fake, "GET", "/users/me", { authorization: `Basic ${btoa("a:b")}` });
  assert.equal(basic.status, 401);
  assert.match(basic.body.message, /^Basic authentication is disabled/);
  assert.equal(basic.headers.get("www-authenticate"), 'Bearer realm="hex"');
  // A bad credential fails even on a public route.
  assert.equal((await call(fake, "GET", "/users/alice", { key: "bad" })).status, 401);
});

Deno.test("GET /users/:name shows public users; unknown is 404 Page not found", async () => {
  const { fake } = seeded();
  const r = await call(fake, "GET", "/users/carol");
  assert.equal(r.status, 200);
  assert.equal(r.body.full_name, "Carol C");
  assert.equal("email" in r.body, false, "email shown only when public");
  assert.equal("organizations" in r.body, false);
  assert.deepEqual(r.body.packages, []);
  const alice = await call(fake, "GET", "/users/alice");
  assert.deepEqual(alice.body.packages.map((p: { name: string }) => p.name), ["foo"]);
  const byEmail = await call(fake, "GET", "/users/alice@example.com");
  assert.equal(byEmail.body.username, "alice");
  const none = await call(fake, "GET", "/users/nobody");
  assert.equal(none.status, 404);
  assert.deepEqual(none.body, { status: 404, message: "Page not found" });
  fake.verify();
});

Deno.test("POST /users registers (201, Location) and validates with 422", async () => {
  const { fake } = seeded();
  const ok = await call(fake, "POST", "/users", {
    json: { username: "Dave", email: "dave@example.com", password: "hunter22!" },
  });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.username, "dave");
  assert.equal(ok.headers.get("location"), "/api/users/dave");
  assert.equal(fake.users.get("dave")?.emailVerified, false);
  fake.assertNoSecretIn("nothing here");
  assert.throws(() => fake.assertNoSecretIn("pw hunter22!"), /registration password/);

  const cases: [Record<string, string>, Record<string, unknown>][] = [
    [{ username: "alice", email: "x@y.z", password: "longenough" }, {
      username: "has already been taken",
    }],
    [{ username: "no way", email: "x@y.z", password: "longenough" }, {
      username: "has invalid format",
    }],
    [{ username: "ab", email: "x@y.z", password: "longenough" }, {
      username: "should be at least 3 character(s)",
    }],
    [{ username: "hexpm", email: "x@y.z", password: "longenough" }, { username: "is reserved" }],
    [{ username: "erin", email: "x@y.z", password: "short" }, {
      password: "should be at least 8 character(s)",
    }],
    [{ username: "erin", email: "alice@example.com", password: "longenough" }, {
      emails: { email: "has already been taken" },
    }],
  ];
  for (const [json, errors] of cases) {
    const r = await call(fake, "POST", "/users", { json });
    assert.equal(r.status, 422, JSON.stringify(json));
    assert.deepEqual(r.body, { status: 422, message: "Validation error(s)", errors });
  }
});

Deno.test("an unverified email gets 403 on authenticated reads", async () => {
  const fake = new FakeHex();
  fake.addUser({ username: "newbie", emailVerified: false });
  const key = fake.addKey({ owner: "newbie" });
  const r = await call(fake, "GET", "/users/me", { key: key.secret });
  assert.equal(r.status, 403);
  assert.equal(r.body.message, "email not verified");
});

Deno.test("requests without User-Agent get 400 and no rate headers", async () => {
  const fake = new FakeHex();
  const res = await fake.handler(new Request("http://hex.test/api/users/x"));
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { status: 400, message: "User-Agent header is required" });
  assert.equal(res.headers.get("x-ratelimit-limit"), null);
});

// ------------------------------------------------------------------ GET /auth

Deno.test("GET /auth: 200 with key and owner for keys, 204 for OAuth, checks domain and access", async () => {
  const { fake, aliceKey } = seeded();
  const r = await call(fake, "GET", "/auth?domain=api&resource=write", { key: aliceKey });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { key: { name: "laptop", owner: { type: "user", name: "alice" } } });
  assert.ok(r.headers.get("x-hex-key-id"));

  const tokens = await deviceLogin(fake, "alice");
  const o = await call(fake, "GET", "/auth?domain=repository&resource=acme", {
    bearer: tokens.access_token,
  });
  assert.equal(o.status, 204);
  assert.equal(o.text, "");

  assert.equal((await call(fake, "GET", "/auth", { key: aliceKey })).status, 400);
  assert.equal((await call(fake, "GET", "/auth?domain=api")).status, 401);

  const readKey =
    fake.addKey({ owner: "alice", permissions: [{ domain: "api", resource: "read" }] })
      .secret;
  const w = await call(fake, "GET", "/auth?domain=api&resource=write", { key: readKey });
  assert.equal(w.status, 401);
  assert.equal(w.body.message, "key not authorized for this action");

  // The key allows all repositories, but alice is no member of widgets.
  const repos = fake.addKey({
    owner: "alice",
    permissions: [{ domain: "repositories", resource: null }],
  });
  const widgets = await call(fake, "GET", "/auth?domain=repository&resource=widgets", {
    key: repos.secret,
  });
  assert.equal(widgets.status, 403);
  assert.equal(widgets.body.message, "account not authorized for this action");
  const acme = await call(fake, "GET", "/auth?domain=repository&resource=acme", {
    key: repos.secret,
  });
  assert.equal(acme.status, 200);

  const carolKey = fake.addKey({ owner: "carol" }).secret;
  const broke = await call(fake, "GET", "/auth?domain=repository&resource=broke", {
    key: fake.addKey({ owner: "carol", permissions: [{ domain: "repository", resource: "broke" }] })
      .secret,
  });
  assert.equal(broke.status, 403);
  assert.equal(broke.body.message, "organization has no active billing subscription");
  const pkg = await call(fake, "GET", "/auth?domain=package&resource=foo", { key: carolKey });
  assert.equal(pkg.status, 403, "carol does not own foo");
});

// ------------------------------------------------------------------ keys

Deno.test("POST /keys returns 201 with the secret once and renames collisions", async () => {
  const { fake, aliceKey } = seeded();
  const first = await call(fake, "POST", "/keys", { key: aliceKey, json: { name: "ci" } });
  assert.equal(first.status, 201);
  assert.match(first.body.secret, /^[0-9a-f]{32}$/);
  assert.equal(first.headers.get("location"), "/api/keys/ci");
  assert.deepEqual(first.body.permissions, [{ domain: "api", resource: null }]);
  assert.equal(first.body.authing_key, false);
  assert.equal(first.body.revoke_at, null);
  assert.equal(first.body.url, "http://hex.test/api/keys/ci");
  assert.equal(first.body.last_use, null);

  const second = await call(fake, "POST", "/keys", { key: aliceKey, json: { name: "ci" } });
  assert.equal(second.body.name, "ci-2");
  const third = await call(fake, "POST", "/keys", { key: aliceKey, json: { name: "ci" } });
  assert.equal(third.body.name, "ci-3");

  const list = await call(fake, "GET", "/keys", { key: aliceKey });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.map((k: { name: string }) => k.name), [
    "ci",
    "ci-2",
    "ci-3",
    "laptop",
  ]);
  for (const k of list.body) assert.equal(k.secret, null, "secrets only on create");
  assert.deepEqual(list.body.map((k: { authing_key: boolean }) => k.authing_key), [
    false,
    false,
    false,
    true,
  ]);
  const laptop = list.body.find((k: { name: string }) => k.name === "laptop");
  assert.equal(laptop.last_use.ip, "127.0.0.1");
  assert.equal(laptop.last_use.user_agent, "hexpub-test/0");

  // A new key works at once; the secret is in the fake's secret list.
  const r = await call(fake, "GET", "/users/me", { key: first.body.secret });
  assert.equal(r.status, 200);
  assert.throws(() => fake.assertNoSecretIn(`oops ${first.body.secret}`), /API key "ci"/);
});

Deno.test("POST /keys form bodies, revoke_at and blank names", async () => {
  const { fake, aliceKey } = seeded();
  const blank = await call(fake, "POST", "/keys", { key: aliceKey, json: {} });
  assert.equal(blank.status, 422);
  assert.deepEqual(blank.body.errors, { name: "can't be blank" });
  const past = await call(fake, "POST", "/keys", {
    key: aliceKey,
    json: { name: "x", revoke_at: new Date(T0 - 1000).toISOString() },
  });
  assert.deepEqual(past.body.errors, { revoke_at: "must be in the future" });
  const later = await call(fake, "POST", "/keys", {
    key: aliceKey,
    json: { name: "temp", revoke_at: new Date(T0 + 60_000).toISOString() },
  });
  assert.equal(later.status, 201);
  assert.equal(later.body.revoke_at, new Date(T0 + 60_000).toISOString());
  fake.advanceClock(61_000);
  const expired = await call(fake, "GET", "/users/me", { key: later.body.secret });
  assert.equal(expired.status, 401);
  assert.equal(expired.body.message, "API key revoked");
  const form = await call(fake, "POST", "/keys", { key: aliceKey, form: { name: "fromform" } });
  assert.equal(form.status, 201);
  assert.equal(form.body.name, "fromform");
});

Deno.test("POST /keys refuses invalid permission shapes with hexpm's 422 messages", async () => {
  const { fake, aliceKey } = seeded();
  const bad = async (permissions: unknown) => {
    const r = await call(fake, "POST", "/keys", {
      key: aliceKey,
      json: { name: "k", permissions },
    });
    assert.equal(r.status, 422, JSON.stringify(permissions));
    assert.equal(r.body.message, "Validation error(s)");
    return r.body.errors;
  };
  const shape = { permissions: { resource: "invalid resource for given domain" } };
  assert.deepEqual(await bad([{ domain: "api", resource: "admin" }]), shape);
  assert.deepEqual(await bad([{ domain: "repositories", resource: "acme" }]), shape);
  assert.deepEqual(await bad([{ domain: "repository" }]), shape);
  assert.deepEqual(await bad([{ domain: "nope" }]), { permissions: { domain: "is invalid" } });
  assert.deepEqual(await bad([{ domain: "repository", resource: "widgets" }]), {
    permissions: { resource: "you do not have access to this repository" },
  });
  assert.deepEqual(await bad([{ domain: "docs", resource: "ghost" }]), {
    permissions: { resource: "you do not have access to this repository" },
  });
  assert.deepEqual(await bad([{ domain: "package", resource: "hexpm/bar" }]), {
    permissions: { resource: "you do not have access to this package" },
  });
  assert.deepEqual(await bad("api"), { permissions: "is invalid" });

  const ok = await call(fake, "POST", "/keys", {
    key: aliceKey,
    json: {
      name: "scoped",
      permissions: [
        { domain: "api", resource: "read" },
        { domain: "repository", resource: "acme" },
        { domain: "package", resource: "foo" },
        { domain: "repositories" },
      ],
    },
  });
  assert.equal(ok.status, 201);
  assert.deepEqual(ok.body.permissions, [
    { domain: "api", resource: "read" },
    { domain: "repository", resource: "acme" },
    { domain: "package", resource: "hexpm/foo" },
    { domain: "repositories", resource: null },
  ]);
});

Deno.test("key permissions gate reads and writes", async () => {
  const { fake } = seeded();
  const read = fake.addKey({ owner: "alice", permissions: [{ domain: "api", resource: "read" }] });
  assert.equal((await call(fake, "GET", "/keys", { key: read.secret })).status, 200);
  const w = await call(fake, "POST", "/keys", { key: read.secret, json: { name: "x" } });
  assert.equal(w.status, 401);
  assert.equal(w.body.message, "key not authorized for this action");
  assert.equal(w.headers.get("www-authenticate"), "Basic realm=hex");

  const repo = fake.addKey({
    owner: "alice",
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  assert.equal((await call(fake, "GET", "/users/me", { key: repo.secret })).status, 401);
  const pkg = fake.addKey({
    owner: "alice",
    permissions: [{ domain: "package", resource: "hexpm/foo" }],
  });
  assert.equal((await call(fake, "GET", "/users/me", { key: pkg.secret })).status, 200);
  assert.equal(
    (await call(fake, "DELETE", "/keys/laptop", { key: pkg.secret })).status,
    401,
    "a package key cannot revoke keys",
  );
});

Deno.test("GET and DELETE /keys/:name; DELETE /keys revokes all and returns the authing key", async () => {
  const { fake, aliceKey } = seeded();
  fake.addKey({ owner: "alice", name: "old" });
  const got = await call(fake, "GET", "/keys/old", { key: aliceKey });
  assert.equal(got.status, 200);
  assert.equal(got.body.name, "old");
  assert.equal((await call(fake, "GET", "/keys/ghost", { key: aliceKey })).status, 404);

  const del = await call(fake, "DELETE", "/keys/old", { key: aliceKey });
  assert.equal(del.status, 200);
  assert.equal(del.body.name, "old");
  assert.equal(del.body.revoke_at, new Date(T0 - 1000).toISOString());
  assert.equal((await call(fake, "DELETE", "/keys/old", { key: aliceKey })).status, 404);
  assert.equal((await call(fake, "GET", "/keys/old", { key: aliceKey })).status, 404);

  // Revoked names are free again.
  const again = await call(fake, "POST", "/keys", { key: aliceKey, json: { name: "old" } });
  assert.equal(again.body.name, "old");

  const all = await call(fake, "DELETE", "/keys", { key: aliceKey });
  assert.equal(all.status, 200);
  assert.equal(all.body.name, "laptop");
  assert.equal(all.body.authing_key, true);
  assert.notEqual(all.body.revoke_at, null);
  const after = await call(fake, "GET", "/keys", { key: aliceKey });
  assert.equal(after.status, 401);
  assert.equal(after.body.message, "API key revoked");
  assert.ok(fake.keys.filter((k) => k.owner.name === "alice").every((k) => fake.isKeyRevoked(k)));
  // Unauthenticated writes: POST 403 (§9); DELETE needs authentication (401).
  assert.equal((await call(fake, "POST", "/keys", { json: { name: "x" } })).status, 403);
  assert.equal((await call(fake, "DELETE", "/keys/x")).status, 401);
});

Deno.test("organization keys: role checks, org credentials and path rules", async () => {
  const { fake, aliceKey } = seeded();
  const created = await call(fake, "POST", "/orgs/acme/keys", {
    key: aliceKey,
    json: { name: "ci", permissions: [{ domain: "repository", resource: "acme" }] },
  });
  assert.equal(created.status, 201);
  assert.deepEqual(fake.keys.at(-1)?.owner, { type: "organization", name: "acme" });
  const wrongRepo = await call(fake, "POST", "/orgs/acme/keys", {
    key: aliceKey,
    json: { name: "ci", permissions: [{ domain: "repository", resource: "widgets" }] },
  });
  assert.equal(wrongRepo.status, 422);

  const bobKey = fake.addKey({ owner: "bob" }).secret;
  assert.equal((await call(fake, "GET", "/orgs/acme/keys", { key: bobKey })).status, 200);
  const readOnly = await call(fake, "POST", "/orgs/acme/keys", {
    key: bobKey,
    json: { name: "x" },
  });
  assert.equal(readOnly.status, 403);
  assert.equal(readOnly.body.message, "account not authorized for this action");
  assert.equal(
    (await call(fake, "POST", "/orgs/widgets/keys", { key: bobKey, json: { name: "w" } })).status,
    201,
  );
  assert.equal((await call(fake, "GET", "/orgs/widgets/keys", { key: aliceKey })).status, 404);
  assert.equal((await call(fake, "GET", "/orgs/ghost/keys", { key: aliceKey })).status, 404);

  const orgKey = created.body.secret;
  const listed = await call(fake, "GET", "/orgs/acme/keys", { key: aliceKey });
  assert.deepEqual(listed.body.map((k: { name: string }) => k.name), ["ci"]);
  // An org key with only repository:acme cannot use the API.
  assert.equal((await call(fake, "GET", "/orgs/acme/keys", { key: orgKey })).status, 401);
  const apiOrgKey = fake.addKey({ owner: { organization: "acme" }, name: "admin" }).secret;
  assert.equal((await call(fake, "GET", "/orgs/acme/keys", { key: apiOrgKey })).status, 200);
  assert.equal((await call(fake, "GET", "/keys", { key: apiOrgKey })).status, 404);
  assert.equal((await call(fake, "GET", "/orgs/widgets/keys", { key: apiOrgKey })).status, 404);
  const who = await call(fake, "GET", "/auth?domain=repository&resource=acme", { key: orgKey });
  assert.deepEqual(who.body.key.owner, { type: "organization", name: "acme" });
  const revoked = await call(fake, "DELETE", "/orgs/acme/keys/ci", { key: aliceKey });
  assert.equal(revoked.status, 200);
});

// ------------------------------------------------------------------ organizations

Deno.test("GET /orgs lists the caller's organizations; GET /orgs/:org needs membership", async () => {
  const { fake, aliceKey } = seeded();
  const bobKey = fake.addKey({ owner: "bob" }).secret;
  const mine = await call(fake, "GET", "/orgs", { key: bobKey });
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.body, [
    {
      name: "acme",
      billing_active: true,
      inserted_at: new Date(T0).toISOString(),
      updated_at: new Date(T0).toISOString(),
    },
    {
      name: "widgets",
      billing_active: true,
      inserted_at: new Date(T0).toISOString(),
      updated_at: new Date(T0).toISOString(),
    },
  ]);
  assert.deepEqual((await call(fake, "GET", "/orgs")).body, []);
  const acme = await call(fake, "GET", "/orgs/acme", { key: aliceKey });
  assert.equal(acme.status, 200);
  assert.equal(acme.body.seats, 10);
  assert.equal((await call(fake, "GET", "/orgs/widgets", { key: aliceKey })).status, 404);
  assert.equal((await call(fake, "GET", "/orgs/acme")).status, 404);
  assert.equal((await call(fake, "GET", "/orgs/ghost", { key: aliceKey })).status, 404);
});

// ------------------------------------------------------------------ TOTP on OAuth writes

Deno.test("OAuth writes need x-hex-otp: totp_required, invalid_totp, then success", async () => {
  const { fake } = seeded();
  const { access_token } = await deviceLogin(fake, "alice");
  const missing = await call(fake, "POST", "/keys", { bearer: access_token, json: { name: "k" } });
  assert.equal(missing.status, 401);
  assert.equal(
    missing.headers.get("www-authenticate"),
    'Bearer realm="hex", error="totp_required"',
  );
  assert.equal(
    missing.body.message,
    "Two-factor authentication required. Include X-Hex-OTP header with your TOTP code.",
  );
  const wrong = await call(fake, "POST", "/keys", {
    bearer: access_token,
    otp: "000000" === (await fake.totp("alice")) ? "111111" : "000000",
    json: { name: "k" },
  });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get("www-authenticate"), 'Bearer realm="hex", error="invalid_totp"');
  assert.equal(wrong.body.message, "Invalid two-factor authentication code");
  const ok = await call(fake, "POST", "/keys", {
    bearer: access_token,
    otp: await fake.totp("alice"),
    json: { name: "k" },
  });
  assert.equal(ok.status, 201);
  // Reads never need a code.
  assert.equal((await call(fake, "GET", "/keys", { bearer: access_token })).status, 200);
});

Deno.test("TOTP codes are accepted from one step before to three steps after now", async () => {
  const { fake, alice } = seeded();
  fake.advanceClock(10_000);
  const { access_token } = await deviceLogin(fake, "alice");
  const now = fake.now();
  const attempt = async (offsetSteps: number) =>
    (await call(fake, "DELETE", "/keys/ghost", {
      bearer: access_token,
      otp: await totpCode(alice.totpSecret!, now + offsetSteps * 30_000),
    })).status;
  assert.equal(await attempt(-1), 404, "passes TOTP, then the key is unknown");
  assert.equal(await attempt(0), 404);
  assert.equal(await attempt(3), 404);
  assert.equal(await attempt(-2), 401);
  assert.equal(await attempt(4), 401);
});

Deno.test("TOTP: users without 2FA get 403, API keys are exempt, five failures lock out", async () => {
  const { fake } = seeded();
  const bob = fake.issueToken({ user: "bob", scopes: ["api"] });
  const noTfa = await call(fake, "POST", "/keys", {
    bearer: bob.access_token,
    json: { name: "x" },
  });
  assert.equal(noTfa.status, 403);
  assert.equal(
    noTfa.body.message,
    "Two-factor authentication must be enabled for API write access",
  );

  const bobKey = fake.addKey({ owner: "bob" }).secret;
  assert.equal(
    (await call(fake, "POST", "/keys", { key: bobKey, json: { name: "x" } })).status,
    201,
  );
  const secret = fake.setTwoFactor("bob", true)!;
  const withTfa = await call(fake, "POST", "/keys", {
    bearer: bob.access_token,
    otp: await totpCode(secret, fake.now()),
    json: { name: "y" },
  });
  assert.equal(withTfa.status, 201);
  assert.equal(fake.setTwoFactor("bob", false), undefined);

  const { access_token } = await deviceLogin(fake, "alice");
  const good = await fake.totp("alice");
  const bad = good === "123456" ? "654321" : "123456";
  for (let i = 0; i < 5; i++) {
    const r = await call(fake, "DELETE", "/keys/x", { bearer: access_token, otp: bad });
    assert.equal(r.status, 401);
  }
  const locked = await call(fake, "DELETE", "/keys/x", { bearer: access_token, otp: good });
  assert.equal(locked.status, 429);
  assert.match(locked.body.message, /Too many failed two-factor/);
  fake.advanceClock(10 * 60_000 + 1);
  const unlocked = await call(fake, "DELETE", "/keys/x", {
    bearer: access_token,
    otp: await fake.totp("alice"),
  });
  assert.equal(unlocked.status, 404);
});

// ------------------------------------------------------------------ device flow

Deno.test("device flow: authorization, pending, approval, token with granted scopes", async () => {
  const { fake } = seeded();
  const start = await call(fake, "POST", "/oauth/device_authorization", {
    form: { client_id: REBAR3_CLIENT_ID, scope: "api repositories", name: "laptop" },
  });
  assert.equal(start.status, 200);
  assert.deepEqual(Object.keys(start.body).sort(), [
    "device_code",
    "expires_in",
    "interval",
    "user_code",
    "verification_uri",
    "verification_uri_complete",
  ]);
  assert.match(start.body.user_code, /^[23456789BCDFGHJKLMNPQRSTVWXYZ]{8}$/);
  assert.equal(start.body.expires_in, 600);
  assert.equal(start.body.interval, 5);
  assert.equal(start.body.verification_uri, "http://hex.test/oauth/device");
  assert.equal(
    start.body.verification_uri_complete,
    `http://hex.test/oauth/device?user_code=${start.body.user_code}`,
  );
  assert.equal(fake.lastDevice()?.name, "laptop");

  const poll = () =>
    call(fake, "POST", "/oauth/token", {
      json: {
        grant_type: DEVICE_GRANT,
        device_code: start.body.device_code,
        client_id: REBAR3_CLIENT_ID,
      },
    });
  const pending = await poll();
  assert.equal(pending.status, 400);
  assert.deepEqual(pending.body, {
    error: "authorization_pending",
    error_description: "Authorization pending",
  });
  const dashed = `${start.body.user_code.slice(0, 4)}-${start.body.user_code.slice(4)}`;
  fake.approveDevice(dashed, { user: "alice" });
  const done = await poll();
  assert.equal(done.status, 200);
  assert.equal(done.body.token_type, "bearer");
  assert.equal(done.body.expires_in, 1800);
  assert.equal(done.body.scope, "api:read api:write repository:acme");
  assert.equal(typeof done.body.refresh_token, "string");
  assert.equal(done.body.access_token.split(".").length, 3, "JWT-shaped");
  const me = await call(fake, "GET", "/users/me", { bearer: done.body.access_token });
  assert.equal(me.status, 200);
  assert.equal(me.body.username, "alice");

  // Polling again issues a new session and revokes the previous one (§9).
  const again = await poll();
  assert.equal(again.status, 200);
  assert.notEqual(again.body.access_token, done.body.access_token);
  assert.equal(
    (await call(fake, "GET", "/users/me", { bearer: done.body.access_token })).status,
    401,
  );
  assert.equal(
    (await call(fake, "GET", "/users/me", { bearer: again.body.access_token })).status,
    200,
  );
});

Deno.test("device flow: the user may grant fewer scopes; write scopes need 2FA", async () => {
  const { fake } = seeded();
  const start = await call(fake, "POST", "/oauth/device_authorization", {
    form: { client_id: REBAR3_CLIENT_ID, scope: "api repositories" },
  });
  assert.throws(() => fake.approveDevice(start.body.user_code, { user: "bob" }), /needs 2FA/);
  assert.throws(
    () => fake.approveDevice(start.body.user_code, { user: "bob", scopes: ["docs:acme"] }),
    /not requested/,
  );
  fake.approveDevice(start.body.user_code, { user: "bob", scopes: ["repositories"] });
  const done = await pollDevice(fake, start.body.device_code);
  assert.equal(done.body.scope, "repository:acme repository:widgets");
  assert.equal(
    (await call(fake, "GET", "/users/me", { bearer: done.body.access_token })).status,
    401,
  );
});

Deno.test("device flow: denied, expired, slow_down and client errors", async () => {
  const { fake } = seeded();
  const start = async () => (await startDevice(fake, "api")).body;
  const poll = (device_code: string, client_id?: string) =>
    pollDevice(fake, device_code, client_id);

  const a = await start();
  fake.denyDevice(a.user_code);
  const denied = await poll(a.device_code);
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.body, {
    error: "access_denied",
    error_description: "Authorization denied by user",
  });

  const b = await start();
  fake.expireDevice(b.user_code);
  const expired = await poll(b.device_code);
  assert.equal(expired.status, 400);
  assert.equal(expired.body.error, "expired_token");

  const c = await start();
  fake.advanceClock(600_000);
  assert.equal((await poll(c.device_code)).body.error, "expired_token", "600 s lifetime");
  assert.throws(() => fake.approveDevice(c.user_code, { user: "alice" }), /expired/);

  const d = await start();
  fake.slowDownNext(1);
  const slow = await poll(d.device_code);
  assert.equal(slow.status, 400);
  assert.equal(slow.body.error, "slow_down");
  assert.equal((await poll(d.device_code)).body.error, "authorization_pending");

  const wrongClient = await poll(d.device_code, "78ea6566-89fd-481e-a1d6-7d9d78eacca8");
  assert.equal(wrongClient.status, 401);
  assert.equal(wrongClient.body.error, "invalid_client");
  const unknownCode = await poll("nope");
  assert.equal(unknownCode.status, 400);
  assert.deepEqual(unknownCode.body, {
    error: "invalid_grant",
    error_description: "Invalid device code",
  });

  const unknownClient = await call(fake, "POST", "/oauth/device_authorization", {
    form: { client_id: "not-a-client", scope: "api" },
  });
  assert.equal(unknownClient.status, 401);
  assert.deepEqual(unknownClient.body, {
    error: "invalid_client",
    error_description: "Invalid client",
  });
  const badScope = await call(fake, "POST", "/oauth/device_authorization", {
    form: { client_id: REBAR3_CLIENT_ID, scope: "api admin" },
  });
  assert.equal(badScope.status, 401);
  assert.equal(badScope.body.error_description, "Invalid scope");
  const grant = await call(fake, "POST", "/oauth/token", { form: { grant_type: "password" } });
  assert.equal(grant.status, 400);
  assert.deepEqual(grant.body, {
    error: "unsupported_grant_type",
    error_description: 'Unsupported grant type: "password"',
  });
});

Deno.test("device flow: enforceInterval answers slow_down to early polls and raises the interval", async () => {
  const { fake } = seeded({ enforceInterval: true });
  const start = (await startDevice(fake, "api:read")).body;
  const poll = () => pollDevice(fake, start.device_code);
  assert.equal((await poll()).body.error, "authorization_pending");
  fake.advanceClock(4_000);
  assert.equal((await poll()).body.error, "slow_down");
  assert.equal(fake.lastDevice()?.interval, 10);
  fake.advanceClock(9_000);
  assert.equal((await poll()).body.error, "slow_down");
  fake.advanceClock(15_000);
  assert.equal((await poll()).body.error, "authorization_pending");
});

Deno.test("device flow: autoApprove decides after the given number of polls", async () => {
  const { fake } = seeded();
  fake.autoApprove({ user: "alice", afterPolls: 2, scopes: ["api"] });
  const start = (await startDevice(fake, "api repositories")).body;
  const poll = () => pollDevice(fake, start.device_code);
  assert.equal((await poll()).body.error, "authorization_pending");
  assert.equal((await poll()).body.error, "authorization_pending");
  const done = await poll();
  assert.equal(done.status, 200);
  assert.equal(done.body.scope, "api:read api:write");

  fake.autoApprove({ user: "alice", afterPolls: 0, outcome: "deny" });
  const next = (await startDevice(fake, "api")).body;
  const denied = await pollDevice(fake, next.device_code);
  assert.equal(denied.body.error, "access_denied");
});

// ------------------------------------------------------------------ tokens

Deno.test("access tokens expire after 30 minutes of the fake clock", async () => {
  const { fake } = seeded();
  const { access_token } = await deviceLogin(fake, "alice");
  fake.advanceClock(30 * 60_000 - 1);
  assert.equal((await call(fake, "GET", "/users/me", { bearer: access_token })).status, 200);
  fake.advanceClock(1);
  const expired = await call(fake, "GET", "/users/me", { bearer: access_token });
  assert.equal(expired.status, 401);
  assert.equal(expired.body.message, "invalid API key");
});

Deno.test("refresh rotates both tokens, revokes the old pair and keeps the 30-day limit", async () => {
  const { fake } = seeded();
  const first = await deviceLogin(fake, "alice");
  fake.addOrg({ name: "later", members: { alice: "read" } });
  const refresh = (refresh_token: string, client_id: string = REBAR3_CLIENT_ID) =>
    call(fake, "POST", "/oauth/token", {
      form: { grant_type: "refresh_token", refresh_token, client_id },
    });
  const second = await refresh(first.refresh_token);
  assert.equal(second.status, 200);
  assert.notEqual(second.body.access_token, first.access_token);
  assert.notEqual(second.body.refresh_token, first.refresh_token);
  assert.equal(second.body.scope, "api:read api:write repository:acme repository:later");
  assert.equal((await call(fake, "GET", "/users/me", { bearer: first.access_token })).status, 401);
  assert.equal(
    (await call(fake, "GET", "/users/me", { bearer: second.body.access_token })).status,
    200,
  );

  const reused = await refresh(first.refresh_token);
  assert.equal(reused.status, 400);
  assert.deepEqual(reused.body, {
    error: "invalid_grant",
    error_description: "Refresh token expired or revoked",
  });
  assert.equal((await refresh("nope")).body.error_description, "Invalid refresh token");
  assert.equal((await refresh("")).body.error_description, "Missing refresh token");
  assert.equal(
    (await refresh(second.body.refresh_token, "78ea6566-89fd-481e-a1d6-7d9d78eacca8")).body
      .error_description,
    "Invalid refresh token",
    "a refresh token belongs to its client",
  );
  assert.equal((await refresh(second.body.refresh_token, "bogus")).status, 401);

  fake.advanceClock(29 * 24 * 3600_000);
  const third = await refresh(second.body.refresh_token);
  assert.equal(third.status, 200);
  fake.advanceClock(24 * 3600_000);
  const late = await refresh(third.body.refresh_token);
  assert.equal(late.status, 400, "refreshing does not extend the 30 days");
});

Deno.test("POST /oauth/revoke answers 200 with an empty body and revokes the session", async () => {
  const { fake } = seeded();
  const t = await deviceLogin(fake, "alice");
  const res = await fake.handler(
    new Request("http://hex.test/api/oauth/revoke", {
      method: "POST",
      headers: { "user-agent": "t", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: t.refresh_token, client_id: REBAR3_CLIENT_ID }),
    }),
  );
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
  assert.equal((await call(fake, "GET", "/users/me", { bearer: t.access_token })).status, 401);
  const unknown = await call(fake, "POST", "/oauth/revoke", {
    json: { token: "nope", client_id: REBAR3_CLIENT_ID },
  });
  assert.equal(unknown.status, 200);
  assert.equal(unknown.text, "");
  const byAccess = await deviceLogin(fake, "alice");
  await call(fake, "POST", "/oauth/revoke", {
    json: { token: byAccess.access_token, client_id: REBAR3_CLIENT_ID },
  });
  const refreshed = await call(fake, "POST", "/oauth/token", {
    form: {
      grant_type: "refresh_token",
      refresh_token: byAccess.refresh_token,
      client_id: REBAR3_CLIENT_ID,
    },
  });
  assert.equal(refreshed.status, 400, "revoking the access token revokes its refresh token");
});

// ------------------------------------------------------------------ faults and rate limits

Deno.test("failNext injects 5xx and 429 (with rate-limit headers), then the model answers", async () => {
  const { fake, aliceKey } = seeded();
  fake.failNext(2, 503);
  for (let i = 0; i < 2; i++) {
    const r = await call(fake, "GET", "/users/me", { key: aliceKey });
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, { status: 503, message: "Service unavailable" });
  }
  assert.equal((await call(fake, "GET", "/users/me", { key: aliceKey })).status, 200);

  fake.failNext(1, 429, { resetInSeconds: 7 });
  const limited = await call(fake, "GET", "/keys", { key: aliceKey });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("x-ratelimit-limit"), "500");
  assert.equal(limited.headers.get("x-ratelimit-remaining"), "0");
  assert.equal(limited.headers.get("x-ratelimit-reset"), String(T0 / 1000 + 7));
  assert.match(limited.body.message, /^API rate limit exceeded/);

  fake.failNext(1, 500, { method: "POST", path: "/keys" });
  assert.equal((await call(fake, "GET", "/keys", { key: aliceKey })).status, 200);
  assert.equal(
    (await call(fake, "POST", "/keys", { key: aliceKey, json: { name: "a" } })).status,
    500,
  );
  assert.equal(fake.requests.filter((r) => r.fault === "fail").length, 4);
  fake.verify();
  fake.failNext(1, 502, { path: /^\/orgs/ });
  assert.throws(() => fake.verify(), /unused fault: fail 502 x1/);
});

Deno.test("rate limits count per principal in minute windows and send headers", async () => {
  const { fake, aliceKey } = seeded({ rateLimit: { anonymous: 2, authenticated: 3 } });
  for (let i = 0; i < 2; i++) assert.equal((await call(fake, "GET", "/users/carol")).status, 200);
  const anon = await call(fake, "GET", "/users/carol");
  assert.equal(anon.status, 429);
  assert.equal(anon.body.message, "API rate limit exceeded for IP 127.0.0.1");
  assert.equal(anon.headers.get("x-ratelimit-remaining"), "0");

  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await call(fake, "GET", "/users/me", { key: aliceKey });
    seen.push(r.headers.get("x-ratelimit-remaining")!);
  }
  assert.deepEqual(seen, ["2", "1", "0"]);
  const user = await call(fake, "GET", "/users/me", { key: aliceKey });
  assert.equal(user.status, 429);
  assert.equal(
    user.body.message,
    `API rate limit exceeded for user ${fake.users.get("alice")!.id}`,
  );
  fake.advanceClock(60_000);
  const fresh = await call(fake, "GET", "/users/me", { key: aliceKey });
  assert.equal(fresh.status, 200);
  assert.equal(fresh.headers.get("x-ratelimit-reset"), String(T0 / 1000 + 120));
  const orgKey = fake.addKey({ owner: { organization: "acme" } }).secret;
  const org = await call(fake, "GET", "/orgs/acme/keys", { key: orgKey });
  assert.equal(org.headers.get("x-ratelimit-remaining"), "2", "organizations count separately");
  // 404s and 403s carry the headers; 401s (from authentication or TOTP) do not.
  fake.advanceClock(60_000);
  const notFound = await call(fake, "GET", "/orgs/acme/keys/ghost", { key: orgKey });
  assert.equal(notFound.status, 404);
  assert.equal(notFound.headers.get("x-ratelimit-limit"), "3");
  const bobKey = fake.addKey({ owner: "bob" }).secret;
  const forbidden = await call(fake, "POST", "/orgs/acme/keys", {
    key: bobKey,
    json: { name: "x" },
  });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.headers.get("x-ratelimit-limit"), "3");
  const badKey = await call(fake, "GET", "/users/me", { key: "f".repeat(32) });
  assert.equal(badKey.status, 401);
  assert.equal(badKey.headers.get("x-ratelimit-limit"), null);
  const t = fake.issueToken({ user: "alice", scopes: ["api"] });
  const totp = await call(fake, "DELETE", "/keys/x", { bearer: t.access_token });
  assert.equal(totp.status, 401);
  assert.equal(totp.headers.get("x-ratelimit-limit"), null);
});

Deno.test("unmatched routes get 404, are recorded and fail verify(); requests are logged", async () => {
  const { fake, aliceKey } = seeded();
  await call(fake, "GET", "/keys/ghost", { key: aliceKey });
  fake.verify();
  const r = await call(fake, "PUT", "/keys", { key: aliceKey, json: { name: "x" } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { status: 404, message: "Page not found" });
  await fake.handler(new Request("http://hex.test/elsewhere", { headers: { "user-agent": "t" } }));
  assert.deepEqual(fake.unmatched.map((u) => `${u.method} ${u.path}`), [
    "PUT /api/keys",
    "GET /elsewhere",
  ]);
  assert.throws(() => fake.verify(), /unmatched route: PUT \/api\/keys/);

  const logged = fake.requestsTo("GET", "/keys/ghost")[0];
  assert.equal(logged.route, "GET /keys/:name");
  assert.equal(logged.status, 404);
  assert.equal(logged.headers.get("authorization"), aliceKey);
  assert.equal(logged.headers.get("user-agent"), "hexpub-test/0");
  const put = fake.requestsTo("PUT", "/keys")[0];
  assert.equal(put.text, '{"name":"x"}');
  assert.equal(put.route, null);
  assert.equal((await call(fake, "GET", "/users/a%00b")).status, 400);
  fake.clearRequests();
  assert.equal(fake.requests.length, 0);
});

Deno.test("assertNoSecretIn names the kind of secret, never the secret", async () => {
  const { fake, aliceKey, alice } = seeded();
  const t = await deviceLogin(fake, "alice");
  fake.assertNoSecretIn("user alice has key laptop");
  const cases: [string, RegExp][] = [
    [aliceKey, /API key "laptop"/],
    [t.access_token, /access token of alice/],
    [t.refresh_token, /refresh token of alice/],
    [alice.totpSecret!, /TOTP secret of alice/],
    [fake.lastDevice()!.deviceCode, /device code/],
  ];
  for (const [secret, kind] of cases) {
    assert.throws(() => fake.assertNoSecretIn(`x ${secret} y`, "stderr"), (e: Error) => {
      assert.match(e.message, /^FakeHex: stderr contains a secret/);
      assert.match(e.message, kind);
      assert.ok(!e.message.includes(secret));
      return true;
    });
  }
  // A credential the fake never issued, once sent, counts too.
  await call(fake, "GET", "/users/me", { key: "made-up-credential" });
  assert.throws(() => fake.assertNoSecretIn("made-up-credential"), /sent in authorization/);
  assert.ok(fake.secrets().includes(aliceKey));
});

// ------------------------------------------------------------------ served

Deno.test("serve() answers over HTTP on 127.0.0.1 under /api", async () => {
  const fake = new FakeHex();
  fake.addUser({ username: "alice" });
  const key = fake.addKey({ owner: "alice" }).secret;
  const server = fake.serve();
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/api$/);
    const res = await fetch(`${server.url}/users/me`, { headers: { authorization: key } });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).username, "alice");
    assert.equal(fake.requests[0].headers.get("user-agent")?.startsWith("Deno/"), true);
    const keys = fake.keys[0];
    assert.equal(keys.lastUse?.ip, "127.0.0.1");
  } finally {
    await server.close();
  }
  fake.verify();
  await assert.rejects(fetch(`${server.url}/users/me`), TypeError, "closed");
});

Deno.test("dropConnectionNext drops before any response byte; Deno's fetch retries a reused connection once", async () => {
  const fake = new FakeHex();
  fake.addUser({ username: "alice" });
  const key = fake.addKey({ owner: "alice" }).secret;
  const server = fake.serve();
  const get = () => fetch(`${server.url}/users/me`, { headers: { authorization: key } });
  try {
    await (await get()).body?.cancel(); // warm a keep-alive connection
    fake.dropConnectionNext(1);
    const retried = await get();
    assert.equal(retried.status, 200, "one drop on a reused connection is re-sent by fetch");
    await retried.body?.cancel();
    fake.dropConnectionNext(2);
    await assert.rejects(get(), TypeError);
    const fresh = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    try {
      fake.dropConnectionNext(1, { path: "/users/me" });
      await assert.rejects(
        fetch(`${server.url}/users/me`, { client: fresh, headers: { authorization: key } }),
        TypeError,
      );
    } finally {
      fresh.close();
    }
    assert.equal(fake.requests.filter((r) => r.fault === "drop").length, 4);
    const after = await get();
    assert.equal(after.status, 200);
    await after.body?.cancel();
  } finally {
    await server.close();
  }
  fake.verify();
  // In-process, a drop is a rejected fetch.
  fake.dropConnectionNext();
  await assert.rejects(
    fake.handler(new Request("http://hex.test/api/users/me", { headers: { "user-agent": "t" } })),
    DroppedConnectionError,
  );
});

// ------------------------------------------------------------------ e2e helpers

Deno.test("withFakeHex closes the server even when the body throws, and verifies on success", async () => {
  let url = "";
  await assert.rejects(
    withFakeHex((_fake, server) => {
      url = server.url;
      return Promise.reject(new Error("body failed"));
    }),
    /body failed/,
  );
  await assert.rejects(fetch(`${url}/users/x`), TypeError);
  await assert.rejects(
    withFakeHex(async (_fake, server) => {
      await (await fetch(`${server.url}/nope`)).body?.cancel();
    }),
    /unmatched route: GET \/api\/nope/,
  );
});

Deno.test("cleanEnv passes only PATH, HOME, HEXPUB_CONFIG_DIR, Deno's cache and the given env", async () => {
  const home = await makeHome();
  const env = await cleanEnv(home, { HEX_API_KEY: "k" });
  assert.deepEqual(Object.keys(env).sort(), [
    "DENO_DIR",
    "DENO_NO_PROMPT",
    "DENO_NO_UPDATE_CHECK",
    "HEXPUB_CONFIG_DIR",
    "HEX_API_KEY",
    "HOME",
    "PATH",
  ]);
  assert.equal(env.HOME, home);
  assert.equal(env.HEXPUB_CONFIG_DIR, configDirOf(home));
  assert.ok(configDirOf(home).startsWith(home));
  assert.equal((await cleanEnv(home, { CI: "true" })).CI, "true");
});

Deno.test("runHexpub runs the real CLI with a clean env and null stdin", async () => {
  const home = await makeHome();
  const version = await runHexpub(["--version"], { cwd: home, home });
  assert.equal(version.code, 0, version.stderr);
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(version.stdout.trim(), denoJson.version);
  assert.equal(version.home, home);
  assert.equal(version.timedOut, false);

  const killed = await runHexpub(["--version"], { cwd: home, home, timeoutMs: 1 });
  assert.equal(killed.timedOut, true);
  assert.notEqual(killed.code, 0);

  const { child } = await spawnHexpub(["--version"], { cwd: home, home });
  const spawned = await child.output();
  assert.equal(spawned.code, 0);
  assert.equal(new TextDecoder().decode(spawned.stdout).trim(), denoJson.version);

  await withFakeHex(async (_fake, server) => {
    const unknown = await runHexpub(["no-such-command"], {
      cwd: home,
      env: hexEnv(server),
      stdin: "ignored\n",
    });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command/);
  });
});
