import assert from "node:assert/strict";
import { TermSyntaxError } from "../../src/errors.ts";
import { readTerm, readTerms, RESERVED_WORDS } from "../../src/erlang/read_terms.ts";
import { printTerm } from "../../src/erlang/print_term.ts";
import {
  atom,
  bin,
  int,
  list,
  proplistGet,
  str,
  type Term,
  termEquals,
  type TermOf,
  textOf,
  tuple,
} from "../../src/erlang/term.ts";

const FILE = "t.config";

/** Reads text holding one term file entry. */
function read1(text: string): Term {
  const terms = readTerms(text, FILE);
  assert.equal(terms.length, 1, `expected one term in ${JSON.stringify(text)}`);
  return terms[0];
}

function assertTerm(actual: Term, expected: Term): void {
  assert.ok(
    termEquals(actual, expected),
    `read ${printTerm(actual)}, expected ${printTerm(expected)}`,
  );
}

function float(value: number): Term {
  return { kind: "float", value };
}

function bytes(...values: number[]): Term {
  return { kind: "binary", bytes: new Uint8Array(values) };
}

function improper(items: Term[], tail: Term): Term {
  return { kind: "list", items, tail };
}

function map(...entries: [Term, Term][]): Term {
  return { kind: "map", entries };
}

/** Runs `fn`, which must throw a TermSyntaxError, and returns it. */
function syntaxError(fn: () => unknown): TermSyntaxError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TermSyntaxError, `threw ${error}`);
    return error;
  }
  assert.fail("expected a TermSyntaxError");
}

type ErrorCase = [text: string, message: string, line: number, column: number, hint?: RegExp];

function assertErrors(
  cases: ErrorCase[],
  read: (text: string) => unknown = (text) => readTerms(text, FILE),
): void {
  for (const [text, message, line, column, hint] of cases) {
    const error = syntaxError(() => read(text));
    assert.deepEqual(
      { text, message: error.message, where: error.where },
      { text, message, where: { file: FILE, line, column } },
    );
    if (hint) assert.match(error.hint ?? "", hint, text);
  }
}

// ---- atoms and variables ----

Deno.test("readTerms() reads unquoted atoms", () => {
  for (const name of ["a", "ok", "hello_world", "node@host", "aB9_@", "true", "false", "é", "ßx"]) {
    assertTerm(read1(`${name}.`), atom(name));
  }
});

Deno.test("readTerms() reads quoted atoms with escapes", () => {
  assertTerm(read1("''."), atom(""));
  assertTerm(read1("'Hello World'."), atom("Hello World"));
  assertTerm(read1("'case'."), atom("case"));
  assertTerm(read1(String.raw`'it\'s \\ "x"\n'.`), atom(`it's \\ "x"\n`));
  assertTerm(read1(String.raw`'\x{1F600}😀'.`), atom("😀😀"));
  assertTerm(read1(`'${"é".repeat(255)}'.`), atom("é".repeat(255)));
});

Deno.test("readTerms() rejects every reserved word as an unquoted atom", () => {
  assert.equal(RESERVED_WORDS.size, 29);
  for (const word of RESERVED_WORDS) {
    if (word === "maybe" || word === "else") continue;
    const error = syntaxError(() => readTerms(`{key,\n  ${word}}.`, FILE));
    assert.match(error.message, new RegExp(`^reserved word "${word}" cannot be an unquoted atom`));
    assert.deepEqual(error.where, { file: FILE, line: 2, column: 3 });
    assert.equal(error.hint, `Quote it to use it as an atom: '${word}'`);
    assertTerm(read1(`'${word}'.`), atom(word));
  }
});

Deno.test("readTerms() reads `maybe` and `else` unquoted, as OTP 26 and earlier do", () => {
  assertTerm(read1("{maybe, else}."), tuple(atom("maybe"), atom("else")));
});

Deno.test("readTerms() rejects variables", () => {
  assertErrors([
    ["{ok, Foo}.", `variables are not allowed in a term file, found "Foo"`, 1, 6, /'Foo'/],
    ["[_].", `variables are not allowed in a term file, found "_"`, 1, 2],
    ["\n  _Ignored.", `variables are not allowed in a term file, found "_Ignored"`, 2, 3],
    ["Élan.", `variables are not allowed in a term file, found "Élan"`, 1, 1],
  ]);
});

// ---- strings, characters and escapes ----

