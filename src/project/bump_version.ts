/**
 * The next version `hexpub cut` releases: a SemVer increment of the current
 * one, or an explicit version given with `-i/--increment VERSION`.
 *
 * Increments follow SemVer precedence: the result is the smallest release of
 * the requested kind that is greater than the current version. For a release
 * that is the usual bump (`1.2.3` → patch `1.2.4`, minor `1.3.0`, major
 * `2.0.0`). A pre-release already sorts before its release (SemVer §11), so
 * bumping it releases it when that release is of the requested kind:
 *
 * | current       | patch   | minor   | major   |
 * |---------------|---------|---------|---------|
 * | `1.3.0-rc.1`  | `1.3.0` | `1.3.0` | `2.0.0` |
 * | `1.2.3-rc.1`  | `1.2.3` | `1.3.0` | `2.0.0` |
 * | `2.0.0-rc.1`  | `2.0.0` | `2.0.0` | `2.0.0` |
 *
 * This is how npm `semver inc` and Cargo's `cargo set-version --bump` treat
 * pre-releases; Elixir's `Version` has no bump, and rebar3_hex's
 * (`src/rebar3_hex_version.erl`) skips the pending release
 * (`1.3.0-rc.1` patch → `1.3.1`), which is never what a release candidate
 * means. Build metadata is always dropped: hex.pm refuses it in a release.
 *
 * @module
 */
import { ProjectError, UsageError } from "../errors.ts";
import {
  compareVersions,
  formatVersion,
  parseVersion,
  releaseVersionProblem,
  type Version,
  versionProblem,
} from "../rules/version.ts";

/** The named increments `-i/--increment` accepts besides an explicit version. */
export const INCREMENTS = ["patch", "minor", "major"] as const;

/** A named increment. */
export type Increment = typeof INCREMENTS[number];

const FLAG = "-i/--increment";
const USAGE_HINT = `Pass ${FLAG} patch, minor, major or an explicit version such as 1.4.0`;

/**
 * Increments a parsed version by SemVer precedence (see the module notes).
 *
 * @param v The current version.
 * @param kind Which part to increment.
 * @returns The smallest release of that kind above `v`, without pre-release or build.
 */
function incrementVersion(v: Version, kind: Increment): Version {
  const pre = v.pre.length > 0;
  switch (kind) {
    case "patch":
      return {
        major: v.major,
        minor: v.minor,
        patch: pre ? v.patch : v.patch + 1,
        pre: [],
        build: [],
      };
    case "minor":
      return pre && v.patch === 0
        ? { major: v.major, minor: v.minor, patch: 0, pre: [], build: [] }
        : { major: v.major, minor: v.minor + 1, patch: 0, pre: [], build: [] };
    case "major":
      return pre && v.minor === 0 && v.patch === 0
        ? { major: v.major, minor: 0, patch: 0, pre: [], build: [] }
        : { major: v.major + 1, minor: 0, patch: 0, pre: [], build: [] };
  }
}

/**
 * The version to release after `current`.
 *
 * @example
 * ```ts
 * nextVersion("1.2.3", "minor"); // "1.3.0"
 * nextVersion("1.3.0-rc.1", "patch"); // "1.3.0"
 * nextVersion("1.2.3+build.4.refabc", "patch"); // "1.2.4"
 * nextVersion("1.2.3", "2.0.0-rc.1"); // "2.0.0-rc.1"
 * ```
 *
 * @param current The current version (build metadata, as `{vsn, git}` produces, is ignored).
 * @param increment `major`, `minor`, `patch`, or an explicit SemVer version.
 * @param label What errors call `increment` (`-i/--increment`; `the new version` at a prompt).
 * @returns The new version's text.
 * @throws {UsageError} When `increment` is neither a named increment nor a valid release
 *   version (build metadata, a `v` prefix), or is not greater than `current`.
 * @throws {ProjectError} When a named increment is asked of a `current` that is not SemVer
 *   (an explicit version is accepted then: it is how such a version gets fixed).
 */
export function nextVersion(
  current: string,
  increment: Increment | string,
  label: string = FLAG,
): string {
  const now = parseVersion(current);
  if ((INCREMENTS as readonly string[]).includes(increment)) {
    if (!now) {
      throw new ProjectError(
        `cannot ${increment}-bump the current version "${current}": ${versionProblem(current)}`,
        { hint: `Pass ${FLAG} with the exact version to release, such as 1.0.0` },
      );
    }
    return formatVersion(incrementVersion(now, increment as Increment));
  }
  const next = parseVersion(increment);
  if (!next) {
    const looksLikeVersion = /^[vV]?[0-9]/.test(increment);
    throw new UsageError(
      looksLikeVersion
        ? `${label} "${increment}" is not a valid version: ${versionProblem(increment)}`
        : `${label} must be patch, minor, major or a version: "${increment}" is none of them`,
      { hint: USAGE_HINT },
    );
  }
  const problem = releaseVersionProblem(next);
  if (problem) {
    throw new UsageError(`${label} "${increment}" cannot be released: ${problem}`, {
      hint: USAGE_HINT,
    });
  }
  if (now && compareVersions(next, now) <= 0) {
    throw new UsageError(
      `${label} "${increment}" is not greater than the current version ${current}`,
      { hint: `Pick a version above ${current}, or pass ${FLAG} patch, minor or major` },
    );
  }
  return formatVersion(next);
}
