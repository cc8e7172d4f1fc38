/**
 * Smoke test of `hexpub info` and `hexpub fetch` as a process: the real binary
 * against the fake hex.pm served on 127.0.0.1 (its registry signed with a test
 * key trusted through `repo_public_key`), its exit codes and the tarball it
 * writes. The use cases are tested in process in
 * tests/commands/info_fetch_registry_test.ts.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { sha256Hex } from "../../src/tarball/checksum.ts";
import { hexEnv, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { trustHexpmKey } from "../support/registry.ts";

Deno.test("the hexpub binary reads the registry and writes the fetched tarball; an unknown package exits 1", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addRelease({ name: "widget", version: "1.2.0" });
    const home = await makeHome();
    await trustHexpmKey(home, (await fake.registryKeys()).publicKeyPem);
    const cwd = await Deno.makeTempDir({ prefix: "hexpub-fetch-" });
    const env = hexEnv(server);
    const info = await runHexpub(["info", "widget"], { cwd, home, env });
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /Latest stable version: 1\.2\.0/);
    const r = await runHexpub(["fetch", "widget"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    const checksum = await sha256Hex(await Deno.readFile(join(cwd, "widget-1.2.0.tar")));
    assert.equal(checksum, fake.release("widget", "1.2.0")!.checksum);
    const nope = await runHexpub(["info", "nosuchpkg"], { cwd, home, env });
    assert.equal(nope.code, 1);
    assert.match(nope.stderr, /package "nosuchpkg" does not exist in repository "hexpm"/);
  });
});
