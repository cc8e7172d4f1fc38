/**
 * Elixir `Version` requirements (`~> 1.2`, `>= 1.0.0 and < 2.0.0`, `~> 1.0 or ~> 2.0`),
 * the syntax of every dependency requirement hex.pm stores.
 *
 * Grammar and semantics follow Elixir's `Version.Parser` and
 * `Version.Requirement.match?/2` (`lib/elixir/lib/version.ex`):
 * - operators `==` `!=` `>` `>=` `<` `<=` `~>`; a bare version means `==`; Elixir's
 *   deprecated `!` is read as `!=`;
 * - spaces between an operator and its version are optional (`~>1.1.1`); clauses
 *   are joined by ` and ` / ` or ` (spaces around them required), `and` binding
 *   tighter than `or`;
 * - only `~>` accepts `MAJOR.MINOR`; every other operator needs `MAJOR.MINOR.PATCH`;
 *   any operand may carry a pre-release and build metadata (build is ignored);
 * - `~> X.Y` means `>= X.Y.0 and < (X+1).0.0-0`; `~> X.Y.Z` means
 *   `>= X.Y.Z and < X.(Y+1).0-0`: the upper bound never admits its own pre-releases.
 *
 * hex.pm also refuses requirements containing `!=` (hexpm `lib/hexpm/ecto/changeset.ex`);
 * see {@link hasNotEqual}.
 *
 * @module
 */

import { compareVersions, scanVersion, type Version, type VersionSyntax } from "./version.ts";

/** A comparison operator of a requirement clause. */
export type Operator = "==" | "!=" | ">" | ">=" | "<" | "<=" | "~>";

/** One `operator version` clause. */
export interface Clause {
  /** The operator; `==` when the text had a bare version, `!=` for Elixir's deprecated `!`. */
  op: Operator;
  /** The operand; `patch` is `undefined` only after `~>` (`~> 2.1`). */
  version: VersionSyntax;
  /** The operand as written (`2.1`). */
  text: string;
}

/** A parsed requirement: it matches when every clause of at least one group matches. */
export interface Requirement {
  /** The requirement text as given. */
  source: string;
  /** Groups separated by `or`; the clauses inside a group were joined by `and`. */
  or: Clause[][];
}

/** Options of {@link matchesRequirement}. */
export interface MatchOptions {
  /**
   * Let pre-release versions match `~>`, `>` and `>=` clauses whose own version is
   * not a pre-release. Defaults to `false`, which is what Hex resolves with (Elixir's
   * own `Version.match?/3` defaults to `true`).
   */
  allowPre?: boolean;
}

// Longest first, so that ">=" is not read as ">" followed by "=".
const OPERATORS: readonly [string, Operator][] = [
  [">=", ">="],
  ["<=", "<="],
  ["~>", "~>"],
  ["==", "=="],
  ["!=", "!="],
  [">", ">"],
  ["<", "<"],
  ["!", "!="],
];

function quote(text: string): string {
  return JSON.stringify(text);
}

function readOperator(piece: string): [spelled: string, op: Operator] | undefined {
  return OPERATORS.find(([spelled]) => piece.startsWith(spelled));
}

/**
 * Parses an Elixir version requirement.
 *
 * @example
 * ```ts
 * parseRequirement("~> 1.2 or >= 2.0.0-rc.1 and < 3.0.0");
 * // { source: "...", or: [[{ op: "~>", ... }], [{ op: ">=", ... }, { op: "<", ... }]] }
 * ```
 *
 * @param text The requirement text, as written in `rebar.config` or the metadata.
 * @returns The parsed requirement.
 * @throws {SyntaxError} When Elixir's `Version.parse_requirement/1` would refuse it; the
 *   message names the bad part, e.g. `invalid requirement "~> 1": "~>" needs at least MAJOR.MINOR`.
 */
