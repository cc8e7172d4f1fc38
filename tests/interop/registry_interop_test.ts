/**
 * Registry files hexpub signs, verified and decoded by the hex_core bundled in
 * rebar3 (r3_hex_registry), one escript run per file. Skips visibly without
 * Erlang (see ./erlang.ts).
 *
 * Observed with rebar3 3.19 / OTP 25: that hex_core's schema predates
 * `Names.Package.updated_at` and `Release.published_at`, so it drops them;
 * retirement reasons come back as atoms (`'RETIRED_SECURITY'`); a wrong
 * repository name and a wrong key both give `{error, unverified}`; an empty
 * `retired` list comes back as `[]`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTerms } from "../../src/erlang/read_terms.ts";
import { type Term, textOf } from "../../src/erlang/term.ts";
import {
  encodeSignedNames,
  encodeSignedPackage,
  encodeSignedVersions,
} from "../../src/registry/registry_files.ts";
import { generateRepoKeys } from "../../src/registry/signing.ts";
import {
  buildRepository,
  initRepository,
  withRepoLock,
} from "../../src/repository/repository_dir.ts";
import { setRetirements } from "../../src/repository/repository_ops.ts";
import { tarball } from "../repository/repo_fixtures.ts";
import { testDeps } from "../support/test_deps.ts";
import { erlangTools, interopTest, runEscript } from "./erlang.ts";

const script = fileURLToPath(new URL("./registry_decode.escript", import.meta.url));

/** Erlang term → plain JS: maps → objects, binaries → text, atoms → strings, lists → arrays. */
function plain(t: Term): unknown {
  switch (t.kind) {
    case "map":
      return Object.fromEntries(t.entries.map(([k, v]) => [String(plain(k)), plain(v)]));
    case "list":
      return t.items.map(plain);
    case "tuple":
      return t.items.map(plain);
    case "integer":
      return Number(t.value);
    case "atom":
      return t.value;
    default:
      return textOf(t);
  }
}

