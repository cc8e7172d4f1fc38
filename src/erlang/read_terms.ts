/**
 * Reads Erlang term text the way `file:consult/1` does: a sequence of terms,
 * each ended by a `.`, with `%` comments. This is the syntax of `.app.src`,
 * `rebar.config`, `rebar.lock` and a Hex tarball's `metadata.config`.
 *
 * The reader takes already-decoded text. Erlang decodes term files as UTF-8
 * unless a `%% coding: latin-1` comment says otherwise; honouring that comment
 * is the job of whoever turns the file's bytes into text.
 *
 * Choices where Erlang is loose or where the term model is narrower:
 * - Whitespace is what Erlang's scanner skips: code points 0–32 and 128–160,
 *   so NBSP (U+00A0) and the C1 controls separate tokens. Other Unicode
 *   spaces (U+2000 and up) are errors, as in Erlang.
 * - `maybe` and `else` read as atoms when unquoted, as on OTP 26 and earlier
 *   (OTP 27 reserves them). Those releases also print them unquoted, in `~p`
 *   output that hexpub reads back. The other reserved words are errors.
 * - Lists are normalised as Erlang does: `[a|[b]]` reads as `[a,b]`, `[a|[]]`
 *   as `[a]` and `[a|"bc"]` as `[a,98,99]`.
 * - A map literal that repeats a key keeps the last value, in the first key's
 *   place.
 * - Binary segments take a string, a character or an integer, with an optional
 *   `:Size` (a multiple of 8) and the types `integer`, `utf8`, `utf16`,
 *   `utf32`, `big`, `little`, `signed`, `unsigned`. An integer that does not
 *   fit its segment is an error (Erlang would silently keep the low bits).
 *   Float segments, `unit:N`, `native` and parenthesised expressions are
 *   rejected. Erlang itself rejects `/latin1`.
 * - Columns count code points, so an astral character (or a tab) is one column.
 * - Tuples, lists and maps nest at most 1000 deep, so that a hostile file
 *   cannot overflow the call stack.
 *
 * @module
 */

import { TermSyntaxError } from "../errors.ts";
import { type Span, type Term, termEquals, type TermOf } from "./term.ts";

/**
 * Erlang's reserved words: written unquoted they are keywords, not atoms. `maybe`
 * and `else` are keywords only from OTP 27, but are listed so that printed terms
 * read back on every release; {@link readTerms} still reads them unquoted.
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  ..."after and andalso band begin bnot bor bsl bsr bxor case catch cond div else".split(" "),
  ..."end fun if let maybe not of or orelse receive rem try when xor".split(" "),
]);

/** Reserved words only from OTP 27 on: read as atoms, for the sake of older releases. */
const NEW_KEYWORDS: ReadonlySet<string> = new Set(["maybe", "else"]);

/** The longest atom Erlang accepts, in characters. */
const MAX_ATOM_LENGTH = 255;

/** How deep containers may nest: far beyond real files, well within the call stack. */
const MAX_DEPTH = 1000;

/** The largest binary segment size accepted, in bits. */
const MAX_SEGMENT_BITS = 1 << 16;

/**
 * Reads every term of an Erlang term file, as `file:consult/1` would.
 *
 * @param text The file's text.
 * @param file The file's path, for error locations.
 * @returns The terms in order, each node carrying its {@link Span}.
 * @throws {TermSyntaxError} When the text is not a sequence of `.`-terminated terms.
 *
 * @example
 * ```ts
 * readTerms("{application, demo, [{vsn, \"1.0.0\"}]}.\n", "src/demo.app.src");
 * ```
 */
export function readTerms(text: string, file: string): Term[] {
  const parser = new Parser(text, file);
  const terms: Term[] = [];
  while (parser.tok.kind !== "eof") {
    const term = parser.term();
    parser.endOfTerm(term);
    terms.push(term);
  }
  return terms;
}

