/**
 * Tests of FakeHex's package side: publish and its validation, the edit window,
 * revert, docs, retire, owners, search, package and release JSON, repository
 * tarballs, and dropping a connection after the server handled a publish.
 */
import { strict as assert } from "node:assert";
import { DroppedConnectionError, FakeHex } from "./fake_hex.ts";
import { callFake as call, type Reply } from "./_call_fake.ts";
import { bin, bool, list, type Term, tuple } from "../../src/erlang/term.ts";
import { createPackageTarball, type PackageTarball } from "../../src/tarball/create_package.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { metadataToJson } from "../../src/tarball/metadata_config.ts";

/** 2026-11-22T12:00:00Z: aligned to the minute, so to TOTP steps. */
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const encoder = new TextEncoder();

interface TarOptions {
  name?: string;
  version?: string;
  /** `null` leaves the key out. */
  app?: string | null;
  description?: string | null;
  licenses?: string[] | null;
  links?: Record<string, string>;
  buildTools?: string[];
  requirements?: Record<string, { requirement: string; repository?: string; optional?: boolean }>;
  /** Mix's list shape for requirements instead of the map keyed by name. */
  legacyRequirements?: boolean;
  content?: string;
}

/** A real package tarball, built by hexpub's own builder. */
async function tarball(o: TarOptions = {}): Promise<PackageTarball> {
  const name = o.name ?? "newpkg";
  const kv = (k: string, v: Term): Term => tuple(bin(k), v);
  const reqs = Object.entries(o.requirements ?? {}).map(([dep, r]) => {
    const fields = [
      kv("app", bin(dep)),
      kv("optional", bool(r.optional ?? false)),
      kv("requirement", bin(r.requirement)),
      ...(r.repository ? [kv("repository", bin(r.repository))] : []),
    ];
    return o.legacyRequirements ? list([kv("name", bin(dep)), ...fields]) : kv(dep, list(fields));
  });
  const metadata: [string, Term][] = [
    ["name", bin(name)],
    ["version", bin(o.version ?? "1.0.0")],
    ["files", list([bin("src/newpkg.erl")])],
    ["build_tools", list((o.buildTools ?? ["rebar3"]).map(bin))],
    ["requirements", list(reqs)],
    ["links", list(Object.entries(o.links ?? {}).map(([k, v]) => kv(k, bin(v))))],
  ];
  if (o.app !== null) metadata.push(["app", bin(o.app ?? name)]);
  if (o.description !== null) {
    metadata.push(["description", bin(o.description ?? "A new package")]);
  }
  if (o.licenses !== null) metadata.push(["licenses", list((o.licenses ?? ["MIT"]).map(bin))]);
  const content = encoder.encode(o.content ?? "-module(newpkg).\n");
  return await createPackageTarball({
    metadata,
    files: [{ path: "src/newpkg.erl", kind: "file", mode: 0o644, size: content.length, content }],
  });
}

/**
 * alice: 2FA, admin of acme and broke, full owner of hexpm/foo (published 30 days ago).
 * bob: write member of acme, maintainer of foo. carol: no organization, owns nothing.
 */
function world() {
  const fake = new FakeHex({ clock: () => T0 });
  fake.addUser({ username: "alice", twoFactor: true, publicEmail: true });
  fake.addUser({ username: "bob" });
  fake.addUser({ username: "carol" });
  fake.addOrg({ name: "acme", members: { alice: "admin", bob: "write" } });
  fake.addOrg({ name: "broke", billingActive: false, members: { alice: "admin" } });
  fake.addPackage({
    name: "foo",
    owners: { alice: "full", bob: "maintainer" },
    insertedAt: T0 - 30 * DAY,
    meta: { description: "Foo does things" },
    releases: [{ version: "1.0.0", insertedAt: T0 - 30 * DAY }],
  });
  const key = (owner: string) => fake.addKey({ owner, name: owner }).secret;
  return { fake, alice: key("alice"), bob: key("bob"), carol: key("carol") };
}

async function publish(
  fake: FakeHex,
  key: string | undefined,
  tar: Uint8Array,
  path = "/publish?replace=false",
): Promise<Reply> {
  return await call(fake, "POST", path, { key, body: tar });
}

// ------------------------------------------------------------------ publish

Deno.test("POST /publish stores a new package: 201, Location, Release JSON, publisher owns it", async () => {
  const { fake, alice } = world();
  const t = await tarball({ requirements: { foo: { requirement: "~> 1.0" } } });
  const r = await publish(fake, alice, t.tarball);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get("location"), "http://hex.test/api/packages/newpkg/releases/1.0.0");
  assert.equal(r.body.version, "1.0.0");
  assert.equal(r.body.checksum, t.outerChecksum);
  assert.equal(r.body.has_docs, false);
  assert.equal(r.body.retirement, null);
  assert.deepEqual(r.body.meta, { app: "newpkg", build_tools: ["rebar3"], elixir: null });
  assert.deepEqual(r.body.requirements, {
    foo: { app: "foo", requirement: "~> 1.0", optional: false },
  });
  assert.deepEqual(r.body.publisher, {
    username: "alice",
    email: "alice@example.com",
    url: "http://hex.test/api/users/alice",
  });
  assert.equal(r.body.inserted_at, new Date(T0).toISOString());
  assert.equal(r.body.url, "http://hex.test/api/packages/newpkg/releases/1.0.0");
  assert.equal(r.body.package_url, "http://hex.test/api/packages/newpkg");
  assert.equal(r.body.html_url, "http://hex.test/packages/newpkg/1.0.0");
  assert.equal(r.body.docs_html_url, null);

  const stored = fake.release("newpkg", "1.0.0")!;
  assert.deepEqual(stored.tarball, t.tarball);
  assert.equal(stored.checksum, t.outerChecksum);
  assert.equal(stored.innerChecksum, t.innerChecksum);
  assert.equal(stored.publisher, "alice");
  const pkg = fake.package("newpkg")!;
  assert.deepEqual([...pkg.owners], [["alice", "full"]]);
  assert.equal(pkg.meta.description, "A new package");
  assert.deepEqual(pkg.meta.licenses, ["MIT"]);

  const user = await call(fake, "GET", "/users/alice");
  assert.deepEqual(
    user.body.packages.map((p: { name: string; repository: string }) => p.name),
    ["foo", "newpkg"],
  );
  assert.deepEqual(user.body.packages[1], {
    name: "newpkg",
    repository: "hexpm",
    url: "http://hex.test/api/packages/newpkg",
    html_url: "http://hex.test/packages/newpkg",
  });
  fake.verify();
});

