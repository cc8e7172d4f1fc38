/**
 * exclude_patterns against Erlang's `re`: seeded random patterns built from
 * the PCRE forms that JavaScript reads differently (and some it reads alike),
 * each run on random paths by OTP as rebar3_hex runs them (`re:run(Path,
 * Pattern)`, one escript run for all) and by hexpub's translation. A pattern
 * hexpub translates must match exactly the paths OTP matches, and one OTP
 * refuses must be refused; a pattern hexpub refuses must be refused cleanly
 * (PcreUnsupported, with the form and its position). Skips visibly without
 * Erlang (see ./erlang.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pcreRegExp, PcreUnsupported } from "../../src/project/pcre.ts";
import { interopTest, runEscript } from "./erlang.ts";

const script = fileURLToPath(new URL("./pcre_run.escript", import.meta.url));
const PATTERNS = 700;
const PATHS_PER_PATTERN = 12;

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters of paths: ASCII that patterns name, controls, newlines and Latin-1 letters and spaces. */
const PATH_CHARS = [
  ..."abtexsABTEXS017/._- {}pLl#",
  "\n",
  "\r",
  "\t",
  "\v",
  "\f",
  "\x00",
  "\x01",
  "\x1b",
  "\x7f",
  "\x85",
  "\xa0",
  "\xaa",
  "\xb5",
  "\xc9",
  "\xd7",
  "\xdf",
  "\xe9",
  "\xf7",
  "\xff",
];

/** Pattern pieces: PCRE forms, each alone a valid or invalid pattern. */
const FORMS = [
  // characters and escapes of characters
  "a",
  "t",
  "E",
  "\xe9",
  "\xc9",
  ".",
  "/",
  "\\.",
  "\\/",
  "\\x{74}",
  "\\x74",
  "\\x{e9}",
  "\\x{C9}",
  "\\x7",
  "\\o{164}",
  "\\0",
  "\\011",
  "\\07",
  "\\e",
  "\\a",
  "\\f",
  "\\t",
  "\\n",
  "\\r",
  "\\cA",
  "\\c[",
  "\\Qa.\\E",
  "\\Q.{\\E",
  "\\Q\\E",
  "\\E",
  "\\_",
  "\\{",
  "{",
  "x{a}",
  "{,2}",
  // sets
  "\\d",
  "\\D",
  "\\w",
  "\\W",
  "\\s",
  "\\S",
  "\\h",
  "\\H",
  "\\v",
  "\\V",
  "\\N",
  "\\R",
  "\\p{Ll}",
  "\\p{Lu}",
  "\\P{L}",
  "\\pL",
  "\\p{^N}",
  "\\p{L&}",
  "\\p{Zs}",
  "\\p{Po}",
  "\\p{Xan}",
  "\\p{Xwd}",
  "\\p{Xps}",
  "\\p{Xsp}",
  "\\p{Xuc}",
  "\\p{Any}",
  "\\p{Latin}",
  "\\p{Common}",
  "\\p{Greek}",
  // classes
  "[[:alpha:]]",
  "[[:^digit:]]",
  "[[:punct:]]",
  "[[:upper:]]",
  "[[:lower:]]",
  "[[:^upper:]]",
  "[[:ascii:]]",
  "[[:space:]]",
  "[[:word:]]",
  "[[:cntrl:]]",
  "[[:graph:]]",
  "[[:print:]]",
  "[[:xdigit:]]",
  "[[:blank:]]",
  "[[:alnum:]]",
  "[^a-z]",
  "[]a]",
  "[^]a]",
  "[a-]",
  "[-a]",
  "[a-c-e]",
  "[%--]",
  "[\\w.]",
  "[\\x{41}-\\x{5a}]",
  "[\\b]",
  "[\\n\\e]",
  "[\\p{Lu}x]",
  "[\\Pl]",
  "[\\QE\\E]",
  "[\\s\\xa0]",
  "[\\0-\\x1f]",
  "[\\h]",
  "[\\V]",
  "[\xc9-\xde]",
  "[^\\n]",
  // anchors
  "^",
  "$",
  "\\A",
  "\\z",
  "\\Z",
  "\\b",
  "\\B",
  // groups and options
  "(?i)",
  "(?-i)",
  "(?s)",
  "(?m)",
  "(?x)",
  "(?U)",
  "(?i:a\xe9)",
  "(?s:.)",
  "(?mi)",
  "(a)",
  "(a|b)",
  "(?:a|)",
  "(?>a+)",
  "(?>a|ab)",
  "(?#c)",
  "(?P<n>a)",
  "(?<m>b)",
  "(?'q'a)",
  "(?=a)",
  "(?!a)",
  "(?<=a)",
  "(?<!b)",
  "(?<=ab|c)",
  "(?<=\\d{2})",
  "(?|a|b)",
  "a|b",
  "|",
  " ",
  "#x\n",
];

