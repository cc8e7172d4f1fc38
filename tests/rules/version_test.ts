import assert from "node:assert/strict";
import {
  compareVersions,
  formatVersion,
  isPrerelease,
  parseVersion,
  releaseVersionProblem,
  scanVersion,
  type Version,
  versionProblem,
} from "../../src/rules/version.ts";

function v(text: string): Version {
  const parsed = parseVersion(text);
  assert.ok(parsed, `expected ${JSON.stringify(text)} to parse`);
  return parsed;
}

Deno.test("parseVersion() reads each part", () => {
  const cases: [string, Version][] = [
    ["0.0.0", { major: 0, minor: 0, patch: 0, pre: [], build: [] }],
    ["1.2.3", { major: 1, minor: 2, patch: 3, pre: [], build: [] }],
    ["10.20.30", { major: 10, minor: 20, patch: 30, pre: [], build: [] }],
    ["1.0.0-rc.1", { major: 1, minor: 0, patch: 0, pre: ["rc", 1], build: [] }],
    ["1.0.0-0", { major: 1, minor: 0, patch: 0, pre: [0], build: [] }],
    ["1.0.0-alpha-1", { major: 1, minor: 0, patch: 0, pre: ["alpha-1"], build: [] }],
    ["1.0.0-0a.-", { major: 1, minor: 0, patch: 0, pre: ["0a", "-"], build: [] }],
    ["1.0.0+001.sha-5", { major: 1, minor: 0, patch: 0, pre: [], build: ["001", "sha-5"] }],
    [
      "1.0.0-beta.11+exp.sha.5114f85",
      { major: 1, minor: 0, patch: 0, pre: ["beta", 11], build: ["exp", "sha", "5114f85"] },
    ],
    // Elixir splits at the first "-" only, so later hyphens belong to the identifier.
    ["1.0.0-x-y-z.--", { major: 1, minor: 0, patch: 0, pre: ["x-y-z", "--"], build: [] }],
    [
      "99999999999999.0.0",
      { major: 99999999999999, minor: 0, patch: 0, pre: [], build: [] },
    ],
    // A long all-letters identifier is fine; only numeric ones are capped at 14 digits.
    ["1.0.0-abcdefghijklmnopq", {
      major: 1,
      minor: 0,
      patch: 0,
      pre: ["abcdefghijklmnopq"],
      build: [],
    }],
  ];
  for (const [text, expected] of cases) {
    assert.deepEqual(parseVersion(text), expected, text);
  }
});

Deno.test("parseVersion() rejects what Elixir's Version.parse rejects", () => {
  const bad = [
    "",
    "v1.2.3",
    "V1.2.3",
    " 1.2.3",
    "1.2.3 ",
    "1.2.3\n",
    "1 .2.3",
    "1.2",
    "1",
    "1.2.3.4",
    "01.2.3",
    "1.02.3",
    "1.2.03",
    "00.0.0",
    "1.2.3-01",
    "1.2.3-rc.01",
    "1.2.3-",
    "1.2.3-rc..1",
    "1.2.3-rc.",
    "1.2.3+",
    "1.2.3+a..b",
    "1.2.3+a+b",
    "1.2.3-rc_1",
    "1.2.3+build_1",
    "1.2.3-é",
    "a.b.c",
    "1.2.x",
    "-1.2.3",
    "+1.2.3",
    "1..3",
    "1.2.-3",
    "=1.2.3",
    "~1.2.3",
    "123456789012345.0.0",
    "1.0.0-123456789012345",
  ];
  for (const text of bad) {
    assert.equal(parseVersion(text), undefined, JSON.stringify(text));
  }
});