Deno.test("POST /publish reads the tarball before authorizing: 422 tar, then 401", async () => {
  const { fake } = world();
  const broken = tarOfFiles([["VERSION", encoder.encode("3")]]);
  const r = await publish(fake, undefined, broken);
  assert.equal(r.status, 422);
  assert.equal(r.body.message, "Validation error(s)");
  assert.equal(
    r.body.errors.tar,
    'missing files: ["CHECKSUM","metadata.config","contents.tar.gz"]',
  );
  const garbage = await publish(fake, undefined, encoder.encode("not a tarball"));
  assert.equal(garbage.status, 422);
  assert.equal(typeof garbage.body.errors.tar, "string");

  const good = await publish(fake, undefined, (await tarball()).tarball);
  assert.equal(good.status, 401);
  assert.equal(good.body.message, "missing authentication information");
  assert.equal(fake.package("newpkg"), undefined);
});

Deno.test("POST /packages/NAME/releases authorizes first, then checks the name", async () => {
  const { fake, alice, carol } = world();
  const anonymous = await publish(
    fake,
    undefined,
    encoder.encode("junk"),
    "/packages/foo/releases",
  );
  assert.equal(anonymous.status, 401);
  const notOwner = await publish(fake, carol, encoder.encode("junk"), "/packages/foo/releases");
  assert.equal(notOwner.status, 403);
  assert.equal(notOwner.body.message, "account not authorized for this action");

  const t = await tarball({ name: "newpkg" });
  const mismatch = await publish(fake, alice, t.tarball, "/packages/other/releases?replace=false");
  assert.equal(mismatch.status, 422);
  assert.deepEqual(mismatch.body.errors, { name: "metadata does not match package name" });
  const ok = await publish(fake, alice, t.tarball, "/packages/newpkg/releases?replace=false");
  assert.equal(ok.status, 201, ok.text);
  fake.verify();
});

Deno.test("publish validation: metadata errors nest under meta, package errors come alone", async () => {
  const { fake, alice } = world();
  const cases: [TarOptions, unknown][] = [
    [{ app: null }, { meta: { app: "can't be blank" } }],
    [{ buildTools: [] }, { meta: { build_tools: "can't be blank" } }],
    // Package-level errors are reported without the release's (no app here either).
    [{ description: null, app: null }, { meta: { description: "can't be blank" } }],
    [{ description: "   " }, { meta: { description: "can't be blank" } }],
    [{ licenses: null }, { meta: { licenses: "can't be blank" } }],
    [{ licenses: ["MIT OR Apache-2.0"] }, {
      meta: { licenses: 'invalid license "MIT OR Apache-2.0"' },
    }],
    [{ links: { GitHub: "ftp://example.com" } }, {
      meta: { links: 'invalid link "ftp://example.com"' },
    }],
    [{ name: "Foo_Bar" }, { name: "has invalid format" }],
    [{ name: "a" }, { name: "should be at least 2 character(s)" }],
    [{ name: "mix" }, { name: "is reserved" }],
    [{ version: "1.0" }, { version: "is invalid SemVer" }],
    [{ version: "v1.0.0" }, { version: "is invalid SemVer" }],
    [{ version: "1.0.0+build.1" }, { version: "build number not allowed" }],
    [{ version: `1.0.0-${"a".repeat(65)}` }, {
      version: "prerelease must be at most 64 characters",
    }],
  ];
  for (const [options, errors] of cases) {
    const r = await publish(fake, alice, (await tarball(options)).tarball);
    assert.equal(r.status, 422, JSON.stringify(options));
    assert.deepEqual(r.body.errors, errors, JSON.stringify(options));
  }
  // `licenses: []` passes on hex.pm (§9).
  const empty = await publish(fake, alice, (await tarball({ licenses: [] })).tarball);
  assert.equal(empty.status, 201, empty.text);
  assert.equal(fake.packages.size, 2);
});

Deno.test("publish validation: requirements parse, refuse !=, and must exist in their repository", async () => {
  const { fake, alice } = world();
  fake.addPackage({ name: "lib", repository: "acme" });
  const cases: [TarOptions["requirements"], unknown][] = [
    [{ nope: { requirement: "~> 1.0" } }, {
      requirements: { nope: 'package does not exist in repository "hexpm"' },
    }],
    [{ foo: { requirement: "~> invalid" } }, {
      requirements: { foo: 'invalid requirement: "~> invalid"' },
    }],
    [{ foo: { requirement: "!= 1.0.0" } }, {
      requirements: { foo: 'invalid requirement: "!= 1.0.0", != is not allowed in requirements' },
    }],
    [{ lib: { requirement: "~> 1.0", repository: "acme" } }, {
      requirements: {
        lib: 'dependencies can only belong to public repository "hexpm", got: "acme"',
      },
    }],
    // Per requirement the first failing check; each requirement reported.
    [{ foo: { requirement: "~> 1.0" }, ghost: { requirement: "bad" } }, {
      requirements: { ghost: 'invalid requirement: "bad"' },
    }],
  ];
  for (const [requirements, errors] of cases) {
    const r = await publish(fake, alice, (await tarball({ requirements })).tarball);
    assert.equal(r.status, 422, JSON.stringify(requirements));
    assert.deepEqual(r.body.errors, errors);
  }
  // mix's list shape is read too.
  const legacy = await publish(
    fake,
    alice,
    (await tarball({
      requirements: { foo: { requirement: ">= 0.0.0" } },
      legacyRequirements: true,
    }))
      .tarball,
  );
  assert.equal(legacy.status, 201, legacy.text);
  assert.deepEqual(Object.keys(legacy.body.requirements), ["foo"]);

  // An organization package may depend on its own repository, and needs no description.
  const org = await publish(
    fake,
    alice,
    (await tarball({
      name: "inner",
      description: null,
      licenses: null,
      requirements: { lib: { requirement: "~> 1.0", repository: "acme" } },
    })).tarball,
    "/repos/acme/publish?replace=false",
  );
  assert.equal(org.status, 201, org.text);
  assert.equal(
    org.headers.get("location"),
    "http://hex.test/api/repos/acme/packages/inner/releases/1.0.0",
  );
  fake.verify();
});

