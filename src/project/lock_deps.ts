/**
 * The dependencies `rebar3 lock` starts from: the default profile's `deps` of
 * the project's `rebar.config`, read as rebar3 3.19 reads them
 * (`rebar_app_utils:parse_dep`), with duplicates dropped as
 * `rebar_utils:tup_dedup` drops them (sorted by name, the first of each name
 * kept). In an umbrella, each app's own `rebar.config` adds the deps whose
 * names the root does not already list (`rebar_app_discover:handle_profile`).
 *
 * A dependency is a Hex package (`cowboy`, `{cowboy, "~> 2.9"}`,
 * `{cowboy, {pkg, cowboy_fork}}`, `{cowboy, "2.9.0", {pkg, cowboy_fork}}`) or a
 * source dependency (`{cowboy, {git, URL, Ref}}`, with or without a version
 * before the source). Anything else is a form rebar3 refuses too.
 *
 * @module
 */
import { type Term, textOf } from "../erlang/term.ts";
import type { Where } from "../errors.ts";
import { whereOf } from "./app_src.ts";
import type { Consulted } from "./consult.ts";
import { configValue } from "./rebar_config.ts";

/** A Hex package dependency. */
export interface PkgDep {
  kind: "pkg";
  /** The application name (what the lock is keyed by). */
  app: string;
  /** The package name (`{pkg, Name}` renames it). */
  pkg: string;
  /** The version or requirement text, when one is given. */
  requirement?: string;
  /** The app whose rebar.config lists it (`undefined`: the project root). */
  parent?: string;
  where?: Where;
}

/** A dependency fetched from source (git, hg, …): hexpub cannot lock it. */
export interface SourceDep {
  kind: "source";
  app: string;
  /** The resource type: `git`, `git_subdir`, `hg`, … */
  type: string;
  where?: Where;
}

/** A term in `deps` that is no dependency form rebar3 reads. */
export interface BadDep {
  kind: "bad";
  /** The name, when the form has one. */
  app?: string;
  where?: Where;
}

/** One entry of a `deps` list. */
export type LockDep = PkgDep | SourceDep | BadDep;

const isText = (t: Term | undefined) => t?.kind === "string" || t?.kind === "binary";
const isAtom = (t: Term | undefined, value?: string) =>
  t?.kind === "atom" && (value === undefined || t.value === value);

function nameOf(t: Term | undefined): string | undefined {
  if (t?.kind === "atom") return t.value;
  return t?.kind === "binary" ? textOf(t) : undefined;
}

/** `{pkg, Name}` (exactly two elements). */
function pkgRename(t: Term | undefined): string | undefined {
  return t?.kind === "tuple" && t.items.length === 2 && isAtom(t.items[0], "pkg")
    ? nameOf(t.items[1]) ?? textOf(t.items[1])
    : undefined;
}

/** Reads one `deps` entry as `rebar_app_utils:parse_dep/5` tells its forms apart. */
function readDep(term: Term, file: string, parent?: string): LockDep {
  const where = whereOf(file, term);
  if (term.kind === "atom" || term.kind === "binary") {
    const app = nameOf(term)!;
    return { kind: "pkg", app, pkg: app, parent, where };
  }
  if (term.kind !== "tuple" || term.items.length < 2) return { kind: "bad", where };
  const [first, second, third, fourth] = term.items;
  const app = nameOf(first);
  if (app === undefined) return { kind: "bad", where };
  const n = term.items.length;
  // {Name, Vsn, {pkg, PkgName}}
  if (n === 3 && isText(second) && pkgRename(third) !== undefined) {
    return { kind: "pkg", app, pkg: pkgRename(third)!, requirement: textOf(second), parent, where };
  }
  // {Name, {pkg, PkgName}}
  if (n === 2 && pkgRename(second) !== undefined) {
    return { kind: "pkg", app, pkg: pkgRename(second)!, parent, where };
  }
  // {Name, Vsn}
  if (n === 2 && isText(second)) {
    return { kind: "pkg", app, pkg: app, requirement: textOf(second), parent, where };
  }
  const source = (t: Term): LockDep => {
    const type = t.kind === "tuple" && t.items[0]?.kind === "atom" ? t.items[0].value : "";
    // A longer {pkg, …} tuple is not a form rebar3 resolves from a registry.
    return type === "" || type === "pkg"
      ? { kind: "bad", app, where }
      : { kind: "source", app, type, where };
  };
  if (n === 2 && second.kind === "tuple") return source(second); // {Name, Source}
  if (n === 3 && third.kind === "tuple") return source(third); // {Name, Vsn, Source}
  if (n === 4 && third.kind === "tuple" && fourth.kind === "list") return source(third);
  if (n === 3 && second.kind === "tuple" && third.kind === "list") return source(second);
  // {Name, {pkg, PkgName, Vsn}, Level}: a lock entry written into deps.
  if (
    n === 3 && third.kind === "integer" && second.kind === "tuple" &&
    second.items.length === 3 && isAtom(second.items[0], "pkg")
  ) {
    const pkg = nameOf(second.items[1]);
    const vsn = textOf(second.items[2]);
    if (pkg !== undefined && vsn !== undefined) {
      return { kind: "pkg", app, pkg, requirement: vsn, parent, where };
    }
  }
  return { kind: "bad", app, where };
}

