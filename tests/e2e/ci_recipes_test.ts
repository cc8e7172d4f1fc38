/**
 * The CI recipes README documents, each run as CI runs them: the real CLI
 * (`deno run main.ts`) in a subprocess, stdin not a terminal, a fresh home and
 * config directory, and an environment holding only what the recipe sets (plus
 * the URLs that point hexpub at the fake hex.pm on 127.0.0.1, and the fake's
 * registry key trusted in the global rebar.config).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { sha256Hex } from "../../src/tarball/checksum.ts";
import { configDirOf, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import type { FakeHex, FakeHexServer } from "../fakes/fake_hex.ts";
import { trustHexpmKey } from "../support/registry.ts";
import { git, makeProject } from "../support/project.ts";
import { keyFingerprint } from "../../src/tasks/organization.ts";

/** The one line that says the credentials are stored without encryption. */
const PLAIN_LINE = /^warning: credentials saved in plain text in .*credentials\.json/m;

/**
 * hex.pm's URLs pointing at the fake. `HEX_CDN` (not a mirror) so organization keys are
 * sent to its repository, as they are to hex.pm's CDN.
 */
function fakeUrls(server: FakeHexServer): Record<string, string> {
  return { HEX_API_URL: server.url, HEX_CDN: server.repoUrl };
}

/** A fresh home whose global rebar.config trusts the fake's registry key (as hexpub trusts hex.pm's). */
async function fakeHome(fake: FakeHex): Promise<string> {
  const home = await makeHome();
  await trustHexpmKey(home, (await fake.registryKeys()).publicKeyPem);
  return home;
}

async function orgSetup(fake: FakeHex) {
  fake.addUser({ username: "pat", orgs: { acme: "admin" } });
  fake.addOrg({ name: "acme", members: { pat: "admin" } });
  const orgKey = fake.addKey({
    owner: { organization: "acme" },
    name: "ci-fetch",
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  fake.addRelease({ name: "secret_sauce", version: "1.0.0", repository: "acme" });
  const home = await fakeHome(fake);
  const cwd = await Deno.makeTempDir({ prefix: "hexpub-ci-" });
  return { orgKey: orgKey.secret, home, cwd };
}

for (const flag of ["--key", "-k"]) {
  Deno.test(`CI: organization auth hexpm:ORG ${flag} KEY, then info and fetch from the organization`, async () => {
    await withFakeHex(async (fake, server) => {
      const { orgKey, home, cwd } = await orgSetup(fake);
      const env = fakeUrls(server);
      const auth = await runHexpub(["organization", "auth", "hexpm:acme", flag, orgKey], {
        cwd,
        home,
        env,
      });
      assert.equal(auth.code, 0, auth.stderr);
      assert.match(auth.stdout, /Successfully authenticated to hexpm:acme/);
      assert.equal(auth.stderr.match(new RegExp(PLAIN_LINE, "gm"))?.length, 1, auth.stderr);

      const file = join(configDirOf(home), "credentials.json");
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
      const stored = JSON.parse(await Deno.readTextFile(file));
      assert.equal(stored.kdf, undefined, "no local password");
      assert.deepEqual(
        Object.values(stored.repos).map((e) => (e as { repoKey?: unknown }).repoKey),
        [{ plain: orgKey }],
      );
      const list = await runHexpub(["organization", "list", "--json"], { cwd, home, env });
      assert.equal(list.code, 0, list.stderr);
      assert.equal(JSON.parse(list.stdout)[0].fingerprint, await keyFingerprint(orgKey));

      const info = await runHexpub(["info", "-r", "hexpm:acme", "secret_sauce"], {
        cwd,
        home,
        env,
      });
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /1\.0\.0/);
      const fetch = await runHexpub(["fetch", "-r", "hexpm:acme", "secret_sauce"], {
        cwd,
        home,
        env,
      });
      assert.equal(fetch.code, 0, fetch.stderr);
      const tar = await Deno.readFile(join(cwd, "secret_sauce-1.0.0.tar"));
      assert.equal(await sha256Hex(tar), fake.release("secret_sauce", "1.0.0", "acme")!.checksum);
      // The stored key is what opened the organization's repository.
      const sent = fake.requestsTo("GET", "/repo/repos/acme/packages/secret_sauce");
      assert.ok(sent.length > 0);
      assert.equal(sent.at(-1)!.headers.get("authorization"), orgKey);
      // A stored key is not configuration: -r acme is not hexpm:acme, and the hint says so.
      if (flag === "--key") {
        const short = await runHexpub(["info", "-r", "acme", "secret_sauce"], { cwd, home, env });
        assert.equal(short.code, 2, short.stderr);
        assert.match(short.stderr, /pass -r hexpm:acme/);
      }
      // Reading needs no password and prints no second notice.
      for (const r of [info, fetch]) assert.doesNotMatch(r.stderr, PLAIN_LINE);
      for (const r of [auth, list, info, fetch]) {
        fake.assertNoSecretIn(r.stdout + r.stderr, "output");
      }
    });
  });
}

Deno.test("CI: a store that already has a local password still needs it: a clear error, nothing changed", async () => {
  await withFakeHex(async (fake, server) => {
    const { orgKey, home, cwd } = await orgSetup(fake);
    const env = fakeUrls(server);
    const first = await runHexpub(["organization", "auth", "hexpm:acme", "--key", orgKey], {
      cwd,
      home,
      env: { ...env, HEXPUB_LOCAL_PASSWORD: "correct horse battery" },
    });
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, PLAIN_LINE);
    const file = join(configDirOf(home), "credentials.json");
    const before = await Deno.readTextFile(file);
    assert.doesNotMatch(before, new RegExp(orgKey), "encrypted");

    const again = await runHexpub(["organization", "auth", "hexpm:acme", "-k", orgKey], {
      cwd,
      home,
      env,
    });
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /local password is needed and there is no terminal/);
    assert.match(again.stderr, /HEXPUB_LOCAL_PASSWORD/);
    assert.doesNotMatch(again.stderr, PLAIN_LINE);
    assert.equal(await Deno.readTextFile(file), before);
    fake.assertNoSecretIn(again.stdout + again.stderr, "output");
  });
});

