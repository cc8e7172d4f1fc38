/**
 * `hexpub publish`: validate and build first, show what will go out, ask, then
 * upload the package (and docs), and check that what landed is what was sent.
 * Credentials are asked for only at the upload; a dry run needs none.
 *
 * @module
 */
import {
  DeclinedError,
  HexpubError,
  type Problem,
  UsageError,
  ValidationError,
} from "../errors.ts";
import type { Deps } from "../ports.ts";
import { HexApiError, HexNetworkError } from "../hex/api_errors.ts";
import { buildGetPackageRequest, parseGetPackageResponse } from "../hex/package.ts";
import {
  buildGetReleaseRequest,
  buildPublishDocsRequest,
  buildPublishRequest,
  buildRevertDocsRequest,
  buildRevertReleaseRequest,
  parseGetReleaseResponse,
  parsePublishDocsResponse,
  parsePublishResponse,
  parseRevertDocsResponse,
  parseRevertReleaseResponse,
  ReleaseExistsError,
} from "../hex/release.ts";
import { buildRepoTarballRequest, parseRepoTarballResponse } from "../hex/repo_tarball.ts";
import { send } from "../hex/send.ts";
import { parseVersion } from "../hex/version.ts";
import { type AppSrc, parseAppSrc, textProp } from "../project/app_src.ts";
import { consultFile } from "../project/consult.ts";
import { chooseApp, discoverProject, type Project, type ProjectApp } from "../project/discover.ts";
import type { Requirement } from "../project/requirements.ts";
import { siblingNames } from "../project/umbrella.ts";
import { createPackageTarball } from "../tarball/create_package.ts";
import { diffReleases, type ReleaseDiff } from "../tarball/release_diff.ts";
import { judge, makeDocsTarball } from "./build.ts";
import { type PreparedPackage, preparePackage } from "./prepare_package.ts";
import {
  call,
  isLocal,
  knownRepos,
  LOCAL_API,
  openSession,
  resolveCredential,
  type Session,
} from "./session.ts";
import { publishToLocal, revertLocal } from "./publish_local.ts";
import { localRepoDir } from "../config/config_paths.ts";
import { join } from "node:path";
import { HEXPM, type RepoConfig } from "../config/repos.ts";
import { matchesRequirement, parseRequirement } from "../hex/requirement.ts";
import type { Package } from "../registry/messages.ts";
import { RegistryError } from "../registry/signing.ts";
import { cleanRegistryText, newestFirst, retirementOf } from "./info.ts";
import {
  type ReadOptions,
  readPackageEntry,
  registrySource,
  repoCredential,
  selectReadRepo,
} from "./registry.ts";

/** What to publish. */
export interface PublishInput {
  /** `all` (package, then docs when configured), `package` or `docs`. */
  target: "all" | "package" | "docs";
  /** `--app NAME`, or `all` for every app of an umbrella in dependency order. */
  app?: string;
  repo?: string;
  yes: boolean;
  replace: boolean;
  dryRun: boolean;
  docDir?: string;
  /** `--revert VERSION`: delete that release (or its docs with target `docs`). */
  revert?: string;
  /** Publish as this version instead of the app's own (`cut --dry-run`). */
  version?: string;
  otp?: string;
  /** `--strict`: every warning stops the publish before anything is uploaded. */
  strict?: boolean;
}

/** Differences from the latest published version (dry run). */
/** One app's outcome. */
export interface Published {
  name: string;
  version: string;
  repo: string;
  /** Lower-case hex SHA-256 of the tarball sent. */
  checksum: string;
  size: number;
  dryRun: boolean;
  /** True when the release replaced an existing one. */
  replaced?: boolean;
  /** Whether the release fetched back has our checksum. */
  verified?: boolean;
  url?: string;
  docs?: "published" | "skipped" | "failed";
  docsReason?: string;
  diff?: ReleaseDiff;
  /** Dry-run checks that could not run (offline). */
  skippedChecks?: string[];
}

