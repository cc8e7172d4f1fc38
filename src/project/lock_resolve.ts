/**
 * Resolving dependencies the way `rebar3 lock` (3.19) does, against registry
 * data handed in by the caller:
 *
 * - Level by level, breadth first (`rebar_prv_install_deps:handle_profile_level`).
 *   Every dependency of a level is resolved first (so a bad requirement stops
 *   the run even when it would be skipped); then they are taken in name order,
 *   ties in their parents' order. The first of a name wins; a later one that
 *   resolved to another release is skipped with a warning
 *   (`deps_error_on_conflict` makes it an error, `deps_warning_on_conflict`
 *   false silences it). Project apps are never dependencies.
 * - A dependency's own dependencies are its release's registry
 *   `dependencies`, optional ones included (rebar3 ignores the flag), each
 *   under its `app` name.
 * - Versions (`rebar_packages:resolve_version`): the repositories are tried in
 *   order, the first with a matching release wins. No requirement or `~>`:
 *   the highest matching version (`ec_semver` order, see `./rebar_semver.ts`);
 *   `>=`, `>`, `<=`, `<`: the highest on that side; `==V` or `V`: exactly V.
 *   Releases with a pre-release or build part count only when the requirement
 *   has one or `deps_allow_prerelease` is set (exact versions always count).
 *   Retired releases count like any other, with a warning. A requirement
 *   outside rebar3's grammar (`>= 1.0.0 and < 2.0.0`, `~> 1.0 or ~> 2.0`) is
 *   refused, as rebar3 refuses it.
 * - Checksums: `pkg_hash` is the inner checksum, `pkg_hash_ext` the outer
 *   one, upper-case hex.
 *
 * @module
 */
import { ProjectError, type Where } from "../errors.ts";
import type { Package, Release, RetirementStatus } from "../registry/messages.ts";
import {
  compareTermOrder,
  formatRebarVersion,
  gt,
  gte,
  isPlain,
  lt,
  lte,
  parseRebarVersion,
  pes,
  type RebarSemver,
  sameKey,
} from "./rebar_semver.ts";

/** A package dependency to resolve. */
export interface DepRequest {
  /** The application name. */
  app: string;
  /** The package name. */
  pkg: string;
  /** Version or requirement text; `undefined`: any. */
  requirement?: string;
  /** Who asked for it: an app name (`undefined`: the project's rebar.config). */
  parent?: string;
  /** Where it is written, for errors about a top-level dependency. */
  where?: Where;
}

/** One locked package. */
export interface LockedPackage {
  app: string;
  pkg: string;
  /** The version as rebar3 writes it (`ec_semver:format`). */
  version: string;
  /** The repository (configured name) it was found in. */
  repo: string;
  /** Inner checksum, upper-case hex. */
  innerChecksum: string;
  /** Outer checksum, upper-case hex; `undefined` when the registry has none. */
  outerChecksum?: string;
  /** 0 for the project's own dependencies. */
  level: number;
  /** Who asked for it first. */
  parent?: string;
  /** The release's own dependencies, as registry requests. */
  deps: DepRequest[];
}

/** What {@link resolveLocks} needs. */
export interface ResolveInput {
  /** The level-0 dependencies. */
  deps: DepRequest[];
  /** The project's own app names (never locked). */
  projectApps: string[];
  /** Repository names, in the order rebar3 tries them. */
  repos: string[];
  allowPrerelease: boolean;
  errorOnConflict: boolean;
  warnOnConflict: boolean;
  /** A package's registry entry in a repository; `undefined` when it has no such package. */
  lookup(repo: string, pkg: string): Promise<Package | undefined>;
  /** Reports a warning (a retired release, a skipped conflicting dependency). */
  warn(message: string): void;
}

/** The locked packages, sorted by app name as `rebar.lock` lists them. */
export interface ResolveResult {
  locks: LockedPackage[];
}

/** rebar3's check of requirement text (`rebar_packages:valid_vsn`). */
const VALID_REQUIREMENT = new RegExp(
  "^(>=?|<=?|~>|==)?[ \\t\\n\\v\\f\\r]*v?(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?" +
    "(-[0-9a-z-]+(\\.[0-9a-z-]+)*)?(\\+[0-9a-z-]+(\\.[0-9a-z-]+)*)?\\n?$",
);

/** Whether rebar3 accepts a requirement's text. */
export function isRebarRequirement(text: string): boolean {
  return VALID_REQUIREMENT.test(text);
}

/** A release with its parsed version, as rebar3's package table holds it. */
interface Entry {
  release: Release;
  v: RebarSemver;
}

