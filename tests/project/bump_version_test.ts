import { strict as assert } from "node:assert";
import { ProjectError, UsageError } from "../../src/errors.ts";
import { nextVersion } from "../../src/project/bump_version.ts";

Deno.test("nextVersion() bumps a release: patch, minor with patch 0, major with 0.0", () => {
  assert.equal(nextVersion("1.2.3", "patch"), "1.2.4");
  assert.equal(nextVersion("1.2.3", "minor"), "1.3.0");
  assert.equal(nextVersion("1.2.3", "major"), "2.0.0");
  assert.equal(nextVersion("0.0.0", "patch"), "0.0.1");
  assert.equal(nextVersion("0.9.9", "minor"), "0.10.0");
});

Deno.test("nextVersion() releases a pre-release when the release is of the asked kind (SemVer)", () => {
  const table: [string, string, string, string][] = [
    // current        patch     minor     major
    ["1.3.0-rc.1", "1.3.0", "1.3.0", "2.0.0"],
    ["1.2.3-rc.1", "1.2.3", "1.3.0", "2.0.0"],
    ["2.0.0-rc.1", "2.0.0", "2.0.0", "2.0.0"],
    ["2.0.0-alpha", "2.0.0", "2.0.0", "2.0.0"],
    ["1.2.0-beta.2", "1.2.0", "1.2.0", "2.0.0"],
  ];
  for (const [current, patch, minor, major] of table) {
    assert.equal(nextVersion(current, "patch"), patch, `${current} patch`);
    assert.equal(nextVersion(current, "minor"), minor, `${current} minor`);
    assert.equal(nextVersion(current, "major"), major, `${current} major`);
  }
});

Deno.test("nextVersion() drops build metadata, as {vsn, git} versions carry", () => {
  assert.equal(nextVersion("1.2.3+build.4.refabc1234", "patch"), "1.2.4");
  assert.equal(nextVersion("0.0.0+build.7.ref0123456", "minor"), "0.1.0");
  assert.equal(nextVersion("1.3.0-rc.1+build.2.refabc", "patch"), "1.3.0");
});

Deno.test("nextVersion() takes an explicit version greater than the current one", () => {
  assert.equal(nextVersion("1.2.3", "1.2.4"), "1.2.4");
  assert.equal(nextVersion("1.2.3", "2.0.0-rc.1"), "2.0.0-rc.1");
  assert.equal(nextVersion("2.0.0-rc.1", "2.0.0-rc.2"), "2.0.0-rc.2");
  assert.equal(nextVersion("2.0.0-rc.1", "2.0.0"), "2.0.0");
  // An unparseable current version can only be replaced by an explicit one.
  assert.equal(nextVersion("1.2", "1.3.0"), "1.3.0");
});

Deno.test("nextVersion() refuses an explicit version that is not greater, naming -i/--increment", () => {
  for (
    const [current, wanted] of [["1.2.3", "1.2.3"], ["1.2.3", "1.2.2"], ["1.2.3", "1.2.3-rc.1"], [
      "1.2.3+build.2.refabc",
      "1.2.3",
    ]]
  ) {
    assert.throws(
      () => nextVersion(current, wanted),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === 2 && /^-i\/--increment /.test(e.message) &&
        /not greater than the current version/.test(e.message),
      `${current} -> ${wanted}`,
    );
  }
});

Deno.test("nextVersion() refuses what is not a release version, saying why", () => {
  const cases: [string, RegExp][] = [
    ["mjor", /must be patch, minor, major or a version: "mjor"/],
    ["Major", /must be patch, minor, major or a version/],
    ["", /must be patch, minor, major or a version/],
    ["v1.3.0", /not a valid version: it has a "v" prefix/],
    ["1.3", /not a valid version: it needs MAJOR.MINOR.PATCH/],
    ["1.03.0", /leading zero/],
    ["1.3.0+build.1", /cannot be released: build metadata/],
  ];
  for (const [increment, message] of cases) {
    assert.throws(
      () => nextVersion("1.2.3", increment),
      (e: unknown) =>
        e instanceof UsageError && e.message.startsWith("-i/--increment") &&
        message.test(e.message) && /-i\/--increment/.test(e.hint ?? ""),
      increment,
    );
  }
});

Deno.test("nextVersion() names what the caller calls the increment", () => {
  assert.throws(
    () => nextVersion("1.2.3", "1.0.0", "the new version"),
    (e: unknown) => e instanceof UsageError && e.message.startsWith('the new version "1.0.0"'),
  );
});

Deno.test("nextVersion() cannot bump a current version that is not SemVer", () => {
  assert.throws(
    () => nextVersion("1.2", "patch"),
    (e: unknown) =>
      e instanceof ProjectError && /cannot patch-bump the current version "1.2"/.test(e.message) &&
      /-i\/--increment/.test(e.hint ?? ""),
  );
});
