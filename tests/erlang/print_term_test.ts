import assert from "node:assert/strict";
import { printTerm, printTerms } from "../../src/erlang/print_term.ts";
import { interopTest } from "../interop/erlang.ts";
import { readTerm, readTerms } from "../../src/erlang/read_terms.ts";
import { atom, bin, int, list, str, type Term, termEquals, tuple } from "../../src/erlang/term.ts";

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

function assertTerm(actual: Term, expected: Term, label = ""): void {
  assert.ok(
    termEquals(actual, expected),
    `${label}read back ${printTerm(actual)}, expected ${printTerm(expected)}`,
  );
}

Deno.test("printTerm() quotes atoms only when needed", () => {
  const cases: [string, string][] = [
    ["ok", "ok"],
    ["node@host", "node@host"],
    ["aB9_", "aB9_"],
    ["true", "true"],
    ["", "''"],
    ["Foo", "'Foo'"],
    ["_x", "'_x'"],
    ["9lives", "'9lives'"],
    ["a b", "'a b'"],
    ["a-b", "'a-b'"],
    ["case", "'case'"],
    ["maybe", "'maybe'"],
    ["else", "'else'"],
    ["é", "'é'"],
    ["it's", String.raw`'it\'s'`],
    ["back\\slash", String.raw`'back\\slash'`],
    ['say "hi"', `'say "hi"'`],
    ["a\nb", String.raw`'a\nb'`],
  ];
  for (const [value, text] of cases) assert.equal(printTerm(atom(value)), text);
});

Deno.test("printTerm() writes strings with Erlang escapes", () => {
  const cases: [string, string][] = [
    ["", `""`],
    ["plain text", `"plain text"`],
    ['say "hi"', String.raw`"say \"hi\""`],
    ["C:\\dir", String.raw`"C:\\dir"`],
    ["it's", `"it's"`],
    ["a\tb\nc\rd", String.raw`"a\tb\nc\rd"`],
    ["\x00\x01\x1b\x1f", String.raw`"\000\001\033\037"`],
    ["\x017", String.raw`"\0017"`],
    ["\x7f", String.raw`"\177"`],
    ["\u0085\u009f", String.raw`"\205\237"`],
    ["héllo wörld ✓", `"héllo wörld ✓"`],
    ["😀 𝄞", `"😀 𝄞"`],
    ["\u00a0\u2028\ufeff", `"\u00a0\u2028\ufeff"`],
    ["%% coding: latin-1", String.raw`"%% codin\g: latin-1"`],
    ["-*- coding=utf-8 -*-", String.raw`"-*- codin\g=utf-8 -*-"`],
    ["decoding data", `"decoding data"`],
  ];
  for (const [value, text] of cases) assert.equal(printTerm(str(value)), text);
});

Deno.test("printTerm() writes integers and floats that Erlang reads", () => {
  assert.equal(printTerm(int(0)), "0");
  assert.equal(printTerm(int(-42)), "-42");
  assert.equal(printTerm(int(2n ** 100n)), "1267650600228229401496703205376");
  const floats: [number, string][] = [
    [1, "1.0"],
    [-2.5, "-2.5"],
    [0.1, "0.1"],
    [1.5e-7, "1.5e-7"],
    [1e21, "1.0e21"],
    [1.2345e300, "1.2345e300"],
    [123456789012345680000, "123456789012345680000.0"],
    [5e-324, "5.0e-324"],
    [-0, "-0.0"],
    [0, "0.0"],
  ];
  for (const [value, text] of floats) assert.equal(printTerm(float(value)), text);
});

Deno.test("printTerm() writes binaries in the plainest form that holds them", () => {
  const cases: [Term, string][] = [
    [bytes(), "<<>>"],
    [bin("cowboy"), `<<"cowboy">>`],
    [bin('a "q" \\ \t\n\r'), String.raw`<<"a \"q\" \\ \t\n\r">>`],
    [bin("é ✓ 😀"), `<<"é ✓ 😀"/utf8>>`],
    [bin("é\n"), String.raw`<<"é\n"/utf8>>`],
    [bin("\ufeffBOM"), `<<"\ufeffBOM"/utf8>>`],
    [bin("coding: latin-1 é"), String.raw`<<"codin\g: latin-1 é"/utf8>>`],
    [bytes(1, 2, 3), "<<1,2,3>>"],
    [bytes(97, 0), "<<97,0>>"],
    [bytes(0x7f), "<<127>>"],
    [bytes(0xff, 0xfe), "<<255,254>>"],
    [bin("é\x01"), "<<195,169,1>>"],
    [bin("\u0085"), "<<194,133>>"],
    [bytes(0xed, 0xa0, 0x80), "<<237,160,128>>"],
  ];
  for (const [term, text] of cases) assert.equal(printTerm(term), text);
});

