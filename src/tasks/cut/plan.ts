/**
 * The plan of a cut: the steps, in order, made from the checked facts. A dry
 * run prints it; a real run executes it.
 *
 * Steps: write the vsn and commit it (a literal vsn only: `{vsn, git}` apps
 * get no commit, the tag is made first so the version derived from git is
 * the new one), tag, confirm (unless `--yes`), push, publish.
 *
 * @module
 */
import { appSrcWithVersion } from "../../project/app_src.ts";
import type { CutFacts, CutInput, CutPlan, CutPublishOptions, PlannedStep } from "./types.ts";

/** Makes the plan; changes nothing. */
export function planCut(facts: CutFacts, input: CutInput): CutPlan {
  const { app, file, version, tag, remote, branch } = facts;
  const message = `Bump to ${version}`;
  const where = facts.vsnLine === undefined ? "" : ` (line ${facts.vsnLine})`;
  const publishOpts: CutPublishOptions = {
    app: app.name,
    version,
    yes: input.yes,
    dryRun: input.dryRun,
    ...(input.repo === undefined ? {} : { repo: input.repo }),
    ...(input.strict ? { strict: true } : {}),
    ...(input.docDir === undefined ? {} : { docDir: input.docDir }),
    ...(input.otp === undefined ? {} : { otp: input.otp }),
    ...(input.replace ? { replace: true } : {}),
  };
  const steps: PlannedStep[] = [];
  if (facts.source === "literal") {
    steps.push(
      { kind: "write-vsn", would: `Would set vsn to "${version}" in ${file}${where}` },
      { kind: "commit", would: `Would commit ${file} alone as "${message}"` },
    );
  }
  const what = facts.source === "literal" ? "that commit" : `HEAD (${facts.startSha.slice(0, 7)})`;
  steps.push({ kind: "tag", would: `Would tag ${what} as ${tag}` });
  if (!input.yes) steps.push({ kind: "confirm", would: "Would ask before pushing" });
  steps.push(
    { kind: "push", would: `Would push HEAD to ${remote}/${branch} and the tag ${tag}` },
    { kind: "publish", would: `Would publish ${app.name} ${version}; its dry run:` },
  );
  return {
    facts,
    headline:
      `Cutting ${app.name} ${facts.previousVersion} -> ${version}: tag ${tag}, push to ${remote}/${branch}` +
      (input.dryRun ? " (dry run: nothing changes)" : ""),
    message,
    ...(facts.source === "literal" ? { newText: appSrcWithVersion(facts.appSrc, version) } : {}),
    where,
    publishOpts,
    steps,
  };
}
