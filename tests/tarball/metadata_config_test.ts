import assert from "node:assert/strict";
import { TarballError } from "../../src/errors.ts";
import {
  atom,
  bin,
  bool,
  int,
  list,
  str,
  type Term,
  termEquals,
  tuple,
} from "../../src/erlang/term.ts";
import {
  decodeMetadata,
  encodeMetadata,
  encodeTerm,
  metadataToJson,
  termToJson,
} from "../../src/tarball/metadata_config.ts";

const bytes = (...b: number[]): Term => ({ kind: "binary", bytes: Uint8Array.from(b) });

Deno.test("encodeMetadata() writes one {<<key>>,value}. line per entry", () => {
  assert.equal(
    encodeMetadata([["name", bin("foo")], ["version", bin("1.0.0")]]),
    '{<<"name">>,<<"foo">>}.\n{<<"version">>,<<"1.0.0">>}.\n',
  );
  assert.equal(encodeMetadata([]), "");
});

Deno.test("encodeMetadata() sorts keys by byte order", () => {
  const text = encodeMetadata([
    ["version", bin("1")],
    ["Z", bin("1")],
    ["é", bin("1")],
    ["app", bin("1")],
    ["a_b", bin("1")],
    ["ab", bin("1")],
  ]);
  const keys = text.trimEnd().split("\n").map((line) => line.slice(0, line.indexOf(">>,") + 2));
  assert.deepEqual(keys, [
    '{<<"Z">>',
    '{<<"a_b">>',
    '{<<"ab">>',
    '{<<"app">>',
    '{<<"version">>',
    '{<<"é"/utf8>>',
  ]);
});

Deno.test("encodeTerm() writes printable ASCII binaries as plain strings", () => {
  assert.equal(encodeTerm(bin("hello world ~!")), '<<"hello world ~!">>');
  assert.equal(encodeTerm(bin("")), "<<>>");
});

Deno.test("encodeTerm() escapes quotes, backslashes and line breaks", () => {
  assert.equal(
    encodeTerm(bin('say "hi" \\ back\n\ttab\r')),
    '<<"say \\"hi\\" \\\\ back\\n\\ttab\\r">>',
  );
});

Deno.test("encodeTerm() writes Latin-1 range text as /utf8 binaries", () => {
  assert.equal(encodeTerm(bin("Café")), '<<"Café"/utf8>>');
  assert.equal(encodeTerm(bin("naïve ÿ ±")), '<<"naïve ÿ ±"/utf8>>');
});

Deno.test("encodeTerm() writes emoji and other text beyond U+00FF as byte lists", () => {
  assert.equal(encodeTerm(bin("hi 🌈")), "<<104,105,32,240,159,140,136>>");
  assert.equal(encodeTerm(bin("Ω")), "<<206,169>>");
  assert.equal(encodeTerm(bin("Café 🌈")), "<<67,97,102,195,169,32,240,159,140,136>>");
});

Deno.test("encodeTerm() writes control bytes and C1 characters as byte lists", () => {
  assert.equal(encodeTerm(bytes(1, 2)), "<<1,2>>");
  // \v, \b, \f and \e are printable to Erlang, with escapes.
  assert.equal(encodeTerm(bin("a\vb\b\f\u001b")), '<<"a\\vb\\b\\f\\e">>');
  assert.equal(encodeTerm(bin("a\u0001b")), "<<97,1,98>>");
  assert.equal(encodeTerm(bin("\u0085")), "<<194,133>>");
  assert.equal(encodeTerm(bytes(0x80)), "<<128>>");
});

Deno.test("encodeTerm() writes non-UTF-8 printable Latin-1 bytes as a plain string", () => {
  assert.equal(encodeTerm(bytes(0xe9)), '<<"é">>');
});