/** Forms that are invalid, or valid but refused by hexpub: a few per run. */
const ODD_FORMS = [
  "\\x{100}",
  "\\x{zz}",
  "\\o{777}",
  "\\c",
  "\\y",
  "\\p{Foo}",
  "\\p{ll}",
  "\\p",
  "[[:foo:]]",
  "[[.a.]]",
  "[\\d-z]",
  "[a-\\d]",
  "[z-a]",
  "[\\R]",
  "[\\1]",
  "[",
  "[]",
  "\\G",
  "\\K",
  "\\X",
  "\\C",
  "(?)",
  "(?J)",
  "(?X)",
  "(?#",
  "(?<1x>a)",
  "(?P=n)",
  "(a)\\1",
  "\\g1",
  "\\k<n>",
  "(?<=a+)",
  "(?R)",
  "(?1)",
  "(?(1)a|b)",
  "(*UTF8)",
  "(*CR)",
  "(?C1)",
  "(",
  ")",
  "\\",
  "\\Qa",
  "\\x",
];

/** Realistic exclude_patterns. */
const REAL = [
  "\\.bak$",
  "^priv/secret",
  "~$",
  "(?i)readme",
  "^[^/]+\\.txt$",
  "/\\.git/",
  "\\.(?:o|so|swp)$",
  "(^|/)_build(/|$)",
  "^priv/.*\\.pem\\z",
  "\\.e\\Z",
];

const QUANTIFIERS = [
  "",
  "",
  "",
  "",
  "*",
  "+",
  "?",
  "{2}",
  "{0,2}",
  "{1,}",
  "*?",
  "+?",
  "++",
  "*+",
  "?+",
];
const ODD_QUANTIFIERS = ["{2,1}", "{99999}", "**", "{,2}"];

function generate(next: () => number): { pattern: string; paths: string[] }[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const cases: { pattern: string; paths: string[] }[] = [];
  for (let n = 0; n < PATTERNS; n++) {
    let pattern = "";
    const pieces = 1 + Math.floor(next() * 4);
    if (next() < 0.1) pattern = pick(REAL);
    else {
      for (let k = 0; k < pieces; k++) {
        const form = next() < 0.04 ? pick(ODD_FORMS) : pick(FORMS);
        pattern += form + (next() < 0.02 ? pick(ODD_QUANTIFIERS) : pick(QUANTIFIERS));
      }
    }
    const paths: string[] = [];
    for (let k = 0; k < PATHS_PER_PATTERN; k++) {
      let path = "";
      const length = Math.floor(next() * 7);
      for (let c = 0; c < length; c++) path += pick(PATH_CHARS);
      paths.push(path);
    }
    // Paths built from the pattern's own characters, so that literal forms get matched too.
    const own = [...pattern].filter((c) => !"\\()[]{}*+?|^$".includes(c));
    for (let k = 0; k < 4; k++) {
      let path = "";
      const length = Math.floor(next() * 6);
      for (let c = 0; c < length; c++) path += pick(next() < 0.7 && own.length ? own : PATH_CHARS);
      paths.push(path);
    }
    cases.push({ pattern, paths });
  }
  return cases;
}

function hex(s: string): string {
  if (s === "") return "-";
  return [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

interopTest(
  "exclude_patterns: hexpub's translation matches what Erlang's re matches, or is refused",
  async () => {
    const cases = generate(random(20241207));
    const dir = await Deno.makeTempDir({ prefix: "hexpub-pcre-" });
    const input = join(dir, "in");
    const output = join(dir, "out");
    await Deno.writeTextFile(
      input,
      cases.map((c) => [`P ${hex(c.pattern)}`, ...c.paths.map((p) => `S ${hex(p)}`)].join("\n"))
        .join("\n") + "\n",
    );
    await runEscript(script, [input, output]);
    const results = (await Deno.readTextFile(output)).split("\n").slice(0, -1);
    assert.equal(results.length, cases.length);

    let translated = 0, refused = 0, pairs = 0, erlangErrors = 0, bothRefused = 0;
    const disagreements: string[] = [];
    for (const [n, c] of cases.entries()) {
      const erlang = results[n];
      if (erlang === "error") erlangErrors++;
      let re: RegExp;
      try {
        re = pcreRegExp(c.pattern);
      } catch (e) {
        assert.ok(e instanceof PcreUnsupported, `${JSON.stringify(c.pattern)}: ${e}`);
        assert.ok(c.pattern.includes(e.form), `${JSON.stringify(c.pattern)}: form ${e.form}`);
        assert.ok(e.position >= 1 && e.position <= c.pattern.length);
        refused++;
        if (erlang === "error") bothRefused++;
        continue;
      }
      translated++;
      if (erlang === "error") {
        disagreements.push(`${JSON.stringify(c.pattern)}: Erlang refuses it, hexpub translated it`);
        continue;
      }
      const ours = c.paths.map((p) => (re.test(p) ? "1" : "0")).join("");
      pairs += c.paths.length;
      if (ours !== erlang) {
        const wrong = c.paths.filter((_, k) => ours[k] !== erlang[k]);
        disagreements.push(
          `${JSON.stringify(c.pattern)} (${re.source}): Erlang ${erlang}, hexpub ${ours}, on ${
            JSON.stringify(wrong)
          }`,
        );
      }
    }
    // The figures, for the record (the test's own output).
    // deno-lint-ignore no-console
    console.log(
      `exclude_patterns differential: ${cases.length} patterns, ${translated} translated ` +
        `(${pairs} pattern/path pairs, all checked against Erlang), ${refused} refused ` +
        `(${bothRefused} of them invalid for Erlang too; ${erlangErrors} invalid in all)`,
    );
    assert.deepEqual(disagreements, []);
    assert.ok(pairs >= 500, `only ${pairs} translated pairs`);
  },
);