/** What `publish` did. */
export interface PublishResult {
  published: Published[];
  reverted?: { name: string; version: string; what: "package" | "docs"; tagDeleted?: boolean };
  warnings: Problem[];
}

/** The order apps must be published in: an app after the project apps it uses. */
export function dependencyOrder(apps: { name: string; uses: string[] }[]): string[] {
  const names = new Set(apps.map((a) => a.name));
  const byName = new Map(apps.map((a) => [a.name, a]));
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      throw new UsageError(
        `the umbrella apps depend on each other in a cycle: ${[...path, name].join(" -> ")}`,
        {
          hint: "Each would need the other published first, so no order works: break the cycle " +
            "(remove one of these dependencies from its rebar.config deps or .app.src " +
            "applications), then publish with --app all",
        },
      );
    }
    state.set(name, "visiting");
    for (const dep of byName.get(name)!.uses) {
      if (names.has(dep) && dep !== name) visit(dep, [...path, name]);
    }
    state.set(name, "done");
    out.push(name);
  };
  for (const a of [...apps].sort((x, y) => (x.name < y.name ? -1 : 1))) visit(a.name, []);
  return out;
}

async function appsToPublish(
  deps: Deps,
  project: Project,
  input: PublishInput,
): Promise<ProjectApp[]> {
  if (input.app === "all") {
    const uses: { name: string; uses: string[] }[] = [];
    for (const app of project.apps) {
      uses.push({ name: app.name, uses: await siblingNames(deps, project, app) });
    }
    return dependencyOrder(uses).map((n) => project.apps.find((a) => a.name === n)!);
  }
  if (input.app === undefined && project.apps.length > 1 && input.yes) {
    throw new UsageError("--yes does not pick an app in an umbrella project", {
      hint: `Pass --app NAME, or --app all to publish every app (${
        project.apps.map((a) => a.name).join(", ")
      })`,
    });
  }
  return [await chooseApp(deps, project, input.app)];
}

/** The rebar3_hex summary printed before publishing (and in a dry run). */
export function summary(
  p: PreparedPackage,
  repo: string,
  tarball: { size: number; checksum: string },
) {
  const m = p.meta;
  const lines = [
    `Publishing ${m.name} ${m.version} to ${repo}`,
    `  Description: ${m.description}`,
    "  Dependencies:",
    ...m.requirements.map((r) => `    ${r.name} ${r.requirement}`),
    "  Included files:",
    ...m.files.map((f) => `    ${f}`),
    `  Licenses: ${m.licenses.join(", ")}`,
    "  Links:",
    ...m.links.map(([k, v]) => `    ${k}: ${v}`),
    `  Build tools: ${m.buildTools.join(", ")}`,
    `  Tarball: ${(tarball.size / 1024).toFixed(1)} KiB, checksum ${tarball.checksum}`,
  ];
  if (repo === "hexpm") lines.push("Be aware, you are publishing to the public Hexpm repository.");
  if (repo === "hexpm" || repo.startsWith("hexpm:")) {
    lines.push("Before publishing, please read Hex CoC: https://hex.pm/policies/codeofconduct");
  }
  return lines;
}

/**
 * A GET without credentials that is allowed to fail: dry-run checks work
 * offline, so they try once, briefly, instead of retrying with backoff.
 */
async function tryGet<T>(
  deps: Deps,
  session: Session,
  req: Request,
  parse: (res: Response, req: Request) => Promise<T>,
) {
  try {
    return {
      ok: true as const,
      value: await parse(
        await send(deps, req, {
          idempotent: true,
          retries: 0,
          timeoutMs: Math.min(session.timeoutMs ?? 10_000, 10_000),
        }),
        req,
      ),
    };
  } catch (e) {
    return { ok: false as const, error: e };
  }
}

const is404 = (e: unknown) => e instanceof HexApiError && e.status === 404;

