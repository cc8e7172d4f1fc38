/**
 * The Erlang term model shared by the term reader, the term printer and the
 * metadata.config encoder.
 *
 * Strings (`"abc"`, Erlang char lists) and binaries (`<<"abc">>`) stay distinct
 * kinds so that a reader of `.app.src` can tell them apart and so that a
 * printer can write each back in its own syntax.
 *
 * @module
 */

/** Where a term sits in its source text: UTF-16 offsets, 1-based line and column. */
export interface Span {
  /** Offset of the first character. */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** 1-based line of `start`. */
  line: number;
  /** 1-based column of `start` (in characters). */
  column: number;
}

/** An Erlang term as read from, or written to, Erlang term text. */
export type Term =
  | { kind: "atom"; value: string; span?: Span }
  | { kind: "integer"; value: bigint; span?: Span }
  | { kind: "float"; value: number; span?: Span }
  | { kind: "string"; value: string; span?: Span }
  | { kind: "binary"; bytes: Uint8Array; span?: Span }
  | { kind: "tuple"; items: Term[]; span?: Span }
  | { kind: "list"; items: Term[]; tail?: Term; span?: Span }
  | { kind: "map"; entries: [Term, Term][]; span?: Span };

/** A term of one kind. */
export type TermOf<K extends Term["kind"]> = Extract<Term, { kind: K }>;

const encoder = new TextEncoder();

/** Builds an atom. */
export function atom(value: string): TermOf<"atom"> {
  return { kind: "atom", value };
}

/** Builds an integer. */
export function int(value: number | bigint): TermOf<"integer"> {
  return { kind: "integer", value: BigInt(value) };
}

/** Builds a char-list string. */
export function str(value: string): TermOf<"string"> {
  return { kind: "string", value };
}

/** Builds a binary holding the UTF-8 bytes of `value`. */
export function bin(value: string): TermOf<"binary"> {
  return { kind: "binary", bytes: encoder.encode(value) };
}

/** Builds a tuple. */
export function tuple(...items: Term[]): TermOf<"tuple"> {
  return { kind: "tuple", items };
}

/** Builds a proper list. */
export function list(items: Term[]): TermOf<"list"> {
  return { kind: "list", items };
}

/** Builds `true` or `false`. */
export function bool(value: boolean): TermOf<"atom"> {
  return atom(value ? "true" : "false");
}

/**
 * The text a term stands for, when it is text-like: a string, a binary (UTF-8,
 * falling back to Latin-1 as Erlang tools do), a proper list of character
 * codes, or `[]` (the empty string).
 *
 * @param term The term to read.
 * @returns The text, or `undefined` when the term is not text-like.
 */
export function textOf(term: Term): string | undefined {
  switch (term.kind) {
    case "string":
      return term.value;
    case "binary":
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(term.bytes);
      } catch {
        return latin1(term.bytes);
      }
    case "list": {
      if (term.tail) return undefined;
      let out = "";
      for (const item of term.items) {
        if (item.kind === "string") {
          out += item.value;
          continue;
        }
        if (item.kind !== "integer" || item.value < 0n || item.value > 0x10ffffn) {
          return undefined;
        }
        out += String.fromCodePoint(Number(item.value));
      }
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * Latin-1 (ISO 8859-1) text of some bytes: each byte is one code point, as in
 * Erlang. Built in chunks: one spread of a large binary would overflow the stack.
 */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** Whether two terms are equal, ignoring spans. */
export function termEquals(a: Term, b: Term): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "atom":
    case "string":
    case "integer":
      return a.value === (b as typeof a).value;
    case "float":
      return Object.is(a.value, (b as typeof a).value);
    case "binary": {
      const o = (b as typeof a).bytes;
      return a.bytes.length === o.length && a.bytes.every((x, i) => x === o[i]);
    }
    case "tuple": {
      const o = b as typeof a;
      return a.items.length === o.items.length &&
        a.items.every((x, i) => termEquals(x, o.items[i]));
    }
    case "list": {
      const o = b as typeof a;
      if (a.items.length !== o.items.length) return false;
      if (!a.items.every((x, i) => termEquals(x, o.items[i]))) return false;
      if (!a.tail || !o.tail) return !a.tail && !o.tail;
      return termEquals(a.tail, o.tail);
    }
    case "map": {
      const o = b as typeof a;
      return a.entries.length === o.entries.length &&
        a.entries.every(([k, v], i) =>
          termEquals(k, o.entries[i][0]) && termEquals(v, o.entries[i][1])
        );
    }
  }
}

/**
 * Reads a proplist (`[{key, value} | atom]`) entry by atom key. A bare atom means `true`.
 *
 * Exported for tests, which look into read proplists with it.
 */
export function proplistGet(term: Term | undefined, key: string): Term | undefined {
  if (!term || term.kind !== "list") return undefined;
  for (const item of term.items) {
    if (item.kind === "atom" && item.value === key) return atom("true");
    if (
      item.kind === "tuple" && item.items.length >= 2 && item.items[0].kind === "atom" &&
      item.items[0].value === key
    ) {
      return item.items.length === 2 ? item.items[1] : tuple(...item.items.slice(1));
    }
  }
  return undefined;
}
