/**
 * The checks of `cut`: every one runs before anything changes, and together
 * they establish the facts the plan is made from (the app, where its vsn
 * comes from, the branch and remote, the new version and its tag).
 *
 * @module
 */
import { relative } from "node:path";
import { HexpubError, ProjectError, UsageError } from "../../errors.ts";
import { textOf } from "../../erlang/term.ts";
import type { Deps } from "../../ports.ts";
import { missingVsn, parseAppSrc, whereOf } from "../../project/app_src.ts";
import { nextVersion } from "../../project/bump_version.ts";
import { consultFile } from "../../project/consult.ts";
import { chooseApp, discoverProject } from "../../project/discover.ts";
import { gitVersion } from "../../project/resolve_version.ts";
import { Git, gitSaid, parsePorcelainZ } from "./git.ts";
import type { CutFacts, CutInput } from "./types.ts";

/**
 * Checks that the cut can be made, changing nothing.
 *
 * @throws {UsageError} Not a git work tree, uncommitted changes in the app, detached HEAD
 *   without `--branch`, no such remote, the tag exists, no `-i` or `--yes` without a terminal,
 *   a bad `-i`.
 * @throws {ProjectError} A vsn cut cannot bump (`{cmd, …}`, `{file, …}`, a script's literal).
 * @throws {HexpubError} git is missing, or the remote cannot be reached (not in a dry run).
 */
export async function checkCut(deps: Deps, input: CutInput): Promise<CutFacts> {
  const project = await discoverProject(deps, deps.cwd);
  const app = await chooseApp(deps, project, input.app);
  const root = project.root;
  const g = new Git(deps, root);
  const remote = input.remote ?? "origin";

  const inside = await g.run(["rev-parse", "--is-inside-work-tree"]);
  if (inside.code === 127) {
    throw new HexpubError("git is not on PATH: cut commits, tags and pushes with it", {
      hint: "Install git",
    });
  }
  if (inside.code !== 0 || inside.stdout.trim() !== "true") {
    throw new UsageError(`${root} is not inside a git work tree`, {
      hint: "cut commits, tags and pushes the release with git: run it in a clone of the project",
    });
  }

  // The vsn, and whether cut can bump it.
  const consulted = await consultFile(deps, app.appSrcPath);
  if (!consulted) {
    throw new ProjectError(`${app.appSrcPath} does not exist`);
  }
  const appSrc = parseAppSrc(consulted);
  const file = consulted.file;
  const vsn = appSrc.props.get("vsn");
  if (!vsn) throw missingVsn(appSrc);
  const vsnText = vsn.kind === "atom" ? vsn.value : textOf(vsn);
  let source: "literal" | "git";
  if (vsnText === "git" || vsnText === "semver") source = "git";
  else if (vsn.kind === "string" || vsn.kind === "binary") source = "literal";
  else {
    throw new ProjectError(
      `cut can bump only a literal vsn or {vsn, git}, not the one in ${file}`,
      {
        where: whereOf(file, vsn),
        hint: 'Write the version as {vsn, "1.2.3"} (cut rewrites it) or {vsn, git} (cut tags it)',
      },
    );
  }
  if (source === "literal" && consulted.fromScript) {
    throw new ProjectError(`the vsn of ${app.name} is computed by ${file}: cut cannot rewrite it`, {
      where: { file },
      hint: "Bump the version in the script by hand, or use {vsn, git} there so cut only tags",
    });
  }
  const appSrcRel = relative(root, app.appSrcPath);

  // The work tree: the release must be exactly the tagged commit.
  const status = await g.ok(
    "checking for uncommitted changes",
    ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", app.relDir],
  );
  const dirty = parsePorcelainZ(status);
  if (dirty.length > 0) {
    const shown = dirty.slice(0, 10).join(", ") +
      (dirty.length > 10 ? ` and ${dirty.length - 10} more` : "");
    throw new UsageError(`${app.name} has uncommitted changes: ${shown}`, {
      hint:
        "Commit them, or stash them (git stash -u) first: the release must be exactly the tagged commit",
    });
  }
  if (source === "literal") {
    const tracked = await g.run(["ls-files", "--error-unmatch", "--", appSrcRel]);
    if (tracked.code !== 0) {
      throw new UsageError(`${file} is not tracked by git, so cut cannot commit the new vsn`, {
        hint: `Add and commit it first (git add ${appSrcRel})`,
      });
    }
  }

  const head = await g.run(["rev-parse", "--verify", "-q", "HEAD"]);
  if (head.code !== 0) {
    throw new UsageError("the repository has no commits yet", {
      hint: "Commit the project first: cut tags and pushes a commit",
    });
  }
  const startSha = head.stdout.trim();

  // Where it goes.
  const branch = await targetBranch(g, input.branch);
  const remoteUrl = await g.run(["remote", "get-url", remote]);
  if (remoteUrl.code !== 0) {
    const names = (await g.run(["remote"])).stdout.split("\n").filter((s) => s !== "");
    throw new UsageError(`there is no git remote named "${remote}" to push the release to`, {
      hint: names.length > 0
        ? `Pass --remote NAME, one of: ${names.join(", ")}`
        : "Add one (git remote add origin URL), or pass --remote NAME",
    });
  }

  if (!input.yes && !input.dryRun && !deps.isTerminal) {
    // Name -i too when it is missing, so one retry is enough.
    const increment = input.increment === undefined ? " and -i patch|minor|major|VERSION" : "";
    throw new UsageError("cut asks before pushing, and there is no terminal to ask on", {
      hint:
        `Pass --yes${increment} to push and publish without asking, or --dry-run to see the plan`,
    });
  }

  // The versions and the tag.
  let previousVersion: string;
  if (source === "literal") previousVersion = vsnText!;
  else {
    const derived = await gitVersion(deps, app.dir);
    for (const w of derived.warnings) deps.out.warn(w);
    previousVersion = derived.version;
  }
  const version = await newVersion(deps, previousVersion, input.increment);
  const tag = (input.prefixTag ? "v" : "") + version;
  await checkTagIsFree(deps, g, { tag, remote, dryRun: input.dryRun });

  return {
    app,
    git: g,
    source,
    appSrc,
    file,
    appSrcRel,
    encoding: consulted.encoding,
    ...(vsn.span ? { vsnLine: vsn.span.line } : {}),
    startSha,
    branch,
    remote,
    previousVersion,
    version,
    tag,
  };
}