/** A package's releases keyed and ordered as rebar3's ordered ETS table. */
function tableOf(pkg: Package): Entry[] {
  const out: Entry[] = [];
  for (const release of pkg.releases) {
    const v = parseRebarVersion(release.version);
    const same = out.findIndex((e) => sameKey(e.v, v));
    // The table is a set: a later release with the same key replaces the earlier.
    if (same >= 0) out.splice(same, 1);
    out.push({ release, v });
  }
  return out.sort((a, b) => compareTermOrder(a.v, b.v));
}

/** `rm_ws`: leading spaces dropped, then parsed. */
function parseAfterSpaces(text: string): RebarSemver {
  return parseRebarVersion(text.replace(/^ +/, ""));
}

/**
 * The release of `pkg` rebar3 picks for `requirement`
 * (`rebar_packages:resolve_version_` and the lookups after it).
 *
 * @returns The release, or `undefined` when this repository has none that fits.
 */
export function pickRelease(
  pkg: Package,
  requirement: string | undefined,
  allowPrerelease: boolean,
): Release | undefined {
  const table = tableOf(pkg);
  const exact = (key: RebarSemver) => table.find((e) => sameKey(e.v, key))?.release;
  const candidates = (c: RebarSemver) =>
    allowPrerelease || !isPlain(c) ? table : table.filter((e) => isPlain(e.v));
  const highest = (c: RebarSemver) => {
    let best: Entry | undefined;
    for (const e of candidates(c)) {
      if (pes(e.v, c) && (best === undefined || gt(e.v, best.v))) best = e;
    }
    return best?.release;
  };
  // `>=`/`>`: the running best must beat the one before (`cmp_`).
  const above = (c: RebarSemver, f: (a: RebarSemver, b: RebarSemver) => boolean) => {
    const list = candidates(c);
    if (list.length === 0) return undefined;
    let best: Entry | undefined;
    let min = c;
    for (const e of list) {
      if (f(e.v, min)) {
        best = e;
        min = e.v;
      }
    }
    return exact(best?.v ?? c);
  };
  // `<=`/`<`: the highest that is still below (`cmpl_`).
  const below = (c: RebarSemver, f: (a: RebarSemver, b: RebarSemver) => boolean) => {
    const list = candidates(c);
    if (list.length === 0) return undefined;
    let best: Entry | undefined;
    for (const e of list) {
      if (f(e.v, c) && (best === undefined || gte(e.v, best.v))) best = e;
    }
    return exact(best?.v ?? c);
  };
  if (requirement === undefined) return highest({ parts: [0n], pre: [], build: [] });
  const r = requirement;
  if (r.startsWith("~>")) return highest(parseAfterSpaces(r.slice(2)));
  if (r.startsWith(">=")) return above(parseAfterSpaces(r.slice(2)), gte);
  if (r.startsWith(">")) return above(parseAfterSpaces(r.slice(1)), gt);
  if (r.startsWith("<=")) return below(parseAfterSpaces(r.slice(2)), lte);
  if (r.startsWith("<")) return below(parseAfterSpaces(r.slice(1)), lt);
  if (r.startsWith("==")) return exact(parseRebarVersion(r.slice(2)));
  return exact(parseRebarVersion(r));
}

