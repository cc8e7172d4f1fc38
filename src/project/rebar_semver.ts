/**
 * Versions as rebar3 3.19 reads and compares them: erlware_commons'
 * `ec_semver` (parse, `gt`/`lt`/`eql`, the pessimistic `pes` behind `~>`, and
 * `format`), which is looser and sometimes surprising next to SemVer. These
 * rules decide which release `rebar3 lock` takes, so `hexpub lock` uses them
 * rather than hexpub's strict SemVer (`src/hex/version.ts`).
 *
 * Facts this module keeps (erlware_commons 1.5.0, bundled in rebar3 3.19:
 * `ec_semver.erl`, `ec_semver_parser.erl`):
 * - A version is 1 to 4 dot-separated parts, each digits (a number) or
 *   letters, digits and hyphens (text), with an optional leading `v`; then
 *   optional `-pre.release` and `+build` parts of letters, digits and
 *   hyphens. The first pre-release or build part stays text; later all-digit
 *   parts are numbers.
 * - Text that does not parse is kept whole as a one-part version, with no
 *   pre-release: it then compares after every numeric version.
 * - Comparison pads to four parts and compares Erlang terms: numbers before
 *   text, text byte by byte, lists element by element. A pre-release is below
 *   its release; build metadata is above the plain version.
 *
 * @module
 */

/** One part: a number (all digits) or text. */
export type Part = bigint | string;

/** A parsed version (`ec_semver:semver()`). */
export interface RebarSemver {
  /** 1 to 4 parts; one part is a bare major (or unparseable text), more are a tuple. */
  parts: Part[];
  pre: Part[];
  build: Part[];
}

const DIGITS = /^[0-9]+/;
// The compiled parser's alpha part (ec_semver_parser.erl) takes hyphens too;
// the .peg file beside it was not updated.
const ALNUM = /^[A-Za-z0-9-]+/;

/** Parses as `ec_semver:parse/1`: never fails, unparseable text is one text part. */
export function parseRebarVersion(text: string): RebarSemver {
  return parsePeg(text) ?? { parts: [text], pre: [], build: [] };
}

