/**
 * Compiling the regular expressions of `exclude_patterns`, which rebar3_hex
 * runs with Erlang's `re` (PCRE), as JavaScript RegExps: PCRE-only forms that
 * are common in the wild are translated; the rest are refused, never silently
 * read differently.
 *
 * @module
 */

const POSIX_CLASSES: Record<string, string> = {
  alpha: "a-zA-Z",
  digit: "0-9",
  alnum: "a-zA-Z0-9",
  upper: "A-Z",
  lower: "a-z",
  space: "\\s",
  blank: " \\t",
  punct: "!-\\/:-@\\[-`{-~",
  xdigit: "0-9A-Fa-f",
  word: "\\w",
  cntrl: "\\x00-\\x1f\\x7f",
  print: " -~",
  graph: "!-~",
};

/**
 * Translates a PCRE pattern to a RegExp.
 *
 * @throws {SyntaxError} With the reason, for PCRE forms JavaScript cannot express
 *   (possessive quantifiers, atomic groups, `\Q…\E`, extended mode) or invalid patterns.
 */
export function erlangRegExp(pattern: string): RegExp {
  let source = pattern;
  let flags = "";
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]) {
      if (f === "i" || f === "m" || f === "s") flags += flags.includes(f) ? "" : f;
      else throw new SyntaxError(`the inline option (?${f}) has no JavaScript equivalent`);
    }
    source = source.slice(inline[0].length);
  }
  if (/\(\?>/.test(source)) throw new SyntaxError("atomic groups (?>…) are not supported");
  if (/\\Q/.test(source)) throw new SyntaxError("\\Q…\\E quoting is not supported");
  if (/(?<!\\)[*+?}]\+/.test(source)) {
    throw new SyntaxError("possessive quantifiers (*+, ++, ?+) are not supported");
  }
  source = source.replace(/\[:(\^?)([a-z]+):\]/g, (whole, neg: string, name: string) => {
    const cls = POSIX_CLASSES[name];
    if (!cls) throw new SyntaxError(`unknown POSIX class ${whole}`);
    if (neg) throw new SyntaxError(`negated POSIX classes such as ${whole} are not supported`);
    return cls;
  });
  source = source.replace(/\\A/g, "^").replace(/\\[zZ]/g, "$");
  return new RegExp(source, flags);
}
