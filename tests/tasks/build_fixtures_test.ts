/**
 * `build()` on realistic rebar3 projects (tests/fixtures/projects/*): each is
 * built twice (the bytes must be identical) and compared with a golden file
 * holding the file list, the metadata and both checksums.
 *
 * Regenerate the golden files with `HEXPUB_UPDATE_GOLDEN=1 deno test -A tests/tasks/build_fixtures_test.ts`,
 * then review the diff by hand against rebar3_hex's `src/rebar3_hex_build.erl`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoWhich } from "../../src/deno_deps.ts";
import { ValidationError } from "../../src/errors.ts";
import { prettyTerm } from "../../src/erlang/pretty_term.ts";
import { readTerms } from "../../src/erlang/read_terms.ts";
import { type Term, termEquals } from "../../src/erlang/term.ts";
import { build, type BuildInput, type BuildResult } from "../../src/tasks/build.ts";
import { type UnpackedPackage, unpackPackage } from "../../src/tarball/unpack_package.ts";
import {
  CASES,
  type FixtureCase,
  fixtureDir,
  goldenPath,
  prepareCase,
} from "../support/fixture_cases.ts";
import { git } from "../support/project.ts";
import { hostPath, testDeps } from "../support/test_deps.ts";

const UPDATE = Deno.env.get("HEXPUB_UPDATE_GOLDEN") === "1";
const escript = await denoWhich("escript", Deno.env.toObject());
const decoder = new TextDecoder();

/** What a golden file holds. */
interface Golden {
  files: string[];
  metadata: unknown;
  innerChecksum: string;
  outerChecksum: string;
}

function input(c: FixtureCase, output: string): BuildInput {
  return { target: "package", unpack: false, repo: "hexpm", strict: false, app: c.app, output };
}

/** A term with its strings spelled as lists of character codes, as Erlang holds them. */
function asCodes(term: Term): Term {
  switch (term.kind) {
    case "string":
      return {
        kind: "list",
        items: [...term.value].map((c) => ({ kind: "integer", value: BigInt(c.codePointAt(0)!) })),
      };
    case "tuple":
      return { kind: "tuple", items: term.items.map(asCodes) };
    case "list":
      return {
        kind: "list",
        items: term.items.map(asCodes),
        tail: term.tail && asCodes(term.tail),
      };
    default:
      return term;
  }
}

/** The `{application, …}` term with `vsn` set to `version`. */
function appTermWithVersion(term: Term, version: string): Term {
  assert.ok(term.kind === "tuple" && term.items[2].kind === "list");
  const props = term.items[2];
  const items = props.items.map((p): Term =>
    p.kind === "tuple" && p.items[0].kind === "atom" && p.items[0].value === "vsn"
      ? { kind: "tuple", items: [p.items[0], { kind: "string", value: version }] }
      : p
  );
  return { kind: "tuple", items: [term.items[0], term.items[1], { kind: "list", items }] };
}

function entry(un: UnpackedPackage, path: string) {
  return un.files.find((f) => f.path === path);
}

/** Per-case checks beyond the golden file, spelled out so a reviewer sees the rules. */
const EXTRA: Record<
  string,
  (ctx: { dir: string; result: BuildResult; un: UnpackedPackage }) => Promise<void> | void
