/**
 * Writes terms as compact Erlang text that both {@link readTerms} and Erlang's
 * `file:consult/1` read back to an equal term.
 *
 * The output is meant to be saved as UTF-8: characters outside ASCII are
 * written as themselves, except controls (C0, DEL and C1), which are written
 * as three-digit octal escapes.
 *
 * Lists are written in Erlang's normal form: a list tail that is itself a list
 * is spliced in (`[a|[b]]` prints as `[a,b]`), a string tail becomes its
 * character codes, and an empty tail disappears, which is also how
 * {@link readTerms} reads them.
 *
 * @module
 */

import { RESERVED_WORDS } from "./read_terms.ts";
import type { Term } from "./term.ts";

/**
 * Writes one term, with no trailing `.`.
 *
 * @param term The term to write.
 * @returns Erlang text such as `{deps,[{cowboy,"2.9.0"}]}`.
 * @throws {RangeError} For a value Erlang cannot hold: a float that is NaN or
 * infinite, an atom longer than 255 characters, or a string or atom holding
 * an unpaired UTF-16 surrogate.
 *
 * @example
 * ```ts
 * printTerm(tuple(atom("vsn"), str("1.0.0"))); // '{vsn,"1.0.0"}'
 * ```
 *
 * Exported for tests, which print single terms and read them back (src prints whole files with `printTerms`).
 */
export function printTerm(term: Term): string {
  const out: string[] = [];
  write(term, out);
  return out.join("");
}

/**
 * Writes terms as the text of a term file: each term followed by `.` and a newline.
 *
 * @param terms The terms to write.
 * @returns Text that `file:consult/1` reads back to the same terms.
 * @throws {RangeError} As {@link printTerm} does.
 */
export function printTerms(terms: Term[]): string {
  return terms.map((term) => `${printTerm(term)}.\n`).join("");
}

const UNQUOTED_ATOM = /^[a-z][A-Za-z0-9_@]*$/;

function write(term: Term, out: string[]): void {
  switch (term.kind) {
    case "atom":
      out.push(formatAtom(term.value));
      return;
    case "integer":
      out.push(term.value.toString());
      return;
    case "float":
      out.push(formatFloat(term.value));
      return;
    case "string":
      out.push(quote(term.value, '"'));
      return;
    case "binary":
      out.push(formatBinary(term.bytes));
      return;
    case "tuple":
      out.push("{");
      term.items.forEach((item, i) => {
        if (i > 0) out.push(",");
        write(item, out);
      });
      out.push("}");
      return;
    case "list": {
      const items = [...term.items];
      let tail = term.tail;
      while (tail?.kind === "list") {
        items.push(...tail.items);
        tail = tail.tail;
      }
      if (tail?.kind === "string") {
        for (const ch of tail.value) {
          items.push({ kind: "integer", value: BigInt(ch.codePointAt(0)!) });
        }
        tail = undefined;
      }
      if (tail && items.length === 0) {
        // `[|T]` is not Erlang: a list with no items before its tail is the tail.
        write(tail, out);
        return;
      }
      out.push("[");
      items.forEach((item, i) => {
        if (i > 0) out.push(",");
        write(item, out);
      });
      if (tail) {
        out.push("|");
        write(tail, out);
      }
      out.push("]");
      return;
    }
    case "map":
      out.push("#{");
      term.entries.forEach(([key, value], i) => {
        if (i > 0) out.push(",");
        write(key, out);
        out.push(" => ");
        write(value, out);
      });
      out.push("}");
      return;
  }
}

function formatAtom(value: string): string {
  if ([...value].length > 255) {
    throw new RangeError(
      `Cannot print atom "${value.slice(0, 30)}…": it is longer than 255 characters`,
    );
  }
  if (UNQUOTED_ATOM.test(value) && !RESERVED_WORDS.has(value)) return value;
  return quote(value, "'");
}

/**
 * Writes a float with the fewest digits that read back to the same double,
 * always with a `.` and digits on both sides, as Erlang requires.
 */
function formatFloat(value: number): string {
  if (!Number.isFinite(value)) {
    throw new RangeError(`Cannot print float "${value}": Erlang floats are finite`);
  }
  if (Object.is(value, -0)) return "-0.0";
  const text = String(value);
  const e = text.indexOf("e");
  let mantissa = e === -1 ? text : text.slice(0, e);
  const exponent = e === -1 ? "" : `e${text.slice(e + 1).replace("+", "")}`;
  if (!mantissa.includes(".")) mantissa += ".0";
  return mantissa + exponent;
}

/** Writes `value` between `q` quotes with Erlang escapes. */
function quote(value: string, q: string): string {
  let out = q;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === "\\") out += `\\${ch}`;
    else if (cp === 10) out += "\\n";
    else if (cp === 9) out += "\\t";
    else if (cp === 13) out += "\\r";
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      // Always three digits, so that a digit after the escape is not taken into it.
      out += `\\${cp.toString(8).padStart(3, "0")}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      throw new RangeError(
        `Cannot print text holding an unpaired surrogate "\\u${
          cp.toString(16)
        }": it is not a character`,
      );
    } else out += ch;
  }
  // Erlang reads a "coding: latin-1" after a "%" on a file's first two lines as the
  // file's encoding, even inside a string. "\g" reads as "g" and breaks the pattern.
  return out.replace(/coding( *[:=])/g, "codin\\g$1") + q;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function isPlainAscii(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 9 || b === 10 || b === 13;
}

function formatBinary(bytes: Uint8Array): string {
  if (bytes.length === 0) return "<<>>";
  let text: string | undefined;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text !== undefined && bytes.every(isPlainAscii)) return `<<${quote(text, '"')}>>`;
  // deno-lint-ignore no-control-regex
  if (text !== undefined && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/.test(text)) {
    return `<<${quote(text, '"')}/utf8>>`;
  }
  return `<<${bytes.join(",")}>>`;
}
