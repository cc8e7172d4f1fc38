import assert from "node:assert/strict";
import { HEXPM_PUBLIC_KEY, HEXPM_PUBLIC_KEY_FINGERPRINT } from "../../src/registry/hexpm_key.ts";
import { publicKeyFingerprint } from "../../src/registry/fingerprint.ts";
import { importPublicKey, readPem } from "../../src/registry/signing.ts";
import { registrySource } from "../../src/tasks/registry.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("the built-in hexpm key imports with WebCrypto as a 2048-bit RSASSA-PKCS1-v1_5/SHA-512 key", async () => {
  const { label, der } = readPem(HEXPM_PUBLIC_KEY);
  assert.equal(label, "PUBLIC KEY");
  const key = await crypto.subtle.importKey(
    "spki",
    der as BufferSource,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" },
    true,
    ["verify"],
  );
  const alg = key.algorithm as RsaHashedKeyAlgorithm;
  assert.equal(alg.modulusLength, 2048);
  assert.deepEqual([...alg.publicExponent], [1, 0, 1]);
  // And through hexpub's own importer.
  assert.equal((await importPublicKey(HEXPM_PUBLIC_KEY)).type, "public");
});

Deno.test("the built-in hexpm key has the fingerprint hex.pm publishes", async () => {
  // https://hex.pm/docs/public_keys; also in hex_core's and mix's own test suites.
  assert.equal(HEXPM_PUBLIC_KEY_FINGERPRINT, "SHA256:O1LOYhHFW4kcrblKAxROaDEzLD8bn1seWbe5tq8TRsk");
  assert.equal(
    // publicKeyFingerprint is checked against ssh-keygen in fingerprint_test.ts.
    await publicKeyFingerprint(HEXPM_PUBLIC_KEY),
    HEXPM_PUBLIC_KEY_FINGERPRINT,
  );
});

Deno.test("hexpm and its organizations are verified with the built-in key unless repo_public_key is set", async () => {
  const deps = testDeps(Deno.cwd());
  const hexpm = {
    name: "hexpm",
    apiUrl: "https://hex.pm/api",
    repoUrl: "https://repo.hex.pm",
    verify: true,
    verifyOrigin: true,
  };
  assert.equal((await registrySource(deps, hexpm)).publicKey, HEXPM_PUBLIC_KEY);
  const org = { ...hexpm, name: "hexpm:acme", organization: "acme", parent: "hexpm" };
  const source = await registrySource(deps, org);
  assert.equal(source.publicKey, HEXPM_PUBLIC_KEY);
  assert.equal(source.repository, "acme");
  const own = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  assert.equal((await registrySource(deps, { ...hexpm, repoPublicKey: own })).publicKey, own);
});