function hex(bytes: Uint8Array | undefined): string | undefined {
  if (bytes === undefined) return undefined;
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

const REASONS = ["other", "invalid", "security", "deprecated", "renamed"];

function retiredText(r: RetirementStatus): string {
  return `(${REASONS[r.reason] ?? "other"})${r.message ? ` ${r.message}` : ""}`;
}

/** Who asked, for messages. */
function askedBy(d: DepRequest): string {
  return d.parent === undefined ? "rebar.config" : d.parent;
}

/** A resolved request: the release and where it came from. */
interface Resolved {
  req: DepRequest;
  lock: Omit<LockedPackage, "level">;
}

/**
 * Resolves the dependencies.
 *
 * @throws {ProjectError} When a package or a fitting release is not found in
 *   any repository, a requirement is not one rebar3 reads, two dependencies of
 *   the same name conflict under `deps_error_on_conflict`, or they form a cycle.
 * @throws Whatever `lookup` throws (an unreachable or refused registry).
 */
export async function resolveLocks(input: ResolveInput): Promise<ResolveResult> {
  const root = new Set(input.projectApps);
  const retiredSeen = new Set<string>();

  async function resolve(req: DepRequest): Promise<Resolved> {
    const r = req.requirement;
    if (r !== undefined && !isRebarRequirement(r)) {
      throw new ProjectError(
        `dependency ${req.app} (required by ${askedBy(req)}) has a requirement rebar3 cannot ` +
          `read: "${r}"`,
        {
          where: req.parent === undefined ? req.where : undefined,
          hint: "rebar3 reads one version, or one of ~>, >=, >, <=, <, == and a version; " +
            "`and`/`or` requirements are refused by `rebar3 lock` too",
        },
      );
    }
    const looked: string[] = [];
    for (const repo of input.repos) {
      const pkg = await input.lookup(repo, req.pkg);
      if (!pkg) continue;
      looked.push(
        `${repo}: ${pkg.releases.map((x) => x.version).slice(-8).join(", ") || "no releases"}`,
      );
      const release = pickRelease(pkg, r, input.allowPrerelease);
      if (!release) continue;
      const version = formatRebarVersion(parseRebarVersion(release.version));
      if (release.retired) {
        const key = `${req.pkg}@${version}`;
        if (!retiredSeen.has(key)) {
          retiredSeen.add(key);
          input.warn(
            `warning: package ${req.pkg} ${version} (from ${repo}) is retired: ${
              retiredText(release.retired)
            }`,
          );
        }
      }
      return {
        req,
        lock: {
          app: req.app,
          pkg: req.pkg,
          version,
          repo,
          innerChecksum: hex(release.innerChecksum)!,
          outerChecksum: hex(release.outerChecksum),
          parent: req.parent,
          deps: release.dependencies.map((d) => ({
            app: d.app ?? d.package,
            pkg: d.package,
            requirement: d.requirement,
            parent: req.app,
          })),
        },
      };
    }
    const what = r === undefined ? `package ${req.pkg}` : `package ${req.pkg} ${r}`;
    const rename = req.pkg !== req.app ? ` (as app ${req.app})` : "";
    throw new ProjectError(
      `${what}${rename}, required by ${askedBy(req)}, was not found in any repository ` +
        `(${input.repos.join(", ")})`,
      {
        where: req.parent === undefined ? req.where : undefined,
        hint: looked.length > 0
          ? `Versions there: ${looked.join("; ")}. Change the requirement, or publish a ` +
            "release that fits"
          : "Check the name, and the repositories in {hex, [{repos, …}]} of rebar.config",
      },
    );
  }

  const locked = new Map<string, LockedPackage>();
  let level = 0;
  let current: DepRequest[] = input.deps;
  while (current.length > 0) {
    const expanded: Resolved[] = [];
    for (const d of current) if (!root.has(d.app)) expanded.push(await resolve(d));
    // rebar_utils:sort_deps: reversed, then a stable sort by name.
    const ordered = expanded.reverse().map((e, i) => ({ e, i })).sort((a, b) =>
      a.e.req.app < b.e.req.app ? -1 : a.e.req.app > b.e.req.app ? 1 : a.i - b.i
    ).map((x) => x.e);
    let next: DepRequest[] = [];
    for (const { req, lock } of ordered) {
      const seen = locked.get(req.app);
      if (seen) {
        const same = seen.pkg === lock.pkg && seen.version === lock.version &&
          seen.repo === lock.repo && seen.innerChecksum === lock.innerChecksum &&
          seen.outerChecksum === lock.outerChecksum;
        if (same) continue;
        const msg = `skipping ${req.app} ${lock.version} (required by ${
          askedBy(req)
        }): ${seen.app} ${seen.version} was already chosen at level ${seen.level}`;
        if (input.errorOnConflict) {
          throw new ProjectError(`conflicting dependencies: ${msg}`, {
            hint: "rebar.config sets deps_error_on_conflict: pin one version of " +
              `${req.app} at the top level, or turn the option off`,
          });
        }
        if (input.warnOnConflict) input.warn(`warning: ${msg}`);
        continue;
      }
      locked.set(req.app, { ...lock, level });
      next = [...lock.deps, ...next];
    }
    current = next;
    level++;
  }
  checkCycles([...locked.values()]);
  const locks = [...locked.values()].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
  return { locks };
}

/** rebar3 refuses dependencies that depend on each other (`rebar_digraph:compile_order`). */
function checkCycles(locks: LockedPackage[]): void {
  const edges = new Map(locks.map((l) => [l.app, l.deps.map((d) => d.app)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  if (cycles.length > 0) {
    throw new ProjectError(
      `dependency cycle: ${cycles.map((c) => c.join(", ")).join("; ")} depend on each other`,
      { hint: "rebar3 refuses such dependencies too; the packages need fixing upstream" },
    );
  }
}
