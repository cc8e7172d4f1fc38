/**
 * `hexpub audit`: the locked dependencies (every level of `rebar.lock`) whose
 * release is retired, with the reason and message, or affected by security
 * advisories, read from each dependency's signed registry (see
 * `./deps_report.ts`). Advisories are what the registry carries: hex_core's
 * current `proto/hex_pb_package.proto` has `Package.advisories` and
 * `Release.advisory_indexes`, which hexpm's registry builder fills; a
 * repository that does not write them (an older hexpm, `hexpub serve`) has
 * none to report. Like `mix hex.audit`, the command exits 1 when anything is
 * found.
 *
 * `publish --dry-run` runs the same check ({@link auditFindings}) and reports
 * what it finds as warnings: hex.pm accepts a package whose dependencies are
 * retired or have advisories.
 *
 * This is not `src/hex/audit.ts`, which reads an account's audit log.
 *
 * @module
 */
import type { Problem } from "../errors.ts";
import type { Deps } from "../ports.ts";
import type { Project } from "../project/discover.ts";
import { advisorySeverityName, type SecurityAdvisory } from "../registry/messages.ts";
import { cleanRegistryText } from "../registry/registry_text.ts";
import {
  type LocatedDep,
  type LocateOptions,
  locateProjectLock,
  requireAllLocated,
  type UnlocatedDep,
} from "./deps_report.ts";
import { type InfoRetirement, retirementOf } from "./info.ts";

/** A security advisory affecting a locked release. */
export interface AuditAdvisory {
  /** `GHSA-…`, `CVE-…`, … */
  id: string;
  summary: string;
  /** `none`, `low`, `medium`, `high`, `critical` (or `unknown (N)`), when given. */
  severity?: string;
  /** CVSS score, one decimal, when given. */
  cvssScore?: number;
  /** The advisory's page. */
  url: string;
  /** Other identifiers of the same vulnerability. */
  aliases: string[];
}

/** A locked dependency with something to report. */
export interface AuditFinding {
  app: string;
  package: string;
  version: string;
  repository: string;
  level: number;
  /** Set when the locked release is retired. */
  retired?: InfoRetirement;
  /** Advisories affecting the locked release (empty when none). */
  advisories: AuditAdvisory[];
}

/** What `hexpub audit` found. */
export interface AuditResult {
  /** How many locked Hex packages were checked. */
  checked: number;
  /** The dependencies with a retirement or an advisory, by app name. */
  findings: AuditFinding[];
  /** How many of them are retired. */
  retired: number;
  /** How many advisories in all. */
  advisories: number;
}

function advisoryOf(a: SecurityAdvisory): AuditAdvisory {
  const out: AuditAdvisory = {
    id: cleanRegistryText(a.id),
    summary: cleanRegistryText(a.summary),
    url: cleanRegistryText(a.htmlUrl),
    aliases: a.aliases.map(cleanRegistryText),
  };
  if (a.severity !== undefined) out.severity = advisorySeverityName(a.severity);
  // A protobuf float: 9.8 comes back as 9.800000190734863.
  if (a.cvssScore !== undefined) out.cvssScore = Math.round(a.cvssScore * 10) / 10;
  return out;
}

/** What is wrong with one located dependency, if anything. */
function findingOf(l: LocatedDep): AuditFinding | undefined {
  const release = l.release;
  if (!release) return undefined;
  const retired = retirementOf(release);
  const advisories = (release.advisoryIndexes ?? [])
    .map((i) => l.pkg.advisories?.[i])
    .filter((a) => a !== undefined)
    .map(advisoryOf);
  if (!retired && advisories.length === 0) return undefined;
  const out: AuditFinding = {
    app: l.dep.app,
    package: l.dep.pkg,
    version: l.dep.version,
    repository: l.repo.name,
    level: l.dep.level,
    advisories,
  };
  if (retired) out.retired = retired;
  return out;
}

function summarize(checked: number, findings: AuditFinding[]): AuditResult {
  findings.sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
  return {
    checked,
    findings,
    retired: findings.filter((f) => f.retired).length,
    advisories: findings.reduce((n, f) => n + f.advisories.length, 0),
  };
}

/**
 * `hexpub audit` in the working directory's project.
 *
 * @throws {ProjectError} Without `rebar.lock`.
 * @throws {HexpubError} When a locked package is in no repository, or one cannot be reached.
 * @throws {RegistryError} When a registry file is refused.
 */
export async function audit(deps: Deps): Promise<AuditResult> {
  const lock = await locateProjectLock(deps);
  requireAllLocated(lock);
  const findings = lock.located.map(findingOf).filter((f) => f !== undefined);
  return summarize(lock.located.length, findings);
}

/** One finding as publish findings (warnings), one per retirement and per advisory. */
export function auditProblems(f: AuditFinding): Problem[] {
  const what = `locked dependency ${f.app} ${f.version}${
    f.package !== f.app ? ` (package ${f.package})` : ""
  }`;
  const field = `requirements.${f.package}`;
  const upgrade = `Update it (\`rebar3 upgrade ${f.app}\`, then check \`hexpub outdated\`)`;
  const out: Problem[] = [];
  if (f.retired) {
    out.push({
      level: "warning",
      field,
      message: `${what} is retired (${cleanRegistryText(f.retired.reason)})${
        f.retired.message ? `: ${cleanRegistryText(f.retired.message)}` : ""
      }`,
      hint: upgrade,
    });
  }
  for (const a of f.advisories) {
    out.push({
      level: "warning",
      field,
      message: `${what} is affected by security advisory ${a.id}${
        a.severity ? ` (${a.severity})` : ""
      }: ${a.summary}`,
      hint: `${upgrade}; see ${a.url}`,
    });
  }
  return out;
}

/**
 * The audit as `publish --dry-run` runs it: findings as warnings, and what
 * could not be read (offline, a private repository without a key) as "not
 * checked" lines instead of errors.
 */
export async function auditFindings(
  deps: Deps,
  project: Project,
  options: LocateOptions,
): Promise<{ problems: Problem[]; skipped: string[] }> {
  const lock = await locateProjectLock(deps, { ...options, project });
  const problems = lock.located.map(findingOf).filter((f) => f !== undefined)
    .sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0))
    .flatMap(auditProblems);
  const skipped = lock.unlocated.map((u: UnlocatedDep) =>
    `that locked dependency ${u.dep.app} ${u.dep.version} is not retired and has no ` +
    `security advisory (${
      u.error === undefined
        ? `it is in none of ${u.searched.join(", ")}`
        : `repository "${u.searched.at(-1)}" could not be read`
    })`
  );
  return { problems, skipped };
}
