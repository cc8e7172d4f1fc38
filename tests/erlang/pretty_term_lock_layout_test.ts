/**
 * `prettyTerm` on the shapes of a rebar.lock, against layouts Erlang's
 * `io_lib:format("~p", …)` produced (OTP 25, line length 80). The lock interop
 * test compares many more with rebar3's own lock writer.
 */
import assert from "node:assert/strict";
import { prettyTerm } from "../../src/erlang/pretty_term.ts";
import { atom, bin, int, list, type Term, tuple } from "../../src/erlang/term.ts";

const LATIN1 = { encoding: "latin1" } as const;
const LONG = "very_long_package_name_for_breaking_lines";
const X70 = "x".repeat(70);
const lock = (name: string, level: number): Term =>
  tuple(bin(name), tuple(atom("pkg"), bin(name), bin("1.0.0")), int(level));

Deno.test("prettyTerm() writes what fits on one line flat", () => {
  assert.equal(prettyTerm(list([atom("a"), atom("b"), atom("c")]), LATIN1), "[a,b,c]");
  assert.equal(prettyTerm(list([]), LATIN1), "[]");
  assert.equal(prettyTerm(bin('a"b\\c'), LATIN1), '<<"a\\"b\\\\c">>');
  assert.equal(prettyTerm(list([lock("a", 0)]), LATIN1), '[{<<"a">>,{pkg,<<"a">>,<<"1.0.0">>},0}]');
});

Deno.test("prettyTerm() puts list elements on their own lines when the list is too long", () => {
  const t = list([
    tuple(bin("a".repeat(35)), int(1)),
    tuple(bin("b".repeat(44)), int(2)),
  ]);
  assert.equal(
    prettyTerm(t, LATIN1),
    `[{<<"${"a".repeat(35)}">>,1},\n {<<"${"b".repeat(44)}">>,2}]`,
  );
});

Deno.test("prettyTerm() breaks an element that does not fit, one field per line", () => {
  assert.equal(
    prettyTerm(list([lock("a", 0), lock(LONG, 0)]), LATIN1),
    `[{<<"a">>,{pkg,<<"a">>,<<"1.0.0">>},0},\n` +
      ` {<<"${LONG}">>,\n` +
      `  {pkg,<<"${LONG}">>,<<"1.0.0">>},\n` +
      `  0}]`,
  );
});

Deno.test("prettyTerm() aligns a tagged tuple's fields after its tag", () => {
  assert.equal(
    prettyTerm(list([lock(X70, 3)]), LATIN1),
    `[{<<"${X70}">>,\n  {pkg,<<"${X70}">>,\n       <<"1.0.0">>},\n  3}]`,
  );
  assert.equal(
    prettyTerm(tuple(atom("pkg"), bin(X70), bin(X70)), LATIN1),
    `{pkg,<<"${X70}">>,\n     <<"${X70}">>}`,
  );
});

Deno.test("prettyTerm() counts the starting column", () => {
  const t = list([tuple(bin("a".repeat(25)), int(1)), tuple(bin("b".repeat(25)), int(2))]);
  assert.equal(prettyTerm(t, LATIN1).includes("\n"), false);
  assert.equal(
    prettyTerm(t, { column: 10, encoding: "latin1" }),
    `[{<<"${"a".repeat(25)}">>,1},\n          {<<"${"b".repeat(25)}">>,2}]`,
  );
});