Deno.test("encodeTerm() writes booleans and undefined bare and other atoms as binaries", () => {
  assert.equal(encodeTerm(bool(true)), "true");
  assert.equal(encodeTerm(bool(false)), "false");
  assert.equal(encodeTerm(atom("undefined")), "undefined");
  assert.equal(encodeTerm(atom("rebar3")), '<<"rebar3">>');
  assert.equal(encodeTerm(atom("nil")), '<<"nil">>');
});

Deno.test("encodeTerm() writes lists, tuples, kvlists, integers and maps", () => {
  assert.equal(encodeTerm(list([])), "[]");
  assert.equal(encodeTerm(list([bin("a"), bin("b")])), '[<<"a">>,<<"b">>]');
  assert.equal(
    encodeTerm(list([tuple(bin("GitHub"), bin("https://x"))])),
    '[{<<"GitHub">>,<<"https://x">>}]',
  );
  assert.equal(encodeTerm(int(-5)), "-5");
  assert.equal(encodeTerm(int(2n ** 70n)), "1180591620717411303424");
  assert.equal(
    encodeTerm({ kind: "map", entries: [[bin("k"), bin("v")]] }),
    '[{<<"k">>,<<"v">>}]',
  );
  assert.equal(encodeTerm(str("abc")), '"abc"');
  assert.equal(encodeTerm(str("")), "[]");
  assert.equal(encodeTerm(str("🌈")), "[127752]");
});

Deno.test("encodeMetadata() wraps long entries as io_lib_pretty does", () => {
  // As hex_core 0.18.0 wrote it for opentelemetry 1.7.0 (OTP 25).
  const requirement = tuple(
    bin("opentelemetry_api"),
    list([
      tuple(bin("app"), bin("opentelemetry_api")),
      tuple(bin("optional"), bool(false)),
      tuple(bin("requirement"), bin("~> 1.5.0")),
    ]),
  );
  assert.equal(
    encodeMetadata([
      [
        "links",
        list([tuple(bin("GitHub"), bin("https://github.com/open-telemetry/opentelemetry-erlang"))]),
      ],
      ["requirements", list([requirement])],
    ]),
    '{<<"links">>,\n [{<<"GitHub">>,\n   <<"https://github.com/open-telemetry/opentelemetry-erlang">>}]}.\n' +
      '{<<"requirements">>,\n [{<<"opentelemetry_api">>,\n   [{<<"app">>,<<"opentelemetry_api">>},\n' +
      '    {<<"optional">>,false},\n    {<<"requirement">>,<<"~> 1.5.0">>}]}]}.\n',
  );
  const files = list(Array.from({ length: 12 }, (_, i) => bin(`src/module_${i}.erl`)));
  assert.equal(
    encodeMetadata([["files", files]]),
    '{<<"files">>,\n [<<"src/module_0.erl">>,<<"src/module_1.erl">>,<<"src/module_2.erl">>,\n' +
      '  <<"src/module_3.erl">>,<<"src/module_4.erl">>,<<"src/module_5.erl">>,\n' +
      '  <<"src/module_6.erl">>,<<"src/module_7.erl">>,<<"src/module_8.erl">>,\n' +
      '  <<"src/module_9.erl">>,<<"src/module_10.erl">>,<<"src/module_11.erl">>]}.\n',
  );
});

Deno.test("encodeMetadata() lists a map's pairs in Erlang's key order", () => {
  const map: Term = {
    kind: "map",
    entries: [[bin("b"), int(2)], [atom("z"), int(1)], [bin("a"), int(3)], [int(5), int(0)]],
  };
  // maps:to_list/1 order (integers, atoms, binaries), then binarify.
  assert.equal(
    encodeMetadata([["m", map]]),
    '{<<"m">>,[{5,0},{<<"z">>,1},{<<"a">>,3},{<<"b">>,2}]}.\n',
  );
});

Deno.test("encodeMetadata() refuses what hex_core cannot binarify", () => {
  assert.throws(() => encodeMetadata([["x", tuple(int(1), int(2), int(3))]]), TypeError);
});

