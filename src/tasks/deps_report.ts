/**
 * What `hexpub outdated` and `hexpub audit` (and the audit step of `publish
 * --dry-run`) share: the project's `rebar.lock` read back, and each locked
 * package found in the signed registry of the repository rebar3 would have
 * taken it from.
 *
 * `rebar.lock` does not record a package's repository, so it is found the way
 * rebar3 resolves it: the repositories of rebar.config's `{hex, [{repos, …}]}`
 * (project and global, then hexpm) are tried in order, and the first whose
 * registry has the locked version with the locked checksum (`pkg_hash`) is
 * the one; failing that, the first that has the version, then the first that
 * has the package. Registries are read exactly as `hexpub lock` reads them
 * (`./registry.ts`: verified signatures, no log-in on hexpm, the key
 * `hexpub organization auth` stored for a hex.pm organization).
 *
 * @module
 */
import { join } from "node:path";
import { HexpubError, ProjectError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { HexApiError, HexNetworkError } from "../hex/api_errors.ts";
import { type Consulted, consultFile } from "../project/consult.ts";
import { discoverProject, type Project } from "../project/discover.ts";
import { formatRebarVersion, parseRebarVersion } from "../project/rebar_semver.ts";
import { parseLock } from "../project/requirements.ts";
import { type Term, textOf } from "../erlang/term.ts";
import type { Package, Release } from "../registry/messages.ts";
import type { RepoConfig } from "../config/repos.ts";
import { type ReadOptions, readPackageEntry, registrySource } from "./registry.ts";
import { rebar3Repos } from "./lock.ts";

/** One Hex package locked in `rebar.lock`. */
export interface LockedDep {
  /** The application name (the lock's key). */
  app: string;
  /** The package name. */
  pkg: string;
  /** The locked version, as rebar3 writes it. */
  version: string;
  /** 0 for the project's own dependencies. */
  level: number;
  /** `pkg_hash` (inner checksum), upper-case hex, when the lock has one. */
  innerChecksum?: string;
}

/** A locked package and the registry entry it was found in. */
export interface LocatedDep {
  dep: LockedDep;
  /** The repository (configured name). */
  repo: RepoConfig;
  /** Its verified registry entry. */
  pkg: Package;
  /** The locked release, when the registry still lists it. */
  release?: Release;
}

/** A locked package that could not be found: in no repository, or a read failed. */
export interface UnlocatedDep {
  dep: LockedDep;
  /** The repositories searched, in order. */
  searched: string[];
  /** What failed, when a read failed (the search stopped there). */
  error?: unknown;
}

/** Every locked package, found or not. */
export interface LocatedLock {
  project: Project;
  /** `rebar.lock`'s absolute path. */
  path: string;
  located: LocatedDep[];
  unlocated: UnlocatedDep[];
  /** Locked dependencies that are not Hex packages (git, …), by app name. */
  sourceDeps: string[];
}

const LOCK_FILE = "rebar.lock";

/** `{pkg_hash, [{<<"app">>, <<"HASH">>}, …]}` of the lock's attribute list, by app. */
function pkgHashes(lock: Consulted): Map<string, string> {
  const out = new Map<string, string>();
  const attrs: Term | undefined = lock.terms[1];
  if (attrs?.kind !== "list") return out;
  for (const a of attrs.items) {
    if (a.kind !== "tuple" || a.items.length !== 2) continue;
    const [key, value] = a.items;
    if (key.kind !== "atom" || key.value !== "pkg_hash" || value.kind !== "list") continue;
    for (const e of value.items) {
      if (e.kind !== "tuple" || e.items.length !== 2) continue;
      const app = textOf(e.items[0]);
      const hash = textOf(e.items[1]);
      if (app !== undefined && hash !== undefined) out.set(app, hash.toUpperCase());
    }
  }
  return out;
}

/**
 * The Hex packages of the project's `rebar.lock`.
 *
 * @throws {ProjectError} When there is no `rebar.lock`, or it is not a lock file.
 */
export async function readLockedDeps(
  deps: Deps,
  project: Project,
): Promise<{ path: string; locked: LockedDep[]; sourceDeps: string[] }> {
  const path = join(project.root, LOCK_FILE);
  const lock = await consultFile(deps, path);
  if (!lock) {
    throw new ProjectError(`${path} does not exist`, {
      hint: "Run `hexpub lock` (or `rebar3 lock`) to resolve the dependencies first",
    });
  }
  const hashes = pkgHashes(lock);
  const locked: LockedDep[] = [];
  const sourceDeps: string[] = [];
  for (const e of parseLock(lock)) {
    if (e.type !== "pkg" || e.pkg === undefined || e.version === undefined) {
      sourceDeps.push(e.app);
      continue;
    }
    const dep: LockedDep = { app: e.app, pkg: e.pkg, version: e.version, level: e.level };
    const hash = hashes.get(e.app);
    if (hash !== undefined) dep.innerChecksum = hash;
    locked.push(dep);
  }
  return { path, locked, sourceDeps };
}

/** Upper-case hex of a checksum. */
function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** The version as rebar3 writes it into the lock (`ec_semver:format`). */
export function rebarVersionText(version: string): string {
  return formatRebarVersion(parseRebarVersion(version));
}

/** How registries are read. */
export interface LocateOptions {
  /** Retries and time limit of each read (a dry run tries once, briefly). */
  read?: ReadOptions;
  /**
   * Use the key `hexpub organization auth` stored for a hex.pm organization
   * (may ask for the local password). Default true; a dry run asks for nothing.
   */
  storedCredentials?: boolean;
}

/**
 * Finds each locked package in the repositories rebar3 would try, reading each
 * registry entry once.
 *
 * @param locked The locked packages.
 * @returns Those found with their entries, and those not found (or unreadable).
 */
export async function locateLocked(
  deps: Deps,
  repos: RepoConfig[],
  locked: LockedDep[],
  options: LocateOptions = {},
): Promise<{ located: LocatedDep[]; unlocated: UnlocatedDep[] }> {
  const sources = new Map<string, ReturnType<typeof registrySource>>();
  const entries = new Map<string, Promise<Package | undefined>>();
  // A repository that could not be reached is not tried again for the next
  // package: offline, each attempt would only wait out its time limit.
  const unreachable = new Map<string, unknown>();
  const read = (repo: RepoConfig, name: string): Promise<Package | undefined> => {
    const key = `${repo.name}\u0000${name}`;
    let entry = entries.get(key);
    if (!entry && unreachable.has(repo.name)) return Promise.reject(unreachable.get(repo.name));
    if (!entry) {
      let source = sources.get(repo.name);
      if (!source) {
        source = registrySource(deps, repo, {
          storedCredentials: options.storedCredentials ?? true,
        });
        sources.set(repo.name, source);
      }
      entry = source.then((s) => readPackageEntry(deps, s, name, options.read)).catch((e) => {
        if (e instanceof HexNetworkError) unreachable.set(repo.name, e);
        throw e;
      });
      entries.set(key, entry);
    }
    return entry;
  };
  const located: LocatedDep[] = [];
  const unlocated: UnlocatedDep[] = [];
  for (const dep of locked) {
    const searched: string[] = [];
    const found: { repo: RepoConfig; pkg: Package; release?: Release; exact: boolean }[] = [];
    let error: unknown;
    for (const repo of repos) {
      searched.push(repo.name);
      let pkg: Package | undefined;
      try {
        pkg = await read(repo, dep.pkg);
      } catch (e) {
        error = e;
        break;
      }
      if (!pkg) continue;
      const release = pkg.releases.find((r) => rebarVersionText(r.version) === dep.version);
      const exact = release !== undefined &&
        (dep.innerChecksum === undefined || hexOf(release.innerChecksum) === dep.innerChecksum);
      found.push({ repo, pkg, release, exact });
      if (exact) break;
    }
    const best = found.find((f) => f.exact) ?? found.find((f) => f.release) ?? found[0];
    if (best && (best.exact || error === undefined)) {
      const out: LocatedDep = { dep, repo: best.repo, pkg: best.pkg };
      if (best.release) out.release = best.release;
      located.push(out);
    } else {
      unlocated.push(error === undefined ? { dep, searched } : { dep, searched, error });
    }
  }
  return { located, unlocated };
}

/**
 * The working directory's project, its lock, and each locked package's
 * registry entry.
 *
 * @throws {ProjectError} Without `rebar.lock`.
 */
export async function locateProjectLock(
  deps: Deps,
  options: LocateOptions & {
    project?: Project;
    /** Which locked packages to look up (default: all). */
    only?: (dep: LockedDep) => boolean;
  } = {},
): Promise<LocatedLock> {
  const project = options.project ?? await discoverProject(deps, deps.cwd);
  const read = await readLockedDeps(deps, project);
  const { path, sourceDeps } = read;
  const locked = options.only ? read.locked.filter(options.only) : read.locked;
  if (locked.length === 0) return { project, path, located: [], unlocated: [], sourceDeps };
  const repos = await rebar3Repos(deps);
  const { located, unlocated } = await locateLocked(deps, repos, locked, options);
  return { project, path, located, unlocated, sourceDeps };
}

/**
 * Fails for the first locked package that could not be found, naming the
 * repository and what went wrong, the way `hexpub lock` does.
 *
 * @throws {HexpubError} For an unreachable repository or a package in none.
 * @throws {HexApiError} For an HTTP failure, with the dependency named.
 * @throws The registry's own error (a refused file) as it is.
 */
export function requireAllLocated(lock: LocatedLock): void {
  const first = lock.unlocated[0];
  if (!first) return;
  const { dep, searched, error } = first;
  const what = `${dep.app} ${dep.version}${dep.pkg !== dep.app ? ` (package ${dep.pkg})` : ""}`;
  const repo = searched.at(-1);
  if (error instanceof HexNetworkError) {
    throw new HexpubError(
      `cannot reach repository "${repo}" to read locked dependency ${what}: ${error.message}`,
      { hint: "Check the network (or HEX_CDN, or the repo_url in rebar.config)", cause: error },
    );
  }
  if (error instanceof HexApiError) {
    throw new HexApiError(
      `reading locked dependency ${what} from repository "${repo}": ${error.message}`,
      {
        status: error.status,
        method: error.method,
        url: error.url,
        serverMessage: error.serverMessage,
        hint: error.hint,
        cause: error,
      },
    );
  }
  if (error !== undefined) throw error;
  throw new HexpubError(
    `locked dependency ${what} is in none of the repositories rebar3 would use ` +
      `(${searched.join(", ")})`,
    {
      hint: "Check the repositories in {hex, [{repos, …}]} of rebar.config (an organization " +
        "needs `hexpub organization auth hexpm:ORG`), or run `hexpub lock --force`",
    },
  );
}
