/**
 * The metadata map rebar3_hex writes into `metadata.config` (rebar3_hex `src/rebar3_hex_build.erl`, `create_package/2`),
 * as Erlang terms ready for the encoder.
 *
 * @module
 */
import { bin, bool, int, list, type Term, tuple } from "../erlang/term.ts";
import type { Requirement } from "./requirements.ts";

/** What a package says about itself. */
export interface PackageMeta {
  /** Package name: `pkg_name`, else the app name. */
  name: string;
  version: string;
  app: string;
  description: string;
  /** Every packed path, directories included. */
  files: string[];
  licenses: string[];
  links: [string, string][];
  buildTools: string[];
  requirements: Requirement[];
}

const kv = (key: string, value: Term): Term => tuple(bin(key), value);

/** Erlang's `io_lib:printable_unicode_list/1`, one character at a time. */
function printableUnicode(code: number): boolean {
  return (code >= 32 && code <= 126) || (code >= 8 && code <= 13) || code === 27 ||
    (code >= 160 && code < 0xd800) || (code > 0xdfff && code < 0xfffe) ||
    (code > 0xffff && code <= 0x10ffff);
}

/**
 * A text value as rebar3_hex's `binarify/1` turns an Erlang string into metadata
 * (rebar3_hex src/rebar3_hex_build.erl): a binary when every character is
 * printable, else the list of character codes (which hex_core prints as a list).
 */
export function textTerm(text: string): Term {
  const codes = [...text].map((c) => c.codePointAt(0)!);
  return codes.every(printableUnicode) ? bin(text) : list(codes.map((c) => int(c)));
}

const utf8 = new TextEncoder();

/** Erlang's order of binaries: byte by byte. */
function byteOrder(a: string, b: string): number {
  const [x, y] = [utf8.encode(a), utf8.encode(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * Links as rebar3_hex's map holds them: a name given twice keeps its last URL
 * (`maps:from_list/1`), in key order.
 */
function linkMap(links: [string, string][]): [string, string][] {
  return [...new Map(links)].sort(([a], [b]) => byteOrder(a, b));
}

/**
 * The metadata entries. As in rebar3_hex, an empty description or licence list
 * is left out, while `links` and `requirements` are always present.
 */
export function metadataEntries(meta: PackageMeta): [string, Term][] {
  const entries: [string, Term][] = [
    ["name", bin(meta.name)],
    ["version", bin(meta.version)],
    ["app", bin(meta.app)],
    [
      "requirements",
      list(meta.requirements.map((r) =>
        kv(
          r.name,
          list([
            kv("app", bin(r.app)),
            kv("optional", bool(r.optional)),
            ...(r.repository === undefined ? [] : [kv("repository", bin(r.repository))]),
            kv("requirement", bin(r.requirement)),
          ]),
        )
      )),
    ],
    ["files", list(meta.files.map(textTerm))],
    ["links", list(linkMap(meta.links).map(([k, v]) => tuple(textTerm(k), textTerm(v))))],
  ];
  if (meta.description !== "") entries.push(["description", textTerm(meta.description)]);
  if (meta.licenses.length > 0) entries.push(["licenses", list(meta.licenses.map(textTerm))]);
  if (meta.buildTools.length > 0) {
    entries.push(["build_tools", list(meta.buildTools.map(textTerm))]);
  }
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