/** The name a deps entry sorts and deduplicates by (`tup_dedup`'s key). */
function keyOf(term: Term): string {
  if (term.kind === "tuple") return nameOf(term.items[0]) ?? "";
  return nameOf(term) ?? "";
}

/** `tup_dedup`: stable sort by name, first of each name kept. */
function dedup(items: Term[]): Term[] {
  const sorted = items.map((t, i) => ({ t, i, k: keyOf(t) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
  const out: Term[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i].k === sorted[i - 1].k) continue;
    out.push(sorted[i].t);
  }
  return out;
}

function depsList(config: Consulted | undefined): Term[] {
  const deps = configValue(config?.terms, "deps");
  return deps?.kind === "list" ? deps.items : [];
}

/**
 * The level-0 dependencies of a project for `rebar3 lock`.
 *
 * @param root The root `rebar.config`.
 * @param apps Umbrella apps (not the root app) with their own `rebar.config`, if any.
 * @returns Every dependency, in rebar3's order (by name).
 */
export function projectLockDeps(
  root: Consulted | undefined,
  apps: { name: string; config: Consulted | undefined }[] = [],
): LockDep[] {
  const out = dedup(depsList(root)).map((t) => readDep(t, root!.file));
  const names = new Set(out.map((d) => d.app));
  const byName = [...apps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const app of byName) {
    for (const t of dedup(depsList(app.config))) {
      const dep = readDep(t, app.config!.file, app.name);
      if (dep.app !== undefined && names.has(dep.app)) continue;
      if (dep.app !== undefined) names.add(dep.app);
      out.push(dep);
    }
  }
  return out;
}

/** rebar3's `deps_allow_prerelease`, `deps_error_on_conflict`, `deps_warning_on_conflict`. */
export function lockOptions(root: Consulted | undefined): {
  allowPrerelease: boolean;
  errorOnConflict: boolean;
  warnOnConflict: boolean;
} {
  const flag = (key: string, dflt: boolean) => {
    const v = configValue(root?.terms, key);
    return v?.kind === "atom" ? v.value === "true" : dflt;
  };
  return {
    allowPrerelease: flag("deps_allow_prerelease", false),
    errorOnConflict: flag("deps_error_on_conflict", false),
    warnOnConflict: flag("deps_warning_on_conflict", true),
  };
}

/**
 * The `overrides` entries of rebar.config that change dependencies' `deps`
 * (`{override, App, [{deps, …}]}`, `{add, …}`, `{del, …}`): rebar3 applies them
 * while it resolves, hexpub does not, so it refuses to lock such a project.
 */
export function depsOverrides(root: Consulted | undefined): Where[] {
  const overrides = configValue(root?.terms, "overrides");
  if (overrides?.kind !== "list") return [];
  const out: Where[] = [];
  for (const o of overrides.items) {
    if (o.kind !== "tuple") continue;
    const opts = o.items[o.items.length - 1];
    if (opts?.kind === "list" && configValue(opts.items, "deps") !== undefined) {
      out.push(whereOf(root!.file, o));
    }
  }
  return out;
}