export function parseRequirement(text: string): Requirement {
  const fail: (detail: string) => never = (detail) => {
    throw new SyntaxError(`invalid requirement ${quote(text)}: ${detail}`);
  };
  // Elixir separates tokens with plain spaces only; a tab ends up inside a version.
  if (/[^\S ]/.test(text)) fail("separate its parts with plain spaces");

  const pieces = text.split(" ").filter((piece) => piece !== "");
  if (pieces.length === 0) fail('it is empty (use ">= 0.0.0" to accept any version)');

  const groups: Clause[][] = [[]];
  let pending: string | undefined; // an operator written apart from its version
  let pendingOp: Operator = "==";
  let expectClause = true;

  for (const piece of pieces) {
    if (piece === "and" || piece === "or") {
      if (pending !== undefined) fail(`${quote(pending)} needs a version before ${quote(piece)}`);
      if (expectClause) fail(`${quote(piece)} needs a requirement before it`);
      if (piece === "or") groups.push([]);
      expectClause = true;
      continue;
    }
    if (!expectClause) fail(`expected "and" or "or" before ${quote(piece)}`);

    let spelled: string | undefined = pending;
    let op: Operator = pendingOp;
    let operand = piece;
    if (pending === undefined) {
      const found = readOperator(piece);
      if (found) {
        [spelled, op] = found;
        operand = piece.slice(spelled.length);
        if (operand === "") {
          pending = spelled;
          pendingOp = op;
          continue;
        }
      }
    }
    const nested = readOperator(operand);
    if (nested) {
      fail(`expected a version after ${quote(spelled ?? "")}, got ${quote(nested[0])}`);
    }

    const scanned = scanVersion(operand, { patchOptional: op === "~>" });
    if (!scanned.ok) {
      if (scanned.missingParts && op === "~>") fail(`"~>" needs at least MAJOR.MINOR`);
      if (scanned.missingParts && spelled !== undefined) {
        fail(
          `${quote(spelled)} needs MAJOR.MINOR.PATCH, got ${quote(operand)}` +
            ` (only "~>" accepts MAJOR.MINOR)`,
        );
      }
      if (scanned.missingParts) {
        fail(`version ${quote(operand)} needs MAJOR.MINOR.PATCH (or write "~> ${operand}")`);
      }
      fail(`${quote(operand)} is not a valid version: ${scanned.reason}`);
    } else {
      groups[groups.length - 1].push({ op, version: scanned.version, text: operand });
    }
    pending = undefined;
    pendingOp = "==";
    expectClause = false;
  }

  if (pending !== undefined) fail(`${quote(pending)} needs a version after it`);
  if (expectClause) fail(`it ends with ${quote(pieces[pieces.length - 1])}`);
  return { source: text, or: groups };
}

/**
 * Tells whether a version satisfies a requirement, with the semantics of Elixir's
 * `Version.match?/3`.
 *
 * Pre-releases: unless `allowPre` is set, a pre-release version matches a `~>`, `>`
 * or `>=` clause only when that clause's own version is a pre-release
 * (`2.1.6-dev` does not match `~> 2.1.2`, but matches `~> 2.1.2-dev`). `==`, `!=`,
 * `<` and `<=` compare by precedence only.
 *
 * @param v The version to test.
 * @param req A requirement from {@link parseRequirement}.
 * @param opts `allowPre` (default `false`, as in Hex).
 * @returns `true` when `v` satisfies `req`.
 */
export function matchesRequirement(v: Version, req: Requirement, opts: MatchOptions = {}): boolean {
  const allowPre = opts.allowPre ?? false;
  return req.or.some((group) => group.every((clause) => matchesClause(v, clause, allowPre)));
}

function matchesClause(v: Version, clause: Clause, allowPre: boolean): boolean {
  const { major, minor, patch, pre } = clause.version;
  const operand: Version = { major, minor, patch: patch ?? 0, pre, build: [] };
  const order = compareVersions(v, operand);
  const preAllowed = allowPre || pre.length > 0 || v.pre.length === 0;
  switch (clause.op) {
    case "==":
      return order === 0;
    case "!=":
      return order !== 0;
    case ">":
      return order > 0 && preAllowed;
    case ">=":
      return order >= 0 && preAllowed;
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case "~>":
      return order >= 0 && compareVersions(v, tildeUpperBound(clause.version)) < 0 && preAllowed;
  }
}

/**
 * The exclusive upper bound of `~> version`: `~> 2.0` stops before `3.0.0-0`,
 * `~> 2.1.2` before `2.2.0-0` (the `-0` keeps the bound's pre-releases out).
 */
function tildeUpperBound(version: VersionSyntax): Version {
  return version.patch === undefined
    ? { major: version.major + 1, minor: 0, patch: 0, pre: [0], build: [] }
    : { major: version.major, minor: version.minor + 1, patch: 0, pre: [0], build: [] };
}

/**
 * Tells whether a requirement uses `!=` (or Elixir's deprecated `!`). hex.pm
 * refuses such requirements: "!= is not allowed in requirements".
 *
 * @param req A parsed requirement.
 * @returns `true` when any clause uses the not-equal operator.
 */
export function hasNotEqual(req: Requirement): boolean {
  return req.or.some((group) => group.some((clause) => clause.op === "!="));
}
