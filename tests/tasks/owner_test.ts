/**
 * The `owner` use cases in process, against the fake Hex API: add (with a
 * level), list (anonymous for public hexpm packages), remove, transfer, and
 * the packages the user owns. The local repository has no owners.
 */
import { strict as assert } from "node:assert";
import { ownedPackages, ownerAdd, ownerList } from "../../src/tasks/owner.ts";
import { UsageError } from "../../src/errors.ts";
import { withInProcessHex } from "../support/in_process.ts";

Deno.test("owner add/list/transfer/remove and owner list packages", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "pat" });
    const key = fake.addKey({ owner: "pat" });
    fake.addUser({ username: "quinn", email: "quinn@example.com" });
    fake.addRelease({ name: "widget", version: "0.1.0", owners: ["pat"] });
    const env = { HEX_API_KEY: key.secret };
    const add = await hexpub.run(["owner", "add", "widget", "quinn", "--level", "maintainer"], {
      env,
    });
    assert.equal(add.code, 0, add.stderr);
    // Public hexpm packages are listed without credentials.
    const list = await hexpub.run(["owner", "list", "widget", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).map((o: { username: string; level: string }) =>
        `${o.username}:${o.level}`
      ).sort(),
      ["pat:full", "quinn:maintainer"],
    );
    assert.equal(
      fake.requestsTo("GET", "/packages/widget/owners")[0].headers.get("authorization"),
      null,
    );
    const mine = await hexpub.run(["owner", "list", "packages"], { env });
    assert.match(mine.stdout, /^widget\s+hexpm/m);
    const before = fake.requests.length;
    const bad = await hexpub.run(["owner", "add", "widget", "quinn", "--level", "boss"], { env });
    assert.equal(bad.code, 2);
    assert.equal(fake.requests.length, before, "a bad level is refused before any request");
    const rm = await hexpub.run(["owner", "remove", "widget", "quinn"], { env });
    assert.equal(rm.code, 0, rm.stderr);
    const tr = await hexpub.run(["owner", "transfer", "widget", "quinn"], { env });
    assert.equal(tr.code, 0, tr.stderr);
    const after = await ownerList(hexpub.deps(), { pkg: "widget" });
    assert.deepEqual(after.map((o) => o.username), ["quinn"]);
  });
});

Deno.test("owner add needs the package's write scope; owner list packages reads the account", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    fake.addUser({ username: "pat" });
    fake.addUser({ username: "quinn" });
    fake.addRelease({ name: "widget", version: "0.1.0", owners: ["pat"] });
    fake.addRelease({ name: "gadget", version: "0.1.0", owners: ["pat"] });
    const readOnly = fake.addKey({
      owner: "pat",
      permissions: [{ domain: "api", resource: "read" }],
    });
    const deps = hexpub.deps({ env: { HEX_API_KEY: readOnly.secret } });
    const pkgs = await ownedPackages(deps, {});
    assert.deepEqual(pkgs.map((p) => p.name).sort(), ["gadget", "widget"]);
    await assert.rejects(
      ownerAdd(deps, { pkg: "widget", user: "quinn", level: "full", transfer: false }),
      /401 key not authorized/,
    );
    assert.deepEqual(
      [...fake.package("widget")!.owners.keys()],
      ["pat"],
      "nothing changed on the server",
    );
  });
});

Deno.test("owner refuses the local repository before any request", async () => {
  await withInProcessHex(async (fake, hexpub) => {
    const deps = hexpub.deps();
    await assert.rejects(
      ownerList(deps, { repo: "local", pkg: "solo" }),
      (e: unknown) =>
        e instanceof UsageError && /has no owners/.test(e.message) && /hexpub serve/.test(e.hint!),
    );
    assert.equal(fake.requests.length, 0);
  });
});