/**
 * Reads text that holds exactly one term; the closing `.` is optional.
 *
 * @param text The text, such as `{pkg, <<"cowboy">>}` or `"1.0.0".`.
 * @param file A path or label, for error locations.
 * @returns The term, carrying its {@link Span}.
 * @throws {TermSyntaxError} When the text is not one term.
 *
 * Exported for tests, which read single terms with it.
 */
export function readTerm(text: string, file: string): Term {
  const parser = new Parser(text, file);
  const term = parser.term();
  if (parser.tok.kind === "dot") parser.advance();
  const tok = parser.tok;
  if (tok.kind !== "eof") {
    if (tok.kind === "punct" && tok.value === ".") parser.badDot(tok);
    parser.fail(`expected end of input after the term, found ${describe(tok)}`, tok.start);
  }
  return term;
}

type Token =
  | {
    kind: "atom" | "reserved" | "var" | "string" | "punct" | "dot" | "eof";
    value: string;
    start: number;
    end: number;
  }
  | { kind: "integer" | "char"; value: bigint; start: number; end: number }
  | { kind: "float"; value: number; start: number; end: number };

const SIMPLE_ESCAPES: Record<string, number> = {
  b: 8,
  d: 127,
  e: 27,
  f: 12,
  n: 10,
  r: 13,
  s: 32,
  t: 9,
  v: 11,
};

/** Operators longer than one character, longest first where they share a prefix. */
const OPERATORS = [
  "=:=",
  "=/=",
  "<<",
  ">>",
  "=>",
  ":=",
  "||",
  "->",
  "<-",
  "<=",
  "=<",
  ">=",
  "==",
  "/=",
  "++",
  "--",
  "::",
];

/** Punctuation that is an Erlang operator: term files cannot use it. */
const EXPRESSION_OPERATORS = new Set(
  "+ - * / ++ -- == /= =< < >= > =:= =/= ! =".split(" "),
);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLower(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
}

function isUpper(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
}

function isNameChar(c: number): boolean {
  return isLower(c) || isUpper(c) || isDigit(c) || c === 95 || c === 64;
}

function isWhite(c: number): boolean {
  return c <= 0x20 || (c >= 0x80 && c <= 0xa0);
}

/** The value of `c` as a digit, or 99 when it is not one. */
function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

