import { strict as assert } from "node:assert";
import { join } from "node:path";
import { type Problem, ProjectError, ValidationError } from "../../src/errors.ts";
import type { Output } from "../../src/ports.ts";
import {
  displayPath,
  displayProblem,
  relativeOutput,
  relativizeText,
} from "../../src/ui/display_path.ts";
import { formatError, formatProblem } from "../../src/ui/format_error.ts";

const CWD = join("/", "work", "proj");
const inCwd = (...parts: string[]) => join(CWD, ...parts);

Deno.test("displayPath() is relative inside the working directory, absolute elsewhere", () => {
  assert.equal(displayPath(CWD, inCwd("src", "a.app.src")), join("src", "a.app.src"));
  assert.equal(displayPath(CWD, inCwd("rebar.lock")), "rebar.lock");
  // The directory itself, a sibling sharing its prefix, a parent and a stranger stay absolute.
  assert.equal(displayPath(CWD, CWD), CWD);
  assert.equal(displayPath(CWD, join("/", "work", "projx", "f")), join("/", "work", "projx", "f"));
  assert.equal(displayPath(CWD, join("/", "work", "f")), join("/", "work", "f"));
  assert.equal(displayPath(CWD, join("/", "etc", "f")), join("/", "etc", "f"));
  // A name that is not a path is shown as it is.
  assert.equal(displayPath(CWD, "metadata.config"), "metadata.config");
});

Deno.test("relativizeText() shows the paths inside the working directory as displayPath does", () => {
  const file = inCwd("src", "a.app.src");
  const shown = join("src", "a.app.src");
  assert.equal(relativizeText(CWD, `cannot read ${file}`), `cannot read ${shown}`);
  assert.equal(relativizeText(CWD, `"${file}" is a directory`), `"${shown}" is a directory`);
  assert.equal(relativizeText(CWD, `${file}:3:9`), `${shown}:3:9`);
  assert.equal(
    relativizeText(CWD, `wrote ${inCwd("rebar.lock")} and ${file}`),
    `wrote rebar.lock and ${shown}`,
  );
  assert.equal(relativizeText(CWD, `open '${file}' (os error 2)`), `open '${shown}' (os error 2)`);
});

Deno.test("relativizeText() leaves what is not inside the working directory alone", () => {
  const cases = [
    // The directory itself (displayPath keeps it absolute too).
    `relative to the app directory (${CWD})`,
    `${CWD} is not inside a git work tree`,
    // A sibling whose name starts with the directory's.
    `cannot read ${join("/", "work", "projx", "a")}`,
    // The directory's path inside another path.
    `cannot read ${join("/", "tmp", "work", "proj", "a")}`,
    `see http://host${CWD}/a`,
    // A separator and then nothing, a blank or `..`.
    `${CWD}${"/"}`,
    `${CWD}/ and more`,
    `${CWD}/../other`,
    "no paths at all",
  ];
  for (const text of cases) assert.equal(relativizeText(CWD, text), text);
  // With / as the working directory every path would be inside it: nothing changes.
  assert.equal(relativizeText("/", "cannot read /etc/f"), "cannot read /etc/f");
});

Deno.test("displayProblem() relativizes the message, the hint and the file", () => {
  const problem: Problem = {
    level: "warning",
    field: "licenses",
    message: `no licenses in ${inCwd("src", "a.app.src")}`,
    hint: `add {licenses, ["MIT"]} to ${inCwd("src", "a.app.src")}`,
    where: { file: inCwd("src", "a.app.src"), line: 3 },
  };
  const shown = join("src", "a.app.src");
  assert.deepEqual(displayProblem(CWD, problem), {
    level: "warning",
    field: "licenses",
    message: `no licenses in ${shown}`,
    hint: `add {licenses, ["MIT"]} to ${shown}`,
    where: { file: shown, line: 3 },
  });
  // The finding itself is not changed.
  assert.equal(problem.where?.file, inCwd("src", "a.app.src"));
  assert.deepEqual(displayProblem(CWD, { level: "error", field: "f", message: "m" }), {
    level: "error",
    field: "f",
    message: "m",
  });
});

Deno.test("relativeOutput() relativizes stderr (warnings, progress, findings), not stdout", () => {
  const lines: string[] = [];
  const out: Output = {
    print: (l) => lines.push(`out ${l}`),
    warn: (l) => lines.push(`warn ${l}`),
    info: (l) => lines.push(`info ${l}`),
    problem: (p) => lines.push(formatProblem(p)),
  };
  const shown = relativeOutput(out, CWD);
  const file = inCwd("rebar.lock");
  shown.print(file);
  shown.warn(`warning: ${file}`);
  shown.info(`wrote ${file}`);
  shown.problem({ level: "warning", field: "f", message: `in ${file}`, where: { file, line: 1 } });
  assert.deepEqual(lines, [
    `out ${file}`,
    "warn warning: rebar.lock",
    "info wrote rebar.lock",
    "warning: rebar.lock:1: in rebar.lock",
  ]);
});

Deno.test("formatError() and formatProblem() with cwd show absolute paths relative to it", () => {
  const file = inCwd("src", "a.app.src");
  const shown = join("src", "a.app.src");
  const err = new ProjectError(`bad vsn in ${file}`, {
    where: { file, line: 3, column: 9 },
    hint: `fix ${file}`,
  });
  assert.equal(
    formatError(err, { cwd: CWD }).text,
    `error: bad vsn in ${shown}\n  --> ${shown}:3:9\n  hint: fix ${shown}`,
  );
  // Without cwd, as given.
  assert.equal(
    formatError(err).text,
    `error: bad vsn in ${file}\n  --> ${file}:3:9\n  hint: fix ${file}`,
  );
  const invalid = new ValidationError("the package is not valid: 1 problem", [
    { level: "error", field: "version", message: "bad", where: { file, line: 2 } },
  ]);
  assert.equal(
    formatError(invalid, { cwd: CWD }).text,
    `error: the package is not valid: 1 problem\n  error: ${shown}:2: bad`,
  );
  assert.equal(
    formatError(new Error(`cannot open ${file}`), { cwd: CWD }).text.split("\n")[0],
    `error: cannot open ${shown}`,
  );
  assert.equal(
    formatProblem({ level: "warning", field: "f", message: "m", where: { file } }, { cwd: CWD }),
    `warning: ${shown}: m`,
  );
});