async function decodeWithHexCore(
  kind: "names" | "versions" | "package",
  file: Uint8Array,
  publicKeyPem: string,
  repo: string,
  pkg = "",
): Promise<unknown> {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-registry-" });
  try {
    const path = join(dir, kind);
    const keyPath = join(dir, "public_key");
    await Deno.writeFile(path, file);
    await Deno.writeTextFile(keyPath, publicKeyPem);
    const printed = await runEscript(script, [kind, path, keyPath, repo, pkg, erlangTools!.rebar3]);
    const [term] = readTerms(printed, "registry_decode output");
    return plain(term);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const hex = (b: Uint8Array) =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("").toUpperCase();

interopTest(
  "hex_core verifies and decodes hexpub's names, versions and package files",
  async () => {
    const keys = await generateRepoKeys();
    const names = await encodeSignedNames({
      packages: [{ name: "alpha", updatedAt: { seconds: 1_700_000_000, nanos: 0 } }, {
        name: "beta",
      }],
      repository: "local",
    }, keys.privateKeyPem);
    assert.deepEqual(await decodeWithHexCore("names", names, keys.publicKeyPem, "local"), [
      "ok",
      [{ name: "alpha" }, { name: "beta" }],
    ]);

    const versions = await encodeSignedVersions({
      packages: [
        { name: "alpha", versions: ["0.1.0", "1.0.0", "1.1.0-rc.1"], retired: [0, 2] },
        { name: "beta", versions: ["2.0.0"], retired: [] },
      ],
      repository: "local",
    }, keys.privateKeyPem);
    assert.deepEqual(await decodeWithHexCore("versions", versions, keys.publicKeyPem, "local"), [
      "ok",
      [
        { name: "alpha", versions: ["0.1.0", "1.0.0", "1.1.0-rc.1"], retired: [0, 2] },
        { name: "beta", versions: ["2.0.0"], retired: [] },
      ],
    ]);

    const inner = crypto.getRandomValues(new Uint8Array(32));
    const outer = crypto.getRandomValues(new Uint8Array(32));
    const pkg = await encodeSignedPackage({
      name: "alpha",
      repository: "local",
      releases: [
        {
          version: "0.1.0",
          innerChecksum: inner,
          outerChecksum: outer,
          dependencies: [
            { package: "beta", requirement: "~> 2.0", optional: true, app: "beta_app" },
            { package: "gamma", requirement: ">= 0.0.0", repository: "hexpm" },
          ],
          retired: { reason: 2, message: "CVE-1" },
          publishedAt: { seconds: 1_700_000_000, nanos: 5 },
        },
        { version: "1.0.0", innerChecksum: outer, outerChecksum: inner, dependencies: [] },
      ],
    }, keys.privateKeyPem);
    assert.deepEqual(await decodeWithHexCore("package", pkg, keys.publicKeyPem, "local", "alpha"), [
      "ok",
      [
        {
          version: "0.1.0",
          inner_checksum: hex(inner),
          outer_checksum: hex(outer),
          dependencies: [
            { package: "beta", requirement: "~> 2.0", optional: "true", app: "beta_app" },
            { package: "gamma", requirement: ">= 0.0.0", repository: "hexpm" },
          ],
          retired: { reason: "RETIRED_SECURITY", message: "CVE-1" },
        },
        {
          version: "1.0.0",
          inner_checksum: hex(outer),
          outer_checksum: hex(inner),
          dependencies: [],
        },
      ],
    ]);
  },
);

interopTest("hex_core refuses hexpub's files under a wrong repository name or key", async () => {
  const keys = await generateRepoKeys();
  const other = await generateRepoKeys();
  const names = await encodeSignedNames(
    { packages: [{ name: "a" }], repository: "local" },
    keys.privateKeyPem,
  );
  assert.deepEqual(await decodeWithHexCore("names", names, keys.publicKeyPem, "hexpm"), [
    "error",
    "unverified",
  ]);
  assert.deepEqual(await decodeWithHexCore("names", names, other.publicKeyPem, "local"), [
    "error",
    "unverified",
  ]);
  const pkg = await encodeSignedPackage(
    { name: "a", repository: "local", releases: [] },
    keys.privateKeyPem,
  );
  assert.deepEqual(await decodeWithHexCore("package", pkg, keys.publicKeyPem, "other", "a"), [
    "error",
    "unverified",
  ]);
});

interopTest(
  "hex_core decodes a retired release from a repository directory hexpub built",
  async () => {
    const work = await Deno.makeTempDir({ prefix: "hexpub-registry-" });
    try {
      const deps = testDeps(work);
      const repo = await initRepository(deps, join(work, "team"), "team");
      for (const v of ["1.0.0", "1.1.0"]) {
        await Deno.writeFile(
          join(repo.dir, "tarballs", `gadget-${v}.tar`),
          (await tarball("gadget", v)).tarball,
        );
      }
      await withRepoLock(deps, repo.dir, async () => {
        await buildRepository(deps, repo);
        await setRetirements(
          deps,
          repo,
          "gadget",
          new Map([["1.0.0", { reason: "deprecated", message: "use 1.1.0" }]]),
        );
      });
      const pkg = await decodeWithHexCore(
        "package",
        await Deno.readFile(join(repo.dir, "packages", "gadget")),
        repo.publicKeyPem,
        "team",
        "gadget",
      ) as [string, { version: string; retired?: unknown }[]];
      assert.equal(pkg[0], "ok");
      assert.deepEqual(pkg[1].map((r) => [r.version, r.retired]), [
        ["1.0.0", { reason: "RETIRED_DEPRECATED", message: "use 1.1.0" }],
        ["1.1.0", undefined],
      ]);
      assert.deepEqual(
        await decodeWithHexCore(
          "versions",
          await Deno.readFile(join(repo.dir, "versions")),
          repo.publicKeyPem,
          "team",
        ),
        ["ok", [{ name: "gadget", versions: ["1.0.0", "1.1.0"], retired: [0] }]],
      );
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
);
