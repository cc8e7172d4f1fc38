/**
 * `hexpub build`: the package tarball (and docs tarball) rebar3_hex would
 * publish, written atomically to `_build/default/lib/APP/hex/` or `-o`.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { HexpubError, ProjectError, TarballError, UsageError, ValidationError } from "../errors.ts";
import type { Problem } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { consultFile } from "../project/consult.ts";
import { docDir, docProvider } from "../project/doc_config.ts";
import { listTree } from "../project/select_files.ts";
import { chooseApp, discoverProject, type Project, type ProjectApp } from "../project/discover.ts";
import { createPackageTarball } from "../tarball/create_package.ts";
import { createDocsTarball } from "../tarball/create_docs.ts";
import { encodeMetadata, type JsonValue, metadataToJson } from "../tarball/metadata_config.ts";
import type { PackageFile } from "../tarball/package_file.ts";
import { unpackDocs, unpackPackage } from "../tarball/unpack_package.ts";
import { packable, packageFile, preparePackage } from "./prepare_package.ts";
import { checkOutputFile } from "./output_file.ts";
import { writeUnpacked } from "./write_unpacked.ts";
import { stripTerminalEscapes } from "../registry/registry_text.ts";

/** What to build. */
export interface BuildInput {
  /** `all` (the default): the package, and docs when they are configured. */
  target: "all" | "package" | "docs";
  /** `--app`. */
  app?: string;
  /** `-o`: the tarball path, or the directory with `--unpack`. */
  output?: string;
  unpack: boolean;
  /** `-r`: the repository the package is for. */
  repo: string;
  /** `--doc-dir`: pre-built docs, relative to the app directory. */
  docDir?: string;
  /** `--strict`: warnings fail the build. */
  strict: boolean;
}

/** A built package. */
export interface BuiltPackage {
  name: string;
  version: string;
  app: string;
  /** Where it was written (a `.tar`, or a directory with `--unpack`). */
  path: string;
  unpacked: boolean;
  /** Upper-case hex SHA-256 of VERSION, metadata.config and contents.tar.gz. */
  innerChecksum: string;
  /** Lower-case hex SHA-256 of the whole tarball (what Hex registries record). */
  outerChecksum: string;
  /** Size of the tarball in bytes. */
  size: number;
  /** Every packed path, directories included. */
  files: string[];
  metadata: { [key: string]: JsonValue };
  /** `name requirement` pairs, in metadata order. */
  requirements: { name: string; requirement: string }[];
  description: string;
  licenses: string[];
  links: [string, string][];
  buildTools: string[];
}

/** Built docs. */
export interface BuiltDocs {
  path: string;
  unpacked: boolean;
  /** Lower-case hex SHA-256 of the docs tarball. */
  checksum: string;
  size: number;
  files: string[];
}

/** What `build` did. */
export interface BuildResult {
  package?: BuiltPackage;
  docs?: BuiltDocs;
  /** Why docs were not built in the default mode, when they were not. */
  docsSkipped?: string;
  /** Every finding that did not stop the build. */
  warnings: Problem[];
}

function defaultDir(project: Project, app: ProjectApp): string {
  return join(project.root, "_build", "default", "lib", app.name, "hex");
}

function docsPathFrom(packagePath: string): string {
  return packagePath.endsWith(".tar")
    ? packagePath.slice(0, -4) + "-docs.tar"
    : packagePath + "-docs";
}

/** How `judge` weighs warnings. */
export interface JudgeOptions {
  /** `--strict`: every warning stops, as an error does. */
  strict: boolean;
  /**
   * Publishing (`publish`, `publish --dry-run`, `cut`): a warning the target
   * repository would refuse the release over (`refusedBy`) stops, as an error.
   */
  publishing?: boolean;
}

/**
 * Sorts findings: errors (and, publishing, what the target repository refuses;
 * under --strict, every warning) stop with a ValidationError listing them all;
 * otherwise the warnings are returned, to be printed.
 *
 * @param judging How to weigh warnings (a boolean: only `strict`).
 * @throws {ValidationError} When something stops the build or the publish (exit 1).
 */
