/**
 * `hexpub info` and `hexpub fetch` against hex.pm's registry: the CLI in process
 * against the fake hex.pm, whose registry is signed with a test key that each
 * test trusts through `repo_public_key` on the hexpm entry (as a user would).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { generateRepoKeys } from "../../src/registry/signing.ts";
import { sha256Hex } from "../../src/tarball/checksum.ts";
import { makeHome } from "../support/e2e.ts";
import { hexEnv, inProcessHexpub, withFakeHex } from "../support/in_process.ts";
import type { FakeHex } from "../fakes/fake_hex.ts";
import { flipPayloadByte, signedPackageFile, trustHexpmKey } from "../support/registry.ts";

async function seed(fake: FakeHex) {
  fake.addRelease({ name: "cowlib", version: "2.12.1" });
  fake.addRelease({ name: "ranch", version: "1.8.0" });
  for (const version of ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1"]) {
    fake.addRelease({
      name: "widget",
      version,
      requirements: version === "1.2.0"
        ? {
          cowlib: "~> 2.12",
          ranch: { requirement: ">= 1.8.0", optional: true, app: "ranch_app" },
        }
        : {},
      retirement: version === "1.1.0" ? { reason: "security", message: "Use 1.2.0" } : null,
    });
  }
  const home = await makeHome();
  await trustHexpmKey(home, (await fake.registryKeys()).publicKeyPem);
  return { home, cwd: await Deno.makeTempDir({ prefix: "hexpub-fetch-" }) };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("info lists versions newest first with the latest stable one and retirements; needs no login", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const { home, cwd } = await seed(fake);
    const r = await hexpub.run(["info", "widget"], { cwd, home, env: hexEnv(server) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^widget \(repository hexpm\)$/m);
    assert.match(r.stdout, /Latest stable version: 1\.2\.0/);
    const order = ["2.0.0-rc.1", "1.2.0", "1.1.0", "1.0.0"].map((v) => r.stdout.indexOf(`\n${v} `));
    assert.ok(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1])), r.stdout);
    assert.match(r.stdout, /2\.0\.0-rc\.1 .*pre-release/);
    assert.match(r.stdout, /1\.1\.0 .*retired \(security\): Use 1\.2\.0/);
    // The registry, not the API, is read, and without credentials.
    assert.equal(fake.requestsTo("GET", "/repo/packages/widget").length, 1);
    assert.equal(
      fake.requestsTo("GET", "/repo/packages/widget")[0].headers.has("authorization"),
      false,
    );
    assert.equal(fake.requests.filter((q) => q.path.startsWith("/api")).length, 0);

    const json = await hexpub.run(["info", "widget", "--json"], { cwd, home, env: hexEnv(server) });
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.latestStable, "1.2.0");
    assert.deepEqual(parsed.versions.map((v: { version: string }) => v.version), [
      "2.0.0-rc.1",
      "1.2.0",
      "1.1.0",
      "1.0.0",
    ]);
    assert.deepEqual(parsed.versions[2].retired, { reason: "security", message: "Use 1.2.0" });
  });
});

Deno.test("info VERSION shows the checksum, the dependencies and the retirement; an unknown version names the nearest", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const { home, cwd } = await seed(fake);
    const env = hexEnv(server);
    const r = await hexpub.run(["info", "widget", "1.2.0"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Checksum: ${fake.release("widget", "1.2.0")!.checksum}`));
    assert.match(r.stdout, /cowlib +~> 2\.12/);
    assert.match(r.stdout, /ranch +>= 1\.8\.0 +optional, app ranch_app/);
    const retired = await hexpub.run(["info", "widget", "1.1.0", "--json"], { cwd, home, env });
    assert.deepEqual(JSON.parse(retired.stdout).retired, {
      reason: "security",
      message: "Use 1.2.0",
    });

    const missing = await hexpub.run(["info", "widget", "1.3.0"], { cwd, home, env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /package "widget" has no version "1\.3\.0" in repository "hexpm"/);
    assert.match(missing.stderr, /1\.2\.0, 1\.1\.0, 1\.0\.0/);
    const nope = await hexpub.run(["info", "nosuchpkg"], { cwd, home, env });
    assert.equal(nope.code, 1);
    assert.match(nope.stderr, /package "nosuchpkg" does not exist in repository "hexpm"/);
  });
});

Deno.test("hexpm is verified with hex.pm's built-in key unless repo_public_key says otherwise", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const { cwd } = await seed(fake);
    // A fresh home trusts no test key: the fake's files are not signed by hex.pm.
    const r = await hexpub.run(["info", "widget"], { cwd, env: hexEnv(server) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /signature does not match the repository's public key/);
    assert.match(r.stderr, /tampered/);
    assert.doesNotMatch(r.stdout, /1\.2\.0/);
    // HEX_UNSAFE_REGISTRY turns the signature check off, as documented.
    const unsafe = await hexpub.run(["info", "widget"], {
      cwd,
      env: { ...hexEnv(server), HEX_UNSAFE_REGISTRY: "1" },
    });
    assert.equal(unsafe.code, 0, unsafe.stderr);
  });
});

Deno.test("fetch writes NAME-VERSION.tar matching the registry checksum; a requirement picks the newest match that is not retired", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const { home, cwd } = await seed(fake);
    const env = hexEnv(server);
    const r = await hexpub.run(["fetch", "widget"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    const path = join(cwd, "widget-1.2.0.tar");
    const checksum = await sha256Hex(await Deno.readFile(path));
    assert.equal(checksum, fake.release("widget", "1.2.0")!.checksum);
    assert.match(
      r.stdout,
      new RegExp(`Fetched widget 1\\.2\\.0 from repository hexpm[\\s\\S]*${checksum}`),
    );

    const out = join(cwd, "out");
    const req = await hexpub.run(["fetch", "widget", "~> 1.0.0", "-o", out, "--json"], {
      cwd,
      home,
      env,
    });
    assert.equal(req.code, 0, req.stderr);
    assert.equal(JSON.parse(req.stdout).version, "1.0.0");
    assert.ok(await exists(join(out, "widget-1.0.0.tar")));

    const retired = await hexpub.run(["fetch", "widget", "1.1.0", "-o", out], { cwd, home, env });
    assert.equal(retired.code, 0, retired.stderr);
    assert.match(retired.stderr, /warning: widget 1\.1\.0 is retired \(security\): Use 1\.2\.0/);

    const unpacked = await hexpub.run(["fetch", "widget", "1.2.0", "--unpack", "-o", out], {
      cwd,
      home,
      env,
    });
    assert.equal(unpacked.code, 0, unpacked.stderr);
    assert.ok(await exists(join(out, "widget-1.2.0", "src", "widget.erl")));
    assert.match(
      await Deno.readTextFile(join(out, "widget-1.2.0", "hex_metadata.config")),
      /\{<<"version">>,<<"1\.2\.0">>\}/,
    );

    const none = await hexpub.run(["fetch", "widget", "~> 3.0"], { cwd, home, env });
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /no version of package "widget" in repository "hexpm" matches "~> 3\.0"/,
    );
  });
});

Deno.test("fetch refuses a tarball whose checksum differs from the registry and writes nothing", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const { home, cwd } = await seed(fake);
    const rel = fake.release("widget", "1.2.0")!;
    // The repository serves other bytes than the signed registry records.
    rel.tarball = fake.release("widget", "1.0.0")!.tarball;
    for (const args of [["fetch", "widget", "1.2.0"], ["fetch", "widget", "1.2.0", "--unpack"]]) {
      const r = await hexpub.run(args, { cwd, home, env: hexEnv(server) });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /refused the tarball of widget 1\.2\.0[\s\S]*nothing was written/);
      assert.match(r.stderr, new RegExp(rel.checksum));
    }
    assert.deepEqual([...Deno.readDirSync(cwd)], []);
  });
});

Deno.test("info and fetch refuse a tampered file, a foreign signature, another repository's file and another package's file", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const { home, cwd } = await seed(fake);
    const env = hexEnv(server);
    const real = (await fake.registryFile("/packages/widget"))!;
    const { privateKeyPem } = await fake.registryKeys();
    const pkg = {
      name: "widget",
      repository: "hexpm",
      releases: [{
        version: "1.2.0",
        innerChecksum: new Uint8Array(32),
        outerChecksum: new Uint8Array(32),
        dependencies: [],
      }],
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ["tampered", flipPayloadByte(real), /signature does not match the repository's public key/],
      [
        "signed by another key",
        await signedPackageFile(pkg, (await generateRepoKeys()).privateKeyPem),
        /signature does not match the repository's public key/,
      ],
      [
        "another repository's",
        await signedPackageFile({ ...pkg, repository: "evil" }, privateKeyPem),
        /signed for repository "evil", expected "hexpm"/,
      ],
      [
        "another package's",
        await signedPackageFile({ ...pkg, name: "gadget" }, privateKeyPem),
        /describes package "gadget", expected "widget"/,
      ],
    ];
    for (const [label, file, why] of cases) {
      fake.setRegistryFile("/packages/widget", file);
      for (const args of [["info", "widget"], ["fetch", "widget", "1.2.0"]]) {
        const r = await hexpub.run(args, { cwd, home, env });
        assert.equal(r.code, 1, `${label}: ${args.join(" ")}: ${r.stdout}`);
        assert.match(r.stderr, why, label);
        assert.match(
          r.stderr,
          /refused the registry entry of package "widget" from repository "hexpm"/,
        );
        assert.match(r.stderr, /may have been tampered with/);
        assert.equal(r.stdout, "", label);
      }
    }
    assert.deepEqual([...Deno.readDirSync(cwd)], [], "nothing was written");
    assert.equal(fake.requestsTo("GET", /\/repo\/tarballs\//).length, 0, "no tarball was fetched");
  });
});
