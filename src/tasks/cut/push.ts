/**
 * Pushing the release: the branch and the tag in one `git push --atomic`, so
 * the remote gets both or neither; a remote that cannot do atomic pushes gets
 * the branch, then the tag. After a failed push the remote is asked
 * (`git ls-remote`) what it now holds, so the rollback acts on facts.
 *
 * @module
 */
import { HexpubError } from "../../errors.ts";
import { type Git, gitSaid } from "./git.ts";

/** What reached the remote, as far as is known. */
export interface PushState {
  commitPushed: boolean;
  tagPushed: boolean;
  /** False when the remote could not be asked after a failed push. */
  pushChecked: boolean;
}

/**
 * Pushes HEAD to the branch and the tag, recording in `o.state` what reached the remote.
 *
 * @throws {HexpubError} When the push fails, with what git said.
 */
export async function pushRelease(
  g: Git,
  o: {
    remote: string;
    branch: string;
    tag: string;
    tagObject: string;
    commit: string | undefined;
    state: PushState;
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
