/**
 * Erlang's pretty printer, reproduced byte for byte: what `io_lib:format("~p", [T])`,
 * `io_lib:format("~tp", [T])` and `io_lib_pretty:print(T, Options)` return on
 * OTP 25 with the default printable range (`io:printable_range()` is `latin1`
 * unless the VM runs with `+pc unicode`; rebar3 does not).
 *
 * hex_core writes `metadata.config` with `io_lib_pretty:print/2` and rebar3_hex
 * packs the `.app.src` as `~tp` output, so a tarball is only byte-identical to
 * theirs if the same terms wrap at the same places.
 *
 * The layout rules follow OTP stdlib `io_lib_pretty.erl` (a term that fits on
 * the rest of the line is written flat; otherwise lists and tuples break after
 * a comma and indent under their first element, a tuple tagged by an atom
 * keeps its tag first, map values go on their own line under `=>`, long
 * binaries wrap between bytes), and the atomic forms follow OTP stdlib
 * `io_lib.erl` and `io_lib_format.erl`:
 *
 * - a list of printable Latin-1 characters prints as a string, whatever the
 *   encoding (the printable range decides, not `~tp`);
 * - a binary prints as `<<"text">>` when it is printable, as `<<"text"/utf8>>`
 *   when (Unicode mode only) it is UTF-8 with some character above U+007F,
 *   and otherwise as its bytes;
 * - an atom is quoted unless it is a lowercase name that is no reserved word;
 *   in Latin-1 mode characters above U+00FF are written as `\x{…}`;
 * - floats use the shortest text that reads back to the same double
 *   (`float_to_list(F, [short])`).
 *
 * Map keys come out in the order Erlang iterates a map of up to 32 keys (its
 * term order, integers before floats). Larger maps iterate in hash order in
 * Erlang; this printer keeps them in the same sorted order instead, so it only
 * matches Erlang for maps of at most 32 keys.
 *
 * @module
 */

import type { Term } from "./term.ts";

/** How to print: where the term starts, how wide a line is and which encoding. */
export interface PrettyOptions {
  /** The 1-based column the first character goes to (default 1). */
  column?: number;
  /** The line width to wrap at (default 80); 0 writes everything on one line. */
  lineLength?: number;
  /**
   * `latin1` is `~p` (characters above U+00FF in atoms are escaped, binaries
   * are never `/utf8`); `unicode` is `~tp`, and also what `io_lib_pretty`
   * does with `{encoding, utf8}`.
   */
  encoding: "latin1" | "unicode";
}

/**
 * Prints one term as Erlang's pretty printer does.
 *
 * @param term The term.
 * @param options Column, line length and encoding.
 * @returns The text, without a trailing `.` or newline.
 * @throws {RangeError} For what Erlang cannot hold: NaN or an infinite float,
 *   a character beyond U+10FFFF or an unpaired surrogate.
 *
 * @example
 * ```ts
 * prettyTerm(tuple(atom("vsn"), str("1.0.0")), { encoding: "unicode" }); // '{vsn,"1.0.0"}'
 * ```
 */
export function prettyTerm(term: Term, options: PrettyOptions): string {
  const col = Math.max(1, options.column ?? 1);
  const ll = options.lineLength ?? 80;
  const enc = options.encoding;
  const value = toValue(term);
  if (value.t === "atom") return atomText(value.name, enc);
  if (value.t === "int" || value.t === "float") return flat(leafOf(value, enc));
  const node = layoutOf(value, enc);
  // The whole term's length doubles as the widest a line may grow ("M").
  const ctx: Ctx = { ll, m: node.len };
  if (ll === 0 || node.len < ll - col) return flat(node);
  let tind = 1;
  for (const candidate of [-1, 4]) {
    try {
      tind = checkIndent(ctx, node, col, candidate, 0, 0);
      break;
    } catch (err) {
      if (err !== TOO_DEEP) throw err;
    }
  }
  return pretty(ctx, node, col, tind, col - 1, 0, 0);
}

// ---------------------------------------------------------------------------
// Values: terms with strings and nested list tails flattened into Erlang lists.