/** Public hex.pm packages can be read without credentials; other repositories need them. */
const publicReads = (session: Session) => session.repo.name === "hexpm";

/**
 * A read for the dry run: anonymous on hex.pm; elsewhere only with an API key
 * already at hand (a dry run asks for no credentials), else not checked.
 */
async function dryRead<T>(
  deps: Deps,
  session: Session,
  build: (credential: import("../hex/api_config.ts").Credential | undefined) => Request,
  parse: (res: Response, req: Request) => Promise<T>,
) {
  if (!publicReads(session) && !session.repo.apiKey) {
    return { ok: false as const, error: new HexpubError("needs credentials") };
  }
  const credential = publicReads(session)
    ? undefined
    : { kind: "key" as const, secret: session.repo.apiKey! };
  return await tryGet(deps, session, build(credential), parse);
}

/** A requirement as the dependency check reads it. */
interface CheckedRequirement {
  name: string;
  requirement: string;
  /** The dependency's repository when the metadata names one. */
  repository?: string;
  where?: Problem["where"];
}

/** The registry reads of a dry run: one try, briefly, so an offline dry run stays quick. */
function dryReadOptions(session: Session): ReadOptions {
  return { retries: 0, timeoutMs: Math.min(session.timeoutMs ?? 10_000, 10_000) };
}

/** hex.pm and its organizations: the server checks every dependency at publish. */
const hexpmFamily = (repo: RepoConfig) => repo.name === HEXPM || repo.parent === HEXPM;

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

