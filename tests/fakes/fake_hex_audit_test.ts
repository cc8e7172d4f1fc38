/**
 * Tests of FakeHex's key expiry, `last_use`, audit logs and failure injection on each
 * step of a key rotation.
 */
import { strict as assert } from "node:assert";
import { FakeHex, type FakeHexOptions } from "./fake_hex.ts";
import { buildSeedDocs, buildSeedTarball } from "./_hex_packages.ts";
import { callFake, type CallOptions } from "./_call_fake.ts";

/** 2026-11-22T12:00:00Z. */
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const UA = "hexpub-audit-test/1";

/** Calls the fake as the audit tests' client (user agent {@link UA} unless `ua`). */
const send = (fake: FakeHex, method: string, path: string, o: CallOptions = {}) =>
  callFake(fake, method, path, { ua: UA, ...o });

/** alice (admin of acme, 2FA), bob (reader of acme), carol (no orgs); alice has a full key. */
function world(options: FakeHexOptions = {}) {
  const fake = new FakeHex({ clock: () => T0, ...options });
  fake.addUser({ username: "alice", twoFactor: true });
  fake.addUser({ username: "bob" });
  fake.addUser({ username: "carol" });
  fake.addOrg({ name: "acme", members: { alice: "admin", bob: "read" } });
  const aliceKey = fake.addKey({ owner: "alice", name: "laptop" }).secret;
  return { fake, aliceKey };
}

// ------------------------------------------------------------------ expiry

Deno.test("a key works until its revoke_at, then 401 naming the expiry; listed until then", async () => {
  const { fake, aliceKey } = world({ namedKeyExpiry: true });
  const at = T0 + 30 * 60_000;
  const created = await send(fake, "POST", "/keys", {
    key: aliceKey,
    json: { name: "ci", revoke_at: new Date(at).toISOString() },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.revoke_at, "2026-11-22T12:30:00.000Z");
  const ci = created.body.secret;

  fake.advanceClock(30 * 60_000 - 1);
  assert.equal((await send(fake, "GET", "/users/me", { key: ci })).status, 200);
  const listed = await send(fake, "GET", "/keys", { key: aliceKey });
  assert.deepEqual(listed.body.map((k: { name: string }) => k.name), ["ci", "laptop"]);
  assert.equal(listed.body[0].revoke_at, "2026-11-22T12:30:00.000Z");

  fake.advanceClock(1); // exactly at revoke_at: expired
  for (
    const [method, path] of [["GET", "/users/me"], ["GET", "/keys"], ["GET", "/auth?domain=api"]]
  ) {
    const r = await send(fake, method, path, { key: ci });
    assert.equal(r.status, 401, `${method} ${path}`);
    assert.equal(r.body.message, "API key expired at 2026-11-22T12:30:00.000Z");
    assert.equal(r.headers.get("www-authenticate"), "Basic realm=hex");
  }
  const after = await send(fake, "GET", "/keys", { key: aliceKey });
  assert.deepEqual(after.body.map((k: { name: string }) => k.name), ["laptop"]);
  assert.equal((await send(fake, "GET", "/keys/ci", { key: aliceKey })).status, 404);
  fake.verify();
});

Deno.test("an addKey revokeAt expires too; a key revoked by DELETE still says 'API key revoked'", async () => {
  const { fake, aliceKey } = world({ namedKeyExpiry: true });
  const seeded = fake.addKey({ owner: "alice", name: "old", revokeAt: T0 + 1000 });
  assert.equal((await send(fake, "GET", "/users/me", { key: seeded.secret })).status, 200);
  const gone = fake.addKey({ owner: "alice", name: "gone" });
  assert.equal((await send(fake, "DELETE", "/keys/gone", { key: aliceKey })).status, 200);
  fake.advanceClock(1000);
  const expired = await send(fake, "GET", "/users/me", { key: seeded.secret });
  assert.equal(expired.body.message, "API key expired at 2026-11-22T12:00:01.000Z");
  assert.ok(fake.isKeyRevoked(seeded));
  const revoked = await send(fake, "GET", "/users/me", { key: gone.secret });
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.message, "API key revoked");
});

