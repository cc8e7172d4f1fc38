import { strict as assert } from "node:assert";
import { pcreRegExp, PcreUnsupported } from "../../src/project/pcre.ts";

// Each case's expectations were checked with OTP 25's re:run (see
// tests/interop/pcre_interop_test.ts for the differential test).

Deno.test("pcreRegExp() reads PCRE forms as Erlang's re does", () => {
  const cases: [string, string[], string[]][] = [
    // [pattern, matched, not matched]
    ["secre\\x{74}", ["priv/secret"], ["priv/secrex"]],
    ["^\\p{Ll}+$", ["abc\xe9"], ["aBc", "a1"]],
    ["\\P{L}", ["1"], ["a\xe9"]],
    ["\\Qa.b\\E", ["a.b"], ["axb"]],
    ["(?i)\\.BAK$", ["x.bak", "x.BaK"], ["x.bakk"]],
    ["(?i)\xe9", ["\xc9"], ["e"]],
    ["a$", ["a", "a\n"], ["a\n\n"]],
    ["a\\z", ["a"], ["a\n"]],
    ["a\\Z", ["a\n"], ["a\n\n"]],
    ["\\Apriv/", ["priv/x"], ["src/priv/x"]],
    ["a.b", ["a\rb"], ["a\nb"]],
    ["(?s)a.b", ["a\nb"], []],
    ["(?m)^b", ["a\nb"], ["ab"]],
    ["\\s", [" ", "\v"], ["\xa0"]],
    ["\\h", ["\xa0", "\t"], ["\n"]],
    ["\\w", ["\xe9", "_"], ["-"]],
    ["\\bx", ["\xe9 x"], ["\xe9x"]],
    ["[[:alpha:]]", ["\xaa"], ["1"]],
    ["[[:^digit:]]", ["a"], ["1"]],
    ["\\e\\cA\\011\\o{101}", ["\x1b\x01\tA"], []],
    ["a++b", ["aab"], ["aa"]],
    ["(?>a|ab)c", ["ac"], ["abc"]],
    ["(?x) a b # comment", ["ab"], ["a b"]],
    ["(?P<n>a)(?<m>b)", ["ab"], ["a"]],
    ["(?<=a)b", ["ab"], ["cb"]],
    ["x{a}", ["x{a}"], ["xa"]],
    ["\\R", ["\r\n", "\x85"], ["a"]],
    ["(?U)a+", ["a"], [""]],
    ["a(?#note)b", ["ab"], ["a b"]],
  ];
  for (const [pattern, yes, no] of cases) {
    const re = pcreRegExp(pattern);
    for (const s of yes) assert.ok(re.test(s), `${pattern} should match ${JSON.stringify(s)}`);
    for (const s of no) assert.ok(!re.test(s), `${pattern} should not match ${JSON.stringify(s)}`);
  }
});

Deno.test("pcreRegExp() refuses what it cannot read the same way, naming the form and position", () => {
  const cases: [string, string, number][] = [
    ["(a)\\1", "\\1", 4],
    ["\\k<n>", "\\k", 1],
    ["a(?(1)b|c)", "(?(1)", 2],
    ["(*CR)a", "(*", 1],
    ["\\p{Foo}", "\\p{Foo}", 1],
    ["\\x{100}", "\\x{100}", 1],
    ["[z-a]", "z-a", 2],
    ["(?<=a+)b", "(?<=a+)", 1],
    ["ab\\S*\\h", "\\S", 3], // OTP's PCRE wrongly makes \S* possessive here
    ["\\PN*\\PL", "\\PN", 1],
    ["a{2,1}", "{2,1}", 2],
    ["(unclosed", "(", 1],
    ["[[:nope:]]", "[:nope:]", 2],
    ["\u0100", "\u0100", 1],
    ["\\G", "\\G", 1],
  ];
  for (const [pattern, form, position] of cases) {
    assert.throws(
      () => pcreRegExp(pattern),
      (e: unknown) =>
        e instanceof PcreUnsupported && e.form.startsWith(form.slice(0, 2)) &&
        e.position === position,
      pattern,
    );
  }
});
