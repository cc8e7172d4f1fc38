/**
 * `hexpub outdated`: for each dependency locked in `rebar.lock`, the locked
 * version, the newest the requirement allows and the newest release, read
 * from each dependency's signed registry (see `./deps_report.ts`), as
 * `mix hex.outdated` shows them for a Mix project.
 *
 * - The requirement of a top-level dependency is the one rebar.config gives
 *   (none: any version); of a transitive one (`--all`), the one in the
 *   registry entry of the locked release that pulled it in (the first such
 *   parent by name, one level up, as rebar3 resolves level by level).
 * - "Allowed" is the release `rebar3 upgrade` would lock under that
 *   requirement (rebar3's own matching: `../project/lock_resolve.ts`,
 *   `pickRelease`), retired ones included as rebar3 includes them.
 * - "Latest" is the newest release that is not retired (the newest of all
 *   when every one is).
 * - Pre-releases are offered only when the locked version is one, the
 *   requirement names one, or rebar.config sets `deps_allow_prerelease`, as
 *   rebar3 resolves.
 * - Status: `update-possible` when the allowed version is newer than the
 *   locked one; else `update-not-possible` when the latest is newer; else
 *   `up-to-date`. The command exits 1 when any dependency shown can be updated
 *   within its requirement (mix's `--within-requirements` behaviour).
 *
 * @module
 */
import { join } from "node:path";
import type { Deps } from "../ports.ts";
import { type Consulted, consultFile } from "../project/consult.ts";
import type { Project } from "../project/discover.ts";
import { lockOptions, projectLockDeps } from "../project/lock_deps.ts";
import { isRebarRequirement, pickRelease } from "../project/lock_resolve.ts";
import { gt, isPlain, parseRebarVersion } from "../project/rebar_semver.ts";
import type { Release } from "../registry/messages.ts";
import {
  type LocatedDep,
  locateProjectLock,
  rebarVersionText,
  requireAllLocated,
} from "./deps_report.ts";
import { type InfoRetirement, retirementOf } from "./info.ts";

/** What `hexpub outdated` is asked. */
export interface OutdatedInput {
  /** Transitive dependencies too (default: the project's own, level 0). */
  all?: boolean;
}

/** A version and whether it is retired. */
export interface OutdatedVersion {
  version: string;
  retired?: InfoRetirement;
}

/** Where a dependency stands. */
export type OutdatedStatus = "up-to-date" | "update-possible" | "update-not-possible";

/** One locked dependency. */
export interface OutdatedDep {
  /** The application name (the lock's key). */
  app: string;
  /** The package name. */
  package: string;
  /** The repository it was found in. */
  repository: string;
  /** 0 for the project's own dependencies. */
  level: number;
  /** The requirement it is resolved under; `null`: any version. */
  requirement: string | null;
  /** Who requires it: `rebar.config`, or the app of the locked release that does. */
  requiredBy: string;
  /** The locked version. */
  current: OutdatedVersion;
  /** The newest release the requirement allows; `null` when none does. */
  allowed: OutdatedVersion | null;
  /** The newest release; `null` when the package has none left. */
  latest: OutdatedVersion | null;
  status: OutdatedStatus;
}

/** What `hexpub outdated` found. */
export interface OutdatedResult {
  /** Sorted by app name; top-level only unless `--all`. */
  dependencies: OutdatedDep[];
  /** How many can be updated within their requirement (exit 1 when any). */
  updatable: number;
}

function versionOf(r: Release): OutdatedVersion {
  const out: OutdatedVersion = { version: rebarVersionText(r.version) };
  const retired = retirementOf(r);
  if (retired) out.retired = retired;
  return out;
}

/** The locked version's retirement, when the registry still lists it. */
function currentOf(l: LocatedDep): OutdatedVersion {
  return l.release ? versionOf(l.release) : { version: l.dep.version };
}