> = {
  single_app: async ({ dir, result, un }) => {
    // Guard: the excluded files must really be in the fixture (a global gitignore could drop them).
    for (const p of ["c_src/single_app_nif.o", "src/single_app.erl~", "Makefile", "test", "doc"]) {
      assert.ok(await Deno.lstat(join(dir, p)), `fixture holds ${p}`);
    }
    const files = result.package!.files;
    for (const p of ["c_src/single_app_nif.o", "src/single_app.erl~", "Makefile", "test", "doc"]) {
      assert.ok(!files.includes(p), `${p} is not packed`);
    }
    assert.deepEqual(result.package!.requirements, [
      { name: "cowboy", requirement: "2.9.0" },
      { name: "jsx", requirement: "~>3.1.0" },
    ]);
    assert.equal(entry(un, "priv/start.sh")?.mode, 0o755);
    assert.equal(entry(un, "priv/config.json")?.mode, 0o644);
    assert.equal(entry(un, "priv/static")?.kind, "dir", "an empty directory gets its own entry");
    assert.equal(entry(un, "priv/templates"), undefined, "a non-empty directory is implied");
    assert.ok(files.includes("priv/templates"), "…but listed in metadata files");
  },
  umbrella: ({ result }) => {
    const pkg = result.package!;
    assert.deepEqual(pkg.requirements, [
      { name: "cowboy", requirement: "~> 2.9" },
      { name: "recon", requirement: "~>2.5.3" },
    ]);
    assert.match(result.warnings[0].message, /jsx, telemetry/);
    assert.ok(!pkg.files.includes("LICENSE"), "the root LICENSE is not the app's");
    assert.ok(!pkg.files.includes("rebar.lock"), "the root lock is not the app's");
  },
  umbrella_beta: ({ result }) => {
    assert.deepEqual(result.package!.requirements, [{ name: "jsx", requirement: "~>3.1.0" }]);
    assert.match(result.warnings[0].message, /cowboy, recon, telemetry/);
    // Present although empty (hex_core reads it back as #{}); the JSON form of an empty list is [].
    assert.ok("links" in result.package!.metadata);
    assert.deepEqual(result.package!.links, []);
  },
  renamed_deps: ({ result }) => {
    assert.deepEqual(result.package!.metadata.requirements, {
      cowboy: { app: "cowboy", optional: false, requirement: "2.9.0" },
      jsx: { app: "my_jsx", optional: false, requirement: "~>3.1.0" },
      ranch: { app: "my_ranch", optional: false, requirement: "~>1.8.0" },
    });
  },
  symlinks: ({ result, un }) => {
    assert.deepEqual(
      un.files.filter((f) => f.kind === "symlink").map((f) => [f.path, f.target]),
      [["priv/current.txt", "data/v2.txt"], ["priv/latest", "data"]],
    );
    assert.ok(
      !result.package!.files.some((f) => f.startsWith("priv/latest/")),
      "a symlinked directory is not walked",
    );
  },
  files_override: ({ result }) => {
    const files = result.package!.files;
    for (
      const p of [
        "priv/keep.bak",
        "priv/native/prebuilt.so",
        "priv/schema.sql",
        "guides",
        "guides/getting_started.md",
      ]
    ) assert.ok(files.includes(p), `${p} is packed`);
    for (
      const p of [
        "CHANGELOG.md",
        "rebar.lock",
        "test",
        "priv/tmp",
        "priv/tmp/cache.txt",
        "priv/secret.key",
        "priv/secrets",
        "priv/secrets/token.txt",
        "priv/old.bak",
        "priv/native/other.so",
        "src/overrides.erl.bak",
      ]
    ) assert.ok(!files.includes(p), `${p} is not packed`);
  },
  unicode: ({ result }) => {
    const pkg = result.package!;
    assert.equal(pkg.name, "cafe_unicode");
    assert.equal(pkg.app, "cafe");
    assert.equal(pkg.description, "Café ☕ — ünïcødé 🌈");
    assert.ok(pkg.files.includes("priv/menü-café.txt"));
  },
};