Deno.test("publish authorization: owners, maintainers, scoped keys, read-only keys, unverified email", async () => {
  const { fake, bob, carol } = world();
  const next = (await tarball({ name: "foo", version: "1.1.0" })).tarball;
  const taken = await publish(fake, carol, next);
  assert.equal(taken.status, 403);
  assert.equal(taken.body.message, "account not authorized for this action");

  const readOnly = fake.addKey({
    owner: "alice",
    name: "ro",
    permissions: [{ domain: "api", resource: "read" }],
  });
  const ro = await publish(fake, readOnly.secret, next);
  assert.equal(ro.status, 401);
  assert.equal(ro.body.message, "key not authorized for this action");

  const otherPackage = fake.addKey({
    owner: "alice",
    name: "scoped-other",
    permissions: [{ domain: "package", resource: "hexpm/newpkg" }],
  });
  assert.equal((await publish(fake, otherPackage.secret, next)).status, 401);
  const scoped = fake.addKey({
    owner: "alice",
    name: "scoped",
    permissions: [{ domain: "package", resource: "foo" }],
  });
  const viaScope = await publish(fake, scoped.secret, next);
  assert.equal(viaScope.status, 201, viaScope.text);

  // A maintainer may publish.
  const maint = await publish(
    fake,
    bob,
    (await tarball({ name: "foo", version: "1.2.0" })).tarball,
  );
  assert.equal(maint.status, 201, maint.text);
  assert.equal(maint.body.publisher.username, "bob");

  fake.addUser({ username: "dave", emailVerified: false });
  const dave = fake.addKey({ owner: "dave" });
  const unverified = await publish(fake, dave.secret, (await tarball({ name: "davepkg" })).tarball);
  assert.equal(unverified.status, 403);
  assert.equal(unverified.body.message, "email not verified");
  fake.verify();
});

Deno.test("publish with an OAuth token needs a TOTP code, as other writes do", async () => {
  const { fake } = world();
  const token = fake.issueToken({ user: "alice", scopes: ["api"] });
  const tar = (await tarball()).tarball;
  const noOtp = await call(fake, "POST", "/publish?replace=false", {
    bearer: token.access_token,
    body: tar,
  });
  assert.equal(noOtp.status, 401);
  assert.match(noOtp.headers.get("www-authenticate") ?? "", /totp_required/);
  const wrong = await call(fake, "POST", "/publish?replace=false", {
    bearer: token.access_token,
    otp: "000000",
    body: tar,
  });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get("www-authenticate") ?? "", /invalid_totp/);
  const ok = await call(fake, "POST", "/publish?replace=false", {
    bearer: token.access_token,
    otp: await fake.totp("alice"),
    body: tar,
  });
  assert.equal(ok.status, 201, ok.text);

  // bob has no 2FA: OAuth writes are refused outright.
  const bobToken = fake.issueToken({ user: "bob", scopes: ["api"] });
  const bob = await call(fake, "POST", "/publish?replace=false", {
    bearer: bobToken.access_token,
    body: (await tarball({ name: "foo", version: "2.0.0" })).tarball,
  });
  assert.equal(bob.status, 403);
  assert.equal(bob.body.message, "Two-factor authentication must be enabled for API write access");
});

Deno.test("replace: 422 without it, 200 with it or when absent (server default), edit window by the clock", async () => {
  const { fake, alice } = world();
  const first = await tarball({ content: "v1" });
  assert.equal((await publish(fake, alice, first.tarball)).status, 201);
  const second = await tarball({ content: "v2" });

  const again = await publish(fake, alice, second.tarball);
  assert.equal(again.status, 422);
  assert.deepEqual(again.body.errors, {
    inserted_at: "must include the --replace flag to update an existing release",
  });
  assert.equal(fake.release("newpkg", "1.0.0")!.checksum, first.outerChecksum);

  // No `replace` parameter: hex.pm's default is true.
  const replaced = await publish(fake, alice, second.tarball, "/publish");
  assert.equal(replaced.status, 200, replaced.text);
  assert.equal(replaced.body.checksum, second.outerChecksum);
  assert.equal(fake.release("newpkg", "1.0.0")!.checksum, second.outerChecksum);
  assert.equal(replaced.headers.get("location"), null);

  // Two hours later: the release is older than 1 h, but the package is younger than 24 h.
  fake.advanceClock(2 * HOUR);
  const young = await publish(fake, alice, first.tarball, "/publish?replace=true");
  assert.equal(young.status, 200, young.text);
  // A day later both windows have passed.
  fake.advanceClock(DAY);
  const late = await publish(fake, alice, second.tarball, "/publish?replace=true");
  assert.equal(late.status, 422);
  assert.deepEqual(late.body.errors, {
    inserted_at: "can only modify a release up to one hour after publication",
  });
  // A new version is always fine; and within its first hour it can be replaced.
  const v2 = await tarball({ version: "2.0.0" });
  assert.equal((await publish(fake, alice, v2.tarball)).status, 201);
  fake.advanceClock(59 * MINUTE);
  assert.equal((await publish(fake, alice, v2.tarball, "/publish?replace=true")).status, 200);
  fake.advanceClock(2 * MINUTE);
  assert.equal((await publish(fake, alice, v2.tarball, "/publish?replace=true")).status, 422);
});

Deno.test("organization repositories: members with write publish, always editable; others refused", async () => {
  const { fake, alice, bob, carol } = world();
  const tar = (await tarball({ name: "inner" })).tarball;
  const path = "/repos/acme/publish?replace=false";
  assert.equal((await publish(fake, carol, tar, path)).status, 404);
  fake.addMember("acme", "carol", "read");
  assert.equal((await publish(fake, carol, tar, path)).status, 403);
  const byBob = await publish(fake, bob, tar, path);
  assert.equal(byBob.status, 201, byBob.text);
  assert.equal(fake.package("inner", "acme")!.repository, "acme");
  assert.equal(fake.package("inner"), undefined);

  // Private packages stay editable however old.
  fake.advanceClock(30 * DAY);
  assert.equal((await publish(fake, alice, tar, "/repos/acme/publish?replace=true")).status, 200);
  const revert = await call(fake, "DELETE", "/repos/acme/packages/inner/releases/1.0.0", {
    key: bob,
  });
  assert.equal(revert.status, 204);
  assert.equal(fake.package("inner", "acme"), undefined);

  const billing = await publish(fake, alice, tar, "/repos/broke/publish?replace=false");
  assert.equal(billing.status, 403);
  assert.equal(billing.body.message, "organization has no active billing subscription");
  assert.equal((await publish(fake, alice, tar, "/repos/nowhere/publish")).status, 404);

  // The organization's own key publishes to its repository.
  const orgKey = fake.addKey({ owner: { organization: "acme" } });
  const byOrg = await publish(fake, orgKey.secret, tar, path);
  assert.equal(byOrg.status, 201, byOrg.text);
  assert.equal(byOrg.body.publisher, null);
  fake.verify();
});

