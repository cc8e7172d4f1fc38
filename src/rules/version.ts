/**
 * Strict SemVer 2.0 versions, read the way Elixir's `Version.parse/1` reads them
 * (hex.pm validates release versions with it).
 *
 * Rules, as in `lib/elixir/lib/version.ex` (Elixir, `Version.Parser`):
 * - exactly `MAJOR.MINOR.PATCH`, then an optional `-PRE` and an optional `+BUILD`;
 * - no `v` prefix, no surrounding or inner whitespace;
 * - numeric parts and numeric pre-release identifiers have no leading zeros and at
 *   most 14 digits (so every number here is an exact JavaScript integer);
 * - pre-release and build identifiers are non-empty and use only `[0-9A-Za-z-]`.
 *
 * Precedence follows SemVer: build metadata is ignored, a pre-release sorts before
 * its release, numeric identifiers sort before alphanumeric ones.
 *
 * npm `semver` is not used: it accepts `v1.2.3` and padded text, and drops build
 * metadata (npm semver's documented loose parsing).
 *
 * @module
 */

/** A parsed SemVer 2.0 version. */
export interface Version {
  /** MAJOR. */
  major: number;
  /** MINOR. */
  minor: number;
  /** PATCH. */
  patch: number;
  /** Pre-release identifiers; numeric ones as numbers (`1.0.0-rc.1` → `["rc", 1]`). */
  pre: (string | number)[];
  /** Build metadata identifiers (`1.0.0+exp.sha.5114f85` → `["exp", "sha", "5114f85"]`). */
  build: string[];
}

/** A version whose PATCH may be missing, as allowed after `~>` in a requirement. */
export interface VersionSyntax {
  /** MAJOR. */
  major: number;
  /** MINOR. */
  minor: number;
  /** PATCH, or `undefined` when the text has only `MAJOR.MINOR`. */
  patch: number | undefined;
  /** Pre-release identifiers. */
  pre: (string | number)[];
  /** Build metadata identifiers. */
  build: string[];
}

/** The outcome of {@link scanVersion}: the version, or why the text is not one. */
export type ScanResult =
  | { ok: true; version: VersionSyntax }
  | { ok: false; reason: string; missingParts?: boolean };

/** Elixir's `@max_numeric_component_digits`. */
const MAX_DIGITS = 14;
/** hexpm `Hexpm.Version`: the longest pre-release (joined with dots) a release may have. */
const MAX_PRERELEASE_LENGTH = 64;

const DIGITS = /^[0-9]+$/;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;
const PART_NAMES = ["MAJOR", "MINOR", "PATCH"] as const;

/**
 * Reads version text and says precisely what is wrong with it when it is not a
 * version. The building block of {@link parseVersion} and of requirement parsing.
 *
 * @param text The version text, exactly as written.
 * @param options `patchOptional`: accept `MAJOR.MINOR[-PRE][+BUILD]` (what Elixir allows after `~>`).
 * @returns `{ ok: true, version }`, or `{ ok: false, reason }` where `reason` is a phrase such
 *   as `MINOR "01" has a leading zero`; `missingParts` is set when only parts are missing.
 */
export function scanVersion(text: string, options: { patchOptional?: boolean } = {}): ScanResult {
  if (text === "") return { ok: false, reason: "it is empty" };
  if (/\s/.test(text)) return { ok: false, reason: "it contains whitespace" };
  if (/^[vV][0-9]/.test(text)) return { ok: false, reason: 'it has a "v" prefix' };

  // Split as Elixir does: build at the first "+", then pre-release at the first "-".
  const plus = text.indexOf("+");
  const withPre = plus < 0 ? text : text.slice(0, plus);
  const buildText = plus < 0 ? undefined : text.slice(plus + 1);
  const dash = withPre.indexOf("-");
  const core = dash < 0 ? withPre : withPre.slice(0, dash);
  const preText = dash < 0 ? undefined : withPre.slice(dash + 1);

  const parts = core.split(".");
  if (parts.length > 3) {
    return {
      ok: false,
      reason: `it has ${parts.length} numeric parts, expected MAJOR.MINOR.PATCH`,
    };
  }
  const numbers: number[] = [];
  for (const [index, part] of parts.entries()) {
    const problem = numberProblem(part);
    if (problem) return { ok: false, reason: `${PART_NAMES[index]} ${quote(part)} ${problem}` };
    numbers.push(Number(part));
  }
  if (numbers.length < (options.patchOptional ? 2 : 3)) {
    const expected = options.patchOptional ? "at least MAJOR.MINOR" : "MAJOR.MINOR.PATCH";
    return { ok: false, reason: `it needs ${expected}`, missingParts: true };
  }

  const pre: (string | number)[] = [];
  if (preText !== undefined) {
    for (const id of preText.split(".")) {
      if (id === "") return { ok: false, reason: "it has an empty pre-release identifier" };
      if (!IDENTIFIER.test(id)) {
        return {
          ok: false,
          reason: `pre-release identifier ${quote(id)} may only use letters, digits and "-"`,
        };
      }
      if (DIGITS.test(id)) {
        const problem = numberProblem(id);
        if (problem) return { ok: false, reason: `pre-release identifier ${quote(id)} ${problem}` };
        pre.push(Number(id));
      } else {
        pre.push(id);
      }
    }
  }

  const build: string[] = [];
  if (buildText !== undefined) {
    for (const id of buildText.split(".")) {
      if (id === "") return { ok: false, reason: "it has an empty build identifier" };
      if (!IDENTIFIER.test(id)) {
        return {
          ok: false,
          reason: `build identifier ${quote(id)} may only use letters, digits and "-"`,
        };
      }
      build.push(id);
    }
  }

  return {
    ok: true,
    version: { major: numbers[0], minor: numbers[1], patch: numbers[2], pre, build },
  };
}

