/**
 * The `retire` use case in process: checked locally first, then sent to the
 * fake Hex API (retire, unretire, --all) — or, for `-r local`, recorded in the
 * directory with no request at all.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { retire } from "../../src/tasks/retire.ts";
import { readPackage } from "../../src/registry/registry_files.ts";
import { publishToLocal } from "../../src/tasks/publish_local.ts";
import { tarball } from "../repository/repo_fixtures.ts";
import { withInProcessHex } from "../support/in_process.ts";

Deno.test("retire checks reason and message locally; retire, unretire and --all reach the server", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "pat" });
    const key = fake.addKey({ owner: "pat" });
    fake.addRelease({ name: "widget", version: "0.1.0", owners: ["pat"] });
    const env = { HEX_API_KEY: key.secret };
    for (
      const args of [
        ["widget", "0.1.0", "broken", "-m", "nope"],
        ["widget", "0.1.0", "security", "-m", "no"],
      ]
    ) {
      const r = await hexpub.run(["retire", ...args], { env });
      assert.equal(r.code, 2, r.stderr);
    }
    assert.equal(fake.requests.length, 0, "refused before any request");
    const r = await hexpub.run(["retire", "widget", "0.1.0", "security", "-m", "CVE-2026-0001"], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.release("widget", "0.1.0")!.retirement?.reason, "security");
    const un = await hexpub.run(["retire", "widget", "0.1.0", "--unretire"], { env });
    assert.equal(un.code, 0, un.stderr);
    assert.ok(!fake.release("widget", "0.1.0")!.retirement);
    const all = await hexpub.run(["retire", "widget", "--all", "deprecated", "-m", "use gadget"], {
      env,
    });
    assert.equal(all.code, 0, all.stderr);
    assert.equal(fake.release("widget", "0.1.0")!.retirement?.reason, "deprecated");
  });
});

Deno.test("retire on an organization goes to /repos/ORG with the org's package scope", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "pat", orgs: { acme: "admin" } });
    fake.addOrg({ name: "acme", members: { pat: "admin" } });
    const key = fake.addKey({ owner: "pat" });
    fake.addRelease({ name: "secret", version: "1.0.0", repository: "acme", owners: ["pat"] });
    const deps = hexpub.deps({ env: { HEX_API_KEY: key.secret } });
    await retire(deps, {
      repo: "hexpm:acme",
      pkg: "secret",
      version: "1.0.0",
      reason: "invalid",
      message: "wrong build",
      unretire: false,
      all: false,
    });
    assert.equal(fake.release("secret", "1.0.0", "acme")!.retirement?.reason, "invalid");
    assert.equal(
      fake.requestsTo("POST", "/repos/acme/packages/secret/releases/1.0.0/retire").length,
      1,
    );
  });
});

Deno.test("retire -r local goes to the directory: no request, no credentials", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    const dir = join(hexpub.home, "local");
    const deps = hexpub.deps({ env: { HEXPUB_LOCAL_REPO: dir } });
    const { tarball: bytes } = await tarball("solo", "1.0.0");
    await publishToLocal(deps, { name: "solo", version: "1.0.0", tarball: bytes, replace: false });
    await retire(deps, {
      repo: "local",
      pkg: "solo",
      version: "1.0.0",
      reason: "security",
      message: "CVE-1",
      unretire: false,
      all: false,
    });
    const key = await Deno.readTextFile(join(dir, "public_key"));
    const pkg = await readPackage(await Deno.readFile(join(dir, "packages", "solo")), key, {
      repository: "local",
      name: "solo",
      verify: true,
    });
    assert.deepEqual(pkg.releases.map((r) => r.retired), [{ reason: 2, message: "CVE-1" }]);
    assert.equal(fake.requests.length, 0);
  });
});
