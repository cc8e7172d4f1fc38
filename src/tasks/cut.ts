/**
 * `hexpub cut`: bump an app's version, commit that one change, tag it, push
 * the branch and the tag, and publish — rolling every step back when a later
 * one fails.
 *
 * What it fixes in `rebar3 hex cut` (`docs/rebar3_hex-behaviour.md` §7.3, §11
 * item 10):
 * - the branch pushed is the current one (or `--branch`), never a hard-coded
 *   `master`; HEAD is pushed to it (`HEAD:refs/heads/BRANCH`);
 * - only the `vsn` value of `src/APP.app.src` changes, byte for byte
 *   (comments, layout and encoding kept), and only that file is committed
 *   (`git commit -- PATH`, not `git commit -a`);
 * - every check runs before anything changes, every git failure is reported
 *   with what git said, and a failure rolls back what was done (see below);
 * - `--yes` makes it fully non-interactive and `--dry-run` shows the plan.
 *
 * Steps, each printed when done: write the vsn, commit (`Bump to VSN`),
 * tag, confirm (unless `--yes`; default answer no, as rebar3's push
 * question), push, publish. `{vsn, git}` apps get no commit: the tag is made
 * first, so the version derived from git is the new one.
 *
 * Decisions:
 * - The tag is annotated (`git tag -a`, message `APP VSN`): it records who cut
 *   the release and when, `git push --follow-tags` and `git describe` (without
 *   `--tags`) see it, and `{vsn, git}` reads it like a lightweight one.
 * - The branch and the tag go in one `git push --atomic`, so the remote gets
 *   both or neither; a remote that cannot do atomic pushes gets the branch, then
 *   the tag. After a failed push the remote is asked (`git ls-remote`) what it
 *   now holds, so the rollback acts on facts, not on guesses.
 * - Rollback: the tag is deleted locally and, if it was pushed, on the remote;
 *   the bump commit is undone with `git reset --keep PARENT` (not `--hard`:
 *   changes in files outside the app are never thrown away) only when it was
 *   not pushed; a pushed commit stays, and cut prints what remains and the
 *   commands that finish or undo the release.
 * - Untracked files in the app directory count as uncommitted changes: the
 *   package is built from the working tree, and it must match the tag.
 *
 * @module
 */
import { relative } from "node:path";
import { DeclinedError, HexpubError, ProjectError, UsageError } from "../errors.ts";
import { textOf } from "../erlang/term.ts";
import type { Deps, RunResult } from "../ports.ts";
import { appSrcWithVersion, missingVsn, parseAppSrc, whereOf } from "../project/app_src.ts";
import { nextVersion } from "../project/bump_version.ts";
import { consultFile, encodeTermFile } from "../project/consult.ts";
import { chooseApp, discoverProject } from "../project/discover.ts";
import { gitVersion } from "../project/resolve_version.ts";

/**
 * The user answered no at a confirmation prompt (exit 3). The class lives in
 * `src/errors.ts` (publish throws it too); it is re-exported here for callers
 * of `cut`.
 */
export { DeclinedError };

/** What to cut. */
export interface CutInput {
  /** `-a/--app`: the app of an umbrella. */
  app?: string;
  /** `-i/--increment`: `major`, `minor`, `patch` or an explicit version. */
  increment?: string;
  /** `--prefix-tag` (default true): tag `vVSN` rather than `VSN`. */
  prefixTag: boolean;
  /** `--yes`: push and publish without asking. */
  yes: boolean;
  /** `--dry-run`: print every step, change nothing. */
  dryRun: boolean;
  /** `--branch`: the remote branch HEAD is pushed to (default: the current branch). */
  branch?: string;
  /** `--remote` (default `origin`). */
  remote?: string;
  /** `-r/--repo`: the Hex repository to publish to. */
  repo?: string;
  /** `--strict`: every validation warning stops the cut before anything changes. */
  strict?: boolean;
}

/** What cut asks publish to do. */
export interface CutPublishOptions {
  app: string;
  /**
   * The version cut released. In a real run the tree already resolves to it;
   * in a dry run the `.app.src` still holds the old one, so a dry-run publish
   * should build with this version.
   */
  version: string;
  yes: boolean;
  dryRun: boolean;
  repo?: string;
  /** `--strict`: warnings stop the publish. */
  strict?: boolean;
}

