/**
 * The values `cut` passes between its stages: what was asked (`CutInput`),
 * what the checks found (`CutFacts`), what will be done (`CutPlan`) and what
 * was done (`CutResult`).
 *
 * @module
 */
import type { Deps } from "../../ports.ts";
import type { AppSrc } from "../../project/app_src.ts";
import type { ProjectApp } from "../../project/discover.ts";
import type { Git } from "./git.ts";

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
  /** `--doc-dir`: pre-built docs to publish with the release (as `publish --doc-dir`). */
  docDir?: string;
  /** `--otp`: the TOTP code for the publish (as `publish --otp`). */
  otp?: string;
  /** `--replace`: replace an existing release of that version (as `publish --replace`). */
  replace?: boolean;
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
  /** `--doc-dir`, passed on to publish. */
  docDir?: string;
  /** `--otp`, passed on to publish (never printed). */
  otp?: string;
  /** `--replace`, passed on to publish. */
  replace?: boolean;
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

/** Everything the checks established; nothing has changed yet. */
export interface CutFacts {
  app: ProjectApp;
  /** git in the project root. */
  git: Git;
  /** Where the vsn comes from: a literal string in the `.app.src`, or `{vsn, git}`. */
  source: "literal" | "git";
  /** The parsed `.app.src` (rewritten for a literal vsn). */
  appSrc: AppSrc;
  /** Its path as shown to users, and relative to the repository root (for git). */
  file: string;
  appSrcRel: string;
  /** Its encoding, kept when it is rewritten. */
  encoding: "utf8" | "latin1";
  /** The vsn's line, when known. */
  vsnLine?: number;
  /** HEAD before the cut. */
  startSha: string;
  branch: string;
  remote: string;
  previousVersion: string;
  version: string;
  tag: string;
}

/** The steps of a cut, in order. */
export type StepKind = "write-vsn" | "commit" | "tag" | "confirm" | "push" | "publish";

/** One planned step and how a dry run describes it. */
export interface PlannedStep {
  kind: StepKind;
  /** The dry run's "Would …" line. */
  would: string;
}

/** What a cut will do, from the facts and the options. */
export interface CutPlan {
  facts: CutFacts;
  /** The line printed first: what is cut, and where it goes. */
  headline: string;
  /** The bump commit's message. */
  message: string;
  /** The new `.app.src` text (literal vsn). */
  newText?: string;
  /** ` (line N)` after the file name, or empty. */
  where: string;
  publishOpts: CutPublishOptions;
  steps: PlannedStep[];
}
