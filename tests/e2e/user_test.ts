/**
 * Smoke tests of the account commands: the real CLI (`main.ts` in a
 * subprocess) against the fake Hex server on 127.0.0.1 — a key log-in, the
 * device flow with TOTP, plain-text storage without a terminal, and concurrent runs
 * sharing one store. The use cases themselves are tested in process
 * (tests/tasks/user_test.ts, user_keys_test.ts, session_test.ts,
 * organization_test.ts).
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

Deno.test("user auth --key-stdin reads the key from stdin, so it never shows in ps", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "alice" });
    const key = fake.addKey({ owner: "alice", name: "laptop" });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await runHexpub(["user", "auth", "--key-stdin"], {
      cwd,
      home,
      env,
      stdin: `${key.secret}\n`,
    });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /Authenticated as: alice/);
    fake.assertNoSecretIn(auth.stdout + auth.stderr, "output");
    const who = await runHexpub(["user", "whoami", "--json"], { cwd, home, env });
    assert.equal(JSON.parse(who.stdout).username, "alice", who.stderr);
    // Nothing on stdin: a usage error naming the flag, nothing stored.
    const empty = await runHexpub(["user", "auth", "--key-stdin"], { cwd, env, stdin: "" });
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /no API key on stdin[\s\S]*hint:/);
  });
});

Deno.test("user auth runs the device flow; writes need TOTP; deauth revokes", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "carol", email: "carol@example.com", twoFactor: true });
    fake.autoApprove({ user: "carol", afterPolls: 1 });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await runHexpub(["user", "auth", "--device"], { cwd, home, env });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stderr, /Enter code: /);
    assert.match(auth.stdout, /Authenticated as: carol/);

    // A write with an OAuth token and no code, and no terminal: fails naming HEX_OTP.
    const noOtp = await runHexpub(["user", "key", "generate", "-k", "ci"], { cwd, home, env });
    assert.equal(noOtp.code, 4, noOtp.stderr);
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

Deno.test("no terminal and no local password: user auth stores in plain text (0600), saying so once; a password later encrypts it", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "dora", twoFactor: true, orgs: { acme: "admin" } });
    fake.addOrg({ name: "acme", members: { dora: "admin" } });
    fake.autoApprove({ user: "dora", afterPolls: 1 });
    const orgKey = fake.addKey({
      owner: { organization: "acme" },
      permissions: [{ domain: "repository", resource: "acme" }],
    });
    const { home, cwd } = await setup();
    const auth = await runHexpub(["user", "auth", "--device"], {
      cwd,
      home,
      env: hexEnv(server),
      timeoutMs: 20000,
    });
    assert.equal(auth.timedOut, false);
    assert.equal(auth.code, 0, auth.stderr);
    const plainLine =
      /^warning: credentials saved in plain text in .*credentials\.json.*HEXPUB_LOCAL_PASSWORD/gm;
    assert.equal(auth.stderr.match(plainLine)?.length, 1, auth.stderr);
    const file = join(configDirOf(home), "credentials.json");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    const stored = JSON.parse(await Deno.readTextFile(file));
    assert.equal(stored.kdf, undefined);
    const [entry] = Object.values(stored.repos) as { oauth: { refreshToken: { plain: string } } }[];
    const refreshToken = entry.oauth.refreshToken.plain;
    assert.match(refreshToken, /\S{16,}/);
    const who = await runHexpub(["user", "whoami"], { cwd, home, env: hexEnv(server) });
    assert.equal(who.code, 0, who.stderr);
    assert.doesNotMatch(who.stderr, plainLine);

    // With HEXPUB_LOCAL_PASSWORD the next secret stored encrypts the store, the
    // plain OAuth refresh token too.
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const org = await runHexpub(["organization", "auth", "hexpm:acme", "--key", orgKey.secret], {
      cwd,
      home,
      env,
    });
    assert.equal(org.code, 0, org.stderr);
    assert.doesNotMatch(org.stderr, plainLine);
    const text = await Deno.readTextFile(file);
    assert.ok(JSON.parse(text).kdf);
    assert.doesNotMatch(text, /"plain"/);
    assert.equal(text.includes(refreshToken), false, "the refresh token is encrypted now");
    assert.equal(text.includes(orgKey.secret), false);
    const again = await runHexpub(["user", "whoami"], { cwd, home, env });
    assert.equal(again.code, 0, again.stderr);
    for (const r of [auth, who, org]) fake.assertNoSecretIn(r.stdout + r.stderr, "output");
  }, { deviceInterval: 0 });
});

Deno.test("concurrent runs that all need a refresh all succeed", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "noa", twoFactor: true });
    fake.autoApprove({ user: "noa", afterPolls: 1 });
    const { home, cwd } = await setup();
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await runHexpub(["user", "auth", "--device"], { cwd, home, env })).code, 0);
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
