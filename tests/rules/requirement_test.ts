import assert from "node:assert/strict";
import {
  hasNotEqual,
  matchesRequirement,
  parseRequirement,
  type Requirement,
} from "../../src/rules/requirement.ts";
import { parseVersion, type Version } from "../../src/rules/version.ts";

function v(text: string): Version {
  const parsed = parseVersion(text);
  assert.ok(parsed, `expected ${JSON.stringify(text)} to parse`);
  return parsed;
}

function shape(req: Requirement): string[][] {
  return req.or.map((group) => group.map((clause) => `${clause.op} ${clause.text}`));
}

Deno.test("parseRequirement() reads clauses into or-groups of and-clauses", () => {
  const cases: [string, string[][]][] = [
    ["~> 1.2", [["~> 1.2"]]],
    ["1.0.0", [["== 1.0.0"]]],
    ["== 1.0.0", [["== 1.0.0"]]],
    [">= 1.0.0 and < 2.0.0", [[">= 1.0.0", "< 2.0.0"]]],
    ["~> 1.0 or ~> 2.0", [["~> 1.0"], ["~> 2.0"]]],
    ["~> 1.2 or >= 2.0.0-rc.1 and < 3.0.0", [["~> 1.2"], [">= 2.0.0-rc.1", "< 3.0.0"]]],
    ["== 1.0.0 or == 2.0.0 and == 3.0.0", [["== 1.0.0"], ["== 2.0.0", "== 3.0.0"]]],
    ["1.0.0 and 2.0.0", [["== 1.0.0", "== 2.0.0"]]],
    // No space between operator and version: rebar3_hex writes "~>1.1.1".
    ["~>1.1.1", [["~> 1.1.1"]]],
    [">=1.0.0 and <2.0.0", [[">= 1.0.0", "< 2.0.0"]]],
    ["  ~>   1.0   or  ~> 2.0 ", [["~> 1.0"], ["~> 2.0"]]],
    ["> 1.0.0", [["> 1.0.0"]]],
    ["<= 1.0.0", [["<= 1.0.0"]]],
    ["!= 1.0.0", [["!= 1.0.0"]]],
    // Elixir's deprecated "!" means "!=".
    ["! 1.0.0", [["!= 1.0.0"]]],
    ["!1.0.0", [["!= 1.0.0"]]],
    ["~> 2.1-dev", [["~> 2.1-dev"]]],
    ["~> 2.1+build", [["~> 2.1+build"]]],
    ["== 1.0.0+build.1", [["== 1.0.0+build.1"]]],
  ];
  for (const [text, expected] of cases) {
    const req = parseRequirement(text);
    assert.equal(req.source, text);
    assert.deepEqual(shape(req), expected, text);
  }
});

Deno.test("parseRequirement() keeps the operand's parts, patch undefined after ~> X.Y", () => {
  const req = parseRequirement("~> 2.1-dev and >= 2.1.3-rc.1+b");
  assert.deepEqual(req.or[0][0].version, {
    major: 2,
    minor: 1,
    patch: undefined,
    pre: ["dev"],
    build: [],
  });
  assert.deepEqual(req.or[0][1].version, {
    major: 2,
    minor: 1,
    patch: 3,
    pre: ["rc", 1],
    build: ["b"],
  });
});

