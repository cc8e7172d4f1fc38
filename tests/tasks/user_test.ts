/**
 * The `user` use cases in process (`tasks/user/`), through the real command
 * layer and the ports, against the fake Hex API: log-in with a key or the
 * device flow, register, whoami, deauth, and the local password. Each test
 * starts from an empty environment and a new home.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { userAuth } from "../../src/tasks/user.ts";
import { AuthError } from "../../src/errors.ts";
import { fakeAt, inProcessHexpub, withInProcessHex } from "../support/in_process.ts";
import { FakeHex } from "../fakes/fake_hex.ts";

const PASSWORD = "correct horse battery";

Deno.test("user auth --key stores the key encrypted and whoami uses it; a wrong local password exits 4", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "alice", email: "alice@example.com", publicEmail: true });
    const key = fake.addKey({ owner: "alice", name: "laptop" });
    const env = { HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await hexpub.run(["user", "auth", "--key", key.secret], { env });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /Authenticated as: alice/);
    const file = join(hexpub.configDir, "credentials.json");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    fake.assertNoSecretIn(await Deno.readTextFile(file), "credentials.json");

    const who = await hexpub.run(["user", "whoami", "--json"], { env });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).username, "alice");
    for (const r of [auth, who]) fake.assertNoSecretIn(r.stdout + r.stderr, "output");

    const wrong = await hexpub.run(["user", "whoami"], {
      env: { HEXPUB_LOCAL_PASSWORD: "not it" },
    });
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /password/i);
  });
});

Deno.test("user auth takes the key from stdin (--key-stdin), a hidden prompt at a terminal, or HEX_API_KEY", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "alice" });
    const key = fake.addKey({ owner: "alice" });
    const env = { HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const whoami = async () =>
      JSON.parse((await hexpub.run(["user", "whoami", "--json"], { env })).stdout).username;

    const piped = await hexpub.run(["user", "auth", "--key-stdin"], {
      env,
      stdin: ` ${key.secret}\r\n`,
    });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(await whoami(), "alice");

    // At a terminal, the key is asked without echo, not read from the typed stdin.
    const asked = await hexpub.run(["user", "auth", "--key-stdin"], {
      env,
      isTerminal: true,
      answers: [key.secret],
    });
    assert.equal(asked.code, 0, asked.stderr);
    assert.deepEqual(asked.deps.asked, ["API key:"]);

    // HEX_API_KEY is stored when no key is given (and it is sent to this repository).
    await hexpub.run(["user", "deauth"], { env });
    const fromEnv = await hexpub.run(["user", "auth", "--device"], {
      env: { ...env, HEX_API_KEY: key.secret },
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stderr, /HEX_API_KEY/);
    assert.equal(await whoami(), "alice");

    const both = await hexpub.run(["user", "auth", "--key-stdin", "--key", key.secret], {
      env,
      stdin: key.secret,
    });
    assert.equal(both.code, 2, both.stderr);
    for (const r of [piped, asked, fromEnv, both]) fake.assertNoSecretIn(r.stdout + r.stderr);
  });
});

Deno.test("userAuth returns who logged in and how; the key is checked with GET /auth first", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "alice", email: "alice@example.com", publicEmail: true });
    const key = fake.addKey({ owner: "alice" });
    const deps = hexpub.deps({ env: { HEXPUB_LOCAL_PASSWORD: PASSWORD } });
    const r = await userAuth(deps, { browser: false, key: ` ${key.secret} ` });
    assert.deepEqual(r, {
      repo: "hexpm",
      username: "alice",
      email: "alice@example.com",
      method: "api key",
    });
    assert.deepEqual(
      fake.requests.map((q) => `${q.method} ${q.path}`),
      ["GET /api/auth", "GET /api/users/me"],
    );
  });
});

Deno.test("without credentials whoami exits 4 with a hint; HEX_API_KEY works without -r", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "bob" });
    const key = fake.addKey({ owner: "bob", permissions: [{ domain: "api", resource: "read" }] });
    const none = await hexpub.run(["user", "whoami"]);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /not authenticated to hexpm\n\s+hint: Run `hexpub user auth`/);
    const withEnv = await hexpub.run(["user", "whoami"], { env: { HEX_API_KEY: key.secret } });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    assert.match(withEnv.stdout, /bob/);
    fake.assertNoSecretIn(withEnv.stdout + withEnv.stderr);
  });
});

Deno.test("user auth runs the device flow; writes need TOTP; deauth revokes", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "carol", email: "carol@example.com", twoFactor: true });
    fake.autoApprove({ user: "carol", afterPolls: 1 });
    const env = { HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await hexpub.run(["user", "auth", "--device"], { env });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stderr, /Enter code: /);
    assert.match(auth.stdout, /Authenticated as: carol/);

    // A write with an OAuth token and no code, and no terminal: authentication
    // is needed (exit 4), and the error names HEX_OTP.
    const noOtp = await hexpub.run(["user", "key", "generate", "-k", "ci"], { env });
    assert.equal(noOtp.code, 4, noOtp.stderr);
    assert.match(noOtp.stderr, /HEX_OTP/);

    const gen = await hexpub.run([
      "user",
      "key",
      "generate",
      "-k",
      "ci",
      "-p",
      "api:write",
      "--json",
    ], {
      env: { ...env, HEX_OTP: await fake.totp("carol") },
    });
    assert.equal(gen.code, 0, gen.stderr);
    const created = JSON.parse(gen.stdout);
    assert.equal(created.name, "ci");
    assert.match(created.secret, /^[0-9a-f]{32}$/);

    const list = await hexpub.run(["user", "key", "list"], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ci\s+read and write the API/m);
    fake.assertNoSecretIn(list.stdout + list.stderr + auth.stdout + auth.stderr);

    const deauth = await hexpub.run(["user", "deauth"], { env });
    assert.equal(deauth.code, 0, deauth.stderr);
    assert.match(deauth.stdout, /Authentication removed/);
    assert.equal(fake.requestsTo("POST", "/oauth/revoke").length >= 1, true);
    const after = await hexpub.run(["user", "whoami"], { env });
    assert.equal(after.code, 4);
  }, { deviceInterval: 0 });
});

Deno.test("a TOTP code is asked at a terminal, again when refused", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "carol", twoFactor: true });
    fake.autoApprove({ user: "carol", afterPolls: 1 });
    const env = { HEXPUB_LOCAL_PASSWORD: PASSWORD };
    assert.equal((await hexpub.run(["user", "auth", "--device"], { env })).code, 0);
    const gen = await hexpub.run(["user", "key", "generate", "-k", "ci"], {
      env,
      isTerminal: true,
      answers: ["000000", await fake.totp("carol")],
    });
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stderr, /That code was refused/);
    assert.ok(fake.keys.some((k) => k.name === "ci"));
  }, { deviceInterval: 0 });
});

Deno.test("a refused TOTP code fails without a terminal with the auth exit code 4, naming --otp/HEX_OTP", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "hana", twoFactor: true });
    fake.autoApprove({ user: "hana", afterPolls: 1 });
    const env = { HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await hexpub.run(["user", "auth", "--device"], { env })).code, 0);
    const r = await hexpub.run(["user", "key", "generate", "--otp", "000000"], { env });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /TOTP code was refused[\s\S]*HEX_OTP/);
  }, { deviceInterval: 0 });
});

Deno.test("user auth --key with a key the server refuses exits 4 and stores nothing", async () => {
  await withInProcessHex(async (_fake, hexpub) => {
    const env = { HEXPUB_LOCAL_PASSWORD: "pw" };
    const r = await hexpub.run(["user", "auth", "--key", "f".repeat(32)], { env });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refused that API key[\s\S]*hint:/);
    assert.doesNotMatch(r.stderr, /f{32}/);
    const who = await hexpub.run(["user", "whoami"], { env });
    assert.equal(who.code, 4);
  });
});

Deno.test("a denied or expired device login exits 4 and stores nothing", async () => {
  for (const outcome of ["deny", "expire"] as const) {
    await withInProcessHex(async (fake, hexpub) => {
      fake.addUser({ username: "lee", twoFactor: true });
      fake.autoApprove({ user: "lee", afterPolls: 1, outcome });
      const env = { HEXPUB_LOCAL_PASSWORD: "pw" };
      const deps = hexpub.deps({ env });
      await assert.rejects(
        userAuth(deps, { browser: false, device: true }),
        (e: unknown) =>
          e instanceof AuthError && (outcome === "deny" ? /denied/ : /expired/).test(e.message),
      );
      assert.equal((await hexpub.run(["user", "whoami"], { env })).code, 4);
    }, { deviceInterval: 0 });
  }
});

Deno.test("a new login replaces the old credential; a failed one leaves the old session working", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "alice" });
    fake.addUser({ username: "carol", twoFactor: true });
    const aliceKey = fake.addKey({ owner: "alice" });
    const env = { HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await hexpub.run(["user", "auth", "--key", aliceKey.secret], { env })).code, 0);
    fake.autoApprove({ user: "carol", afterPolls: 1 });
    assert.equal((await hexpub.run(["user", "auth", "--device"], { env })).code, 0);
    const who = await hexpub.run(["user", "whoami", "--json"], { env });
    assert.equal(JSON.parse(who.stdout).username, "carol", "the OAuth login replaced the key");

    fake.autoApprove({ user: "carol", afterPolls: 1, outcome: "deny" });
    const denied = await hexpub.run(["user", "auth", "--device"], { env });
    assert.equal(denied.code, 4);
    const still = await hexpub.run(["user", "whoami", "--json"], { env });
    assert.equal(still.code, 0, still.stderr);
    assert.equal(JSON.parse(still.stdout).username, "carol", "the earlier session was kept");
  }, { deviceInterval: 0 });
});

Deno.test("user register creates an account; a taken name is a readable 422", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "taken" });
    const env = { HEXPUB_ACCOUNT_PASSWORD: "a long password" };
    const ok = await hexpub.run(
      ["user", "register", "--username", "newbie", "--email", "n@example.com"],
      { env },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /accept all our policies/);
    assert.match(ok.stdout, /confirmation email has been sent to n@example\.com/);
    assert.ok(fake.users.has("newbie"));
    const dup = await hexpub.run(
      ["user", "register", "--username", "taken", "--email", "t@example.com"],
      { env },
    );
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /422[\s\S]*username/);
    fake.assertNoSecretIn(ok.stdout + ok.stderr + dup.stderr);
    const noPw = await hexpub.run(["user", "register", "--username", "x1", "--email", "x@e.com"]);
    assert.equal(noPw.code, 2);
    assert.match(noPw.stderr, /HEXPUB_ACCOUNT_PASSWORD/);
  });
});

Deno.test("reset_password local re-encrypts the store; the old password stops working", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "gina" });
    const key = fake.addKey({ owner: "gina" });
    const env = { HEXPUB_LOCAL_PASSWORD: "old-pass" };
    assert.equal((await hexpub.run(["user", "auth", "--key", key.secret], { env })).code, 0);
    const reset = await hexpub.run(["user", "reset_password", "local"], {
      env: { ...env, HEXPUB_NEW_LOCAL_PASSWORD: "new-pass" },
    });
    assert.equal(reset.code, 0, reset.stderr);
    const old = await hexpub.run(["user", "whoami"], { env });
    assert.equal(old.code, 4);
    const fresh = await hexpub.run(["user", "whoami"], {
      env: { HEXPUB_LOCAL_PASSWORD: "new-pass" },
    });
    assert.equal(fresh.code, 0, fresh.stderr);
    const account = await hexpub.run(["user", "reset_password", "account"], { env });
    assert.match(account.stdout, /hex\.pm\/password\/reset/);
  });
});

Deno.test("without a terminal or password the key is kept in plain text; reset_password local encrypts it", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "gina" });
    const key = fake.addKey({ owner: "gina" });
    const auth = await hexpub.run(["user", "auth", "--key", key.secret]);
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(
      auth.stderr,
      /^warning: credentials saved in plain text in .*HEXPUB_LOCAL_PASSWORD/m,
    );
    assert.equal((await hexpub.run(["user", "whoami"])).code, 0);
    const noNew = await hexpub.run(["user", "reset_password", "local"]);
    assert.equal(noNew.code, 2);
    assert.match(noNew.stderr, /HEXPUB_NEW_LOCAL_PASSWORD/);
    const reset = await hexpub.run(["user", "reset_password", "local"], {
      env: { HEXPUB_NEW_LOCAL_PASSWORD: "new-pass" },
    });
    assert.equal(reset.code, 0, reset.stderr);
    const locked = await hexpub.run(["user", "whoami"]);
    assert.equal(locked.code, 2, "the store now needs its password");
    assert.match(locked.stderr, /HEXPUB_LOCAL_PASSWORD/);
    const fresh = await hexpub.run(["user", "whoami"], {
      env: { HEXPUB_LOCAL_PASSWORD: "new-pass" },
    });
    assert.equal(fresh.code, 0, fresh.stderr);
    for (const r of [auth, reset, fresh]) fake.assertNoSecretIn(r.stdout + r.stderr);
  });
});

Deno.test("reset_password local at a terminal: three tries for the current password, then the new one twice", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "gina" });
    const key = fake.addKey({ owner: "gina" });
    assert.equal(
      (await hexpub.run(["user", "auth", "--key", key.secret], {
        env: { HEXPUB_LOCAL_PASSWORD: "old-pass" },
      })).code,
      0,
    );
    const reset = await hexpub.run(["user", "reset_password", "local"], {
      isTerminal: true,
      answers: ["typo", "old-pass", "new-pass", "new-pass"],
    });
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stderr, /Sorry, try again\./);
    const fresh = await hexpub.run(["user", "whoami"], {
      env: { HEXPUB_LOCAL_PASSWORD: "new-pass" },
    });
    assert.equal(fresh.code, 0, fresh.stderr);
  });
});

Deno.test("not authenticated to a repository a cloned project points elsewhere: HEX_API_KEY withheld is said, and each hint is a command that works", async () => {
  const fake = new FakeHex();
  const at = fakeAt(fake, "http://127.0.0.1:9");
  fake.addUser({ username: "alice" });
  const key = fake.addKey({ owner: "alice" });
  for (const name of ["acme", "hexpm:acme"]) {
    const hexpub = await inProcessHexpub({ fakes: [at], env: { HEXPUB_LOCAL_PASSWORD: "pw" } });
    const cwd = await Deno.makeTempDir();
    await Deno.writeTextFile(
      join(cwd, "rebar.config"),
      `{hex, [{repos, [#{name => <<"${name}">>, api_url => <<"${at.url}">>}]}]}.\n`,
    );
    // HEX_API_KEY set: it is not sent there, and the error says so.
    const withheld = await hexpub.run(["user", "whoami", "-r", name], {
      cwd,
      env: { HEX_API_KEY: key.secret },
    });
    assert.equal(withheld.code, 4, withheld.stderr);
    assert.match(
      withheld.stderr,
      new RegExp(`HEX_API_KEY is set but withheld from ${name} \\(${at.url}\\)`),
    );
    assert.doesNotMatch(withheld.stderr, /\(or set HEX_API_KEY\)/);
    // Without it: no hint to point HEX_API_URL at the project's URL.
    const none = await hexpub.run(["user", "whoami", "-r", name], { cwd });
    assert.equal(none.code, 4, none.stderr);
    assert.doesNotMatch(none.stderr, /HEX_API_URL=/);
    // Both hints say what works: for a custom repository, `user auth -r NAME
    // --key-stdin`; for hexpm:ORG (whose log-in is hex.pm's), api_key beside its api_url.
    if (name === "acme") {
      const command = /`hexpub user auth -r acme --key-stdin`/;
      assert.match(withheld.stderr, command);
      assert.match(none.stderr, command);
      const auth = await hexpub.run(["user", "auth", "-r", name, "--key-stdin"], {
        cwd,
        stdin: key.secret,
      });
      assert.equal(auth.code, 0, auth.stderr);
      const who = await hexpub.run(["user", "whoami", "-r", name], { cwd });
      assert.equal(who.code, 0, who.stderr);
      assert.match(who.stdout, /alice/);
    } else {
      const advice = /set api_key next to that api_url in its entry/;
      assert.match(withheld.stderr, advice);
      assert.match(none.stderr, advice);
    }
  }
});

Deno.test("user auth without a terminal and without a key fails at once naming --key-stdin and --device", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "dora", email: "dora@example.com" });
    fake.autoApprove({ user: "dora", afterPolls: 1 });
    const r = await hexpub.run(["user", "auth"], { env: { HEXPUB_LOCAL_PASSWORD: PASSWORD } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no terminal, and no API key given/);
    assert.match(r.stderr, /--key-stdin/);
    assert.match(r.stderr, /--device/);
    assert.doesNotMatch(r.stderr, /Enter code/, "no device login was started");
    assert.equal(fake.requestsTo("POST", /oauth\/device_authorization/).length, 0);
  });
});