Deno.test("encodeMetadata() refuses floats, improper lists and duplicate keys", () => {
  assert.throws(() => encodeMetadata([["x", { kind: "float", value: 1.5 }]]), TypeError);
  assert.throws(
    () => encodeMetadata([["x", { kind: "list", items: [int(1)], tail: int(2) }]]),
    TypeError,
  );
  assert.throws(() => encodeMetadata([["x", int(1)], ["x", int(2)]]), TypeError);
});

Deno.test("encodeMetadata() prints what hex_core 0.19 prints for the same map", () => {
  // Output of hex_tarball:create/2 (hex_core HEAD, OTP 25) for these values.
  const expected = [
    '{<<"a_latin">>,<<"Café"/utf8>>}.',
    '{<<"b_emoji">>,<<104,105,32,240,159,140,136>>}.',
    '{<<"c_quote">>,<<"say \\"hi\\" \\\\ back\\n\\ttab\\r">>}.',
    '{<<"d_list">>,[<<"x">>,<<"y">>]}.',
    '{<<"e_bool">>,true}.',
    '{<<"f_kv">>,[{<<"k">>,<<"v">>}]}.',
    '{<<"g_empty">>,<<>>}.',
    '{<<"h_int">>,42}.',
    '{<<"i_ctrl">>,<<1,2>>}.',
    '{<<"j_latin1raw">>,<<"é">>}.',
    '{<<"name">>,<<"foo">>}.',
    '{<<"version">>,<<"1.0.0">>}.',
    "",
  ].join("\n");
  const actual = encodeMetadata([
    ["name", bin("foo")],
    ["version", bin("1.0.0")],
    ["a_latin", bin("Café")],
    ["b_emoji", bin("hi 🌈")],
    ["c_quote", bin('say "hi" \\ back\n\ttab\r')],
    ["d_list", list([bin("x"), bin("y")])],
    ["e_bool", bool(true)],
    ["f_kv", list([tuple(bin("k"), bin("v"))])],
    ["g_empty", bin("")],
    ["h_int", int(42)],
    ["i_ctrl", bytes(1, 2)],
    ["j_latin1raw", bytes(0xe9)],
  ]);
  assert.equal(actual, expected);
});

const rich: [string, Term][] = [
  ["app", bin("foo")],
  ["build_tools", list([bin("rebar3")])],
  ["description", bin('Café 🌈 "quoted" \\ back\nline\ttab\r')],
  ["extra", list([tuple(bin("nested"), list([tuple(bin("deep"), bool(false))]))])],
  ["files", list([bin("src/foo.erl"), bin("src/ünï.erl"), bin("")])],
  ["licenses", list([bin("Apache-2.0")])],
  ["links", list([tuple(bin("GitHub"), bin("https://github.com/x/foo"))])],
  ["name", bin("foo")],
  ["raw", bytes(0, 1, 127, 128, 255, 0xe9)],
  ["latin1", bytes(0xe9, 0x20, 0xff)],
  [
    "requirements",
    list([
      tuple(
        bin("bar"),
        list([
          tuple(bin("app"), bin("bar")),
          tuple(bin("optional"), bool(false)),
          tuple(bin("requirement"), bin("~> 1.0")),
          tuple(bin("repository"), bin("hexpm")),
        ]),
      ),
    ]),
  ],
  ["count", int(-12345678901234567890n)],
  ["version", bin("1.0.0-rc.1+build.5")],
];

