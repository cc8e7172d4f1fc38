/**
 * The dependency checks of `publish`: each requirement looked up in the signed
 * registry of the repositories it may come from, the way hex.pm (at upload) or
 * rebar3 (at install) would look it up, and the umbrella's sibling apps looked
 * up in the target repository. Findings are returned, never printed.
 *
 * @module
 */
import { type Problem, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { HexApiError } from "../hex/api_errors.ts";
import { matchesRequirement, parseRequirement } from "../rules/requirement.ts";
import { parseVersion } from "../rules/version.ts";
import { HEXPM, isHexpmFamily, type RepoConfig } from "../config/repos.ts";
import type { Requirement } from "../project/requirements.ts";
import type { Package } from "../registry/messages.ts";
import { RegistryError } from "../registry/signing.ts";
import { newestFirst, retirementOf } from "./info.ts";
import { cleanRegistryText } from "../registry/registry_text.ts";
import { type ReadOptions, readPackageEntry, registrySource, selectReadRepo } from "./registry.ts";
import { knownRepos, type Session } from "./session.ts";

/** A requirement as the dependency check reads it. */
export interface CheckedRequirement {
  name: string;
  requirement: string;
  /** The dependency's repository when the metadata names one. */
  repository?: string;
  where?: Problem["where"];
}

/** The registry reads of a dry run: one try, briefly, so an offline dry run stays quick. */
export function dryReadOptions(session: Session): ReadOptions {
  return { retries: 0, timeoutMs: Math.min(session.timeoutMs ?? 10_000, 10_000) };
}

/** hex.pm and its organizations: the server checks every dependency at publish. */
const hexpmFamily = isHexpmFamily;

/** Where a dependency is looked up, and what not finding it means. */
interface LookupPlan {
  /** Searched in order; the first that has the package answers. */
  repos: RepoConfig[];
  /**
   * Whether the target refuses a missing dependency (hex.pm and its
   * organizations: an error). A local or custom repository does not check
   * dependencies, and rebar3 resolves them across every repository it knows
   * (a warning).
   */
  enforced: boolean;
  /**
   * Publishing to `hexpm:ORG`: the organization, read only to explain a
   * dependency missing from hexpm that it has (rebar3_hex issue #262).
   */
  trap?: RepoConfig;
}

/**
 * Where a dependency is looked up:
 * - its metadata names a repository: that one (on hex.pm, an organization's
 *   name means `hexpm:ORG`);
 * - publishing to `hexpm` or `hexpm:ORG`: `hexpm` only, as hex.pm does (a
 *   requirement without a repository is hexpm's, even in an organization's
 *   package);
 * - publishing to `local` or a custom repository: that repository, then
 *   `hexpm`, then every other repository configured, as rebar3 resolves them.
 */
async function lookupPlan(
  deps: Deps,
  session: Session,
  r: CheckedRequirement,
): Promise<LookupPlan> {
  const repo = session.repo;
  const select = (name: string) => selectReadRepo(deps, { repo: name, command: "publish" });
  if (hexpmFamily(repo)) {
    if (r.repository !== undefined) {
      const name = r.repository !== HEXPM && !r.repository.includes(":")
        ? `${HEXPM}:${r.repository}`
        : r.repository;
      const same = name === repo.name || (repo.organization && r.repository === repo.organization);
      return { repos: [same ? repo : await select(name)], enforced: true };
    }
    return {
      repos: [repo.name === HEXPM ? repo : await select(HEXPM)],
      enforced: true,
      trap: repo.organization ? repo : undefined,
    };
  }
  if (r.repository !== undefined) {
    return {
      repos: [r.repository === repo.name ? repo : await select(r.repository)],
      enforced: false,
    };
  }
  const others = (await knownRepos(deps)).filter((x) => x.name !== repo.name);
  return {
    repos: [
      repo,
      ...others.filter((x) => x.name === HEXPM),
      ...others.filter((x) => x.name !== HEXPM),
    ],
    enforced: false,
  };
}

/** Errors of repositories whose registry could not even be set up for reading. */
const unreached = new WeakSet<object>();

/** A package's signed registry entry, or undefined when the repository has no such package. */
async function readEntry(
  deps: Deps,
  repo: RepoConfig,
  name: string,
  options: ReadOptions,
): Promise<Package | undefined> {
  const source = await registrySource(deps, repo).catch((e: unknown) => {
    if (e instanceof Error) unreached.add(e);
    throw e;
  });
  return await readPackageEntry(deps, source, name, options);
}

/**
 * Why a registry read gave no answer, briefly, for the "not checked" list: a
 * repository whose public key is not configured fails before any read; a
 * registry that was read says itself what was wrong.
 */
function whyUnchecked(e: unknown): string {
  if (e instanceof RegistryError) {
    return unreached.has(e) ? " (no public key is configured for it)" : ` (${e.message})`;
  }
  if (e instanceof HexApiError && (e.status === 401 || e.status === 403)) {
    return " (it needs a repository key: set repo_key in its entry)";
  }
  if (e instanceof HexApiError) return ` (${e.status} ${cleanRegistryText(e.serverMessage ?? "")})`;
  if (e instanceof UsageError) return ` (${e.message})`;
  return "";
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function orList(names: readonly string[]): string {
  const q = names.map((n) => `"${n}"`);
  return q.length < 2 ? q.join("") : `${q.slice(0, -1).join(", ")} or ${q.at(-1)}`;
}

/**
 * The dry run's dependency checks, read from each dependency's signed registry
 * entry. On hex.pm (and its organizations), which refuses a publish whose
 * dependency is missing, a package that does not exist in hexpm (or the
 * repository the requirement names) is an error, and one that exists only in
 * the organization being published to says why hex.pm will not find it there
 * (rebar3_hex issue #262). A local or custom repository checks nothing, and
 * rebar3 looks dependencies up in every repository it knows: a package found in
 * none of them is a warning naming those searched. Everywhere, no version
 * matching the requirement is an error and only retired ones matching, a
 * warning. A repository that cannot be read (offline, a private repository
 * without a configured key) is "not checked"; a refused registry file is a
 * warning naming what was wrong.
 */
export async function dependencyChecks(
  deps: Deps,
  session: Session,
  requirements: readonly CheckedRequirement[],
): Promise<{ problems: Problem[]; skipped: string[] }> {
  const problems: Problem[] = [];
  const skipped: string[] = [];
  const read = (repo: RepoConfig, name: string) =>
    readEntry(deps, repo, name, dryReadOptions(session));
  for (const r of requirements) {
    const field = `requirements.${r.name}`;
    let plan: LookupPlan;
    try {
      plan = await lookupPlan(deps, session, r);
    } catch (e) {
      skipped.push(`that dependency "${r.name}" exists (${(e as Error).message})`);
      continue;
    }
    let found: { pkg: Package; repo: RepoConfig } | undefined;
    const searched: string[] = [];
    const unchecked: string[] = [];
    let refusedFile = false;
    for (const repo of plan.repos) {
      try {
        const pkg = await read(repo, r.name);
        if (pkg) {
          found = { pkg, repo };
          break;
        }
        searched.push(repo.name);
      } catch (e) {
        if (e instanceof RegistryError && e.reason !== "missing_public_key") {
          problems.push({
            level: "warning",
            field,
            message: `dependency "${r.name}" was not checked: ${e.message}`,
            hint: e.hint,
            where: r.where,
          });
          refusedFile = true;
          break;
        }
        unchecked.push(
          `that dependency "${r.name}" exists in repository "${repo.name}"` +
            whyUnchecked(e),
        );
      }
    }
    if (refusedFile) continue;
    if (!found) {
      skipped.push(...unchecked);
      if (searched.length === 0) continue;
      if (!plan.enforced) {
        problems.push({
          level: "warning",
          field,
          message: `dependency "${r.name}" was not found in repository ${orList(searched)}` +
            (unchecked.length ? " (the others could not be read)" : ""),
          hint: "rebar3 looks dependencies up in every repository it knows when the package " +
            `is installed: check the name in rebar.config, or publish ${r.name} to one of them`,
          where: r.where,
        });
        continue;
      }
      let inOrganization = false;
      if (plan.trap) {
        try {
          inOrganization = (await read(plan.trap, r.name)) !== undefined;
        } catch {
          // Unreadable: the plain error below says enough.
        }
      }
      problems.push(
        inOrganization
          ? {
            level: "error",
            field,
            message: `dependency "${r.name}" does not exist in repository ${orList(searched)}; ` +
              `it is in "${plan.trap!.name}", but hex.pm looks a requirement without a ` +
              `repository up in "hexpm", even in an organization's package, and refuses it`,
            hint: `rebar3 packages cannot name a dependency's repository (rebar3_hex issue ` +
              `#262), so a package of ${plan.trap!.name} cannot depend on another one of it: ` +
              `publish ${r.name} on hexpm, or drop the dependency`,
            where: r.where,
          }
          : {
            level: "error",
            field,
            message: `dependency "${r.name}" does not exist in repository ${orList(searched)}`,
            hint: "Check the package name in rebar.config, or publish that package first",
            where: r.where,
          },
      );
      continue;
    }
    let req;
    try {
      req = parseRequirement(r.requirement);
    } catch {
      continue; // validation has already reported it
    }
    const all = newestFirst(found.pkg.releases);
    const matching = all.filter((x) => {
      const v = parseVersion(x.version);
      return v !== undefined && matchesRequirement(v, req);
    });
    const where = `in repository "${found.repo.name}"`;
    if (matching.length === 0) {
      const listed = all.slice(0, 8).map((x) => cleanRegistryText(x.version)).join(", ");
      problems.push({
        level: "error",
        field,
        message: `no version of dependency "${r.name}" ${where} matches "${r.requirement}"` +
          (all.length
            ? ` (it has ${listed}${all.length > 8 ? ", …" : ""})`
            : " (it has no releases)"),
        hint: `Change the requirement in rebar.config, or publish a matching ${r.name} first`,
        where: r.where,
      });
    } else if (matching.every((x) => x.retired)) {
      const detail = matching.slice(0, 3).map((x) => {
        const ret = retirementOf(x)!;
        return `${cleanRegistryText(x.version)}: ${cleanRegistryText(ret.reason)}${
          ret.message ? ` "${cleanRegistryText(ret.message)}"` : ""
        }`;
      }).join("; ");
      problems.push({
        level: "warning",
        field,
        message: `every version of dependency "${r.name}" ${where} matching ` +
          `"${r.requirement}" is retired (${detail})`,
        hint: `Require a version of ${r.name} that is not retired`,
        where: r.where,
      });
    }
  }
  return { problems, skipped };
}

/**
 * The requirements on sibling apps of the umbrella that this run does not
 * publish first (with `--app all`, siblings are published earlier in the
 * same run). Only `publish docs` needs none.
 */
export function siblingsToCheck(
  requirements: readonly Requirement[],
  publishedFirst: ReadonlySet<string>,
  target: "all" | "package" | "docs",
): Requirement[] {
  if (target === "docs") return [];
  return requirements.filter((r) => r.sibling && !publishedFirst.has(r.name));
}

/**
 * Checks that each sibling app this package requires is already in the target
 * repository with a release matching the requirement. hex.pm refuses a release
 * whose dependency it lacks; `local` and self-hosted repositories accept it,
 * but rebar3 then cannot install it. So a missing sibling is an error
 * everywhere, naming the command that publishes it first. A repository that
 * cannot be read (offline, no public key or repository key configured) leaves
 * the sibling unchecked.
 */
export async function siblingChecks(
  deps: Deps,
  session: Session,
  pkg: { name: string; version: string },
  requirements: readonly Requirement[],
  options: ReadOptions,
): Promise<{ problems: Problem[]; skipped: string[] }> {
  const problems: Problem[] = [];
  const skipped: string[] = [];
  const repo = session.repo;
  for (const r of requirements) {
    let found: Package | undefined;
    try {
      found = await readEntry(deps, repo, r.name, options);
    } catch (e) {
      skipped.push(
        `that sibling app "${r.app}" (package ${r.name}) is in repository "${repo.name}"` +
          whyUnchecked(e),
      );
      continue;
    }
    let req;
    try {
      req = parseRequirement(r.requirement);
    } catch {
      continue; // validation has already reported it
    }
    const all = found ? newestFirst(found.releases) : [];
    const matches = all.some((x) => {
      const v = parseVersion(x.version);
      return v !== undefined && matchesRequirement(v, req);
    });
    if (matches) continue;
    const listed = all.slice(0, 8).map((x) => cleanRegistryText(x.version)).join(", ");
    const has = !found
      ? `has no package "${r.name}"`
      : all.length === 0
      ? `has no release of "${r.name}"`
      : `has only ${listed}${all.length > 8 ? ", …" : ""}`;
    problems.push({
      level: "error",
      field: `requirements.${r.name}`,
      message: `${pkg.name} ${pkg.version} requires its sibling app "${r.app}" ` +
        `(${r.name} ${r.requirement}), but repository "${repo.name}" ${has}`,
      hint: `Publish ${r.app} first: \`hexpub publish --app ${r.app} -r ${repo.name}\` ` +
        "(or publish every app of the umbrella in dependency order with --app all)",
      where: r.where,
    });
  }
  return { problems, skipped };
}