Deno.test("printTerm() writes tuples, lists and maps compactly", () => {
  const cases: [Term, string][] = [
    [tuple(), "{}"],
    [tuple(atom("vsn"), str("1.0.0")), `{vsn,"1.0.0"}`],
    [list([]), "[]"],
    [list([int(1), int(-2), atom("a")]), "[1,-2,a]"],
    [improper([atom("a"), atom("b")], atom("c")), "[a,b|c]"],
    [improper([atom("a")], list([atom("b")])), "[a,b]"],
    [improper([atom("a")], list([])), "[a]"],
    [improper([atom("a")], improper([atom("b")], int(1))), "[a,b|1]"],
    [improper([int(97)], str("bc")), "[97,98,99]"],
    [improper([], atom("t")), "t"],
    [map(), "#{}"],
    [map([atom("a"), int(1)], [atom("b"), int(2)]), "#{a => 1,b => 2}"],
    [map([bin("k"), map([int(-1), list([])])]), `#{<<"k">> => #{-1 => []}}`],
  ];
  for (const [term, text] of cases) assert.equal(printTerm(term), text);
});

Deno.test("printTerm() rejects values Erlang cannot hold", () => {
  assert.throws(() => printTerm(float(NaN)), RangeError);
  assert.throws(() => printTerm(float(Infinity)), RangeError);
  assert.throws(() => printTerm(tuple(float(-Infinity))), RangeError);
  assert.throws(() => printTerm(atom("a".repeat(256))), RangeError);
  assert.equal(printTerm(atom("é".repeat(255))), `'${"é".repeat(255)}'`);
  assert.throws(() => printTerm(str("lone \ud800")), RangeError);
  assert.throws(() => printTerm(atom("\udc00")), RangeError);
});

Deno.test("printTerms() ends each term with a dot and a newline", () => {
  assert.equal(printTerms([]), "");
  assert.equal(
    printTerms([tuple(atom("a"), int(1)), list([float(1)]), int(2)]),
    "{a,1}.\n[1.0].\n2.\n",
  );
});

/** Terms that are awkward to print; each is in Erlang's normal form. */
const TRICKY: Term[] = [
  // Erlang takes a "coding:" after a "%" on the first two lines as the file's encoding.
  str("%% -*- coding: latin-1 -*-"),
  str("é ü ß — ✓"),
  atom(""),
  atom("ok"),
  atom("Foo"),
  atom("_x"),
  atom("case"),
  atom("fun"),
  atom("maybe"),
  atom("else"),
  atom("a b"),
  atom('it\'s \\ "x"\n'),
  atom("é"),
  atom("ünïcode 😀"),
  atom("ok@host"),
  atom("true"),
  str(""),
  str("plain"),
  str('quote " and \\'),
  str("tab\tnl\nret\r"),
  str("\x00\x01\x07\x1f\x7f"),
  str("\x017 digit after an escape"),
  str("😀 astral 𝄞"),
  str("C1 \u0085 and nbsp \u00a0 and \u2028"),
  str("coding =utf-8"),
  int(0),
  int(-1),
  int(42),
  int(2n ** 64n + 1n),
  int(-(2n ** 100n)),
  float(0),
  float(-0),
  float(1.5),
  float(-2.5e-3),
  float(1e21),
  float(1.5e-7),
  float(5e-324),
  float(1.7976931348623157e308),
  float(123456789012345680000),
  float(0.1),
  float(1 / 3),
  bytes(),
  bin("hello"),
  bin("tab\tnl\nret\r"),
  bin('quote " and \\'),
  bin("é😀"),
  bytes(0xff, 0xfe),
  bytes(0, 1, 2),
  bytes(0xef, 0xbb, 0xbf, 0x78),
  bytes(0x7f),
  bin("é\x01"),
  tuple(),
  tuple(atom("a"), tuple(tuple()), list([tuple()])),
  list([]),
  list([atom("a"), atom("b")]),
  improper([atom("a")], atom("b")),
  improper([int(1), int(2)], float(2.5)),
  list([list([]), list([list([])])]),
  list([int(104), int(105)]),
  map(),
  map([atom("a"), int(1)]),
  map([bin("k"), map([int(-1), list([])])]),
  map([map(), list([map([atom("k"), atom("v")])])]),
  map([atom("b"), int(1)], [atom("a"), int(2)], [str("s"), bin("b")]),
  tuple(atom("application"), atom("demo"), list([tuple(atom("vsn"), str("1.0.0"))])),
];

Deno.test("readTerms() reads back what printTerms() writes", () => {
  const back = readTerms(printTerms(TRICKY), "printed.config");
  assert.equal(back.length, TRICKY.length);
  TRICKY.forEach((term, i) => assertTerm(back[i], term, `${printTerm(term)}: `));
  for (const term of TRICKY) assertTerm(readTerm(printTerm(term), "one"), term);
});

