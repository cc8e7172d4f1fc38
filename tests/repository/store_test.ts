/**
 * `RepositoryStore` in process, without HTTP: publish, revert, docs, retire
 * and owners, as a user (hex.pm's ownership rules) and as the administrator
 * (none), with its refusals as values; its facts cache; and the one
 * outer-tarball reader, whose answers for a stored tarball and a freshly
 * checked one agree.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Deps } from "../../src/ports.ts";
import { HexpubError } from "../../src/errors.ts";
import { describeRelease, readStoredRelease } from "../../src/repository/release_reader.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { isRefusal, RepositoryStore } from "../../src/repository/store.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { testDeps } from "../support/test_deps.ts";
import { registryOf, tarball } from "./repo_fixtures.ts";

const docs = gzipBytes(tarOfFiles([["index.html", new TextEncoder().encode("<p/>")]]));

/** A store `mine` in a temporary directory with users alice and bob; `reads` lists tarballs read. */
async function setup() {
  const work = await Deno.makeTempDir({ prefix: "hexpub-store-" });
  const base = testDeps(work, { env: {} });
  const reads: string[] = [];
  const deps: Deps = {
    ...base,
    fs: {
      ...base.fs,
      readFile: (path) => {
        if (/[/\\]tarballs[/\\]/.test(path)) reads.push(path);
        return base.fs.readFile(path);
      },
    },
  };
  const store = await RepositoryStore.open(deps, join(work, "repo"), "mine");
  for (const user of ["alice", "bob"]) await generateServeKey(deps, store.dir, user);
  return { work, deps, store, reads };
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test("publish: a user claims a new package; replace rules; the administrator claims nothing", async () => {
  const { store } = await setup();
  const a1 = await tarball("alpha", "1.0.0");
  const done = await store.publish({ tarball: a1.tarball, replace: false, as: "alice" });
  assert.ok(!isRefusal(done));
  assert.equal(done.outcome, "created");
  assert.equal(done.path, join(store.dir, "tarballs", "alpha-1.0.0.tar"));
  assert.equal(done.facts.checksum, a1.outerChecksum);
  assert.deepEqual(await store.ownersOf("alpha"), [{ username: "alice", level: "full" }]);
  assert.deepEqual(
    (await registryOf(store.repo, "alpha")).pkg.releases.map((r) => r.version),
    ["1.0.0"],
  );

  assert.deepEqual(await store.publish({ tarball: a1.tarball, replace: false, as: "alice" }), {
    refused: "exists",
  });
  assert.deepEqual(
    await store.publish({
      tarball: (await tarball("alpha", "1.1.0")).tarball,
      replace: false,
      as: "bob",
    }),
    { refused: "forbidden" },
  );
  const again = await store.publish({ tarball: a1.tarball, replace: true, as: "alice" });
  assert.equal(!isRefusal(again) && again.outcome, "replaced");

  // The administrator (publish -r local) publishes with its docs and claims nothing;
  // after that no user may write to the package until it is given an owner.
  const b1 = await tarball("beta", "1.0.0");
  const admin = await store.publish({ tarball: b1.tarball, replace: false, docs });
  assert.equal(!isRefusal(admin) && admin.outcome, "created");
  assert.ok(await exists(join(store.dir, "docs", "beta-1.0.0.tar.gz")));
  assert.deepEqual(await store.ownersOf("beta"), []);
  assert.deepEqual(
    await store.publish({
      tarball: (await tarball("beta", "1.1.0")).tarball,
      replace: false,
      as: "alice",
    }),
    { refused: "unowned", name: "beta" },
  );
  assert.deepEqual(await store.revert({ name: "beta", version: "1.0.0", as: "alice" }), {
    refused: "unowned",
    name: "beta",
  });
});

Deno.test("publish refuses what hex_core would not unpack, writing nothing", async () => {
  const { store } = await setup();
  const bad = await store.publish({ tarball: new Uint8Array(1024), replace: false, as: "alice" });
  assert.ok(isRefusal(bad) && bad.refused === "invalid");
  assert.ok("tar" in bad.errors, JSON.stringify(bad.errors));
  const a1 = await tarball("alpha", "1.0.0");
  const badDocs = await store.publish({
    tarball: a1.tarball,
    replace: false,
    docs: new TextEncoder().encode("not gzip"),
  });
  assert.ok(isRefusal(badDocs) && badDocs.refused === "invalid" && "docs" in badDocs.errors);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(join(store.dir, "tarballs"))), []);
});

