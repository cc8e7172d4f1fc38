/**
 * The first stage of `publish`: which apps, at which versions, as which
 * tarballs, to which target. Every app is validated and built here, before
 * anything is checked against a repository or uploaded; the result is a
 * {@link Plan} value the later stages (checks, upload, docs) carry out and
 * `ui/render_publish.ts` shows.
 *
 * @module
 */
import { HexpubError, type Problem, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { chooseApp, discoverProject, type Project, type ProjectApp } from "../project/discover.ts";
import type { Requirement } from "../project/requirements.ts";
import { siblingNames } from "../project/umbrella.ts";
import { createPackageTarball } from "../tarball/create_package.ts";
import { judge, makeDocsTarball } from "./build.ts";
import { type PreparedPackage, preparePackage } from "./prepare_package.ts";
import { siblingsToCheck } from "./publish_dependencies.ts";
import type { PublishTarget } from "./publish_target.ts";
import { directoryTarget } from "./publish_target_dir.ts";
import { hexApiTarget } from "./publish_target_hex.ts";
import { openSession, type Session } from "./session.ts";

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

/** One app of the plan: validated, built, not yet checked against the repository. */
export interface AppPlan {
  app: ProjectApp;
  prepared: PreparedPackage;
  /** The outer package tarball. */
  tarball: Uint8Array;
  /** Lower-case hex SHA-256 of `tarball`. */
  checksum: string;
  /** The docs tarball, when docs are to be published. */
  docs?: Uint8Array;
  /** Why there are no docs to publish (target `all` only). */
  docsReason?: string;
  /** Requirements on sibling apps that this run does not publish first. */
  siblings: Requirement[];
}

/** What `publish` will do, before any request. */
export interface Plan {
  input: PublishInput;
  project: Project;
  session: Session;
  target: PublishTarget;
  /** In publishing order. */
  apps: AppPlan[];
  /** Validation warnings and docs that will not go out (already reported through deps.out). */
  warnings: Problem[];
}

/** The target for a session's repository: the directory of `local`, else the Hex API. */
export function publishTarget(deps: Deps, session: Session): PublishTarget {
  return session.kind === "local" ? directoryTarget(deps, session) : hexApiTarget(deps, session);
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

/**
 * Validates and builds one app: its package tarball, and its docs unless the
 * target is `package`. Docs that cannot be built are a warning with target
 * `all` (the package still goes out), an error with target `docs`.
 */
async function planApp(
  deps: Deps,
  context: { project: Project; session: Session; input: PublishInput; warnings: Problem[] },
  app: ProjectApp,
  publishedFirst: ReadonlySet<string>,
): Promise<AppPlan> {
  const { project, session, input, warnings } = context;
  const prepared = await preparePackage(deps, project, app, {
    repo: session.repo.name,
    version: input.version,
  });
  const found = judge(prepared.problems, { strict: input.strict ?? false, publishing: true });
  for (const w of found) deps.out.problem(w);
  warnings.push(...found);
  const tar = await createPackageTarball({ metadata: prepared.metadata, files: prepared.files });
  const plan: AppPlan = {
    app,
    prepared,
    tarball: tar.tarball,
    checksum: tar.outerChecksum,
    siblings: siblingsToCheck(prepared.meta.requirements, publishedFirst, input.target),
  };
  if (input.target !== "package") {
    try {
      plan.docs = (await makeDocsTarball(deps, project, app, { docDir: input.docDir })).tarball;
    } catch (e) {
      if (input.target === "docs" || !(e instanceof HexpubError) || e instanceof UsageError) {
        throw e;
      }
      plan.docsReason = e.message;
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
  return plan;
}

/**
 * Plans a publish: the project, the repository and its target, and every app
 * validated and built, in dependency order.
 *
 * @throws {ValidationError} When a package is invalid (nothing was sent).
 * @throws {UsageError} For an unknown app or repository.
 */
export async function planPublish(deps: Deps, input: PublishInput): Promise<Plan> {
  const project = await discoverProject(deps, deps.cwd);
  const session = await openSession(deps, { repo: input.repo, otp: input.otp, command: "publish" });
  const apps = await appsToPublish(deps, project, input);
  const plan: Plan = {
    input,
    project,
    session,
    target: publishTarget(deps, session),
    apps: [],
    warnings: [],
  };
  // Packages this run publishes before the next app (siblings it may require).
  const publishedFirst = new Set<string>();
  for (const app of apps) {
    const one = await planApp(deps, plan, app, publishedFirst);
    plan.apps.push(one);
    if (input.target !== "docs") publishedFirst.add(one.prepared.meta.name);
  }
  return plan;
}
