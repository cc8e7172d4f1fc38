/** Least-privilege credentials end to end: scopes, purposes, expiry, rotation, stale keys, audit. */
import { strict as assert } from "node:assert";
import { hexEnv, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";

async function setup() {
  return { home: await makeHome(), cwd: await makeProject({ "README.md": "x" }) };
}

Deno.test("user auth --scope narrows the login; a write it cannot do is refused before any request", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "uma", twoFactor: true });
    fake.autoApprove({ user: "uma", afterPolls: 1 });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    const auth = await runHexpub(["user", "auth", "--scope", "api:read"], { cwd, home, env });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /Granted scopes: api:read/);
    const asked = fake.requestsTo("POST", "/oauth/device_authorization")[0];
    assert.match(asked.text, /scope=api%3Aread/);
    assert.equal((await runHexpub(["user", "whoami"], { cwd, home, env })).code, 0);
    const before = fake.requestsTo("POST", "/keys").length;
    const gen = await runHexpub(["user", "key", "generate", "-k", "x"], { cwd, home, env });
    assert.equal(gen.code, 4, gen.stderr);
    assert.match(
      gen.stderr,
      /does not have the scope[\s\S]*api:write[\s\S]*hint: .*--scope api:write/,
    );
    assert.equal(fake.requestsTo("POST", "/keys").length, before, "no write request was sent");
    const bad = await runHexpub(["user", "auth", "--scope", "everything"], { cwd, home, env });
    assert.equal(bad.code, 2);
  }, { deviceInterval: 0 });
});

Deno.test("key generate --for ci-publish PKG --expires 30d: narrowest key, summary in plain words", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "vic" });
    fake.addPackage({ name: "widget", owners: ["vic"] } as never);
    const key = fake.addKey({ owner: "vic" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEX_API_KEY: key.secret };
    const r = await runHexpub([
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
    ], {
      cwd,
      home,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /It can: publish and manage package widget \(in hexpm\) only; it expires 20\d\d-/,
    );
    const made = fake.keys.find((k) => k.name === "ci-widget")!;
    assert.deepEqual(made.permissions, [{ domain: "package", resource: "hexpm/widget" }]);
    const days = ((made.revokeAt ?? 0) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days < 30.1, `expires in ${days} days`);
    const both = await runHexpub(["user", "key", "generate", "--for", "read-only", "-p", "api"], {
      cwd,
      home,
      env,
    });
    assert.equal(both.code, 2);
    const past = await runHexpub(["user", "key", "generate", "--expires", "2001-01-01"], {
      cwd,
      home,
      env,
    });
    assert.equal(past.code, 2);
    assert.match(past.stderr, /--expires/);
  });
});

Deno.test("key rotate replaces a key with the same permissions and revokes the old one last", async () => {
  await withFakeHex(async (fake, server) => {
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
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEX_API_KEY: admin.secret };
    const r = await runHexpub(["user", "key", "rotate", "ci", "--json"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.replaced, "ci");
    assert.match(out.key.secret, /^[0-9a-f]{32}$/);
    assert.ok(fake.isKeyRevoked(old), "old key revoked");
    const fresh = fake.keys.find((k) => k.name === out.key.name)!;
    assert.deepEqual(fresh.permissions, old.permissions);
    const lifetime = (fresh.revokeAt! - Date.now()) / day;
    assert.ok(lifetime > 29.9 && lifetime < 30.1, "same 30-day lifetime from now");
    const steps = ["GET /keys/ci", "POST /keys", "GET /auth", "DELETE /keys/ci"];
    assert.deepEqual(
      fake.requests.filter((q) => q.route !== null && q.path !== "/api/users/me").map((q) =>
        `${q.method} ${q.path.replace("/api", "")}`
      )
        .filter((x) =>
          steps.some((s) =>
            x.startsWith(s.split(" ")[0]) && x.includes(s.split(" ")[1].split("/")[1])
          )
        ),
      steps,
    );
  });
});

