/**
 * The second stage of `publish`: what the repository would refuse, checked
 * before anything is uploaded. Always: the umbrella's sibling apps are in the
 * target repository. In a dry run also: the version is not taken, every
 * dependency exists with a matching release, and the difference from the
 * latest release; and, once per run, the audit of `rebar.lock` (`hexpub
 * audit`: retired releases and security advisories of the locked
 * dependencies), as warnings, since hex.pm accepts such a package. Problems go
 * to `deps.out.problem` as they are found; an error stops the publish.
 *
 * @module
 */
import { type Problem, ValidationError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { diffReleases, type ReleaseDiff } from "../tarball/release_diff.ts";
import { auditFindings } from "./deps_audit.ts";
import { dependencyChecks, dryReadOptions, siblingChecks } from "./publish_dependencies.ts";
import type { AppPlan, Plan } from "./publish_plan.ts";

/** What the checks of one app found that belongs in the result. */
export interface AppChecks {
  /** Dry run: the difference from the latest release. */
  diff?: ReleaseDiff;
  /** Dry run: checks that could not run (offline, no credentials at hand). */
  skippedChecks?: string[];
}

/** The plans whose lock has been audited: an umbrella's apps share one rebar.lock. */
const audited = new WeakSet<Plan>();

/**
 * Checks one app of the plan against its repository.
 *
 * @throws {ValidationError} When a sibling app it requires is missing (not a dry run).
 * @throws {HexpubError} When the dry run finds what the repository would refuse.
 */
export async function checkApp(deps: Deps, plan: Plan, app: AppPlan): Promise<AppChecks> {
  const { session, target, input } = plan;
  const { meta } = app.prepared;
  // Sibling apps of the umbrella: hex.pm checks dependencies only for its own
  // repositories, and only at upload; the check runs here for every target.
  const siblings = await siblingChecks(
    deps,
    session,
    meta,
    app.siblings,
    input.dryRun ? dryReadOptions(session) : {},
  );
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
      plan.warnings.push(w);
    }
    return {};
  }

  const problems: Problem[] = [];
  const skipped: string[] = [];
  const version = await target.checkVersion(meta.name, meta.version, input.replace);
  problems.push(...version.problems);
  skipped.push(...version.skipped);
  // The dependency checks are for the other (Hex) dependencies.
  const external = meta.requirements.filter((r) => !r.sibling);
  const found = await dependencyChecks(deps, session, external);
  problems.push(...found.problems);
  skipped.push(...found.skipped);
  let diff: ReleaseDiff | undefined;
  const latest = await target.latestRelease(meta.name);
  if (latest && "skipped" in latest) skipped.push(latest.skipped);
  else if (latest) diff = await diffReleases(latest.version, latest.tarball, app.tarball);
  problems.push(...siblings.problems);
  skipped.push(...siblings.skipped);
  if (!audited.has(plan)) {
    audited.add(plan);
    try {
      const lockAudit = await auditFindings(deps, plan.project, {
        read: dryReadOptions(session),
        storedCredentials: false,
      });
      problems.push(...lockAudit.problems);
      skipped.push(...lockAudit.skipped);
    } catch (e) {
      skipped.push(
        "that the locked dependencies are not retired and have no security advisory " +
          `(${e instanceof Error ? e.message : String(e)})`,
      );
    }
  }

  // Warnings are shown now and kept in the result (`--json`'s `warnings`); errors
  // travel in the error, so its document lists them too.
  const errors = problems.filter((p) => p.level === "error");
  for (const p of problems) {
    if (p.level === "error") continue;
    deps.out.problem(p);
    plan.warnings.push(p);
  }
  if (errors.length > 0) {
    throw new ValidationError(
      `${meta.name} ${meta.version} would be refused by ${session.repo.name}`,
      errors,
      { hint: "Fix them, then run the dry run again" },
    );
  }
  return { diff, skippedChecks: skipped };
}
