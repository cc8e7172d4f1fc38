/**
 * `organization auth --key-stdin`: the organization key comes from stdin, so
 * it never shows in the process list (`--key KEY` does), and it is used for
 * the organization's registry afterwards.
 */
import { strict as assert } from "node:assert";
import { FakeHex } from "../fakes/fake_hex.ts";
import { fakeAt, inProcessHexpub } from "../support/in_process.ts";
import { trustHexpmKey } from "../support/registry.ts";

Deno.test("organization auth --key-stdin stores the key piped in, and refuses nothing or --key too", async () => {
  const fake = new FakeHex();
  fake.addUser({ username: "pat", orgs: { acme: "admin" } });
  fake.addRelease({ name: "secret", version: "1.0.0", owners: ["pat"], repository: "acme" });
  const orgKey = fake.addKey({
    owner: { organization: "acme" },
    name: "ci-fetch",
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  const server = fakeAt(fake, "http://fake.test");
  const hex = await inProcessHexpub({ fakes: [server] });
  await trustHexpmKey(hex.home, (await fake.registryKeys()).publicKeyPem);
  const env = { HEX_API_URL: server.url, HEX_CDN: server.repoUrl };
  const auth = ["organization", "auth", "hexpm:acme", "--key-stdin"];

  const empty = await hex.run(auth, { cwd: hex.home, env, stdin: "  \n" });
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(empty.stderr, /no API key on stdin/);
  assert.match(empty.stderr, /hexpub organization auth hexpm:acme --key-stdin/);

  const both = await hex.run([...auth, "--key", orgKey.secret], {
    cwd: hex.home,
    env,
    stdin: orgKey.secret,
  });
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /--key and --key-stdin cannot be used together/);

  const ok = await hex.run(auth, { cwd: hex.home, env, stdin: `${orgKey.secret}\n` });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout + ok.stderr, /authenticated to hexpm:acme/);
  fake.assertNoSecretIn(ok.stdout + ok.stderr, "output");

  const info = await hex.run(["info", "secret", "-r", "hexpm:acme"], { cwd: hex.home, env });
  assert.equal(info.code, 0, info.stderr);
  assert.equal(
    fake.requestsTo("GET", /\/repo\/repos\/acme\//).at(-1)!.headers.get("authorization"),
    orgKey.secret,
  );
});