/** The newest release by rebar3's ordering, not retired if any is not. */
function latestOf(releases: Release[], allowPrerelease: boolean): Release | undefined {
  const candidates = releases.filter((r) =>
    allowPrerelease || isPlain(parseRebarVersion(r.version))
  );
  const newest = (list: Release[]) =>
    list.reduce<Release | undefined>(
      (best, r) =>
        best === undefined || gt(parseRebarVersion(r.version), parseRebarVersion(best.version))
          ? r
          : best,
      undefined,
    );
  return newest(candidates.filter((r) => !r.retired)) ?? newest(candidates);
}

/**
 * The requirement of a transitive dependency: from the locked releases one
 * level up that depend on it, the first by app name.
 */
function parentRequirement(
  l: LocatedDep,
  located: LocatedDep[],
): { requirement: string | null; requiredBy: string } {
  const parents = located
    .filter((p) => p.dep.level === l.dep.level - 1 && p.release)
    .sort((a, b) => (a.dep.app < b.dep.app ? -1 : a.dep.app > b.dep.app ? 1 : 0));
  for (const p of parents) {
    const d = p.release!.dependencies.find((x) => (x.app ?? x.package) === l.dep.app);
    if (d) return { requirement: d.requirement, requiredBy: p.dep.app };
  }
  return { requirement: null, requiredBy: "unknown" };
}

/** The level-0 requirements rebar.config (and an umbrella's apps' rebar.config) give, by app. */
async function topRequirements(
  deps: Deps,
  project: Project,
): Promise<Map<string, string | undefined>> {
  const umbrella: { name: string; config: Consulted | undefined }[] = [];
  for (const app of project.apps) {
    if (app.relDir === ".") continue;
    umbrella.push({
      name: app.name,
      config: await consultFile(deps, join(app.dir, "rebar.config")),
    });
  }
  const out = new Map<string, string | undefined>();
  for (const d of projectLockDeps(project.config, umbrella)) {
    if (d.kind === "pkg") out.set(d.app, d.requirement);
  }
  return out;
}

/**
 * `hexpub outdated` in the working directory's project.
 *
 * @throws {ProjectError} Without `rebar.lock`.
 * @throws {HexpubError} When a locked package is in no repository, or one cannot be reached.
 * @throws {RegistryError} When a registry file is refused.
 */
export async function outdated(deps: Deps, input: OutdatedInput): Promise<OutdatedResult> {
  const lock = await locateProjectLock(deps, { only: (d) => input.all || d.level === 0 });
  requireAllLocated(lock);
  const top = await topRequirements(deps, lock.project);
  const { allowPrerelease } = lockOptions(lock.project.config);
  const dependencies: OutdatedDep[] = [];
  for (const l of lock.located) {
    const { requirement, requiredBy } = l.dep.level === 0
      ? { requirement: top.get(l.dep.app) ?? null, requiredBy: "rebar.config" }
      : parentRequirement(l, lock.located);
    const lockedPre = !isPlain(parseRebarVersion(l.dep.version));
    const pre = allowPrerelease || lockedPre;
    const pick = requirement === null
      ? pickRelease(l.pkg, undefined, pre)
      : isRebarRequirement(requirement)
      ? pickRelease(l.pkg, requirement, pre)
      : undefined;
    const latest = latestOf(l.pkg.releases, pre);
    const current = parseRebarVersion(l.dep.version);
    const status: OutdatedStatus = pick && gt(parseRebarVersion(pick.version), current)
      ? "update-possible"
      : latest && gt(parseRebarVersion(latest.version), current)
      ? "update-not-possible"
      : "up-to-date";
    dependencies.push({
      app: l.dep.app,
      package: l.dep.pkg,
      repository: l.repo.name,
      level: l.dep.level,
      requirement,
      requiredBy,
      current: currentOf(l),
      allowed: pick ? versionOf(pick) : null,
      latest: latest ? versionOf(latest) : null,
      status,
    });
  }
  dependencies.sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
  return {
    dependencies,
    updatable: dependencies.filter((d) => d.status === "update-possible").length,
  };
}
