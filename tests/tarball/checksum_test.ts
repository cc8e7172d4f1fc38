import assert from "node:assert/strict";
import { sha256Hex, sha256HexOfParts } from "../../src/tarball/checksum.ts";
import { nodeSha256, pseudoRandomBytes } from "./_helpers.ts";

const enc = new TextEncoder();

Deno.test("sha256Hex() matches the FIPS 180-2 test vectors", async () => {
  assert.equal(
    await sha256Hex(enc.encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    await sha256Hex(new Uint8Array()),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("sha256HexOfParts() hashes the concatenation", async () => {
  const parts = [
    enc.encode("3"),
    pseudoRandomBytes(1000, 2),
    new Uint8Array(),
    pseudoRandomBytes(5),
  ];
  assert.equal(await sha256HexOfParts(parts), nodeSha256(...parts));
});

Deno.test("sha256Hex() hashes a view, not its whole buffer", async () => {
  const buffer = pseudoRandomBytes(100);
  const view = buffer.subarray(10, 20);
  assert.equal(await sha256Hex(view), nodeSha256(view));
});