/**
 * Publishes the app (injected, so the command wires the real publish). It
 * must throw only when the release was not published: cut then removes the tag.
 */
export type CutPublish = (deps: Deps, opts: CutPublishOptions) => Promise<void>;

/** What `cut` did (or, with `dryRun`, would do). */
export interface CutResult {
  app: string;
  /** The version before the cut. */
  previousVersion: string;
  version: string;
  tag: string;
  /** `literal`: the `.app.src` was rewritten and committed; `git`: `{vsn, git}`, tag only. */
  vsnSource: "literal" | "git";
  /** The bump commit's full sha (literal vsn, not a dry run). */
  commit?: string;
  /** The full sha of the commit the tag points at (not a dry run). */
  taggedCommit?: string;
  branch: string;
  remote: string;
  /** The branch and the tag are on the remote. */
  pushed: boolean;
  /** publish returned (false in a dry run). */
  published: boolean;
  dryRun: boolean;
}

/** One rollback step. */
interface Undo {
  /** What it does, for "could not …". */
  what: string;
  /** Does it; returns the line to print, or undefined to print nothing. */
  run: () => Promise<string | undefined>;
  /** The command a person runs when it fails. */
  byHand: string;
}

/**
 * Cuts a release.
 *
 * @param deps Ports; git runs in the project root (`deps.cwd`).
 * @param input The options.
 * @param publish Publishes the tagged version.
 * @returns What was done.
 * @throws {UsageError} Not a git work tree, uncommitted changes in the app, detached HEAD
 *   without `--branch`, no such remote, the tag exists, no `-i` or `--yes` without a terminal,
 *   a bad `-i`.
 * @throws {ProjectError} A vsn cut cannot bump (`{cmd, …}`, `{file, …}`, a script's literal).
 * @throws {DeclinedError} The user answered no before the push (exit 3); everything is rolled back.
 * @throws {HexpubError} A git step or publish failed; what was done is rolled back first.
 */
