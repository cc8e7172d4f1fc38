/**
 * Executing a cut's plan, step by step. Each step says, next to what it does,
 * how it is undone; the undo is registered as soon as the step's change may
 * exist. When a step fails, the registered undos run newest first, and what
 * remains (a pushed commit is never rewritten) is printed with the commands
 * that finish or undo the release.
 *
 * Rollback: the tag is deleted locally and, if it was pushed, on the remote;
 * the bump commit is undone with `git reset --keep PARENT` (not `--hard`:
 * changes in files outside the app are never thrown away) only when it was
 * not pushed. A publish that fails with a `LiveReleaseError` (its release
 * is, or may be, live: the answer was lost and could not be checked, or the
 * registry does not list it yet) rolls nothing back: the version may already
 * be installed, so the tag and the commit stay, and how to finish is printed.
 *
 * @module
 */
import { DeclinedError, ProjectError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import { encodeTermFile } from "../../project/consult.ts";
import { gitVersion } from "../../project/resolve_version.ts";
import { LiveReleaseError } from "../publish_outcome.ts";
import { pushRelease, type PushState } from "./push.ts";
import type { CutPlan, CutPublish, CutResult, StepKind } from "./types.ts";

/** How one step is taken back. */
interface Undo {
  /** What it does, for "could not …". */
  what: string;
  /** Does it; returns the line to print, or undefined to print nothing. */
  run: () => Promise<string | undefined>;
  /** The command a person runs when it fails. */
  byHand: string;
}

/** The undos registered so far, one per step, in the order they were registered. */
type UndoLog = Map<StepKind, Undo>;

/** What the steps share while the plan runs. */
interface Run {
  deps: Deps;
  plan: CutPlan;
  publish: CutPublish;
  result: CutResult;
  undo: UndoLog;
  state: PushState;
}

/** One step: does its change, registering its undo in `run.undo`. */
type Step = (run: Run) => Promise<void>;

/**
 * Runs the plan's steps; on a failure, rolls back what was done and rethrows.
 *
 * @returns What was done.
 * @throws {DeclinedError} The user answered no before the push; everything is rolled back.
 * @throws {HexpubError} A git step or publish failed; what was done is rolled back first.
 */
export async function executeCut(
  deps: Deps,
  plan: CutPlan,
  publish: CutPublish,
  result: CutResult,
): Promise<CutResult> {
  const run: Run = {
    deps,
    plan,
    publish,
    result,
    undo: new Map(),
    state: { commitPushed: false, tagPushed: false, pushChecked: true },
  };
  try {
    for (const { kind } of plan.steps) await STEPS[kind](run);
    return result;
  } catch (e) {
    if (e instanceof LiveReleaseError && result.pushed) keepLiveRelease(run, e);
    else await rollback(run, e);
    throw e;
  }
}

/**
 * The publish failed, but its release is (or may be) live: the tag and the
 * commit stay where they are, since the version may already be installed, and
 * the way to finish is printed instead of a rollback.
 */
function keepLiveRelease(run: Run, failure: LiveReleaseError): void {
  const { deps, plan } = run;
  const { tag, remote, app, version } = plan.facts;
  const repo = plan.publishOpts.repo ?? "hexpm";
  const flags = publishFlags(plan);
  deps.out.warn(
    `${app.name} ${version} ${
      failure.live === "yes" ? "is on" : "may be on"
    } ${repo}, so nothing is rolled back: ${failure.message}`,
  );
  deps.out.warn(`  Kept the tag ${tag} (here and on ${remote}) and the pushed commit.`);
  deps.out.warn(
    failure.live === "yes"
      ? `  Check it with \`hexpub info ${app.name} ${version}\` in a minute; if it must go, \`hexpub publish --revert ${version}${flags}\``
      : `  To finish: \`hexpub publish${flags}\` (safe to run again: it checks what landed)`,
  );
}

/** A word as a POSIX shell reads it back: as it is when plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The flags of the `hexpub publish` that finishes this cut: the app, and the
 * repository, docs and `--replace` the cut was given (never the TOTP code: it
 * will have expired).
 */
function publishFlags(plan: CutPlan): string {
  const o = plan.publishOpts;
  return ` --app ${plan.facts.app.name}` + (o.repo ? ` --repo ${shellWord(o.repo)}` : "") +
    (o.docDir !== undefined ? ` --doc-dir ${shellWord(o.docDir)}` : "") +
    (o.replace ? " --replace" : "");
}

/** Writes the new vsn. Undo: the original bytes back, and unstaged. */
const writeVsn: Step = async ({ deps, plan, undo }) => {
  const { app, file, appSrcRel, git, previousVersion, version, encoding } = plan.facts;
  const before = await deps.fs.readFile(app.appSrcPath);
  const mode = (await deps.fs.stat(app.appSrcPath))?.mode;
  const options = mode === undefined ? {} : { mode };
  const after = encodeLike(before, plan.newText!, encoding);
  undo.set("write-vsn", {
    what: `restore ${file}`,
    run: async () => {
      await deps.fs.writeFile(app.appSrcPath, before, options);
      await git.ok(`unstaging ${file}`, ["reset", "-q", "--", appSrcRel]);
      return `Restored ${file} (vsn "${previousVersion}")`;
    },
    byHand: `git checkout HEAD -- ${appSrcRel}`,
  });
  await deps.fs.writeFile(app.appSrcPath, after, options);
  deps.out.info(`Set vsn to "${version}" in ${file}${plan.where}`);
};

/**
 * Commits the `.app.src` alone. Undo: `git reset --keep` to the start, unless
 * the commit was pushed; it restores the file too, so it takes the place of
 * write-vsn's undo.
 */
const commit: Step = async ({ deps, plan, result, undo, state }) => {
  const { file, appSrcRel, git, startSha, previousVersion } = plan.facts;
  await git.ok(`staging ${file}`, ["add", "--", appSrcRel]);
  await git.ok(`committing ${file}`, ["commit", "-q", "-m", plan.message, "--", appSrcRel]);
  const sha = (await git.ok("reading the new commit", ["rev-parse", "HEAD"])).trim();
  result.commit = sha;
  undo.delete("write-vsn");
  undo.set("commit", {
    what: `undo the commit ${sha.slice(0, 7)}`,
    run: async () => {
      if (state.commitPushed) return undefined; // reported by rollback()
      const now = (await git.ok("reading HEAD", ["rev-parse", "HEAD"])).trim();
      if (now !== sha) {
        throw new Error(`HEAD is now ${now.slice(0, 7)}, not the bump commit`);
      }
      await git.ok("undoing the bump commit", ["reset", "-q", "--keep", startSha]);
      return `Undid the commit ${sha.slice(0, 7)}: HEAD is back at ${
        startSha.slice(0, 7)
      } and ${file} has vsn "${previousVersion}" again`;
    },
    byHand: `git reset --keep ${startSha.slice(0, 7)}`,
  });
  deps.out.info(`Committed ${sha.slice(0, 7)} "${plan.message}" (${file} only)`);
};

/**
 * Tags HEAD (annotated, `APP VSN`); for `{vsn, git}`, checks that git now
 * gives the new version. Undo: `git tag -d`.
 */
const tag: Step = async ({ deps, plan, result, undo }) => {
  const { app, git, tag, version } = plan.facts;
  await git.ok(`tagging ${tag}`, ["tag", "-a", tag, "-m", `${app.name} ${version}`]);
  const tagged = (await git.ok("reading HEAD", ["rev-parse", "HEAD"])).trim();
  result.taggedCommit = tagged;
  undo.set("tag", {
    what: `delete the tag ${tag}`,
    run: async () => {
      await git.ok(`deleting the tag ${tag}`, ["tag", "-d", tag]);
      return `Deleted the tag ${tag}`;
    },
    byHand: `git tag -d ${tag}`,
  });
  deps.out.info(`Tagged ${tagged.slice(0, 7)} as ${tag}`);

  if (plan.facts.source === "git") {
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
};

/** Asks before anything leaves the machine (default no). Nothing to undo. */
const confirm: Step = async ({ deps, plan }) => {
  const { branch, tag, remote, app, version } = plan.facts;
  const ok = await deps.prompt.confirm(
    `Push ${branch} and ${tag} to ${remote}, then publish ${app.name} ${version}?`,
    false,
  );
  if (!ok) throw new DeclinedError("not cut: declined at the prompt");
};

/**
 * Pushes the branch and the tag. Undo: delete the tag from the remote if it
 * got there (a pushed commit stays: see the commit's undo).
 */
const push: Step = async ({ deps, plan, result, undo, state }) => {
  const { git, tag, remote, branch } = plan.facts;
  const tagObject = (await git.ok("reading the tag", ["rev-parse", `refs/tags/${tag}`])).trim();
  undo.set("push", {
    what: `delete the tag ${tag} from ${remote}`,
    run: async () => {
      if (!state.tagPushed) return undefined;
      await git.ok(`deleting the tag ${tag} from ${remote}`, [
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
  await pushRelease(git, { remote, branch, tag, tagObject, commit: result.commit, state });
  result.pushed = true;
  deps.out.info(
    `Pushed ${result.taggedCommit!.slice(0, 7)} to ${remote}/${branch} and the tag ${tag}`,
  );
};

/** Publishes the tagged version. The last step: nothing after it can fail. */
const publishRelease: Step = async ({ deps, plan, result, publish }) => {
  const { app, version, tag, remote } = plan.facts;
  deps.out.info(`Publishing ${app.name} ${version}`);
  await publish(deps, plan.publishOpts);
  result.published = true;
  deps.out.info(`Cut ${app.name} ${version}: tagged ${tag}, pushed to ${remote}, published`);
};

const STEPS: Record<StepKind, Step> = {
  "write-vsn": writeVsn,
  commit,
  tag,
  confirm,
  push,
  publish: publishRelease,
};

/** Undoes what was done, newest first, printing each step and what remains. */
async function rollback(run: Run, failure: unknown): Promise<void> {
  const { deps, plan, result, state } = run;
  if (run.undo.size === 0) return;
  const { tag, remote, branch, app, version } = plan.facts;
  const why = failure instanceof DeclinedError
    ? "declined"
    : failure instanceof Error
    ? failure.message
    : String(failure);
  deps.out.info(`Rolling back (${why}):`);
  if (!state.pushChecked) {
    deps.out.warn(`  could not ask ${remote} what the failed push left there`);
  }
  let failed = 0;
  for (const step of [...run.undo.values()].reverse()) {
    try {
      const line = await step.run();
      if (line) deps.out.info(`  ${line}`);
    } catch (e) {
      failed++;
      deps.out.warn(`  could not ${step.what}: ${(e as Error).message}`);
      deps.out.warn(`    do it by hand: ${step.byHand}`);
    }
  }
  if (result.commit && state.commitPushed) {
    const short = result.commit.slice(0, 7);
    const flags = publishFlags(plan);
    deps.out.warn(
      `  Kept the commit ${short} "${plan.message}": it ${
        state.pushChecked ? "is" : "may be"
      } on ${remote}/${branch}, and a pushed commit is not rewritten.`,
    );
    deps.out.warn(
      `  To finish the release once the problem is fixed: git tag -a ${tag} -m "${app.name} ${version}" ${short} && git push ${remote} ${tag} && hexpub publish${flags}`,
    );
    deps.out.warn(
      `  To undo it instead: git revert ${short} && git push ${remote} HEAD:${branch}`,
    );
  } else if (failed === 0) {
    deps.out.info("  Nothing of the cut remains.");
  }
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
