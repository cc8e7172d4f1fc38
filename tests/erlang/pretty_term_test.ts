/**
 * prettyTerm() on hand-picked terms; each expected text is what OTP 25.2.3
 * printed for the same term. The broad comparison with a live Erlang is
 * tests/interop/pretty_term_interop_test.ts.
 */
import assert from "node:assert/strict";
import { formatFloat, mapEntriesInOrder, prettyTerm } from "../../src/erlang/pretty_term.ts";
import { atom, bin, int, list, str, type Term, tuple } from "../../src/erlang/term.ts";

const bytes = (...b: number[]): Term => ({ kind: "binary", bytes: Uint8Array.from(b) });
const float = (value: number): Term => ({ kind: "float", value });
const tp = (t: Term) => prettyTerm(t, { encoding: "unicode" });
const p = (t: Term) => prettyTerm(t, { encoding: "latin1" });

Deno.test("prettyTerm() lays out an .app.src as ~tp does", () => {
  const app = tuple(
    atom("application"),
    atom("demo"),
    list([
      tuple(atom("description"), str("A demo")),
      tuple(atom("vsn"), str("1.0.0")),
      tuple(atom("registered"), list([])),
      tuple(
        atom("applications"),
        list(["kernel", "stdlib", "crypto", "public_key", "ssl", "inets"].map(atom)),
      ),
      tuple(atom("env"), list([tuple(atom("key"), atom("value"))])),
      tuple(atom("licenses"), list([str("Apache-2.0")])),
    ]),
  );
  assert.equal(
    tp(app),
    [
      "{application,demo,",
      '             [{description,"A demo"},',
      '              {vsn,"1.0.0"},',
      "              {registered,[]},",
      "              {applications,[kernel,stdlib,crypto,public_key,ssl,inets]},",
      "              {env,[{key,value}]},",
      '              {licenses,["Apache-2.0"]}]}',
    ].join("\n"),
  );
});

Deno.test("prettyTerm() quotes atoms, escaping wide characters only for ~p", () => {
  const atoms = list(["a", "B", "after", "maybe", "é", "日本", ""].map(atom));
  assert.equal(tp(atoms), "[a,'B','after',maybe,é,'日本','']");
  assert.equal(p(atoms), "[a,'B','after',maybe,é,'\\x{65E5}\\x{672C}','']");
});

Deno.test("prettyTerm() picks the binary and string forms Erlang picks", () => {
  const t = tuple(bin("é"), bytes(0xe9), bin("🌈"), str("é"), str("\u0100"), bytes(1, 2, 3));
  assert.equal(tp(t), '{<<"é"/utf8>>,<<"é">>,<<240,159,140,136>>,"é",[256],<<1,2,3>>}');
  // ~p reads every binary as Latin-1: the two UTF-8 bytes of é are two characters.
  assert.equal(p(t), '{<<"Ã©">>,<<"é">>,<<240,159,140,136>>,"é",[256],<<1,2,3>>}');
});

Deno.test("prettyTerm() prints floats as float_to_list(F, [short])", () => {
  const floats = list([1, -0, 1000, 12340, 123400, 1e-4, 1.5e-4, 2 ** 53, 2 ** 53 - 1].map(float));
  assert.equal(
    tp(floats),
    "[1.0,-0.0,1.0e3,12340.0,1.234e5,0.0001,1.5e-4,9.007199254740992e15,\n 9007199254740991.0]",
  );
  assert.equal(formatFloat(5e-324), "5.0e-324");
  assert.equal(formatFloat(0.1 + 0.2), "0.30000000000000004");
  assert.throws(() => tp(float(NaN)), RangeError);
});

Deno.test("prettyTerm() treats strings and lists of codes alike, and keeps improper tails", () => {
  assert.equal(tp(list([int(104), int(105)])), '"hi"');
  assert.equal(tp({ kind: "list", items: [str("a")], tail: str("bc") }), '["a",98,99]');
  assert.equal(tp({ kind: "list", items: [int(1), int(2)], tail: atom("tail") }), "[1,2|tail]");
  assert.equal(tp(str("")), "[]");
});

Deno.test("prettyTerm() orders map keys as Erlang does and breaks after =>", () => {
  const m: Term = {
    kind: "map",
    entries: [
      [atom("b"), int(1)],
      [float(1), atom("x")],
      [int(1), atom("y")],
      [bin("k"), list([int(1), int(2), int(3)])],
    ],
  };
  assert.equal(tp(m), '#{1 => y,1.0 => x,b => 1,<<"k">> => [1,2,3]}');
  assert.deepEqual(
    mapEntriesInOrder((m as Extract<Term, { kind: "map" }>).entries).map(([k]) => tp(k)),
    ["1", "1.0", "b", '<<"k">>'],
  );
  const long: Term = {
    kind: "map",
    entries: [[
      atom("key"),
      tuple(
        atom("some_long_tag_name"),
        str("a long string value that will not fit on the line at all"),
      ),
    ]],
  };
  assert.equal(
    tp(long),
    '#{key =>\n      {some_long_tag_name,"a long string value that will not fit on the line at all"}}',
  );
});

Deno.test("prettyTerm() wraps lists under their first element and long binaries between bytes", () => {
  assert.equal(
    tp(tuple(
      bin("files"),
      list([
        bin("src/a_long_module_name_number_one.erl"),
        bin("src/a_long_module_name_number_two.erl"),
      ]),
    )),
    '{<<"files">>,\n [<<"src/a_long_module_name_number_one.erl">>,\n  <<"src/a_long_module_name_number_two.erl">>]}',
  );
  const seq = bytes(...Array.from({ length: 40 }, (_, i) => i + 1));
  assert.equal(
    tp(seq),
    "<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n" +
      "  29,30,31,32,33,34,35,36,37,38,39,40>>",
  );
});

Deno.test("prettyTerm() honours column and line length", () => {
  const t = list(Array.from({ length: 8 }, (_, i) => atom(`item_${i}`)));
  assert.equal(prettyTerm(t, { encoding: "unicode", lineLength: 0 }), tp(t));
  assert.equal(
    prettyTerm(t, { encoding: "unicode", lineLength: 30 }),
    "[item_0,item_1,item_2,\n item_3,item_4,item_5,\n item_6,item_7]",
  );
  assert.equal(
    prettyTerm(t, { encoding: "unicode", lineLength: 30, column: 10 }),
    "[item_0,item_1,\n          item_2,item_3,\n          item_4,item_5,\n          item_6,item_7]",
  );
});
