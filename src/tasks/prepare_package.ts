/**
 * Everything that turns one app of a rebar3 project into package inputs:
 * metadata, the file list and validation findings. `build` and (later)
 * `publish` share it.
 *
 * @module
 */
import { type Problem, ProjectError, type Where } from "../errors.ts";
import type { Deps, FileInfo } from "../ports.ts";
import {
  type AppSrc,
  linksProp,
  packedAppSrc,
  parseAppSrc,
  textListProp,
  textProp,
  whereOf,
} from "../project/app_src.ts";
import { consultFile, consultPlainFile } from "../project/consult.ts";
import type { Project, ProjectApp } from "../project/discover.ts";
import { metadataEntries, type PackageMeta } from "../project/package_metadata.ts";
import {
  computeRequirements,
  configDeps,
  type LockEntry,
  parseLock,
} from "../project/requirements.ts";
import { resolveVersion } from "../project/resolve_version.ts";
import { type PathList, selectFiles } from "../project/select_files.ts";
import {
  appConfig,
  appDependencies,
  siblingRequirements,
  siblingsUsed,
} from "../project/umbrella.ts";
import { validatePackage } from "../project/validate_package.ts";
import { ensureLock } from "./lock.ts";
import type { Term } from "../erlang/term.ts";
import type { PackageFile } from "../tarball/package_file.ts";

/** A package ready to be packed. */
export interface PreparedPackage {
  app: ProjectApp;
  appSrc: AppSrc;
  meta: PackageMeta;
  metadata: [string, Term][];
  files: PackageFile[];
  /** Every finding: validation problems and project warnings. */
  problems: Problem[];
}

function warning(field: string, message: string, extra: Partial<Problem> = {}): Problem {
  return { level: "warning", field, message, ...extra };
}

/** The project's rebar.lock, made first (as `rebar3 lock` would) when it is missing. */
async function readLock(deps: Deps, project: Project): Promise<LockEntry[]> {
  return parseLock(await ensureLock(deps, project));
}

function selectionRules(app: AppSrc, warn: (p: Problem) => void) {
  const file = app.source.file;
  // As in rebar3_hex, a deprecated key is read only when its successor is absent.
  const either = (key: string, deprecated: string): PathList[] => {
    const v = textListProp(app, key) ?? textListProp(app, deprecated);
    return v ? [v] : [];
  };
  if (app.props.has("include_files")) {
    warn(warning("include_files", "include_files has been deprecated: use include_paths instead", {
      where: whereOf(file, app.props.get("include_files")),
      hint: "Rename include_files to include_paths in the .app.src",
    }));
  }
  if (app.props.has("exclude_regexps")) {
    warn(
      warning(
        "exclude_regexps",
        "exclude_regexps has been deprecated: use exclude_patterns instead",
        {
          where: whereOf(file, app.props.get("exclude_regexps")),
          hint: "Rename exclude_regexps to exclude_patterns in the .app.src",
        },
      ),
    );
  }
  return {
    files: textListProp(app, "files"),
    includePaths: either("include_paths", "include_files"),
    excludePaths: either("exclude_paths", "exclude_files"),
    excludePatterns: either("exclude_patterns", "exclude_regexps"),
    warn,
  };
}

/**
 * How packed file modes are chosen: `disk` packs each path's permission bits as
 * they are, as hex_core does (so the checksum matches rebar3_hex's on the same
 * checkout); `{ umask }` packs what a checkout made under that umask would hold
 * (git records only the executable bit), which `verify` uses to reproduce a
 * release built on another machine.
 */
export type ModePolicy = "disk" | { umask: number };

/**
 * The permission bits packed for a path under `policy`. Where the platform has
 * no modes (Windows), a checkout under umask 022 is assumed.
 */
function packedMode(
  info: { kind: string; mode: number | undefined },
  policy: ModePolicy = "disk",
): number {
  if (policy === "disk" && info.mode !== undefined) return info.mode & 0o7777;
  const umask = policy === "disk" ? 0o022 : policy.umask;
  if (info.kind === "symlink") return 0o777;
  if (info.kind === "dir") return 0o777 & ~umask;
  return ((info.mode ?? 0o644) & 0o111 ? 0o777 : 0o666) & ~umask;
}