function numberProblem(part: string): string | undefined {
  if (part === "") return "is empty";
  if (!DIGITS.test(part)) return "is not a number";
  if (part.length > 1 && part.startsWith("0")) return "has a leading zero";
  if (part.length > MAX_DIGITS) return `has more than ${MAX_DIGITS} digits`;
  return undefined;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

/**
 * Parses strict SemVer 2.0 text, as Elixir's `Version.parse/1` does.
 *
 * @example
 * ```ts
 * parseVersion("1.0.0-rc.1+build.5"); // { major: 1, minor: 0, patch: 0, pre: ["rc", 1], build: ["build", "5"] }
 * parseVersion("v1.2.3"); // undefined
 * ```
 *
 * @param text The version text; it must not be trimmed or prefixed.
 * @returns The version, or `undefined` when `text` is not strict SemVer.
 */
export function parseVersion(text: string): Version | undefined {
  const result = scanVersion(text);
  if (!result.ok) return undefined;
  const { major, minor, patch, pre, build } = result.version;
  return { major, minor, patch: patch ?? 0, pre, build };
}

/**
 * Says why `text` is not a valid version, for messages.
 *
 * @param text The version text.
 * @returns A phrase such as `PATCH "01" has a leading zero`, or `undefined` when `text` is valid.
 */
export function versionProblem(text: string): string | undefined {
  const result = scanVersion(text);
  return result.ok ? undefined : result.reason;
}

/**
 * Checks the extra rules hex.pm applies to a release version after `Version.parse`
 * (hexpm `lib/hexpm/ecto/version.ex`): no build metadata, pre-release at most 64
 * characters. (Numbers above 99,999,999,999,999 cannot occur: they have 15 digits.)
 *
 * @param version A parsed version.
 * @returns Why hex.pm would refuse it as a release version, or `undefined` when it is fine.
 */
export function releaseVersionProblem(version: Version): string | undefined {
  if (version.build.length > 0) {
    return `build metadata ${
      quote("+" + version.build.join("."))
    } is not allowed in a release version`;
  }
  const preLength = version.pre.join(".").length;
  if (preLength > MAX_PRERELEASE_LENGTH) {
    return `the pre-release is ${preLength} characters long: at most ${MAX_PRERELEASE_LENGTH} are allowed`;
  }
  return undefined;
}

/**
 * Writes a version back as text (`1.0.0-rc.1+build.5`).
 *
 * @param v The version.
 * @returns The SemVer text, including pre-release and build metadata when present.
 */
export function formatVersion(v: Version): string {
  let text = `${v.major}.${v.minor}.${v.patch}`;
  if (v.pre.length > 0) text += `-${v.pre.join(".")}`;
  if (v.build.length > 0) text += `+${v.build.join(".")}`;
  return text;
}

/**
 * Compares two versions by SemVer 2.0 precedence; build metadata is ignored.
 *
 * @param a The first version.
 * @param b The second version.
 * @returns `-1` when `a` sorts first, `1` when `b` does, `0` when they have equal precedence.
 */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  return compareParts(a.major, a.minor, a.patch, a.pre, b.major, b.minor, b.patch, b.pre);
}

function compareParts(
  major1: number,
  minor1: number,
  patch1: number,
  pre1: readonly (string | number)[],
  major2: number,
  minor2: number,
  patch2: number,
  pre2: readonly (string | number)[],
): -1 | 0 | 1 {
  if (major1 !== major2) return major1 < major2 ? -1 : 1;
  if (minor1 !== minor2) return minor1 < minor2 ? -1 : 1;
  if (patch1 !== patch2) return patch1 < patch2 ? -1 : 1;
  // A release outranks any of its pre-releases.
  if (pre1.length === 0 || pre2.length === 0) {
    if (pre1.length === pre2.length) return 0;
    return pre1.length === 0 ? 1 : -1;
  }
  const shared = Math.min(pre1.length, pre2.length);
  for (let i = 0; i < shared; i++) {
    const order = compareIdentifiers(pre1[i], pre2[i]);
    if (order !== 0) return order;
  }
  if (pre1.length === pre2.length) return 0;
  return pre1.length < pre2.length ? -1 : 1;
}

function compareIdentifiers(x: string | number, y: string | number): -1 | 0 | 1 {
  if (typeof x === "number" && typeof y === "number") {
    return x === y ? 0 : x < y ? -1 : 1;
  }
  // Numeric identifiers have lower precedence than alphanumeric ones.
  if (typeof x === "number") return -1;
  if (typeof y === "number") return 1;
  // ASCII order, as SemVer and Erlang's binary comparison both use.
  return x === y ? 0 : x < y ? -1 : 1;
}

/**
 * Tells whether a version is a pre-release (`1.0.0-rc.1`).
 *
 * @param v The version.
 * @returns `true` when it has pre-release identifiers.
 *
 * Exported for tests and the fake Hex server, which applies the same rule.
 */
export function isPrerelease(v: Version): boolean {
  return v.pre.length > 0;
}
