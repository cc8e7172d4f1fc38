/**
 * An application resource file (`src/APP.app.src`): `{application, Name, Props}`,
 * with typed, located access to the properties rebar3_hex reads.
 *
 * @module
 */
import { ProjectError, type Where } from "../errors.ts";
import { prettyTerm } from "../erlang/pretty_term.ts";
import { printTerms } from "../erlang/print_term.ts";
import { str, type Term, textOf, tuple } from "../erlang/term.ts";
import type { Consulted } from "./consult.ts";

/** A parsed `.app.src`. */
export interface AppSrc {
  /** The application name. */
  name: string;
  /** The consulted file. */
  source: Consulted;
  /** `{Key, Value}` properties in file order (bare atoms are `true`). */
  props: Map<string, Term>;
}

/** Where a term is written, for errors. */
export function whereOf(file: string, term: Term | undefined): Where {
  return term?.span ? { file, line: term.span.line, column: term.span.column } : { file };
}

/**
 * Reads the `{application, Name, Props}` term.
 *
 * @throws {ProjectError} When the file does not hold exactly that shape.
 */
export function parseAppSrc(source: Consulted): AppSrc {
  const { file, terms } = source;
  const app = terms[0];
  const shapeHint = 'An .app.src holds one term: {application, my_app, [{vsn, "0.1.0"}, …]}.';
  if (terms.length !== 1 || app.kind !== "tuple" || app.items.length !== 3) {
    throw new ProjectError(`${file} must hold exactly one {application, Name, Props} term`, {
      where: whereOf(file, app),
      hint: shapeHint,
    });
  }
  const [tag, name, props] = app.items;
  if (tag.kind !== "atom" || tag.value !== "application" || name.kind !== "atom") {
    throw new ProjectError(`${file} must start with {application, Name, …} where Name is an atom`, {
      where: whereOf(file, app),
      hint: shapeHint,
    });
  }
  if (props.kind !== "list") {
    throw new ProjectError(`the properties of application "${name.value}" must be a list`, {
      where: whereOf(file, props),
      hint: shapeHint,
    });
  }
  const map = new Map<string, Term>();
  for (const item of props.items) {
    if (item.kind === "tuple" && item.items.length === 2 && item.items[0].kind === "atom") {
      if (!map.has(item.items[0].value)) map.set(item.items[0].value, item.items[1]);
    } else if (item.kind === "atom") {
      if (!map.has(item.value)) map.set(item.value, { kind: "atom", value: "true" });
    }
  }
  return { name: name.value, source, props: map };
}

/** The error for an app without `vsn`. */
export function missingVsn(app: AppSrc): ProjectError {
  return new ProjectError(`application "${app.name}" has no vsn in ${app.source.file}`, {
    where: { file: app.source.file },
    hint: `Add {vsn, "0.1.0"} (or {vsn, git}) to the properties`,
  });
}

/** A text property (string, binary or atom); `undefined` when absent. */
export function textProp(app: AppSrc, key: string): string | undefined {
  const t = app.props.get(key);
  if (t === undefined) return undefined;
  if (t.kind === "atom") return t.value;
  const text = textOf(t);
  if (text === undefined) {
    throw new ProjectError(`${key} in ${app.source.file} must be a string`, {
      where: whereOf(app.source.file, t),
      hint: `Write it as {${key}, "…"}`,
    });
  }
  return text;
}

/** A list-of-strings property with where it is written; `undefined` when absent. */
export function textListProp(
  app: AppSrc,
  key: string,
): { values: string[]; where: Where } | undefined {
  const t = app.props.get(key);
  if (t === undefined) return undefined;
  const where = whereOf(app.source.file, t);
  const bad = () =>
    new ProjectError(`${key} in ${app.source.file} must be a list of strings`, {
      where,
      hint: `Write it as {${key}, ["first", "second"]}`,
    });
  if (t.kind === "string" && t.value !== "") throw bad();
  if (t.kind !== "list" && t.kind !== "string") throw bad();
  if (t.kind === "string") return { values: [], where };
  const values: string[] = [];
  for (const item of t.items) {
    const text = item.kind === "atom" ? item.value : textOf(item);
    if (text === undefined || item.kind === "integer") throw bad();
    values.push(text);
  }
  return { values, where };
}

