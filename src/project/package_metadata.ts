/**
 * The metadata map rebar3_hex writes into `metadata.config` (behaviour doc §5.2),
 * as Erlang terms ready for the encoder.
 *
 * @module
 */
import { bin, bool, list, type Term, tuple } from "../erlang/term.ts";
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
    ["files", list(meta.files.map(bin))],
    [
      "links",
      list(
        [...meta.links].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) =>
          kv(k, bin(v))
        ),
      ),
    ],
  ];
  if (meta.description !== "") entries.push(["description", bin(meta.description)]);
  if (meta.licenses.length > 0) entries.push(["licenses", list(meta.licenses.map(bin))]);
  if (meta.buildTools.length > 0) entries.push(["build_tools", list(meta.buildTools.map(bin))]);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
