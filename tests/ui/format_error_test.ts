import { strict as assert } from "node:assert";
import { CommanderError } from "commander";
import { HexpubError, ProjectError, UsageError, ValidationError } from "../../src/errors.ts";
import { errorDocument, EXIT, formatError, formatProblem } from "../../src/ui/format_error.ts";

Deno.test("formatError() maps error classes to documented exit codes", () => {
  assert.equal(formatError(new UsageError("x")).code, EXIT.usage);
  assert.equal(formatError(new ProjectError("x")).code, EXIT.failure);
  assert.equal(formatError(new Error("boom")).code, EXIT.failure);
  assert.equal(formatError(new CommanderError(1, "commander.unknownOption", "x")).code, EXIT.usage);
  assert.equal(formatError(new CommanderError(0, "commander.helpDisplayed", "")).code, EXIT.ok);
});

Deno.test("formatError() shows where and the hint, and a stack only with debug", () => {
  const e = new ProjectError("bad vsn", {
    where: { file: "src/a.app.src", line: 3, column: 9 },
    hint: "fix it",
  });
  assert.equal(formatError(e).text, "error: bad vsn\n  --> src/a.app.src:3:9\n  hint: fix it");
  const plain = formatError(new Error("boom")).text;
  assert.doesNotMatch(plain, /at .*\.ts/);
  assert.match(plain, /HEXPUB_DEBUG=1/);
  assert.match(formatError(new Error("boom"), { debug: true }).text, /format_error_test\.ts/);
});

const ESC = "\u001b";

Deno.test("formatError() colours labels only when asked", () => {
  const v = new ValidationError("not valid", [
    { level: "warning", field: "licenses", message: "missing", hint: "add one" },
  ]);
  assert.ok(!formatError(v).text.includes(ESC));
  const colored = formatError(v, { color: true }).text;
  assert.ok(colored.includes(`${ESC}[31merror${ESC}[39m: not valid`));
  assert.ok(colored.includes(`${ESC}[33mwarning${ESC}[39m: missing`));
  assert.equal(
    formatProblem({ level: "error", field: "f", message: "m", where: { file: "a", line: 2 } }),
    "error: a:2: m",
  );
});

Deno.test("formatError() maps a cancelled prompt to exit 130", async () => {
  const { CancelledError } = await import("../../src/errors.ts");
  assert.equal(formatError(new CancelledError("cancelled at the prompt")).code, EXIT.cancelled);
  assert.equal(EXIT.cancelled, 130);
});

Deno.test("escape sequences and control characters in messages and hints never reach the terminal", () => {
  const err = new HexpubError("server said \x1b[2Jcleared\x07", {
    hint: "see \x1b]8;;evil\x07 this\nnext",
  });
  const { text } = formatError(err, { color: false });
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  // Whole sequences go (no "[2J" left behind), as in rebar3's coloured output.
  assert.match(text, /server said cleared/);
  assert.match(text, /this\nnext/);
  const other = formatError(new Error("boom\x1b[31m"), { color: false }).text;
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(other, /\x1b/);
  const rebar3 = formatError(
    new HexpubError("edoc failed", { hint: "\x1b[0;31m===> Compiling docs\x1b[0m\nerror" }),
  ).text;
  assert.equal(rebar3, "error: edoc failed\n  hint: ===> Compiling docs\nerror");
});

Deno.test("credentials written into a URL are not shown in errors", () => {
  const err = new HexpubError(
    "GET http://u:TOPSECRET@127.0.0.1:18779/packages/foo failed",
    { hint: "check https://token@repo.example.com/x and http://127.0.0.1/a@b" },
  );
  const { text } = formatError(err, { color: false });
  assert.doesNotMatch(text, /TOPSECRET|token@/);
  assert.match(text, /GET http:\/\/127\.0\.0\.1:18779\/packages\/foo failed/);
  assert.match(text, /https:\/\/repo\.example\.com\/x/);
  assert.match(text, /http:\/\/127\.0\.0\.1\/a@b/);
});