Deno.test("readTerms() reads strings, concatenating adjacent literals", () => {
  assertTerm(read1(`"".`), str(""));
  assertTerm(read1(`"hello, world".`), str("hello, world"));
  assertTerm(read1(`"ab" "cd".`), str("abcd"));
  assertTerm(read1(`"ab" % comment\n  "cd"\n"" "e".`), str("abcde"));
  assertTerm(read1(`"line one\nline two".`), str("line one\nline two"));
  assertTerm(read1(`"héllo wörld ✓ 😀 𝄞".`), str("héllo wörld ✓ 😀 𝄞"));
  assertTerm(read1(`"a % not a comment".`), str("a % not a comment"));
  assertTerm(read1(`"it's".`), str("it's"));
});

const ESCAPES: [escape: string, codes: number[]][] = [
  ["\\b", [8]],
  ["\\d", [127]],
  ["\\e", [27]],
  ["\\f", [12]],
  ["\\n", [10]],
  ["\\r", [13]],
  ["\\s", [32]],
  ["\\t", [9]],
  ["\\v", [11]],
  ["\\\\", [92]],
  ['\\"', [34]],
  ["\\'", [39]],
  ["\\0", [0]],
  ["\\7", [7]],
  ["\\07", [7]],
  ["\\101", [65]],
  ["\\1012", [65, 50]],
  ["\\777", [511]],
  ["\\08", [0, 56]],
  ["\\8", [56]],
  ["\\x41", [65]],
  ["\\xfF", [255]],
  ["\\x412", [65, 50]],
  ["\\x{1F600}", [0x1f600]],
  ["\\x{0041}", [65]],
  ["\\x{10FFFF}", [0x10ffff]],
  ["\\^a", [1]],
  ["\\^A", [1]],
  ["\\^Z", [26]],
  ["\\^@", [0]],
  ["\\^?", [31]],
  ["\\q", [113]],
  ["\\z", [122]],
  ["\\ ", [32]],
  ["\\\n", [10]],
  ["\\é", [233]],
  ["\\😀", [0x1f600]],
];

Deno.test("readTerms() decodes every escape in strings, quoted atoms and characters", () => {
  for (const [escape, expected] of ESCAPES) {
    const text = String.fromCodePoint(...expected);
    assertTerm(read1(`"${escape}".`), str(text));
    assertTerm(read1(`'${escape}'.`), atom(text));
    if (expected.length === 1) assertTerm(read1(`$${escape}.`), int(expected[0]));
  }
});

Deno.test("readTerms() reads characters as integers", () => {
  assertTerm(read1("$a."), int(97));
  assertTerm(read1("$ ."), int(32));
  assertTerm(read1("$$."), int(36));
  assertTerm(read1(`$".`), int(34));
  assertTerm(read1("$%."), int(37));
  assertTerm(read1("$\n."), int(10));
  assertTerm(read1("$é."), int(233));
  assertTerm(read1("$😀."), int(0x1f600));
  assertTerm(read1("-$a."), int(-97));
  assertTerm(read1("[$a,$b|$c]."), improper([int(97), int(98)], int(99)));
});

Deno.test("readTerms() rejects bad strings, characters and escapes", () => {
  assertErrors([
    [`{a,\n  "abc\n}.`, "unterminated string starting at 2:3", 2, 3],
    ["'abc", "unterminated quoted atom starting at 1:1", 1, 1],
    [`x. "a\\`, "unterminated string starting at 1:4", 1, 4],
    [`"a\\^`, "unterminated string starting at 1:1", 1, 1],
    ["$", `expected a character after "$"`, 1, 1],
    ["$\\", `expected a character after "$"`, 1, 1],
    [`"\\x1".`, `expected two hex digits or "{" after "\\x"`, 1, 2],
    [`"ab\\xg0".`, `expected two hex digits or "{" after "\\x"`, 1, 4],
    [`"\\x{}".`, `expected hex digits and "}" after "\\x{"`, 1, 2],
    [`"\\x{12".`, `expected hex digits and "}" after "\\x{"`, 1, 2],
    [`'\\x{110000}'.`, `escape "\\x{110000}" is not a Unicode character`, 1, 2],
    [`$\\x{D800}.`, `escape "\\x{D800}" is not a Unicode character`, 1, 2],
    [`'${"a".repeat(256)}'.`, "atom is longer than 255 characters", 1, 1],
    [`{x, ${"a".repeat(256)}}.`, "atom is longer than 255 characters", 1, 5],
  ]);
});

// ---- numbers ----

