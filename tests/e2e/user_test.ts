/**
 * The real CLI (`main.ts` in a subprocess) against the fake Hex server on
 * 127.0.0.1: log-in, keys, TOTP, organizations, and that no secret leaks.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { configDirOf, hexEnv, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";

const PASSWORD = "correct horse battery";

async function setup() {
  const home = await makeHome();
  const cwd = await makeProject({ "README.md": "not a project" });
  return { home, cwd };
}

Deno.test("user auth --key stores the key encrypted (0600) and whoami uses it", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "alice", email: "alice@example.com", publicEmail: true });
    const key = fake.addKey({ owner: "alice", name: "laptop" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await runHexpub(["user", "auth", "--key", key.secret], { cwd, home, env });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /Authenticated as: alice/);
    const file = join(configDirOf(home), "credentials.json");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    fake.assertNoSecretIn(await Deno.readTextFile(file), "credentials.json");

    const who = await runHexpub(["user", "whoami", "--json"], { cwd, home, env });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).username, "alice");
    for (const r of [auth, who]) fake.assertNoSecretIn(r.stdout + r.stderr, "output");

    const wrong = await runHexpub(["user", "whoami"], {
      cwd,
      home,
      env: { ...env, HEXPUB_LOCAL_PASSWORD: "not it" },
    });
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /password/i);
  });
});

Deno.test("without credentials whoami exits 4 with a hint; HEX_API_KEY works without -r", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "bob" });
    const key = fake.addKey({ owner: "bob", permissions: [{ domain: "api", resource: "read" }] });
    const { home, cwd } = await setup();
    const none = await runHexpub(["user", "whoami"], { cwd, home, env: hexEnv(server) });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /not authenticated to hexpm\n\s+hint: Run `hexpub user auth`/);
    const withEnv = await runHexpub(["user", "whoami"], {
      cwd,
      home,
      env: { ...hexEnv(server), HEX_API_KEY: key.secret },
    });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    assert.match(withEnv.stdout, /bob/);
    fake.assertNoSecretIn(withEnv.stdout + withEnv.stderr);
  });
});

Deno.test("user auth runs the device flow; writes need TOTP; deauth revokes", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "carol", email: "carol@example.com", twoFactor: true });
    fake.autoApprove({ user: "carol", afterPolls: 1 });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await runHexpub(["user", "auth"], { cwd, home, env });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stderr, /Enter code: /);
    assert.match(auth.stdout, /Authenticated as: carol/);

    // A write with an OAuth token and no code, and no terminal: fails naming HEX_OTP.
    const noOtp = await runHexpub(["user", "key", "generate", "-k", "ci"], { cwd, home, env });
    assert.equal(noOtp.code, 2, noOtp.stderr);
    assert.match(noOtp.stderr, /HEX_OTP/);

    const gen = await runHexpub([
      "user",
      "key",
      "generate",
      "-k",
      "ci",
      "-p",
      "api:write",
      "--json",
    ], {
      cwd,
      home,
      env: { ...env, HEX_OTP: await fake.totp("carol") },
    });
    assert.equal(gen.code, 0, gen.stderr);
    const created = JSON.parse(gen.stdout);
    assert.equal(created.name, "ci");
    assert.match(created.secret, /^[0-9a-f]{32}$/);

    const list = await runHexpub(["user", "key", "list"], { cwd, home, env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ci\s+read and write the API/m);
    fake.assertNoSecretIn(list.stdout + list.stderr + auth.stdout + auth.stderr);

    const deauth = await runHexpub(["user", "deauth"], { cwd, home, env });
    assert.equal(deauth.code, 0, deauth.stderr);
    assert.match(deauth.stdout, /Authentication removed/);
    assert.equal(fake.requestsTo("POST", "/oauth/revoke").length >= 1, true);
    const after = await runHexpub(["user", "whoami"], { cwd, home, env });
    assert.equal(after.code, 4);
  }, { deviceInterval: 0 });
});

Deno.test("key commands: fetch, revoke NAME (positional and flag), revoke --all", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "dave" });
    const key = fake.addKey({ owner: "dave", name: "main" });
    fake.addKey({ owner: "dave", name: "old1" });
    fake.addKey({ owner: "dave", name: "old2" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEX_API_KEY: key.secret };
    const fetch = await runHexpub(["user", "key", "fetch", "old1"], { cwd, home, env });
    assert.equal(fetch.code, 0, fetch.stderr);
    assert.match(fetch.stdout, /old1/);
    const r1 = await runHexpub(["user", "key", "revoke", "old1"], { cwd, home, env });
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await runHexpub(["user", "key", "revoke", "--key-name", "old2"], { cwd, home, env });
    assert.equal(r2.code, 0, r2.stderr);
    const missing = await runHexpub(["user", "key", "revoke", "nope"], { cwd, home, env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /404/);
    const all = await runHexpub(["user", "key", "revoke", "--all"], { cwd, home, env });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /All keys successfully revoked/);
    assert.ok(fake.isKeyRevoked(key));
  });
});

Deno.test("malformed permissions are refused before any request", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, cwd } = await setup();
    const r = await runHexpub(["user", "key", "generate", "-p", "bogus:thing"], {
      cwd,
      home,
      env: { ...hexEnv(server), HEX_API_KEY: "0".repeat(32) },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /repository:ORG/);
    assert.equal(fake.requests.length, 0);
  });
});

Deno.test("no terminal and no local password: user auth fails fast naming HEXPUB_LOCAL_PASSWORD", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, cwd } = await setup();
    const r = await runHexpub(["user", "auth"], {
      cwd,
      home,
      env: hexEnv(server),
      timeoutMs: 20000,
    });
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /HEXPUB_LOCAL_PASSWORD/);
    assert.equal(fake.requests.length, 0);
  });
});

Deno.test("idempotent reads are retried on 503; the error names the status when it persists", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "erin" });
    const key = fake.addKey({ owner: "erin" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEX_API_KEY: key.secret };
    fake.failNext(1, 503, { path: "/users/me" });
    const ok = await runHexpub(["user", "whoami"], { cwd, home, env });
    assert.equal(ok.code, 0, ok.stderr);
    fake.failNext(4, 500, { path: "/users/me" });
    const bad = await runHexpub(["user", "whoami"], { cwd, home, env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /500/);
  });
});

Deno.test("organization auth --key, list, key generate/list/revoke, deauth", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "frank", orgs: { acme: "admin" } });
    const userKey = fake.addKey({ owner: "frank", name: "main" });
    const orgKey = fake.addKey({
      owner: { organization: "acme" },
      name: "ci-repo",
      permissions: [{ domain: "repository", resource: "acme" }],
    });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await runHexpub(["organization", "auth", "hexpm:acme", "--key", orgKey.secret], {
      cwd,
      home,
      env,
    });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /Successfully authenticated to hexpm:acme/);
    const list = await runHexpub(["organization", "list"], { cwd, home, env });
    assert.match(list.stdout, /hexpm:acme\s+\S+\/repos\/acme\s+SHA256:[A-Za-z0-9+/]{22}$/m);

    const uenv = { ...env, HEX_API_KEY: userKey.secret };
    const gen = await runHexpub(["organization", "key", "hexpm:acme", "generate", "-k", "deploy"], {
      cwd,
      home,
      env: uenv,
    });
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stdout, /^[0-9a-f]{32}$/m);
    const keys = await runHexpub(["organization", "key", "acme", "list"], { cwd, home, env: uenv });
    assert.match(keys.stdout, /deploy\s+fetch packages from organization acme/);
    const rev = await runHexpub(["organization", "key", "hexpm:acme", "revoke", "deploy"], {
      cwd,
      home,
      env: uenv,
    });
    assert.equal(rev.code, 0, rev.stderr);
    const all = await runHexpub(["organization", "key", "hexpm:acme", "revoke", "--all"], {
      cwd,
      home,
      env: uenv,
    });
    assert.equal(all.code, 0, all.stderr);
    assert.ok(fake.isKeyRevoked(orgKey));
    const de = await runHexpub(["organization", "deauth", "hexpm:acme"], { cwd, home, env });
    assert.match(de.stdout, /Successfully deauthorized hexpm:acme/);
    for (const r of [auth, list, gen, keys, rev, all, de]) {
      fake.assertNoSecretIn(r.stderr, "stderr");
    }
  });
});