Deno.test("each OS error class gets a plain message naming the path, a hint and exit 1", () => {
  const cases: [Error, RegExp][] = [
    [
      new Deno.errors.NotFound("No such file or directory (os error 2): readfile '/p/a'"),
      /^error: cannot read "\/p\/a": it does not exist\n {2}hint: Check the path/,
    ],
    [
      new Deno.errors.PermissionDenied("Permission denied (os error 13): writefile '/p/a'"),
      /^error: cannot write "\/p\/a": permission denied\n {2}hint: Check the permissions/,
    ],
    [
      new Deno.errors.NotADirectory("Not a directory (os error 20): mkdir '/p/f/d'"),
      /^error: cannot create the directory "\/p\/f\/d": a part of the path is a file/,
    ],
    [
      new Deno.errors.IsADirectory("Is a directory (os error 21): readfile '/p'"),
      /^error: cannot read "\/p": it is a directory\n {2}hint: Name a file/,
    ],
    [
      new Deno.errors.AlreadyExists("File exists (os error 17): symlink 'a' -> '/p/b'"),
      /^error: cannot create the link "a" to "\/p\/b": it already exists/,
    ],
    [
      Object.assign(new Error("No space left on device (os error 28): writefile '/p/a'"), {
        code: "ENOSPC",
      }),
      /^error: cannot write "\/p\/a": no space left on the device\n {2}hint: Free some space/,
    ],
    [
      new Deno.errors.AddrInUse("Address already in use (os error 98)"),
      /^error: the address is already in use\n {2}hint: Another program listens on that port/,
    ],
  ];
  for (const [err, pattern] of cases) {
    const { text, code } = formatError(err);
    assert.match(text, pattern);
    assert.equal(code, 1);
    assert.doesNotMatch(text, /report it|os error/);
  }
});

Deno.test("errorDocument() is the --json form: error, hint, where, problems, exitCode", () => {
  const cwd = "/home/u/proj";
  const v = new ValidationError("not valid", [
    {
      level: "error",
      field: "version",
      message: "bad \x1b[31mvsn",
      where: { file: `${cwd}/src/a.app.src`, line: 1 },
    },
  ], { hint: "fix /home/u/proj/src/a.app.src", where: { file: `${cwd}/rebar.config`, line: 2 } });
  const doc = errorDocument(v, { cwd });
  assert.deepEqual(doc, {
    error: "not valid",
    hint: "fix src/a.app.src",
    where: { file: "rebar.config", line: 2 },
    problems: [{
      level: "error",
      field: "version",
      message: "bad vsn",
      where: { file: "src/a.app.src", line: 1 },
    }],
    exitCode: 1,
  });
  // The keys in the documented order.
  assert.deepEqual(Object.keys(doc!), ["error", "hint", "where", "problems", "exitCode"]);
  assert.deepEqual(errorDocument(new UsageError("which?")), { error: "which?", exitCode: 2 });
  const boom = errorDocument(new Error("boom http://u:SECRET@h/x"))!;
  assert.equal(boom.error, "boom http://h/x");
  assert.match(boom.hint!, /HEXPUB_DEBUG=1/);
  assert.equal(boom.exitCode, 1);
});

Deno.test("errorDocument() of the parser's errors keeps commander's message; none for --help", () => {
  const unknown = new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'");
  assert.deepEqual(errorDocument(unknown), { error: "unknown option '--x'", exitCode: 2 });
  const group = new CommanderError(1, "commander.help", "(outputHelp)");
  assert.deepEqual(errorDocument(group), { error: "a subcommand is needed", exitCode: 2 });
  assert.equal(errorDocument(new CommanderError(0, "commander.helpDisplayed", "")), undefined);
  assert.equal(errorDocument(new CommanderError(0, "commander.version", "1.0.0")), undefined);
});