// ---- against Erlang itself ----

/**
 * A term as Erlang sees it: strings are lists of character codes and map
 * entries have no order.
 */
function asErlang(term: Term): Term {
  switch (term.kind) {
    case "string":
      return list([...term.value].map((ch) => int(ch.codePointAt(0)!)));
    case "tuple":
      return tuple(...term.items.map(asErlang));
    case "list": {
      const items = term.items.map(asErlang);
      return term.tail ? improper(items, asErlang(term.tail)) : list(items);
    }
    case "map":
      return map(
        ...term.entries
          .map(([k, v]): [Term, Term] => [asErlang(k), asErlang(v)])
          .sort(([a], [b]) => (printTerm(a) < printTerm(b) ? -1 : 1)),
      );
    default:
      return term;
  }
}

/** Term text using every syntax feature readTerms() supports, to check against Erlang. */
const CORPUS = String.raw`%% read by both readTerms() and file:consult/1
"\b\d\e\f\n\r\s\t\v\\\"\'\0\7\07\101\1012\777\08\8\x41\xfF\x412\x{1F600}\x{0041}".
"\^a\^A\^Z\^@\^?\q\z\ \é\😀 ✓".
'\x{1F600}\^z\101 é'.
[$a, $ , $\n, $\x{10FFFF}, $\^?, -$a, +$b, $é].
[0, 007, -7, + 7, - % comment
 7, 1_000_000, 2#1010, -2#1010, 8#777, 16#ff, 16#FF, 16#f_f, 1_6#10, 36#Z, 36#zz].
123456789012345678901234567890.
[1.0, 0.1, -2.5e-3, 1.0E10, 1.0e+3, 1_0.5, 1.0_5, 1.0e1_0, +1.5, 5.0e-324, -0.0].
[a|[b|[c|d]]].
[$a|"bc"].
"ab" "cd" % comment
  "ef".
#{a => 1, b => 2, a => 3, {k} => [#{}]}.
<<"é", "é"/utf8, "é😀"/utf16, "a"/utf16-little, "a"/little-utf32, 1, -1, -128>>.
<<1:16, 1:16/little, -1:16, 258:16/big-unsigned-integer, 16#010203:24, 0:0, "ab":16>>.
<<1024/utf8, $é/utf8, $\x{1F600}/utf32>>.
{a,${"\t"}b,${"\u00a0"}c,${"\u0085"}d,${"\f"}e}.
{é, ßx, 'Hello', '', 'case', true, maybe, 'else'}.
1.
`;

// For each (input, output) pair: file:consult/1 reads the input and Erlang
// writes the terms back with ~tp, for readTerms() to read.
const ERLANG_PROGRAM = `
Convert = fun(In, Out) ->
  case file:consult(In) of
    {ok, Terms} ->
      {ok, Fd} = file:open(Out, [write, {encoding, utf8}]),
      [io:format(Fd, "~tp.~n", [T]) || T <- Terms],
      ok = file:close(Fd);
    Error ->
      io:format(standard_error, "~ts: ~tp~n", [In, Error]),
      halt(1)
  end
end,
Pairs = fun Pairs([In, Out | Rest]) -> Convert(In, Out), Pairs(Rest); Pairs([]) -> ok end,
Pairs(init:get_plain_arguments()),
halt(0).`;

interopTest("Erlang's file:consult/1 agrees with printTerms() and readTerms()", async () => {
  {
    const dir = await Deno.makeTempDir({ prefix: "hexpub_print_term_" });
    try {
      const files = ["printed", "printed_back", "corpus", "corpus_back"].map((name) =>
        `${dir}/${name}.config`
      );
      await Deno.writeTextFile(files[0], printTerms(TRICKY));
      await Deno.writeTextFile(files[2], CORPUS);
      const result = await new Deno.Command("erl", {
        args: ["-noshell", "-eval", ERLANG_PROGRAM, "-extra", ...files],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(result.stderr);
      assert.equal(result.code, 0, `erl failed: ${stderr}`);

      // Erlang reads what printTerms() wrote as the same terms.
      const printedBack = readTerms(await Deno.readTextFile(files[1]), files[1]);
      assert.equal(printedBack.length, TRICKY.length);
      TRICKY.forEach((term, i) => {
        assertTerm(asErlang(printedBack[i]), asErlang(term), `${printTerm(term)}: `);
      });

      // readTerms() reads the corpus as Erlang does.
      const ours = readTerms(CORPUS, "corpus.config");
      const theirs = readTerms(await Deno.readTextFile(files[3]), files[3]);
      assert.equal(theirs.length, ours.length);
      ours.forEach((term, i) => {
        assertTerm(asErlang(term), asErlang(theirs[i]), `corpus term ${i + 1}: `);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});