type Value =
  | { t: "atom"; name: string }
  | { t: "int"; v: bigint }
  | { t: "float"; v: number }
  | { t: "bin"; bytes: Uint8Array }
  | { t: "tuple"; items: Value[] }
  | { t: "list"; items: Value[]; tail?: Value }
  | { t: "map"; entries: [Value, Value][] };

const NIL: Value = { t: "list", items: [] };

function codePointsOf(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      throw new RangeError(`Cannot print an unpaired surrogate \\u${cp.toString(16)}`);
    }
    out.push(cp);
  }
  return out;
}

const CHARS: Value[] = [];

/** The integer value of a character code, shared: strings are mostly the same few codes. */
function charValue(cp: number): Value {
  if (cp >= 0x800) return { t: "int", v: BigInt(cp) };
  return CHARS[cp] ??= { t: "int", v: BigInt(cp) };
}

function toValue(term: Term): Value {
  switch (term.kind) {
    case "atom":
      codePointsOf(term.value);
      return { t: "atom", name: term.value };
    case "integer":
      return { t: "int", v: term.value };
    case "float":
      if (!Number.isFinite(term.value)) {
        throw new RangeError(`Cannot print float ${term.value}: Erlang floats are finite`);
      }
      return { t: "float", v: term.value };
    case "binary":
      return { t: "bin", bytes: term.bytes };
    case "tuple":
      return { t: "tuple", items: term.items.map(toValue) };
    case "map":
      return { t: "map", entries: term.entries.map(([k, v]) => [toValue(k), toValue(v)]) };
    case "string":
    case "list": {
      // Erlang has one list type: splice nested tails, spell strings as codes.
      const items: Value[] = [];
      let tail: Term | undefined = term;
      while (tail && (tail.kind === "list" || tail.kind === "string")) {
        if (tail.kind === "string") {
          for (const cp of codePointsOf(tail.value)) items.push(charValue(cp));
          tail = undefined;
        } else {
          items.push(...tail.items.map(toValue));
          tail = tail.tail;
        }
      }
      if (!tail) return items.length === 0 ? NIL : { t: "list", items };
      if (items.length === 0) return toValue(tail);
      return { t: "list", items, tail: toValue(tail) };
    }
  }
}

// ---------------------------------------------------------------------------
// Map iteration order: Erlang's term order, with every integer before every float.

const RANK = { int: 0, float: 1, atom: 2, tuple: 3, map: 4, nil: 5, list: 6, bin: 7 };

function rankOf(v: Value): number {
  if (v.t === "list") return v.items.length === 0 ? RANK.nil : RANK.list;
  return RANK[v.t];
}

