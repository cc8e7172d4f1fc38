/**
 * `hexpub publish [package|docs]`: flags to `publish()` input, result to output.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import {
  carryOut,
  planPublish,
  publish,
  type PublishInput,
  type PublishResult,
} from "../tasks/publish.ts";
import { renderPlan, renderPublish } from "../ui/render_publish.ts";
import { printJson, printLines } from "./_shared.ts";
import { displayProblem } from "../ui/display_path.ts";

/**
 * Runs a publish, showing the plan (rebar3_hex's summary) before the checks and
 * the prompt: on stdout, or on stderr with `--json` so that stdout holds only
 * the JSON result. `cut` publishes through it too.
 */
export async function publishShowingPlan(
  deps: Deps,
  input: PublishInput,
  options: { json: boolean },
): Promise<PublishResult> {
  if (input.revert !== undefined) return await publish(deps, input);
  const plan = await planPublish(deps, input);
  for (const line of renderPlan(plan)) {
    if (options.json) deps.out.info(line);
    else deps.out.print(line);
  }
  return await carryOut(deps, plan);
}

/** Builds the `publish` command. */
export function publishCommand(deps: Deps) {
  return new Command("publish")
    .description("Publish the package (and its docs) to a Hex repository")
    .argument("[what]", "package or docs (default: both; docs when configured)")
    .option("-r, --repo <repo>", "repository (default hexpm; hexpm:ORG for an organization)")
    .option("-a, --app <app>", "app to publish in an umbrella, or `all` (in dependency order)")
    .option("-y, --yes", "publish without asking", false)
    .option("--replace", "replace an existing release (hex.pm: within one hour)", false)
    .option("--dry-run", "check everything, upload nothing (no credentials needed)", false)
    .option("--doc-dir <dir>", "pre-built docs to publish (relative to the app)")
    .option("--revert <version>", "delete that release (or its docs with `publish docs`)")
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--strict", "treat validation warnings as errors (nothing is uploaded)", false)
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      `
To public hex.pm, a release it would refuse (no description or licences, a licence that is not
an SPDX id, a link that is not http(s)) is refused before anything is uploaded; to an
organization, local or a self-hosted repository those are warnings.

Exit codes: 0 published (or dry run clean), 1 error or refused release, 2 bad usage, 3 declined at
the prompt, 4 auth.`,
    )
    .action(async (what, o) => {
      if (what !== undefined && what !== "package" && what !== "docs") {
        throw new UsageError(`Invalid arguments: unknown publish target "${what}"`, {
          hint: "Use `hexpub publish`, `hexpub publish package` or `hexpub publish docs`",
        });
      }
      const input: PublishInput = {
        target: what ?? "all",
        app: o.app,
        repo: o.repo,
        yes: o.yes,
        replace: o.replace,
        dryRun: o.dryRun,
        docDir: o.docDir,
        revert: o.revert,
        otp: o.otp,
        strict: o.strict,
      };
      const result = await publishShowingPlan(deps, input, { json: o.json });
      if (o.json) {
        printJson(deps, {
          ...result,
          warnings: result.warnings.map((w) => displayProblem(deps.cwd, w)),
        });
      } else printLines(deps, renderPublish(result));
    });
}
