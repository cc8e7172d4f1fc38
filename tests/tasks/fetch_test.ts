import assert from "node:assert/strict";
import { HexpubError, UsageError } from "../../src/errors.ts";
import type { Package, Release } from "../../src/registry/messages.ts";
import { join } from "node:path";
import { chooseRelease, fetchPackage, verifyTarball } from "../../src/tasks/fetch.ts";
import { buildSeedTarball } from "../fakes/_hex_packages.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { signedPackageFile, trustingDeps } from "../support/registry.ts";

function release(version: string, retired = false): Release {
  return {
    version,
    innerChecksum: new Uint8Array(32),
    outerChecksum: new Uint8Array(32),
    dependencies: [],
    ...(retired ? { retired: { reason: 3, message: "old" } } : {}),
  };
}

const pkg: Package = {
  name: "widget",
  repository: "hexpm",
  releases: [
    release("1.0.0"),
    release("1.1.0", true),
    release("1.2.0"),
    release("1.3.0", true),
    release("2.0.0-rc.1"),
    release("1.10.0-beta"),
  ],
};
const choose = (spec?: string) => chooseRelease(pkg, "hexpm", spec).release.version;

Deno.test("chooseRelease() without a version takes the newest stable release that is not retired", () => {
  assert.equal(choose(), "1.2.0");
  assert.throws(
    () => chooseRelease({ ...pkg, releases: [release("1.0.0", true)] }, "hexpm", undefined),
    (e: unknown) =>
      e instanceof HexpubError && /no stable release that is not retired/.test(e.message),
  );
});

Deno.test("chooseRelease() takes an exact version even when retired or a pre-release", () => {
  assert.equal(choose("1.1.0"), "1.1.0");
  assert.equal(choose("2.0.0-rc.1"), "2.0.0-rc.1");
  assert.throws(
    () => choose("1.4.0"),
    (e: unknown) => e instanceof HexpubError && /has no version "1\.4\.0"/.test(e.message),
  );
});

Deno.test("chooseRelease() takes the newest match of a requirement that is not retired, without pre-releases", () => {
  assert.equal(choose("~> 1.0"), "1.2.0");
  assert.equal(choose(">= 1.0.0 and < 1.2.0"), "1.0.0");
  const onlyRetired = chooseRelease(pkg, "hexpm", "~> 1.3.0");
  assert.equal(onlyRetired.release.version, "1.3.0");
  assert.match(
    onlyRetired.warning ?? "",
    /every version of widget matching "~> 1\.3\.0" is retired/,
  );
  assert.throws(
    () => choose("~> 3.0"),
    (e: unknown) =>
      e instanceof HexpubError && /matches "~> 3\.0"/.test(e.message) &&
      /2\.0\.0-rc\.1, 1\.10\.0-beta, 1\.3\.0/.test(e.hint ?? ""),
  );
  assert.throws(() => choose("~> banana"), UsageError);
});

Deno.test("verifyTarball() compares the SHA-256 with the outer checksum, else the inner checksum", async () => {
  const seed = buildSeedTarball({ name: "widget", version: "1.0.0", meta: {}, requirements: [] });
  const hex = (h: string) => Uint8Array.from(h.match(/../g)!, (b) => parseInt(b, 16));
  const good: Release = {
    version: "1.0.0",
    innerChecksum: hex(seed.innerChecksum),
    outerChecksum: hex(seed.outerChecksum),
    dependencies: [],
  };
  const what = { name: "widget", repo: "hexpm" };
  assert.equal(await verifyTarball(seed.tarball, good, what), seed.outerChecksum);
  const bad = { ...good, outerChecksum: new Uint8Array(32) };
  await assert.rejects(
    verifyTarball(seed.tarball, bad, what),
    (e: unknown) =>
      e instanceof HexpubError && e.message.includes(seed.outerChecksum) &&
      /signed registry says 0{64}/.test(e.message) && /nothing was written/.test(e.message),
  );
  // A very old release without an outer checksum: the inner one decides.
  const old = { ...good, outerChecksum: undefined };
  assert.equal(await verifyTarball(seed.tarball, old, what), seed.outerChecksum);
  await assert.rejects(
    verifyTarball(seed.tarball, { ...old, innerChecksum: new Uint8Array(32) }, what),
    /inner checksum/,
  );
});

/** fetchPackage() in process against the fake hex.pm, whose key the home trusts. */
async function fetchSetup() {
  const fake = new FakeHex();
  const { deps, cwd } = await trustingDeps(fake, {
    env: {
      HEX_MIRROR_URL: "",
      HEX_MIRROR: "",
      HEX_UNSAFE_REGISTRY: "",
      HEX_NO_VERIFY_REPO_ORIGIN: "",
      REBAR_NO_VERIFY_REPO_ORIGIN: "",
    },
  });
  return { fake, deps, cwd };
}

Deno.test("fetchPackage() prints a retirement message without the registry's control characters", async () => {
  const { fake, deps, cwd } = await fetchSetup();
  fake.addRelease({
    name: "widget",
    version: "1.0.0",
    retirement: { reason: "security", message: "Use 1.1.0\x1b]0;owned\x07\x1b[2J\r\n" },
  });
  const r = await fetchPackage(deps, { name: "widget", spec: "1.0.0", unpack: false });
  assert.equal(r.version, "1.0.0");
  assert.ok((await Deno.stat(join(cwd, "widget-1.0.0.tar"))).isFile);
  assert.deepEqual(deps.stderr, [
    "warning: widget 1.0.0 is retired (security): Use 1.1.0 ]0;owned [2J",
  ]);
});

Deno.test("fetchPackage() refuses a registry release whose version is not a version, before any download", async () => {
  const { fake, deps, cwd } = await fetchSetup();
  fake.addRelease({ name: "widget", version: "1.0.0" });
  const { privateKeyPem } = await fake.registryKeys();
  const evil = "1.0.0/../../../escape";
  fake.setRegistryFile(
    "/packages/widget",
    await signedPackageFile({
      name: "widget",
      repository: "hexpm",
      releases: [{
        version: evil,
        innerChecksum: new Uint8Array(32),
        outerChecksum: new Uint8Array(32),
        dependencies: [],
      }],
    }, privateKeyPem),
  );
  await assert.rejects(
    fetchPackage(deps, { name: "widget", spec: evil, unpack: true }),
    (e: unknown) => e instanceof HexpubError && /is not a valid version/.test(e.message),
  );
  assert.equal(fake.requestsTo("GET", /\/tarballs\//).length, 0);
  assert.deepEqual([...Deno.readDirSync(cwd)], []);
});