Deno.test("readTerms() reads integers", () => {
  const cases: [string, bigint][] = [
    ["0", 0n],
    ["42", 42n],
    ["007", 7n],
    ["-7", -7n],
    ["+7", 7n],
    ["- 7", -7n],
    ["- % sign, then a comment\n 7", -7n],
    ["1_000_000", 1000000n],
    ["2#1010", 10n],
    ["-2#1010", -10n],
    ["8#777", 511n],
    ["16#ff", 255n],
    ["16#FF", 255n],
    ["16#f_f", 255n],
    ["1_6#10", 16n],
    ["36#Z", 35n],
    ["36#zz", 1295n],
    ["123456789012345678901234567890", 123456789012345678901234567890n],
    ["-16#FFFFFFFFFFFFFFFFFFFF", -0xffffffffffffffffffffn],
  ];
  for (const [text, value] of cases) assertTerm(read1(`${text}.`), int(value));
});

Deno.test("readTerms() reads floats", () => {
  const cases: [string, number][] = [
    ["1.0", 1],
    ["0.1", 0.1],
    ["-2.5e-3", -0.0025],
    ["1.0E10", 1e10],
    ["1.0e+3", 1000],
    ["1_0.5", 10.5],
    ["1.0_5", 1.05],
    ["1.0e1_0", 1e10],
    ["+1.5", 1.5],
    ["5.0e-324", 5e-324],
    ["1.7976931348623157e308", 1.7976931348623157e308],
  ];
  for (const [text, value] of cases) assertTerm(read1(`${text}.`), float(value));
  const negativeZero = read1("-0.0.");
  assert.ok(negativeZero.kind === "float" && Object.is(negativeZero.value, -0));
});

Deno.test("readTerms() reads `1.` before whitespace or the end as an integer and the end of the term", () => {
  assertTerm(read1("1."), int(1));
  assertTerm(read1("1.\n"), int(1));
  assertTerm(read1("1.% comment"), int(1));
  assert.equal(readTerms("1. 2.\t3.", FILE).length, 3);
});

Deno.test("readTerms() rejects malformed numbers", () => {
  assertErrors([
    ["1e10.", `a float needs a "." with digits on both sides, found "1e10"`, 1, 1, /1\.0e10/],
    [
      "{x, 2E-3}.",
      `a float needs a "." with digits on both sides, found "2E-3"`,
      1,
      5,
      /Write it as 2\.0E-3$/,
    ],
    ["1.e3.", `expected whitespace, a comment or end of input after ".", found "e"`, 1, 3],
    ["1.0e.", `expected exponent digits in float "1.0e", found "."`, 1, 5],
    ["1.0e+x.", `expected exponent digits in float "1.0e+", found "x"`, 1, 6],
    ["1.0e309.", `float "1.0e309" is too large`, 1, 1],
    ["1__0.", `"_" in a number must sit between two digits`, 1, 2],
    ["1_.", `"_" in a number must sit between two digits`, 1, 2],
    ["1.0_.", `"_" in a number must sit between two digits`, 1, 4],
    ["37#1.", `integer base "37" is out of range: bases go from 2 to 36`, 1, 1],
    ["1#1.", `integer base "1" is out of range: bases go from 2 to 36`, 1, 1],
    ["16#.", `expected a base-16 digit after "16#", found "."`, 1, 4],
    ["2#102.", `invalid digit "2" in a base-2 integer`, 1, 5],
    ["16#fg.", `invalid digit "g" in a base-16 integer`, 1, 5],
    ["- a.", `expected a number after "-", found atom "a"`, 1, 3],
    ["--1.", `expected a term, found "--"`, 1, 1, /operators/],
    ["0x10.", `expected "." after the term, found atom "x10"`, 1, 2],
  ]);
});

// ---- containers ----

Deno.test("readTerms() reads tuples and lists", () => {
  assertTerm(read1("{}."), tuple());
  assertTerm(read1("{ a , { b } , [ ] }."), tuple(atom("a"), tuple(atom("b")), list([])));
  assertTerm(read1("[]."), list([]));
  assertTerm(read1("[a,b]."), list([atom("a"), atom("b")]));
  assertTerm(read1("[a|b]."), improper([atom("a")], atom("b")));
  assertTerm(read1("[a,b|{c}]."), improper([atom("a"), atom("b")], tuple(atom("c"))));
  assertTerm(read1("[[],[[]]]."), list([list([]), list([list([])])]));
});

Deno.test("readTerms() normalises list tails the way Erlang does", () => {
  assertTerm(read1("[a|[]]."), list([atom("a")]));
  assertTerm(read1("[a|[b,c]]."), list([atom("a"), atom("b"), atom("c")]));
  assertTerm(read1("[a|[b|[c|d]]]."), improper([atom("a"), atom("b"), atom("c")], atom("d")));
  assertTerm(read1(`[$a|"bc"].`), list([int(97), int(98), int(99)]));
  assertTerm(read1(`[a|""].`), list([atom("a")]));
});