Deno.test("without namedKeyExpiry an expired key gets hex.pm's 'API key revoked'", async () => {
  const { fake } = world();
  const key = fake.addKey({ owner: "alice", name: "old", revokeAt: T0 });
  const r = await send(fake, "GET", "/users/me", { key: key.secret });
  assert.equal(r.status, 401);
  assert.equal(r.body.message, "API key revoked");
});

Deno.test("POST /keys refuses a past or present revoke_at with 422", async () => {
  const { fake, aliceKey } = world();
  for (const t of [T0 - 1000, T0]) {
    const r = await send(fake, "POST", "/keys", {
      key: aliceKey,
      json: { name: "x", revoke_at: new Date(t).toISOString() },
    });
    assert.equal(r.status, 422);
    assert.equal(r.body.message, "Validation error(s)");
    assert.deepEqual(r.body.errors, { revoke_at: "must be in the future" });
  }
  const bad = await send(fake, "POST", "/keys", {
    key: aliceKey,
    json: { name: "x", revoke_at: "next tuesday" },
  });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors, { revoke_at: "is invalid" });
  assert.equal(fake.keys.length, 1);
  assert.deepEqual(fake.auditLog("alice"), []);
});

// ------------------------------------------------------------------ last_use, inserted_at

Deno.test("last_use is set by every authenticated request; inserted_at and seeds", async () => {
  const { fake, aliceKey } = world();
  const old = fake.addKey({
    owner: "alice",
    name: "stale",
    insertedAt: T0 - 200 * 86_400_000,
    lastUsedAt: T0 - 100 * 86_400_000,
    lastUsedUserAgent: "mix/2.0",
  });
  const fresh = fake.addKey({ owner: "alice", name: "unused" });
  let keys = (await send(fake, "GET", "/keys", { key: aliceKey })).body;
  const byName = (n: string) => keys.find((k: { name: string }) => k.name === n);
  assert.deepEqual(byName("laptop").last_use, {
    used_at: "2026-11-22T12:00:00.000Z",
    ip: "127.0.0.1",
    user_agent: UA,
  });
  assert.equal(byName("stale").inserted_at, new Date(T0 - 200 * 86_400_000).toISOString());
  assert.deepEqual(byName("stale").last_use, {
    used_at: new Date(T0 - 100 * 86_400_000).toISOString(),
    ip: "127.0.0.1",
    user_agent: "mix/2.0",
  });
  assert.equal(byName("unused").last_use, null);
  assert.equal(byName("unused").inserted_at, "2026-11-22T12:00:00.000Z");
  assert.equal(byName("unused").revoke_at, null);

  fake.advanceClock(5_000);
  await send(fake, "GET", "/auth?domain=api", { key: old.secret, ua: "rebar3/3.24" });
  await send(fake, "GET", "/users/me", { key: fresh.secret, ua: "other/1" });
  keys = (await send(fake, "GET", "/keys", { key: aliceKey })).body;
  assert.deepEqual(byName("stale").last_use, {
    used_at: "2026-11-22T12:00:05.000Z",
    ip: "127.0.0.1",
    user_agent: "rebar3/3.24",
  });
  assert.equal(byName("unused").last_use.user_agent, "other/1");
  // A refused request does not count as a use.
  fake.advanceClock(10_000);
  const carolKey = fake.addKey({
    owner: "carol",
    name: "ro",
    permissions: [{ domain: "api", resource: "read" }],
  });
  assert.equal(
    (await send(fake, "POST", "/keys", { key: carolKey.secret, json: { name: "x" } })).status,
    401,
  );
  assert.equal(carolKey.lastUse?.usedAt, T0 + 15_000); // authenticated, then not authorized
  const expired = fake.addKey({ owner: "carol", name: "exp", revokeAt: T0 });
  await send(fake, "GET", "/users/me", { key: expired.secret });
  assert.equal(expired.lastUse, null);
});

