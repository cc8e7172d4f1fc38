/**
 * `hexpub serve`'s retire/unretire and owner endpoints, answered by the real
 * handler over a real repository directory: statuses and bodies as hex.pm
 * sends them, and the signed registry read back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { addServeOwner } from "../../src/tasks/serve.ts";
import { answer, publishAs, registryOf, req, setupRepo } from "./repo_fixtures.ts";

const FORBIDDEN = { status: 403, message: "account not authorized for this action" };
const invalid = (errors: unknown) => ({ status: 422, message: "Validation error(s)", errors });

Deno.test("retire and unretire: 204s, the retirement in the signed registry and the JSON, owners only", async () => {
  const { repo, keys, handler } = await setupRepo();
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.0.0")).status, 201);
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.1.0")).status, 201);
  const retire = "/api/packages/alpha/releases/1.0.0/retire";

  const ok = await handler(
    req("POST", retire, keys.alice, { reason: "security", message: "CVE-2026-1" }),
  );
  assert.deepEqual(await answer(ok), { status: 204, body: null });
  let reg = await registryOf(repo, "alpha");
  assert.deepEqual(reg.pkg.releases.map((r) => [r.version, r.retired]), [
    ["1.0.0", { reason: 2, message: "CVE-2026-1" }],
    ["1.1.0", undefined],
  ]);
  assert.deepEqual(reg.versions.packages, [
    { name: "alpha", versions: ["1.0.0", "1.1.0"], retired: [0] },
  ]);
  const rel = await (await handler(req("GET", "/api/packages/alpha/releases/1.0.0"))).json();
  assert.deepEqual(rel.retirement, { reason: "security", message: "CVE-2026-1" });
  assert.equal(
    (await (await handler(req("GET", "/api/packages/alpha/releases/1.1.0"))).json()).retirement,
    null,
  );
  const pkg = await (await handler(req("GET", "/api/packages/alpha"))).json();
  assert.deepEqual(pkg.retirements, { "1.0.0": { reason: "security", message: "CVE-2026-1" } });
  assert.deepEqual(pkg.owners, [{ username: "alice", url: "http://repo.test/api/users/alice" }]);

  // hex.pm's changeset errors, nested under "retirement".
  for (
    const [body, errors] of [
      [{ reason: "obsolete", message: "old stuff" }, { reason: "is invalid" }],
      [{ message: "no reason" }, { reason: "can't be blank" }],
      [{ reason: "other", message: "no" }, { message: "should be at least 3 character(s)" }],
      [{ reason: "other", message: "x".repeat(141) }, {
        message: "should be at most 140 character(s)",
      }],
      [{ reason: 3 }, { reason: "is invalid" }],
    ] as const
  ) {
    const res = await handler(req("POST", retire, keys.alice, body));
    assert.deepEqual(await answer(res), {
      status: 422,
      body: invalid({ retirement: errors }),
    }, JSON.stringify(body));
  }
  const garbled = new Request(`http://repo.test${retire}`, {
    method: "POST",
    headers: { authorization: keys.alice, "content-type": "application/json" },
    body: "{not json",
  });
  assert.equal((await handler(garbled)).status, 400);

  // Who may: an owner. Anyone else is refused as hex.pm refuses them.
  const body = { reason: "invalid", message: "broken build" };
  assert.deepEqual(await answer(await handler(req("POST", retire, keys.bob, body))), {
    status: 403,
    body: FORBIDDEN,
  });
  assert.deepEqual(await answer(await handler(req("POST", retire, undefined, body))), {
    status: 403,
    body: FORBIDDEN,
  });
  const badKey = await handler(req("POST", retire, "f".repeat(32), body));
  assert.deepEqual(await answer(badKey), {
    status: 401,
    body: { status: 401, message: "invalid API key" },
  });
  assert.equal(badKey.headers.get("www-authenticate"), "Basic realm=hex");
  assert.equal(
    (await handler(req("POST", "/api/packages/alpha/releases/9.9.9/retire", keys.alice, body)))
      .status,
    404,
  );
  assert.equal(
    (await handler(req("POST", "/api/packages/nope/releases/1.0.0/retire", keys.alice, body)))
      .status,
    404,
  );
  assert.equal(
    (await handler(req("POST", "/api/packages/alpha/releases/v1/retire", keys.alice, body)))
      .status,
    400,
  );
  // Nothing was changed by the refusals.
  reg = await registryOf(repo, "alpha");
  assert.deepEqual(reg.pkg.releases[0].retired, { reason: 2, message: "CVE-2026-1" });

  // Unretire.
  assert.equal((await handler(req("DELETE", retire, keys.bob))).status, 403);
  assert.equal((await handler(req("DELETE", retire, keys.alice))).status, 204);
  reg = await registryOf(repo, "alpha");
  assert.deepEqual(reg.pkg.releases.map((r) => r.retired), [undefined, undefined]);
  assert.deepEqual(reg.versions.packages[0].retired, []);
  assert.deepEqual(
    (await (await handler(req("GET", "/api/packages/alpha"))).json()).retirements,
    {},
  );
  // Unretiring a release that is not retired is a no-op, as on hex.pm.
  assert.equal((await handler(req("DELETE", retire, keys.alice))).status, 204);

  // Under /api/repos/REPO too, and retire-all (keeping existing retirements unless replace).
  assert.equal(
    (await handler(
      req("POST", "/api/repos/mine/packages/alpha/releases/1.0.0/retire", keys.alice, {
        reason: "security",
        message: "CVE-2026-1",
      }),
    )).status,
    204,
  );
  const all = "/api/packages/alpha/retire";
  assert.equal(
    (await handler(req("POST", all, keys.alice, { reason: "deprecated", message: "use beta" })))
      .status,
    204,
  );
  reg = await registryOf(repo, "alpha");
  assert.deepEqual(reg.pkg.releases.map((r) => r.retired), [
    { reason: 2, message: "CVE-2026-1" },
    { reason: 3, message: "use beta" },
  ]);
  assert.deepEqual(reg.versions.packages[0].retired, [0, 1]);
  assert.equal(
    (await handler(
      req("POST", all, keys.alice, { reason: "renamed", message: "now gamma", replace: true }),
    )).status,
    204,
  );
  reg = await registryOf(repo, "alpha");
  assert.deepEqual(reg.pkg.releases.map((r) => r.retired?.reason), [4, 4]);
  assert.equal(
    (await handler(req("POST", "/api/packages/nope/retire", keys.alice, { reason: "other" })))
      .status,
    404,
  );
  // The state file is never served.
  assert.equal((await handler(req("GET", "/retirements.json"))).status, 404);
  assert.equal((await handler(req("GET", "/owners.json"))).status, 404);
});

Deno.test("owners: the first publisher is the full owner; add, levels, transfer and remove with hex.pm's refusals", async () => {
  const { keys, handler, repo } = await setupRepo();
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.0.0")).status, 201);
  const owners = "/api/packages/alpha/owners";
  assert.deepEqual(await (await handler(req("GET", owners))).json(), [
    { username: "alice", full_name: null, level: "full", url: "http://repo.test/api/users/alice" },
  ]);

  // Not an owner: every write is refused, nothing changes.
  assert.deepEqual(await answer(await publishAs(handler, keys.bob, "alpha", "1.1.0")), {
    status: 403,
    body: FORBIDDEN,
  });
  assert.equal(
    (await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0", keys.bob)))
      .status,
    403,
  );
  const docs = gzipBytes(tarOfFiles([["index.html", new TextEncoder().encode("<p/>")]]));
  assert.equal(
    (await handler(req("POST", "/api/packages/alpha/releases/1.0.0/docs", keys.bob, docs))).status,
    403,
  );
  assert.equal(
    (await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0/docs", keys.bob))).status,
    403,
  );
  assert.equal(
    (await handler(req("PUT", `${owners}/bob`, keys.bob, { level: "full" }))).status,
    403,
  );
  assert.equal((await handler(req("PUT", `${owners}/bob`, undefined, {}))).status, 403);
  assert.equal((await handler(req("GET", "/tarballs/alpha-1.1.0.tar"))).status, 404);

  // A maintainer may publish and retire, but not manage owners.
  assert.equal(
    (await handler(req("PUT", `${owners}/bob`, keys.alice, { level: "maintainer" }))).status,
    204,
  );
  assert.equal((await publishAs(handler, keys.bob, "alpha", "1.1.0")).status, 201);
  assert.equal(
    (await handler(
      req("POST", "/api/packages/alpha/releases/1.1.0/retire", keys.bob, { reason: "other" }),
    )).status,
    204,
  );
  assert.equal(
    (await handler(req("PUT", `${owners}/carol`, keys.bob, { level: "full" }))).status,
    403,
  );

  // hex.pm's answers for unknown users, bad levels and the last full owner.
  assert.deepEqual(await answer(await handler(req("PUT", `${owners}/dave`, keys.alice, {}))), {
    status: 404,
    body: { status: 404, message: "Page not found" },
  });
  assert.deepEqual(
    await answer(await handler(req("PUT", `${owners}/carol`, keys.alice, { level: "boss" }))),
    { status: 422, body: invalid({ level: "is invalid" }) },
  );
  assert.deepEqual(
    await answer(
      await handler(req("PUT", `${owners}/alice`, keys.alice, { level: "maintainer" })),
    ),
    { status: 422, body: invalid({ level: "cannot demote the last full owner of a package" }) },
  );
  assert.deepEqual(await answer(await handler(req("DELETE", `${owners}/carol`, keys.alice))), {
    status: 422,
    body: invalid({ username: "user is not an owner of package" }),
  });
  assert.equal((await handler(req("DELETE", `${owners}/dave`, keys.alice))).status, 404);
  assert.deepEqual(await answer(await handler(req("DELETE", `${owners}/alice`, keys.alice))), {
    status: 422,
    body: invalid({ username: "cannot remove the last full owner of package" }),
  });
  assert.equal((await handler(req("GET", `${owners}/bob`))).status, 200);
  assert.equal((await handler(req("GET", `${owners}/carol`))).status, 404);
  assert.equal((await handler(req("GET", "/api/packages/nope/owners"))).status, 404);

  // Promote, then remove.
  assert.equal((await handler(req("PUT", `${owners}/bob`, keys.alice, {}))).status, 204);
  assert.deepEqual(
    (await (await handler(req("GET", owners))).json()).map((o: { level: string }) => o.level),
    ["full", "full"],
  );
  assert.equal((await handler(req("DELETE", `${owners}/bob`, keys.alice))).status, 204);

  // Transfer: carol becomes the only (full) owner.
  assert.equal(
    (await handler(
      req("PUT", `${owners}/carol`, keys.alice, { level: "maintainer", transfer: true }),
    )).status,
    422,
  );
  assert.equal(
    (await handler(req("PUT", `${owners}/carol`, keys.alice, { level: "full", transfer: true })))
      .status,
    204,
  );
  assert.deepEqual(
    (await (await handler(req("GET", owners))).json()).map((o: { username: string }) => o.username),
    ["carol"],
  );
  assert.equal(
    (await handler(
      req("POST", "/api/packages/alpha/releases/1.0.0/retire", keys.alice, { reason: "other" }),
    )).status,
    403,
  );
  assert.deepEqual(await answer(await handler(req("DELETE", `${owners}/carol`, keys.carol))), {
    status: 422,
    body: invalid({ username: "cannot remove last owner of package" }),
  });
  assert.deepEqual(
    (await (await handler(req("GET", "/api/packages/alpha"))).json()).owners,
    [{ username: "carol", url: "http://repo.test/api/users/carol" }],
  );
  const carol = await (await handler(req("GET", "/api/users/carol"))).json();
  assert.deepEqual(carol.packages.map((p: { name: string }) => p.name), ["alpha"]);
  assert.equal(carol.packages[0].repository, "mine");
  assert.equal((await handler(req("GET", "/api/users/dave"))).status, 404);
  const saved = JSON.parse(await Deno.readTextFile(join(repo.dir, "owners.json")));
  assert.deepEqual(saved, { owners: { alpha: [{ username: "carol", level: "full" }] } });
});

Deno.test("a package with no owners is claimed by no write, not even its publisher's; once owned, it stays owned after its last revert", async () => {
  const { keys, handler, repo, deps } = await setupRepo();
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.0.0")).status, 201);
  await Deno.remove(join(repo.dir, "owners.json"));
  assert.deepEqual(await (await handler(req("GET", "/api/packages/alpha/owners"))).json(), []);

  const refusal = (user: string) => ({
    ...FORBIDDEN,
    errors: {
      owners:
        `package alpha has no owners: on the server, run \`hexpub serve owner add DIR alpha ${user}\``,
    },
  });
  for (const [who, key] of [["alice", keys.alice], ["bob", keys.bob]]) {
    assert.deepEqual(
      await answer(
        await handler(
          req("POST", "/api/packages/alpha/releases/1.0.0/retire", key, {
            reason: "other",
            message: "claimed",
          }),
        ),
      ),
      { status: 403, body: refusal(who) },
    );
    assert.deepEqual(await answer(await publishAs(handler, key, "alpha", "2.0.0")), {
      status: 403,
      body: refusal(who),
    });
    assert.equal(
      (await handler(req("PUT", "/api/packages/alpha/owners/carol", key, {}))).status,
      403,
    );
    assert.equal(
      (await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0", key))).status,
      403,
    );
  }
  assert.equal(await Deno.lstat(join(repo.dir, "owners.json")).catch(() => undefined), undefined);
  assert.deepEqual((await registryOf(repo, "alpha")).pkg.releases.map((r) => r.version), ["1.0.0"]);

  // The server's owner command gives it an owner; then that owner may write.
  await addServeOwner(deps, { dir: repo.dir, name: "alpha", user: "bob", level: "full" });
  assert.equal(
    (await handler(
      req("POST", "/api/packages/alpha/releases/1.0.0/retire", keys.bob, {
        reason: "other",
        message: "owned",
      }),
    )).status,
    204,
  );
  assert.equal((await publishAs(handler, keys.alice, "alpha", "2.0.0")).status, 403);

  // Reverting the last release drops its retirement but keeps the owners, so
  // nobody else (not even a maintainer) can take the name by publishing again.
  assert.equal(
    (await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0", keys.bob))).status,
    204,
  );
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(repo.dir, "retirements.json"))), {
    retirements: {},
  });
  assert.equal((await publishAs(handler, keys.carol, "alpha", "1.0.0")).status, 403);
  assert.equal((await publishAs(handler, keys.bob, "alpha", "1.0.0")).status, 201);
  const reg = await registryOf(repo, "alpha");
  assert.equal(reg.pkg.releases[0].retired, undefined, "a re-published version is not retired");
  assert.deepEqual(
    (await (await handler(req("GET", "/api/packages/alpha/owners"))).json()).map((
      o: { username: string },
    ) => o.username),
    ["bob"],
  );
});

Deno.test("concurrent retirements and owner changes all land", async () => {
  const { keys, handler, repo } = await setupRepo();
  const versions = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"];
  for (const v of versions) {
    assert.equal((await publishAs(handler, keys.alice, "alpha", v)).status, 201);
  }
  const results = await Promise.all([
    ...versions.map((v) =>
      handler(
        req("POST", `/api/packages/alpha/releases/${v}/retire`, keys.alice, {
          reason: "other",
          message: `retired ${v}`,
        }),
      )
    ),
    handler(req("PUT", "/api/packages/alpha/owners/bob", keys.alice, { level: "maintainer" })),
    handler(req("PUT", "/api/packages/alpha/owners/carol", keys.alice, {})),
  ]);
  assert.deepEqual(results.map((r) => r.status), [204, 204, 204, 204, 204, 204, 204]);
  const reg = await registryOf(repo, "alpha");
  assert.deepEqual(
    reg.pkg.releases.map((r) => r.retired?.message),
    versions.map((v) => `retired ${v}`),
  );
  assert.deepEqual(reg.versions.packages[0].retired, [0, 1, 2, 3, 4]);
  assert.deepEqual(
    (await (await handler(req("GET", "/api/packages/alpha/owners"))).json()).map((
      o: { username: string; level: string },
    ) => `${o.username}:${o.level}`).sort(), // the two PUTs race: either may land first
    ["alice:full", "bob:maintainer", "carol:full"],
  );
});