function sortedByKey(entries: [string, Term][]): [string, Term][] {
  const enc = new TextEncoder();
  return [...entries].sort((a, b) => {
    const x = enc.encode(a[0]);
    const y = enc.encode(b[0]);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
}

Deno.test("decodeMetadata() reads back what encodeMetadata() writes", () => {
  const decoded = decodeMetadata(encodeMetadata(rich));
  const expected = sortedByKey(rich);
  assert.deepEqual(decoded.map(([k]) => k), expected.map(([k]) => k));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(termEquals(decoded[i][1], expected[i][1]), `value of ${expected[i][0]}`);
  }
});

Deno.test("decodeMetadata() reads hex_core's wrapped output", () => {
  const text = '{<<"description">>,\n <<67,97,102,195,169,32,240,159,140,136>>}.\n' +
    '{<<"requirements">>,\n [{<<"bar">>,\n   [{<<"app">>,<<"bar">>},\n' +
    '    {<<"optional">>,false}]}]}.\n{<<"name">>,<<"Café"/utf8>>}.\n';
  const decoded = decodeMetadata(text);
  assert.deepEqual(decoded.map(([k]) => k), ["description", "name", "requirements"]);
  assert.ok(termEquals(decoded[0][1], bin("Café 🌈")));
  assert.ok(termEquals(decoded[1][1], bin("Café")));
});

Deno.test('decodeMetadata() reads <<"é">> as the single Latin-1 byte', () => {
  const [[, value]] = decodeMetadata('{<<"x">>,<<"é">>}.\n');
  assert.ok(termEquals(value, bytes(0xe9)));
});

Deno.test("decodeMetadata() keeps the last value of a repeated key", () => {
  const decoded = decodeMetadata('{<<"a">>,1}.\n{<<"a">>,2}.\n');
  assert.equal(decoded.length, 1);
  assert.ok(termEquals(decoded[0][1], int(2)));
});

Deno.test("decodeMetadata() rejects bad text with reason invalid_metadata", () => {
  for (
    const text of [
      '{<<"a">>,<<"b">>',
      '{<<"a">>,1,2}.',
      '[<<"a">>].',
      "{a,1}.",
      '{<<"a">>,1.5}.',
      '{<<"a">>,[{<<"b">>,2.0}]}.',
    ]
  ) {
    assert.throws(
      () => decodeMetadata(text),
      (err) => err instanceof TarballError && err.reason === "invalid_metadata",
      text,
    );
  }
});

Deno.test("decodeMetadata() keeps the position of a syntax error", () => {
  assert.throws(
    () => decodeMetadata('{<<"a">>,1}.\n{<<"b">>,foo bar}.\n'),
    (err) =>
      err instanceof TarballError && err.reason === "invalid_metadata" &&
      err.where?.file === "metadata.config" && err.where.line === 2,
  );
});

Deno.test("metadataToJson() turns metadata into plain JSON data", () => {
  const json = metadataToJson(decodeMetadata(encodeMetadata(rich)));
  assert.deepEqual(json, {
    app: "foo",
    build_tools: ["rebar3"],
    count: "-12345678901234567890",
    description: 'Café 🌈 "quoted" \\ back\nline\ttab\r',
    extra: { nested: { deep: false } },
    files: ["src/foo.erl", "src/ünï.erl", ""],
    latin1: "é ÿ",
    licenses: ["Apache-2.0"],
    links: { GitHub: "https://github.com/x/foo" },
    name: "foo",
    raw: "\u0000\u0001\u007f\u0080ÿé",
    requirements: {
      bar: { app: "bar", optional: false, requirement: "~> 1.0", repository: "hexpm" },
    },
    version: "1.0.0-rc.1+build.5",
  });
  assert.doesNotThrow(() => JSON.stringify(json));
});

Deno.test("termToJson() maps atoms, tuples, integers and maps", () => {
  assert.equal(termToJson(atom("undefined")), null);
  assert.equal(termToJson(atom("mix")), "mix");
  assert.equal(termToJson(int(7)), 7);
  assert.deepEqual(termToJson(tuple(int(1), bin("a"))), [1, "a"]);
  assert.deepEqual(termToJson(list([])), []);
  assert.deepEqual(termToJson({ kind: "map", entries: [[bin("k"), int(1)]] }), { k: 1 });
  assert.deepEqual(termToJson({ kind: "map", entries: [[int(1), int(2)]] }), [[1, 2]]);
  assert.deepEqual(termToJson(list([tuple(bin("__proto__"), int(1))])), { ["__proto__"]: 1 });
});