for (const c of CASES) {
  // Without escript a case that needs it is skipped, visibly, unless interop is required (CI).
  const skip = c.needsEscript && !escript && !Deno.env.get("HEXPUB_REQUIRE_INTEROP");
  Deno.test({
    name: `build ${c.name}: ${c.proves}${skip ? " (skipped: escript not on PATH)" : ""}`,
    ignore: skip,
    fn: async () => {
      const dir = await prepareCase(c);
      const out = await Deno.makeTempDir({ prefix: "hexpub-out-" });
      try {
        const appDir = join(dir, c.appDir ?? ".");
        const appSrcPath = join(appDir, "src", `${c.appName}.app.src`);
        const originalAppSrc = await Deno.readTextFile(appSrcPath);

        const deps = testDeps(dir, { env: hostPath() });
        const result = await build(deps, input(c, join(out, "first.tar")));
        const again = await build(
          testDeps(dir, { env: hostPath() }),
          input(c, join(out, "second.tar")),
        );
        const bytes = await Deno.readFile(join(out, "first.tar"));
        assert.deepEqual(await Deno.readFile(join(out, "second.tar")), bytes, "reproducible");
        assert.deepEqual(again.package, { ...result.package, path: join(out, "second.tar") });

        const pkg = result.package!;
        assert.equal(pkg.version, c.version);
        assert.equal(pkg.size, bytes.length);
        assert.deepEqual(result.warnings.map((w) => w.field), c.warnings ?? []);
        assert.equal(deps.stderr.length, result.warnings.length, "each warning printed once");
        assert.equal(
          await Deno.readTextFile(appSrcPath),
          originalAppSrc,
          "the app.src on disk is untouched",
        );

        const golden: Golden = {
          files: pkg.files,
          metadata: pkg.metadata,
          innerChecksum: pkg.innerChecksum,
          outerChecksum: pkg.outerChecksum,
        };
        if (UPDATE) {
          await Deno.mkdir(join(goldenPath(c.name), ".."), { recursive: true });
          await Deno.writeTextFile(goldenPath(c.name), JSON.stringify(golden, null, 2) + "\n");
        } else {
          const want = JSON.parse(await Deno.readTextFile(goldenPath(c.name))) as Golden;
          assert.deepEqual(
            golden,
            want,
            `matches ${goldenPath(c.name)} (HEXPUB_UPDATE_GOLDEN=1 rewrites it)`,
          );
        }

        // What a Hex client unpacks: the same checksums and files, and the app.src with only vsn set.
        const un = await unpackPackage(bytes);
        assert.equal(un.innerChecksum, pkg.innerChecksum);
        assert.equal(un.outerChecksum, pkg.outerChecksum);
        for (const f of un.files) {
          assert.ok(pkg.files.includes(f.path), `${f.path} is listed in files`);
        }
        const packedFile = entry(un, `src/${c.appName}.app.src`);
        assert.ok(packedFile?.data, "the app.src is packed");
        const packed = decoder.decode(packedFile.data);
        const [packedTerm] = readTerms(packed, "packed app.src");
        const [originalTerm] = readTerms(originalAppSrc, "original app.src");
        // rebar3_hex packs the plain .app.src's term (even beside an .app.src.script)
        // with vsn set, printed anew as io_lib:format("~tp.~n"): comments and layout go.
        const expectedTerm = appTermWithVersion(originalTerm, c.version);
        assert.ok(termEquals(asCodes(packedTerm), asCodes(expectedTerm)), packed);
        assert.equal(packed, `${prettyTerm(expectedTerm, { encoding: "unicode" })}.\n`);
        assert.ok(!packed.includes("%"), packed);

        await EXTRA[c.name]?.({ dir, result, un });
      } finally {
        await Deno.remove(dir, { recursive: true });
        await Deno.remove(out, { recursive: true });
      }
    },
  });
}

Deno.test("build vsn_git: a commit after the tag gives TAG+build.N.refSHORT, which validation refuses at the vsn line", async () => {
  const c = CASES.find((x) => x.name === "vsn_git")!;
  const dir = await prepareCase(c);
  try {
    await Deno.writeTextFile(join(dir, "README.md"), "\nOne more line.\n", { append: true });
    await git(dir, "commit", "-q", "-a", "-m", "After the release");
    const short = (await git(dir, "rev-parse", "--short", "HEAD")).trim();
    const caught = await build(testDeps(dir), input(c, join(dir, "out.tar"))).then(
      () => assert.fail("the untagged build must fail"),
      (e: unknown) => e,
    );
    assert.ok(caught instanceof ValidationError);
    const errors = caught.problems.filter((p) => p.level === "error");
    assert.deepEqual(errors.map((p) => p.field), ["version"]);
    // rebar3 counts every commit (`git rev-list --count HEAD`) when HEAD is not tagged: 2 here.
    assert.ok(
      errors[0].message.includes(`"1.4.0+build.2.ref${short}"`),
      errors[0].message,
    );
    const vsnLine =
      (await Deno.readTextFile(join(fixtureDir("projects", "vsn_git"), "src/gitver.app.src")))
        .split("\n").findIndex((l) => l.includes("{vsn, git}")) + 1;
    assert.deepEqual(
      { file: errors[0].where?.file, line: errors[0].where?.line },
      { file: join(dir, "src", "gitver.app.src"), line: vsnLine },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