export async function cut(
  deps: Deps,
  input: CutInput,
  publish: CutPublish,
  precheck?: CutPublish,
): Promise<CutResult> {
  const project = await discoverProject(deps, deps.cwd);
  const app = await chooseApp(deps, project, input.app);
  const root = project.root;
  const g = new Git(deps, root);
  const remote = input.remote ?? "origin";

  // --- Checks: nothing changes until all of them pass. ---
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

  const consulted = await consultFile(deps, app.appSrcPath);
  if (!consulted) {
    throw new ProjectError(`${relative(deps.cwd, app.appSrcPath)} does not exist`);
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

  const pathspec = app.relDir;
  const status = await g.ok(
    "checking for uncommitted changes",
    ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", pathspec],
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

  let branch = input.branch;
  if (branch === undefined) {
    const abbrev = (await g.ok("finding the current branch", ["rev-parse", "--abbrev-ref", "HEAD"]))
      .trim();
    if (abbrev === "HEAD") {
      throw new UsageError("HEAD is detached, so there is no current branch to push", {
        hint:
          "Check out the release branch (git switch main), or pass --branch NAME to push HEAD to that branch",
      });
    }
    branch = abbrev;
  } else if ((await g.run(["check-ref-format", `refs/heads/${branch}`])).code !== 0) {
    throw new UsageError(`--branch "${branch}" is not a valid branch name`, {
      hint: "Pass the name of the remote branch to push to, such as --branch main",
    });
  }

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
    throw new UsageError("cut asks before pushing, and there is no terminal to ask on", {
      hint: "Pass --yes to push and publish without asking, or --dry-run to see the plan",
    });
  }

  let previousVersion: string;
  if (source === "literal") previousVersion = vsnText!;
  else {
    const derived = await gitVersion(deps, app.dir);
    for (const w of derived.warnings) deps.out.warn(w);
    previousVersion = derived.version;
  }

  const version = await newVersion(deps, previousVersion, input.increment);
  const tag = (input.prefixTag ? "v" : "") + version;
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
    if (!input.dryRun) {
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

  // --- The plan. ---
  const message = `Bump to ${version}`;
  let newText: string | undefined;
  if (source === "literal") newText = appSrcWithVersion(appSrc, version);
  const where = vsn.span ? ` (line ${vsn.span.line})` : "";
  const publishOpts: CutPublishOptions = {
    app: app.name,
    version,
    yes: input.yes,
    dryRun: input.dryRun,
    ...(input.repo === undefined ? {} : { repo: input.repo }),
    ...(input.strict ? { strict: true } : {}),
  };
  deps.out.info(
    `Cutting ${app.name} ${previousVersion} -> ${version}: tag ${tag}, push to ${remote}/${branch}` +
      (input.dryRun ? " (dry run: nothing changes)" : ""),
  );
  const result: CutResult = {
    app: app.name,
    previousVersion,
    version,
    tag,
    vsnSource: source,
    branch,
    remote,
    pushed: false,
    published: false,
    dryRun: input.dryRun,
  };

  if (input.dryRun) {
    if (source === "literal") {
      deps.out.info(`Would set vsn to "${version}" in ${file}${where}`);
      deps.out.info(`Would commit ${file} alone as "${message}"`);
    }
    const what = source === "literal" ? "that commit" : `HEAD (${startSha.slice(0, 7)})`;
    deps.out.info(`Would tag ${what} as ${tag}`);
    if (!input.yes) deps.out.info("Would ask before pushing");
    deps.out.info(`Would push HEAD to ${remote}/${branch} and the tag ${tag}`);
    deps.out.info(`Would publish ${app.name} ${version}; its dry run:`);
    await publish(deps, publishOpts);
    return result;
  }

  // Nothing is committed, tagged or pushed for a package that could not be
  // published: validate and build it at the new version (and find the
  // credentials) first.
  if (precheck) await precheck(deps, publishOpts);

  // --- The steps, each undone when a later one fails. ---
  const undo: Undo[] = [];
  const state = { commitPushed: false, tagPushed: false, pushChecked: true };
  try {
    if (source === "literal") {
      const before = await deps.fs.readFile(app.appSrcPath);
      const mode = (await deps.fs.stat(app.appSrcPath))?.mode;
      const after = encodeLike(before, newText!, consulted.encoding);
      undo.push({
        what: `restore ${file}`,
        run: async () => {
          await deps.fs.writeFile(app.appSrcPath, before, mode === undefined ? {} : { mode });
          await g.ok(`unstaging ${file}`, ["reset", "-q", "--", appSrcRel]);
          return `Restored ${file} (vsn "${previousVersion}")`;
        },
        byHand: `git checkout HEAD -- ${appSrcRel}`,
      });
      await deps.fs.writeFile(app.appSrcPath, after, mode === undefined ? {} : { mode });
      deps.out.info(`Set vsn to "${version}" in ${file}${where}`);

      await g.ok(`staging ${file}`, ["add", "--", appSrcRel]);
      await g.ok(`committing ${file}`, ["commit", "-q", "-m", message, "--", appSrcRel]);
      const commit = (await g.ok("reading the new commit", ["rev-parse", "HEAD"])).trim();
      result.commit = commit;
      undo.pop(); // the commit's undo restores the file too
      undo.push({
        what: `undo the commit ${commit.slice(0, 7)}`,
        run: async () => {
          if (state.commitPushed) return undefined; // reported by rollback()
          const now = (await g.ok("reading HEAD", ["rev-parse", "HEAD"])).trim();
          if (now !== commit) {
            throw new Error(`HEAD is now ${now.slice(0, 7)}, not the bump commit`);
          }
          await g.ok("undoing the bump commit", ["reset", "-q", "--keep", startSha]);
          return `Undid the commit ${commit.slice(0, 7)}: HEAD is back at ${
            startSha.slice(0, 7)
          } and ${file} has vsn "${previousVersion}" again`;
        },
        byHand: `git reset --keep ${startSha.slice(0, 7)}`,
      });
      deps.out.info(`Committed ${commit.slice(0, 7)} "${message}" (${file} only)`);
    }

    await g.ok(`tagging ${tag}`, ["tag", "-a", tag, "-m", `${app.name} ${version}`]);
    const tagged = (await g.ok("reading HEAD", ["rev-parse", "HEAD"])).trim();
    result.taggedCommit = tagged;
    undo.push({
      what: `delete the tag ${tag}`,
      run: async () => {
        await g.ok(`deleting the tag ${tag}`, ["tag", "-d", tag]);
        return `Deleted the tag ${tag}`;
      },
      byHand: `git tag -d ${tag}`,
    });
    deps.out.info(`Tagged ${tagged.slice(0, 7)} as ${tag}`);

    if (source === "git") {
      const derived = await gitVersion(deps, app.dir);
      if (derived.version !== version) {
        throw new ProjectError(
          `after tagging ${tag}, git gives ${app.name} the version ${derived.version}, not ${version}`,
          {
            hint: "HEAD probably carries another version tag: remove it, or cut from a new commit",
          },
        );
      }
    }

    if (!input.yes) {
      const ok = await deps.prompt.confirm(
        `Push ${branch} and ${tag} to ${remote}, then publish ${app.name} ${version}?`,
        false,
      );
      if (!ok) throw new DeclinedError("not cut: declined at the prompt");
    }

    const tagObject = (await g.ok("reading the tag", ["rev-parse", `refs/tags/${tag}`])).trim();
    undo.push({
      what: `delete the tag ${tag} from ${remote}`,
      run: async () => {
        if (!state.tagPushed) return undefined;
        await g.ok(`deleting the tag ${tag} from ${remote}`, [
          "push",
          "-q",
          remote,
          "--delete",
          `refs/tags/${tag}`,
        ]);
        return `Deleted the tag ${tag} from ${remote}`;
      },
      byHand: `git push ${remote} --delete refs/tags/${tag}`,
    });
    await push(g, { remote, branch, tag, tagObject, commit: result.commit, state });
    result.pushed = true;
    deps.out.info(`Pushed ${tagged.slice(0, 7)} to ${remote}/${branch} and the tag ${tag}`);

    deps.out.info(`Publishing ${app.name} ${version}`);
    await publish(deps, publishOpts);
    result.published = true;
    deps.out.info(`Cut ${app.name} ${version}: tagged ${tag}, pushed to ${remote}, published`);
    return result;
  } catch (e) {
    await rollback(deps, undo, {
      failure: e,
      commit: result.commit,
      commitPushed: state.commitPushed,
      pushChecked: state.pushChecked,
      tag,
      remote,
      branch,
      app: app.name,
      repo: input.repo,
      message,
      version,
    });
    throw e;
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

/** Pushes HEAD to the branch and the tag, recording in `state` what reached the remote. */
async function push(
  g: Git,
  o: {
    remote: string;
    branch: string;
    tag: string;
    tagObject: string;
    commit: string | undefined;
    state: { commitPushed: boolean; tagPushed: boolean; pushChecked: boolean };
  },
): Promise<void> {
  const branchRef = `HEAD:refs/heads/${o.branch}`;
  const tagRef = `refs/tags/${o.tag}`;
  // C locale: the "no atomic push" message is matched below.
  let r = await g.run(["push", "--atomic", o.remote, branchRef, tagRef], { LC_ALL: "C" });
  if (r.code !== 0 && /does not support --atomic/.test(r.stderr)) {
    r = await g.run(["push", o.remote, branchRef], { LC_ALL: "C" });
    if (r.code === 0) {
      if (o.commit) o.state.commitPushed = true;
      r = await g.run(["push", o.remote, tagRef], { LC_ALL: "C" });
    }
  }
  if (r.code === 0) {
    if (o.commit) o.state.commitPushed = true;
    o.state.tagPushed = true;
    return;
  }
  // What did reach the remote? Ask it rather than guess.
  const seen = await g.run(["ls-remote", o.remote, `refs/heads/${o.branch}`, tagRef]);
  if (seen.code === 0) {
    const refs = new Map(
      seen.stdout.split("\n").filter((l) => l.includes("\t")).map((l) => {
        const [sha, ref] = l.split("\t");
        return [ref, sha] as const;
      }),
    );
    o.state.commitPushed = o.commit !== undefined &&
      refs.get(`refs/heads/${o.branch}`) === o.commit;
    o.state.tagPushed = refs.get(tagRef) === o.tagObject;
  } else {
    // Unknown: keep the commit (it may be public) and try to delete the remote tag.
    o.state.pushChecked = false;
    o.state.commitPushed = o.commit !== undefined;
    o.state.tagPushed = true;
  }
  throw new HexpubError(
    `pushing to ${o.remote} failed: ${gitSaid(r) || `git push exited with ${r.code}`}`,
    { hint: `Check that you may push to ${o.remote}/${o.branch} and that it is not ahead of you` },
  );
}

/** Undoes what was done, newest first, printing each step and what remains. */
async function rollback(
  deps: Deps,
  undo: Undo[],
  o: {
    failure: unknown;
    commit: string | undefined;
    commitPushed: boolean;
    pushChecked: boolean;
    tag: string;
    remote: string;
    branch: string;
    app: string;
    repo: string | undefined;
    message: string;
    version: string;
  },
): Promise<void> {
  if (undo.length === 0) return;
  const why = o.failure instanceof DeclinedError
    ? "declined"
    : o.failure instanceof Error
    ? o.failure.message
    : String(o.failure);
  deps.out.info(`Rolling back (${why}):`);
  if (!o.pushChecked) {
    deps.out.warn(`  could not ask ${o.remote} what the failed push left there`);
  }
  let failed = 0;
  for (const step of [...undo].reverse()) {
    try {
      const line = await step.run();
      if (line) deps.out.info(`  ${line}`);
    } catch (e) {
      failed++;
      deps.out.warn(`  could not ${step.what}: ${(e as Error).message}`);
      deps.out.warn(`    do it by hand: ${step.byHand}`);
    }
  }
  if (o.commit && o.commitPushed) {
    const short = o.commit.slice(0, 7);
    const flags = ` --app ${o.app}` + (o.repo ? ` --repo ${o.repo}` : "");
    deps.out.warn(
      `  Kept the commit ${short} "${o.message}": it ${
        o.pushChecked ? "is" : "may be"
      } on ${o.remote}/${o.branch}, and a pushed commit is not rewritten.`,
    );
    deps.out.warn(
      `  To finish the release once the problem is fixed: git tag -a ${o.tag} -m "${o.app} ${o.version}" ${short} && git push ${o.remote} ${o.tag} && hexpub publish${flags}`,
    );
    deps.out.warn(
      `  To undo it instead: git revert ${short} && git push ${o.remote} HEAD:${o.branch}`,
    );
  } else if (failed === 0) {
    deps.out.info("  Nothing of the cut remains.");
  }
}

/** `git status --porcelain=v1 -z` entries, as paths from the repository root. */
function parsePorcelainZ(out: string): string[] {
  const fields = out.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.length < 4) continue;
    const xy = f.slice(0, 2);
    paths.push(f.slice(3));
    if (xy.includes("R") || xy.includes("C")) i++; // the original path follows
  }
  return paths;
}

/** Encodes the rewritten text like the original bytes: same encoding, BOM kept. */
function encodeLike(before: Uint8Array, text: string, encoding: "utf8" | "latin1"): Uint8Array {
  const body = encodeTermFile(text, encoding);
  const bom = encoding === "utf8" && before[0] === 0xef && before[1] === 0xbb &&
    before[2] === 0xbf && text.charCodeAt(0) !== 0xfeff;
  if (!bom) return body;
  const out = new Uint8Array(body.length + 3);
  out.set([0xef, 0xbb, 0xbf]);
  out.set(body, 3);
  return out;
}

/** The last lines git wrote to stderr (or stdout), for messages. */
function gitSaid(r: RunResult): string {
  const lines = (r.stderr.trim() || r.stdout.trim()).split("\n").map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.slice(-6).join("\n  ");
}

/** git in the project root. */
class Git {
  constructor(private deps: Deps, private cwd: string) {}

  /** Runs git; never throws for a non-zero exit. */
  run(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    const base: Record<string, string> = { ...this.deps.env };
    // Without a terminal, fail instead of waiting for a password nobody can type.
    if (!this.deps.isTerminal) base.GIT_TERMINAL_PROMPT = "0";
    return this.deps.run("git", args, { cwd: this.cwd, env: { ...base, ...env } });
  }

  /** Runs git and returns its stdout; a non-zero exit throws, with what git said. */
  async ok(doing: string, args: string[]): Promise<string> {
    const r = await this.run(args);
    if (r.code !== 0) {
      const said = gitSaid(r);
      throw new HexpubError(
        `${doing} failed: git ${args[0]} exited with ${r.code}${said ? `:\n  ${said}` : ""}`,
      );
    }
    return r.stdout;
  }
}