/** A path on disk as a tarball entry: files are read lazily, symlinks keep their target. */
export async function packageFile(
  deps: Deps,
  path: string,
  abs: string,
  info: FileInfo,
  modes: ModePolicy = "disk",
): Promise<PackageFile> {
  const mode = packedMode(info, modes);
  switch (info.kind) {
    case "dir":
      return { path, kind: "dir", mode, size: 0 };
    case "symlink":
      return { path, kind: "symlink", mode, size: 0, target: await deps.fs.readLink(abs) };
    case "file":
      return {
        path,
        kind: "file",
        mode,
        size: info.size,
        read: () => deps.fs.readFile(abs),
        open: () => deps.fs.openRead(abs),
      };
    default:
      return { path, kind: "other", mode, size: 0 };
  }
}

/**
 * The tar entries of a sorted file list: as hex_core does, a directory gets its
 * own entry only when nothing inside it is packed.
 */
export function packable(all: PackageFile[]): PackageFile[] {
  const parents = new Set<string>();
  for (const f of all) {
    for (let i = f.path.indexOf("/"); i > 0; i = f.path.indexOf("/", i + 1)) {
      parents.add(f.path.slice(0, i));
    }
  }
  return all.filter((f) => f.kind !== "dir" || !parents.has(f.path));
}

/**
 * Reads, resolves, selects and validates one app's package.
 *
 * @param deps Ports.
 * @param project The discovered project.
 * @param app The app to package.
 * @param options `repo`: the repository it is for (its rules are marked, and sibling requirements
 *   name an organization as their repository);
 *   `version`: use this version instead of the app's own;
 *   `modes`: how file modes are packed (default: as on disk).
 * @throws {ProjectError} When the project cannot be packaged as it is.
 */