/** Why a registry read gave no answer, briefly, for the "not checked" list. */
function whyUnchecked(e: unknown, repo: RepoConfig): string {
  if (e instanceof RegistryError) {
    return repo.apiUrl === LOCAL_API ? ` (${e.message})` : " (no public key is configured for it)";
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
async function dependencyChecks(
  deps: Deps,
  session: Session,
  requirements: readonly CheckedRequirement[],
): Promise<{ problems: Problem[]; skipped: string[] }> {
  const problems: Problem[] = [];
  const skipped: string[] = [];
  const read = async (repo: RepoConfig, name: string) =>
    await readPackageEntry(deps, await registrySource(deps, repo), name, dryReadOptions(session));
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
            whyUnchecked(e, repo),
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
function siblingsToCheck(
  requirements: readonly Requirement[],
  publishedFirst: ReadonlySet<string>,
  target: PublishInput["target"],
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
async function siblingChecks(
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
      found = await readPackageEntry(deps, await registrySource(deps, repo), r.name, options);
    } catch (e) {
      skipped.push(
        `that sibling app "${r.app}" (package ${r.name}) is in repository "${repo.name}"` +
          whyUnchecked(e, repo),
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

/** Dry-run checks hex.pm would otherwise refuse at upload, plus the diff from the latest release. */
async function dryRunChecks(
  deps: Deps,
  session: Session,
  prepared: PreparedPackage,
  tarballBytes: Uint8Array,
  replace: boolean,
  requirements: readonly CheckedRequirement[],
): Promise<{ problems: Problem[]; diff?: ReleaseDiff; skipped: string[] }> {
  const problems: Problem[] = [];
  const skipped: string[] = [];
  const { meta } = prepared;
  const call0 = { userAgent: session.userAgent };
  const existing = await dryRead(
    deps,
    session,
    (credential) =>
      buildGetReleaseRequest(session.target, meta.name, meta.version, { ...call0, credential }),
    parseGetReleaseResponse,
  );
  if (existing.ok && !replace) {
    problems.push({
      level: "error",
      field: "version",
      message: `${meta.name} ${meta.version} is already published`,
      hint: "Bump the version, or pass --replace (hex.pm allows it within one hour of publishing)",
    });
  } else if (!existing.ok && (!is404(existing.error) || !publicReads(session))) {
    // Outside hex.pm a 404 may only mean "cannot see it".
    skipped.push("whether this version is already published");
  }

  const depChecks = await dependencyChecks(deps, session, requirements);
  problems.push(...depChecks.problems);
  skipped.push(...depChecks.skipped);

  const pkg = await dryRead(
    deps,
    session,
    (credential) => buildGetPackageRequest(session.target, meta.name, { ...call0, credential }),
    parseGetPackageResponse,
  );
  if (!pkg.ok) {
    if (!is404(pkg.error)) skipped.push("the difference from the latest published version");
    return { problems, skipped };
  }
  const latest = pkg.value.latestVersion ?? pkg.value.releases[0]?.version;
  if (!latest || !session.repo.repoUrl) return { problems, skipped };
  if (!parseVersion(latest)) {
    skipped.push("the difference from the latest published version (not a valid version)");
    return { problems, skipped };
  }
  // The same rule as every registry read: no key to an untrusted mirror.
  const { repoKey } = await repoCredential(deps, session.repo);
  const tarReq = buildRepoTarballRequest(
    session.repo.repoUrl,
    session.repo.organization,
    meta.name,
    latest,
    { userAgent: session.userAgent, repoKey },
  );
  const old = await tryGet(deps, session, tarReq, parseRepoTarballResponse);
  if (!old.ok) {
    skipped.push(`the difference from ${latest}`);
    return { problems, skipped };
  }
  return { problems, skipped, diff: await diffReleases(latest, old.value, tarballBytes) };
}

/**
 * Fetches the release back (retried; with credentials outside hex.pm); its
 * checksum, or undefined when it does not exist.
 */
async function landedChecksum(deps: Deps, session: Session, name: string, version: string) {
  try {
    const release = await call(deps, session, {
      write: false,
      idempotent: true,
      anonymous: publicReads(session),
      build: (credential) =>
        buildGetReleaseRequest(session.target, name, version, {
          userAgent: session.userAgent,
          credential,
        }),
      parse: parseGetReleaseResponse,
    });
    return release.checksum.toLowerCase();
  } catch (e) {
    if (is404(e)) return undefined;
    throw e;
  }
}

async function confirm(deps: Deps, input: PublishInput, warnings: Problem[]): Promise<void> {
  if (input.yes || input.dryRun) return;
  if (!deps.isTerminal) {
    throw new UsageError("publishing needs a confirmation and there is no terminal", {
      hint: "Pass --yes to publish without asking (or --dry-run to check only)",
    });
  }
  const question = warnings.length > 0 ? "Proceed (with warnings)?" : "Proceed?";
  if (!(await deps.prompt.confirm(question, true))) {
    throw new DeclinedError("not published: declined at the prompt");
  }
}

/** Time allowed for an upload: the request limit, plus a second per 50 KB. */
function uploadTimeout(session: Session, size: number): number {
  return Math.max(session.timeoutMs ?? 30_000, 30_000) + Math.ceil(size / 50);
}

async function uploadPackage(
  deps: Deps,
  session: Session,
  prepared: PreparedPackage,
  tarball: Uint8Array,
  checksum: string,
  replace: boolean,
): Promise<{ replaced: boolean; url?: string; note?: string }> {
  const { name, version } = prepared.meta;
  // fetch with a byte body sends Content-Length but reports no progress
  // (deps.md §8), so the display is the size before and the time after.
  deps.out.info(`Uploading ${name}-${version}.tar (${(tarball.length / 1024).toFixed(1)} KiB)...`);
  const started = deps.now();
  try {
    const r = await call(deps, session, {
      write: true,
      idempotent: false,
      build: (credential, otp) =>
        buildPublishRequest(session.target, tarball, {
          replace,
          userAgent: session.userAgent,
          credential,
          otp,
        }),
      parse: parsePublishResponse,
      need: { action: "write", pkg: `${session.repo.organization ?? "hexpm"}/${name}` },
      timeoutMs: uploadTimeout(session, tarball.length),
    });
    deps.out.info(`Uploaded in ${((deps.now() - started) / 1000).toFixed(1)} s`);
    return { replaced: !r.created, url: r.release.htmlUrl ?? r.release.url };
  } catch (e) {
    // Deno re-sends a POST whose connection dropped; the first copy may have
    // landed (hex-protocol §9). Our own checksum tells whether it did.
    if (e instanceof ReleaseExistsError && !replace) {
      if ((await landedChecksum(deps, session, name, version)) === checksum) {
        return {
          replaced: false,
          note: "the release already holds exactly this tarball (an earlier attempt landed)",
        };
      }
      throw e;
    }
    if (e instanceof HexNetworkError) {
      const landed = await landedChecksum(deps, session, name, version).catch(() => "unknown");
      if (landed === checksum) {
        return {
          replaced: replace,
          note: "the connection failed, but the release landed with this exact tarball",
        };
      }
      throw new HexpubError(
        landed === "unknown"
          ? `the upload of ${name} ${version} failed and hexpub could not check whether it landed: ${e.message}`
          : `the upload of ${name} ${version} has not landed (yet): ${e.message}`,
        { hint: "Running the same command again is safe", cause: e },
      );
    }
    throw e;
  }
}

async function publishOne(
  deps: Deps,
  session: Session,
  project: Project,
  app: ProjectApp,
  input: PublishInput,
  warnings: Problem[],
  publishedFirst: ReadonlySet<string>,
): Promise<{ out: Published; upload?: () => Promise<Published> }> {
  const prepared = await preparePackage(deps, project, app, {
    repo: session.repo.name,
    version: input.version,
  });
  const found = judge(prepared.problems, { strict: input.strict ?? false, publishing: true });
  for (const w of found) deps.out.problem(w);
  warnings.push(...found);
  const { meta } = prepared;
  const tar = await createPackageTarball({ metadata: prepared.metadata, files: prepared.files });

  let docs: { tarball: Uint8Array } | undefined;
  let docsReason: string | undefined;
  if (input.target !== "package") {
    try {
      docs = await makeDocsTarball(deps, project, app, { docDir: input.docDir });
    } catch (e) {
      if (input.target === "docs" || !(e instanceof HexpubError) || e instanceof UsageError) {
        throw e;
      }
      docsReason = e.message;
      const w: Problem = {
        level: "warning",
        field: "docs",
        message: `docs will not be published: ${e.message}`,
        hint: e.hint,
      };
      deps.out.problem(w);
      warnings.push(w);
    }
  }

  const out: Published = {
    name: meta.name,
    version: meta.version,
    repo: session.repo.name,
    checksum: tar.outerChecksum,
    size: tar.tarball.length,
    dryRun: input.dryRun,
  };
  if (input.target !== "docs") {
    for (
      const line of summary(prepared, session.repo.name, {
        size: tar.tarball.length,
        checksum: tar.outerChecksum,
      })
    ) {
      deps.out.print(line);
    }
  }

  // Sibling apps of the umbrella: hex.pm checks dependencies only for its own
  // repositories, and only at upload; the check runs here for every target.
  const siblings = await siblingChecks(
    deps,
    session,
    meta,
    siblingsToCheck(meta.requirements, publishedFirst, input.target),
    input.dryRun ? dryReadOptions(session) : {},
  );
  // The dry run's dependency checks are for the other (Hex) dependencies.
  const external = meta.requirements.filter((r) => !r.sibling);
  if (!input.dryRun) {
    for (const p of siblings.problems) deps.out.problem(p);
    if (siblings.problems.length > 0) {
      throw new ValidationError(
        `${meta.name} ${meta.version} was not published: a sibling app it requires is not in ${session.repo.name}`,
        siblings.problems,
        { hint: "Nothing was uploaded" },
      );
    }
    for (const what of siblings.skipped) {
      const w: Problem = {
        level: "warning",
        field: "requirements",
        message: `not checked: ${what}`,
        hint: "If it is not there, publish it first: rebar3 cannot install this package without it",
      };
      deps.out.problem(w);
      warnings.push(w);
    }
  }

  if (input.dryRun && isLocal(session)) {
    const there = await deps.fs.lstat(
      join(
        localRepoDir(deps.env, deps.host.platform),
        "tarballs",
        `${meta.name}-${meta.version}.tar`,
      ),
    );
    if (there && !input.replace) {
      throw new HexpubError(`${meta.name} ${meta.version} is already in the local repository`, {
        hint: "Bump the version, or pass --replace",
      });
    }
    const checks = await dependencyChecks(deps, session, external);
    checks.problems.push(...siblings.problems);
    checks.skipped.push(...siblings.skipped);
    for (const p of checks.problems) deps.out.problem(p);
    if (checks.problems.some((p) => p.level === "error")) {
      throw new HexpubError(
        `${meta.name} ${meta.version} would be refused by ${session.repo.name}`,
        {
          hint: "Fix the errors above, then run the dry run again",
        },
      );
    }
    out.skippedChecks = checks.skipped;
    deps.out.info("--dry-run: nothing was written");
    return { out };
  }
  if (input.dryRun) {
    const checks = await dryRunChecks(
      deps,
      session,
      prepared,
      tar.tarball,
      input.replace,
      external,
    );
    checks.problems.push(...siblings.problems);
    checks.skipped.push(...siblings.skipped);
    for (const p of checks.problems) deps.out.problem(p);
    if (checks.problems.some((p) => p.level === "error")) {
      throw new HexpubError(
        `${meta.name} ${meta.version} would be refused by ${session.repo.name}`,
        {
          hint: "Fix the errors above, then run the dry run again",
        },
      );
    }
    out.diff = checks.diff;
    out.skippedChecks = checks.skipped;
    out.docs = docs ? "skipped" : undefined;
    deps.out.info("--dry-run: nothing was uploaded");
    return { out };
  }

  // Everything above is checked for every app before anything is uploaded.
  return {
    out,
    upload: async () => {
      if (isLocal(session)) {
        const local = await publishToLocal(deps, {
          name: meta.name,
          version: meta.version,
          tarball: tar.tarball,
          docs: docs?.tarball,
          replace: input.replace,
        });
        const written = await deps.fs.readFile(local.path);
        const d = new Uint8Array(
          await crypto.subtle.digest("SHA-256", written as Uint8Array<ArrayBuffer>),
        );
        out.verified = Array.from(d, (b) =>
          b.toString(16).padStart(2, "0")).join("") === tar.outerChecksum;
        out.replaced = local.replaced;
        out.url = local.path;
        if (docs) out.docs = "published";
        return out;
      }
      if (input.target !== "docs") {
        const up = await uploadPackage(
          deps,
          session,
          prepared,
          tar.tarball,
          tar.outerChecksum,
          input.replace,
        );
        out.replaced = up.replaced;
        if (up.note) deps.out.info(up.note);
        let landed: string | undefined;
        try {
          landed = await landedChecksum(deps, session, meta.name, meta.version);
        } catch (e) {
          // Published, but the read-back failed: say so, never "not published".
          deps.out.problem({
            level: "warning",
            field: "verify",
            message: `${meta.name} ${meta.version} was published, but reading it back failed: ${
              e instanceof Error ? e.message : String(e)
            }`,
            hint: `Check the release page, or \`hexpub search ${meta.name}\``,
          });
          landed = tar.outerChecksum;
          out.verified = false;
        }
        out.verified ??= landed === tar.outerChecksum;
        if (landed !== undefined && landed !== tar.outerChecksum) {
          throw new HexpubError(
            `${meta.name} ${meta.version} was uploaded, but the release on ${session.repo.name} has checksum ${
              landed ?? "(none)"
            }, not ${tar.outerChecksum}`,
            {
              hint:
                "Check the release page; if it is wrong, revert it with `hexpub publish --revert VERSION`",
            },
          );
        }
        out.url = up.url ?? releasePageUrl(session, meta.name, meta.version);
      }
      if (docs) {
        try {
          await call(deps, session, {
            write: true,
            idempotent: false,
            build: (credential, otp) =>
              buildPublishDocsRequest(session.target, meta.name, meta.version, docs!.tarball, {
                userAgent: session.userAgent,
                credential,
                otp,
              }),
            parse: parsePublishDocsResponse,
            need: { action: "write", pkg: `${session.repo.organization ?? "hexpm"}/${meta.name}` },
          });
          out.docs = "published";
        } catch (e) {
          if (input.target === "docs") throw e;
          out.docs = "failed";
          out.docsReason = e instanceof Error ? e.message : String(e);
          deps.out.problem({
            level: "warning",
            field: "docs",
            message: `the package was published, but its docs were not: ${out.docsReason}`,
            hint: `Run \`hexpub publish docs${
              input.app ? ` --app ${app.name}` : ""
            }\` to publish them`,
          });
        }
      } else if (input.target !== "package") {
        out.docs = "skipped";
        out.docsReason = docsReason;
      }
      return out;
    },
  };
}

function releasePageUrl(session: Session, name: string, version: string): string | undefined {
  if (session.repo.name === "hexpm") return `https://hex.pm/packages/${name}/${version}`;
  if (session.repo.parent === "hexpm") {
    return `https://hex.pm/packages/${session.repo.organization}/${name}/${version}`;
  }
  return undefined;
}

/**
 * Everything a publish checks before uploading, at a given version, without
 * uploading: validation, the tarball, and write credentials. `cut` runs it
 * before it commits, tags or pushes anything.
 */
export async function checkPublishable(
  deps: Deps,
  input: { app?: string; repo?: string; version: string; strict?: boolean },
): Promise<void> {
  const project = await discoverProject(deps, deps.cwd);
  const session = await openSession(deps, { repo: input.repo, command: "cut" });
  const app = await chooseApp(deps, project, input.app);
  const prepared = await preparePackage(deps, project, app, {
    repo: session.repo.name,
    version: input.version,
  });
  judge(prepared.problems, { strict: input.strict ?? false, publishing: true });
  await createPackageTarball({ metadata: prepared.metadata, files: prepared.files });
  const siblings = await siblingChecks(
    deps,
    session,
    prepared.meta,
    siblingsToCheck(prepared.meta.requirements, new Set(), "all"),
    {},
  );
  if (siblings.problems.length > 0) {
    throw new ValidationError(
      `${prepared.meta.name} ${prepared.meta.version} cannot be published: a sibling app it requires is not in ${session.repo.name}`,
      siblings.problems,
      { hint: "Nothing was committed, tagged or pushed" },
    );
  }
  if (!isLocal(session)) await resolveCredential(deps, session, { write: true });
}

/** The package name of an app (pkg_name, else the app name), for --revert. */
async function packageName(
  deps: Deps,
  app: ProjectApp,
): Promise<{ name: string; appSrc?: AppSrc }> {
  const src = await consultFile(deps, app.appSrcPath);
  if (!src) return { name: app.name };
  const appSrc = parseAppSrc(src);
  return { name: textProp(appSrc, "pkg_name") ?? app.name, appSrc };
}

async function revert(
  deps: Deps,
  session: Session,
  project: Project,
  input: PublishInput,
): Promise<PublishResult> {
  const version = input.revert!;
  if (!parseVersion(version)) {
    throw new UsageError(
      `The version argument provided "${version}" is not a valid semantic version`,
      {
        hint: "Pass the exact version to revert, such as --revert 1.2.0",
      },
    );
  }
  if (input.app === "all") {
    throw new UsageError("--revert takes one app", { hint: "Pass --app NAME" });
  }
  const app = await chooseApp(deps, project, input.app);
  // rebar3_hex bug 9: revert by the package name (pkg_name), not the app name.
  const { name } = await packageName(deps, app);
  const what = input.target === "docs" ? "docs" : "package";
  if (input.dryRun) {
    deps.out.print(
      `Dry run: would delete ${
        what === "docs" ? "the docs of " : "package "
      }${name} ${version} from ${session.repo.name}`,
    );
    return { published: [], reverted: { name, version, what }, warnings: [] };
  }
  if (!input.yes) {
    if (!deps.isTerminal) {
      throw new UsageError("reverting needs a confirmation and there is no terminal", {
        hint: "Pass --yes",
      });
    }
    const ok = await deps.prompt.confirm(
      `Revert ${what === "docs" ? "the docs of " : ""}${name} ${version} on ${session.repo.name}?`,
      false,
    );
    if (!ok) throw new DeclinedError("not reverted: declined at the prompt");
  }
  if (isLocal(session)) {
    // No server, no edit window: the release (or its docs) leaves the directory.
    await revertLocal(deps, { name, version, docsOnly: what === "docs" });
  } else {
    // An EditWindowError (hex.pm's one hour / 24 hours rule) carries its own explanation.
    await call(deps, session, {
      write: true,
      idempotent: true,
      build: (credential, otp) =>
        (what === "docs" ? buildRevertDocsRequest : buildRevertReleaseRequest)(
          session.target,
          name,
          version,
          {
            userAgent: session.userAgent,
            credential,
            otp,
          },
        ),
      parse: what === "docs" ? parseRevertDocsResponse : parseRevertReleaseResponse,
      need: { action: "write", pkg: `${session.repo.organization ?? "hexpm"}/${name}` },
    });
  }
  deps.out.print(
    `Successfully deleted ${what === "docs" ? "docs for " : "package "}${name} ${version}`,
  );
  let tagDeleted: boolean | undefined;
  if (what === "package" && !input.yes && deps.isTerminal) {
    const tag = `v${version}`;
    if (await deps.prompt.confirm(`Also delete tag ${tag}?`, false)) {
      const res = await deps.run("git", ["tag", "-d", tag], { cwd: project.root });
      tagDeleted = res.code === 0;
      deps.out.info(
        tagDeleted ? `Deleted tag ${tag}` : `Tag ${tag} was not deleted: ${res.stderr.trim()}`,
      );
    }
  }
  return { published: [], reverted: { name, version, what, tagDeleted }, warnings: [] };
}

/**
 * Publishes (or, with `revert`, reverts) one app, or every app with `--app all`.
 *
 * @throws {ValidationError} When the package is invalid.
 * @throws {DeclinedError} When the user answers no (exit 3).
 */
export async function publish(deps: Deps, input: PublishInput): Promise<PublishResult> {
  const project = await discoverProject(deps, deps.cwd);
  const session = await openSession(deps, { repo: input.repo, otp: input.otp, command: "publish" });
  if (input.revert !== undefined) return await revert(deps, session, project, input);
  const apps = await appsToPublish(deps, project, input);
  const result: PublishResult = { published: [], warnings: [] };
  // Validate and build every app first: nothing is uploaded unless all are fine.
  const plans = [];
  // Packages this run publishes before the next app (siblings it may require).
  const publishedFirst = new Set<string>();
  for (const app of apps) {
    const plan = await publishOne(
      deps,
      session,
      project,
      app,
      input,
      result.warnings,
      publishedFirst,
    );
    plans.push(plan);
    if (input.target !== "docs") publishedFirst.add(plan.out.name);
  }
  if (!input.dryRun) {
    // `--app all` publishes the whole umbrella without prompts.
    await confirm(deps, { ...input, yes: input.yes || input.app === "all" }, result.warnings);
  }
  for (const plan of plans) result.published.push(plan.upload ? await plan.upload() : plan.out);
  return result;
}