/** `--branch`, checked, or the current branch (refused when HEAD is detached). */
async function targetBranch(g: Git, given: string | undefined): Promise<string> {
  if (given === undefined) {
    const abbrev = (await g.ok("finding the current branch", ["rev-parse", "--abbrev-ref", "HEAD"]))
      .trim();
    if (abbrev === "HEAD") {
      throw new UsageError("HEAD is detached, so there is no current branch to push", {
        hint:
          "Check out the release branch (git switch main), or pass --branch NAME to push HEAD to that branch",
      });
    }
    return abbrev;
  }
  if ((await g.run(["check-ref-format", `refs/heads/${given}`])).code !== 0) {
    throw new UsageError(`--branch "${given}" is not a valid branch name`, {
      hint: "Pass the name of the remote branch to push to, such as --branch main",
    });
  }
  return given;
}

/** The tag is a valid name and exists neither here nor on the remote (a dry run only warns when the remote cannot be reached). */
async function checkTagIsFree(
  deps: Deps,
  g: Git,
  o: { tag: string; remote: string; dryRun: boolean },
): Promise<void> {
  const { tag, remote } = o;
  if ((await g.run(["check-ref-format", `refs/tags/${tag}`])).code !== 0) {
    throw new UsageError(`"${tag}" cannot be a git tag name`, {
      hint: "Pass -i/--increment with a plain version such as 1.4.0",
    });
  }
  if ((await g.run(["rev-parse", "--verify", "-q", `refs/tags/${tag}`])).code === 0) {
    throw new UsageError(`the tag ${tag} already exists`, {
      hint:
        `Pick another version with -i/--increment, or delete the tag if it is a leftover (git tag -d ${tag})`,
    });
  }
  const remoteTag = await g.run(["ls-remote", "--tags", remote, `refs/tags/${tag}`]);
  if (remoteTag.code !== 0) {
    const said = gitSaid(remoteTag);
    if (!o.dryRun) {
      throw new HexpubError(`cannot reach the git remote ${remote}${said ? `: ${said}` : ""}`, {
        hint:
          `cut pushes the release to ${remote}: check that it is reachable (git ls-remote ${remote})`,
      });
    }
    deps.out.warn(
      `could not reach ${remote} to check for the tag ${tag}${said ? `: ${said}` : ""}`,
    );
  } else if (remoteTag.stdout.trim() !== "") {
    throw new UsageError(`the tag ${tag} already exists on ${remote}`, {
      hint:
        `Pick another version with -i/--increment, or fetch the tags (git fetch ${remote} --tags)`,
    });
  }
}

/** `-i`, or the rebar3_hex menu on a terminal. */
async function newVersion(
  deps: Deps,
  current: string,
  increment: string | undefined,
): Promise<string> {
  if (increment !== undefined) return nextVersion(current, increment);
  if (!deps.isTerminal) {
    throw new UsageError("cut needs -i/--increment when there is no terminal to ask on", {
      hint: "Pass -i patch, -i minor, -i major or -i VERSION",
    });
  }
  const choice = await deps.prompt.select(
    `Select semver increment or other (Current ${current}):`,
    ["patch", "minor", "major", "other"],
  );
  if (choice !== "other") return nextVersion(current, choice);
  for (;;) {
    const answer = (await deps.prompt.input("New Version > ")).trim();
    try {
      return nextVersion(current, answer, "the new version");
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      deps.out.warn(`${e.message}, try again`);
    }
  }
}