Deno.test("revert, docs and retire: refusals as values, owners only, owners stay after the last revert", async () => {
  const { store } = await setup();
  for (const v of ["1.0.0", "1.1.0"]) {
    await store.publish({
      tarball: (await tarball("alpha", v)).tarball,
      replace: false,
      as: "alice",
    });
  }
  const a = { name: "alpha", as: "alice" };
  assert.deepEqual(await store.revert({ ...a, version: "9.0.0" }), { refused: "not_found" });
  assert.deepEqual(await store.revert({ name: "nope", version: "1.0.0", as: "alice" }), {
    refused: "not_found",
  });
  assert.deepEqual(await store.removeDocs({ ...a, version: "1.0.0" }), { refused: "no_docs" });
  assert.equal(await store.putDocs({ ...a, version: "1.0.0", docs }), "published");
  assert.deepEqual(await store.putDocs({ ...a, version: "1.0.0", docs, as: "bob" }), {
    refused: "forbidden",
  });
  assert.equal((await store.release("alpha", "1.0.0"))?.hasDocs, true);
  assert.equal(await store.removeDocs({ ...a, version: "1.0.0" }), "removed");

  // Retire one, then all (the retired one keeps its reason unless replace).
  assert.deepEqual(
    await store.retire({
      ...a,
      version: "1.0.0",
      retirement: { reason: "security", message: "CVE-1" },
    }),
    { versions: ["1.0.0"] },
  );
  assert.deepEqual(await store.retire({ ...a, retirement: { reason: "deprecated" } }), {
    versions: ["1.1.0"],
  });
  assert.deepEqual(
    (await store.package("alpha"))?.retirements,
    new Map([["1.0.0", { reason: "security", message: "CVE-1" }], ["1.1.0", {
      reason: "deprecated",
    }]]),
  );
  assert.deepEqual(await store.retire({ ...a, version: "1.0.0", retirement: { reason: "x" } }), {
    refused: "invalid",
    errors: { retirement: { reason: "is invalid" } },
  });
  assert.deepEqual(await store.retire({ ...a, version: "1.1.0" }), { versions: ["1.1.0"] });
  assert.deepEqual(
    (await registryOf(store.repo, "alpha")).pkg.releases.map((r) => r.retired?.reason),
    [2, undefined],
  );

  for (const version of ["1.0.0", "1.1.0"]) {
    assert.equal(await store.revert({ ...a, version }), "reverted");
  }
  assert.equal(await store.package("alpha"), undefined);
  assert.deepEqual((await store.owners()).get("alpha"), [{ username: "alice", level: "full" }]);
  // A maintainer cannot take the name over by publishing it afresh.
  assert.deepEqual(
    await store.publish({
      tarball: (await tarball("alpha", "2.0.0")).tarball,
      replace: false,
      as: "bob",
    }),
    { refused: "forbidden" },
  );
});

Deno.test("owners: hex.pm's rules for users, grantOwner for the administrator", async () => {
  const { store } = await setup();
  await store.publish({ tarball: (await tarball("alpha", "1.0.0")).tarball, replace: false });
  // Nobody owns it: users are refused, the administrator grants.
  assert.deepEqual(await store.editOwner("alpha", { op: "put", target: "bob" }, "alice"), {
    refused: "unowned",
    name: "alpha",
  });
  assert.deepEqual(await store.grantOwner({ name: "alpha", user: "dave", level: "full" }), {
    refused: "unknown_user",
    users: ["alice", "bob"],
  });
  assert.deepEqual(await store.grantOwner({ name: "nope", user: "bob", level: "full" }), {
    refused: "not_found",
  });
  assert.deepEqual(await store.grantOwner({ name: "alpha", user: "alice", level: "full" }), {
    outcome: "added",
    owners: [{ username: "alice", level: "full" }],
  });
  assert.equal(
    (await store.grantOwner({ name: "alpha", user: "alice", level: "full" }) as { outcome: string })
      .outcome,
    "unchanged",
  );

  const put = (target: string, level?: string, transfer?: boolean) =>
    ({ op: "put", target, level, transfer }) as const;
  assert.equal(await store.editOwner("alpha", put("bob", "maintainer"), "alice"), "changed");
  assert.deepEqual(await store.editOwner("alpha", put("alice"), "bob"), { refused: "forbidden" });
  assert.deepEqual(await store.editOwner("alpha", put("dave"), "alice"), { refused: "not_found" });
  assert.deepEqual(await store.editOwner("alpha", put("bob", "boss"), "alice"), {
    refused: "invalid",
    errors: { level: "is invalid" },
  });
  assert.deepEqual(await store.editOwner("alpha", put("alice", "maintainer"), "alice"), {
    refused: "invalid",
    errors: { level: "cannot demote the last full owner of a package" },
  });
  assert.deepEqual(await store.editOwner("alpha", { op: "remove", target: "alice" }, "alice"), {
    refused: "invalid",
    errors: { username: "cannot remove the last full owner of package" },
  });
  assert.equal(await store.editOwner("alpha", put("bob", "full", true), "alice"), "changed");
  assert.deepEqual(await store.ownersOf("alpha"), [{ username: "bob", level: "full" }]);
  assert.deepEqual(await store.packagesOf("bob"), ["alpha"]);
  assert.deepEqual(await store.packagesOf("alice"), []);
});