// ------------------------------------------------------------------ audit logs

Deno.test("key generate/remove are audited for the user, org keys for the org too", async () => {
  const { fake, aliceKey } = world();
  await send(fake, "POST", "/keys", {
    key: aliceKey,
    json: { name: "ci", permissions: [{ domain: "api", resource: "read" }] },
  });
  fake.advanceClock(1000);
  await send(fake, "POST", "/orgs/acme/keys", { key: aliceKey, json: { name: "fetch" } });
  fake.advanceClock(1000);
  await send(fake, "DELETE", "/keys/ci", { key: aliceKey, ua: "deleter/1" });

  const mine = await send(fake, "GET", "/users/me/audit-logs", { key: aliceKey });
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.body.map((e: { action: string }) => e.action), [
    "key.remove",
    "key.generate",
    "key.generate",
  ]);
  assert.deepEqual(mine.body[0], {
    action: "key.remove",
    params: {
      name: "ci",
      permissions: [{ domain: "api", resource: "read" }],
      user: { username: "alice" },
      organization: null,
    },
    user_agent: "deleter/1",
    inserted_at: "2026-11-22T12:00:02.000Z",
  });
  assert.deepEqual(mine.body[1].params, {
    name: "fetch",
    // The server's default; `repository:ORG` is what mix asks for, client-side.
    permissions: [{ domain: "api", resource: null }],
    user: null,
    organization: { name: "acme" },
  });
  assert.equal(mine.body[1].user_agent, UA);

  const org = await send(fake, "GET", "/orgs/acme/audit-logs", { key: aliceKey });
  assert.equal(org.status, 200);
  assert.deepEqual(
    org.body.map((e: { action: string; params: { name: string } }) => [e.action, e.params.name]),
    [
      ["key.generate", "fetch"],
    ],
  );
  fake.verify();
});

Deno.test("DELETE /keys audits one key.remove per revoked key", async () => {
  const { fake, aliceKey } = world();
  fake.addKey({ owner: "alice", name: "a" });
  fake.addKey({ owner: "alice", name: "b" });
  assert.equal((await send(fake, "DELETE", "/keys", { key: aliceKey })).status, 200);
  const names = fake.auditLog("alice").map((e) => `${e.action} ${e.params.name}`).sort();
  assert.deepEqual(names, ["key.remove a", "key.remove b", "key.remove laptop"]);
});