// ------------------------------------------------------------------ revert

Deno.test("DELETE a release: inside the window 204, the last one deletes the package; outside 422", async () => {
  const { fake, alice, carol } = world();
  await publish(fake, alice, (await tarball({ version: "1.0.0" })).tarball);
  await publish(fake, alice, (await tarball({ version: "1.1.0" })).tarball);

  const anonymous = await call(fake, "DELETE", "/packages/newpkg/releases/1.1.0");
  assert.equal(anonymous.status, 401);
  const stranger = await call(fake, "DELETE", "/packages/newpkg/releases/1.1.0", { key: carol });
  assert.equal(stranger.status, 403);
  const missing = await call(fake, "DELETE", "/packages/newpkg/releases/9.9.9", { key: alice });
  assert.equal(missing.status, 404);

  const r = await call(fake, "DELETE", "/packages/newpkg/releases/1.1.0", { key: alice });
  assert.equal(r.status, 204);
  assert.equal(r.text, "");
  assert.equal(fake.release("newpkg", "1.1.0"), undefined);
  assert.ok(fake.package("newpkg"));
  assert.equal(
    (await call(fake, "DELETE", "/packages/newpkg/releases/1.0.0", { key: alice })).status,
    204,
  );
  assert.equal(fake.package("newpkg"), undefined);

  const old = await call(fake, "DELETE", "/packages/foo/releases/1.0.0", { key: alice });
  assert.equal(old.status, 422);
  assert.deepEqual(old.body.errors, {
    inserted_at: "can only delete a release up to one hour after publication",
  });
  assert.ok(fake.release("foo", "1.0.0"));
  fake.verify();
});

Deno.test("DELETE the last release of a package others depend on is refused", async () => {
  const { fake, alice } = world();
  await publish(fake, alice, (await tarball({ name: "base" })).tarball);
  fake.addRelease({ name: "user_of_base", version: "0.1.0", requirements: { base: "~> 1.0" } });
  const r = await call(fake, "DELETE", "/packages/base/releases/1.0.0", { key: alice });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors, {
    name: "you cannot delete this package because other packages depend on it",
  });
});

// ------------------------------------------------------------------ docs

Deno.test("docs: POST gzip → 201 with Location, has_docs; non-gzip → 500; DELETE → 204", async () => {
  const { fake, alice, carol } = world();
  await publish(fake, alice, (await tarball()).tarball);
  const docs = gzipBytes(tarOfFiles([["index.html", encoder.encode("<h1>docs</h1>")]]));
  const path = "/packages/newpkg/releases/1.0.0/docs";

  assert.equal((await call(fake, "POST", path, { body: docs })).status, 403);
  const anonymous = await call(fake, "POST", path, { body: docs });
  assert.equal(anonymous.body.message, "account not authorized for this action");
  assert.equal((await call(fake, "POST", path, { key: carol, body: docs })).status, 403);
  assert.equal(
    (await call(fake, "POST", "/packages/newpkg/releases/2.0.0/docs", { key: alice, body: docs }))
      .status,
    404,
  );
  const notGzip = await call(fake, "POST", path, { key: alice, body: encoder.encode("plain") });
  assert.equal(notGzip.status, 500);

  const r = await call(fake, "POST", path, { key: alice, body: docs });
  assert.equal(r.status, 201);
  assert.equal(r.text, "");
  assert.equal(r.headers.get("location"), "http://hex.test/repo/docs/newpkg-1.0.0.tar.gz");
  assert.equal(fake.release("newpkg", "1.0.0")!.hasDocs, true);
  const rel = await call(fake, "GET", "/packages/newpkg/releases/1.0.0");
  assert.equal(rel.body.has_docs, true);
  assert.equal(rel.body.docs_html_url, "http://hex.test/docs/newpkg/1.0.0/");
  const redirect = await call(fake, "GET", path);
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get("location"), "http://hex.test/repo/docs/newpkg-1.0.0.tar.gz");
  const served = await call(fake, "GET", "/repo/docs/newpkg-1.0.0.tar.gz");
  assert.equal(served.status, 200);
  assert.deepEqual(served.bytes, docs);

  assert.equal((await call(fake, "DELETE", path)).status, 403);
  assert.equal((await call(fake, "DELETE", path, { key: alice })).status, 204);
  assert.equal(fake.release("newpkg", "1.0.0")!.hasDocs, false);
  assert.equal((await call(fake, "GET", path)).status, 404);
  fake.verify(); // the 500 was modelled, not a fake error
});

// ------------------------------------------------------------------ reading

Deno.test("GET /packages/NAME: releases newest first by SemVer, latest versions, retirements, owners", async () => {
  const { fake } = world();
  fake.addPackage({
    name: "multi",
    owners: { alice: "full", bob: "maintainer" },
    meta: { description: "Many versions", licenses: ["MIT"], links: { GitHub: "https://x.test" } },
    downloads: { all: 1234, recent: 56, week: 7, day: 1 },
    releases: [
      { version: "1.9.0", insertedAt: T0 - 3 * DAY },
      {
        version: "1.10.0",
        insertedAt: T0 - 2 * DAY,
        retirement: { reason: "security", message: "CVE-1" },
      },
      { version: "2.0.0-rc.1", insertedAt: T0 - DAY },
      { version: "1.0.0", insertedAt: T0 - 4 * DAY, hasDocs: true },
    ],
  });
  const r = await call(fake, "GET", "/packages/multi");
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(
    r.body.releases.map((x: { version: string }) => x.version),
    ["2.0.0-rc.1", "1.10.0", "1.9.0", "1.0.0"],
  );
  assert.deepEqual(r.body.releases[3], {
    version: "1.0.0",
    url: "http://hex.test/api/packages/multi/releases/1.0.0",
    has_docs: true,
    inserted_at: new Date(T0 - 4 * DAY).toISOString(),
  });
  assert.equal(r.body.latest_version, "1.10.0");
  assert.equal(r.body.latest_stable_version, "1.10.0");
  assert.deepEqual(r.body.retirements, { "1.10.0": { reason: "security", message: "CVE-1" } });
  assert.deepEqual(r.body.owners.map((o: { username: string }) => o.username), ["alice", "bob"]);
  assert.deepEqual(r.body.meta, {
    description: "Many versions",
    licenses: ["MIT"],
    links: { GitHub: "https://x.test" },
    maintainers: [],
  });
  assert.deepEqual(r.body.downloads, { all: 1234, recent: 56, week: 7, day: 1 });
  assert.equal(r.body.repository, "hexpm");
  assert.equal(r.body.html_url, "http://hex.test/packages/multi");

  // Only pre-releases: latest_version falls back to one, latest_stable_version is null.
  fake.addRelease({ name: "pre", version: "0.1.0-alpha" });
  const pre = await call(fake, "GET", "/packages/pre");
  assert.equal(pre.body.latest_version, "0.1.0-alpha");
  assert.equal(pre.body.latest_stable_version, null);

  // ETag and If-None-Match.
  const etag = r.headers.get("etag")!;
  assert.ok(etag);
  const cached = await call(fake, "GET", "/packages/multi", { headers: { "if-none-match": etag } });
  assert.equal(cached.status, 304);
  assert.equal((await call(fake, "GET", "/packages/nope")).status, 404);
  fake.verify();
});

