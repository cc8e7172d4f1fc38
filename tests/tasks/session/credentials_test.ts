/**
 * Credentials go only to the origin they were created for. A project's
 * rebar.config may point `hexpm` or `hexpm:ORG` at another API or repository
 * (a cloned project, an attacker's server on 127.0.0.1): the hex.pm login
 * (`user auth`: an API key or OAuth tokens), HEX_API_KEY and the key stored by
 * `organization auth` must never reach it, and the user is told why the call
 * is not authenticated and what to do.
 *
 * hex.pm itself is a FakeHex answering in process for `https://hex.pm` (no
 * network); the foreign server is a FakeHex listening on 127.0.0.1.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeHex } from "../../fakes/fake_hex.ts";
import { fakeAt, inProcessHexpub, type RunResult } from "../../support/in_process.ts";
import { HEXPM_API_URL } from "../../../src/config/settings.ts";

const PASSWORD = "correct horse battery";
const env = { HEXPUB_LOCAL_PASSWORD: PASSWORD };

/** hex.pm (in process) with alice, owner of widget, admin of acme; her keys. */
function hexpm() {
  const fake = new FakeHex({ deviceInterval: 0 });
  const at = fakeAt(fake, new URL(HEXPM_API_URL).origin);
  assert.equal(at.url, HEXPM_API_URL);
  fake.addUser({ username: "alice", orgs: { acme: "admin" } });
  fake.addRelease({ name: "widget", version: "1.0.0", owners: ["alice"] });
  const userKey = fake.addKey({ owner: "alice", name: "laptop" });
  const orgKey = fake.addKey({
    owner: { organization: "acme" },
    name: "ci-repo",
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  return { fake, at, userKey, orgKey };
}

/** The foreign server's requests carry no credential: no authorization header, no secret. */
function assertNothingSent(foreign: FakeHex, secrets: string[]) {
  assert.ok(foreign.requests.length > 0, "the foreign server was asked something");
  for (const r of foreign.requests) {
    const where = `${r.method} ${r.path}`;
    assert.equal(r.headers.get("authorization"), null, `authorization sent to ${where}`);
    const seen = [...r.headers].map(([k, v]) => `${k}: ${v}`).join("\n") + r.url + r.text;
    for (const s of secrets) assert.ok(!seen.includes(s), `a secret reached ${where}`);
  }
}

function assertAuthRefused(r: RunResult, label: string, hint: RegExp) {
  assert.equal(r.code, 4, `${label}: ${r.stderr}`);
  assert.match(r.stderr, /not authenticated/, `${label}: ${r.stderr}`);
  assert.match(r.stderr, hint, label);
}

Deno.test("a stored hex.pm login and org key never reach the api_url/repo_url a project sets for hexpm:ORG", async () => {
  const { fake, at, userKey, orgKey } = hexpm();
  const foreign = new FakeHex();
  foreign.addUser({ username: "mallory", orgs: { acme: "admin" } });
  foreign.addOrg({ name: "acme" });
  foreign.addRelease({ name: "widget", version: "1.0.0", owners: ["mallory"], repository: "acme" });
  const server = foreign.serve();
  try {
    const hexpub = await inProcessHexpub({ fakes: [at], env });
    // Logged in as `user auth` and `organization auth` do, at hex.pm.
    const login = await hexpub.run(["user", "auth", "--key", userKey.secret]);
    assert.equal(login.code, 0, login.stderr);
    const org = await hexpub.run(["organization", "auth", "hexpm:acme", "--key", orgKey.secret]);
    assert.equal(org.code, 0, org.stderr);

    const cwd = await Deno.makeTempDir({ dir: hexpub.home });
    await Deno.writeTextFile(
      join(cwd, "rebar.config"),
      `{hex, [{repos, [#{name => <<"hexpm:acme">>, api_url => <<"${server.url}">>,\n` +
        `                  repo_url => <<"${server.repoUrl}">>, repo_verify => false}]}]}.\n`,
    );
    const run = (args: string[]) => hexpub.run(args, { cwd });
    const owners = await run(["owner", "list", "widget", "-r", "hexpm:acme"]);
    assertAuthRefused(
      owners,
      "owner list",
      /sends your hex\.pm login only to https:\/\/hex\.pm\/api[^]*set api_key next to that api_url/,
    );
    const retire = await run(
      ["retire", "widget", "1.0.0", "other", "-m", "gone now", "-r", "hexpm:acme"],
    );
    assertAuthRefused(
      retire,
      "retire",
      /sends your hex\.pm login only to https:\/\/hex\.pm\/api[^]*set api_key next to that api_url/,
    );
    // Calls to the account's API (hex.pm) still use the hex.pm login.
    const who = await run(["user", "whoami", "-r", "hexpm:acme"]);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /alice/);
    assert.equal(
      fake.requestsTo("GET", "/users/me").at(-1)?.headers.get("authorization"),
      userKey.secret,
    );
    const info = await run(["info", "widget", "-r", "hexpm:acme"]);
    // The foreign registry is read without the stored org key.
    assert.doesNotMatch(info.stderr, /authorization/i);
    assertNothingSent(foreign, [userKey.secret, orgKey.secret]);
    for (const r of [owners, retire, who, info]) {
      fake.assertNoSecretIn(r.stdout + r.stderr, "output");
    }
  } finally {
    await server.close();
  }
});

/** A project whose rebar.config sets `entries` (Erlang map bodies) under {hex, [{repos, …}]}. */
async function project(home: string, ...entries: string[]): Promise<string> {
  const cwd = await Deno.makeTempDir({ dir: home });
  await Deno.writeTextFile(
    join(cwd, "rebar.config"),
    `{hex, [{repos, [${entries.map((e) => `#{${e}}`).join(",\n  ")}]}]}.\n`,
  );
  return cwd;
}

Deno.test("hexpm pointed at another api_url by a project gets neither the stored key, the OAuth login, HEX_API_KEY nor rebar3's", async () => {
  const { fake, at, userKey } = hexpm();
  fake.addUser({ username: "carol", twoFactor: true });
  fake.autoApprove({ user: "carol", afterPolls: 1 });
  const foreign = new FakeHex();
  foreign.addUser({ username: "mallory" });
  foreign.addRelease({ name: "widget", version: "1.0.0", owners: ["mallory"] });
  const server = foreign.serve();
  try {
    // One user logged in with a key, one with the device flow (OAuth tokens).
    const keyed = await inProcessHexpub({ fakes: [at], env });
    assert.equal((await keyed.run(["user", "auth", "--key", userKey.secret])).code, 0);
    const oauth = await inProcessHexpub({ fakes: [at], env });
    const device = await oauth.run(["user", "auth", "--device"]);
    assert.equal(device.code, 0, device.stderr + String(fake.errors));
    const tokens = fake.tokens.map((t) => t.accessToken);
    assert.ok(tokens.length > 0);

    // And one with rebar3_hex's hex.config (a read key, a write key, org keys).
    const rebar3 = await inProcessHexpub({
      fakes: [at],
      env: { HEXPUB_LOCAL_PASSWORD: "local-pass" },
    });
    await Deno.mkdir(join(rebar3.home, ".config", "rebar3"), { recursive: true });
    await Deno.copyFile(
      fileURLToPath(new URL("../../fixtures/rebar3_hex_config/hex.config", import.meta.url)),
      join(rebar3.home, ".config", "rebar3", "hex.config"),
    );
    const rebar3Secrets = [
      "read-key-of-alice",
      "repo-key-of-alice",
      "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
      "acme0000repo0000key0000acme0000",
    ];

    for (const hexpub of [keyed, oauth, rebar3]) {
      const cwd = await project(
        hexpub.home,
        `name => <<"hexpm">>, api_url => <<"${server.url}">>, repo_url => <<"${server.repoUrl}">>, ` +
          `repo_verify => false`,
      );
      const run = (args: string[], extra: Record<string, string> = {}) =>
        hexpub.run(args, { cwd, env: extra });
      const refused = [
        await run(["user", "whoami"]),
        await run(["retire", "widget", "1.0.0", "other", "-m", "gone now"]),
        await run(["owner", "add", "widget", "bob"]),
      ];
      for (const r of refused) {
        assertAuthRefused(
          r,
          "hexpm elsewhere",
          new RegExp(`not authenticated to hexpm \\(${server.url}`),
        );
      }
      // HEX_API_KEY is hex.pm's: withheld, and the message says so.
      const env = await run(["retire", "widget", "1.0.0", "other", "-m", "gone now"], {
        HEX_API_KEY: userKey.secret,
      });
      assertAuthRefused(env, "HEX_API_KEY", /HEX_API_KEY is set but withheld from hexpm/);
      // Reads hex.pm answers anonymously are asked anonymously.
      const owners = await run(["owner", "list", "widget"]);
      assert.equal(owners.code, 0, owners.stderr);
      assert.match(owners.stdout, /mallory/);
      const info = await run(["info", "widget"]);
      assert.equal(info.code, 0, info.stderr);
      for (const r of [...refused, env, owners, info]) {
        fake.assertNoSecretIn(r.stdout + r.stderr, "output");
      }
    }
    assertNothingSent(foreign, [userKey.secret, ...tokens, ...rebar3Secrets]);
  } finally {
    await server.close();
  }
});

Deno.test("a stored org key is not sent to a repo_url a project sets for hexpm:ORG; the 401 says why and what to do", async () => {
  const { fake, at, userKey, orgKey } = hexpm();
  const foreign = new FakeHex();
  foreign.addOrg({ name: "acme" });
  foreign.addRelease({ name: "secret", version: "1.0.0", repository: "acme" });
  const server = foreign.serve();
  try {
    const hexpub = await inProcessHexpub({ fakes: [at], env });
    assert.equal((await hexpub.run(["user", "auth", "--key", userKey.secret])).code, 0);
    const org = await hexpub.run(["organization", "auth", "hexpm:acme", "--key", orgKey.secret]);
    assert.equal(org.code, 0, org.stderr);
    const cwd = await project(
      hexpub.home,
      `name => <<"hexpm:acme">>, repo_url => <<"${server.repoUrl}">>`,
    );
    for (const args of [["info", "secret"], ["fetch", "secret", "1.0.0"]]) {
      const r = await hexpub.run([...args, "-r", "hexpm:acme"], { cwd });
      assert.notEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /401/);
      assert.match(r.stderr, /hexpub organization auth/);
      assert.match(r.stderr, new RegExp(`HEX_CDN=${server.repoUrl}`));
      fake.assertNoSecretIn(r.stdout + r.stderr, "output");
    }
    assertNothingSent(foreign, [userKey.secret, orgKey.secret]);
  } finally {
    await server.close();
  }
});
