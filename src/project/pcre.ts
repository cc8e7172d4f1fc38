/**
 * Translating the regular expressions of `exclude_patterns` from Erlang's `re`
 * to JavaScript RegExps, exactly or not at all.
 *
 * rebar3_hex (`src/rebar3_hex_build.erl`, `known_exclude_file/2`) runs each
 * pattern as `re:run(Path, Pattern)` with no options: PCRE 8.x in 8-bit,
 * non-UTF mode, where the path is a list of code points (one above 255 makes
 * `re:run` fail with badarg) and the character tables are OTP's Latin-1 ones.
 * JavaScript reads many PCRE forms differently (`\x{74}` is 74 `x`s, `\p{Ll}`
 * without the `u` flag is `p{Ll}`, `$` does not match before a final newline,
 * `.` does not match `\r`, `\s` matches U+00A0, `\w` and `\b` are ASCII only),
 * so no part of a pattern is passed through as written: it is parsed, and
 * every construct is emitted in an explicit JavaScript form (characters as
 * `\xHH`, classes as explicit sets, anchors as lookarounds). Anything the
 * parser does not know is refused with {@link PcreUnsupported}, never guessed.
 *
 * Character sets are computed over code points 0–255, the only ones
 * `re:run` accepts without the `unicode` option; a negated set also matches
 * everything above 255 (where rebar3_hex itself fails with badarg).
 *
 * @module
 */

/** A PCRE form hexpub does not translate, or a pattern PCRE itself refuses. */
export class PcreUnsupported extends Error {
  /** The offending text of the pattern (`\p{Foo}`, `(?>`). */
  readonly form: string;
  /** Its 1-based position (in characters) in the pattern. */
  readonly position: number;
  /** Why, in a few words. */
  readonly reason: string;

  constructor(form: string, index: number, reason: string) {
    super(`${form} at position ${index + 1}: ${reason}`);
    this.name = "PcreUnsupported";
    this.form = form;
    this.position = index + 1;
    this.reason = reason;
  }
}

/** A set of code points 0–255, plus whether every code point above 255 is in it. */
interface CharSet {
  bits: boolean[];
  above: boolean;
}

const DOMAIN = 256;

function emptySet(): CharSet {
  return { bits: new Array(DOMAIN).fill(false), above: false };
}

/** A set from `[from, to]` ranges. */
function setOf(...ranges: [number, number][]): CharSet {
  const s = emptySet();
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) s.bits[c] = true;
  return s;
}

function negate(s: CharSet): CharSet {
  return { bits: s.bits.map((b) => !b), above: !s.above };
}

function addAll(into: CharSet, from: CharSet): void {
  for (let c = 0; c < DOMAIN; c++) if (from.bits[c]) into.bits[c] = true;
  if (from.above) into.above = true;
}

// OTP's character tables (erts' pcre_chartables.c, Latin-1), as `re:run`
// reports them for each code point 0–255 (probed with OTP 25).
const LETTERS: [number, number][] = [
  [65, 90],
  [97, 122],
  [170, 170],
  [181, 181],
  [186, 186],
  [192, 214],
  [216, 246],
  [248, 255],
];
const DIGITS: [number, number][] = [[48, 57]];
const LOWER: [number, number][] = [[97, 122], [170, 170], [181, 181], [186, 186], [223, 246], [
  248,
  255,
]];
const UPPER: [number, number][] = [[65, 90], [192, 214], [216, 222]];
const SPACE: [number, number][] = [[9, 13], [32, 32]];

const POSIX: Record<string, [number, number][]> = {
  alpha: LETTERS,
  lower: LOWER,
  upper: UPPER,
  alnum: [...DIGITS, ...LETTERS],
  ascii: [[0, 255]],
  blank: [[9, 9], [32, 32]],
  cntrl: [[0, 31], [127, 159]],
  digit: DIGITS,
  graph: [[33, 126], [160, 255]],
  print: [[32, 126], [160, 255]],
  punct: [
    [33, 47],
    [58, 64],
    [91, 96],
    [123, 126],
    [160, 169],
    [171, 180],
    [182, 185],
    [
      187,
      191,
    ],
    [215, 215],
    [247, 247],
  ],
  space: SPACE,
  word: [...DIGITS, [95, 95], ...LETTERS],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};