Deno.test("a rotation interrupted at any step leaves the old key valid and says so", async () => {
  const cases: [string, string, RegExp, number][] = [
    ["GET", "/keys/ci", /could not read the key "ci"/, 1],
    ["POST", "/keys", /could not create the replacement/, 1],
    ["GET", "/auth", /did not work, so it was revoked again/, 1],
    ["DELETE", "/keys/ci", /revoking "ci" failed[\s\S]*Both keys are valid/, 1],
  ];
  for (const [method, path, message, code] of cases) {
    await withFakeHex(async (fake, server) => {
      fake.addUser({ username: "xia" });
      const admin = fake.addKey({ owner: "xia", name: "admin" });
      const old = fake.addKey({
        owner: "xia",
        name: "ci",
        permissions: [{ domain: "api", resource: "read" }],
      });
      const { home, cwd } = await setup();
      // Reads and revokes are retried, so the fault lasts longer than the retries.
      fake.failNext(5, 500, { method, path });
      const r = await runHexpub(["user", "key", "rotate", "ci"], {
        cwd,
        home,
        env: { ...hexEnv(server), HEX_API_KEY: admin.secret },
      });
      assert.equal(r.code, code, `${method} ${path}: ${r.stderr}`);
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

Deno.test("an expired key is refused with a message naming its expiry", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "yan" });
    const key = fake.addKey({ owner: "yan", revokeAt: Date.now() - 60_000 });
    const { home, cwd } = await setup();
    const r = await runHexpub(["user", "whoami"], {
      cwd,
      home,
      env: { ...hexEnv(server), HEX_API_KEY: key.secret },
    });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /expired at 20\d\d-/);
  }, { namedKeyExpiry: true } as never);
});

Deno.test("key list shows plain words, last use and expiry; --stale lists keys unused for that long", async () => {
  await withFakeHex(async (fake, server) => {
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
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEX_API_KEY: admin.secret };
    const all = await runHexpub(["user", "key", "list"], { cwd, home, env });
    assert.match(
      all.stdout,
      /^forgotten\s+read and write the whole API.*from 127\.0\.0\.1 by hexpub\/0\.1\.0\s+never$/m,
    );
    const stale = await runHexpub(["user", "key", "list", "--stale", "90d", "--json"], {
      cwd,
      home,
      env,
    });
    assert.equal(stale.code, 0, stale.stderr);
    assert.deepEqual(JSON.parse(stale.stdout).map((k: { name: string }) => k.name).sort(), [
      "forgotten",
      "never",
    ]);
  });
});

Deno.test("user audit and organization audit show what was done, readable and as JSON", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "ada", orgs: { acme: "admin" } });
    fake.addOrg({ name: "acme", members: { ada: "admin" } });
    const key = fake.addKey({ owner: "ada" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEX_API_KEY: key.secret };
    assert.equal(
      (await runHexpub(["user", "key", "generate", "-k", "audited"], { cwd, home, env })).code,
      0,
    );
    const mine = await runHexpub(["user", "audit"], { cwd, home, env });
    assert.equal(mine.code, 0, mine.stderr);
    assert.match(mine.stdout, /created key "audited"/);
    const org = await runHexpub([
      "organization",
      "key",
      "hexpm:acme",
      "generate",
      "-k",
      "wide",
      "-p",
      "api",
    ], { cwd, home, env });
    assert.equal(org.code, 0, org.stderr);
    assert.match(org.stderr, /can do more than fetch acme's packages: api/);
    const orgAudit = await runHexpub(["organization", "audit", "hexpm:acme", "--json"], {
      cwd,
      home,
      env,
    });
    assert.equal(orgAudit.code, 0, orgAudit.stderr);
    assert.ok(
      JSON.parse(orgAudit.stdout).some((e: { action: string }) => e.action === "key.generate"),
    );
  });
});
