/**
 * Package requirements as rebar3_hex computes them (rebar3_hex `src/rebar3_hex_build.erl`, `update_versions/2`): one per
 * top-level (level 0) `rebar.lock` entry, keyed by package name, with the
 * requirement text from the app's `rebar.config` when it pins one, else
 * `~>` + the locked version.
 *
 * @module
 */
import { ProjectError, type Where } from "../errors.ts";
import { type Term, textOf } from "../erlang/term.ts";
import type { Consulted } from "./consult.ts";
import { whereOf } from "./app_src.ts";
import { configValue } from "./rebar_config.ts";

/** One `rebar.lock` entry. */
export interface LockEntry {
  /** The app name (first element). */
  app: string;
  /** Dependency level: 0 is top level. */
  level: number;
  /** `pkg` for Hex packages, else the resource type (`git`, `hg`, …). */
  type: string;
  /** Package name (for `pkg`). */
  pkg?: string;
  /** Locked version (for `pkg`). */
  version?: string;
}

/** One requirement written into the package metadata. */
export interface Requirement {
  /** The Hex package name (the metadata key). */
  name: string;
  /** The OTP application name. */
  app: string;
  requirement: string;
  optional: boolean;
  /**
   * The repository the dependency is in, when it is not the one a Hex client
   * assumes (`hexpm`): an organization's name for a sibling published to it.
   */
  repository?: string;
  /** Where the requirement text came from, for errors. */
  where?: Where;
  /**
   * Set for a requirement on another app of the same umbrella (see
   * `umbrella.ts`): its directory and version. Not written to the metadata.
   */
  sibling?: { dir: string; version: string };
}

/**
 * Reads `rebar.lock` in either format: a bare list (old) or `{"1.2.0", [...]}`
 * followed by the hash list.
 *
 * @throws {ProjectError} On a lock that is neither.
 */
export function parseLock(lock: Consulted): LockEntry[] {
  const first = lock.terms[0];
  let list: Term | undefined = first;
  if (first?.kind === "tuple" && first.items.length === 2 && first.items[0].kind === "string") {
    list = first.items[1];
  }
  if (first === undefined) return [];
  if (list?.kind !== "list") {
    throw new ProjectError(`${lock.file} is not a rebar3 lock file`, {
      where: whereOf(lock.file, first),
      hint: "Regenerate it with `rebar3 lock`",
    });
  }
  const out: LockEntry[] = [];
  for (const e of list.items) {
    if (e.kind !== "tuple" || e.items.length !== 3) continue;
    const [name, source, level] = e.items;
    const app = textOf(name);
    if (app === undefined || level.kind !== "integer") continue;
    const entry: LockEntry = { app, level: Number(level.value), type: "unknown" };
    if (source.kind === "tuple" && source.items[0]?.kind === "atom") {
      entry.type = source.items[0].value;
      if (entry.type === "pkg" && source.items.length >= 3) {
        entry.pkg = textOf(source.items[1]);
        entry.version = textOf(source.items[2]);
      }
    }
    out.push(entry);
  }
  return out;
}

/** A dependency as declared in a `rebar.config` `deps` list. */
export interface ConfigDep {
  /** The app name (the atom). */
  app: string;
  /** The requirement text of a `{Name, "req"}` 2-tuple. */
  requirement?: string;
  /** The package name of a `{pkg, Name}` rename. */
  pkg?: string;
  where: Where;
}

/** The top-level `deps` of a consulted `rebar.config`. */
export function configDeps(config: Consulted | undefined): ConfigDep[] {
  if (!config) return [];
  const out: ConfigDep[] = [];
  const deps = configValue(config.terms, "deps");
  if (deps?.kind === "list") {
    for (const d of deps.items) {
      const where = whereOf(config.file, d);
      if (d.kind === "atom") {
        out.push({ app: d.value, where });
        continue;
      }
      if (d.kind !== "tuple" || d.items[0]?.kind !== "atom") continue;
      const dep: ConfigDep = { app: d.items[0].value, where };
      const second = d.items[1];
      if (
        d.items.length === 2 && second && (second.kind === "string" || second.kind === "binary")
      ) {
        dep.requirement = textOf(second);
        dep.where = whereOf(config.file, second);
      }
      for (const item of d.items.slice(1)) {
        if (
          item.kind === "tuple" && item.items.length >= 2 && item.items[0].kind === "atom" &&
          item.items[0].value === "pkg"
        ) {
          dep.pkg = textOf(item.items[1]) ??
            (item.items[1].kind === "atom" ? item.items[1].value : undefined);
        }
      }
      out.push(dep);
    }
  }
  return out;
}

/** What `computeRequirements` needs. */
export interface RequirementInput {
  lock: LockEntry[];
  /** The app's own `rebar.config` deps. */
  appDeps: ConfigDep[];
  /**
   * For an umbrella app: the names of lock entries this app may declare
   * (its own deps, plus root deps it lists in `applications`). `undefined`
   * for a single-app project, where every top-level entry belongs to the app.
   */
  allowed?: Set<string>;
}

/** The requirements, plus the top-level entries left out and why. */
export interface RequirementResult {
  requirements: Requirement[];
  /** Top-level lock entries of other umbrella apps, left out (rebar3_hex bug 17, fixed). */
  leftOut: string[];
}

/**
 * Computes the requirements.
 *
 * @throws {ProjectError} When a top-level dependency is not a Hex package.
 */
export function computeRequirements(input: RequirementInput): RequirementResult {
  const top = input.lock.filter((e) => e.level === 0);
  const mine = input.allowed ? top.filter((e) => input.allowed!.has(e.app)) : top;
  const leftOut = top.filter((e) => !mine.includes(e)).map((e) => e.app);
  const nonHex = mine.filter((e) => e.type !== "pkg").map((e) => e.app);
  if (nonHex.length > 0) {
    throw new ProjectError(
      `Some dependencies were excluded from the package; only Hex packages can be dependencies: ${
        nonHex.join(", ")
      }`,
      {
        hint:
          "Replace git (or other non-Hex) dependencies with Hex packages in rebar.config, then run `rebar3 lock`",
      },
    );
  }
  const requirements = mine.map((e): Requirement => {
    const name = e.pkg ?? e.app;
    const pinned = input.appDeps.find((d) => d.app === name && d.requirement !== undefined);
    return pinned
      ? { name, app: e.app, requirement: pinned.requirement!, optional: false, where: pinned.where }
      : { name, app: e.app, requirement: `~>${e.version ?? "0.0.0"}`, optional: false };
  });
  requirements.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { requirements, leftOut };
}