Deno.test("parseRequirement() names the bad part in its SyntaxError", () => {
  const cases: [string, string][] = [
    ["~> 1", '"~>" needs at least MAJOR.MINOR'],
    ["~>1", '"~>" needs at least MAJOR.MINOR'],
    [">= 1.0", '">=" needs MAJOR.MINOR.PATCH, got "1.0" (only "~>" accepts MAJOR.MINOR)'],
    ["== 1.0", '"==" needs MAJOR.MINOR.PATCH, got "1.0" (only "~>" accepts MAJOR.MINOR)'],
    ["1.0", 'version "1.0" needs MAJOR.MINOR.PATCH (or write "~> 1.0")'],
    ["", 'it is empty (use ">= 0.0.0" to accept any version)'],
    ["   ", 'it is empty (use ">= 0.0.0" to accept any version)'],
    ["== == 1.0.0", 'expected a version after "==", got "=="'],
    [">= >=1.0.0", 'expected a version after ">=", got ">="'],
    ["1.0.0 2.0.0", 'expected "and" or "or" before "2.0.0"'],
    ["~> 1.0 ~> 2.0", 'expected "and" or "or" before "~>"'],
    ["~> 1.0 and", 'it ends with "and"'],
    ["~> 1.0 or ", 'it ends with "or"'],
    ["and ~> 1.0", '"and" needs a requirement before it'],
    ["~> 1.0 or or ~> 2.0", '"or" needs a requirement before it'],
    ["~> and 1.0.0", '"~>" needs a version before "and"'],
    [">=", '">=" needs a version after it'],
    ["~> 1.0 and >=", '">=" needs a version after it'],
    ["~> v1.0", '"v1.0" is not a valid version: it has a "v" prefix'],
    ["~> 01.0", '"01.0" is not a valid version: MAJOR "01" has a leading zero'],
    ["~> 1.0.x", '"1.0.x" is not a valid version: PATCH "x" is not a number'],
    [
      "~> 1.0.0.0",
      '"1.0.0.0" is not a valid version: it has 4 numeric parts, expected MAJOR.MINOR.PATCH',
    ],
    [
      ">= 1.0.0-01",
      '"1.0.0-01" is not a valid version: pre-release identifier "01" has a leading zero',
    ],
    ["=> 1.0.0", '"=>" is not a valid version: MAJOR "=>" is not a number'],
    ["~>\t1.0", "separate its parts with plain spaces"],
    ["~> 1.0\n", "separate its parts with plain spaces"],
    ["~> 1.0 and>= 1.0.1", 'expected "and" or "or" before "and>="'],
    [">= 1.0.0 AND < 2.0.0", 'expected "and" or "or" before "AND"'],
    ["~> 1.0 && ~> 1.1", 'expected "and" or "or" before "&&"'],
    ["1.0.0 || 2.0.0", 'expected "and" or "or" before "||"'],
    [">= 1.0.0, < 2.0.0", '"1.0.0," is not a valid version: PATCH "0," is not a number'],
    ["^1.0.0", '"^1.0.0" is not a valid version: MAJOR "^1" is not a number'],
    ["~1.0.0", '"~1.0.0" is not a valid version: MAJOR "~1" is not a number'],
    ["*", '"*" is not a valid version: MAJOR "*" is not a number'],
  ];
  for (const [text, detail] of cases) {
    assert.throws(
      () => parseRequirement(text),
      (error: unknown) => {
        assert.ok(error instanceof SyntaxError, `${JSON.stringify(text)} throws a SyntaxError`);
        assert.equal(error.message, `invalid requirement ${JSON.stringify(text)}: ${detail}`);
        return true;
      },
    );
  }
});

