/**
 * More of the account commands end to end: register, local password reset,
 * refused keys and codes, organization keys created on auth, and rebar3's own
 * credentials reused.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { configDirOf, hexEnv, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";

async function setup() {
  return { home: await makeHome(), cwd: await makeProject({ "README.md": "x" }) };
}

Deno.test("user register creates an account; a taken name is a readable 422", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "taken" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_ACCOUNT_PASSWORD: "a long password" };
    const ok = await runHexpub([
      "user",
      "register",
      "--username",
      "newbie",
      "--email",
      "n@example.com",
    ], {
      cwd,
      home,
      env,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /accept all our policies/);
    assert.match(ok.stdout, /confirmation email has been sent to n@example\.com/);
    assert.ok(fake.users.has("newbie"));
    const dup = await runHexpub([
      "user",
      "register",
      "--username",
      "taken",
      "--email",
      "t@example.com",
    ], {
      cwd,
      home,
      env,
    });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /422[\s\S]*username/);
    fake.assertNoSecretIn(ok.stdout + ok.stderr + dup.stderr);
    const noPw = await runHexpub(["user", "register", "--username", "x1", "--email", "x@e.com"], {
      cwd,
      home,
      env: hexEnv(server),
    });
    assert.equal(noPw.code, 2);
    assert.match(noPw.stderr, /HEXPUB_ACCOUNT_PASSWORD/);
  });
});

Deno.test("reset_password local re-encrypts the store; the old password stops working", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "gina" });
    const key = fake.addKey({ owner: "gina" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "old-pass" };
    assert.equal(
      (await runHexpub(["user", "auth", "--key", key.secret], { cwd, home, env })).code,
      0,
    );
    const reset = await runHexpub(["user", "reset_password", "local"], {
      cwd,
      home,
      env: { ...env, HEXPUB_NEW_LOCAL_PASSWORD: "new-pass" },
    });
    assert.equal(reset.code, 0, reset.stderr);
    const old = await runHexpub(["user", "whoami"], { cwd, home, env });
    assert.equal(old.code, 4);
    const fresh = await runHexpub(["user", "whoami"], {
      cwd,
      home,
      env: { ...env, HEXPUB_LOCAL_PASSWORD: "new-pass" },
    });
    assert.equal(fresh.code, 0, fresh.stderr);
    const account = await runHexpub(["user", "reset_password", "account"], { cwd, home, env });
    assert.match(account.stdout, /hex\.pm\/password\/reset/);
  });
});

Deno.test("user auth --key with a key the server refuses exits 4 and stores nothing", async () => {
  await withFakeHex(async (_fake, server) => {
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    const r = await runHexpub(["user", "auth", "--key", "f".repeat(32)], { cwd, home, env });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refused that API key[\s\S]*hint:/);
    assert.doesNotMatch(r.stderr, /f{32}/);
    const who = await runHexpub(["user", "whoami"], { cwd, home, env });
    assert.equal(who.code, 4);
  });
});

Deno.test("a refused TOTP code fails without a terminal, naming --otp/HEX_OTP", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "hana", twoFactor: true });
    fake.autoApprove({ user: "hana", afterPolls: 1 });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await runHexpub(["user", "auth"], { cwd, home, env })).code, 0);
    const r = await runHexpub(["user", "key", "generate", "--otp", "000000"], { cwd, home, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /TOTP code was refused[\s\S]*HEX_OTP/);
  }, { deviceInterval: 0 });
});

Deno.test("organization auth without --key creates a repository key and stores it", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "ivan", orgs: { acme: "admin" } });
    const key = fake.addKey({ owner: "ivan" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw", HEX_API_KEY: key.secret };
    const r = await runHexpub(["organization", "auth", "hexpm:acme"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    const created = fake.keys.find((k) =>
      k.name === "testhost-repository-acme" || /repository-acme$/.test(k.name)
    );
    assert.ok(created, fake.keys.map((k) => k.name).join(", "));
    const list = await runHexpub(["organization", "list", "--json"], { cwd, home, env });
    assert.deepEqual(JSON.parse(list.stdout).map((o: { name: string }) => o.name), ["acme"]);
  });
});

Deno.test("rebar3_hex users keep their credentials: the write key in hex.config is used", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "alice" });
    const key = fake.addKey({ owner: "alice", name: "laptop" });
    (key as { secret: string }).secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    const { home, cwd } = await setup();
    const fixture = fileURLToPath(
      new URL("../fixtures/rebar3_hex_config/hex.config", import.meta.url),
    );
    await Deno.mkdir(join(home, ".config", "rebar3"), { recursive: true });
    const target = join(home, ".config", "rebar3", "hex.config");
    await Deno.copyFile(fixture, target);
    const before = await Deno.readFile(target);
    // rebar3's credentials are hex.pm's: used at hex.pm, or where HEX_API_URL points.
    const r = await runHexpub(["user", "key", "generate", "-k", "from-rebar3", "--json"], {
      cwd,
      home,
      env: { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "local-pass" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, "from-rebar3");
    assert.deepEqual(await Deno.readFile(target), before, "rebar3's file is never rewritten");
    const wrong = await runHexpub(["user", "key", "generate", "-k", "x"], {
      cwd,
      home,
      env: { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "nope" },
    });
    assert.equal(wrong.code, 4, wrong.stderr);
  });
});

Deno.test("a denied or expired device login exits 4 and stores nothing", async () => {
  for (const outcome of ["deny", "expire"] as const) {
    await withFakeHex(async (fake, server) => {
      fake.addUser({ username: "lee", twoFactor: true });
      fake.autoApprove({ user: "lee", afterPolls: 1, outcome });
      const { home, cwd } = await setup();
      const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
      const r = await runHexpub(["user", "auth"], { cwd, home, env });
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, outcome === "deny" ? /denied/ : /expired/);
      assert.equal((await runHexpub(["user", "whoami"], { cwd, home, env })).code, 4);
    }, { deviceInterval: 0 });
  }
});

Deno.test("an access token about to expire is refreshed and the rotated refresh token kept", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "mia", twoFactor: true });
    fake.autoApprove({ user: "mia", afterPolls: 1 });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await runHexpub(["user", "auth"], { cwd, home, env })).code, 0);
    const file = join(configDirOf(home), "credentials.json");
    const expireSoon = async () => {
      const store = JSON.parse(await Deno.readTextFile(file));
      const [name] = Object.keys(store.repos);
      // Within the 5-minute margin: the next call must refresh first.
      store.repos[name].oauth.expiresAt = Math.floor(Date.now() / 1000) + 120;
      await Deno.writeTextFile(file, JSON.stringify(store));
      return store.repos[name].oauth.accessToken as string;
    };
    const refreshes = () =>
      fake.requestsTo("POST", "/oauth/token").filter((r) => r.text.includes("refresh_token"));
    const first = await expireSoon();
    assert.equal((await runHexpub(["user", "whoami"], { cwd, home, env })).code, 0);
    assert.equal(refreshes().length, 1);
    // The server revoked the old refresh token: a second refresh only works if
    // the rotated one was saved.
    const second = await expireSoon();
    assert.notEqual(second, first);
    const again = await runHexpub(["user", "whoami"], { cwd, home, env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(refreshes().length, 2);
    assert.equal(refreshes()[1].status, 200);
  }, { deviceInterval: 0 });
});

Deno.test("concurrent runs that all need a refresh all succeed", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "noa", twoFactor: true });
    fake.autoApprove({ user: "noa", afterPolls: 1 });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await runHexpub(["user", "auth"], { cwd, home, env })).code, 0);
    const file = join(configDirOf(home), "credentials.json");
    const store = JSON.parse(await Deno.readTextFile(file));
    const [name] = Object.keys(store.repos);
    store.repos[name].oauth.expiresAt = Math.floor(Date.now() / 1000) + 120;
    await Deno.writeTextFile(file, JSON.stringify(store));
    const runs = await Promise.all(
      [1, 2, 3].map(() => runHexpub(["user", "whoami"], { cwd, home, env })),
    );
    assert.deepEqual(runs.map((r) => r.code), [0, 0, 0], runs.map((r) => r.stderr).join("\n"));
  }, { deviceInterval: 0 });
});

Deno.test("a new login replaces the old credential; a failed one leaves the old session working", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "alice" });
    fake.addUser({ username: "carol", twoFactor: true });
    const aliceKey = fake.addKey({ owner: "alice" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal(
      (await runHexpub(["user", "auth", "--key", aliceKey.secret], { cwd, home, env })).code,
      0,
    );
    fake.autoApprove({ user: "carol", afterPolls: 1 });
    assert.equal((await runHexpub(["user", "auth"], { cwd, home, env })).code, 0);
    const who = await runHexpub(["user", "whoami", "--json"], { cwd, home, env });
    assert.equal(JSON.parse(who.stdout).username, "carol", "the OAuth login replaced the key");

    fake.autoApprove({ user: "carol", afterPolls: 1, outcome: "deny" });
    const denied = await runHexpub(["user", "auth"], { cwd, home, env });
    assert.equal(denied.code, 4);
    const still = await runHexpub(["user", "whoami", "--json"], { cwd, home, env });
    assert.equal(still.code, 0, still.stderr);
    assert.equal(JSON.parse(still.stdout).username, "carol", "the earlier session was kept");
  }, { deviceInterval: 0 });
});
