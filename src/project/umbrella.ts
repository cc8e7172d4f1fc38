/**
 * Apps of one umbrella that use each other. rebar3 builds a project's apps
 * from source, so an app depending on a sibling has no `rebar.lock` entry
 * for it, and rebar3_hex publishes it without that requirement: installed
 * from Hex, the package then misses the sibling. hexpub adds a requirement on
 * the sibling's package, written the way rebar3_hex writes one derived from
 * the lock (`~>` + the version, no space: `~>1.2.0`).
 *
 * An app uses a sibling when its own `rebar.config` `deps`, or its `.app.src`
 * `applications`, `included_applications` or `optional_applications`, name it.
 *
 * @module
 */
import { join } from "node:path";
import type { Deps } from "../ports.ts";
import { type AppSrc, parseAppSrc, textProp, whereOf } from "./app_src.ts";
import { consultFile } from "./consult.ts";
import type { Project, ProjectApp } from "./discover.ts";
import { type ConfigDep, configDeps, type Requirement } from "./requirements.ts";
import { resolveVersion } from "./resolve_version.ts";
import type { Where } from "../errors.ts";

/** The `.app.src` keys listing the applications an app runs with. */
const APPLICATION_KEYS = ["applications", "included_applications", "optional_applications"];

/** The applications an `.app.src` says the app runs with (`applications`, included and optional ones). */
export function appDependencies(app: AppSrc): Set<string> {
  const out = new Set<string>();
  for (const key of APPLICATION_KEYS) {
    const t = app.props.get(key);
    if (t?.kind === "list") {
      for (const i of t.items) if (i.kind === "atom") out.add(i.value);
    }
  }
  return out;
}

/** A sibling app an app uses, and where the use is written. */
export interface SiblingUse {
  /** The sibling's app name. */
  app: string;
  /** The `rebar.config` dep or `.app.src` list naming it. */
  where: Where;
  /** The requirement text when the app's `rebar.config` pins one (`{a, "~> 1.0"}`). */
  requirement?: string;
}

/**
 * The other apps of the project that an app uses, in name order.
 *
 * @param appSrc The app's parsed `.app.src`.
 * @param ownDeps The `deps` of the app's own `rebar.config`.
 * @param projectApps The names of every app of the project.
 */
export function siblingsUsed(
  appSrc: AppSrc,
  ownDeps: readonly ConfigDep[],
  projectApps: readonly string[],
): SiblingUse[] {
  const siblings = new Set(projectApps.filter((n) => n !== appSrc.name));
  const found = new Map<string, SiblingUse>();
  for (const d of ownDeps) {
    if (siblings.has(d.app) && !found.has(d.app)) {
      found.set(d.app, { app: d.app, where: d.where, requirement: d.requirement });
    }
  }
  for (const key of APPLICATION_KEYS) {
    const t = appSrc.props.get(key);
    if (t?.kind !== "list") continue;
    for (const i of t.items) {
      if (i.kind === "atom" && siblings.has(i.value) && !found.has(i.value)) {
        found.set(i.value, { app: i.value, where: whereOf(appSrc.source.file, i) });
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
}

/** The `rebar.config` of an app: the project's for the root app, else its own (if any). */
export async function appConfig(deps: Deps, project: Project, app: ProjectApp) {
  return app.relDir === "."
    ? project.config
    : await consultFile(deps, join(app.dir, "rebar.config"));
}

/**
 * The names of the project's apps that `app` uses (for publishing an umbrella
 * in dependency order).
 */
export async function siblingNames(
  deps: Deps,
  project: Project,
  app: ProjectApp,
): Promise<string[]> {
  const src = await consultFile(deps, app.appSrcPath);
  if (!src) return [];
  const appSrc = parseAppSrc(src);
  const own = configDeps(await appConfig(deps, project, app));
  return siblingsUsed(appSrc, own, project.apps.map((a) => a.name)).map((u) => u.app);
}

/**
 * The requirements an app gets on the siblings it uses: the sibling's
 * package (`pkg_name`, else its app name), `~>` + its version (or the text
 * the app's `rebar.config` pins), not optional. Publishing to an
 * organization (`hexpm:ORG`), the requirement names the organization as its
 * repository, since hex.pm looks a requirement without one up in the public
 * `hexpm` repository; elsewhere it names none, as rebar3_hex's requirements
 * never do.
 *
 * @param deps Ports (a sibling's `{vsn, git}` runs git).
 * @param project The project.
 * @param uses What `siblingsUsed` found.
 * @param repo The repository the package is for.
 * @throws {ProjectError} When a sibling's `.app.src` or version cannot be read.
 */
export async function siblingRequirements(
  deps: Deps,
  project: Project,
  uses: readonly SiblingUse[],
  repo: string,
): Promise<Requirement[]> {
  const organization = repo.startsWith("hexpm:") ? repo.slice("hexpm:".length) : undefined;
  const out: Requirement[] = [];
  for (const use of uses) {
    const sibling = project.apps.find((a) => a.name === use.app)!;
    const src = await consultFile(deps, sibling.appSrcPath);
    if (!src) continue; // discovery found it, so this does not happen
    const appSrc = parseAppSrc(src);
    const { version } = await resolveVersion(deps, appSrc, sibling.dir);
    const req: Requirement = {
      name: textProp(appSrc, "pkg_name") ?? appSrc.name,
      app: appSrc.name,
      requirement: use.requirement ?? `~>${version}`,
      optional: false,
      where: use.where,
      sibling: { dir: sibling.relDir, version },
    };
    if (organization) req.repository = organization;
    out.push(req);
  }
  return out;
}
