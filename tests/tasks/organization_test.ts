/**
 * The `organization` use cases in process, against the fake Hex API:
 * repository keys for `hexpm:ORG` (checked or created, stored encrypted),
 * the organization's API keys, and its audit log.
 */
import { strict as assert } from "node:assert";
import { keyFingerprint, orgAuth, orgList } from "../../src/tasks/organization.ts";
import { AuthError } from "../../src/errors.ts";
import { withInProcessHex } from "../support/in_process.ts";

const PASSWORD = "correct horse battery";

Deno.test("organization auth --key, list, key generate/list/revoke, deauth", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "frank", orgs: { acme: "admin" } });
    const userKey = fake.addKey({ owner: "frank", name: "main" });
    const orgKey = fake.addKey({
      owner: { organization: "acme" },
      name: "ci-repo",
      permissions: [{ domain: "repository", resource: "acme" }],
    });
    const env = { HEXPUB_LOCAL_PASSWORD: PASSWORD };
    const auth = await hexpub.run(["organization", "auth", "hexpm:acme", "--key", orgKey.secret], {
      env,
    });
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /Successfully authenticated to hexpm:acme/);
    const list = await hexpub.run(["organization", "list"], { env });
    assert.match(list.stdout, /hexpm:acme\s+\S+\/repos\/acme\s+SHA256:[A-Za-z0-9+/]{22}$/m);

    const uenv = { ...env, HEX_API_KEY: userKey.secret };
    const gen = await hexpub.run(
      ["organization", "key", "hexpm:acme", "generate", "--key-name", "deploy"],
      {
        env: uenv,
      },
    );
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stdout, /^[0-9a-f]{32}$/m);
    const keys = await hexpub.run(["organization", "key", "acme", "list"], { env: uenv });
    assert.match(keys.stdout, /deploy\s+fetch packages from organization acme/);
    const rev = await hexpub.run(["organization", "key", "hexpm:acme", "revoke", "deploy"], {
      env: uenv,
    });
    assert.equal(rev.code, 0, rev.stderr);
    const all = await hexpub.run(["organization", "key", "hexpm:acme", "revoke", "--all"], {
      env: uenv,
    });
    assert.equal(all.code, 0, all.stderr);
    assert.ok(fake.isKeyRevoked(orgKey));
    const de = await hexpub.run(["organization", "deauth", "hexpm:acme"], { env });
    assert.match(de.stdout, /Successfully deauthorized hexpm:acme/);
    for (const r of [auth, list, gen, keys, rev, all, de]) {
      fake.assertNoSecretIn(r.stderr, "stderr");
    }
    assert.deepEqual(await orgList(hexpub.deps({ env })), []);
  });
});

Deno.test("organization auth without --key creates a repository:ORG key and stores it", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "ivan", orgs: { acme: "admin" } });
    const key = fake.addKey({ owner: "ivan" });
    const deps = hexpub.deps({
      env: { HEXPUB_LOCAL_PASSWORD: "pw", HEX_API_KEY: key.secret },
    });
    const r = await orgAuth(deps, { org: "acme" });
    assert.deepEqual(r, { org: "acme", keyName: "testhost-repository-acme" });
    const created = fake.keys.find((k) => k.name === "testhost-repository-acme")!;
    assert.deepEqual(created.permissions, [{ domain: "repository", resource: "acme" }]);
    const listed = await orgList(deps);
    assert.deepEqual(listed, [{
      name: "acme",
      url: "http://127.0.0.1:9/repo/repos/acme",
      fingerprint: await keyFingerprint(created.secret),
    }]);
  });
});

Deno.test("organization auth --key refuses a key without repository:ORG and stores nothing", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "frank", orgs: { acme: "admin" } });
    const other = fake.addKey({
      owner: { organization: "acme" },
      permissions: [{ domain: "repository", resource: "elsewhere" }],
    });
    const deps = hexpub.deps({ env: { HEXPUB_LOCAL_PASSWORD: "pw" } });
    await assert.rejects(
      orgAuth(deps, { org: "acme", key: other.secret }),
      (e: unknown) => e instanceof AuthError && /refused that key/.test(e.message),
    );
    assert.deepEqual(await orgList(deps), []);
  });
});

Deno.test("organization key generate warns about more than fetch; organization audit lists it", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "ada", orgs: { acme: "admin" } });
    fake.addOrg({ name: "acme", members: { ada: "admin" } });
    const key = fake.addKey({ owner: "ada" });
    const env = { HEX_API_KEY: key.secret };
    const org = await hexpub.run([
      "organization",
      "key",
      "hexpm:acme",
      "generate",
      "--key-name",
      "wide",
      "-p",
      "api",
    ], { env });
    assert.equal(org.code, 0, org.stderr);
    assert.match(org.stderr, /can do more than fetch acme's packages: api/);
    // -k is --key in organization (rebar3_hex): under `key` it is refused, pointing to --key-name.
    const short = await hexpub.run(
      ["organization", "key", "hexpm:acme", "generate", "-k", "wide2"],
      { env },
    );
    assert.equal(short.code, 2, short.stderr);
    assert.match(short.stderr, /-k\/--key is for `organization auth`/);
    assert.match(short.stderr, /--key-name NAME/);
    assert.equal(fake.keys.some((k) => k.name === "wide2"), false);
    const orgAudit = await hexpub.run(["organization", "audit", "hexpm:acme", "--json"], { env });
    assert.equal(orgAudit.code, 0, orgAudit.stderr);
    assert.ok(
      JSON.parse(orgAudit.stdout).some((e: { action: string }) => e.action === "key.generate"),
    );
  });
});