// [requirement, version, matches without allowPre, matches with allowPre]
const MATCHES: [string, string, boolean, boolean][] = [
  // ~> X.Y: >= X.Y.0 and < (X+1).0.0-0. npm semver reads "~> 1.2" as < 1.3.0.
  ["~> 1.2", "1.2.0", true, true],
  ["~> 1.2", "1.2.9", true, true],
  ["~> 1.2", "1.9.0", true, true],
  ["~> 1.2", "1.1.9", false, false],
  ["~> 1.2", "2.0.0", false, false],
  ["~> 1.2", "2.0.0-0", false, false],
  ["~> 1.2", "2.0.0-rc.1", false, false],
  ["~> 1.2", "1.5.0-dev", false, true],
  ["~> 2.0", "2.1.0", true, true],
  ["~> 2.0", "3.0.0", false, false],
  ["~> 2.0", "2.99.99", true, true],
  ["~> 2.1", "2.0.9", false, false],
  ["~> 2.1", "2.9.0", true, true],
  // ~> X.Y.Z: >= X.Y.Z and < X.(Y+1).0-0.
  ["~> 2.0.0", "2.0.5", true, true],
  ["~> 2.0.0", "2.1.0", false, false],
  ["~> 2.1.2", "2.1.2", true, true],
  ["~> 2.1.2", "2.1.9", true, true],
  ["~> 2.1.2", "2.1.1", false, false],
  ["~> 2.1.2", "2.2.0", false, false],
  ["~> 2.1.2", "2.2.0-rc.0", false, false],
  ["~> 2.1.2", "2.1.6-dev", false, true],
  ["~> 2.1-dev", "2.2.0-dev", true, true],
  ["~> 2.1-dev", "2.1.0-dev", true, true],
  ["~> 2.1-dev", "3.0.0-dev", false, false],
  ["~> 2.1.2-dev", "2.1.6-dev", true, true],
  ["~> 2.1.2-dev", "2.1.2-dev", true, true],
  ["~> 2.1.2-dev", "2.1.2-alpha", false, false],
  ["~>1.1.1", "1.1.5", true, true],
  ["~>1.1.1", "1.2.0", false, false],
  // >, >=: pre-releases only when allowed or when the operand is one.
  [">= 2.1.0", "2.2.0", true, true],
  [">= 2.1.0", "2.2.0-dev", false, true],
  [">= 2.1.0-dev", "2.2.6-dev", true, true],
  [">= 2.1.0", "2.1.0", true, true],
  ["> 1.0.0", "1.0.1", true, true],
  ["> 1.0.0", "1.0.0", false, false],
  ["> 1.0.0", "1.0.1-rc.1", false, true],
  ["> 1.0.0-rc.1", "1.0.0-rc.2", true, true],
  // <, <=, ==, != compare by precedence only.
  ["< 2.2.0", "2.1.0-dev", true, true],
  ["< 2.0.0", "2.0.0-rc.1", true, true],
  ["< 2.0.0", "2.0.0", false, false],
  ["<= 1.0.0", "1.0.0", true, true],
  ["<= 1.0.0", "1.0.1", false, false],
  ["== 1.0.0", "1.0.0", true, true],
  ["== 1.0.0", "1.0.0+build.7", true, true],
  ["== 1.0.0+build.1", "1.0.0", true, true],
  ["== 1.0.0", "1.0.1", false, false],
  ["1.0.0", "1.0.0", true, true],
  ["== 1.0.0-rc.1", "1.0.0-rc.1", true, true],
  ["!= 1.0.0", "1.0.1", true, true],
  ["!= 1.0.0", "1.0.0", false, false],
  ["!= 1.0.0", "1.0.1-dev", true, true],
  // and / or, "and" binding tighter.
  [">= 1.0.0 and < 2.0.0", "1.5.0", true, true],
  [">= 1.0.0 and < 2.0.0", "2.0.0", false, false],
  [">= 1.0.0 and < 2.0.0", "0.9.0", false, false],
  ["~> 1.0 or ~> 3.0", "1.1.0", true, true],
  ["~> 1.0 or ~> 3.0", "2.0.0", false, false],
  ["~> 1.0 or ~> 3.0", "3.1.0", true, true],
  ["== 1.0.0 or == 2.0.0 and == 3.0.0", "1.0.0", true, true],
  ["== 1.0.0 or == 2.0.0 and == 3.0.0", "2.0.0", false, false],
  [">= 1.0.0 and < 1.5.0 or >= 2.0.0 and < 2.5.0", "1.7.0", false, false],
  [">= 1.0.0 and < 1.5.0 or >= 2.0.0 and < 2.5.0", "2.1.0", true, true],
  [">= 1.0.0-rc.0 and < 2.0.0", "1.5.0-dev", true, true],
  ["~> 1.0 or >= 2.0.0-rc", "1.5.0-dev", false, true],
];

Deno.test("matchesRequirement() follows Elixir's Version.match?", () => {
  for (const [reqText, versionText, strict, loose] of MATCHES) {
    const req = parseRequirement(reqText);
    const version = v(versionText);
    assert.equal(matchesRequirement(version, req), strict, `${versionText} vs ${reqText}`);
    assert.equal(
      matchesRequirement(version, req, { allowPre: false }),
      strict,
      `${versionText} vs ${reqText}, allowPre: false`,
    );
    assert.equal(
      matchesRequirement(version, req, { allowPre: true }),
      loose,
      `${versionText} vs ${reqText}, allowPre: true`,
    );
  }
});

Deno.test("hasNotEqual() finds != however it is spelled", () => {
  const cases: [string, boolean][] = [
    ["!= 1.0.0", true],
    ["!=1.0.0", true],
    ["~> 1.0 and != 1.0.3", true],
    ["~> 1.0 or != 2.0.0", true],
    ["! 1.0.0", true],
    ["~> 1.0", false],
    [">= 1.0.0 and < 2.0.0", false],
    ["== 1.0.0", false],
  ];
  for (const [text, expected] of cases) {
    assert.equal(hasNotEqual(parseRequirement(text)), expected, text);
  }
});
