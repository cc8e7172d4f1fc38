/**
 * `hexpub publish`: validate and build first, show what will go out, ask, then
 * upload the package (and docs), and check that what landed is what was sent.
 * Credentials are asked for only at the upload; a dry run needs none.
 *
 * The use case is a pipeline of stages, each in its own file:
 * plan (`publish_plan.ts`) → checks (`publish_checks.ts`, with the dependency
 * lookups of `publish_dependencies.ts`) → upload with read-back
 * (`publish_upload.ts`) → docs (`publish_docs.ts`), against a
 * `PublishTarget` (`publish_target.ts`). `publish --revert` is
 * `publish_revert.ts`. Nothing here prints a summary: the result is a value,
 * and `ui/render_publish.ts` renders it (and the plan).
 *
 * @module
 */
import { DeclinedError, type Problem, UsageError, ValidationError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import type { ReleaseDiff } from "../tarball/release_diff.ts";
import { chooseApp, discoverProject } from "../project/discover.ts";
import { createPackageTarball } from "../tarball/create_package.ts";
import { judge } from "./build.ts";
import { preparePackage } from "./prepare_package.ts";
import { checkApp } from "./publish_checks.ts";
import { publishAppDocs } from "./publish_docs.ts";
import { siblingChecks, siblingsToCheck } from "./publish_dependencies.ts";
import { type Plan, planPublish, type PublishInput, publishTarget } from "./publish_plan.ts";
import { type Reverted, revertRelease } from "./publish_revert.ts";
import { uploadApp } from "./publish_upload.ts";
import { openSession } from "./session.ts";

export { dependencyOrder, type Plan, planPublish, type PublishInput } from "./publish_plan.ts";
export { type Reverted, revertRelease } from "./publish_revert.ts";

/** One app's outcome. */
export interface Published {
  name: string;
  version: string;
  repo: string;
  /** Lower-case hex SHA-256 of the package tarball sent; absent for `publish docs`. */
  checksum?: string;
  /** The package tarball's size in bytes; absent for `publish docs`. */
  size?: number;
  dryRun: boolean;
  /** True for `publish docs`: only the docs went out, the package was not sent. */
  docsOnly?: boolean;
  /** True when the release replaced an existing one. */
  replaced?: boolean;
  /** Whether the release fetched back has our checksum. */
  verified?: boolean;
  url?: string;
  docs?: "published" | "skipped" | "failed";
  docsReason?: string;
  /** Where the repository says the docs are, when it says (its own URL). */
  docsUrl?: string;
  /** The docs tarball's size, for `publish docs`. */
  docsSize?: number;
  /** Differences from the latest published version (dry run). */
  diff?: ReleaseDiff;
  /** Dry-run checks that could not run (offline). */
  skippedChecks?: string[];
}

/** What `publish` did. */
export interface PublishResult {
  published: Published[];
  reverted?: Reverted;
  warnings: Problem[];
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

/**
 * Carries out a plan: checks every app, then (unless a dry run) asks, uploads
 * each app, reads it back, and publishes its docs.
 *
 * @throws {ValidationError} When a sibling app an app requires is missing.
 * @throws {DeclinedError} When the user answers no (exit 3).
 */
export async function carryOut(deps: Deps, plan: Plan): Promise<PublishResult> {
  const { input, target } = plan;
  const outs: Published[] = [];
  // Everything is checked for every app before anything is uploaded.
  for (const app of plan.apps) {
    // `publish docs` sends no package: the package's checks do not apply.
    const docsOnly = input.target === "docs";
    const checks = docsOnly ? {} : await checkApp(deps, plan, app);
    const out: Published = {
      name: app.prepared.meta.name,
      version: app.prepared.meta.version,
      repo: target.repo.name,
      // `publish docs` sends no package: its checksum and size would describe nothing sent.
      ...(docsOnly
        ? { docsOnly, docsSize: app.docs?.length }
        : { checksum: app.checksum, size: app.tarball.length }),
      dryRun: input.dryRun,
    };
    if (input.dryRun) {
      Object.assign(out, checks, { docs: app.docs ? "skipped" : undefined });
      deps.out.info(`--dry-run: nothing was ${target.dryRunVerb}`);
    }
    outs.push(out);
  }
  const result: PublishResult = { published: outs, warnings: plan.warnings };
  if (input.dryRun) return result;
  // `--app all` publishes the whole umbrella without prompts.
  await confirm(deps, { ...input, yes: input.yes || input.app === "all" }, plan.warnings);
  for (const [i, app] of plan.apps.entries()) {
    let stored = false;
    if (input.target !== "docs") {
      const up = await uploadApp(deps, plan, app);
      Object.assign(outs[i], { replaced: up.replaced, verified: up.verified, url: up.url });
      stored = up.docsStored;
    }
    Object.assign(outs[i], await publishAppDocs(deps, plan, app, stored));
  }
  return result;
}

/**
 * Publishes (or, with `revert`, reverts) one app, or every app with `--app all`.
 *
 * @throws {ValidationError} When the package is invalid.
 * @throws {DeclinedError} When the user answers no (exit 3).
 */
export async function publish(deps: Deps, input: PublishInput): Promise<PublishResult> {
  if (input.revert !== undefined) {
    return { published: [], reverted: await revertRelease(deps, input), warnings: [] };
  }
  return await carryOut(deps, await planPublish(deps, input));
}

/**
 * Everything a publish checks before uploading, at a given version, without
 * uploading: validation, the tarball, sibling apps and write credentials.
 * `cut` runs it before it commits, tags or pushes anything.
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
  const { meta } = prepared;
  const siblings = await siblingChecks(
    deps,
    session,
    meta,
    siblingsToCheck(meta.requirements, new Set(), "all"),
    {},
  );
  if (siblings.problems.length > 0) {
    throw new ValidationError(
      `${meta.name} ${meta.version} cannot be published: a sibling app it requires is not in ${session.repo.name}`,
      siblings.problems,
      { hint: "Nothing was committed, tagged or pushed" },
    );
  }
  await publishTarget(deps, session).ensureWritable();
}