Deno.test("GET a release: Release JSON, 404 Page not found, 400 for an invalid version", async () => {
  const { fake } = world();
  const r = await call(fake, "GET", "/packages/foo/releases/1.0.0");
  assert.equal(r.status, 200);
  assert.equal(r.body.checksum, fake.release("foo", "1.0.0")!.checksum);
  assert.equal(r.body.publisher.username, "alice");
  assert.deepEqual(r.body.configs["rebar.config"], '{foo, "1.0.0"}');
  const missing = await call(fake, "GET", "/packages/foo/releases/9.9.9");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, "Page not found");
  const bad = await call(fake, "GET", "/packages/foo/releases/v1.0.0");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, "invalid version: v1.0.0");
});

Deno.test("organization packages are hidden from strangers (404) and shown to members", async () => {
  const { fake, alice, carol } = world();
  fake.addRelease({ name: "secret", repository: "acme", version: "0.1.0" });
  assert.equal((await call(fake, "GET", "/repos/acme/packages/secret")).status, 404);
  assert.equal(
    (await call(fake, "GET", "/repos/acme/packages/secret", { key: carol })).status,
    404,
  );
  const r = await call(fake, "GET", "/repos/acme/packages/secret", { key: alice });
  assert.equal(r.status, 200);
  assert.equal(r.body.repository, "acme");
  assert.equal(r.body.url, "http://hex.test/api/repos/acme/packages/secret");
  const rel = await call(fake, "GET", "/repos/acme/packages/secret/releases/0.1.0", { key: alice });
  assert.equal(rel.status, 200);
  assert.equal((await call(fake, "GET", "/packages/secret")).status, 404);
});

// ------------------------------------------------------------------ search

function searchWorld() {
  const w = world();
  const { fake } = w;
  const seed = (name: string, description: string, days: number, all: number, recent: number) => {
    fake.addPackage({
      name,
      owners: ["alice"],
      insertedAt: T0 - days * DAY,
      meta: { description },
      downloads: { all, recent },
      releases: [{ version: "1.0.0", insertedAt: T0 - days * DAY }],
    });
  };
  seed("jsx", "An erlang application for consuming and producing JSON", 10, 900, 5);
  seed("jason", "A blazing fast JSON parser and generator", 5, 500, 80);
  seed("poison", "An incredibly fast JSON library", 20, 700, 10);
  seed("cowboy", "Small, fast, modern HTTP server", 1, 100, 90);
  fake.setDownloads("foo", 10);
  fake.addRelease({ name: "json_secret", repository: "acme", version: "1.0.0" });
  return w;
}

Deno.test("GET /packages searches names and description words, no credentials needed", async () => {
  const { fake } = searchWorld();
  const names = (r: Reply) => r.body.map((p: { name: string }) => p.name);
  const all = await call(fake, "GET", "/packages");
  assert.equal(all.status, 200);
  assert.deepEqual(names(all), ["cowboy", "foo", "jason", "jsx", "poison"]);
  assert.ok(all.headers.get("etag"));

  assert.deepEqual(names(await call(fake, "GET", "/packages?search=js")), ["jsx"]);
  assert.deepEqual(names(await call(fake, "GET", "/packages?search=SON")), ["jason", "poison"]);
  // Description words (JSON is in three descriptions, the name of none of them).
  assert.deepEqual(
    names(await call(fake, "GET", "/packages?search=json")),
    ["jason", "jsx", "poison"],
  );
  assert.deepEqual(names(await call(fake, "GET", "/packages?search=fast%20parser")), ["jason"]);
  assert.deepEqual(names(await call(fake, "GET", "/packages?search=name:j*")), ["jason", "jsx"]);
  assert.deepEqual(names(await call(fake, "GET", "/packages?search=nothing_like_this")), []);
  const first = (await call(fake, "GET", "/packages?search=jason")).body[0];
  assert.equal(first.latest_version, "1.0.0");
  assert.equal(first.meta.description, "A blazing fast JSON parser and generator");
  fake.verify();
});

Deno.test("GET /packages sorts and pages", async () => {
  const { fake } = searchWorld();
  const names = async (query: string) =>
    (await call(fake, "GET", `/packages?${query}`)).body.map((p: { name: string }) => p.name);
  assert.deepEqual(await names("sort=name"), ["cowboy", "foo", "jason", "jsx", "poison"]);
  assert.deepEqual(await names("sort=downloads"), ["jsx", "poison", "jason", "cowboy", "foo"]);
  assert.deepEqual(await names("sort=total_downloads"), await names("sort=downloads"));
  assert.deepEqual(await names("sort=recent_downloads"), [
    "cowboy",
    "jason",
    "poison",
    "jsx",
    "foo",
  ]);
  assert.deepEqual(await names("sort=inserted_at"), ["cowboy", "jason", "jsx", "poison", "foo"]);
  assert.deepEqual(await names("search=json&sort=recent_downloads"), ["jason", "poison", "jsx"]);
  // updated_at moves with a publish.
  fake.addRelease({ name: "poison", version: "2.0.0" });
  assert.equal((await names("sort=updated_at"))[0], "poison");
  assert.deepEqual(await names("sort=name&per_page=2"), ["cowboy", "foo"]);
  assert.deepEqual(await names("sort=name&per_page=2&page=3"), ["poison"]);
  assert.deepEqual(await names("sort=name&per_page=2&page=4"), []);
});

