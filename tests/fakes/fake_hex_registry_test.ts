/** The fake hex.pm's signed registry under `/repo`: what it serves, who may read it, overrides. */
import assert from "node:assert/strict";
import { readNames, readPackage, readVersions } from "../../src/registry/registry_files.ts";
import { FakeHex } from "./fake_hex.ts";

const get = (fake: FakeHex, path: string, headers: Record<string, string> = {}) =>
  fake.handler(new Request(`http://fake.test${path}`, { headers }));

async function bytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

Deno.test("FakeHex serves names, versions and packages/NAME signed with its registry key", async () => {
  const fake = new FakeHex();
  fake.addRelease({ name: "cowlib", version: "2.12.1" });
  fake.addRelease({ name: "widget", version: "1.10.0" });
  fake.addRelease({
    name: "widget",
    version: "1.9.0",
    retirement: { reason: "security", message: "CVE" },
    requirements: {
      cowlib: "~> 2.12",
      jsx: { requirement: "~> 3.0", optional: true, app: "my_jsx" },
      secret: { requirement: ">= 0.0.0", repository: "acme" },
    },
  });
  const { publicKeyPem } = await fake.registryKeys();
  const opts = { repository: "hexpm", verify: true };

  const names = await readNames(await bytes(await get(fake, "/repo/names")), publicKeyPem, opts);
  assert.deepEqual(names.packages.map((p) => p.name), ["cowlib", "widget"]);
  const versions = await readVersions(
    await bytes(await get(fake, "/repo/versions")),
    publicKeyPem,
    opts,
  );
  assert.deepEqual(versions.packages[1], {
    name: "widget",
    versions: ["1.9.0", "1.10.0"],
    retired: [0],
  });
  const res = await get(fake, "/repo/packages/widget");
  assert.equal(res.headers.get("content-type"), "application/octet-stream");
  assert.ok(res.headers.get("etag"));
  const pkg = await readPackage(await bytes(res), publicKeyPem, { ...opts, name: "widget" });
  assert.deepEqual(pkg.releases.map((r) => r.version), ["1.9.0", "1.10.0"]);
  const old = pkg.releases[0];
  assert.deepEqual(old.retired, { reason: 2, message: "CVE" });
  assert.deepEqual(old.dependencies, [
    { package: "cowlib", requirement: "~> 2.12" },
    { package: "jsx", requirement: "~> 3.0", optional: true, app: "my_jsx" },
    { package: "secret", requirement: ">= 0.0.0", repository: "acme" },
  ]);
  const hex = Array.from(old.outerChecksum!, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, fake.release("widget", "1.9.0")!.checksum);
  assert.equal((await get(fake, "/repo/packages/nothing")).status, 404);
  assert.equal(await (await get(fake, "/repo/public_key")).text(), publicKeyPem);
});

Deno.test("FakeHex's organization registry is signed for ORG and needs a repository key", async () => {
  const fake = new FakeHex();
  fake.addOrg({ name: "acme" });
  fake.addRelease({ name: "secret", version: "0.1.0", repository: "acme" });
  const key = fake.addKey({
    owner: { organization: "acme" },
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  assert.equal((await get(fake, "/repo/repos/acme/packages/secret")).status, 401);
  assert.equal((await get(fake, "/repo/packages/secret")).status, 404, "not in hexpm");
  const res = await get(fake, "/repo/repos/acme/packages/secret", { authorization: key.secret });
  assert.equal(res.status, 200);
  const pkg = await readPackage(await bytes(res), (await fake.registryKeys()).publicKeyPem, {
    repository: "acme",
    name: "secret",
    verify: true,
  });
  assert.equal(pkg.repository, "acme");
  assert.equal((await get(fake, "/repo/repos/nope/names")).status, 404);
});

Deno.test("FakeHex.setRegistryFile() serves other bytes until reset", async () => {
  const fake = new FakeHex();
  fake.addRelease({ name: "widget", version: "1.0.0" });
  fake.setRegistryFile("/packages/widget", Uint8Array.of(1, 2, 3));
  assert.deepEqual([...await bytes(await get(fake, "/repo/packages/widget"))], [1, 2, 3]);
  fake.setRegistryFile("/packages/widget", null);
  assert.deepEqual(
    [...(await bytes(await get(fake, "/repo/packages/widget"))).subarray(0, 2)],
    [0x1f, 0x8b],
  );
});

Deno.test("FakeHex's registry carries a package's security advisories as hexpm writes them", async () => {
  const fake = new FakeHex();
  for (const version of ["1.0.0", "1.1.0", "1.2.0"]) fake.addRelease({ name: "jose", version });
  fake.package("jose")!.advisories = [
    {
      id: "GHSA-aaaa-bbbb-cccc",
      summary: "Signature bypass",
      severity: "critical",
      cvssScore: 9.5,
      aliases: ["CVE-2099-1"],
      versions: ["1.0.0", "1.1.0"],
    },
    { id: "EEF-CVE-2099-2", summary: "Timing leak", versions: ["1.1.0"] },
  ];
  const { publicKeyPem } = await fake.registryKeys();
  const opts = { repository: "hexpm", verify: true };
  const pkg = await readPackage(await bytes(await get(fake, "/repo/packages/jose")), publicKeyPem, {
    ...opts,
    name: "jose",
  });
  assert.deepEqual(pkg.releases.map((r) => r.advisoryIndexes), [[0], [0, 1], undefined]);
  assert.deepEqual(pkg.advisories![0], {
    id: "GHSA-aaaa-bbbb-cccc",
    summary: "Signature bypass",
    htmlUrl: "https://osv.dev/vulnerability/GHSA-aaaa-bbbb-cccc",
    apiUrl: "https://api.osv.dev/v1/vulns/GHSA-aaaa-bbbb-cccc",
    aliases: ["CVE-2099-1"],
    severity: 4,
    cvssScore: 9.5,
  });
  assert.equal(pkg.advisories![1].severity, undefined);
  const versions = await readVersions(
    await bytes(await get(fake, "/repo/versions")),
    publicKeyPem,
    opts,
  );
  assert.deepEqual(versions.packages[0].withAdvisories, [0, 1]);
});