Deno.test("release facts are read once per file version and start over after a write", async () => {
  const { store, reads } = await setup();
  const a1 = await tarball("alpha", "1.0.0");
  await store.publish({ tarball: a1.tarball, replace: false, as: "alice" });
  reads.length = 0;
  const first = await store.release("alpha", "1.0.0");
  assert.equal(first?.facts.checksum, a1.outerChecksum);
  assert.equal(first?.facts.description, "The alpha package");
  await store.package("alpha");
  await store.search("al", 1, 100);
  assert.equal(reads.length, 1, "one read for three answers");

  const fixed = await tarball("alpha", "1.0.0", " (fixed)");
  await store.publish({ tarball: fixed.tarball, replace: true, as: "alice" });
  reads.length = 0;
  assert.equal((await store.releaseFacts("alpha", "1.0.0"))?.checksum, fixed.outerChecksum);
  await store.releaseFacts("alpha", "1.0.0");
  assert.equal(reads.length, 1);
  assert.equal(await store.releaseFacts("alpha", "9.9.9"), undefined);

  // A damaged tarball fails, and the failure is remembered for that file version.
  await Deno.writeFile(join(store.dir, "tarballs", "beta-1.0.0.tar"), new Uint8Array(10));
  reads.length = 0;
  for (let i = 0; i < 2; i++) {
    await assert.rejects(store.releaseFacts("beta", "1.0.0"), /not a Hex package tarball/);
  }
  assert.equal(reads.length, 1);
});

Deno.test("the outer-tarball reader: a stored tarball and a checked one describe the same release", async () => {
  const t = await tarball("alpha", "1.2.0");
  const stored = await readStoredRelease(t.tarball, "alpha-1.2.0.tar");
  const un = await unpackPackage(t.tarball);
  const fresh = describeRelease(un.metadata, un.innerChecksum, un.outerChecksum);
  assert.deepEqual(fresh, stored);
  assert.equal(stored.name, "alpha");
  assert.equal(stored.version, "1.2.0");
  assert.equal(stored.facts.checksum, t.outerChecksum);
  assert.deepEqual(stored.facts.licenses, ["MIT"]);
  assert.deepEqual(stored.facts.buildTools, ["rebar3"]);
  assert.equal(
    Array.from(stored.release.innerChecksum, (b) => b.toString(16).padStart(2, "0")).join(""),
    t.innerChecksum.toLowerCase(),
  );
  await assert.rejects(readStoredRelease(new Uint8Array(512), "x-1.0.0.tar"), (e: Error) => {
    assert.ok(e instanceof HexpubError);
    assert.match(e.message, /x-1\.0\.0\.tar is not a Hex package tarball: .* missing/);
    return true;
  });
});

Deno.test("build rebuilds the registry from tarballs/ put there by hand", async () => {
  const { store } = await setup();
  for (const [name, v] of [["alpha", "1.0.0"], ["alpha", "1.1.0"], ["beta", "0.1.0"]]) {
    await Deno.writeFile(
      join(store.dir, "tarballs", `${name}-${v}.tar`),
      (await tarball(name, v)).tarball,
    );
  }
  assert.deepEqual(await store.build(), { packages: 2, releases: 3 });
  assert.deepEqual(
    (await registryOf(store.repo, "alpha")).versions.packages.map((p) => [p.name, p.versions]),
    [["alpha", ["1.0.0", "1.1.0"]], ["beta", ["0.1.0"]]],
  );
  assert.deepEqual(
    await store.releases(),
    new Map([["alpha", ["1.0.0", "1.1.0"]], ["beta", ["0.1.0"]]]),
  );
});
