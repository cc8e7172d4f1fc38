/**
 * Finding a project's apps as rebar3 does: an app is a directory with
 * `src/NAME.app.src` (or `src/NAME.app.src.script`), looked for in
 * `project_app_dirs` (default `apps/*`, `lib/*` and the root).
 *
 * @module
 */
import { join, relative } from "node:path";
import { ProjectError, UsageError } from "../errors.ts";
import { textOf } from "../erlang/term.ts";
import type { Deps } from "../ports.ts";
import { type Consulted, consultFile } from "./consult.ts";
import { expandGlob } from "./glob.ts";
import { configValue } from "./rebar_config.ts";

/** One app of the project. */
export interface ProjectApp {
  /** The application name, from the file name `src/NAME.app.src`. */
  name: string;
  /** Absolute app directory. */
  dir: string;
  /** App directory relative to the project root (`.` for the root app). */
  relDir: string;
  /** Absolute path of `src/NAME.app.src` (it may exist only as a `.script`). */
  appSrcPath: string;
}

/** A rebar3 project: its root, root config and apps. */
export interface Project {
  root: string;
  /** The root `rebar.config` (or its script's result); `undefined` when there is none. */
  config: Consulted | undefined;
  apps: ProjectApp[];
}

const DEFAULT_APP_DIRS = ["apps/*", "lib/*", "."];

async function appIn(deps: Deps, root: string, dir: string): Promise<ProjectApp | undefined> {
  const src = join(dir, "src");
  if ((await deps.fs.stat(src))?.kind !== "dir") return undefined;
  for (const name of await deps.fs.readDir(src)) {
    const m = /^(.+)\.app\.src(\.script)?$/.exec(name);
    if (m) {
      return {
        name: m[1],
        dir,
        relDir: relative(root, dir) || ".",
        appSrcPath: join(src, `${m[1]}.app.src`),
      };
    }
  }
  return undefined;
}

/**
 * Discovers the project at `root`.
 *
 * @throws {ProjectError} When `root` holds no rebar3 project.
 */
export async function discoverProject(deps: Deps, root: string): Promise<Project> {
  const config = await consultFile(deps, join(root, "rebar.config"));
  const dirs = configValue(config?.terms, "project_app_dirs");
  const patterns = dirs?.kind === "list"
    ? dirs.items.map((i) => textOf(i)).filter((s): s is string => !!s)
    : DEFAULT_APP_DIRS;
  const apps: ProjectApp[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    const dirs = pattern === "." ? [""] : await expandGlob(deps.fs, root, pattern);
    for (const rel of dirs) {
      const app = await appIn(deps, root, rel === "" ? root : join(root, rel));
      if (app && !seen.has(app.dir)) {
        seen.add(app.dir);
        apps.push(app);
      }
    }
  }
  if (apps.length === 0) {
    // erlang.mk projects keep ebin/NAME.app and no .app.src; rebar3_hex crashes on them.
    const erlangMk = !config && (await deps.fs.lstat(join(root, "erlang.mk")))?.kind === "file";
    throw new ProjectError(`no rebar3 app found in ${root}`, {
      hint: erlangMk
        ? "This is an erlang.mk project (erlang.mk, no rebar.config or src/NAME.app.src): " +
          "publish it with erlang.mk's hex support, or add a rebar.config and src/NAME.app.src"
        : config
        ? "An app needs src/NAME.app.src, at the root or under apps/* or lib/*"
        : "Run hexpub in the directory that holds rebar.config and src/NAME.app.src",
    });
  }
  apps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { root, config, apps };
}

/**
 * Picks the app to work on: the one named by `--app`, the only one, or (with a
 * terminal) the one the user selects.
 *
 * @throws {UsageError} For an unknown `--app`, or several apps and no way to ask.
 */
export async function chooseApp(
  deps: Deps,
  project: Project,
  wanted: string | undefined,
): Promise<ProjectApp> {
  const names = project.apps.map((a) => a.name);
  if (wanted !== undefined) {
    const app = project.apps.find((a) => a.name === wanted);
    if (!app) {
      throw new UsageError(`app "${wanted}" given with --app is not in this project`, {
        hint: `The apps are: ${names.join(", ")}`,
      });
    }
    return app;
  }
  if (project.apps.length === 1) return project.apps[0];
  if (!deps.isTerminal) {
    throw new UsageError(`this umbrella project has ${names.length} apps: pass --app to pick one`, {
      hint: `Pass --app NAME, one of: ${names.join(", ")}`,
    });
  }
  const picked = await deps.prompt.select("Select the app to build:", names);
  return project.apps.find((a) => a.name === picked)!;
}
