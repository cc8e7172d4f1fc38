/**
 * `build()` refusing projects (tests/fixtures/invalid/*, plus the umbrella
 * fixture without --app): each case asserts the error class and a stable code
 * (TarballError `reason`, ValidationError `problems[].field`, `where`), never
 * the full message text. A few cases build fine and assert the warnings instead.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  HexpubError,
  ProjectError,
  TarballError,
  type TarballReason,
  TermSyntaxError,
  UsageError,
  ValidationError,
  type Where,
} from "../../src/errors.ts";
import { build, type BuildInput, type BuildResult } from "../../src/tasks/build.ts";
import { fixtureDir } from "../support/fixture_cases.ts";
import { copyFixture } from "../support/project.ts";
import { type TestDeps, testDeps } from "../support/test_deps.ts";

type ErrorClass =
  | typeof HexpubError
  | typeof ProjectError
  | typeof TermSyntaxError
  | typeof UsageError
  | typeof ValidationError
  | typeof TarballError;

interface Case {
  name: string;
  /** `invalid/<name>` (default) or `projects/<name>`. */
  fixture: [kind: "invalid" | "projects", name: string];
  setup?: (dir: string) => Promise<void>;
  /** Environment for the run (given the project directory). */
  env?: (dir: string) => Record<string, string>;
  input?: Partial<BuildInput>;
  terminal?: { answers: string[] };
  /** The build must fail like this… */
  error?: {
    class: ErrorClass;
    reason?: TarballReason;
    /** ValidationError: `level:field` of every problem. */
    problems?: string[];
    /**
     * Where the error (or its first problem) points, its file relative to the
     * project (the task names it by absolute path); only the keys given are compared.
     */
    where?: Partial<Where>;
    /** A stable fragment of the message or hint (names, not prose). */
    mentions?: RegExp;
  };
  /** …or succeed with exactly these warning fields. */
  ok?: { warnings: string[]; check?: (r: BuildResult, deps: TestDeps) => void };
}

const invalid = (name: string): Case["fixture"] => ["invalid", name];

const CASES: Case[] = [
  {
    // Without rebar.lock the build locks first; here hexpm's repository is a closed port.
    name: "no rebar.lock and no registry to lock from",
    fixture: invalid("no_lock"),
    env: (dir) => ({
      HEX_CDN: "http://127.0.0.1:9",
      HOME: dir,
      REBAR_GLOBAL_CONFIG_DIR: dir,
      HEXPUB_CONFIG_DIR: join(dir, ".hexpub"),
    }),
    error: {
      class: HexpubError,
      mentions:
        /cannot reach repository "hexpm" \(http:\/\/127\.0\.0\.1:9\) to resolve dependency jsx/,
    },
  },
  {
    name: "a git dependency at level 0",
    fixture: invalid("git_dep"),
    error: { class: ProjectError, mentions: /only Hex packages can be dependencies: meck$/m },
  },
  {
    name: "a syntax error in the .app.src (line and column)",
    fixture: invalid("app_src_syntax"),
    error: {
      class: TermSyntaxError,
      where: { file: join("src", "badsyntax.app.src"), line: 4, column: 5 },
    },
  },
  {
    name: "a syntax error in rebar.config",
    fixture: invalid("rebar_config_syntax"),
    error: { class: TermSyntaxError, where: { file: "rebar.config", line: 4, column: 1 } },
  },
  {
    name: 'a vsn that is not semver ("1.0")',
    fixture: invalid("bad_vsn"),
    error: {
      class: ValidationError,
      problems: ["error:version"],
      where: { file: join("src", "badvsn.app.src"), line: 3 },
    },
  },
  {
    name:
      "an invalid licence on hexpm is a warning saying hex.pm will refuse it; the tarball is written",
    fixture: invalid("bad_license"),
    ok: {
      warnings: ["licenses"],
      check: (r, deps) => {
        const [w] = r.warnings;
        assert.equal(w.refusedBy, "hexpm");
        assert.match(w.message, /^hex\.pm will refuse this release: invalid license type/);
        assert.match(w.hint!, /did you mean "Apache-2\.0"/);
        assert.equal(w.where?.line, 7);
        assert.match(deps.stderr.join("\n"), /warning: .*hex\.pm will refuse this release/);
      },
    },
  },
  {
    name: "…and an error under --strict",
    fixture: invalid("bad_license"),
    input: { strict: true },
    error: {
      class: ValidationError,
      problems: ["warning:licenses"],
      where: { file: join("src", "badlicense.app.src"), line: 7 },
    },
  },
  {
    name: "an invalid licence for an organisation repo is a warning it does not refuse",
    fixture: invalid("bad_license"),
    input: { repo: "hexpm:acme" },
    ok: {
      warnings: ["licenses"],
      check: (r) => {
        assert.equal(r.warnings[0].refusedBy, undefined);
        assert.match(r.warnings[0].message, /public hex\.pm would refuse it/);
      },
    },
  },
  {
    name: "a missing description on hexpm is a warning (hex.pm refuses it)",
    fixture: invalid("no_description"),
    ok: { warnings: ["description"], check: (r) => assert.equal(r.warnings[0].refusedBy, "hexpm") },
  },
  {
    name: "a missing description for an organisation repo is a warning",
    fixture: invalid("no_description"),
    input: { repo: "hexpm:acme" },
    ok: { warnings: ["description"] },
  },
  {
    name: "a link that is not http(s) is a warning (hex.pm refuses it)",
    fixture: invalid("bad_link"),
    ok: {
      warnings: ["links.Mirror"],
      check: (r) => {
        assert.equal(r.warnings[0].refusedBy, "hexpm");
        assert.equal(r.warnings[0].where?.line, 8);
      },
    },
  },
  {
    name: "an invalid requirement points at rebar.config's line",
    fixture: invalid("bad_requirement"),
    error: {
      class: ValidationError,
      problems: ["error:requirements.cowboy"],
      where: { file: "rebar.config", line: 4 },
    },
  },
  {
    name: "a != requirement",
    fixture: invalid("not_equal_requirement"),
    error: {
      class: ValidationError,
      problems: ["error:requirements.cowboy"],
      where: { file: "rebar.config", line: 4 },
    },
  },
  {
    name: "hex_metadata.config at the app root listed in files",
    fixture: invalid("reserved_file"),
    error: { class: TarballError, reason: "reserved_file" },
  },
  {
    name: "a symlink escaping the app (relative)",
    fixture: invalid("escaping_symlink"),
    setup: (dir) => Deno.symlink("../../outside.txt", join(dir, "priv", "escape.txt")),
    error: { class: TarballError, reason: "unsafe_symlink", mentions: /priv\/escape\.txt/ },
  },
  {
    name: "a symlink escaping the app (absolute)",
    fixture: invalid("escaping_symlink"),
    setup: async (dir) => {
      await Deno.writeTextFile(join(dir, "priv", "inside.txt"), "inside, but linked absolutely\n");
      await Deno.symlink(join(dir, "priv", "inside.txt"), join(dir, "priv", "absolute.txt"));
    },
    error: { class: TarballError, reason: "unsafe_symlink", mentions: /priv\/absolute\.txt/ },
  },
  {
    name: "a files entry outside the app (../outside)",
    fixture: invalid("files_outside"),
    error: { class: ProjectError, where: { file: join("src", "outside.app.src"), line: 9 } },
  },
  {
    name: "an umbrella without --app and no terminal lists the apps",
    fixture: ["projects", "umbrella"],
    error: { class: UsageError, mentions: /alpha, beta/ },
  },
  {
    name: "an umbrella without --app on a terminal asks which app",
    fixture: ["projects", "umbrella"],
    terminal: { answers: ["beta"] },
    ok: {
      warnings: ["requirements"],
      check: (r, deps) => {
        assert.equal(r.package?.app, "beta");
        assert.equal(deps.asked.length, 1);
      },
    },
  },
  {
    name: "--app naming no app of the project",
    fixture: ["projects", "umbrella"],
    input: { app: "nope" },
    error: { class: UsageError, mentions: /nope[\s\S]*alpha, beta/ },
  },
  {
    name: "missing licences are a warning…",
    fixture: invalid("no_licenses"),
    ok: { warnings: ["licenses"] },
  },
  {
    name: "…and an error under --strict",
    fixture: invalid("no_licenses"),
    input: { strict: true },
    error: {
      class: ValidationError,
      problems: ["warning:licenses"],
      where: { file: join("src", "nolicense.app.src") },
    },
  },
  {
    name: "a project with no app at all",
    fixture: invalid("no_app"),
    error: { class: ProjectError },
  },
];

