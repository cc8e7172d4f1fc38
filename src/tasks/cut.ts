/**
 * `hexpub cut`: bump an app's version, commit that one change, tag it, push
 * the branch and the tag, and publish — rolling every step back when a later
 * one fails.
 *
 * What it fixes in `rebar3 hex cut` (rebar3_hex
 * `src/rebar3_hex_cut.erl`):
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
 * The use case runs in three stages, each in its own file under `tasks/cut/`:
 * `check.ts` (every check, nothing changes) → `plan.ts` (the steps, printed
 * by a dry run) → `execute.ts` (each step with its undo; `push.ts` pushes).
 *
 * @module
 */
import { DeclinedError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { checkCut } from "./cut/check.ts";
import { executeCut } from "./cut/execute.ts";
import { planCut } from "./cut/plan.ts";
import type { CutInput, CutPublish, CutResult } from "./cut/types.ts";

export type { CutInput, CutPublish, CutPublishOptions, CutResult } from "./cut/types.ts";

/**
 * The user answered no at a confirmation prompt (exit 3). The class lives in
 * `src/errors.ts` (publish throws it too); it is re-exported here for callers
 * of `cut`.
 */
export { DeclinedError };

/**
 * Cuts a release: check, plan, then (unless a dry run) execute.
 *
 * @param deps Ports; git runs in the project root (`deps.cwd`).
 * @param input The options.
 * @param publish Publishes the tagged version.
 * @param precheck Validates and builds the package at the new version (and
 *   finds the credentials) before anything is committed, tagged or pushed.
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
  const facts = await checkCut(deps, input);
  const plan = planCut(facts, input);
  deps.out.info(plan.headline);
  const result: CutResult = {
    app: facts.app.name,
    previousVersion: facts.previousVersion,
    version: facts.version,
    tag: facts.tag,
    vsnSource: facts.source,
    branch: facts.branch,
    remote: facts.remote,
    pushed: false,
    published: false,
    dryRun: input.dryRun,
  };

  if (input.dryRun) {
    for (const step of plan.steps) deps.out.info(step.would);
    await publish(deps, plan.publishOpts);
    return result;
  }

  // Nothing is committed, tagged or pushed for a package that could not be
  // published: validate and build it at the new version first.
  if (precheck) await precheck(deps, plan.publishOpts);
  return await executeCut(deps, plan, publish, result);
}
