/**
 * What the user sees for each kind of error, as `formatError` renders it,
 * compared with `tests/__snapshots__/errors/` (`UPDATE_SNAPSHOTS=1` rewrites
 * them). Each snapshot starts with the exit code; escape characters (colour)
 * are written as `\e`.
 */
import { strict as assert } from "node:assert";
import { CommanderError } from "commander";
import {
  AuthError,
  CancelledError,
  DeclinedError,
  HexpubError,
  ProjectError,
  TarballError,
  TermSyntaxError,
  UsageError,
  ValidationError,
} from "../../src/errors.ts";
import { formatError, formatProblem } from "../../src/ui/format_error.ts";
import { assertNoStaleSnapshots, assertSnapshot } from "../support/snapshot.ts";

/** An error whose stack is fixed text, so that the debug rendering is stable. */
function withStack<E extends Error>(err: E, stack: string): E {
  Object.defineProperty(err, "stack", { value: stack });
  return err;
}

const problems = [
  {
    level: "error" as const,
    field: "version",
    message: 'version "1.0" is not a semantic version',
    hint: "Use MAJOR.MINOR.PATCH, e.g. 1.0.0",
    where: { file: "src/demo.app.src", line: 3, column: 12 },
  },
  {
    level: "warning" as const,
    field: "licenses",
    message: 'licence "Apache 2.0" is not an SPDX identifier',
    hint: "Use Apache-2.0",
    where: { file: "src/demo.app.src", line: 5 },
    refusedBy: "hexpm",
  },
  { level: "warning" as const, field: "links", message: "no links given" },
];

/** Every case: a name, what is thrown, and the options. */
const CASES: { name: string; err: unknown; options?: { debug?: boolean; color?: boolean } }[] = [
  { name: "HexpubError", err: new HexpubError("something went wrong") },
  {
    name: "UsageError",
    err: new UsageError('unknown build target "tarball"', {
      hint: "Use one of: package, docs, all",
    }),
  },
  {
    name: "AuthError",
    err: new AuthError("hexpm refused the API key (401 invalid API key)", {
      hint: "Run `hexpub user auth` again, or set HEX_API_KEY",
    }),
  },
  { name: "DeclinedError", err: new DeclinedError() },
  { name: "CancelledError", err: new CancelledError() },
  {
    name: "ProjectError",
    err: new ProjectError("no .app.src for application demo", {
      hint: "Pass --app NAME",
      where: { file: "rebar.config", line: 7 },
    }),
  },
  {
    name: "TermSyntaxError",
    err: new TermSyntaxError("unexpected end of input, expected '.'", {
      where: { file: "rebar.config", line: 2, column: 14 },
    }),
  },
  {
    name: "ValidationError",
    err: new ValidationError("demo 1.0 is not a valid package", problems, {
      hint: "Fix the errors above, then build again",
    }),
  },
  {
    name: "ValidationError colour",
    err: new ValidationError("demo 1.0 is not a valid package", problems),
    options: { color: true },
  },
  {
    name: "TarballError",
    err: new TarballError("too_big", "the package tarball is 9.0 MB, over hex.pm's 8 MB", {
      hint: "Exclude large files with exclude_files in rebar.config",
    }),
  },
  {
    name: "CommanderError usage",
    err: new CommanderError(1, "commander.unknownOption", "error: unknown option '--nope'"),
  },
  {
    name: "CommanderError help",
    err: new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"),
  },
  {
    name: "PermissionDenied",
    err: new Deno.errors.PermissionDenied(
      'Requires read access to "/etc/hexpub", run again with the --allow-read flag',
    ),
  },
  {
    name: "NotCapable",
    err: new Deno.errors.NotCapable(
      'Requires write access to "/etc/hexpub", run again with the --allow-write flag',
    ),
  },
  {
    name: "OS PermissionDenied",
    err: new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/srv/x.tar'"),
  },
  {
    name: "OS NotFound",
    err: new Deno.errors.NotFound("No such file or directory (os error 2): readfile '/a/b'"),
  },
  {
    name: "OS rename",
    err: Object.assign(
      new Error("Invalid cross-device link (os error 18): rename '/a/b' -> '/c/d'"),
      { code: "EXDEV" },
    ),
  },
  { name: "OS AddrInUse", err: new Deno.errors.AddrInUse("Address already in use (os error 98)") },
  { name: "unexpected Error", err: new TypeError("cannot read properties of undefined") },
  {
    name: "unexpected Error debug",
    err: withStack(
      new TypeError("cannot read properties of undefined"),
      "TypeError: cannot read properties of undefined\n    at demo (file:///demo.ts:1:1)",
    ),
    options: { debug: true },
  },
  { name: "thrown string", err: "a plain string" },
  {
    name: "control characters and URL credentials",
    err: new UsageError("bad\x1b[31m name\x07 at https://user:s3cret@repo.example/x", {
      hint: "see\rhttps://token@example.test/docs",
    }),
  },
];

for (const c of CASES) {
  Deno.test(`formatError renders ${c.name} as its snapshot`, async () => {
    const { text, code } = formatError(c.err, c.options);
    // The colour case must have colour and nothing else may.
    assert.equal(text.includes("\x1b"), c.options?.color === true);
    await assertSnapshot("errors", c.name, `exit ${code}\n${text.replaceAll("\x1b", "\\e")}`);
  });
}

Deno.test("formatProblem renders each finding as its snapshot", async () => {
  const text = problems.map((p) => formatProblem(p, { indent: "  " })).join("\n");
  await assertSnapshot("errors", "formatProblem", text);
});

Deno.test("every error snapshot belongs to a case", async () => {
  await assertNoStaleSnapshots("errors", [...CASES.map((c) => c.name), "formatProblem"]);
});
