/**
 * Every valid fixture project, built by hexpub and read back by software we
 * did not write: OTP's erl_tar and the hex_core bundled in rebar3 (one escript
 * run per tarball). Skips visibly without Erlang (see ./erlang.ts).
 *
 * Observed with rebar3 3.19 / OTP 25: `r3_hex_tarball:unpack(Bin, memory)`
 * returns `{ok, #{contents, inner_checksum, metadata, outer_checksum}}`, both
 * checksums as raw 32-byte binaries; metadata comes back as a map with binary
 * keys, `requirements` and `links` as maps. erl_tar's in-memory extract (and
 * hex_core's `contents`) hold regular files only: directories and symlinks
 * show up in the `inner_table` listing alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Term, textOf } from "../../src/erlang/term.ts";
import { readTerms } from "../../src/erlang/read_terms.ts";
import { gitVersion } from "../../src/project/resolve_version.ts";
import { build } from "../../src/tasks/build.ts";
import { unpackDocs, type UnpackedFile, unpackPackage } from "../../src/tarball/unpack_package.ts";
import { CASES, fixtureDir, gitTagged, prepareCase } from "../support/fixture_cases.ts";
import { copyFixture, git } from "../support/project.ts";
import { hostPath, testDeps } from "../support/test_deps.ts";
import { interopTest, mapGet, rebar3Env, runRebar3, unpackWithErlang } from "./erlang.ts";

// ---- reading the escript's term ----------------------------------------------------------

function describe(t: Term | undefined): string {
  return JSON.stringify(
    t,
    (_k, v) => typeof v === "bigint" ? Number(v) : v instanceof Uint8Array ? [...v] : v,
  )
    .slice(0, 2000);
}

/** `{ok, X}` → X; anything else fails with the term printed. */
function ok(t: Term | undefined): Term {
  if (
    t?.kind === "tuple" && t.items.length === 2 && t.items[0].kind === "atom" &&
    t.items[0].value === "ok"
  ) {
    return t.items[1];
  }
  return assert.fail(`expected {ok, …}, got ${describe(t)}`);
}

function items(t: Term | undefined): Term[] {
  assert.ok(t?.kind === "list", `expected a list, got ${describe(t)}`);
  return t.items;
}

function text(t: Term | undefined): string {
  const s = t && textOf(t);
  assert.ok(s !== undefined, `expected text, got ${describe(t)}`);
  return s;
}

function int(t: Term | undefined): number {
  assert.ok(t?.kind === "integer", `expected an integer, got ${describe(t)}`);
  return Number(t.value);
}

function tupleItems(t: Term): Term[] {
  assert.ok(t.kind === "tuple", `expected a tuple, got ${describe(t)}`);
  return t.items;
}

/** Plain data for comparison: binaries → text, maps → objects, lists → arrays, true/false → booleans. */
function plain(t: Term): unknown {
  switch (t.kind) {
    case "binary":
    case "string":
      return textOf(t);
    case "atom":
      return t.value === "true" ? true : t.value === "false" ? false : `atom:${t.value}`;
    case "integer":
      return Number(t.value);
    case "float":
      return t.value;
    case "list":
    case "tuple":
      return t.items.map(plain);
    case "map":
      return Object.fromEntries(t.entries.map(([k, v]) => [text(k), plain(v)]));
  }
}

