/**
 * The session in process (`tasks/session/`): the repository's kind, the
 * credential order (hexpub's store, rebar3's hex.config), OAuth refresh with
 * rotated refresh tokens, and retried reads — against the fake Hex API, from
 * an empty environment.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../src/errors.ts";
import { runCli } from "../../src/cli.ts";
import { HEXPM_API_URL, settingsFrom } from "../../src/config/settings.ts";
import { openSession, resolveCredential } from "../../src/tasks/session.ts";
import { registrySource, selectReadRepo } from "../../src/tasks/registry.ts";
import { inProcessHexpub, withInProcessHex } from "../support/in_process.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("a session states its kind: api for hexpm, local for -r local (which refuses API commands)", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    const deps = hexpub.deps({ env: { HEXPUB_LOCAL_REPO: join(hexpub.home, "local") } });
    assert.equal((await openSession(deps, { command: "publish" })).kind, "api");
    for (const command of ["publish", "cut", "retire"]) {
      assert.equal((await openSession(deps, { repo: "local", command })).kind, "local");
    }
    for (const command of ["search", "user whoami", "user key list"]) {
      await assert.rejects(
        openSession(deps, { repo: "local", command }),
        (e: unknown) =>
          e instanceof UsageError && /does not work on the local repository/.test(e.message) &&
          /hexpub serve/.test(e.hint ?? ""),
      );
    }
    await assert.rejects(
      openSession(deps, { repo: "local", command: "owner list" }),
      (e: unknown) => e instanceof UsageError && /has no owners/.test(e.message),
    );
    assert.equal(fake.requests.length, 0);
  });
});

Deno.test("idempotent reads are retried on 503; the error names the status when it persists", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "erin" });
    const key = fake.addKey({ owner: "erin" });
    const env = { HEX_API_KEY: key.secret };
    fake.failNext(1, 503, { path: "/users/me" });
    const ok = await hexpub.run(["user", "whoami"], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(fake.requestsTo("GET", "/users/me").length, 2);
    fake.failNext(4, 500, { path: "/users/me" });
    const bad = await hexpub.run(["user", "whoami"], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /500/);
  });
});

Deno.test("an expired key is refused with a message naming its expiry", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "yan" });
    const key = fake.addKey({ owner: "yan", revokeAt: Date.now() - 60_000 });
    const r = await hexpub.run(["user", "whoami"], { env: { HEX_API_KEY: key.secret } });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /expired at 20\d\d-/);
  }, { namedKeyExpiry: true });
});

Deno.test("rebar3_hex users keep their credentials: the write key in hex.config is used", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "alice" });
    const key = fake.addKey({ owner: "alice", name: "laptop" });
    (key as { secret: string }).secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    const fixture = fileURLToPath(
      new URL("../fixtures/rebar3_hex_config/hex.config", import.meta.url),
    );
    await Deno.mkdir(join(hexpub.home, ".config", "rebar3"), { recursive: true });
    const target = join(hexpub.home, ".config", "rebar3", "hex.config");
    await Deno.copyFile(fixture, target);
    const before = await Deno.readFile(target);
    const deps = hexpub.deps({ env: { HEXPUB_LOCAL_PASSWORD: "local-pass" } });
    const session = await openSession(deps, { command: "user key generate" });
    const found = await resolveCredential(deps, session, { write: true });
    assert.equal(found.source, "rebar3_hex write key");
    // rebar3's credentials are hex.pm's: used at hex.pm, or where HEX_API_URL points.
    const r = await hexpub.run(["user", "key", "generate", "-k", "from-rebar3", "--json"], {
      env: { HEXPUB_LOCAL_PASSWORD: "local-pass" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, "from-rebar3");
    assert.deepEqual(await Deno.readFile(target), before, "rebar3's file is never rewritten");
    const wrong = await hexpub.run(["user", "key", "generate", "-k", "x"], {
      env: { HEXPUB_LOCAL_PASSWORD: "nope" },
    });
    assert.equal(wrong.code, 4, wrong.stderr);
  });
});

Deno.test("an access token about to expire is refreshed and the rotated refresh token kept", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "mia", twoFactor: true });
    fake.autoApprove({ user: "mia", afterPolls: 1 });
    const env = { HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await hexpub.run(["user", "auth", "--device"], { env })).code, 0);
    const file = join(hexpub.configDir, "credentials.json");
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
    assert.equal((await hexpub.run(["user", "whoami"], { env })).code, 0);
    assert.equal(refreshes().length, 1);
    // The server revoked the old refresh token: a second refresh only works if
    // the rotated one was saved.
    const second = await expireSoon();
    assert.notEqual(second, first);
    const again = await hexpub.run(["user", "whoami"], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(refreshes().length, 2);
    assert.equal(refreshes()[1].status, 200);
  }, { deviceInterval: 0 });
});

Deno.test("a task given a Settings value reads its settings there, never from the environment", async () => {
  const hexpub = await inProcessHexpub();
  // The environment says one thing, malformed values included; the settings another.
  const env = {
    HEXPUB_CONFIG_DIR: join(hexpub.home, "hexpub-config"),
    HEX_API_URL: "https://env.example/api",
    HEX_OTP: "999999",
    HEX_HTTP_TIMEOUT: "soon",
    HEX_UNSAFE_REGISTRY: "maybe",
    HEXPUB_OAUTH_CLIENT_ID: "from-env",
  };
  const settings = settingsFrom({
    env: { HEX_API_URL: "http://127.0.0.1:9/api", HEX_OTP: "123456", HEX_HTTP_TIMEOUT: "7" },
  });
  const deps = testDeps(hexpub.cwd, { env, settings });
  const session = await openSession(deps, { command: "retire" });
  assert.equal(session.target.apiUrl, "http://127.0.0.1:9/api");
  assert.equal(session.otp, "123456");
  assert.equal(session.timeoutMs, 7000);
  assert.equal(
    session.clientId,
    (await openSession(
      testDeps(hexpub.cwd, {
        env: {
          HEXPUB_CONFIG_DIR: env.HEXPUB_CONFIG_DIR,
        },
      }),
      { command: "retire" },
    )).clientId,
    "the default client id, not HEXPUB_OAUTH_CLIENT_ID",
  );
  assert.equal(
    (await openSession(deps, { otp: "654321", command: "retire" })).otp,
    "654321",
    "a flag given to the task wins over the settings",
  );

  // Empty settings: hex.pm's defaults, whatever the environment holds.
  const plain = testDeps(hexpub.cwd, { env, settings: settingsFrom({}) });
  const hexpm = await openSession(plain, { command: "retire" });
  assert.equal(hexpm.target.apiUrl, HEXPM_API_URL);
  assert.equal(hexpm.otp, undefined);
  assert.equal(hexpm.timeoutMs, undefined);
  const repo = await selectReadRepo(plain, { command: "info" });
  assert.equal(repo.verify, true, "HEX_UNSAFE_REGISTRY in the environment is not read");
  assert.equal((await registrySource(plain, repo)).timeoutMs, undefined);
  assert.deepEqual(plain.stderr, []);
});

Deno.test("runCli resolves the settings from its environment, over any the ports carry", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "ada" });
    const key = fake.addKey({ owner: "ada" });
    // Ports whose settings say hex.pm with no key: the run's come from its env (the fake's URL).
    const ports = {
      ...hexpub.deps({ env: { HEX_API_KEY: key.secret } }),
      settings: settingsFrom(),
    };
    assert.equal(await runCli(["user", "whoami"], ports), 0, ports.stderr.join("\n"));
    assert.match(ports.stdout.join("\n"), /ada/);
    assert.equal(fake.requestsTo("GET", "/users/me").length, 1);
  });
});
