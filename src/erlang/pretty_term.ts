/**
 * Writes a term the way Erlang's `io_lib:format("~p", [Term])` lays it out:
 * on one line when it fits in the line length, else broken over lines with the
 * indentation OTP's pretty printer chooses (OTP stdlib `io_lib_pretty.erl`).
 * rebar3 writes `rebar.lock` with `~p`, so byte-identical lock files need the
 * same line breaks.
 *
 * Only the terms a lock file holds are supported: atoms, integers, binaries and
 * strings of printable ASCII, tuples and proper lists. Anything else (floats,
 * maps, improper lists, binaries `~p` would write as bytes or `/utf8`) throws a
 * `RangeError` rather than being laid out differently from Erlang.
 *
 * How it decides, in short: every subterm has a flat length. A term that fits
 * in what is left of the line is written flat. Otherwise a list or tuple puts
 * its first element after the bracket and each following element either on the
 * same line (a short atomic one that fits) or on a new line at the bracket's
 * column plus one. A tuple whose first element is an atom (a tagged tuple)
 * keeps the tag on the bracket's line and aligns the other elements after it,
 * unless that would indent them too far; the indentation for that case is
 * chosen once per print, as `io_lib_pretty` does (`-1`, else 4, else 1).
 *
 * @module
 */

import { printTerm } from "./print_term.ts";
import type { Term } from "./term.ts";

/** A term measured: its flat text (for leaves) or its measured children. */
type Node =
  | { kind: "leaf"; text: string; len: number }
  | { kind: "list"; items: Node[]; len: number }
  | { kind: "tuple"; tagged: boolean; items: Node[]; len: number };

/** Thrown by the indentation probe when an indentation does not work. */
class NoGood extends Error {}

function quoteAscii(bytes: Iterable<number>, what: string): string {
  let out = '"';
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e) {
      throw new RangeError(`cannot lay out ${what} holding byte ${b}: only printable ASCII is`);
    }
    const ch = String.fromCharCode(b);
    out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
  }
  return out + '"';
}

function leaf(text: string): Node {
  return { kind: "leaf", text, len: text.length };
}

/** Measures a term: flat lengths bottom-up, as `io_lib_pretty:print_length` does. */
function measure(term: Term): Node {
  switch (term.kind) {
    case "atom":
    case "integer":
      return leaf(printTerm(term));
    case "binary":
      return term.bytes.length === 0
        ? leaf("<<>>")
        : leaf(`<<${quoteAscii(term.bytes, "a binary")}>>`);
    case "string":
      if (term.value === "") return leaf("[]");
      return leaf(quoteAscii([...term.value].map((c) => c.codePointAt(0)!), "a string"));
    case "tuple":
    case "list": {
      if (term.kind === "list" && term.tail !== undefined) {
        throw new RangeError("cannot lay out an improper list");
      }
      if (term.items.length === 0) return leaf(term.kind === "list" ? "[]" : "{}");
      const items = term.items.map(measure);
      const len = 2 + items.reduce((n, i) => n + i.len, 0) + items.length - 1;
      return term.kind === "list"
        ? { kind: "list", items, len }
        : { kind: "tuple", tagged: term.items[0].kind === "atom" && items.length > 1, items, len };
    }
    default:
      throw new RangeError(`cannot lay out a ${term.kind} like ~p`);
  }
}

function flat(n: Node): string {
  if (n.kind === "leaf") return n.text;
  const inner = n.items.map(flat).join(",");
  return n.kind === "list" ? `[${inner}]` : `{${inner}}`;
}

/** Closing brackets that follow the last element: 0 while more elements come. */
function lastDepth(rest: number, ld: number): number {
  return rest > 0 ? 0 : ld + 1;
}

/** The line state shared by one print. */
interface Layout {
  /** Line length. */
  ll: number;
  /** The most characters a line may hold (`io_lib_pretty`'s M: the whole term's length). */
  m: number;
}

/** Whether an element fits after a comma on the current line (atomic ones only). */
function fitsInline(e: Node, col: number, w: number, ld1: number, lay: Layout): boolean {
  if (e.kind !== "leaf") return false;
  const elen = 1 + e.len;
  return ld1 === 0
    ? elen + 1 < lay.ll - col && w + elen + 1 <= lay.m
    : elen < lay.ll - col - ld1 && w + elen + ld1 <= lay.m;
}

// ------------------------------------------------- the indentation probe

function probe(n: Node, col: number, ind: number, ld: number, w: number, lay: Layout): number {
  if (n.len < lay.ll - col - ld && n.len + w + ld <= lay.m) return ind;
  if (n.kind === "leaf") return ind;
  if (n.kind === "tuple" && n.tagged) return probeTagged(n.items, col, ind, ld, w + 1, lay);
  return probeList(n.items, col + 1, ind, ld, w + 1, lay);
}