export async function preparePackage(
  deps: Deps,
  project: Project,
  app: ProjectApp,
  options: { repo: string; version?: string; modes?: ModePolicy },
): Promise<PreparedPackage> {
  const problems: Problem[] = [];
  const source = await consultFile(deps, app.appSrcPath);
  if (!source) {
    throw new ProjectError(`cannot read ${app.appSrcPath}`, {
      where: { file: app.appSrcPath },
    });
  }
  const appSrc = parseAppSrc(source);
  const file = source.file;
  if (appSrc.name !== app.name) {
    throw new ProjectError(
      `${file} defines application "${appSrc.name}", but its file name says "${app.name}"`,
      {
        where: whereOf(file, source.terms[0]),
        hint: `Rename the file to src/${appSrc.name}.app.src, or the application to ${app.name}`,
      },
    );
  }
  const resolved = await resolveVersion(deps, appSrc, app.dir);
  for (const w of resolved.warnings) problems.push(warning("version", w));
  // `cut --dry-run` checks the version it is about to write, not the one on disk.
  const version = options.version ?? resolved.version;

  const lock = await readLock(deps, project);
  const isRoot = app.relDir === ".";
  const ownDeps = configDeps(await appConfig(deps, project, app));
  let allowed: Set<string> | undefined;
  if (!isRoot) {
    const uses = appDependencies(appSrc);
    allowed = new Set(ownDeps.map((d) => d.app));
    for (const d of configDeps(project.config)) if (uses.has(d.app)) allowed.add(d.app);
  }
  const reqs = computeRequirements({ lock, appDeps: ownDeps, allowed });
  // Sibling apps of an umbrella are built from source, so they are not in the
  // lock: their requirements come from the project itself.
  const uses = siblingsUsed(appSrc, ownDeps, project.apps.map((a) => a.name));
  const siblings = await siblingRequirements(deps, project, uses, options.repo);
  const requirements = [
    ...reqs.requirements.filter((r) => !siblings.some((x) => x.name === r.name)),
    ...siblings,
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (reqs.leftOut.length > 0) {
    problems.push(warning(
      "requirements",
      `left out of ${appSrc.name}'s requirements: ${
        reqs.leftOut.join(", ")
      } (top-level dependencies this app does not declare)`,
      {
        hint:
          `Declare a dependency in ${app.relDir}/rebar.config, or list it in applications in the .app.src, to keep it`,
      },
    ));
  }
  const declared = new Set(
    [...configDeps(project.config), ...ownDeps].map((d) => d.app)
      .filter((d) => !project.apps.some((a) => a.name === d)),
  );
  const locked = new Set(lock.map((e) => e.app));
  const stale = [...declared].filter((d) => !locked.has(d));
  if (stale.length > 0) {
    problems.push(
      warning("requirements", `in rebar.config but not in rebar.lock: ${stale.join(", ")}`, {
        hint: "Run `rebar3 lock` to bring rebar.lock up to date",
      }),
    );
  }

  const selected = await selectFiles(
    deps.fs,
    app.dir,
    selectionRules(appSrc, (p) => problems.push(p)),
  );
  const appSrcRel = `src/${appSrc.name}.app.src`;
  // rebar3_hex packs the plain .app.src re-printed, even beside an .app.src.script;
  // with only the script (where rebar3_hex fails), the script's result is packed.
  const plain = source.fromScript ? await consultPlainFile(deps, app.appSrcPath) : undefined;
  const appSrcText = packedAppSrc(plain ? parseAppSrc(plain) : appSrc, version);
  const all: PackageFile[] = [];
  for (const f of selected) {
    if (f.path !== appSrcRel) {
      all.push(await packageFile(deps, f.path, f.abs, f.info, options.modes));
    }
  }
  all.push({
    path: appSrcRel,
    kind: "file",
    mode: 0o644,
    size: appSrcText.length,
    content: appSrcText,
  });
  all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const files = packable(all);
  const listed = all.map((f) => f.path);

  const links = linksProp(appSrc);
  const pkgName = textProp(appSrc, "pkg_name") ?? appSrc.name;
  const meta: PackageMeta = {
    name: pkgName,
    version,
    app: appSrc.name,
    description: textProp(appSrc, "description") ?? "",
    files: listed,
    licenses: textListProp(appSrc, "licenses")?.values ?? [],
    links: links?.links ?? [],
    buildTools: textListProp(appSrc, "build_tools")?.values ?? ["rebar3"],
    requirements,
  };
  const where = (key: string): Where => whereOf(file, appSrc.props.get(key) ?? source.terms[0]);
  problems.push(...validatePackage(meta, {
    repo: options.repo,
    whereOf: where,
    appSrcKeys: new Set(appSrc.props.keys()),
    lock,
  }));
  problems.push(...hashOrderWarnings(meta, appSrc));
  return { app, appSrc, meta, metadata: metadataEntries(meta), files, problems };
}

/** Erlang keeps a map of up to this many keys sorted; larger ones are hash tries. */
const FLAT_MAP_KEYS = 32;

function largestMap(term: Term): number {
  switch (term.kind) {
    case "map":
      return Math.max(
        term.entries.length,
        ...term.entries.map(([k, v]) => Math.max(largestMap(k), largestMap(v))),
      );
    case "tuple":
    case "list":
      return Math.max(
        0,
        ...term.items.map(largestMap),
        term.kind === "list" && term.tail ? largestMap(term.tail) : 0,
      );
    default:
      return 0;
  }
}

/**
 * Warnings for the one case hexpub's bytes differ from rebar3_hex's: a map of
 * more than 32 keys, which Erlang prints in the order of its internal hash
 * (metadata requirements or links, or a map in the `.app.src`), where hexpub
 * writes key order. The package is valid either way.
 */
function hashOrderWarnings(meta: PackageMeta, appSrc: AppSrc): Problem[] {
  const big: string[] = [];
  if (meta.requirements.length > FLAT_MAP_KEYS) {
    big.push(`${meta.requirements.length} requirements`);
  }
  if (new Set(meta.links.map(([k]) => k)).size > FLAT_MAP_KEYS) {
    big.push(`${meta.links.length} links`);
  }
  const inAppSrc = Math.max(0, ...[...appSrc.props.values()].map(largestMap));
  if (inAppSrc > FLAT_MAP_KEYS) big.push(`a map of ${inAppSrc} keys in the .app.src`);
  if (big.length === 0) return [];
  return [warning(
    "checksum",
    `the checksum will differ from rebar3_hex's for the same project: ${big.join(", ")}; ` +
      "Erlang writes a map of more than 32 keys in its internal hash order, hexpub in key order",
    { hint: "The package is valid and installs the same; only byte-for-byte comparisons differ" },
  )];
}
