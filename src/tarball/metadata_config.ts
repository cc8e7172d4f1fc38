/**
 * `metadata.config`: the Erlang-term text file inside a Hex package tarball.
 *
 * The encoder writes what hex_core's `encode_metadata` writes for the same
 * map: for each `{Key, Value}` of the map (keys in byte order), the text of
 * `io_lib_pretty:print(binarify({Key, Value}), [{encoding, utf8}])` and `.\n`,
 * in UTF-8. That printer wraps terms longer than 80 columns over several
 * lines; {@link prettyTerm} reproduces its layout byte for byte. Binaries take
 * the form `io_lib_pretty` chooses, so `<<"é">>` never silently turns into
 * Latin-1:
 *
 * - printable ASCII → `<<"text">>`
 * - UTF-8 whose characters are all printable and ≤ U+00FF → `<<"Café"/utf8>>`
 * - not UTF-8, but every byte printable as Latin-1 → `<<"é">>` (one byte per character)
 * - anything else (emoji, most control bytes, invalid UTF-8) → `<<67,97,…>>`
 *
 * @module
 */

import { HexpubError, TarballError } from "../errors.ts";
import { mapEntriesInOrder, prettyTerm } from "../erlang/pretty_term.ts";
import { readTerms } from "../erlang/read_terms.ts";
import { latin1, type Term, type TermOf, textOf } from "../erlang/term.ts";

const encoder = new TextEncoder();

/** A value `JSON.stringify` prints as is. */
export type JsonValue = null | boolean | number | string | JsonValue[] | {
  [key: string]: JsonValue;
};

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * hex_core's `binarify`: atoms other than `true`, `false` and `undefined`
 * become UTF-8 binaries, maps become lists of `{Key, Value}` in the order
 * Erlang lists them (see {@link mapEntriesInOrder}), lists and 2-tuples are
 * converted element by element, binaries and integers stay.
 *
 * @throws {TypeError} For what hex_core cannot write or read back: floats
 *   (its reader rejects them), improper lists and tuples that are not pairs
 *   (its `binarify` has no clause for them).
 */
function binarify(term: Term): Term {
  switch (term.kind) {
    case "binary":
    case "integer":
    case "string":
      return term;
    case "float":
      throw new TypeError(
        `Cannot write float ${term.value} to metadata.config: Hex reads no floats`,
      );
    case "atom":
      return ["true", "false", "undefined"].includes(term.value)
        ? term
        : { kind: "binary", bytes: encoder.encode(term.value) };
    case "list": {
      const items = term.items.map(binarify);
      let tail = term.tail;
      while (tail?.kind === "list") {
        items.push(...tail.items.map(binarify));
        tail = tail.tail;
      }
      // A string tail only spells more characters: the list is still proper.
      if (tail && tail.kind !== "string") {
        throw new TypeError("Cannot write an improper list to metadata.config");
      }
      return { kind: "list", items, tail };
    }
    case "tuple":
      if (term.items.length !== 2) {
        throw new TypeError(
          `Cannot write a ${term.items.length}-tuple to metadata.config: hex_core writes pairs only`,
        );
      }
      return { kind: "tuple", items: term.items.map(binarify) };
    case "map":
      return {
        kind: "list",
        items: mapEntriesInOrder(term.entries).map(([k, v]) =>
          binarify({ kind: "tuple", items: [k, v] })
        ),
      };
  }
}

/**
 * Prints one value as hex_core writes it in `metadata.config` (after its
 * `binarify`), on as many lines as `io_lib_pretty` takes.
 *
 * @param term The value.
 * @returns Erlang term text without the closing `.`.
 * @throws {TypeError} For floats, improper lists and tuples other than pairs.
 */