function compareCodePoints(a: string, b: string): number {
  const x = codePointsOf(a);
  const y = codePointsOf(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

function sortedEntries(entries: [Value, Value][]): [Value, Value][] {
  return [...entries].sort(([a], [b]) => compareValues(a, b));
}

/**
 * A map's entries in the order Erlang lists them (`maps:to_list/1`) for maps
 * of up to 32 keys: by key in term order, every integer before every float.
 * Erlang lists larger maps in hash order, which this does not reproduce.
 *
 * @param entries The entries, in any order.
 * @returns A sorted copy.
 */
export function mapEntriesInOrder(entries: [Term, Term][]): [Term, Term][] {
  return entries
    .map((entry) => ({ entry, key: toValue(entry[0]) }))
    .sort((a, b) => compareValues(a.key, b.key))
    .map(({ entry }) => entry);
}

/** Compares two values in the order Erlang keeps the keys of a small map. */
function compareValues(a: Value, b: Value): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return ra - rb;
  switch (a.t) {
    case "int": {
      const o = (b as typeof a).v;
      return a.v < o ? -1 : a.v > o ? 1 : 0;
    }
    case "float":
      return a.v - (b as typeof a).v;
    case "atom":
      return compareCodePoints(a.name, (b as typeof a).name);
    case "bin": {
      const o = (b as typeof a).bytes;
      for (let i = 0; i < Math.min(a.bytes.length, o.length); i++) {
        if (a.bytes[i] !== o[i]) return a.bytes[i] - o[i];
      }
      return a.bytes.length - o.length;
    }
    case "tuple": {
      const o = (b as typeof a).items;
      if (a.items.length !== o.length) return a.items.length - o.length;
      for (let i = 0; i < o.length; i++) {
        const c = compareValues(a.items[i], o[i]);
        if (c !== 0) return c;
      }
      return 0;
    }
    case "map": {
      const o = (b as typeof a).entries;
      if (a.entries.length !== o.length) return a.entries.length - o.length;
      const x = sortedEntries(a.entries);
      const y = sortedEntries(o);
      for (let i = 0; i < x.length; i++) {
        const c = compareValues(x[i][0], y[i][0]);
        if (c !== 0) return c;
      }
      for (let i = 0; i < x.length; i++) {
        const c = compareValues(x[i][1], y[i][1]);
        if (c !== 0) return c;
      }
      return 0;
    }
    case "list": {
      const o = b as typeof a;
      const n = Math.min(a.items.length, o.items.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(a.items[i], o.items[i]);
        if (c !== 0) return c;
      }
      // Compare what is left of each list: the rest of its items, else its tail.
      const restA: Value = a.items.length > n
        ? { t: "list", items: a.items.slice(n), tail: a.tail }
        : a.tail ?? NIL;
      const restB: Value = o.items.length > n
        ? { t: "list", items: o.items.slice(n), tail: o.tail }
        : o.tail ?? NIL;
      if (a.items.length === n && o.items.length === n && !a.tail && !o.tail) return 0;
      return compareValues(restA, restB);
    }
  }
}

// ---------------------------------------------------------------------------
// Atomic text.

const RESERVED = new Set(
  ("after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let " +
    "not of or orelse receive rem try when xor").split(" "),
);

/** Lowercase letters that may start an unquoted atom: a-z and ß-ÿ but ÷. */
function isLowerStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
}