Deno.test("publish, docs, retire, unretire, owners and revert are audited", async () => {
  const { fake, aliceKey } = world();
  fake.addUser({ username: "dave", orgs: { acme: "write" } });
  const tar = (name: string) =>
    buildSeedTarball({
      name,
      version: "1.0.0",
      meta: { description: "d", licenses: ["MIT"] },
      requirements: [],
    }).tarball;
  const pub = await send(fake, "POST", "/publish?replace=false", {
    key: aliceKey,
    body: tar("bar"),
  });
  assert.equal(pub.status, 201, pub.text);
  const docs = await send(fake, "POST", "/packages/bar/releases/1.0.0/docs", {
    key: aliceKey,
    body: buildSeedDocs("bar", "1.0.0"),
  });
  assert.equal(docs.status, 201, docs.text);
  assert.equal(
    (await send(fake, "DELETE", "/packages/bar/releases/1.0.0/docs", { key: aliceKey })).status,
    204,
  );
  const retire = await send(fake, "POST", "/packages/bar/releases/1.0.0/retire", {
    key: aliceKey,
    json: { reason: "security", message: "CVE-1" },
  });
  assert.equal(retire.status, 204, retire.text);
  assert.equal(
    (await send(fake, "DELETE", "/packages/bar/releases/1.0.0/retire", { key: aliceKey })).status,
    204,
  );
  assert.equal(
    (await send(fake, "PUT", "/packages/bar/owners/bob", {
      key: aliceKey,
      json: { level: "maintainer" },
    })).status,
    204,
  );
  assert.equal(
    (await send(fake, "DELETE", "/packages/bar/owners/bob", { key: aliceKey })).status,
    204,
  );
  assert.equal(
    (await send(fake, "DELETE", "/packages/bar/releases/1.0.0", { key: aliceKey })).status,
    204,
  );

  const log = (await send(fake, "GET", "/users/me/audit-logs", { key: aliceKey })).body;
  assert.deepEqual(log.map((e: { action: string }) => e.action), [
    "release.revert",
    "owner.remove",
    "owner.add",
    "release.unretire",
    "release.retire",
    "docs.revert",
    "docs.publish",
    "release.publish",
  ]);
  const publish = log.at(-1);
  assert.deepEqual(publish.params.package, { name: "bar", repository: "hexpm" });
  assert.equal(publish.params.release.version, "1.0.0");
  assert.equal(publish.params.release.checksum, pub.body.checksum);
  assert.deepEqual(log[4].params.release.retirement, { reason: "security", message: "CVE-1" });
  assert.deepEqual(log[2].params.user, { username: "bob" });
  assert.equal(log[2].params.level, "maintainer");
  // Nothing here concerned an organization.
  assert.deepEqual(fake.auditLog({ organization: "acme" }), []);

  // A package of an organization repository lands in the organization's log too.
  const orgPub = await send(fake, "POST", "/repos/acme/publish?replace=false", {
    key: aliceKey,
    body: tar("priv"),
  });
  assert.equal(orgPub.status, 201, orgPub.text);
  const orgLog = (await send(fake, "GET", "/orgs/acme/audit-logs", { key: aliceKey })).body;
  assert.deepEqual(orgLog[0].action, "release.publish");
  assert.deepEqual(orgLog[0].params.package, { name: "priv", repository: "acme" });
  assert.equal(fake.auditLog("dave").length, 0);
  fake.verify();
});

Deno.test("audit logs page by 100, newest first; addAudit seeds; org log needs membership", async () => {
  const { fake, aliceKey } = world();
  for (let i = 0; i < 250; i++) {
    fake.addAudit("alice", {
      action: "release.publish",
      params: { n: i },
      userAgent: "seed",
      insertedAt: T0 - (250 - i) * 1000,
    });
  }
  // Seeded out of order: still listed newest first.
  fake.addAudit("alice", {
    action: "key.generate",
    params: { name: "x" },
    insertedAt: T0 - 999_999,
  });
  const page = async (n?: number) =>
    (await send(fake, "GET", `/users/me/audit-logs${n ? `?page=${n}` : ""}`, { key: aliceKey }))
      .body;
  const p1 = await page();
  assert.equal(p1.length, 100);
  assert.deepEqual(p1[0], {
    action: "release.publish",
    params: { n: 249 },
    user_agent: "seed",
    inserted_at: "2026-11-22T11:59:59.000Z",
  });
  assert.deepEqual(await page(1), p1);
  const p3 = await page(3);
  assert.equal(p3.length, 51);
  assert.equal(p3.at(-2).params.n, 0);
  assert.deepEqual(p3.at(-1), {
    action: "key.generate",
    params: { name: "x" },
    user_agent: null,
    inserted_at: new Date(T0 - 999_999).toISOString(),
  });
  assert.deepEqual(await page(4), []);
  assert.equal((await page(2))[0].params.n, 149);

  fake.addAudit({ organization: "acme" }, { action: "key.generate", params: { name: "o" } });
  const bobKey = fake.addKey({
    owner: "bob",
    name: "b",
    permissions: [{ domain: "api", resource: "read" }],
  });
  const carolKey = fake.addKey({ owner: "carol", name: "c" });
  const orgKey = fake.addKey({ owner: { organization: "acme" }, name: "acme-ci" });
  assert.equal(
    (await send(fake, "GET", "/orgs/acme/audit-logs", { key: bobKey.secret })).body.length,
    1,
  );
  assert.equal(
    (await send(fake, "GET", "/orgs/acme/audit-logs", { key: orgKey.secret })).status,
    200,
  );
  assert.equal(
    (await send(fake, "GET", "/orgs/acme/audit-logs", { key: carolKey.secret })).status,
    404,
  );
  assert.equal((await send(fake, "GET", "/orgs/acme/audit-logs")).status, 404);
  assert.equal((await send(fake, "GET", "/orgs/nope/audit-logs", { key: aliceKey })).status, 404);
  // The user log needs a user credential with api:read.
  assert.equal((await send(fake, "GET", "/users/me/audit-logs")).status, 401);
  assert.equal(
    (await send(fake, "GET", "/users/me/audit-logs", { key: orgKey.secret })).status,
    404,
  );
  const repoOnly = fake.addKey({
    owner: "alice",
    name: "r",
    permissions: [{ domain: "repositories", resource: null }],
  });
  const refused = await send(fake, "GET", "/users/me/audit-logs", { key: repoOnly.secret });
  assert.equal(refused.status, 401);
  assert.equal(refused.body.message, "key not authorized for this action");
  assert.equal(
    (await send(fake, "GET", "/users/me/audit-logs", { key: bobKey.secret })).body.length,
    0,
  );
  assert.throws(() => fake.addAudit("nobody", { action: "x" }), /no user "nobody"/);
  fake.verify();
});