export function judge(problems: Problem[], judging: JudgeOptions | boolean): Problem[] {
  // A bare boolean is `strict` (the older signature, kept for callers that build only).
  const options = typeof judging === "boolean" ? { strict: judging } : judging;
  const refused = (p: Problem) => options.publishing === true && p.refusedBy !== undefined;
  const stops = problems.filter((p) => p.level === "error" || refused(p) || options.strict);
  const warnings = problems.filter((p) => p.level === "warning");
  if (stops.length > 0) {
    const n = stops.length;
    const count = `${n} ${n === 1 ? "problem" : "problems"}`;
    const listed = problems.map((p): Problem => (refused(p) ? { ...p, level: "error" } : p));
    const repo = problems.find(refused)?.refusedBy;
    const onlyRefused = repo !== undefined && !options.strict &&
      !problems.some((p) => p.level === "error");
    if (onlyRefused) {
      throw new ValidationError(`${repo} would refuse this release: ${count}`, listed, {
        hint: `Nothing was uploaded. Fix the problems above; \`hexpub build\` only warns about ` +
          `them, and other repositories (-r local, a self-hosted one) accept the release`,
      });
    }
    throw new ValidationError(
      `the package is not valid: ${count}${
        options.strict ? " (--strict turns warnings into errors)" : ""
      }`,
      listed,
    );
  }
  return warnings;
}

async function writeOutput(
  deps: Deps,
  path: string,
  tarball: Uint8Array,
  unpack: boolean,
  unpacked: () => Promise<Parameters<typeof writeUnpacked>[2]>,
): Promise<void> {
  try {
    await deps.fs.mkdir(dirname(path));
    if (!unpack) {
      await checkOutputFile(deps, path, "the tarball path");
      return await deps.fs.writeFileAtomic(path, tarball);
    }
    await writeUnpacked(deps, path, await unpacked());
  } catch (e) {
    if (e instanceof HexpubError) throw e;
    throw new UsageError(
      `cannot write the output "${path}": ${(e as Error).message}`,
      {
        hint: "Pass -o with a writable path (with --unpack, a directory that does not exist yet)",
        cause: e,
      },
    );
  }
}

/**
 * Refuses, before any work is done, an -o that names an existing directory
 * for a tarball, or a symlink, FIFO or device (for the docs tarball beside it too).
 */
async function checkTarballOutput(
  deps: Deps,
  path: string | undefined,
  input: Pick<BuildInput, "unpack" | "target">,
) {
  if (path === undefined || input.unpack) return;
  if ((await deps.fs.lstat(path))?.kind === "dir") {
    throw new UsageError(`-o "${path}" is a directory, not a tarball path`, {
      hint:
        "-o names the tarball to write (rebar3_hex treats it as a directory): pass DIR/NAME-VSN.tar",
    });
  }
  await checkOutputFile(deps, path, "-o");
  if (input.target === "all") await checkOutputFile(deps, docsPathFrom(path), "-o, for the docs");
}

async function findDocs(
  deps: Deps,
  project: Project,
  app: ProjectApp,
  input: { docDir?: string },
): Promise<string> {
  if (input.docDir !== undefined) {
    const dir = resolve(app.dir, input.docDir);
    if ((await deps.fs.stat(dir))?.kind !== "dir") {
      throw new UsageError(`--doc-dir "${input.docDir}" is not a directory`, {
        hint: `The path is relative to the app directory (${app.dir})`,
      });
    }
    return dir;
  }
  const provider = docProvider(project.config?.terms);
  if (!provider) {
    throw new ProjectError("No doc provider has been specified in your hex config", {
      hint:
        "Add {hex, [{doc, ex_doc}]}. (or {doc, edoc}) to rebar.config, or pass --doc-dir DIR with built docs",
    });
  }
  const rebar3 = await deps.which("rebar3");
  if (!rebar3) {
    throw new ProjectError(
      `the doc provider ${provider} runs through rebar3, which is not on PATH`,
      {
        hint: "Install rebar3, or build the docs elsewhere and pass --doc-dir DIR",
      },
    );
  }
  deps.out.info(`Running rebar3 ${provider} to generate docs`);
  const res = await deps.run(rebar3, [provider], {
    cwd: project.root,
    env: { REBAR_COLOR: "none" },
  });
  if (res.code !== 0) {
    throw new ProjectError(
      `The ${provider} documentation provider failed (exit code ${res.code})`,
      {
        // rebar3 colours some lines even with REBAR_COLOR=none.
        hint: stripTerminalEscapes(res.stdout + res.stderr).trim().split("\n").slice(-5)
          .join("\n") ||
          `Run \`rebar3 ${provider}\` to see why`,
      },
    );
  }
  const appConfig = app.relDir === "."
    ? undefined
    : await consultFile(deps, join(app.dir, "rebar.config"));
  return resolve(app.dir, docDir([appConfig?.terms, project.config?.terms], provider));
}