function parsePeg(s: string): RebarSemver | undefined {
  let i = 0;
  const numeric = (): bigint | undefined => {
    const m = DIGITS.exec(s.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return BigInt(m[0]);
  };
  const alpha = (): string | undefined => {
    const m = ALNUM.exec(s.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const versionPart = (): Part | undefined => numeric() ?? alpha();
  // ("v"? numeric_part / alpha_part): a PEG choice, committed once it matches.
  let first: Part | undefined;
  const start = i;
  if (s[i] === "v") i++;
  first = numeric();
  if (first === undefined) {
    i = start;
    first = alpha();
  }
  if (first === undefined) return undefined;
  const parts: Part[] = [first];
  for (let k = 0; k < 3; k++) {
    if (s[i] !== ".") break;
    const save = i;
    i++;
    const p = versionPart();
    if (p === undefined) {
      i = save;
      break;
    }
    parts.push(p);
  }
  const tagged = (mark: string): Part[] | undefined => {
    if (s[i] !== mark) return [];
    const save = i;
    i++;
    const head = alpha();
    if (head === undefined) {
      i = save;
      return [];
    }
    const out: Part[] = [head];
    while (s[i] === ".") {
      const at = i;
      i++;
      const p = alpha();
      if (p === undefined) {
        i = at;
        break;
      }
      // list_to_integer/1 reads a leading minus too.
      out.push(/^-?[0-9]+$/.test(p) ? BigInt(p) : p);
    }
    return out;
  };
  const pre = tagged("-")!;
  const build = tagged("+")!;
  return i === s.length ? { parts, pre, build } : undefined;
}

/** Writes a parsed version back as `ec_semver:format/1` does. */
export function formatRebarVersion(v: RebarSemver): string {
  const rest = (mark: string, ps: Part[]) =>
    ps.length === 0 ? "" : mark + ps.map((p) => p.toString()).join(".");
  return v.parts.map((p) => p.toString()).join(".") + rest("-", v.pre) + rest("+", v.build);
}

const utf8 = new TextEncoder();

/** Erlang term order of two parts: numbers before binaries, binaries by bytes. */
function comparePart(a: Part, b: Part): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "bigint") return -1;
  if (typeof b === "bigint") return 1;
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

function compareList(a: Part[], b: Part[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = comparePart(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** The four parts `ec_semver` compares (missing ones are 0). */
function normalized(v: RebarSemver): Part[] {
  return [...v.parts, 0n, 0n, 0n].slice(0, Math.max(4, v.parts.length));
}

/** `ec_semver:eql/2`. */
export function eql(a: RebarSemver, b: RebarSemver): boolean {
  return compareList(normalized(a), normalized(b)) === 0 && compareList(a.pre, b.pre) === 0 &&
    compareList(a.build, b.build) === 0;
}

/** `ec_semver:gt/2`: `a` is greater than `b`. */
export function gt(a: RebarSemver, b: RebarSemver): boolean {
  const mmp = compareList(normalized(a), normalized(b));
  if (mmp > 0) return true;
  if (mmp !== 0) return false;
  const preA = a.pre, preB = b.pre;
  if (preA.length === 0 && preB.length !== 0) return true;
  if (!(preB.length === 0 && preA.length !== 0) && compareList(preA, preB) > 0) return true;
  if (compareList(preA, preB) !== 0) return false;
  return (b.build.length === 0 && a.build.length !== 0) || compareList(a.build, b.build) > 0;
}

/** `ec_semver:lt/2`: `a` is less than `b`. */
export function lt(a: RebarSemver, b: RebarSemver): boolean {
  const mmp = compareList(normalized(a), normalized(b));
  if (mmp < 0) return true;
  if (mmp !== 0) return false;
  const preA = a.pre, preB = b.pre;
  if (preB.length === 0 && preA.length !== 0) return true;
  if (!(preA.length === 0 && preB.length !== 0) && compareList(preA, preB) < 0) return true;
  if (compareList(preA, preB) !== 0) return false;
  return (a.build.length === 0 && b.build.length !== 0) || compareList(a.build, b.build) < 0;
}

/** `ec_semver:gte/2`. */
export function gte(a: RebarSemver, b: RebarSemver): boolean {
  return gt(a, b) || eql(a, b);
}

/** `ec_semver:lte/2`. */
export function lte(a: RebarSemver, b: RebarSemver): boolean {
  return lt(a, b) || eql(a, b);
}

/**
 * `ec_semver:pes/2`, what `~>` means to rebar3: `~> 2.6` is `>= 2.6.0` and
 * `< 3.0.0`; `~> 2.6.5` is `>= 2.6.5` and `< 2.7.0`; a one-part or
 * non-numeric constraint is plain `>=`.
 */
export function pes(v: RebarSemver, c: RebarSemver): boolean {
  const ints = c.parts.every((p) => typeof p === "bigint") ? (c.parts as bigint[]) : undefined;
  const upper = (parts: bigint[]): RebarSemver => ({ parts, pre: [], build: [] });
  const low = { parts: c.parts, pre: c.pre, build: c.build };
  if (ints?.length === 2) {
    return gte(v, { ...low, parts: [ints[0], ints[1], 0n] }) &&
      lt(v, upper([ints[0] + 1n, 0n, 0n, 0n]));
  }
  if (ints?.length === 3) return gte(v, low) && lt(v, upper([ints[0], ints[1] + 1n, 0n, 0n]));
  if (ints?.length === 4) {
    return gte(v, low) && lt(v, upper([ints[0], ints[1], ints[2] + 1n, 0n]));
  }
  return gte(v, c);
}

/** Whether a version has neither pre-release nor build parts (rebar3's "stable"). */
export function isPlain(v: RebarSemver): boolean {
  return v.pre.length === 0 && v.build.length === 0;
}

/**
 * Erlang term order of two parsed versions, which is the order rebar3's package
 * table (an ordered ETS set) lists a package's versions in.
 */
export function compareTermOrder(a: RebarSemver, b: RebarSemver): number {
  // A bare major (one part) is a number or a binary; more parts are a tuple.
  // Term order: number < tuple < binary; tuples by size, then elements.
  const rank = (v: RebarSemver) => v.parts.length > 1 ? 1 : typeof v.parts[0] === "bigint" ? 0 : 2;
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1 && a.parts.length !== b.parts.length) return a.parts.length - b.parts.length;
  const mmp = compareList(a.parts, b.parts);
  if (mmp !== 0) return mmp;
  const pre = compareList(a.pre, b.pre);
  return pre !== 0 ? pre : compareList(a.build, b.build);
}

/** Whether two parsed versions are the same term (the same package table key). */
export function sameKey(a: RebarSemver, b: RebarSemver): boolean {
  return a.parts.length === b.parts.length && compareTermOrder(a, b) === 0;
}
