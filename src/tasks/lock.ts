/**
 * `hexpub lock`: writes the `rebar.lock` that `rebar3 lock` (3.19) would write
 * for a project that has none, without Erlang: the default profile's Hex
 * dependencies resolved against the signed registry of each repository
 * rebar3 would ask (rebar.config's `{hex, [{repos, …}]}`, project and global,
 * then hexpm), byte-identical text, written atomically to the project root.
 *
 * `build`, `publish` and `cut` call {@link ensureLock} first, as rebar3_hex
 * runs rebar3's `lock` provider first: a project without `rebar.lock` gets one
 * (`[].` when it has no dependencies) before its files are selected, so the
 * package carries it.
 *
 * What hexpub does not do that rebar3 would: fetch source (git, hg, …)
 * dependencies (they are refused, as rebar3_hex refuses to package them);
 * apply `overrides` that change dependencies' deps (refused); read `prod`
 * profile deps from inside a dependency's own tarball; respect an existing
 * lock (`--force` starts over, as `rebar3 unlock` followed by `rebar3 lock`).
 * rebar3 skips an unreachable repository and tries the next; hexpub stops and
 * names it, so a lock never depends on which server happened to answer.
 *
 * @module
 */
import { join } from "node:path";
import { HexpubError, ProjectError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { HexApiError, HexNetworkError } from "../hex/api_errors.ts";
import { type Consulted, consultFile } from "../project/consult.ts";
import { discoverProject, type Project } from "../project/discover.ts";
import { printLockFile } from "../project/lock_file.ts";
import { depsOverrides, lockOptions, type PkgDep, projectLockDeps } from "../project/lock_deps.ts";
import { type LockedPackage, resolveLocks } from "../project/lock_resolve.ts";
import type { Package } from "../registry/messages.ts";
import { type RepoConfig, resolveRepos, withRunSettings } from "../config/repos.ts";
import { readPackageEntry, registrySource } from "./registry.ts";
import { knownRepos, rebarConfigs } from "./session.ts";

/** What `hexpub lock` is asked to do. */
export interface LockInput {
  /** Resolve and write even when `rebar.lock` exists (rebar3 unlock, then lock). */
  force?: boolean;
}

/** What `hexpub lock` did. */
export interface LockResult {
  /** The lock file's absolute path. */
  path: string;
  /** False when a lock was already there and nothing was written. */
  written: boolean;
  /** The locked packages, by app name. */
  locks: LockedPackage[];
}

const LOCK_FILE = "rebar.lock";

/**
 * The repositories rebar3 would try, in its order: the names both rebar.config
 * files give (and hexpm), each with hexpub's settings for it merged in and the
 * run's settings applied as `info -r NAME` applies them (`HEX_API_URL`, …), so
 * a key `hexpub organization auth` stored for an organization is found the
 * same way. `outdated` and `audit` read the same list.
 *
 * @throws {UsageError} For config files that cannot be read.
 */
export async function rebar3Repos(deps: Deps): Promise<RepoConfig[]> {
  const { project, global } = await rebarConfigs(deps);
  const names = resolveRepos({
    projectConfig: project?.terms,
    globalConfig: global?.terms,
    settings: deps.settings,
  }).map((r) => r.name);
  const all = await knownRepos(deps);
  return names.flatMap((n) => {
    const repo = all.find((r) => r.name === n);
    return repo ? [withRunSettings(repo, { settings: deps.settings, requireApi: false })] : [];
  });
}

/** Reads a package's registry entry, naming the repository when that fails. */
function registryLookup(deps: Deps, repos: RepoConfig[]) {
  const cache = new Map<string, Promise<Package | undefined>>();
  const sources = new Map<string, ReturnType<typeof registrySource>>();
  const read = async (repoName: string, pkg: string): Promise<Package | undefined> => {
    const repo = repos.find((r) => r.name === repoName)!;
    if (!sources.has(repoName)) {
      sources.set(repoName, registrySource(deps, repo, { storedCredentials: true }));
    }
    const source = await sources.get(repoName)!;
    const where = source.dir ?? repo.repoUrl;
    try {
      return await readPackageEntry(deps, source, pkg);
    } catch (e) {
      if (e instanceof HexNetworkError) {
        throw new HexpubError(
          `cannot reach repository "${repo.name}" (${where}) to resolve dependency ${pkg}: ` +
            e.message,
          {
            hint: `hexpub lock reads ${where}/packages/${pkg}. Check the network (or HEX_CDN, ` +
              "or the repo_url in rebar.config), or commit a rebar.lock made by `rebar3 lock`",
            cause: e,
          },
        );
      }
      if (e instanceof HexApiError) {
        throw new HexApiError(
          `reading dependency ${pkg} from repository "${repo.name}" (${where}): ${e.message}`,
          {
            status: e.status,
            method: e.method,
            url: e.url,
            serverMessage: e.serverMessage,
            hint: e.hint,
            cause: e,
          },
        );
      }
      throw e;
    }
  };
  return (repo: string, pkg: string) => {
    const key = `${repo}\u0000${pkg}`;
    if (!cache.has(key)) cache.set(key, read(repo, pkg));
    return cache.get(key)!;
  };
}

/**
 * Resolves a project's dependencies and writes its `rebar.lock`.
 *
 * @throws {ProjectError} For source (git, …) dependencies, naming each; for
 *   forms rebar3 cannot parse; for `overrides` of deps; when resolution fails.
 * @throws {HexpubError} When a repository cannot be reached (naming it and its URL).
 */
async function lockProject(deps: Deps, project: Project): Promise<LockedPackage[]> {
  const umbrella: { name: string; config: Consulted | undefined }[] = [];
  for (const app of project.apps) {
    if (app.relDir === ".") continue;
    umbrella.push({
      name: app.name,
      config: await consultFile(deps, join(app.dir, "rebar.config")),
    });
  }
  const all = projectLockDeps(project.config, umbrella);
  const bad = all.filter((d) => d.kind === "bad");
  if (bad.length > 0) {
    throw new ProjectError(
      `rebar.config lists ${bad.length === 1 ? "a dependency" : "dependencies"} rebar3 cannot ` +
        `parse${bad.some((b) => b.app) ? `: ${bad.map((b) => b.app ?? "?").join(", ")}` : ""}`,
      {
        where: bad[0].where,
        hint: 'Write a dependency as name, {name, "~> 1.0"}, {name, {pkg, package}} or ' +
          '{name, "1.0.0", {pkg, package}}',
      },
    );
  }
  const source = all.filter((d) => d.kind === "source");
  if (source.length > 0) {
    throw new ProjectError(
      "Some dependencies were excluded from the package; only Hex packages can be " +
        `dependencies: ${
          source.map((d) => `${d.app} (${d.kind === "source" ? d.type : ""})`).join(", ")
        }`,
      {
        where: source[0].where,
        hint: "Replace git (or other non-Hex) dependencies with Hex packages in rebar.config",
      },
    );
  }
  const pkgs = all as PkgDep[];
  if (pkgs.length === 0) return [];
  const overrides = depsOverrides(project.config);
  if (overrides.length > 0) {
    throw new ProjectError(
      "rebar.config has overrides that change dependencies' deps; hexpub cannot lock such a " +
        "project the way rebar3 would",
      { where: overrides[0], hint: "Run `rebar3 lock` and commit rebar.lock" },
    );
  }
  const repos = await rebar3Repos(deps);
  const { locks } = await resolveLocks({
    deps: pkgs.map((d) => ({
      app: d.app,
      pkg: d.pkg,
      requirement: d.requirement,
      parent: d.parent,
      where: d.where,
    })),
    projectApps: project.apps.map((a) => a.name),
    repos: repos.map((r) => r.name),
    ...lockOptions(project.config),
    lookup: registryLookup(deps, repos),
    warn: (m) => deps.out.warn(m),
  });
  return locks;
}

/** Writes the lock text atomically (a temporary file renamed over `rebar.lock`). */
async function writeLock(deps: Deps, project: Project, locks: LockedPackage[]): Promise<void> {
  const text = printLockFile(locks);
  await deps.fs.writeFileAtomic(join(project.root, LOCK_FILE), new TextEncoder().encode(text));
}

/**
 * `hexpub lock` in the working directory's project.
 *
 * @throws See {@link lockProject}.
 */
export async function lock(deps: Deps, input: LockInput): Promise<LockResult> {
  const project = await discoverProject(deps, deps.cwd);
  const path = join(project.root, LOCK_FILE);
  if (!input.force && (await deps.fs.lstat(path))) {
    return { path: path, written: false, locks: [] };
  }
  const locks = await lockProject(deps, project);
  await writeLock(deps, project, locks);
  return { path: path, written: true, locks };
}

/**
 * The project's `rebar.lock`, written first when it is missing (saying so on
 * stderr), as rebar3_hex runs `rebar3 lock` before building.
 *
 * @throws See {@link lockProject}.
 */
export async function ensureLock(deps: Deps, project: Project): Promise<Consulted> {
  const path = join(project.root, LOCK_FILE);
  const existing = await consultFile(deps, path);
  if (existing) return existing;
  deps.out.info(
    `No ${path}: resolving the dependencies as \`rebar3 lock\` would ` +
      "(hexpub lock)",
  );
  const locks = await lockProject(deps, project);
  await writeLock(deps, project, locks);
  deps.out.info(
    `wrote ${path}: ${
      locks.length === 0 ? "no dependencies" : locks.map((l) => `${l.app} ${l.version}`).join(", ")
    }`,
  );
  const written = await consultFile(deps, path);
  if (!written) throw new ProjectError(`cannot read back ${path}`);
  return written;
}
