import { strict as assert } from "node:assert";
import { erlangRegExp } from "../../src/project/erlang_regex.ts";

Deno.test("erlangRegExp() translates PCRE-only forms rebar3 users write", () => {
  assert.ok(erlangRegExp("[[:digit:]]\\.txt$").test("priv/b1.txt"));
  assert.ok(!erlangRegExp("[[:digit:]]\\.txt$").test("priv/b.txt"));
  assert.ok(erlangRegExp("(?i)\\.BAK$").test("notes.bak"));
  assert.ok(erlangRegExp("\\Apriv/").test("priv/x"));
  assert.ok(!erlangRegExp("\\Apriv/").test("src/priv/x"));
  assert.ok(erlangRegExp("\\.o\\z").test("a.o"));
  assert.ok(erlangRegExp("^[[:alpha:]_]+\\.erl$").test("my_mod.erl"));
});

Deno.test("erlangRegExp() refuses PCRE forms it cannot read the same way", () => {
  for (
    const p of ["a++", "(?>ab)", "\\Qa.b\\E", "(?x) a b", "[[:nope:]]", "[[:^digit:]]", "(unclosed"]
  ) {
    assert.throws(() => erlangRegExp(p), SyntaxError, p);
  }
});