Deno.test("GET /packages includes the organization packages a member can read", async () => {
  const { fake, alice, carol } = searchWorld();
  const names = (r: Reply) =>
    r.body.map((p: { name: string; repository: string }) => `${p.repository}/${p.name}`);
  assert.deepEqual(names(await call(fake, "GET", "/packages?search=secret")), []);
  assert.deepEqual(
    names(await call(fake, "GET", "/packages?search=secret", { key: alice })),
    ["acme/json_secret"],
  );
  assert.deepEqual(
    names(await call(fake, "GET", "/repos/acme/packages", { key: alice })),
    ["acme/json_secret"],
  );
  assert.equal((await call(fake, "GET", "/repos/acme/packages", { key: carol })).status, 404);
  assert.equal((await call(fake, "GET", "/repos/acme/packages")).status, 404);
});

// ------------------------------------------------------------------ retire

Deno.test("retire and unretire a release", async () => {
  const { fake, alice, bob, carol } = world();
  const path = "/packages/foo/releases/1.0.0/retire";
  const body = { reason: "security", message: "CVE-2026-1 fixed in 1.0.1" };
  assert.equal((await call(fake, "POST", path, { json: body })).status, 403);
  assert.equal((await call(fake, "POST", path, { key: carol, json: body })).status, 403);
  assert.equal(
    (await call(fake, "POST", "/packages/foo/releases/3.0.0/retire", { key: alice, json: body }))
      .status,
    404,
  );
  // A maintainer may retire.
  const r = await call(fake, "POST", path, { key: bob, json: body });
  assert.equal(r.status, 204);
  assert.deepEqual(fake.release("foo", "1.0.0")!.retirement, body);
  const rel = await call(fake, "GET", "/packages/foo/releases/1.0.0");
  assert.deepEqual(rel.body.retirement, body);
  const pkg = await call(fake, "GET", "/packages/foo");
  assert.deepEqual(pkg.body.retirements, { "1.0.0": body });

  assert.equal((await call(fake, "DELETE", path)).status, 403);
  assert.equal((await call(fake, "DELETE", path, { key: alice })).status, 204);
  assert.equal(fake.release("foo", "1.0.0")!.retirement, null);
  // No message is fine server-side.
  assert.equal(
    (await call(fake, "POST", path, { key: alice, json: { reason: "other" } })).status,
    204,
  );
  assert.deepEqual(fake.release("foo", "1.0.0")!.retirement, { reason: "other", message: null });
  fake.verify();
});

Deno.test("retire validation: reason one of five, message 3..140 characters", async () => {
  const { fake, alice } = world();
  const path = "/packages/foo/releases/1.0.0/retire";
  const cases: [unknown, unknown][] = [
    [{ reason: "broken" }, { retirement: { reason: "is invalid" } }],
    [{ message: "no reason" }, { retirement: { reason: "can't be blank" } }],
    [{ reason: "invalid", message: "ab" }, {
      retirement: { message: "should be at least 3 character(s)" },
    }],
    [{ reason: "invalid", message: "x".repeat(141) }, {
      retirement: { message: "should be at most 140 character(s)" },
    }],
  ];
  for (const [json, errors] of cases) {
    const r = await call(fake, "POST", path, { key: alice, json });
    assert.equal(r.status, 422, JSON.stringify(json));
    assert.deepEqual(r.body.errors, errors);
  }
  assert.equal(fake.release("foo", "1.0.0")!.retirement, null);
  for (const reason of ["other", "invalid", "security", "deprecated", "renamed"]) {
    const ok = await call(fake, "POST", path, {
      key: alice,
      json: { reason, message: "x".repeat(140) },
    });
    assert.equal(ok.status, 204, reason);
  }
});

Deno.test("POST /packages/NAME/retire retires every release; replace overwrites retired ones", async () => {
  const { fake, alice } = world();
  fake.addRelease({ name: "foo", version: "1.1.0" });
  fake.addRelease({
    name: "foo",
    version: "1.2.0",
    retirement: { reason: "invalid", message: "bad build" },
  });
  const r = await call(fake, "POST", "/packages/foo/retire", {
    key: alice,
    json: { reason: "renamed", message: "use bar" },
  });
  assert.equal(r.status, 204);
  assert.deepEqual(fake.release("foo", "1.0.0")!.retirement, {
    reason: "renamed",
    message: "use bar",
  });
  assert.deepEqual(fake.release("foo", "1.1.0")!.retirement, {
    reason: "renamed",
    message: "use bar",
  });
  assert.deepEqual(fake.release("foo", "1.2.0")!.retirement, {
    reason: "invalid",
    message: "bad build",
  });

  const replace = await call(fake, "POST", "/packages/foo/retire", {
    key: alice,
    json: { reason: "deprecated", replace: true },
  });
  assert.equal(replace.status, 204);
  for (const v of ["1.0.0", "1.1.0", "1.2.0"]) {
    assert.deepEqual(fake.release("foo", v)!.retirement, { reason: "deprecated", message: null });
  }
  const bad = await call(fake, "POST", "/packages/foo/retire", {
    key: alice,
    json: { reason: "x" },
  });
  assert.equal(bad.status, 422);
  assert.equal(
    (await call(fake, "POST", "/packages/foo/retire", { json: { reason: "other" } })).status,
    403,
  );
});

// ------------------------------------------------------------------ owners

Deno.test("owners: list is public, add and change levels need a full owner", async () => {
  const { fake, alice, bob, carol } = world();
  const list = await call(fake, "GET", "/packages/foo/owners");
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.map((o: { username: string; level: string }) => [o.username, o.level]),
    [["alice", "full"], ["bob", "maintainer"]],
  );
  assert.equal(list.body[0].email, "alice@example.com");
  assert.equal(list.body[1].email, undefined);
  const one = await call(fake, "GET", "/packages/foo/owners/bob");
  assert.equal(one.status, 200);
  assert.equal(one.body.level, "maintainer");
  assert.equal((await call(fake, "GET", "/packages/foo/owners/carol")).status, 404);

  const path = "/packages/foo/owners/carol";
  assert.equal((await call(fake, "PUT", path, { json: { level: "maintainer" } })).status, 403);
  // A maintainer cannot manage owners.
  assert.equal(
    (await call(fake, "PUT", path, { key: bob, json: { level: "maintainer" } })).status,
    403,
  );
  const bad = await call(fake, "PUT", path, { key: alice, json: { level: "boss" } });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors, { level: "is invalid" });
  assert.equal(
    (await call(fake, "PUT", "/packages/foo/owners/nobody", { key: alice, json: {} })).status,
    404,
  );

  const add = await call(fake, "PUT", path, { key: alice, json: { level: "maintainer" } });
  assert.equal(add.status, 204);
  assert.equal(fake.package("foo")!.owners.get("carol"), "maintainer");
  // carol may now publish, not manage owners.
  const v = await publish(fake, carol, (await tarball({ name: "foo", version: "1.5.0" })).tarball);
  assert.equal(v.status, 201, v.text);
  // Level defaults to full; a public email names the user too.
  const promote = await call(fake, "PUT", "/packages/foo/owners/carol", { key: alice, json: {} });
  assert.equal(promote.status, 204);
  assert.equal(fake.package("foo")!.owners.get("carol"), "full");
  const byEmail = await call(fake, "PUT", "/packages/foo/owners/alice@example.com", {
    key: carol,
    json: { level: "full" },
  });
  assert.equal(byEmail.status, 204);
  fake.verify();
});

