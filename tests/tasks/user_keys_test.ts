/**
 * `user key …` and `user audit` in process, against the fake Hex API:
 * generate (permissions, purposes, expiry), list (plain words, --stale),
 * fetch, revoke, rotate (and every way a rotation can be interrupted), and
 * the audit logs.
 */
import { strict as assert } from "node:assert";
import { keyRotate } from "../../src/tasks/user.ts";
import { HexpubError } from "../../src/errors.ts";
import { withInProcessHex } from "../support/in_process.ts";

Deno.test("key commands: fetch, revoke NAME (positional and flag), revoke --all", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "dave" });
    const key = fake.addKey({ owner: "dave", name: "main" });
    fake.addKey({ owner: "dave", name: "old1" });
    fake.addKey({ owner: "dave", name: "old2" });
    const env = { HEX_API_KEY: key.secret };
    const fetch = await hexpub.run(["user", "key", "fetch", "old1"], { env });
    assert.equal(fetch.code, 0, fetch.stderr);
    assert.match(fetch.stdout, /old1/);
    const r1 = await hexpub.run(["user", "key", "revoke", "old1"], { env });
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await hexpub.run(["user", "key", "revoke", "--key-name", "old2"], { env });
    assert.equal(r2.code, 0, r2.stderr);
    const missing = await hexpub.run(["user", "key", "revoke", "nope"], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /404/);
    const all = await hexpub.run(["user", "key", "revoke", "--all"], { env });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /All keys successfully revoked/);
    assert.ok(fake.isKeyRevoked(key));
  });
});

Deno.test("malformed permissions are refused before any request", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    const r = await hexpub.run(["user", "key", "generate", "-p", "bogus:thing"], {
      env: { HEX_API_KEY: "0".repeat(32) },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /repository:ORG/);
    assert.equal(fake.requests.length, 0);
  });
});

Deno.test("user auth --scope narrows the login; a write it cannot do is refused before any request", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "uma", twoFactor: true });
    fake.autoApprove({ user: "uma", afterPolls: 1 });
    const env = { HEXPUB_LOCAL_PASSWORD: "pw" };
    const auth = await hexpub.run(["user", "auth", "--device", "--scope", "api:read"], { env });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /Granted scopes: api:read/);
    const asked = fake.requestsTo("POST", "/oauth/device_authorization")[0];
    assert.match(asked.text, /scope=api%3Aread/);
    assert.equal((await hexpub.run(["user", "whoami"], { env })).code, 0);
    const before = fake.requestsTo("POST", "/keys").length;
    const gen = await hexpub.run(["user", "key", "generate", "-k", "x"], { env });
    assert.equal(gen.code, 4, gen.stderr);
    assert.match(
      gen.stderr,
      /does not have the scope[\s\S]*api:write[\s\S]*hint: .*--scope api:write/,
    );
    assert.equal(fake.requestsTo("POST", "/keys").length, before, "no write request was sent");
    const bad = await hexpub.run(["user", "auth", "--device", "--scope", "everything"], { env });
    assert.equal(bad.code, 2);
  }, { deviceInterval: 0 });
});

Deno.test("key generate --for ci-publish PKG --expires 30d: narrowest key, summary in plain words", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "vic" });
    fake.addPackage({ name: "widget", owners: ["vic"] });
    const key = fake.addKey({ owner: "vic" });
    const env = { HEX_API_KEY: key.secret };
    const r = await hexpub.run([
      "user",
      "key",
      "generate",
      "-k",
      "ci-widget",
      "--for",
      "ci-publish",
      "widget",
      "--expires",
      "30d",
    ], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /It can: publish and manage package widget \(in hexpm\) only; it expires 20\d\d-/,
    );
    const made = fake.keys.find((k) => k.name === "ci-widget")!;
    assert.deepEqual(made.permissions, [{ domain: "package", resource: "hexpm/widget" }]);
    const days = ((made.revokeAt ?? 0) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days < 30.1, `expires in ${days} days`);
    const both = await hexpub.run(["user", "key", "generate", "--for", "read-only", "-p", "api"], {
      env,
    });
    assert.equal(both.code, 2);
    const past = await hexpub.run(["user", "key", "generate", "--expires", "2001-01-01"], { env });
    assert.equal(past.code, 2);
    assert.match(past.stderr, /--expires/);
  });
});