function isCharacter(cp: number): boolean {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

function clip(text: string): string {
  return text.length > 30 ? `${text.slice(0, 30)}…` : text;
}

function quoteValue(text: string): string {
  return JSON.stringify(clip(text));
}

/** A token as an error message shows it: `"]"`, `atom "foo"`, `end of input`. */
function describe(tok: Token): string {
  switch (tok.kind) {
    case "eof":
      return "end of input";
    case "atom":
      return `atom ${quoteValue(tok.value)}`;
    case "reserved":
      return `reserved word ${quoteValue(tok.value)}`;
    case "var":
      return `variable ${quoteValue(tok.value)}`;
    case "string":
      return `string ${quoteValue(tok.value)}`;
    case "dot":
      return `"."`;
    case "punct": {
      const cp = tok.value.codePointAt(0)!;
      if (tok.value.length <= 2 && (cp < 0x20 || cp > 0x7e)) {
        return `character U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
      }
      return quoteValue(tok.value);
    }
    default:
      return `number ${quoteValue(String(tok.value))}`;
  }
}

/** Scanner and recursive-descent parser in one: one token of lookahead in `tok`. */
class Parser {
  readonly text: string;
  readonly file: string;
  /** The token under the cursor. */
  tok: Token;
  /** Offset where the next token's scan starts. */
  private pos = 0;
  /** How many tuples, lists and maps enclose the cursor. */
  private depth = 0;
  /** The token consumed last, for hints about trailing commas. */
  private prev: Token | undefined;
  /** Offsets at which lines start. */
  private readonly lineStarts: number[] = [0];
  /** Last located offset, so that locating in increasing order stays linear. */
  private cache = { offset: 0, line: 1, column: 1 };

  constructor(text: string, file: string) {
    this.text = text;
    this.file = file;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
      this.lineStarts.push(i + 1);
    }
    this.tok = this.scan();
  }

  // ---- locations and errors ----

  /** The 1-based line and code-point column of `offset`. */
  locate(offset: number): { line: number; column: number } {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const line = lo + 1;
    let from = starts[lo];
    let column = 1;
    const cache = this.cache;
    if (cache.line === line && cache.offset <= offset) {
      from = cache.offset;
      column = cache.column;
    }
    for (let i = from; i < offset; i++) {
      const c = this.text.charCodeAt(i);
      // The low half of a surrogate pair does not start a new column.
      if (c >= 0xdc00 && c <= 0xdfff && i > from) {
        const p = this.text.charCodeAt(i - 1);
        if (p >= 0xd800 && p <= 0xdbff) continue;
      }
      column++;
    }
    this.cache = { offset, line, column };
    return { line, column };
  }

  span(start: number, end: number): Span {
    return { start, end, ...this.locate(start) };
  }

  fail(message: string, offset: number, hint?: string): never {
    const { line, column } = this.locate(offset);
    throw new TermSyntaxError(message, {
      where: { file: this.file, line, column },
      ...(hint === undefined ? {} : { hint }),
    });
  }

  private at(offset: number): string {
    const { line, column } = this.locate(offset);
    return `${line}:${column}`;
  }

  // ---- scanner ----

  advance(): Token {
    const tok = this.tok;
    this.prev = tok;
    this.tok = this.scan();
    return tok;
  }

  private skipSpace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (isWhite(c)) {
        this.pos++;
      } else if (c === 37) {
        const nl = text.indexOf("\n", this.pos);
        this.pos = nl === -1 ? text.length : nl + 1;
      } else {
        return;
      }
    }
  }

  private scan(): Token {
    this.skipSpace();
    const text = this.text;
    const start = this.pos;
    if (start >= text.length) return { kind: "eof", value: "", start, end: start };
    const c = text.charCodeAt(start);
    if (isDigit(c)) return this.number(start);
    if (isLower(c)) {
      this.pos = this.nameEnd(start + 1);
      const value = text.slice(start, this.pos);
      if (value.length > MAX_ATOM_LENGTH) {
        this.fail(`atom is longer than ${MAX_ATOM_LENGTH} characters`, start);
      }
      const reserved = RESERVED_WORDS.has(value) && !NEW_KEYWORDS.has(value);
      return { kind: reserved ? "reserved" : "atom", value, start, end: this.pos };
    }
    if (isUpper(c) || c === 95) {
      this.pos = this.nameEnd(start + 1);
      return { kind: "var", value: text.slice(start, this.pos), start, end: this.pos };
    }
    switch (c) {
      case 34: // "
        return { kind: "string", value: this.quoted(start, "string"), start, end: this.pos };
      case 39: { // '
        const value = this.quoted(start, "quoted atom");
        if (value.length > MAX_ATOM_LENGTH && [...value].length > MAX_ATOM_LENGTH) {
          this.fail(`atom is longer than ${MAX_ATOM_LENGTH} characters`, start);
        }
        return { kind: "atom", value, start, end: this.pos };
      }
      case 36: // $
        return this.char(start);
      case 46: { // .
        this.pos = start + 1;
        const next = text.charCodeAt(this.pos);
        const isDot = this.pos >= text.length || isWhite(next) || next === 37;
        return { kind: isDot ? "dot" : "punct", value: ".", start, end: this.pos };
      }
    }
    // Brackets and commas are most of the punctuation and start no operator.
    if (c === 123 || c === 125 || c === 91 || c === 93 || c === 44) {
      this.pos = start + 1;
      return { kind: "punct", value: text[start], start, end: this.pos };
    }
    for (const op of OPERATORS) {
      if (text.startsWith(op, start)) {
        this.pos = start + op.length;
        return { kind: "punct", value: op, start, end: this.pos };
      }
    }
    const cp = text.codePointAt(start)!;
    this.pos = start + (cp > 0xffff ? 2 : 1);
    return { kind: "punct", value: String.fromCodePoint(cp), start, end: this.pos };
  }

  private nameEnd(from: number): number {
    let i = from;
    while (i < this.text.length && isNameChar(this.text.charCodeAt(i))) i++;
    return i;
  }

  /** Digits of `base` with `_` separators; "" (and no move) when none is at the cursor. */
  private digits(base: number): string {
    const text = this.text;
    let out = "";
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (digitValue(c) < base) {
        out += text[this.pos++];
      } else if (c === 95 && out !== "") {
        if (digitValue(text.charCodeAt(this.pos + 1)) >= base) {
          this.fail(`"_" in a number must sit between two digits`, this.pos);
        }
        this.pos++;
      } else {
        break;
      }
    }
    return out;
  }

  private number(start: number): Token {
    const text = this.text;
    this.pos = start;
    const whole = this.digits(10);
    if (text[this.pos] === "#") {
      const base = Number(whole);
      if (base < 2 || base > 36) {
        this.fail(`integer base "${whole}" is out of range: bases go from 2 to 36`, start);
      }
      this.pos++;
      const digitsAt = this.pos;
      const digits = this.digits(base);
      if (digits === "") {
        this.fail(
          `expected a base-${base} digit after "${text.slice(start, digitsAt)}", found ${
            this.charAt(digitsAt)
          }`,
          digitsAt,
        );
      }
      if (this.pos < text.length && isNameChar(text.charCodeAt(this.pos))) {
        this.fail(
          `invalid digit ${this.charAt(this.pos)} in a base-${base} integer`,
          this.pos,
        );
      }
      let value = 0n;
      const b = BigInt(base);
      for (const d of digits) value = value * b + BigInt(digitValue(d.charCodeAt(0)));
      return { kind: "integer", value, start, end: this.pos };
    }
    if (text[this.pos] === "." && isDigit(text.charCodeAt(this.pos + 1))) {
      this.pos++;
      const fraction = this.digits(10);
      let exponent = "";
      const e = text[this.pos];
      if (e === "e" || e === "E") {
        this.pos++;
        let sign = "";
        if (text[this.pos] === "+" || text[this.pos] === "-") sign = text[this.pos++];
        const digits = this.digits(10);
        if (digits === "") {
          this.fail(
            `expected exponent digits in float "${text.slice(start, this.pos)}", found ${
              this.charAt(this.pos)
            }`,
            this.pos,
          );
        }
        exponent = `e${sign}${digits}`;
      }
      const value = Number(`${whole}.${fraction}${exponent}`);
      if (!Number.isFinite(value)) {
        this.fail(`float "${text.slice(start, this.pos)}" is too large`, start);
      }
      return { kind: "float", value, start, end: this.pos };
    }
    const exponent = /^[eE][+-]?[0-9][0-9_]*/.exec(text.slice(this.pos, this.pos + 40));
    if (exponent) {
      this.fail(
        `a float needs a "." with digits on both sides, found "${text.slice(start, this.pos)}${
          exponent[0]
        }"`,
        start,
        `Write it as ${whole}.0${exponent[0]}`,
      );
    }
    return { kind: "integer", value: BigInt(whole), start, end: this.pos };
  }

  /** The character at `offset` for an error message. */
  private charAt(offset: number): string {
    if (offset >= this.text.length) return "end of input";
    const cp = this.text.codePointAt(offset)!;
    if (cp < 0x20 || cp > 0x7e) {
      return `character U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
    }
    return JSON.stringify(String.fromCodePoint(cp));
  }

  /** Reads the code point at the cursor. */
  private codePoint(): number {
    const cp = this.text.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /**
   * Reads an escape sequence; the cursor is just past the backslash. Calls
   * `unterminated` when the input ends inside it.
   */
  private escape(backslash: number, unterminated: () => never): number {
    const text = this.text;
    if (this.pos >= text.length) unterminated();
    const c = text.charCodeAt(this.pos);
    if (c >= 48 && c <= 55) {
      let value = 0;
      for (let n = 0; n < 3 && this.pos < text.length; n++) {
        const d = text.charCodeAt(this.pos);
        if (d < 48 || d > 55) break;
        value = value * 8 + d - 48;
        this.pos++;
      }
      return value;
    }
    if (c === 120) { // x
      this.pos++;
      let value: number;
      if (text[this.pos] === "{") {
        const close = text.indexOf("}", this.pos);
        const hex = close === -1 ? "" : text.slice(this.pos + 1, close);
        if (!/^[0-9a-fA-F]+$/.test(hex)) {
          this.fail(`expected hex digits and "}" after "\\x{"`, backslash);
        }
        value = parseInt(hex, 16);
        this.pos = close + 1;
      } else {
        const hex = text.slice(this.pos, this.pos + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          if (this.pos >= text.length) unterminated();
          this.fail(`expected two hex digits or "{" after "\\x"`, backslash);
        }
        value = parseInt(hex, 16);
        this.pos += 2;
      }
      if (!isCharacter(value)) {
        this.fail(
          `escape "${text.slice(backslash, this.pos)}" is not a Unicode character`,
          backslash,
        );
      }
      return value;
    }
    if (c === 94) { // ^
      this.pos++;
      if (this.pos >= text.length) unterminated();
      return this.codePoint() & 31;
    }
    const cp = this.codePoint();
    return SIMPLE_ESCAPES[String.fromCharCode(cp)] ?? cp;
  }

  /** Reads a `"string"` or `'atom'` starting at `start`; returns its value. */
  private quoted(start: number, what: string): string {
    const text = this.text;
    const q = text[start];
    const unterminated = (): never =>
      this.fail(
        `unterminated ${what} starting at ${this.at(start)}`,
        start,
      );
    let out = "";
    this.pos = start + 1;
    for (;;) {
      let i = this.pos;
      while (i < text.length && text[i] !== q && text[i] !== "\\") i++;
      out += text.slice(this.pos, i);
      if (i >= text.length) unterminated();
      this.pos = i + 1;
      if (text[i] === q) return out;
      out += String.fromCodePoint(this.escape(i, unterminated));
    }
  }

  private char(start: number): Token {
    this.pos = start + 1;
    const missing = (): never => this.fail(`expected a character after "$"`, start);
    if (this.pos >= this.text.length) missing();
    let value: number;
    if (this.text[this.pos] === "\\") {
      this.pos++;
      value = this.escape(this.pos - 1, missing);
    } else {
      value = this.codePoint();
    }
    return { kind: "char", value: BigInt(value), start, end: this.pos };
  }

  // ---- parser ----

  private isPunct(value: string): boolean {
    return this.tok.kind === "punct" && this.tok.value === value;
  }

  /** Fails on the current token, adding a hint where one helps. */
  private unexpected(expected: string, opener?: Token): never {
    const tok = this.tok;
    let hint: string | undefined;
    if (tok.kind === "punct" && EXPRESSION_OPERATORS.has(tok.value)) {
      hint = "Term files hold plain values: operators and expressions are not evaluated";
    } else if ((tok.kind === "eof" || tok.kind === "dot") && opener) {
      hint = `The "${opener.value}" at ${this.at(opener.start)} is not closed`;
    }
    this.fail(`expected ${expected}, found ${describe(tok)}`, tok.start, hint);
  }

  /** Reads one term at the cursor. */
  term(): Term {
    const tok = this.tok;
    switch (tok.kind) {
      case "atom":
        this.advance();
        return { kind: "atom", value: tok.value, span: this.span(tok.start, tok.end) };
      case "string": {
        const span = this.span(tok.start, tok.end);
        this.advance();
        let value = tok.value;
        while (this.tok.kind === "string") {
          value += this.tok.value;
          span.end = this.advance().end;
        }
        return { kind: "string", value, span };
      }
      case "integer":
      case "char":
        this.advance();
        return { kind: "integer", value: tok.value, span: this.span(tok.start, tok.end) };
      case "float":
        this.advance();
        return { kind: "float", value: tok.value, span: this.span(tok.start, tok.end) };
      case "reserved":
        return this.fail(
          `reserved word "${tok.value}" cannot be an unquoted atom${
            tok.value === "fun" ? " (funs are not allowed in a term file)" : ""
          }`,
          tok.start,
          `Quote it to use it as an atom: '${tok.value}'`,
        );
      case "var":
        return this.fail(
          `variables are not allowed in a term file, found "${tok.value}"`,
          tok.start,
          `Quote it to make an atom: '${tok.value}'`,
        );
      case "punct":
        switch (tok.value) {
          case "{":
          case "[":
          case "#": {
            if (++this.depth > MAX_DEPTH) {
              this.fail(`terms nested more than ${MAX_DEPTH} deep are not supported`, tok.start);
            }
            const term = tok.value === "{"
              ? this.tuple()
              : tok.value === "["
              ? this.list()
              : this.map();
            this.depth--;
            return term;
          }
          case "<<":
            return this.binary();
          case "-":
          case "+":
            return this.signed();
          case "<":
            return this.fail(
              `expected a term, found "<"`,
              tok.start,
              "Pids, ports, references and funs cannot be written in a term file",
            );
        }
    }
    this.trailingComma();
    this.unexpected("a term");
  }

  /** Fails when the cursor is on a closing bracket right after a ",". */
  private trailingComma(): void {
    const tok = this.tok;
    const prev = this.prev;
    const closing = tok.kind === "punct" && ["}", "]", ">>"].includes(tok.value);
    if (closing && prev?.kind === "punct" && prev.value === ",") {
      this.fail(
        `expected a term after ",", found ${describe(tok)}`,
        tok.start,
        `Remove the "," before "${tok.value}": Erlang does not allow a trailing comma`,
      );
    }
  }

  /** After a top-level term: the `.` that ends it. */
  endOfTerm(term: Term): void {
    const tok = this.tok;
    if (tok.kind === "dot") {
      this.advance();
      return;
    }
    if (tok.kind === "eof") {
      this.fail(`missing "." after the term`, term.span!.end, `End each term with "."`);
    }
    if (tok.kind === "punct" && tok.value === ".") this.badDot(tok);
    this.unexpected(`"." after the term`);
  }

  /** Fails on a `.` that runs into the next token. */
  badDot(dot: Token): never {
    this.fail(
      `expected whitespace, a comment or end of input after ".", found ${this.charAt(dot.end)}`,
      dot.end,
    );
  }

  private tuple(): Term {
    const open = this.advance();
    const span = this.span(open.start, open.end);
    const items: Term[] = [];
    if (!this.isPunct("}")) {
      for (;;) {
        items.push(this.term());
        if (this.isPunct(",")) this.advance();
        else if (this.isPunct("}")) break;
        else this.unexpected(`"," or "}" after a tuple element`, open);
      }
    }
    span.end = this.advance().end;
    return { kind: "tuple", items, span };
  }

  private list(): Term {
    const open = this.advance();
    const span = this.span(open.start, open.end);
    const items: Term[] = [];
    let tail: Term | undefined;
    if (!this.isPunct("]")) {
      for (;;) {
        items.push(this.term());
        if (this.isPunct(",")) {
          this.advance();
        } else if (this.isPunct("|")) {
          this.advance();
          tail = this.term();
          if (!this.isPunct("]")) this.unexpected(`"]" after the tail of a list`, open);
          break;
        } else if (this.isPunct("]")) {
          break;
        } else {
          this.unexpected(`",", "|" or "]" after a list element`, open);
        }
      }
    }
    span.end = this.advance().end;
    // Erlang has no separate "list with a list tail": [a|[b|c]] is [a,b|c].
    while (tail?.kind === "list") {
      items.push(...tail.items);
      tail = tail.tail;
    }
    if (tail?.kind === "string") {
      for (const ch of tail.value) {
        items.push({
          kind: "integer",
          value: BigInt(ch.codePointAt(0)!),
          span: { ...tail.span! },
        });
      }
      tail = undefined;
    }
    return tail ? { kind: "list", items, tail, span } : { kind: "list", items, span };
  }

  private map(): Term {
    const hash = this.advance();
    const span = this.span(hash.start, hash.end);
    const tok = this.tok;
    if (tok.kind === "atom" || tok.kind === "reserved") {
      this.fail(
        `records are not allowed in a term file, found "#${tok.value}"`,
        hash.start,
        `Write the record as a tuple: {${tok.value}, ...}`,
      );
    }
    if (!this.isPunct("{")) this.unexpected(`"{" after "#"`);
    const open = this.advance();
    const entries: [Term, Term][] = [];
    if (!this.isPunct("}")) {
      for (;;) {
        const key = this.term();
        if (this.isPunct(":=")) {
          this.fail(
            `expected "=>" after a map key, found ":="`,
            this.tok.start,
            `Write "=>" in a map literal: ":=" only updates a key of an existing map`,
          );
        }
        if (!this.isPunct("=>")) this.unexpected(`"=>" after a map key`, open);
        this.advance();
        const value = this.term();
        const same = entries.findIndex(([k]) => termEquals(k, key));
        if (same === -1) entries.push([key, value]);
        else entries[same][1] = value;
        if (this.isPunct(",")) this.advance();
        else if (this.isPunct("}")) break;
        else this.unexpected(`"," or "}" after a map entry`, open);
      }
    }
    span.end = this.advance().end;
    return { kind: "map", entries, span };
  }

  private signed(): Term {
    const op = this.advance();
    const span = this.span(op.start, op.end);
    const tok = this.tok;
    if (tok.kind !== "integer" && tok.kind !== "char" && tok.kind !== "float") {
      this.unexpected(`a number after "${op.value}"`);
    }
    this.advance();
    span.end = tok.end;
    if (tok.kind === "float") {
      return { kind: "float", value: op.value === "-" ? -tok.value : tok.value, span };
    }
    return { kind: "integer", value: op.value === "-" ? -tok.value : tok.value, span };
  }

  private binary(): Term {
    const open = this.advance();
    const span = this.span(open.start, open.end);
    const bytes: number[] = [];
    if (!this.isPunct(">>")) {
      for (;;) {
        this.segment(bytes);
        if (this.isPunct(",")) this.advance();
        else if (this.isPunct(">>")) break;
        else this.unexpected(`"," or ">>" after a binary segment`, open);
      }
    }
    span.end = this.advance().end;
    return { kind: "binary", bytes: new Uint8Array(bytes), span };
  }

  /** Reads one segment of a binary and appends its bytes. */
  private segment(bytes: number[]): void {
    const first = this.tok;
    let values: bigint[] = [];
    let text: string | undefined;
    if (first.kind === "string") {
      text = (this.term() as TermOf<"string">).value;
    } else if (first.kind === "integer" || first.kind === "char") {
      values = [this.advance().value as bigint];
    } else if (this.isPunct("-") || this.isPunct("+")) {
      const term = this.signed();
      if (term.kind !== "integer") {
        this.fail(`float segments are not supported in binaries`, first.start);
      }
      values = [term.value];
    } else if (first.kind === "float") {
      this.fail(`float segments are not supported in binaries`, first.start);
    } else {
      this.trailingComma();
      this.unexpected("a string, a character or an integer in a binary");
    }

    let size: number | undefined;
    let sizeAt = 0;
    if (this.isPunct(":")) {
      this.advance();
      const tok = this.tok;
      if (tok.kind !== "integer") this.unexpected(`an integer size after ":"`);
      this.advance();
      if (tok.value > BigInt(MAX_SEGMENT_BITS)) {
        this.fail(`segment size ${tok.value} is too large`, tok.start);
      }
      size = Number(tok.value);
      sizeAt = tok.start;
    }

    let type = "integer";
    let typeAt = -1;
    let little = false;
    if (this.isPunct("/")) {
      this.advance();
      for (;;) {
        const tok = this.tok;
        if (tok.kind !== "atom") this.unexpected(`a type after "/" in a binary segment`);
        this.advance();
        switch (tok.value) {
          case "integer":
          case "utf8":
          case "utf16":
          case "utf32":
            if (typeAt !== -1 && type !== tok.value) {
              this.fail(
                `conflicting types "${type}" and "${tok.value}" in a binary segment`,
                tok.start,
              );
            }
            type = tok.value;
            typeAt = tok.start;
            break;
          case "big":
          case "little":
            little = tok.value === "little";
            break;
          case "signed":
          case "unsigned":
            break;
          case "native":
            return this.fail(
              `native byte order is not supported in binaries`,
              tok.start,
              `Write "big" or "little"`,
            );
          case "latin1":
            return this.fail(
              `unknown binary segment type "latin1"`,
              tok.start,
              `Latin-1 is the default: write <<"…">> with no type`,
            );
          case "float":
          case "binary":
          case "bytes":
          case "bitstring":
          case "bits":
          case "unit":
            return this.fail(`binary segment type "${tok.value}" is not supported`, tok.start);
          default:
            return this.fail(`unknown binary segment type ${quoteValue(tok.value)}`, tok.start);
        }
        if (!this.isPunct("-")) break;
        this.advance();
      }
    }

    const bits = size ?? 8;
    if (text !== undefined) {
      if (type === "integer" && bits === 8) {
        // The common case, <<"text">>: one byte per character.
        for (let i = 0; i < text.length; i++) {
          const c = text.charCodeAt(i);
          if (c > 255) {
            const ch = String.fromCodePoint(text.codePointAt(i)!);
            this.fail(
              `character "${ch}" (${ch.codePointAt(0)}) in a binary does not fit in a byte`,
              first.start,
              `Write <<"…"/utf8>> to store the text as UTF-8`,
            );
          }
          bytes.push(c);
        }
        return;
      }
      values = Array.from(text, (ch) => BigInt(ch.codePointAt(0)!));
    }

    if (type !== "integer") {
      if (size !== undefined) {
        this.fail(`a ${type} segment cannot have a size`, sizeAt);
      }
      for (const v of values) {
        if (v < 0n || v > 0x10ffffn || !isCharacter(Number(v))) {
          this.fail(
            `integer ${v} is not a Unicode character, so it cannot be ${type}`,
            first.start,
          );
        }
        encodeUnicode(Number(v), type, little, bytes);
      }
      return;
    }

    if (bits % 8 !== 0) {
      this.fail(
        `segment size ${bits} is not a multiple of 8`,
        sizeAt,
        "A binary here must hold whole bytes",
      );
    }
    const limit = 1n << BigInt(bits);
    for (const v of values) {
      if (v >= limit || -v > limit / 2n) {
        this.fail(
          `integer ${v} does not fit in ${bits} bits`,
          first.start,
          bits === 0
            ? undefined
            : `Use a value from ${-(limit / 2n)} to ${limit - 1n}, or a larger size such as ${v}:${
              bits + 8
            }`,
        );
      }
      const n = BigInt.asUintN(bits, v);
      const at = bytes.length;
      for (let i = bits / 8 - 1; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 255n));
      if (little) bytes.push(...bytes.splice(at).reverse());
    }
  }
}

function encodeUnicode(cp: number, type: string, little: boolean, out: number[]): void {
  if (type === "utf8") {
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) {
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    } else {
      out.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 63),
        0x80 | ((cp >> 6) & 63),
        0x80 | (cp & 63),
      );
    }
    return;
  }
  const units = type === "utf32"
    ? [[cp >>> 24, (cp >> 16) & 255, (cp >> 8) & 255, cp & 255]]
    : (cp < 0x10000 ? [cp] : [0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 1023)])
      .map((u) => [u >> 8, u & 255]);
  for (const unit of units) out.push(...(little ? unit.reverse() : unit));
}