Deno.test("owners: transfer, demotion and removal rules", async () => {
  const { fake, alice, bob } = world();
  // alice is the only full owner: she cannot demote herself or leave.
  const demote = await call(fake, "PUT", "/packages/foo/owners/alice", {
    key: alice,
    json: { level: "maintainer" },
  });
  assert.equal(demote.status, 422);
  assert.deepEqual(demote.body.errors, { level: "cannot demote the last full owner of a package" });
  const leave = await call(fake, "DELETE", "/packages/foo/owners/alice", { key: alice });
  assert.equal(leave.status, 422);
  assert.deepEqual(leave.body.errors, { username: "cannot remove the last full owner of package" });
  const notOwner = await call(fake, "DELETE", "/packages/foo/owners/carol", { key: alice });
  assert.equal(notOwner.status, 422);
  assert.deepEqual(notOwner.body.errors, { username: "user is not an owner of package" });
  assert.equal((await call(fake, "DELETE", "/packages/foo/owners/bob")).status, 403);

  assert.equal(
    (await call(fake, "DELETE", "/packages/foo/owners/bob", { key: alice })).status,
    204,
  );
  const last = await call(fake, "DELETE", "/packages/foo/owners/alice", { key: alice });
  assert.equal(last.status, 422);
  assert.deepEqual(last.body.errors, { username: "cannot remove last owner of package" });

  // Transfer removes every other owner.
  fake.package("foo")!.owners.set("bob", "maintainer");
  const transfer = await call(fake, "PUT", "/packages/foo/owners/carol", {
    key: alice,
    json: { level: "full", transfer: true },
  });
  assert.equal(transfer.status, 204);
  assert.deepEqual([...fake.package("foo")!.owners], [["carol", "full"]]);
  assert.equal(
    (await publish(fake, bob, (await tarball({ name: "foo", version: "3.0.0" })).tarball)).status,
    403,
  );
});

Deno.test("owners: organizations only by transfer at full level; private packages only for members", async () => {
  const { fake, alice, bob } = world();
  const noTransfer = await call(fake, "PUT", "/packages/foo/owners/acme", { key: alice, json: {} });
  assert.equal(noTransfer.status, 422);
  assert.deepEqual(noTransfer.body.errors, {
    username: "organization ownership can only be transferred, removing all existing owners",
  });
  const level = await call(fake, "PUT", "/packages/foo/owners/acme", {
    key: alice,
    json: { level: "maintainer", transfer: true },
  });
  assert.equal(level.status, 422);
  assert.deepEqual(level.body.errors, {
    level: 'ownership level is required to be "full" for organization ownership',
  });
  const transfer = await call(fake, "PUT", "/packages/foo/owners/acme", {
    key: alice,
    json: { level: "full", transfer: true },
  });
  assert.equal(transfer.status, 204);
  assert.deepEqual([...fake.package("foo")!.owners], [["acme", "full"]]);
  // Through the organization: alice (admin) is a full owner, bob (write) a maintainer.
  const v = await publish(fake, bob, (await tarball({ name: "foo", version: "1.1.0" })).tarball);
  assert.equal(v.status, 201, v.text);
  assert.equal(
    (await call(fake, "PUT", "/packages/foo/owners/bob", { key: bob, json: {} })).status,
    403,
  );
  const owners = await call(fake, "GET", "/packages/foo/owners");
  assert.deepEqual(owners.body.map((o: { username: string }) => o.username), ["acme"]);

  fake.addRelease({ name: "secret", repository: "acme", version: "0.1.0", owners: ["alice"] });
  const outsider = await call(fake, "PUT", "/repos/acme/packages/secret/owners/carol", {
    key: alice,
    json: {},
  });
  assert.equal(outsider.status, 422);
  assert.deepEqual(outsider.body.errors, {
    username:
      "cannot add owner to private package when the user is not a member of the organization",
  });
  assert.equal((await call(fake, "GET", "/repos/acme/packages/secret/owners")).status, 404);
});

// ------------------------------------------------------------------ repository

Deno.test("repository tarballs: public ones with an ETag, 304 on If-None-Match, 404 otherwise", async () => {
  const { fake } = world();
  const stored = fake.release("foo", "1.0.0")!;
  const r = await call(fake, "GET", "/repo/tarballs/foo-1.0.0.tar");
  assert.equal(r.status, 200);
  assert.deepEqual(r.bytes, stored.tarball);
  assert.equal(r.headers.get("etag"), `"${stored.checksum}"`);
  // The seeded tarball is real: it unpacks and its metadata matches.
  const unpacked = await unpackPackage(r.bytes);
  assert.equal(unpacked.outerChecksum, stored.checksum);
  const meta = metadataToJson(unpacked.metadata);
  assert.equal(meta.name, "foo");
  assert.equal(meta.version, "1.0.0");
  assert.equal(meta.description, "Foo does things");

  const again = await call(fake, "GET", "/repo/tarballs/foo-1.0.0.tar", {
    headers: { "if-none-match": `"${stored.checksum}"` },
  });
  assert.equal(again.status, 304);
  assert.equal((await call(fake, "GET", "/repo/tarballs/foo-9.9.9.tar")).status, 404);
  assert.equal((await call(fake, "GET", "/repo/tarballs/nothing.tar")).status, 404);
  assert.deepEqual(fake.requestsTo("GET", "/repo/tarballs/foo-1.0.0.tar").length, 2);
  fake.verify();
});