function hexOf(t: Term | undefined): string {
  assert.ok(t?.kind === "binary", `expected a binary, got ${describe(t)}`);
  return Array.from(t.bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- our side ----------------------------------------------------------------------------

async function sha256Upper(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** `[name, size, SHA]` of each regular file, as the escript prints them. */
async function fileRows(files: UnpackedFile[]): Promise<[string, number, string][]> {
  const out: [string, number, string][] = [];
  for (const f of files) {
    if (f.kind === "file") out.push([f.path, f.data!.length, await sha256Upper(f.data!)]);
  }
  return out;
}

function erlRows(list: Term[]): [string, number, string][] {
  return list.map((row) => {
    const [name, size, sha] = tupleItems(row);
    return [text(name), int(size), text(sha)];
  });
}

const TAR_TYPE = { file: "regular", dir: "directory", symlink: "symlink" } as const;

// ---- the tests -------------------------------------------------------------------------

for (const c of CASES) {
  const withDocs = c.name === "single_app";
  interopTest(
    `erl_tar and rebar3's hex_core read the ${c.name} package${withDocs ? " and docs" : ""}`,
    async () => {
      const dir = await prepareCase(c);
      const out = await Deno.makeTempDir({ prefix: "hexpub-interop-" });
      try {
        const result = await build(testDeps(dir, { env: hostPath() }), {
          target: withDocs ? "all" : "package",
          docDir: withDocs ? "doc" : undefined,
          app: c.app,
          output: join(out, "pkg.tar"),
          unpack: false,
          repo: "hexpm",
          strict: false,
        });
        const pkg = result.package!;
        const ours = await unpackPackage(await Deno.readFile(pkg.path));
        const erl = await unpackWithErlang("package", pkg.path);

        // erl_tar: the outer entries, then the inner files (names, sizes, SHA-256s) and listing.
        const erlTar = mapGet(erl, "erl_tar");
        assert.deepEqual(items(mapGet(erlTar!, "outer")).map(text), [
          "VERSION",
          "CHECKSUM",
          "metadata.config",
          "contents.tar.gz",
        ]);
        const ourRows = await fileRows(ours.files);
        assert.deepEqual(erlRows(items(ok(mapGet(erlTar!, "inner")))), ourRows);
        const table = items(ok(mapGet(erlTar!, "inner_table"))).map((row) => {
          const [name, type, size, mode] = tupleItems(row);
          assert.ok(type.kind === "atom");
          return [text(name), type.value, int(size), int(mode) & 0o7777];
        });
        assert.deepEqual(
          table,
          ours.files.map((f) => [f.path, TAR_TYPE[f.kind], f.data?.length ?? 0, f.mode]),
        );

        // hex_core: unpacks without error, agrees on contents, both checksums and the metadata.
        const hc = ok(mapGet(erl, "hex_core"));
        assert.ok(hc.kind === "map");
        assert.deepEqual(erlRows(items(mapGet(hc, "contents"))), ourRows);
        assert.equal(hexOf(mapGet(hc, "inner_checksum")).toUpperCase(), pkg.innerChecksum);
        const outer = mapGet(hc, "outer_checksum");
        if (outer) assert.equal(hexOf(outer), pkg.outerChecksum);

        const meta = plain(mapGet(hc, "metadata")!) as Record<string, unknown>;
        const ourMeta = pkg.metadata;
        const emptyAsMap = (v: unknown) => Array.isArray(v) && v.length === 0 ? {} : v;
        assert.deepEqual(Object.keys(meta).sort(), Object.keys(ourMeta).sort());
        assert.equal(meta.name, pkg.name);
        assert.equal(meta.version, pkg.version);
        assert.equal(meta.app, pkg.app);
        assert.deepEqual(meta.requirements, emptyAsMap(ourMeta.requirements));
        assert.deepEqual(meta.files, pkg.files);
        assert.deepEqual(meta.licenses, pkg.licenses);
        assert.deepEqual(meta.links, Object.fromEntries(pkg.links));
        assert.equal(meta.description, pkg.description);
        assert.deepEqual(meta.build_tools, pkg.buildTools);
        for (const r of pkg.requirements) {
          assert.deepEqual(
            (meta.requirements as Record<string, unknown>)[r.name],
            (ourMeta.requirements as Record<string, unknown>)[r.name],
          );
        }

        if (withDocs) {
          const docs = result.docs!;
          const ourDocs = await unpackDocs(await Deno.readFile(docs.path));
          const erlDocs = await unpackWithErlang("docs", docs.path);
          const docRows = await fileRows(ourDocs.files);
          assert.ok(docRows.length > 0);
          assert.deepEqual(
            erlRows(items(ok(mapGet(mapGet(erlDocs, "erl_tar")!, "inner")))),
            docRows,
          );
          const hcDocs = mapGet(erlDocs, "hex_core");
          if (!(hcDocs?.kind === "atom" && hcDocs.value === "not_supported")) {
            assert.deepEqual(
              items(ok(hcDocs)).map((row) => {
                const [name, size] = tupleItems(row);
                return [text(name), int(size)];
              }),
              docRows.map(([name, size]) => [name, size]),
            );
          }
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
        await Deno.remove(out, { recursive: true });
      }
    },
  );
}

/** The vsn `rebar3 compile` (offline, in `env`) writes into `_build/default/lib/APP/ebin/APP.app`. */
async function rebar3Vsn(dir: string, app: string, env: Record<string, string>): Promise<string> {
  const { code, log } = await runRebar3(dir, ["compile"], { ...env, REBAR_OFFLINE: "1" });
  assert.equal(code, 0, log);
  const appFile = join(dir, "_build", "default", "lib", app, "ebin", `${app}.app`);
  const [term] = readTerms(await Deno.readTextFile(appFile), appFile);
  const props = tupleItems(term)[2];
  const vsn = items(props).find((p) =>
    p.kind === "tuple" && p.items[0].kind === "atom" && p.items[0].value === "vsn"
  );
  return text(tupleItems(vsn!)[1]);
}

interopTest(
  "{vsn, git} resolves as rebar3 compile does, on the tag and one commit after it",
  async () => {
    const dir = await copyFixture(fixtureDir("projects", "vsn_git"));
    const work = await Deno.makeTempDir({ prefix: "hexpub-vsn-git-" });
    try {
      const env = await rebar3Env(work);
      await Deno.writeTextFile(join(dir, ".gitignore"), "_build/\n");
      await gitTagged(dir);
      const deps = testDeps(dir);
      assert.equal((await gitVersion(deps, dir)).version, "1.4.0");
      assert.equal(await rebar3Vsn(dir, "gitver", env), "1.4.0");

      await Deno.writeTextFile(join(dir, "README.md"), "\nOne more line.\n", { append: true });
      await git(dir, "commit", "-q", "-a", "-m", "After the release");
      await Deno.remove(join(dir, "_build"), { recursive: true });
      const ours = (await gitVersion(deps, dir)).version;
      assert.match(ours, /^1\.4\.0\+build\.\d+\.ref[0-9a-f]+$/);
      assert.equal(await rebar3Vsn(dir, "gitver", env), ours);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(work, { recursive: true });
    }
  },
);