const WORD = setOf(...POSIX.word);

/** Backslash sets: `\d`, `\w`, `\s`, `\h` (horizontal space) and `\v` (vertical space). */
const ESCAPE_SETS: Record<string, [number, number][]> = {
  d: DIGITS,
  w: POSIX.word,
  s: SPACE,
  h: [[9, 9], [32, 32], [160, 160]],
  v: [[10, 13], [133, 133]],
};

/** The other case of a code point under `(?i)`, in OTP's Latin-1 tables. */
function otherCase(c: number): number | undefined {
  if ((c >= 65 && c <= 90) || (c >= 192 && c <= 222 && c !== 215)) return c + 32;
  if ((c >= 97 && c <= 122) || (c >= 224 && c <= 254 && c !== 247)) return c - 32;
  return undefined;
}

/** The set closed under case (`(?i)`). */
function caseClosed(s: CharSet): CharSet {
  const out: CharSet = { bits: [...s.bits], above: s.above };
  for (let c = 0; c < DOMAIN; c++) {
    const o = otherCase(c);
    if (s.bits[c] && o !== undefined) out.bits[o] = true;
  }
  return out;
}

/**
 * Unicode property names PCRE 8.x knows (general categories and a few
 * long-standing scripts), as JavaScript property escapes. PCRE applies them to
 * code points 0–255 in non-UTF mode too, and no property of those code points
 * has changed between the Unicode versions of PCRE and JavaScript.
 */
const CATEGORIES = [
  "C",
  "Cc",
  "Cf",
  "Cn",
  "Co",
  "Cs",
  "L",
  "Ll",
  "Lm",
  "Lo",
  "Lt",
  "Lu",
  "M",
  "Mc",
  "Me",
  "Mn",
  "N",
  "Nd",
  "Nl",
  "No",
  "P",
  "Pc",
  "Pd",
  "Pe",
  "Pf",
  "Pi",
  "Po",
  "Ps",
  "S",
  "Sc",
  "Sk",
  "Sm",
  "So",
  "Z",
  "Zl",
  "Zp",
  "Zs",
];
const SCRIPTS = [
  "Arabic",
  "Armenian",
  "Common",
  "Cyrillic",
  "Devanagari",
  "Georgian",
  "Greek",
  "Han",
  "Hebrew",
  "Hiragana",
  "Inherited",
  "Katakana",
  "Latin",
  "Thai",
];