Deno.test("repository tarballs of an organization need a credential with repository access", async () => {
  const { fake, alice, carol } = world();
  fake.addRelease({ name: "secret", repository: "acme", version: "0.1.0" });
  const path = "/repo/repos/acme/tarballs/secret-0.1.0.tar";
  assert.equal((await call(fake, "GET", path)).status, 401);
  // A plain API key does not reach repositories (as on hex.pm).
  assert.equal((await call(fake, "GET", path, { key: alice })).status, 403);
  const repoKey = fake.addKey({
    owner: "alice",
    name: "repo",
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  const r = await call(fake, "GET", path, { key: repoKey.secret });
  assert.equal(r.status, 200);
  assert.deepEqual(r.bytes, fake.release("secret", "0.1.0", "acme")!.tarball);
  const all = fake.addKey({
    owner: "carol",
    name: "all",
    permissions: [{ domain: "repositories", resource: null }],
  });
  assert.equal((await call(fake, "GET", path, { key: all.secret })).status, 403);
  assert.equal((await call(fake, "GET", path, { key: carol })).status, 403);
  const orgKey = fake.addKey({
    owner: { organization: "acme" },
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  assert.equal((await call(fake, "GET", path, { key: orgKey.secret })).status, 200);
  const token = fake.issueToken({ user: "alice", scopes: ["api:read", "repositories"] });
  assert.equal((await call(fake, "GET", path, { bearer: token.access_token })).status, 200);
});

Deno.test("serve() exposes repoUrl; the real tarball is fetched over HTTP", async () => {
  const { fake, alice } = world();
  const server = fake.serve();
  try {
    assert.equal(server.repoUrl, `${server.origin}/repo`);
    const t = await tarball();
    const pub = await fetch(`${server.url}/publish?replace=false`, {
      method: "POST",
      headers: {
        authorization: alice,
        "user-agent": "hexpub-test/0",
        "content-type": "application/octet-stream",
      },
      body: t.tarball.slice(),
    });
    assert.equal(pub.status, 201, await pub.text());
    const res = await fetch(`${server.repoUrl}/tarballs/newpkg-1.0.0.tar`);
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), t.tarball);
    assert.equal(res.headers.get("etag"), `"${t.outerChecksum}"`);
  } finally {
    await server.close();
  }
  fake.verify();
});

// ------------------------------------------------------------------ hooks

Deno.test("dropConnectionNext afterHandling: the publish lands, the client never hears back", async () => {
  const { fake, alice } = world();
  const t = await tarball();
  fake.dropConnectionNext(1, { method: "POST", path: "/publish", afterHandling: true });
  await assert.rejects(publish(fake, alice, t.tarball), DroppedConnectionError);
  const stored = fake.release("newpkg", "1.0.0");
  assert.ok(stored);
  assert.equal(stored.checksum, t.outerChecksum);
  const [record] = fake.requestsTo("POST", "/publish");
  assert.equal(record.fault, "drop");
  assert.equal(record.status, 0);
  assert.equal(record.handledStatus, 201);
  // What a re-sent copy gets (Deno's fetch re-sends once on a reused connection, §9).
  const resent = await publish(fake, alice, t.tarball);
  assert.equal(resent.status, 422);
  assert.deepEqual(resent.body.errors, {
    inserted_at: "must include the --replace flag to update an existing release",
  });
  const check = await call(fake, "GET", "/packages/newpkg/releases/1.0.0");
  assert.equal(check.body.checksum, t.outerChecksum);
  fake.verify();
});

Deno.test("dropConnectionNext without afterHandling drops before the model: nothing stored", async () => {
  const { fake, alice } = world();
  fake.dropConnectionNext(1, { method: "POST", path: "/publish" });
  await assert.rejects(publish(fake, alice, (await tarball()).tarball), DroppedConnectionError);
  assert.equal(fake.package("newpkg"), undefined);
  assert.equal(fake.requestsTo("POST", "/publish")[0].handledStatus, undefined);
});

Deno.test("dropConnectionNext afterHandling over serve(): fetch fails, the release exists", async () => {
  const { fake, alice } = world();
  const server = fake.serve();
  try {
    const t = await tarball();
    fake.dropConnectionNext(1, { method: "POST", path: "/publish", afterHandling: true });
    await assert.rejects(
      fetch(`${server.url}/publish?replace=false`, {
        method: "POST",
        headers: { authorization: alice, "user-agent": "hexpub-test/0" },
        body: t.tarball.slice(),
      }),
    );
    assert.equal(fake.release("newpkg", "1.0.0")?.checksum, t.outerChecksum);
    assert.equal(fake.requestsTo("POST", "/publish")[0].handledStatus, 201);
  } finally {
    await server.close();
  }
  fake.verify();
});

Deno.test("seeding: addRelease builds real tarballs, addReleaseFromTarball reads one, setDownloads", async () => {
  const fake = new FakeHex({ clock: () => T0 });
  fake.addUser({ username: "alice" });
  const seeded = fake.addRelease({
    name: "seeded",
    version: "0.2.0",
    owners: ["alice"],
    insertedAt: T0 - DAY,
    meta: { description: "Seeded", licenses: ["MIT"], build_tools: ["rebar3", "make"] },
    requirements: { foo: "~> 1.0", bar: { requirement: ">= 0.0.0", optional: true } },
  });
  assert.equal(seeded.publisher, "alice");
  assert.equal(seeded.insertedAt, T0 - DAY);
  assert.equal(fake.package("seeded")!.insertedAt, T0 - DAY);
  const unpacked = await unpackPackage(seeded.tarball);
  assert.equal(unpacked.outerChecksum, seeded.checksum);
  const meta = metadataToJson(unpacked.metadata);
  assert.deepEqual(meta.build_tools, ["rebar3", "make"]);
  assert.deepEqual(Object.keys(meta.requirements as object), ["foo", "bar"]);
  assert.deepEqual(seeded.metadata, meta);

  const t = await tarball({ name: "fromtar", version: "3.1.4", description: "From a tarball" });
  const read = await fake.addReleaseFromTarball(t.tarball, { publisher: "alice" });
  assert.equal(read.checksum, t.outerChecksum);
  assert.equal(read.innerChecksum, t.innerChecksum);
  assert.equal(fake.package("fromtar")!.meta.description, "From a tarball");
  assert.deepEqual(read.meta, { app: "fromtar", build_tools: ["rebar3"], elixir: null });

  fake.setDownloads("seeded", 42);
  fake.setDownloads("seeded", { recent: 7 });
  assert.deepEqual(fake.package("seeded")!.downloads, { all: 42, recent: 7, week: 0, day: 0 });
  assert.throws(() => fake.setDownloads("nothing", 1), /no package/);
  assert.equal(fake.release("seeded", "9.9.9"), undefined);
});