Deno.test("key rotate replaces a key with the same permissions and revokes the old one last", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "wes" });
    const admin = fake.addKey({ owner: "wes", name: "admin" });
    const day = 86_400_000;
    const old = fake.addKey({
      owner: "wes",
      name: "ci",
      permissions: [{ domain: "api", resource: "read" }],
      insertedAt: Date.now() - 10 * day,
      revokeAt: Date.now() + 20 * day,
    });
    const deps = hexpub.deps({ env: { HEX_API_KEY: admin.secret } });
    const shown: string[] = [];
    const out = await keyRotate(deps, {
      name: "ci",
      announce: (k) => shown.push(`${k.name} revoked=${fake.isKeyRevoked(old)}`),
    });
    assert.equal(out.replaced, "ci");
    assert.match(out.key.secret!, /^[0-9a-f]{32}$/);
    assert.deepEqual(shown, [`${out.key.name} revoked=false`], "shown before the old key goes");
    assert.ok(fake.isKeyRevoked(old), "old key revoked");
    const fresh = fake.keys.find((k) => k.name === out.key.name)!;
    assert.deepEqual(fresh.permissions, old.permissions);
    const lifetime = (fresh.revokeAt! - Date.now()) / day;
    assert.ok(lifetime > 29.9 && lifetime < 30.1, "same 30-day lifetime from now");
    assert.deepEqual(
      fake.requests.filter((q) => q.path !== "/api/users/me").map((q) =>
        `${q.method} ${q.path.replace("/api", "")}`
      ),
      ["GET /keys/ci", "POST /keys", "GET /auth", "DELETE /keys/ci"],
    );
  });
});

Deno.test("a rotation interrupted at any step leaves the old key valid and says so", async () => {
  const cases: [string, string, RegExp][] = [
    ["GET", "/keys/ci", /could not read the key "ci"/],
    ["POST", "/keys", /could not create the replacement/],
    ["GET", "/auth", /did not work, so it was revoked again/],
    ["DELETE", "/keys/ci", /revoking "ci" failed[\s\S]*Both keys are valid/],
  ];
  for (const [method, path, message] of cases) {
    await withInProcessHex(async (fake, hexpub) => {
      fake.addUser({ username: "xia" });
      const admin = fake.addKey({ owner: "xia", name: "admin" });
      const old = fake.addKey({
        owner: "xia",
        name: "ci",
        permissions: [{ domain: "api", resource: "read" }],
      });
      // Reads and revokes are retried, so the fault lasts longer than the retries.
      fake.failNext(5, 500, { method, path });
      const r = await hexpub.run(["user", "key", "rotate", "ci"], {
        env: { HEX_API_KEY: admin.secret },
      });
      assert.equal(r.code, 1, `${method} ${path}: ${r.stderr}`);
      assert.match(r.stderr, message, `${method} ${path}`);
      assert.ok(!fake.isKeyRevoked(old), `${method} ${path}: the old key is still valid`);
      if (method === "DELETE") {
        assert.match(r.stdout, /^[0-9a-f]{32}$/m, "the new secret is still shown");
      }
      if (method === "GET" && path === "/auth") {
        assert.equal(
          fake.keys.filter((k) => !fake.isKeyRevoked(k)).length,
          2,
          "the failed replacement was revoked",
        );
      }
    }, { verify: false });
  }
});

Deno.test("a failed revoke of the old key keeps the new secret on the error", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "xia" });
    const admin = fake.addKey({ owner: "xia", name: "admin" });
    fake.addKey({ owner: "xia", name: "ci" });
    fake.failNext(5, 500, { method: "DELETE", path: "/keys/ci" });
    const deps = hexpub.deps({ env: { HEX_API_KEY: admin.secret } });
    const e = await keyRotate(deps, { name: "ci" }).then(() => undefined, (e) => e);
    assert.ok(e instanceof HexpubError, String(e));
    const rotation = (e as HexpubError & { rotation?: { key: { secret?: string } } }).rotation;
    assert.match(rotation?.key.secret ?? "", /^[0-9a-f]{32}$/);
  }, { verify: false });
});

Deno.test("key list shows plain words, last use and expiry; --stale lists keys unused for that long", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "zed" });
    const day = 86_400_000;
    const admin = fake.addKey({ owner: "zed", name: "admin" });
    fake.addKey({
      owner: "zed",
      name: "forgotten",
      insertedAt: Date.now() - 400 * day,
      lastUsedAt: Date.now() - 200 * day,
      lastUsedUserAgent: "hexpub/0.1.0",
    });
    fake.addKey({
      owner: "zed",
      name: "fresh",
      insertedAt: Date.now() - 400 * day,
      lastUsedAt: Date.now() - day,
    });
    fake.addKey({ owner: "zed", name: "never", insertedAt: Date.now() - 100 * day });
    const env = { HEX_API_KEY: admin.secret };
    const all = await hexpub.run(["user", "key", "list"], { env });
    assert.match(
      all.stdout,
      /^forgotten\s+read and write the whole API.*from 127\.0\.0\.1 by hexpub\/0\.1\.0\s+never$/m,
    );
    const stale = await hexpub.run(["user", "key", "list", "--stale", "90d", "--json"], { env });
    assert.equal(stale.code, 0, stale.stderr);
    assert.deepEqual(JSON.parse(stale.stdout).map((k: { name: string }) => k.name).sort(), [
      "forgotten",
      "never",
    ]);
  });
});

Deno.test("user audit shows what was done, readable", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "ada" });
    const key = fake.addKey({ owner: "ada" });
    const env = { HEX_API_KEY: key.secret };
    assert.equal((await hexpub.run(["user", "key", "generate", "-k", "audited"], { env })).code, 0);
    const mine = await hexpub.run(["user", "audit"], { env });
    assert.equal(mine.code, 0, mine.stderr);
    assert.match(mine.stdout, /created key "audited"/);
  });
});