// ------------------------------------------------------------------ rotation faults

Deno.test("failNext can target each step of a key rotation; the old key stays valid", async () => {
  const steps: [string, string, string][] = [
    ["GET", "/keys/laptop", "/keys/laptop"],
    ["POST", "/keys", "/keys"],
    ["GET", "/auth", "/auth?domain=api"],
    ["DELETE", "/keys/laptop", "/keys/laptop"],
  ];
  for (const [method, filterPath, path] of steps) {
    const { fake, aliceKey } = world();
    fake.failNext(1, 503, { method, path: filterPath });
    // Other steps are untouched by the filter.
    for (const [m, , p] of steps) {
      if (m === method && p === path) continue;
      if (m === "DELETE") continue;
      const r = await send(fake, m, p, {
        key: aliceKey,
        json: m === "POST" ? { name: "n" } : undefined,
      });
      assert.ok(r.status < 300, `${m} ${p} while ${method} ${filterPath} is armed: ${r.status}`);
    }
    const hit = await send(fake, method, path, {
      key: aliceKey,
      json: method === "POST" ? { name: "laptop-new" } : undefined,
    });
    assert.equal(hit.status, 503, `${method} ${filterPath}`);
    assert.equal(hit.body.message, "Service unavailable");
    const recorded = fake.requests.at(-1)!;
    assert.equal(recorded.fault, "fail");
    // The fault did not reach the model: the old key still works and is not revoked.
    assert.equal((await send(fake, "GET", "/users/me", { key: aliceKey })).status, 200);
    assert.ok(!fake.keys.some((k) => k.name === "laptop-new"));
    fake.verify();
  }
});

Deno.test("failNext with a RegExp path targets GET /keys/:name but not GET /keys", async () => {
  const { fake, aliceKey } = world();
  fake.failNext(1, 500, { method: "GET", path: /^\/keys\/[^/]+$/ });
  assert.equal((await send(fake, "GET", "/keys", { key: aliceKey })).status, 200);
  assert.equal((await send(fake, "GET", "/keys/laptop", { key: aliceKey })).status, 500);
  assert.equal((await send(fake, "GET", "/keys/laptop", { key: aliceKey })).status, 200);
  fake.verify();
});