/** A JavaScript RegExp testing one property, or a set built from others. */
function propertySet(name: string): CharSet | undefined {
  const test = (re: RegExp): CharSet => {
    const s = emptySet();
    for (let c = 0; c < DOMAIN; c++) s.bits[c] = re.test(String.fromCharCode(c));
    return s;
  };
  if (CATEGORIES.includes(name)) return test(new RegExp(`^\\p{gc=${name}}$`, "u"));
  if (SCRIPTS.includes(name)) return test(new RegExp(`^\\p{sc=${name}}$`, "u"));
  switch (name) {
    case "Any":
      return setOf([0, 255]);
    case "L&":
      return test(/^\p{LC}$/u);
    case "Xan":
      return test(/^[\p{L}\p{N}]$/u);
    case "Xwd":
      return test(/^[\p{L}\p{N}_]$/u);
    case "Xps":
    case "Xsp":
      return test(/^[\p{Z}\t\n\v\f\r\x85]$/u);
    case "Xuc":
      return test(/^[$@`\xa0-\xff]$/u);
  }
  return undefined;
}

/** `\xHH` for one code point 0–255. */
function hex(c: number): string {
  return "\\x" + c.toString(16).padStart(2, "0");
}

/** A set as a JavaScript class (for the `u` flag). */
function emitSet(s: CharSet): string {
  let out = "";
  for (let c = 0; c < DOMAIN; c++) {
    if (!s.bits[c]) continue;
    let end = c;
    while (end + 1 < DOMAIN && s.bits[end + 1]) end++;
    out += end === c ? hex(c) : end === c + 1 ? hex(c) + hex(end) : `${hex(c)}-${hex(end)}`;
    c = end;
  }
  if (s.above) out += "\\u{100}-\\u{10ffff}";
  return out === "" ? "[^\\s\\S]" : `[${out}]`;
}

const ANY = "[\\s\\S]";
const WORD_CLASS = emitSet(WORD);
const BOUNDARY = `(?:(?<=${WORD_CLASS})(?!${WORD_CLASS})|(?<!${WORD_CLASS})(?=${WORD_CLASS}))`;
const NOT_BOUNDARY = `(?:(?<=${WORD_CLASS})(?=${WORD_CLASS})|(?<!${WORD_CLASS})(?!${WORD_CLASS}))`;
const START = `(?<!${ANY})`;
const END = `(?!${ANY})`;

/** Option letters of `(?…)`: caseless, multiline, dotall, extended, ungreedy. */
interface Options {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  U: boolean;
}

/** One parsed piece: its JavaScript text and the number of characters it matches (`undefined`: varies). */
interface Piece {
  js: string;
  width: number | undefined;
  /** Zero-width assertions cannot take a quantifier. */
  assertion?: boolean;
  /** The {@link Translator.risks} entries inside the piece, as `[from, to)`. */
  risks?: [number, number];
  /** Text before the piece that a quantifier does not repeat (the head of `\Q…\E`). */
  prefix?: { js: string; width: number };
}

const MAX_REPEAT = 65535;
const MAX_NAME = 32;

/**
 * Items that OTP's PCRE mis-optimises: it makes a repeat possessive when it
 * believes the next item cannot match what the repeat matches ("auto-
 * possessification"), and for these pairs it is wrong (probed on OTP 25:
 * `\S*\h` does not match "a\xa0", `\PN*\PL` does not match "{", `.*\R` nor
 * `\R*.` match as they should). A repeat of one kind with an item of a kind it
 * pairs with anywhere in the pattern is refused, since hexpub cannot
 * reproduce the mistake.
 */
type Risk = "prop" | "hv" | "S" | "s" | "dot";

function riskyPair(a: Risk, b: Risk): boolean {
  return (a === "prop" && b === "prop") || a === "hv" || b === "hv";
}

class Translator {
  private i = 0;
  /** Items of the kinds in {@link Risk}, in pattern order. */
  private readonly risks: { kind: Risk; at: number; length: number; repeated: boolean }[] = [];
  /** Capture groups the output uses (atomic groups are emulated with one each). */
  private captures = 0;
  private readonly names = new Set<string>();
  /** Depth of lookbehinds being parsed: no emulated atomic group inside one. */
  private behind = 0;

  constructor(private readonly src: string) {}

  translate(): string {
    const out = this.alternation({ i: false, m: false, s: false, x: false, U: false });
    if (this.i < this.src.length) this.fail(1, "unmatched closing parenthesis");
    this.checkAutoPossessify();
    return out.js;
  }

  private risk(kind: Risk, at: number): void {
    this.risks.push({ kind, at, length: this.i - at, repeated: false });
  }

  /** Refuses a repeat PCRE would turn possessive by mistake (see {@link Risk}). */
  private checkAutoPossessify(): void {
    for (const x of this.risks) {
      if (!x.repeated) continue;
      const y = this.risks.find((y) => y !== x && riskyPair(x.kind, y.kind));
      if (y) {
        const form = this.src.slice(y.at, y.at + y.length);
        this.fail(
          x.length,
          `OTP's PCRE wrongly makes this repeat possessive before ${form} (position ${
            y.at + 1
          }); hexpub cannot reproduce that: write the repeat possessive (*+, ++, ?+), which is what OTP runs`,
          x.at,
        );
      }
    }
  }

  private fail(length: number, reason: string, at = this.i): never {
    throw new PcreUnsupported(this.src.slice(at, at + Math.max(length, 1)), at, reason);
  }

  private peek(offset = 0): string {
    return this.src[this.i + offset] ?? "";
  }

  /** Alternatives up to a `)` or the end; option changes carry over `|`, as in PCRE. */
  private alternation(outer: Options): Piece {
    const opts = { ...outer };
    const branches: Piece[] = [this.sequence(opts)];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.sequence(opts));
    }
    const widths = new Set(branches.map((b) => b.width));
    return {
      js: branches.map((b) => b.js).join("|"),
      width: widths.size === 1 ? branches[0].width : undefined,
    };
  }

  /** Skips white space and `#` comments in extended mode. */
  private skipExtended(opts: Options): void {
    if (!opts.x) return;
    while (this.i < this.src.length) {
      const c = this.peek();
      if (/[\t\n\v\f\r ]/.test(c)) this.i++;
      else if (c === "#") {
        while (this.i < this.src.length && this.peek() !== "\n") this.i++;
      } else return;
    }
  }

  private sequence(opts: Options): Piece {
    let js = "";
    let width: number | undefined = 0;
    let last: Piece | undefined;
    const flush = () => {
      if (!last) return;
      js += (last.prefix?.js ?? "") + last.js;
      const w = last.width === undefined ? undefined : last.width + (last.prefix?.width ?? 0);
      width = width === undefined || w === undefined ? undefined : width + w;
      last = undefined;
    };
    while (true) {
      this.skipExtended(opts);
      const c = this.peek();
      if (c === "" || c === "|" || c === ")") break;
      const start = this.i;
      const quantifier = this.quantifier();
      if (quantifier) {
        if (!last) this.fail(this.i - start, "quantifier with nothing to repeat", start);
        if (last.assertion) {
          this.fail(this.i - start, "hexpub does not repeat an assertion", start);
        }
        last = this.repeat(last, quantifier, opts, start);
        flush();
        continue;
      }
      flush();
      const from = this.risks.length;
      last = this.atom(opts);
      last.risks = [from, this.risks.length];
    }
    flush();
    return { js, width };
  }

  /** Reads `*`, `+`, `?` or `{n}`, `{n,}`, `{n,m}` with a lazy `?` or possessive `+`. */
  private quantifier():
    | { min: number; max: number | undefined; mode: "" | "?" | "+" }
    | undefined {
    const c = this.peek();
    let min: number, max: number | undefined;
    if (c === "*" || c === "+" || c === "?") {
      this.i++;
      [min, max] = c === "*" ? [0, undefined] : c === "+" ? [1, undefined] : [0, 1];
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return undefined;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? undefined : Number(m[3]);
      if (min > MAX_REPEAT || (max ?? 0) > MAX_REPEAT) {
        this.fail(m[0].length, "number too big in {} quantifier");
      }
      if (max !== undefined && max < min) {
        this.fail(m[0].length, "numbers out of order in {} quantifier");
      }
      this.i += m[0].length;
    } else return undefined;
    let mode: "" | "?" | "+" = "";
    if (this.peek() === "?" || this.peek() === "+") mode = this.src[this.i++] as "?" | "+";
    return { min, max, mode };
  }

  private repeat(
    atom: Piece,
    q: { min: number; max: number | undefined; mode: "" | "?" | "+" },
    opts: Options,
    start: number,
  ): Piece {
    if (q.max !== q.min && q.mode !== "+" && atom.risks) {
      for (let k = atom.risks[0]; k < atom.risks[1]; k++) this.risks[k].repeated = true;
    }
    const next = this.peek();
    if (
      next === "*" || next === "+" || next === "?" || /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i))
    ) {
      this.fail(this.i - start + 1, "hexpub does not read a quantifier after a quantifier", start);
    }
    const count = q.max === q.min
      ? (q.min === 1 ? "" : `{${q.min}}`)
      : q.min === 0 && q.max === undefined
      ? "*"
      : q.min === 1 && q.max === undefined
      ? "+"
      : q.min === 0 && q.max === 1
      ? "?"
      : `{${q.min},${q.max ?? ""}}`;
    const fixed = q.max === q.min;
    const width = fixed && atom.width !== undefined ? atom.width * q.min : undefined;
    const prefix = atom.prefix;
    if (q.mode === "+") {
      return { js: this.atomic(atom.js + count, start), width, prefix };
    }
    // (?U) swaps greedy and lazy; a fixed count has nothing to choose.
    const lazy = !fixed && ((q.mode === "?") !== opts.U);
    return { js: atom.js + count + (lazy ? "?" : ""), width, prefix };
  }

  /** An atomic group, emulated as a lookahead capture matched again by backreference. */
  private atomic(body: string, at: number): string {
    if (this.behind > 0) {
      this.fail(2, "hexpub does not read atomic matching inside a lookbehind", at);
    }
    // Named, so that nesting does not matter (JavaScript numbers groups by their opening).
    const name = `a${++this.captures}`;
    return `(?:(?=(?<${name}>${body}))\\k<${name}>)`;
  }

  private literal(c: number, opts: Options): Piece {
    const o = opts.i ? otherCase(c) : undefined;
    return { js: o === undefined ? hex(c) : `[${hex(c)}${hex(o)}]`, width: 1 };
  }

  private set(s: CharSet): Piece {
    return { js: emitSet(s), width: 1 };
  }

  private atom(opts: Options): Piece {
    const start = this.i;
    const c = this.src[this.i++];
    switch (c) {
      case "(":
        return this.group(opts, start);
      case "[":
        // PCRE refuses [:alpha:] outside a class; hexpub refuses every such look-alike.
        if (/^[:.=]/.test(this.peek())) {
          this.fail(2, "POSIX classes are read only inside a class, as in [[:alpha:]]", start);
        }
        return this.set(this.charClass(opts, start));
      case ".":
        this.risk("dot", start);
        return { js: opts.s ? ANY : emitSet(negate(setOf([10, 10]))), width: 1 };
      case "^":
        return {
          js: opts.m ? `(?:${START}|(?<=\\n)(?=${ANY}))` : START,
          width: 0,
          assertion: true,
        };
      case "$":
        return {
          js: opts.m ? `(?=\\n|${END})` : `(?=\\n?${END})`,
          width: 0,
          assertion: true,
        };
      case "\\":
        return this.escape(opts, start);
    }
    const code = c.charCodeAt(0);
    if (code > 255) {
      this.fail(
        1,
        "characters above \\xff need the unicode option, which rebar3_hex does not set",
        start,
      );
    }
    return this.literal(code, opts);
  }

  private group(outer: Options, start: number): Piece {
    const rest = this.src.slice(this.i);
    if (rest.startsWith("*")) this.fail(2, "hexpub does not read PCRE verbs (*…)", start);
    if (!rest.startsWith("?")) return this.body(outer, start, (js) => `(?:${js})`);
    this.i++;
    const kind = this.peek();
    if (kind === "#") {
      const end = this.src.indexOf(")", this.i);
      if (end < 0) this.fail(2, "missing ) after comment", start);
      this.i = end + 1;
      return { js: "", width: 0, assertion: true };
    }
    if (kind === ":" || kind === "|") {
      this.i++;
      return this.body(outer, start, (js) => `(?:${js})`);
    }
    if (kind === ">") {
      this.i++;
      return this.body(outer, start, (js) => this.atomic(js, start));
    }
    if (kind === "=" || kind === "!") {
      this.i++;
      return { ...this.body(outer, start, (js) => `(?${kind}${js})`), width: 0, assertion: true };
    }
    if (rest.startsWith("?<=") || rest.startsWith("?<!")) {
      const sign = rest[2];
      this.i += 2;
      this.behind++;
      const piece = this.alternationIn(outer, start);
      this.behind--;
      return { js: `(?<${sign}${piece})`, width: 0, assertion: true };
    }
    const named = /^(?:P?<|')([A-Za-z_][A-Za-z0-9_]*)([>'])/.exec(this.src.slice(this.i));
    if (named) {
      const [whole, name, close] = named;
      if ((whole.startsWith("'") ? "'" : ">") !== close) {
        this.fail(whole.length + 2, "syntax error in subpattern name", start);
      }
      if (name.length > MAX_NAME) this.fail(whole.length + 2, "subpattern name too long", start);
      if (this.names.has(name)) {
        this.fail(whole.length + 2, "two named subpatterns have the same name", start);
      }
      this.names.add(name);
      this.i += whole.length;
      return this.body(outer, start, (js) => `(?:${js})`);
    }
    const flags = /^(?=[-imsxU]*[imsxU])([imsxU]*)(?:-([imsxU]*))?([:)])/.exec(
      this.src.slice(this.i),
    );
    if (flags) {
      const [whole, on, off, end] = flags;
      const opts = { ...outer };
      for (const f of on) opts[f as keyof Options] = true;
      for (const f of off ?? "") opts[f as keyof Options] = false;
      this.i += whole.length;
      if (end === ")") {
        // An option setting applies to the rest of the enclosing group.
        Object.assign(outer, opts);
        return { js: "", width: 0, assertion: true };
      }
      return this.body(opts, start, (js) => `(?:${js})`);
    }
    const form = /^[^)]{0,3}/.exec(this.src.slice(this.i))![0];
    this.fail(
      2 + form.length,
      "hexpub does not read this group form (conditions, recursion, back references, callouts and the J and X options are refused)",
      start,
    );
  }

  /** A group's alternatives up to its `)`, wrapped by `wrap`. */
  private body(outer: Options, start: number, wrap: (js: string) => string): Piece {
    const inner = this.alternationIn(outer, start);
    return { js: wrap(inner), width: this.lastWidth };
  }

  private lastWidth: number | undefined = 0;

  private alternationIn(outer: Options, start: number): string {
    const piece = this.alternation(outer);
    if (this.peek() !== ")") this.fail(1, "missing ) for this group", start);
    this.i++;
    if (this.behind > 0 && piece.width === undefined) {
      this.fail(
        this.i - start,
        "lookbehind alternatives must each match a fixed number of characters",
        start,
      );
    }
    this.lastWidth = piece.width;
    return piece.js;
  }

  /** A character value escape: `\xhh`, `\x{h…}`, `\0oo`, `\o{o…}`, `\cX`, `\a` `\e` `\f` `\n` `\r` `\t`. */
  private charEscape(letter: string, start: number): number | undefined {
    const simple: Record<string, number> = { a: 7, e: 27, f: 12, n: 10, r: 13, t: 9 };
    if (letter in simple) return simple[letter];
    const rest = this.src.slice(this.i);
    const tooLarge = (v: number, len: number) => {
      if (v > 255) {
        this.fail(this.i + len - start, "character value above \\xff (needs unicode mode)", start);
      }
    };
    if (letter === "x") {
      if (rest.startsWith("{")) {
        const m = /^\{([0-9a-fA-F]+)\}/.exec(rest);
        if (!m) this.fail(this.i + 1 - start, "hexpub reads \\x{ only as \\x{hex digits}", start);
        tooLarge(parseInt(m[1], 16), m[0].length);
        this.i += m[0].length;
        return parseInt(m[1], 16);
      }
      const m = /^[0-9a-fA-F]{0,2}/.exec(rest)![0];
      this.i += m.length;
      return m === "" ? 0 : parseInt(m, 16);
    }
    if (letter === "o") {
      const m = /^\{([0-7]+)\}/.exec(rest);
      if (!m) this.fail(this.i - start, "\\o must be followed by {octal digits}", start);
      tooLarge(parseInt(m[1], 8), m[0].length);
      this.i += m[0].length;
      return parseInt(m[1], 8);
    }
    if (letter === "0") {
      const m = /^[0-7]{0,2}/.exec(rest)![0];
      this.i += m.length;
      return m === "" ? 0 : parseInt(m, 8);
    }
    if (letter === "c") {
      const x = this.peek();
      if (x === "" || x.charCodeAt(0) < 32 || x.charCodeAt(0) > 126) {
        this.fail(this.i + 1 - start, "\\c must be followed by a printable ASCII character", start);
      }
      this.i++;
      return x.toUpperCase().charCodeAt(0) ^ 0x40;
    }
    return undefined;
  }

  /** `\d \D \w \W \s \S \h \H \v \V \p{…} \P{…}`, or `undefined`. */
  private setEscape(letter: string, start: number): CharSet | undefined {
    const lower = letter.toLowerCase();
    if (lower in ESCAPE_SETS) {
      const s = setOf(...ESCAPE_SETS[lower]);
      return letter === lower ? s : negate(s);
    }
    if (lower !== "p") return undefined;
    const m = /^(?:\{(\^?)([A-Za-z&]+)\}|([A-Z]))/.exec(this.src.slice(this.i));
    if (!m) this.fail(this.i + 1 - start, "malformed \\p or \\P", start);
    this.i += m[0].length;
    const name = m[2] ?? m[3];
    const s = propertySet(name);
    if (!s) {
      this.fail(
        this.i - start,
        "unknown property name (hexpub reads general categories, L&, Any, Xan, Xps, Xsp, Xwd, Xuc and common scripts)",
        start,
      );
    }
    return (letter === "P") !== (m[1] === "^") ? negate(s) : s;
  }

  private escape(opts: Options, start: number): Piece {
    const letter = this.src[this.i++];
    if (letter === undefined) this.fail(1, "\\ at end of pattern", start);
    const value = this.charEscape(letter, start);
    if (value !== undefined) return this.literal(value, opts);
    const set = this.setEscape(letter, start);
    if (set) {
      if (letter === "p" || letter === "P") this.risk("prop", start);
      else if ("hHvV".includes(letter)) this.risk("hv", start);
      else if (letter === "S" || letter === "s") this.risk(letter, start);
      return this.set(set);
    }
    switch (letter) {
      case "Q": {
        const end = this.src.indexOf("\\E", this.i);
        const text = [...this.src.slice(this.i, end < 0 ? undefined : end)];
        this.i = end < 0 ? this.src.length : end + 2;
        if (text.length === 0) return { js: "", width: 0, assertion: true };
        const codes = text.map((ch) => ch.codePointAt(0)!);
        if (codes.some((code) => code > 255)) {
          this.fail(this.i - start, "characters above \\xff need the unicode option", start);
        }
        // A quantifier after \Q…\E repeats only its last character.
        const last = this.literal(codes.pop()!, opts);
        const prefix = codes.map((code) => this.literal(code, opts).js).join("");
        return { ...last, prefix: { js: prefix, width: codes.length } };
      }
      case "E":
        return { js: "", width: 0, assertion: true };
      case "A":
        return { js: START, width: 0, assertion: true };
      case "z":
        return { js: END, width: 0, assertion: true };
      case "Z":
        return { js: `(?=\\n?${END})`, width: 0, assertion: true };
      case "b":
        return { js: BOUNDARY, width: 0, assertion: true };
      case "B":
        return { js: NOT_BOUNDARY, width: 0, assertion: true };
      case "N":
        if (this.peek() === "{") this.fail(2, "\\N{name} is not supported by PCRE", start);
        this.risk("dot", start);
        return this.set(negate(setOf([10, 10])));
      case "R":
        if (this.behind > 0) this.fail(2, "\\R has no fixed length in a lookbehind", start);
        this.risk("hv", start);
        return { js: this.atomic("\\r\\n|[\\n\\x0b\\x0c\\r\\x85]", start), width: undefined };
    }
    if (/[0-9A-Za-z]/.test(letter)) {
      const reason = /[1-9]/.test(letter) || letter === "g" || letter === "k"
        ? "hexpub does not read back references"
        : "hexpub does not read this escape";
      this.fail(2, reason, start);
    }
    const code = letter.charCodeAt(0);
    if (code > 255) this.fail(2, "characters above \\xff need the unicode option", start);
    return this.literal(code, opts);
  }

  /** A `[…]` class, the `[` already read. */
  private charClass(opts: Options, start: number): CharSet {
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.i++;
    }
    const out = emptySet();
    let first = true;
    while (true) {
      const at = this.i;
      const c = this.src[this.i++];
      if (c === undefined) this.fail(1, "missing terminating ] for character class", start);
      if (c === "]" && !first) break;
      first = false;
      const item = this.classItem(c, opts, at);
      if (item.set) {
        addAll(out, item.set);
        if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== "") {
          this.fail(this.i + 1 - at, "hexpub does not read a range from a class escape", at);
        }
        continue;
      }
      const low = item.char!;
      let high = low;
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== "") {
        this.i++;
        const endAt = this.i;
        const e = this.src[this.i++];
        const end = this.classItem(e, opts, endAt);
        if (end.set) this.fail(this.i - at, "hexpub does not read a range to a class escape", at);
        high = end.char!;
        if (high < low) this.fail(this.i - at, "range out of order in character class", at);
      }
      const range = setOf([low, high]);
      addAll(out, opts.i ? caseClosed(range) : range);
    }
    return negated ? negate(out) : out;
  }

  /** One member of a class: a character or a set. `c` is already read. */
  private classItem(c: string, opts: Options, at: number): { char?: number; set?: CharSet } {
    if (c === "[") {
      const posix = /^([:.=])(\^?)([a-z]*)\1\]/.exec(this.src.slice(this.i));
      if (posix) {
        if (posix[1] !== ":") {
          this.fail(posix[0].length + 1, "POSIX collating elements are not supported", at);
        }
        let name = posix[3];
        const ranges = POSIX[name];
        if (!ranges) this.fail(posix[0].length + 1, "unknown POSIX class name", at);
        // Under (?i), PCRE widens [:upper:] and [:lower:] to all letters.
        if (opts.i && (name === "upper" || name === "lower")) name = "alpha";
        this.i += posix[0].length;
        const s = setOf(...POSIX[name]);
        return { set: posix[2] ? negate(s) : s };
      }
      if (/^[:.=]/.test(this.peek())) {
        this.fail(2, "hexpub does not read [: [. or [= inside a class except as a POSIX class", at);
      }
    }
    if (c === "\\") {
      const letter = this.src[this.i++];
      if (letter === undefined) this.fail(1, "\\ at end of pattern", at);
      if (letter === "b") return { char: 8 };
      const value = this.charEscape(letter, at);
      if (value !== undefined) return { char: value };
      const set = this.setEscape(letter, at);
      if (set) return { set };
      if (letter === "Q" || letter === "E") {
        this.fail(2, "hexpub does not read \\Q…\\E inside a class", at);
      }
      if (/[0-9A-Za-z]/.test(letter)) {
        this.fail(2, "hexpub does not read this escape in a class", at);
      }
      c = letter;
    }
    const code = c.charCodeAt(0);
    if (code > 255) this.fail(1, "characters above \\xff need the unicode option", at);
    return { char: code };
  }
}

/**
 * Translates one pattern of `exclude_patterns` to the source of an equivalent
 * JavaScript RegExp (to be compiled with the `u` flag).
 *
 * @param pattern The pattern as written in the `.app.src`.
 * @returns RegExp source matching exactly the code points 0–255 strings `re:run` matches.
 * @throws {PcreUnsupported} For a form hexpub does not translate, or an invalid pattern.
 */
export function translatePcre(pattern: string): string {
  return new Translator(pattern).translate();
}

/**
 * Compiles one pattern of `exclude_patterns` as `re:run(Path, Pattern)` reads it.
 *
 * @param pattern The pattern as written in the `.app.src`.
 * @returns An unanchored RegExp (test it with `.test(path)`).
 * @throws {PcreUnsupported} For a form hexpub does not translate, or an invalid pattern.
 */
export function pcreRegExp(pattern: string): RegExp {
  return new RegExp(translatePcre(pattern), "u");
}