function isNameChar(c: number): boolean {
  return isLowerStart(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ||
    (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x40;
}

const ESCAPES: Record<number, string> = {
  10: "\\n",
  13: "\\r",
  9: "\\t",
  11: "\\v",
  8: "\\b",
  12: "\\f",
  27: "\\e",
  127: "\\d",
};

/**
 * Quotes characters as Erlang's `io_lib` string writers do. `wide` says what
 * happens above U+00FF: `raw` writes them as they are, `hex` as `\x{…}`.
 */
function quoted(codes: number[], q: number, wide: "raw" | "hex"): string {
  let out = String.fromCharCode(q);
  for (const c of codes) {
    if (c === q || c === 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else if (c >= 0xa0 && (c <= 0xff || wide === "raw")) out += String.fromCodePoint(c);
    else if (c > 0xff) out += `\\x{${c.toString(16).toUpperCase()}}`;
    else if (ESCAPES[c]) out += ESCAPES[c];
    else out += "\\" + c.toString(8).padStart(3, "0");
  }
  return out + String.fromCharCode(q);
}

function atomText(name: string, enc: PrettyOptions["encoding"]): string {
  const codes = codePointsOf(name);
  const bare = !RESERVED.has(name) && codes.length > 0 && isLowerStart(codes[0]) &&
    codes.every(isNameChar);
  if (bare) return name;
  return quoted(codes, 0x27, enc === "latin1" ? "hex" : "raw");
}

/** Erlang's printable Latin-1 characters: what may appear in a printed string. */
function isPrintable(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || (c >= 8 && c <= 13) ||
    c === 27;
}

/**
 * Shortest round-trip float text, as `float_to_list(F, [short])`: the plain
 * decimal form when it is no longer than the exponent form and the value is
 * below 2^53, else `D.DDDeN`.
 *
 * Exported for tests, which check floats against OTP's shortest form.
 */
export function formatFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  const [mantissa, exp] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const e = Number(exp);
  const scientific = `${digits[0]}.${digits.length > 1 ? digits.slice(1) : "0"}e${e}`;
  if (Math.abs(value) < 2 ** 53) {
    let plain: string;
    if (e < 0) plain = `0.${"0".repeat(-e - 1)}${digits}`;
    else if (digits.length <= e + 1) plain = `${digits}${"0".repeat(e + 1 - digits.length)}.0`;
    else plain = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
    if (plain.length <= scientific.length) return sign + plain;
  }
  return sign + scientific;
}

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * What Erlang counts as the width of some printed text: its characters, or
 * its grapheme clusters once any character is above U+00FF.
 */
function widthOf(text: string): number {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\xff]*$/.test(text)) return text.length;
  return [...graphemes.segment(text)].length;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function binaryLeaf(bytes: Uint8Array, enc: PrettyOptions["encoding"]): Node {
  if (bytes.length === 0) return leaf("<<>>");
  if (enc === "unicode") {
    let text: string | undefined;
    try {
      text = utf8.decode(bytes);
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const codes = codePointsOf(text);
      if (!codes.every(isPrintable)) return byteList(bytes);
      const s = quoted(codes, 0x22, "raw");
      return codes.length === bytes.length ? leaf(`<<${s}>>`) : leaf(`<<${s}/utf8>>`);
    }
  }
  if (bytes.every(isPrintable)) return leaf(`<<${quoted([...bytes], 0x22, "raw")}>>`);
  return byteList(bytes);
}

function byteList(bytes: Uint8Array): Node {
  const parts = [...bytes].map(String);
  return { t: "bytes", parts, len: 4 + parts.reduce((n, p) => n + p.length, 0) + parts.length - 1 };
}

// ---------------------------------------------------------------------------
// Layout nodes: each knows its one-line length. Only `leaf` nodes are
// "atomic": several of them may share a line after a wrapped element.

type Node =
  | { t: "leaf"; s: string; len: number }
  | { t: "bytes"; parts: string[]; len: number }
  | { t: "list"; items: Node[]; tail?: Node; len: number }
  | { t: "tuple"; tagged: boolean; items: Node[]; len: number }
  | { t: "map"; pairs: Pair[]; len: number };

interface Pair {
  key: Node;
  value: Node;
  len: number;
}

function leaf(s: string): Node {
  return { t: "leaf", s, len: widthOf(s) };
}

function leafOf(v: Value, enc: PrettyOptions["encoding"]): Node {
  switch (v.t) {
    case "atom":
      return leaf(atomText(v.name, enc));
    case "int":
      return leaf(v.v.toString());
    case "float":
      return leaf(formatFloat(v.v));
    default:
      throw new TypeError(`not atomic: ${v.t}`);
  }
}

function sumLen(nodes: { len: number }[]): number {
  return nodes.reduce((n, x) => n + x.len, 0) + nodes.length - 1;
}

function layoutOf(v: Value, enc: PrettyOptions["encoding"]): Node {
  switch (v.t) {
    case "atom":
    case "int":
    case "float":
      return leafOf(v, enc);
    case "bin":
      return binaryLeaf(v.bytes, enc);
    case "tuple": {
      if (v.items.length === 0) return leaf("{}");
      const items = v.items.map((x) => layoutOf(x, enc));
      const tagged = v.items[0].t === "atom" && v.items.length > 1;
      return { t: "tuple", tagged, items, len: 2 + sumLen(items) };
    }
    case "map": {
      if (v.entries.length === 0) return leaf("#{}");
      const pairs = sortedEntries(v.entries).map(([k, x]): Pair => {
        const key = layoutOf(k, enc);
        const value = layoutOf(x, enc);
        return { key, value, len: key.len + 4 + value.len };
      });
      return { t: "map", pairs, len: 3 + sumLen(pairs) };
    }
    case "list": {
      if (v.items.length === 0) return leaf("[]");
      if (
        !v.tail && v.items.every((x) => x.t === "int" && x.v <= 0xffn && isPrintable(Number(x.v)))
      ) {
        return leaf(quoted(v.items.map((x) => Number((x as { v: bigint }).v)), 0x22, "raw"));
      }
      const items = v.items.map((x) => layoutOf(x, enc));
      const tail = v.tail ? layoutOf(v.tail, enc) : undefined;
      return { t: "list", items, tail, len: 2 + sumLen(items) + (tail ? tail.len + 1 : 0) };
    }
  }
}

function flat(node: Node): string {
  switch (node.t) {
    case "leaf":
      return node.s;
    case "bytes":
      return `<<${node.parts.join(",")}>>`;
    case "tuple":
      return `{${node.items.map(flat).join(",")}}`;
    case "list":
      return `[${node.items.map(flat).join(",")}${node.tail ? `|${flat(node.tail)}` : ""}]`;
    case "map":
      return `#{${node.pairs.map(flatPair).join(",")}}`;
  }
}

function flatPair(p: Pair): string {
  return `${flat(p.key)} => ${flat(p.value)}`;
}

// ---------------------------------------------------------------------------
// Breaking lines. The state threaded through is Erlang's: `col` is the column
// the node starts at, `ind` the indentation (in spaces) of continuation lines,
// `ld` ("last depth") how many closing brackets follow the node on its line,
// and `w` the width already used on the current line.

interface Ctx {
  ll: number;
  m: number;
}

const spaces = (n: number) => " ".repeat(n);

/** A sequence element: its items, then an improper tail. */
interface Seq {
  items: Node[];
  tail?: Node;
}

function fitsFlat(ctx: Ctx, len: number, col: number, ld: number, w: number): boolean {
  return len < ctx.ll - col - ld && len + w + ld <= ctx.m;
}

/** Whether one more element of length `len` fits after the current one. */
function fitsAfter(ctx: Ctx, len: number, col: number, ld: number, w: number): boolean {
  const elen = 1 + len;
  return ld === 0
    ? elen + 1 < ctx.ll - col && w + elen + 1 <= ctx.m
    : elen < ctx.ll - col - ld && w + elen + ld <= ctx.m;
}

/** Whether an improper tail of length `len` fits after `|` on the current line. */
function tailFits(ctx: Ctx, len: number, col: number, ld: number, w: number): boolean {
  return len + 1 < ctx.ll - col - (ld + 1) && len + 1 + w + ld + 1 <= ctx.m;
}

/**
 * The closing depth of an element followed by `rest` more items: 0 unless it
 * is the last item (an improper tail does not count as an item).
 */
function lastDepth(rest: number, ld: number): number {
  return rest > 0 ? 0 : ld + 1;
}

function pretty(
  ctx: Ctx,
  node: Node,
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
): string {
  if (fitsFlat(ctx, node.len, col, ld, w)) return flat(node);
  switch (node.t) {
    case "leaf":
      return node.s;
    case "bytes":
      return prettyBytes(ctx, node.parts, col + 2, ind + 2, ld, w);
    case "list":
      return `[${prettySeq(ctx, node, col + 1, tind, ind + 1, ld, "|", w + 1)}]`;
    case "tuple":
      if (node.tagged) return `{${prettyTagged(ctx, node.items, col, tind, ind, ld, w + 1)}}`;
      return `{${prettySeq(ctx, node, col + 1, tind, ind + 1, ld, ",", w + 1)}}`;
    case "map":
      return `#{${prettyMap(ctx, node.pairs, col + 2, tind, ind + 2, ld, w + 1)}}`;
  }
}

function prettyTagged(
  ctx: Ctx,
  items: Node[],
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
): string {
  const [tag, ...rest] = items;
  const tagInd = tag.len + 2;
  const tcol = col + tagInd;
  if (tind > 0 && tagInd > tind) {
    // A long tag: the other elements go on their own lines, indented by tind.
    return flat(tag) +
      prettyRest(ctx, { items: rest }, 0, col + tind, tcol, tind, ind + tind, ld, ",", w + tag.len);
  }
  return `${flat(tag)},` +
    prettySeq(ctx, { items: rest }, tcol, tind, ind + tagInd, ld, ",", w + tag.len + 1);
}

function prettySeq(
  ctx: Ctx,
  seq: Seq,
  col0: number,
  tind: number,
  ind: number,
  ld: number,
  sep: string,
  w: number,
): string {
  const [first] = seq.items;
  const left = seq.items.length - 1;
  const [s, we] = prettyElement(ctx, first, col0, tind, ind, lastDepth(left, ld), w);
  return s + prettyRest(ctx, seq, 1, col0, col0 + we, tind, ind, ld, sep, w + we);
}

function prettyRest(
  ctx: Ctx,
  seq: Seq,
  from: number,
  col0: number,
  col: number,
  tind: number,
  ind: number,
  ld: number,
  sep: string,
  w: number,
): string {
  let out = "";
  for (let i = from; i < seq.items.length; i++) {
    const e = seq.items[i];
    const ld1 = lastDepth(seq.items.length - 1 - i, ld);
    if (e.t === "leaf" && fitsAfter(ctx, e.len, col, ld1, w)) {
      out += `,${e.s}`;
      col += 1 + e.len;
      w += 1 + e.len;
    } else {
      const [s, we] = prettyElement(ctx, e, col0, tind, ind, ld1, 0);
      out += `,\n${spaces(ind)}${s}`;
      col = col0 + we;
      w = we;
    }
  }
  const tail = seq.tail;
  if (!tail) return out;
  if (tail.t === "leaf" && tailFits(ctx, tail.len, col, ld, w)) return `${out}${sep}${tail.s}`;
  return `${out}${sep}\n${spaces(ind)}${pretty(ctx, tail, col0, tind, ind, ld + 1, 0)}`;
}

/** An element and the width it leaves on its line (the line length when it wrapped). */
function prettyElement(
  ctx: Ctx,
  e: Node,
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
): [string, number] {
  if (e.t === "leaf" && fitsFlat(ctx, e.len, col, ld, w)) return [e.s, e.len];
  return [pretty(ctx, e, col, tind, ind, ld, w), ctx.ll];
}

const atomicPair = (p: Pair) => p.key.t === "leaf" && p.value.t === "leaf";

function prettyMap(
  ctx: Ctx,
  pairs: Pair[],
  col0: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
): string {
  let [out, pw] = prettyPair(ctx, pairs[0], col0, tind, ind, lastDepth(pairs.length - 1, ld), w);
  let col = col0 + pw;
  w = pw;
  for (let i = 1; i < pairs.length; i++) {
    const p = pairs[i];
    const ld1 = lastDepth(pairs.length - 1 - i, ld);
    if (atomicPair(p) && fitsAfter(ctx, p.len, col, ld1, w)) {
      out += `,${flatPair(p)}`;
      col += 1 + p.len;
      w += 1 + p.len;
    } else {
      const [s, pw1] = prettyPair(ctx, p, col0, tind, ind, ld1, 0);
      out += `,\n${spaces(ind)}${s}`;
      col = col0 + pw1;
      w = pw1;
    }
  }
  return out;
}

function mapValueIndent(tind: number): number {
  return tind > 0 ? tind : 4;
}

function prettyPair(
  ctx: Ctx,
  p: Pair,
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
): [string, number] {
  if (fitsFlat(ctx, p.len, col, ld, w)) return [flatPair(p), atomicPair(p) ? p.len : ctx.ll];
  const i = mapValueIndent(tind);
  const key = pretty(ctx, p.key, col, tind, ind, ld, w);
  const value = pretty(ctx, p.value, col + i, tind, ind + i, ld, 0);
  return [`${key} =>\n${spaces(ind + i)}${value}`, ctx.ll];
}

/** A byte-list binary that does not fit: as many bytes per line as fit, at least 8 columns. */
function prettyBytes(
  ctx: Ctx,
  parts: string[],
  col: number,
  ind: number,
  ld: number,
  w: number,
): string {
  const n0 = Math.max(8, Math.min(ctx.ll - col, ctx.m - 4 - w) - ld);
  let n = n0;
  let out = "<<";
  for (let i = 0; i < parts.length - 1; i++) {
    const len = parts[i].length + 1;
    if (n - len < 0) {
      out += `\n${spaces(ind)}${parts[i]},`;
      n = n0 - len;
    } else {
      out += `${parts[i]},`;
      n -= len;
    }
  }
  const last = parts[parts.length - 1];
  return `${out}${last.length > n ? `\n${spaces(ind)}` : ""}${last}>>`;
}

// ---------------------------------------------------------------------------
// Choosing the indentation of tagged tuples and map values: Erlang first tries
// "none" (-1), then 4, and settles for 1 when even 4 indents past half the line.

const TOO_DEEP = Symbol("too deep");

function checkIndent(
  ctx: Ctx,
  node: Node,
  col: number,
  ind: number,
  ld: number,
  w: number,
): number {
  if (fitsFlat(ctx, node.len, col, ld, w)) return ind;
  switch (node.t) {
    case "list":
      return checkSeq(ctx, node, col + 1, ind, ld, w + 1);
    case "tuple":
      if (node.tagged) return checkTagged(ctx, node.items, col, ind, ld, w + 1);
      return checkSeq(ctx, node, col + 1, ind, ld, w + 1);
    case "map":
      return checkMap(ctx, node.pairs, col + 2, ind, ld, w + 2);
    default:
      return ind;
  }
}

function checkTagged(
  ctx: Ctx,
  items: Node[],
  col: number,
  ind: number,
  ld: number,
  w: number,
): number {
  const [tag, ...rest] = items;
  const tagInd = tag.len + 2;
  const tcol = col + tagInd;
  const half = Math.floor(ctx.ll / 2);
  if (ind > 0 && tagInd > ind) {
    const col1 = col + ind;
    if (ctx.m + col1 <= ctx.ll || col1 <= half) {
      return checkRest(ctx, { items: rest }, 0, col1, tcol, ind, ld, w + tag.len);
    }
    throw TOO_DEEP;
  }
  if (ctx.m + tcol < ctx.ll || tcol < half) {
    return checkSeq(ctx, { items: rest }, tcol, ind, ld, w + tag.len + 1);
  }
  throw TOO_DEEP;
}

function checkSeq(ctx: Ctx, seq: Seq, col0: number, ind: number, ld: number, w: number): number {
  const left = seq.items.length - 1;
  const we = checkElement(ctx, seq.items[0], col0, ind, lastDepth(left, ld), w);
  return checkRest(ctx, seq, 1, col0, col0 + we, ind, ld, w + we);
}

function checkRest(
  ctx: Ctx,
  seq: Seq,
  from: number,
  col0: number,
  col: number,
  ind: number,
  ld: number,
  w: number,
): number {
  for (let i = from; i < seq.items.length; i++) {
    const e = seq.items[i];
    const ld1 = lastDepth(seq.items.length - 1 - i, ld);
    if (e.t === "leaf" && fitsAfter(ctx, e.len, col, ld1, w)) {
      col += 1 + e.len;
      w += 1 + e.len;
    } else {
      const we = checkElement(ctx, e, col0, ind, ld1, 0);
      col = col0 + we;
      w = we;
    }
  }
  const tail = seq.tail;
  if (!tail) return ind;
  if (tail.t === "leaf" && tailFits(ctx, tail.len, col, ld, w)) return ind;
  // Erlang checks a wrapped tail at the running column, not the element column.
  return checkIndent(ctx, tail, col, ind, ld + 1, 0);
}

function checkElement(
  ctx: Ctx,
  e: Node,
  col: number,
  ind: number,
  ld: number,
  w: number,
): number {
  if (e.t === "leaf" && fitsFlat(ctx, e.len, col, ld, w)) return e.len;
  checkIndent(ctx, e, col, ind, ld, w);
  return ctx.ll;
}

function checkMap(
  ctx: Ctx,
  pairs: Pair[],
  col0: number,
  ind: number,
  ld: number,
  w: number,
): number {
  const pw = checkPair(ctx, pairs[0], col0, ind, lastDepth(pairs.length - 1, ld), w);
  let col = col0 + pw;
  w += pw;
  for (let i = 1; i < pairs.length; i++) {
    const p = pairs[i];
    const ld1 = lastDepth(pairs.length - 1 - i, ld);
    if (atomicPair(p) && fitsAfter(ctx, p.len, col, ld1, w)) {
      col += 1 + p.len;
      w += 1 + p.len;
    } else {
      const pw1 = checkPair(ctx, p, col0, ind, ld1, 0);
      col = col0 + pw1;
      w = pw1;
    }
  }
  return ind;
}

function checkPair(ctx: Ctx, p: Pair, col: number, ind: number, ld: number, w: number): number {
  if (fitsFlat(ctx, p.len, col, ld, w)) return atomicPair(p) ? p.len : ctx.ll;
  checkIndent(ctx, p.key, col, ind, ld, w);
  checkIndent(ctx, p.value, col + mapValueIndent(ind), ind, ld, 0);
  return ctx.ll;
}