Deno.test("readTerms() reads maps", () => {
  assertTerm(read1("#{}."), map());
  assertTerm(read1("# {a => 1}."), map([atom("a"), int(1)]));
  assertTerm(
    read1(`#{<<"k">> => "v", {t} => #{[1] => #{}}, 1.5 => -2}.`),
    map(
      [bin("k"), str("v")],
      [tuple(atom("t")), map([list([int(1)]), map()])],
      [float(1.5), int(-2)],
    ),
  );
  // A repeated key keeps the last value, as Erlang does.
  assertTerm(read1("#{a => 1, b => 2, a => 3}."), map([atom("a"), int(3)], [atom("b"), int(2)]));
  assertTerm(read1("#{{x} => 1, {x} => 2}."), map([tuple(atom("x")), int(2)]));
});

Deno.test("readTerms() rejects malformed tuples, lists and maps", () => {
  assertErrors([
    ["{a,}.", `expected a term after ",", found "}"`, 1, 4, /trailing comma/],
    ["{a b}.", `expected "," or "}" after a tuple element, found atom "b"`, 1, 4],
    ["{a,\n b]}.", `expected "," or "}" after a tuple element, found "]"`, 2, 3],
    ["{a, b", `expected "," or "}" after a tuple element, found end of input`, 1, 6, /"\{" at 1:1/],
    ["[a,b,].", `expected a term after ",", found "]"`, 1, 6, /trailing comma/],
    ["[a|b,c].", `expected "]" after the tail of a list, found ","`, 1, 5],
    ["[|b].", `expected a term, found "|"`, 1, 2],
    ["[a b].", `expected ",", "|" or "]" after a list element, found atom "b"`, 1, 4],
    ["\n[1,\n 2.", `expected ",", "|" or "]" after a list element, found "."`, 3, 3, /"\[" at 2:1/],
    ["#{a => 1,}.", `expected a term after ",", found "}"`, 1, 10, /trailing comma/],
    ["#{a := 1}.", `expected "=>" after a map key, found ":="`, 1, 5, /Write "=>"/],
    ["#{a}.", `expected "=>" after a map key, found "}"`, 1, 4],
    ["#{a => 1 b => 2}.", `expected "," or "}" after a map entry, found atom "b"`, 1, 10],
    ["#[a].", `expected "{" after "#", found "["`, 1, 2],
    ["{x, #rec{a = 1}}.", `records are not allowed in a term file, found "#rec"`, 1, 5, /\{rec, /],
  ]);
});

// ---- binaries ----

Deno.test("readTerms() reads binaries", () => {
  const cases: [string, Term][] = [
    ["<<>>", bytes()],
    ["<< >>", bytes()],
    [`<<"abc">>`, bin("abc")],
    [`<<"ab" "c">>`, bin("abc")],
    [`<<"é">>`, bytes(233)],
    [`<<"ÿ">>`, bytes(255)],
    [`<<"é"/utf8>>`, bin("é")],
    [`<<"😀"/utf8>>`, bin("😀")],
    [`<<"é"/utf8-big>>`, bin("é")],
    [`<<"é😀"/utf16>>`, bytes(0, 233, 0xd8, 0x3d, 0xde, 0x00)],
    [`<<"a"/utf16-little>>`, bytes(97, 0)],
    [`<<"a"/little-utf32>>`, bytes(97, 0, 0, 0)],
    [`<<"a"/utf32>>`, bytes(0, 0, 0, 97)],
    ["<<1,2,255>>", bytes(1, 2, 255)],
    ["<<-1, -128>>", bytes(255, 128)],
    ["<<$a, $\\n>>", bytes(97, 10)],
    ["<<1:16>>", bytes(0, 1)],
    ["<<1:16/little>>", bytes(1, 0)],
    ["<<-1:16>>", bytes(255, 255)],
    ["<<258:16/big-unsigned-integer>>", bytes(1, 2)],
    ["<<16#010203:24>>", bytes(1, 2, 3)],
    ["<<0:0>>", bytes()],
    [`<<"ab":16>>`, bytes(0, 97, 0, 98)],
    ["<<1024/utf8, $é/utf8>>", bytes(0xd0, 0x80, 0xc3, 0xa9)],
    [`<<"a", 1, "b"/utf8, $c, "é"/utf8>>`, bytes(97, 1, 98, 99, 0xc3, 0xa9)],
    [`<< "x" : 8 / integer , 2 >>`, bytes(120, 2)],
  ];
  for (const [text, expected] of cases) assertTerm(read1(`${text}.`), expected);
});

Deno.test("readTerms() rejects binaries it cannot hold", () => {
  assertErrors([
    ["<<256>>.", "integer 256 does not fit in 8 bits", 1, 3, /256:16/],
    ["<<1, -129>>.", "integer -129 does not fit in 8 bits", 1, 6],
    ["<<65536:16>>.", "integer 65536 does not fit in 16 bits", 1, 3],
    ["<<1:0>>.", "integer 1 does not fit in 0 bits", 1, 3],
    [`<<"naïve ā">>.`, `character "ā" (257) in a binary does not fit in a byte`, 1, 3, /\/utf8/],
    [`<<"abc"/latin1>>.`, `unknown binary segment type "latin1"`, 1, 9, /default/],
    ["<<1:12>>.", "segment size 12 is not a multiple of 8", 1, 5],
    [`<<"a":8/utf8>>.`, "a utf8 segment cannot have a size", 1, 7],
    ["<<1.5/float>>.", "float segments are not supported in binaries", 1, 3],
    ["<<-1.5>>.", "float segments are not supported in binaries", 1, 3],
    ["<<1/native>>.", "native byte order is not supported in binaries", 1, 5],
    ["<<1/utf8-integer>>.", `conflicting types "utf8" and "integer" in a binary segment`, 1, 10],
    ["<<1/foo>>.", `unknown binary segment type "foo"`, 1, 5],
    ["<<1/unit:8>>.", `binary segment type "unit" is not supported`, 1, 5],
    [`<<"a"/binary>>.`, `binary segment type "binary" is not supported`, 1, 7],
    ["<<55296/utf8>>.", "integer 55296 is not a Unicode character, so it cannot be utf8", 1, 3],
    ["<<-1/utf16>>.", "integer -1 is not a Unicode character, so it cannot be utf16", 1, 3],
    ["<<a>>.", `expected a string, a character or an integer in a binary, found atom "a"`, 1, 3],
    ["<<(1)>>.", `expected a string, a character or an integer in a binary, found "("`, 1, 3],
    ["<<1 2>>.", `expected "," or ">>" after a binary segment, found number "2"`, 1, 5],
    ["<<1,>>.", `expected a term after ",", found ">>"`, 1, 5, /trailing comma/],
    ["<<1:x>>.", `expected an integer size after ":", found atom "x"`, 1, 5],
    ["<<1:99999999>>.", "segment size 99999999 is too large", 1, 5],
    ["<<1/>>.", `expected a type after "/" in a binary segment, found ">>"`, 1, 5],
    ["<<1", `expected "," or ">>" after a binary segment, found end of input`, 1, 4, /"<<" at/],
  ]);
});

// ---- layout: comments, whitespace, the ending dot ----

Deno.test("readTerms() skips comments and every kind of Erlang whitespace", () => {
  const text =
    "%% header\r\n{a,\t% tab\n\fb,\vc,\u00a0d,\u0085e,\u0000f}.%x\n% last line, no newline";
  assertTerm(read1(text), tuple(...["a", "b", "c", "d", "e", "f"].map(atom)));
  assert.deepEqual(readTerms("", FILE), []);
  assert.deepEqual(readTerms("  % only a comment\n\n", FILE), []);
});

Deno.test("readTerms() reads several terms, each ended by a dot", () => {
  const terms = readTerms('a.\nb.\t{c}.% done\n"d".', FILE);
  assert.equal(terms.length, 4);
  assertTerm(terms[2], tuple(atom("c")));
});

Deno.test("readTerms() rejects anything that is not a term", () => {
  assertErrors([
    ["{a}", `missing "." after the term`, 1, 4, /End each term/],
    ["{a}\n% trailing comment\n", `missing "." after the term`, 1, 4],
    ["{a}. {b}", `missing "." after the term`, 1, 9],
    ["{a} {b}.", `expected "." after the term, found "{"`, 1, 5],
    ["{a}.{b}.", `expected whitespace, a comment or end of input after ".", found "{"`, 1, 5],
    ["a.b.", `expected whitespace, a comment or end of input after ".", found "b"`, 1, 3],
    [".", `expected a term, found "."`, 1, 1],
    ["1+2.", `expected "." after the term, found "+"`, 1, 2, /operators/],
    ["{1 * 2}.", `expected "," or "}" after a tuple element, found "*"`, 1, 4, /operators/],
    ["[a ++ b].", `expected ",", "|" or "]" after a list element, found "++"`, 1, 4, /operators/],
    ["{a = 1}.", `expected "," or "}" after a tuple element, found "="`, 1, 4, /operators/],
    ["<0.42.0>.", `expected a term, found "<"`, 1, 1, /Pids/],
    [
      "fun lists:map/2.",
      `reserved word "fun" cannot be an unquoted atom (funs are not allowed in a term file)`,
      1,
      1,
    ],
    ["(1).", `expected a term, found "("`, 1, 1],
    ["{a, &}.", `expected a term, found "&"`, 1, 5],
    ["{a,\u2000b}.", "expected a term, found character U+2000", 1, 4],
    ["\u00a0\u00a0;", `expected a term, found ";"`, 1, 3],
    ["{'😀', x y}.", `expected "," or "}" after a tuple element, found atom "y"`, 1, 9],
    ["{\r\n  x y}.", `expected "," or "}" after a tuple element, found atom "y"`, 2, 5],
  ]);
});

Deno.test("readTerms() reads deep nesting up to a limit", () => {
  const deep = (n: number) => `${"[{".repeat(n / 2)}${"}]".repeat(n / 2)}.`;
  assert.equal(readTerms(deep(1000), FILE).length, 1);
  assertErrors([[deep(1002), "terms nested more than 1000 deep are not supported", 1, 1001]]);
});

Deno.test("readTerms() errors name the file", () => {
  const error = syntaxError(() => readTerms("{", "src/demo.app.src"));
  assert.deepEqual(error.where, { file: "src/demo.app.src", line: 1, column: 2 });
  assert.equal(error.name, "TermSyntaxError");
});

// ---- spans ----

Deno.test("readTerms() gives every node a span", () => {
  const text = `{a, [b, "c" "d"], -1}.\n  #{k => <<"v">>}.`;
  const [first, second] = readTerms(text, FILE) as [TermOf<"tuple">, TermOf<"map">];
  assert.deepEqual(first.span, { start: 0, end: 21, line: 1, column: 1 });
  const [a, l, neg] = first.items as [Term, TermOf<"list">, Term];
  assert.deepEqual(a.span, { start: 1, end: 2, line: 1, column: 2 });
  assert.deepEqual(l.span, { start: 4, end: 16, line: 1, column: 5 });
  assert.deepEqual(l.items[0].span, { start: 5, end: 6, line: 1, column: 6 });
  assert.deepEqual(l.items[1].span, { start: 8, end: 15, line: 1, column: 9 });
  assert.deepEqual(neg.span, { start: 18, end: 20, line: 1, column: 19 });
  assert.deepEqual(second.span, { start: 25, end: 40, line: 2, column: 3 });
  const [key, value] = second.entries[0];
  assert.deepEqual(key.span, { start: 27, end: 28, line: 2, column: 5 });
  assert.deepEqual(value.span, { start: 32, end: 39, line: 2, column: 10 });
  assert.equal(text.slice(value.span!.start, value.span!.end), `<<"v">>`);
});

Deno.test("readTerms() counts columns in code points and lines at line feeds", () => {
  const [term] = readTerms(`{"😀𝄞", x,\r\n\t"multi\nline", y}.`, FILE) as [TermOf<"tuple">];
  const [s, x, multi, y] = term.items;
  assert.deepEqual(s.span, { start: 1, end: 7, line: 1, column: 2 });
  assert.deepEqual(x.span, { start: 9, end: 10, line: 1, column: 8 });
  assert.deepEqual(multi.span, { start: 14, end: 26, line: 2, column: 2 });
  assert.deepEqual(y.span, { start: 28, end: 29, line: 3, column: 8 });
});

// ---- readTerm ----

Deno.test("readTerm() reads one term with or without the dot", () => {
  assertTerm(readTerm('{pkg, <<"cowboy">>}', FILE), tuple(atom("pkg"), bin("cowboy")));
  assertTerm(readTerm(' "1.0.0". % why\n', FILE), str("1.0.0"));
  assertTerm(readTerm("1.", FILE), int(1));
  assertTerm(readTerm("1.5", FILE), float(1.5));
  assertErrors([
    ["a b", `expected end of input after the term, found atom "b"`, 1, 3],
    ["a. b.", `expected end of input after the term, found atom "b"`, 1, 4],
    ["a.b", `expected whitespace, a comment or end of input after ".", found "b"`, 1, 3],
    ["", "expected a term, found end of input", 1, 1],
  ], (text) => readTerm(text, FILE));
});

// ---- real files ----

const APP_SRC = `%% -*- mode: erlang -*-
{application, hello_hex,
 [{description, "A small library, \\"quoted\\" here"},
  {vsn, git},
  {registered, []},
  {mod, {hello_hex_app, []}},
  {applications,
   [kernel,
    stdlib,
    crypto % needed for hashing
   ]},
  {env, [{pool_size, 10}, {timeout, 5.0e3}]},
  {modules, []},

  {licenses, ["Apache-2.0"]},
  {links, [{"GitHub", "https://github.com/example/hello_hex"},
           {"Changelog", "https://github.com/example/hello_hex/blob/main/CHANGELOG.md"}]}
 ]}.
`;

Deno.test("readTerms() reads a realistic .app.src", () => {
  const [app] = readTerms(APP_SRC, "src/hello_hex.app.src") as [TermOf<"tuple">];
  assert.equal(app.items.length, 3);
  assertTerm(app.items[0], atom("application"));
  assertTerm(app.items[1], atom("hello_hex"));
  const props = app.items[2];
  assert.equal(textOf(proplistGet(props, "description")!), `A small library, "quoted" here`);
  const vsn = proplistGet(props, "vsn")!;
  assertTerm(vsn, atom("git"));
  const at = APP_SRC.indexOf("git}");
  assert.deepEqual(vsn.span, { start: at, end: at + 3, line: 4, column: 9 });
  assert.equal(APP_SRC.slice(vsn.span!.start, vsn.span!.end), "git");
  assertTerm(
    proplistGet(props, "applications")!,
    list([atom("kernel"), atom("stdlib"), atom("crypto")]),
  );
  assertTerm(
    proplistGet(props, "env")!,
    list([tuple(atom("pool_size"), int(10)), tuple(atom("timeout"), float(5000))]),
  );
  assertTerm(proplistGet(props, "licenses")!, list([str("Apache-2.0")]));
  const links = proplistGet(props, "links") as TermOf<"list">;
  assertTerm(links.items[0], tuple(str("GitHub"), str("https://github.com/example/hello_hex")));
  assert.deepEqual(links.items[1].span!.line, 17);
  assert.deepEqual(links.items[1].span!.column, 12);
});

Deno.test("readTerms() reads an .app.src whose vsn is a string", () => {
  const text = APP_SRC.replace("{vsn, git}", `{vsn, "0.1.0-rc.1"}`);
  const [app] = readTerms(text, FILE) as [TermOf<"tuple">];
  const vsn = proplistGet(app.items[2], "vsn")!;
  assertTerm(vsn, str("0.1.0-rc.1"));
  const at = text.indexOf(`"0.1.0-rc.1"`);
  assert.deepEqual(vsn.span, { start: at, end: at + 12, line: 4, column: 9 });
});

const REBAR_CONFIG = `%% rebar.config for hello_hex
{minimum_otp_vsn, "24"}.
{erl_opts, [debug_info, warnings_as_errors, {platform_define, "^2[4-9]", 'OTP_24_PLUS'}]}.

{deps, [
    {cowboy, "2.9.0"},
    {jsx, "~> 3.1"},
    {my_json, {pkg, jsone}},
    {ranch, "2.1.0", {pkg, ranch_fork}},
    {meck, {git, "https://github.com/eproxus/meck.git", {tag, "1.0"}}},
    {recon, {git, "git@github.com:ferd/recon.git", {branch, "master"}}},
    {lager, {git, "https://github.com/erlang-lager/lager", {ref, "a1b2c3d"}}},
    parse_trans
]}.

{profiles, [
    {test, [
        {deps, [{proper, "1.4.0"}]},
        {erl_opts, [nowarn_export_all, {d, 'TEST', true}]}
    ]},
    {prod, [{relx, [{dev_mode, false}, {include_erts, true}]}]}
]}.

{project_plugins, [rebar3_hex, {rebar3_ex_doc, "~> 0.2"}]}.
{hex, [{doc, ex_doc}]}.
{ex_doc, [
    {extras, [<<"README.md">>, <<"LICENSE">>]},
    {main, <<"readme">>},
    {source_url, <<"https://github.com/example/hello_hex">>}
]}.
{xref_checks, [undefined_function_calls, locals_not_used, deprecated_function_calls]}.
{dialyzer, [{warnings, [unknown, no_return]}, {plt_extra_apps, [ssl]}]}.
`;

Deno.test("readTerms() reads a realistic rebar.config", () => {
  const terms = readTerms(REBAR_CONFIG, "rebar.config");
  assert.equal(terms.length, 9);
  const config = list(terms);
  const deps = proplistGet(config, "deps") as TermOf<"list">;
  assert.equal(deps.items.length, 8);
  assertTerm(proplistGet(deps, "cowboy")!, str("2.9.0"));
  assertTerm(proplistGet(deps, "my_json")!, tuple(atom("pkg"), atom("jsone")));
  assertTerm(
    proplistGet(deps, "ranch")!,
    tuple(str("2.1.0"), tuple(atom("pkg"), atom("ranch_fork"))),
  );
  assertTerm(
    proplistGet(deps, "meck")!,
    tuple(
      atom("git"),
      str("https://github.com/eproxus/meck.git"),
      tuple(atom("tag"), str("1.0")),
    ),
  );
  assertTerm(proplistGet(deps, "parse_trans")!, atom("true"));
  const test = proplistGet(proplistGet(config, "profiles"), "test");
  assertTerm(proplistGet(test, "deps")!, list([tuple(atom("proper"), str("1.4.0"))]));
  assertTerm(proplistGet(config, "hex")!, list([tuple(atom("doc"), atom("ex_doc"))]));
  const exDoc = proplistGet(config, "ex_doc");
  assert.equal(textOf(proplistGet(exDoc, "main")!), "readme");
  const erlOpts = proplistGet(config, "erl_opts") as TermOf<"list">;
  assertTerm(erlOpts.items[2], tuple(atom("platform_define"), str("^2[4-9]"), atom("OTP_24_PLUS")));
});

const HASH = (seed: string) => seed.repeat(16);

const REBAR_LOCK = `{"1.2.0",
[{<<"cowboy">>,{pkg,<<"cowboy">>,<<"2.9.0">>},0},
 {<<"cowlib">>,{pkg,<<"cowlib">>,<<"2.11.0">>},1},
 {<<"meck">>,
  {git,"https://github.com/eproxus/meck.git",
       {ref,"3f0a9a5d7a8d1b2c3e4f5a6b7c8d9e0f1a2b3c4d"}},
  0},
 {<<"ranch">>,{pkg,<<"ranch">>,<<"1.8.0">>},1}]}.
[
{pkg_hash,[
 {<<"cowboy">>, <<"${HASH("2A3A")}">>},
 {<<"cowlib">>, <<"${HASH("0B9F")}">>},
 {<<"ranch">>, <<"${HASH("8C7A")}">>}]},
{pkg_hash_ext,[
 {<<"cowboy">>, <<"${HASH("2C72")}">>},
 {<<"cowlib">>, <<"${HASH("2B3E")}">>},
 {<<"ranch">>, <<"${HASH("49FB")}">>}]}
].
`;

Deno.test("readTerms() reads a realistic rebar.lock", () => {
  const [locks, hashes] = readTerms(REBAR_LOCK, "rebar.lock") as [TermOf<"tuple">, TermOf<"list">];
  assertTerm(locks.items[0], str("1.2.0"));
  const deps = locks.items[1] as TermOf<"list">;
  assert.equal(deps.items.length, 4);
  assertTerm(
    deps.items[0],
    tuple(bin("cowboy"), tuple(atom("pkg"), bin("cowboy"), bin("2.9.0")), int(0)),
  );
  assertTerm(
    (deps.items[2] as TermOf<"tuple">).items[1],
    tuple(
      atom("git"),
      str("https://github.com/eproxus/meck.git"),
      tuple(atom("ref"), str("3f0a9a5d7a8d1b2c3e4f5a6b7c8d9e0f1a2b3c4d")),
    ),
  );
  const pkgHash = proplistGet(hashes, "pkg_hash") as TermOf<"list">;
  assertTerm(pkgHash.items[0], tuple(bin("cowboy"), bin(HASH("2A3A"))));
  const ext = proplistGet(hashes, "pkg_hash_ext") as TermOf<"list">;
  assert.equal(textOf((ext.items[2] as TermOf<"tuple">).items[1]), HASH("49FB"));
  const entry = `{<<"ranch">>, <<"${HASH("49FB")}">>}`;
  const at = REBAR_LOCK.indexOf(entry);
  assert.deepEqual(ext.items[2].span, { start: at, end: at + entry.length, line: 17, column: 2 });
});

Deno.test("readTerms() reads a 5,000-entry lock file whole", () => {
  const entry = `{<<"pkg_NAME">>,{pkg,<<"pkg_NAME">>,<<"1.0.0">>},0},\n`;
  const text = `{"1.2.0",[\n${
    Array.from({ length: 5000 }, (_, i) => entry.replaceAll("NAME", String(i))).join("")
  }{<<"last">>,{pkg,<<"last">>,<<"1.0.0">>},0}]}.\n`;
  const [lock] = readTerms(text, "rebar.lock") as [TermOf<"tuple">];
  const items = (lock.items[1] as TermOf<"list">).items;
  assert.equal(items.length, 5001);
  assert.deepEqual(textOf((items[4999] as TermOf<"tuple">).items[0]), "pkg_4999");
});