function pick(where: Where | undefined, keys: Partial<Where>): Partial<Where> {
  const out: Partial<Where> = {};
  for (const k of Object.keys(keys) as (keyof Where)[]) {
    if (where?.[k] !== undefined) (out as Record<string, unknown>)[k] = where[k];
  }
  return out;
}

for (const c of CASES) {
  Deno.test(`build refuses or warns: ${c.name}`, async () => {
    const dir = await copyFixture(fixtureDir(c.fixture[0], c.fixture[1]));
    try {
      await c.setup?.(dir);
      const deps = testDeps(dir, {
        ...(c.terminal ? { isTerminal: true, answers: c.terminal.answers } : {}),
        env: c.env?.(dir),
      });
      // Retries of a failed registry read wait for nothing here.
      deps.sleep = () => Promise.resolve();
      const input: BuildInput = {
        target: "package",
        unpack: false,
        repo: "hexpm",
        strict: false,
        output: join(dir, "out", "pkg.tar"),
        ...c.input,
      };
      const outcome = await build(deps, input).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );

      if (c.ok) {
        assert.ok(
          "result" in outcome,
          `expected success, got ${(outcome as { error: unknown }).error}`,
        );
        assert.deepEqual(outcome.result.warnings.map((w) => w.field), c.ok.warnings);
        assert.ok(outcome.result.package, "the package was built");
        assert.ok((await Deno.stat(input.output!)).isFile, "the tarball was written");
        c.ok.check?.(outcome.result, deps);
        return;
      }

      const want = c.error!;
      assert.ok("error" in outcome, "expected the build to fail");
      const err = outcome.error;
      assert.ok(err instanceof want.class, `expected ${want.class.name}, got ${err}`);
      assert.ok(err instanceof HexpubError);
      assert.equal(err.name, want.class.name);
      if (want.reason) assert.equal((err as TarballError).reason, want.reason);
      let where = err.where;
      if (err instanceof ValidationError) {
        assert.deepEqual(err.problems.map((p) => `${p.level}:${p.field}`), want.problems);
        where = err.problems[0].where;
      } else {
        assert.equal(want.problems, undefined);
      }
      if (want.where) {
        const file = want.where.file === undefined ? {} : { file: join(dir, want.where.file) };
        assert.deepEqual(pick(where, want.where), { ...want.where, ...file });
      }
      if (want.mentions) assert.match(`${err.message}\n${err.hint ?? ""}`, want.mentions);
      assert.equal(err.exitCode, err instanceof UsageError ? 2 : 1);
      assert.ok(!(await Deno.lstat(input.output!).catch(() => undefined)), "nothing was written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
