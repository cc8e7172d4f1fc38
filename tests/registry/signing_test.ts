import assert from "node:assert/strict";
import { gzipBomb } from "../support/gzip_bomb.ts";
import { gunzipBytes, gzipBytes } from "../../src/tarball/gzip.ts";
import { decodeSigned, encodeSigned, type Package } from "../../src/registry/messages.ts";
import {
  checkRepository,
  derToPem,
  generateRepoKeys,
  MAX_UNPACKED_REGISTRY_FILE,
  openSignedFile,
  publicKeyPemOf,
  readPem,
  RegistryError,
  signedFile,
} from "../../src/registry/signing.ts";
import {
  encodeSignedNames,
  encodeSignedPackage,
  encodeSignedVersions,
  readNames,
  readPackage,
  readVersions,
} from "../../src/registry/registry_files.ts";
import { HexpubError } from "../../src/errors.ts";

const keys = await generateRepoKeys();
const otherKeys = await generateRepoKeys();

async function refused(p: Promise<unknown>, reason: string): Promise<RegistryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RegistryError, `expected RegistryError, got ${err}`);
  assert.ok(err instanceof HexpubError);
  assert.equal(err.reason, reason, err.message);
  return err;
}

Deno.test("generateRepoKeys() writes PKCS#8 and SPKI PEM of a 2048-bit RSA key", async () => {
  assert.match(keys.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.match(keys.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC/);
  assert.equal(await publicKeyPemOf(keys.privateKeyPem), keys.publicKeyPem);
  const { label, der } = readPem(keys.publicKeyPem);
  assert.equal(label, "PUBLIC KEY");
  assert.equal(der.length, 294);
  assert.equal(derToPem(der, label), keys.publicKeyPem);
  // e = 65537 ends the SPKI: INTEGER 3 bytes 01 00 01.
  assert.deepEqual([...der.subarray(-5)], [0x02, 0x03, 0x01, 0x00, 0x01]);
});

Deno.test("signedFile() is gzip(Signed) with a verifiable signature; openSignedFile() returns the payload", async () => {
  const payload = new TextEncoder().encode("payload bytes");
  const file = await signedFile(payload, keys.privateKeyPem);
  assert.deepEqual([...file.subarray(0, 2)], [0x1f, 0x8b]);
  const signed = decodeSigned(gunzipBytes(file));
  assert.deepEqual(signed.payload, payload);
  assert.equal(signed.signature?.length, 256);
  assert.deepEqual(await openSignedFile(file, keys.publicKeyPem, { verify: true }), payload);
});

Deno.test("openSignedFile() refuses a tampered payload, a wrong key, bad gzip and bad Signed", async () => {
  const payload = Uint8Array.of(1, 2, 3, 4);
  const file = await signedFile(payload, keys.privateKeyPem);
  const signed = decodeSigned(gunzipBytes(file));
  const tampered = gzipBytes(encodeSigned({ ...signed, payload: Uint8Array.of(1, 2, 3, 5) }));
  await refused(openSignedFile(tampered, keys.publicKeyPem, { verify: true }), "bad_signature");
  await refused(openSignedFile(file, otherKeys.publicKeyPem, { verify: true }), "bad_signature");
  const unsigned = gzipBytes(encodeSigned({ payload }));
  await refused(openSignedFile(unsigned, keys.publicKeyPem, { verify: true }), "bad_signature");
  await refused(
    openSignedFile(Uint8Array.of(1, 2, 3), keys.publicKeyPem, { verify: true }),
    "bad_gzip",
  );
  await refused(
    openSignedFile(gzipBytes(Uint8Array.of(0x0a, 9)), keys.publicKeyPem, { verify: true }),
    "bad_signed",
  );
  await refused(openSignedFile(file, undefined, { verify: true }), "missing_public_key");
  await refused(openSignedFile(file, "not a pem", { verify: true }), "bad_key");
  // verify: false (HEX_UNSAFE_REGISTRY) skips the check.
  assert.deepEqual(
    await openSignedFile(tampered, undefined, { verify: false }),
    Uint8Array.of(1, 2, 3, 5),
  );
});

Deno.test("checkRepository() names both repositories", () => {
  checkRepository("hexpm", "hexpm");
  assert.throws(
    () => checkRepository("evil", "local"),
    (e: unknown) =>
      e instanceof RegistryError && e.reason === "wrong_repository" && /"evil"/.test(e.message) &&
      /"local"/.test(e.message),
  );
});

const pkg: Package = {
  name: "foo",
  repository: "local",
  releases: [{
    version: "1.0.0",
    innerChecksum: new Uint8Array(32).fill(7),
    outerChecksum: new Uint8Array(32).fill(8),
    dependencies: [{ package: "bar", requirement: "~> 2.0" }],
  }],
};

Deno.test("registry files round-trip through sign + verify + decode", async () => {
  const opts = { repository: "local", verify: true };
  const names = { packages: [{ name: "bar" }, { name: "foo" }], repository: "local" };
  const versions = {
    packages: [{ name: "foo", versions: ["1.0.0", "1.1.0"], retired: [1] }],
    repository: "local",
  };
  const key = keys.privateKeyPem;
  assert.deepEqual(
    await readNames(await encodeSignedNames(names, key), keys.publicKeyPem, opts),
    names,
  );
  assert.deepEqual(
    await readVersions(await encodeSignedVersions(versions, key), keys.publicKeyPem, opts),
    versions,
  );
  const file = await encodeSignedPackage(pkg, key);
  assert.deepEqual(await readPackage(file, keys.publicKeyPem, { ...opts, name: "foo" }), pkg);
});

Deno.test("readers refuse a wrong repository, a wrong package, a wrong key and a bad payload", async () => {
  const file = await encodeSignedPackage(pkg, keys.privateKeyPem);
  const pub = keys.publicKeyPem;
  const err = await refused(
    readPackage(file, pub, { repository: "hexpm", verify: true, name: "foo" }),
    "wrong_repository",
  );
  assert.match(err.message, /"local".*"hexpm"/);
  await refused(
    readPackage(file, pub, { repository: "local", verify: true, name: "bar" }),
    "wrong_package",
  );
  await refused(
    readPackage(file, otherKeys.publicKeyPem, { repository: "local", verify: true, name: "foo" }),
    "bad_signature",
  );
  // HEX_NO_VERIFY_REPO_ORIGIN
  const ok = await readPackage(file, pub, {
    repository: "x",
    verify: true,
    name: "y",
    verifyOrigin: false,
  });
  assert.equal(ok.name, "foo");
  const names = await encodeSignedNames({ packages: [], repository: "evil" }, keys.privateKeyPem);
  await refused(readNames(names, pub, { repository: "local", verify: true }), "wrong_repository");
  const garbage = await signedFile(Uint8Array.of(0x0a, 0x05), keys.privateKeyPem);
  await refused(readVersions(garbage, pub, { repository: "local", verify: true }), "bad_payload");
});

Deno.test("PKCS#1 keys (as `mix hex.registry build` writes) are accepted", async () => {
  // Unwrap our SPKI/PKCS#8 to PKCS#1 by hand: SPKI = SEQ{algid(15 bytes), BIT STRING{00, pkcs1}}.
  const spki = readPem(keys.publicKeyPem).der;
  // 30 82 01 22 | 30 0d ...(15) | 03 82 01 0f 00 | pkcs1
  const pkcs1Pub = spki.subarray(4 + 15 + 5);
  assert.equal(pkcs1Pub[0], 0x30);
  const pkcs8 = readPem(keys.privateKeyPem).der;
  // 30 82 xx xx | 02 01 00 | algid(15) | 04 82 xx xx | pkcs1
  const pkcs1Priv = pkcs8.subarray(4 + 3 + 15 + 4);
  assert.equal(pkcs1Priv[0], 0x30);
  const rsaPub = derToPem(pkcs1Pub, "RSA PUBLIC KEY");
  const rsaPriv = derToPem(pkcs1Priv, "RSA PRIVATE KEY");
  const file = await signedFile(Uint8Array.of(42), rsaPriv);
  assert.deepEqual(await openSignedFile(file, rsaPub, { verify: true }), Uint8Array.of(42));
  assert.deepEqual(
    await openSignedFile(file, keys.publicKeyPem, { verify: true }),
    Uint8Array.of(42),
  );
  assert.equal(await publicKeyPemOf(rsaPriv), keys.publicKeyPem);
});

Deno.test("a registry file that unpacks past the limit is refused as too big, not as bad gzip", async () => {
  const bomb = gzipBomb(MAX_UNPACKED_REGISTRY_FILE / 1024 / 1024 + 1);
  await assert.rejects(
    () => openSignedFile(bomb, undefined, { verify: false }),
    (e: unknown) =>
      e instanceof RegistryError && e.reason === "too_big" &&
      /more than 256 MiB/.test(e.message) && !/gzip/.test(e.message),
  );
});