async function docFiles(deps: Deps, dir: string): Promise<PackageFile[]> {
  const tree = await listTree(deps.fs, dir);
  return packable(await Promise.all(tree.map((f) => packageFile(deps, f.path, f.abs, f.info))));
}

/**
 * The docs tarball of an app: from `--doc-dir`, else from the configured
 * provider run through rebar3. Shared by `build` and `publish`.
 *
 * @throws {ProjectError|TarballError|UsageError} When there are no usable docs.
 */
export async function makeDocsTarball(
  deps: Deps,
  project: Project,
  app: ProjectApp,
  options: { docDir?: string },
): Promise<{ tarball: Uint8Array; checksum: string; files: string[] }> {
  const dir = await findDocs(deps, project, app, options);
  const files = await docFiles(deps, dir);
  if (!files.some((f) => f.path === "index.html")) {
    throw new TarballError(
      "missing_index_html",
      `No index.html file was found in ${dir}`,
      {
        hint:
          "Docs need an index.html at the top of the doc directory; check the doc provider's output dir or --doc-dir",
      },
    );
  }
  const docs = await createDocsTarball(files);
  return { tarball: docs.tarball, checksum: docs.checksum, files: files.map((f) => f.path) };
}

async function buildDocs(
  deps: Deps,
  project: Project,
  app: ProjectApp,
  input: BuildInput,
  path: string,
): Promise<BuiltDocs> {
  const docs = await makeDocsTarball(deps, project, app, input);
  await writeOutput(deps, path, docs.tarball, input.unpack, async () => {
    const un = await unpackDocs(docs.tarball);
    return { files: un.files };
  });
  return {
    path,
    unpacked: input.unpack,
    checksum: docs.checksum,
    size: docs.tarball.length,
    files: docs.files,
  };
}

/**
 * Builds the package and/or docs of one app.
 *
 * @throws {ValidationError} When the package would be refused (or has warnings under --strict).
 * @throws {ProjectError|TarballError|UsageError} As the inputs require.
 */
export async function build(deps: Deps, input: BuildInput): Promise<BuildResult> {
  const project = await discoverProject(deps, deps.cwd);
  const app = await chooseApp(deps, project, input.app);
  const prepared = await preparePackage(deps, project, app, { repo: input.repo });
  const warnings = judge(prepared.problems, { strict: input.strict });
  for (const w of warnings) deps.out.problem(w);
  const { meta } = prepared;
  const base = `${meta.name}-${meta.version}`;
  const outDir = defaultDir(project, app);
  const ext = input.unpack ? "" : ".tar";
  const given = input.output === undefined ? undefined : resolve(deps.cwd, input.output);
  await checkTarballOutput(deps, given, input);
  const result: BuildResult = { warnings };

  if (input.target !== "docs") {
    const path = given ?? join(outDir, base + ext);
    const tar = await createPackageTarball({ metadata: prepared.metadata, files: prepared.files });
    await writeOutput(deps, path, tar.tarball, input.unpack, async () => {
      const un = await unpackPackage(tar.tarball);
      return { files: un.files, metadataConfig: encodeMetadata(un.metadata) };
    });
    result.package = {
      name: meta.name,
      version: meta.version,
      app: meta.app,
      path,
      unpacked: input.unpack,
      innerChecksum: tar.innerChecksum,
      outerChecksum: tar.outerChecksum,
      size: tar.tarball.length,
      files: meta.files,
      metadata: metadataToJson(prepared.metadata),
      requirements: meta.requirements.map((r) => ({ name: r.name, requirement: r.requirement })),
      description: meta.description,
      licenses: meta.licenses,
      links: meta.links,
      buildTools: meta.buildTools,
    };
  }

  if (input.target !== "package") {
    const path = input.target === "docs"
      ? given ?? join(outDir, `${base}-docs${ext}`)
      : given
      ? docsPathFrom(given)
      : join(outDir, `${base}-docs${ext}`);
    try {
      result.docs = await buildDocs(deps, project, app, input, path);
    } catch (e) {
      // Only `build docs` makes doc problems errors, and --strict makes every warning one.
      const fatal = input.target === "docs" || input.strict;
      if (fatal || !(e instanceof HexpubError) || e instanceof UsageError) throw e;
      result.docsSkipped = e.message;
      const w: Problem = {
        level: "warning",
        field: "docs",
        message: `docs not built: ${e.message}`,
        hint: e.hint,
      };
      result.warnings.push(w);
      deps.out.problem(w);
    }
  }
  return result;
}
