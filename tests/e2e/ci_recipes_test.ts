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

/** The one line that says the credentials are stored without encryption. */
const PLAIN_LINE = /^warning: credentials saved in plain text in .*credentials\.json/m;

/**
 * hex.pm's URLs pointing at the fake. `HEX_CDN` (not a mirror) so organization keys are
 * sent to its repository, as they are to hex.pm's CDN.
 */
function fakeUrls(server: FakeHexServer): Record<string, string> {
  return { HEX_API_URL: server.url, HEX_CDN: server.repoUrl };
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
  const home = await makeHome();
  await trustHexpmKey(home, (await fake.registryKeys()).publicKeyPem);
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
      // Reading needs no password and prints no second notice.
      for (const r of [info, fetch]) assert.doesNotMatch(r.stderr, PLAIN_LINE);
      for (const r of [auth, info, fetch]) fake.assertNoSecretIn(r.stdout + r.stderr, "output");
    });
  });
}
