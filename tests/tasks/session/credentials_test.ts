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
import { FakeHex } from "../../fakes/fake_hex.ts";
import { fakeAt, inProcessHexpub, type RunResult } from "../../support/in_process.ts";
import { HEXPM_API_URL } from "../../../src/config/settings.ts";

const PASSWORD = "correct horse battery";
const env = { HEXPUB_LOCAL_PASSWORD: PASSWORD };

/** hex.pm (in process) with alice, owner of widget, admin of acme; her keys. */
function hexpm() {
  const fake = new FakeHex();
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
    assertAuthRefused(owners, "owner list", /api_url is not hex\.pm's/);
    const retire = await run(
      ["retire", "widget", "1.0.0", "other", "-m", "gone now", "-r", "hexpm:acme"],
    );
    assertAuthRefused(retire, "retire", /api_url is not hex\.pm's/);
    const info = await run(["info", "widget", "-r", "hexpm:acme"]);
    // The foreign registry is read without the stored org key.
    assert.doesNotMatch(info.stderr, /authorization/i);
    assertNothingSent(foreign, [userKey.secret, orgKey.secret]);
    for (const r of [owners, retire, info]) fake.assertNoSecretIn(r.stdout + r.stderr, "output");
  } finally {
    await server.close();
  }
});