/** The `links` property as name/URL pairs (a proplist of 2-tuples or a map). */
export function linksProp(app: AppSrc): { links: [string, string][]; where: Where } | undefined {
  const t = app.props.get("links");
  if (t === undefined) return undefined;
  const where = whereOf(app.source.file, t);
  const bad = () =>
    new ProjectError(`links in ${app.source.file} must be a list of {Name, URL} pairs`, {
      where,
      hint: `Write it as {links, [{"GitHub", "https://github.com/me/my_app"}]}`,
    });
  let pairs: [Term, Term][];
  if (t.kind === "map") pairs = t.entries;
  else if (t.kind === "list" || (t.kind === "string" && t.value === "")) {
    pairs = [];
    for (const item of t.kind === "list" ? t.items : []) {
      if (item.kind !== "tuple" || item.items.length !== 2) throw bad();
      pairs.push([item.items[0], item.items[1]]);
    }
  } else throw bad();
  const links: [string, string][] = [];
  for (const [k, v] of pairs) {
    const name = k.kind === "atom" ? k.value : textOf(k);
    const url = textOf(v);
    if (name === undefined || url === undefined) throw bad();
    links.push([name, url]);
  }
  return { links, where };
}

/**
 * The `.app.src` text with `vsn` set to `version`, for writing back into the
 * project (`cut`). A plain file keeps its text (comments and layout) and only
 * the `vsn` value is replaced; an evaluated script's result is printed anew.
 * (The packed copy is {@link packedAppSrc}.)
 *
 * @throws {ProjectError} When the app has no `vsn`.
 */
export function appSrcWithVersion(app: AppSrc, version: string): string {
  const vsn = app.props.get("vsn");
  if (!vsn) throw missingVsn(app);
  const literal = printTerms([{ kind: "string", value: version }]).replace(/\.\n$/, "");
  if (!app.source.fromScript && vsn.span) {
    const { text } = app.source;
    return text.slice(0, vsn.span.start) + literal + text.slice(vsn.span.end);
  }
  const [appTerm] = app.source.terms;
  if (appTerm.kind !== "tuple" || appTerm.items[2].kind !== "list") return app.source.text;
  const props = appTerm.items[2];
  const items = props.items.map((item) =>
    item.kind === "tuple" && item.items.length === 2 && item.items[0].kind === "atom" &&
      item.items[0].value === "vsn"
      ? {
        kind: "tuple" as const,
        items: [item.items[0], { kind: "string" as const, value: version }],
      }
      : item
  );
  return printTerms([{
    ...appTerm,
    items: [appTerm.items[0], appTerm.items[1], { ...props, items }],
  }]);
}

/**
 * The bytes rebar3_hex packs as `src/APP.app.src`: the consulted term with the
 * first `{vsn, _}` replaced by `{vsn, Version}` (as `lists:keyreplace/4` does;
 * nothing changes without one), printed anew with `io_lib:format("~tp.~n", …)`
 * and encoded as UTF-8 (rebar3_hex's `include_files` and `update_app_src`).
 * Comments and layout are not kept, and a Latin-1 source comes out as UTF-8.
 *
 * @param app The parsed plain `.app.src` (rebar3_hex reads that file, not the
 *   result of an `.app.src.script`).
 * @param version The version being packed.
 * @returns The file's bytes.
 */
export function packedAppSrc(app: AppSrc, version: string): Uint8Array {
  const appTerm = app.source.terms[0];
  if (appTerm.kind !== "tuple" || appTerm.items[2].kind !== "list") {
    throw new ProjectError(`${app.source.file} must hold one {application, Name, Props} term`, {
      where: { file: app.source.file },
    });
  }
  const props = appTerm.items[2];
  const at = props.items.findIndex((item) =>
    item.kind === "tuple" && item.items.length > 0 && item.items[0].kind === "atom" &&
    item.items[0].value === "vsn"
  );
  const items = [...props.items];
  if (at >= 0) items[at] = tuple({ kind: "atom", value: "vsn" }, str(version));
  const term = tuple(appTerm.items[0], appTerm.items[1], { ...props, items });
  return new TextEncoder().encode(`${prettyTerm(term, { encoding: "unicode" })}.\n`);
}