Deno.test("versionProblem() says what is wrong", () => {
  const cases: [string, string | undefined][] = [
    ["1.2.3", undefined],
    ["", "it is empty"],
    ["v1.2.3", 'it has a "v" prefix'],
    [" 1.2.3", "it contains whitespace"],
    ["1.2", "it needs MAJOR.MINOR.PATCH"],
    ["1.2.3.4", "it has 4 numeric parts, expected MAJOR.MINOR.PATCH"],
    ["01.2.3", 'MAJOR "01" has a leading zero'],
    ["1.x.3", 'MINOR "x" is not a number'],
    ["1.2.", 'PATCH "" is empty'],
    ["1.2.3-01", 'pre-release identifier "01" has a leading zero'],
    ["1.2.3-", "it has an empty pre-release identifier"],
    ["1.2.3+", "it has an empty build identifier"],
    ["1.2.3-a_b", 'pre-release identifier "a_b" may only use letters, digits and "-"'],
    ["123456789012345.0.0", 'MAJOR "123456789012345" has more than 14 digits'],
  ];
  for (const [text, expected] of cases) {
    assert.equal(versionProblem(text), expected, text);
  }
});

Deno.test("scanVersion() accepts MAJOR.MINOR only when the patch is optional", () => {
  assert.deepEqual(scanVersion("2.1-dev", { patchOptional: true }), {
    ok: true,
    version: { major: 2, minor: 1, patch: undefined, pre: ["dev"], build: [] },
  });
  assert.deepEqual(scanVersion("2", { patchOptional: true }), {
    ok: false,
    reason: "it needs at least MAJOR.MINOR",
    missingParts: true,
  });
  assert.equal(scanVersion("2.1").ok, false);
});

Deno.test("formatVersion() round-trips parseVersion()", () => {
  for (
    const text of [
      "0.0.0",
      "1.2.3",
      "1.0.0-rc.1",
      "1.0.0-0.3.7",
      "1.0.0-x.7.z.92+a.1",
      "1.0.0+20130313144700",
    ]
  ) {
    assert.equal(formatVersion(v(text)), text);
  }
});

Deno.test("compareVersions() follows the SemVer precedence chain", () => {
  const chain = [
    "0.9.9",
    "1.0.0-0",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0",
    "10.0.0",
  ];
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) {
      const expected = i < j ? -1 : i > j ? 1 : 0;
      assert.equal(
        compareVersions(v(chain[i]), v(chain[j])),
        expected,
        `${chain[i]} vs ${chain[j]}`,
      );
    }
  }
});

Deno.test("compareVersions() ignores build metadata and orders ASCII", () => {
  const cases: [string, string, -1 | 0 | 1][] = [
    ["1.0.0+build.1", "1.0.0", 0],
    ["1.0.0+a", "1.0.0+b", 0],
    ["1.0.0-rc.1+x", "1.0.0-rc.1", 0],
    ["1.0.0-Beta", "1.0.0-alpha", -1], // uppercase sorts before lowercase
    ["1.0.0-alpha1", "1.0.0-alpha10", -1],
    ["1.0.0-beta", "1.0.0-rc1", -1],
    ["2.0.1-alpha1", "2.0.0", 1],
  ];
  for (const [a, b, expected] of cases) {
    assert.equal(compareVersions(v(a), v(b)), expected, `${a} vs ${b}`);
    assert.equal(compareVersions(v(b), v(a)), -expected || 0, `${b} vs ${a}`);
  }
});

Deno.test("isPrerelease() is true only with pre-release identifiers", () => {
  assert.equal(isPrerelease(v("1.0.0-rc.1")), true);
  assert.equal(isPrerelease(v("1.0.0-0")), true);
  assert.equal(isPrerelease(v("1.0.0")), false);
  assert.equal(isPrerelease(v("1.0.0+build")), false);
});

Deno.test("releaseVersionProblem() applies hex.pm's extra release rules", () => {
  assert.equal(releaseVersionProblem(v("1.0.0-rc.1")), undefined);
  assert.equal(
    releaseVersionProblem(v("1.0.0+build.1")),
    'build metadata "+build.1" is not allowed in a release version',
  );
  const longPre = "a".repeat(65);
  assert.equal(
    releaseVersionProblem(v(`1.0.0-${longPre}`)),
    "the pre-release is 65 characters long: at most 64 are allowed",
  );
  assert.equal(releaseVersionProblem(v(`1.0.0-${"a".repeat(64)}`)), undefined);
});
