/**
 * `hexpub cut`: bump the version, commit, tag, push, publish; rolled back step
 * by step when a later step fails.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { Deps } from "../ports.ts";
import { cut, type CutPublish } from "../tasks/cut.ts";
import { checkPublishable } from "../tasks/publish.ts";
import { printJson, printLines } from "./_shared.ts";
import { parseBoolean, REBAR3_BOOLEAN_WORDS } from "../config/settings.ts";
import { renderPublish } from "../ui/render_publish.ts";
import { publishShowingPlan } from "./publish.ts";

/** Builds the `cut` command; `run` is the task (tests pass a recorder). */
export function cutCommand(deps: Deps, run: typeof cut = cut) {
  return new Command("cut")
    .description("Bump the version, commit and tag it, push, then publish")
    .option("-i, --increment <inc>", "major, minor, patch, or an explicit VERSION")
    .option("-p, --prefix-tag <bool>", "tag as vVERSION (true) or VERSION (false)", "true")
    .option("-y, --yes", "do not ask: push and publish", false)
    .option("--dry-run", "show every step, change nothing", false)
    .option("--branch <branch>", "branch to push (default: the current one)")
    .option("--remote <remote>", "remote to push to", "origin")
    .option("-r, --repo <repo>", "repository to publish to (default hexpm)")
    .option("-a, --app <app>", "app to cut in an umbrella")
    .option(
      "--strict",
      "treat validation warnings as errors (checked before anything changes)",
      false,
    )
    .option("--doc-dir <dir>", "pre-built docs to publish with the release (as publish --doc-dir)")
    .option("--otp <code>", "TOTP code for the publish, when logged in with OAuth (or HEX_OTP)")
    .option(
      "--replace",
      "replace an existing release of that version (as publish --replace)",
      false,
    )
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      "\nTo hex.pm, a release it would refuse (no description, a licence that is not SPDX, a bad\n" +
        "link) stops the cut before anything changes; `hexpub build` only warns about it.\n" +
        "\nExit codes: 0 done, 1 error or refused release (rolled back), 2 bad usage, 3 declined at\n" +
        "the prompt.",
    )
    .action(async (o) => {
      const doPublish: CutPublish = async (d, opts) => {
        const r = await publishShowingPlan(d, {
          target: "all",
          app: opts.app,
          repo: opts.repo,
          yes: true,
          replace: opts.replace ?? false,
          dryRun: opts.dryRun,
          version: opts.version,
          strict: opts.strict,
          docDir: opts.docDir,
          otp: opts.otp,
        }, { json: o.json });
        if (!o.json) printLines(d, renderPublish(r));
      };
      const result = await run(
        deps,
        {
          app: o.app,
          increment: o.increment,
          prefixTag: parseBoolean(o.prefixTag, "--prefix-tag", REBAR3_BOOLEAN_WORDS),
          yes: o.yes,
          dryRun: o.dryRun,
          branch: o.branch,
          remote: o.remote,
          repo: o.repo,
          strict: o.strict,
          docDir: o.docDir,
          otp: o.otp,
          replace: o.replace,
        },
        doPublish,
        (d, opts) => checkPublishable(d, opts),
      );
      if (o.json) printJson(deps, result);
      else {deps.out.print(
          `${
            result.dryRun ? "Dry run: would cut" : "Cut"
          } ${result.app} ${result.version} (tag ${result.tag})`,
        );}
    });
}