const APP_SRC = `{application, gizmo, [{description, "Gizmos"}, {vsn, "0.1.0"},
  {licenses, ["MIT"]}, {links, [{"GitHub", "https://github.com/x/gizmo"}]}]}.\n`;

async function gizmo(): Promise<string> {
  return await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "src/gizmo.app.src": APP_SRC,
    "src/gizmo.erl": "-module(gizmo).\n",
  });
}

Deno.test("CI: HEX_API_KEY=… hexpub publish --yes publishes, with no store and no prompt", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "pat" });
    const key = fake.addKey({ owner: "pat", permissions: [{ domain: "api", resource: "write" }] });
    const home = await fakeHome(fake);
    const cwd = await gizmo();
    const r = await runHexpub(["publish", "--yes"], {
      cwd,
      home,
      env: { ...fakeUrls(server), HEX_API_KEY: key.secret },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Published gizmo 0\.1\.0/);
    assert.ok(fake.release("gizmo", "0.1.0"));
    assert.doesNotMatch(r.stderr, PLAIN_LINE);
    await assert.rejects(
      Deno.stat(join(configDirOf(home), "credentials.json")),
      Deno.errors.NotFound,
    );
    fake.assertNoSecretIn(r.stdout + r.stderr, "output");
  });
});

Deno.test("CI: hexpub cut -i patch --yes bumps, commits, tags, pushes and publishes", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "pat" });
    const key = fake.addKey({ owner: "pat" });
    const cwd = await gizmo();
    const origin = await Deno.makeTempDir({ prefix: "hexpub-origin-" });
    await git(origin, "init", "-q", "--bare", "-b", "main");
    await git(cwd, "init", "-q", "-b", "main");
    // A CI checkout's identity is the repository's own config, not the environment.
    await git(cwd, "config", "user.name", "CI");
    await git(cwd, "config", "user.email", "ci@example.invalid");
    await git(cwd, "add", ".");
    await git(cwd, "commit", "-q", "-m", "first");
    await git(cwd, "remote", "add", "origin", origin);
    await git(cwd, "push", "-q", "origin", "main");

    const r = await runHexpub(["cut", "-i", "patch", "--yes"], {
      cwd,
      home: await fakeHome(fake),
      env: { ...fakeUrls(server), HEX_API_KEY: key.secret },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fake.release("gizmo", "0.1.1"));
    assert.equal(
      await Deno.readTextFile(join(cwd, "src/gizmo.app.src")),
      APP_SRC.replace('"0.1.0"', '"0.1.1"'),
    );
    assert.match(await git(origin, "tag"), /^v0\.1\.1$/m);
    assert.match(await git(origin, "log", "--oneline", "main"), /Bump to 0\.1\.1/);
    assert.equal((await git(cwd, "status", "--porcelain")).trim(), "");
    fake.assertNoSecretIn(r.stdout + r.stderr, "output");
  });
});