export function encodeTerm(term: Term): string {
  return prettyTerm(binarify(term), { encoding: "unicode" });
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

function sortByKey<T>(entries: [string, T][]): [string, T][] {
  return entries
    .map((entry) => ({ entry, key: encoder.encode(entry[0]) }))
    .sort((a, b) => compareBytes(a.key, b.key))
    .map(({ entry }) => entry);
}

/**
 * Writes `metadata.config` as hex_core does: one `{<<"key">>,VALUE}.` term per
 * entry, keys in byte order (hex_core prints a map of binaries, whose keys
 * come out sorted), each pretty-printed and wrapped at 80 columns.
 *
 * @param entries Metadata as key and value pairs.
 * @returns The file's text (encode it as UTF-8).
 * @throws {TypeError} For a duplicate key, a float, an improper list or a
 *   tuple other than a pair.
 */
export function encodeMetadata(entries: [string, Term][]): string {
  const seen = new Set<string>();
  for (const [key] of entries) {
    if (seen.has(key)) throw new TypeError(`Duplicate metadata key "${key}"`);
    seen.add(key);
  }
  return sortByKey(entries)
    .map(([key, value]) => {
      const pair: TermOf<"tuple"> = {
        kind: "tuple",
        items: [{ kind: "binary", bytes: encoder.encode(key) }, value],
      };
      return `${encodeTerm(pair)}.\n`;
    })
    .join("");
}

/**
 * Turns `metadata.config` bytes into text the way hex_core does: UTF-8, or
 * Latin-1 when the bytes are not valid UTF-8.
 *
 * @param bytes The file's content.
 * @returns The text to pass to {@link decodeMetadata}.
 */
export function decodeMetadataBytes(bytes: Uint8Array): string {
  return decodeUtf8(bytes) ?? latin1(bytes);
}

function invalidMetadata(message: string, cause?: unknown): TarballError {
  return new TarballError("invalid_metadata", `error reading package metadata: ${message}`, {
    cause,
    where: cause instanceof HexpubError ? cause.where : undefined,
    hint: "The tarball's metadata.config is damaged: rebuild the package",
  });
}

function findFloat(term: Term): boolean {
  switch (term.kind) {
    case "float":
      return true;
    case "tuple":
      return term.items.some(findFloat);
    case "list":
      return term.items.some(findFloat) || (term.tail !== undefined && findFloat(term.tail));
    case "map":
      return term.entries.some(([k, v]) => findFloat(k) || findFloat(v));
    default:
      return false;
  }
}

/**
 * Reads `metadata.config` text as hex_core does: a sequence of `{Key,Value}.`
 * terms; a repeated key keeps its last value. Keys come back as text, entries
 * sorted by key bytes (so `decodeMetadata(encodeMetadata(x))` gives `x` back,
 * sorted).
 *
 * @param text The file's text (decode the bytes as UTF-8, or Latin-1 if that fails).
 * @returns The entries.
 * @throws {TarballError} `invalid_metadata` when the text does not parse, holds a
 *   float, or a term is not a 2-tuple with a binary key.
 */
export function decodeMetadata(text: string): [string, Term][] {
  let terms: Term[];
  try {
    terms = readTerms(text, "metadata.config");
  } catch (err) {
    throw invalidMetadata(err instanceof Error ? err.message : String(err), err);
  }
  const byKey = new Map<string, Term>();
  for (const term of terms) {
    if (term.kind !== "tuple" || term.items.length !== 2 || term.items[0].kind !== "binary") {
      throw invalidMetadata("not in key-value format");
    }
    if (findFloat(term)) throw invalidMetadata("invalid terms (floats are not allowed)");
    byKey.set(textOf(term.items[0])!, term.items[1]);
  }
  return sortByKey([...byKey]);
}

function isTextKey(term: Term): boolean {
  return term.kind === "binary" || term.kind === "string";
}

function isKvList(items: Term[]): boolean {
  return items.length > 0 &&
    items.every((item) =>
      item.kind === "tuple" && item.items.length === 2 && isTextKey(item.items[0])
    );
}

/**
 * Turns a term into plain JSON data: binaries and strings → strings,
 * `true`/`false` → booleans, `undefined`/`nil` → null, other atoms → strings,
 * kvlists of 2-tuples with text keys → objects, other lists and tuples →
 * arrays, integers → numbers (strings when beyond 2^53).
 *
 * @param term The value.
 * @returns Data `JSON.stringify` can print.
 *
 * Exported for tests, which check each term kind's JSON.
 */
export function termToJson(term: Term): JsonValue {
  switch (term.kind) {
    case "binary":
    case "string":
      return textOf(term)!;
    case "integer": {
      const n = Number(term.value);
      return Number.isSafeInteger(n) ? n : term.value.toString();
    }
    case "float":
      return term.value;
    case "atom":
      if (term.value === "true") return true;
      if (term.value === "false") return false;
      if (term.value === "undefined" || term.value === "nil") return null;
      return term.value;
    case "tuple":
      return term.items.map(termToJson);
    case "list":
      if (isKvList(term.items)) {
        return Object.fromEntries(
          term.items.map((item) => {
            const [k, v] = (item as Extract<Term, { kind: "tuple" }>).items;
            return [textOf(k)!, termToJson(v)];
          }),
        );
      }
      return term.items.map(termToJson);
    case "map":
      if (term.entries.every(([k]) => isTextKey(k))) {
        return Object.fromEntries(term.entries.map(([k, v]) => [textOf(k)!, termToJson(v)]));
      }
      return term.entries.map(([k, v]) => [termToJson(k), termToJson(v)]);
  }
}

/**
 * Metadata as a plain JSON object, for `--json` output.
 *
 * @param entries Metadata as key and value pairs.
 * @returns An object keyed by metadata key.
 */
export function metadataToJson(entries: [string, Term][]): { [key: string]: JsonValue } {
  return Object.fromEntries(entries.map(([key, value]) => {
    const json = termToJson(value);
    // These are maps in hex_core; an empty one is still a map, not a list.
    const isMap = MAP_KEYS.has(key) && Array.isArray(json) && json.length === 0;
    return [key, isMap ? {} : json];
  }));
}

/** Metadata keys whose value is a map (written as a key/value list). */
const MAP_KEYS = new Set(["links", "requirements", "extra"]);