function probeTagged(
  items: Node[],
  col: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): number {
  const [tag, ...rest] = items;
  const tagInd = tag.len + 2;
  const tcol = col + tagInd;
  if (ind > 0 && tagInd > ind) {
    const col1 = col + ind;
    if (lay.m + col1 <= lay.ll || col1 <= Math.floor(lay.ll / 2)) {
      return probeTail(rest, col1, tcol, ind, ld, w + tag.len, lay);
    }
    throw new NoGood();
  }
  if (lay.m + tcol < lay.ll || tcol < Math.floor(lay.ll / 2)) {
    return probeList(rest, tcol, ind, ld, w + tag.len + 1, lay);
  }
  throw new NoGood();
}

function probeList(
  items: Node[],
  col0: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): number {
  const [e, ...rest] = items;
  const we = probeElement(e, col0, ind, lastDepth(rest.length, ld), w, lay);
  return probeTail(rest, col0, col0 + we, ind, ld, w + we, lay);
}

function probeTail(
  items: Node[],
  col0: number,
  col: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): number {
  for (let i = 0; i < items.length; i++) {
    const e = items[i];
    const ld1 = lastDepth(items.length - i - 1, ld);
    if (fitsInline(e, col, w, ld1, lay)) {
      col += 1 + e.len;
      w += 1 + e.len;
    } else {
      const we = probeElement(e, col0, ind, ld1, 0, lay);
      col = col0 + we;
      w = we;
    }
  }
  return ind;
}

function probeElement(
  e: Node,
  col: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): number {
  if (e.kind === "leaf" && e.len < lay.ll - col - ld && e.len + w + ld <= lay.m) return e.len;
  probe(e, col, ind, ld, w, lay);
  return lay.ll;
}

// ------------------------------------------------------------ the layout

function pp(
  n: Node,
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): string {
  if (n.len < lay.ll - col - ld && n.len + w + ld <= lay.m) return flat(n);
  if (n.kind === "leaf") return n.text;
  if (n.kind === "tuple" && n.tagged) {
    return `{${ppTagged(n.items, col, tind, ind, ld, w + 1, lay)}}`;
  }
  const inner = ppList(n.items, col + 1, tind, ind + 1, ld, w + 1, lay);
  return n.kind === "list" ? `[${inner}]` : `{${inner}}`;
}

function ppTagged(
  items: Node[],
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): string {
  const [tag, ...rest] = items;
  const tagInd = tag.len + 2;
  const tcol = col + tagInd;
  if (tind > 0 && tagInd > tind) {
    return flat(tag) + ppTail(rest, col + tind, tcol, tind, ind + tind, ld, w + tag.len, lay);
  }
  return `${flat(tag)},${ppList(rest, tcol, tind, ind + tagInd, ld, w + tag.len + 1, lay)}`;
}

function ppList(
  items: Node[],
  col0: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): string {
  const [e, ...rest] = items;
  const [text, we] = ppElement(e, col0, tind, ind, lastDepth(rest.length, ld), w, lay);
  return text + ppTail(rest, col0, col0 + we, tind, ind, ld, w + we, lay);
}

function ppTail(
  items: Node[],
  col0: number,
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): string {
  let out = "";
  for (let i = 0; i < items.length; i++) {
    const e = items[i];
    const ld1 = lastDepth(items.length - i - 1, ld);
    if (fitsInline(e, col, w, ld1, lay)) {
      out += `,${flat(e)}`;
      col += 1 + e.len;
      w += 1 + e.len;
    } else {
      const [text, we] = ppElement(e, col0, tind, ind, ld1, 0, lay);
      out += `,\n${" ".repeat(ind)}${text}`;
      col = col0 + we;
      w = we;
    }
  }
  return out;
}

function ppElement(
  e: Node,
  col: number,
  tind: number,
  ind: number,
  ld: number,
  w: number,
  lay: Layout,
): [string, number] {
  if (e.kind === "leaf" && e.len < lay.ll - col - ld && e.len + w + ld <= lay.m) {
    return [e.text, e.len];
  }
  // A broken element forces the next one onto a new line.
  return [pp(e, col, tind, ind, ld, w, lay), lay.ll];
}

/**
 * Lays out one term as `io_lib:format("~p", [Term])` does when the `~p` starts
 * at `column` (1 at the start of a line).
 *
 * @param term The term.
 * @param options `column`: where the term starts, 1-based (default 1);
 *   `lineLength`: `~p`'s line length (default 80, Erlang's).
 * @returns The text, without a trailing newline.
 * @throws {RangeError} For a term outside the supported kinds (see the module doc).
 */
export function prettyTerm(
  term: Term,
  options: { column?: number; lineLength?: number } = {},
): string {
  const col = Math.max(1, options.column ?? 1);
  const ll = options.lineLength ?? 80;
  const node = measure(term);
  if (node.kind === "leaf" || node.len < ll - col) return flat(node);
  const lay: Layout = { ll, m: node.len };
  let tind = 1;
  for (const candidate of [-1, 4]) {
    try {
      tind = probe(node, col, candidate, 0, 0, lay);
      break;
    } catch (e) {
      if (!(e instanceof NoGood)) throw e;
    }
  }
  return pp(node, col, tind, col - 1, 0, 0, lay);
}
