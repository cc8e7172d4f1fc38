/**
 * `hexpub verify [-a APP] [-r REPO] [--strict] [--json]`.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { HexpubError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { verifyRelease } from "../tasks/verify.ts";
import { renderVerify } from "../ui/render_verify.ts";
import { printJson, printLines } from "./_shared.ts";
import { displayProblem } from "../ui/display_path.ts";

/** Builds the `verify` command; `run` is the task (tests pass a recorder). */
export function verifyCommand(deps: Deps, run: typeof verifyRelease = verifyRelease) {
  return new Command("verify")
    .description(
      "Check that a published release is reproducible from this source: build the project at " +
        "its version and compare it with the release in the repository",
    )
    .option("-a, --app <app>", "the app to verify in an umbrella project")
    .option(
      "-r, --repo <repo>",
      "repository: hexpm (default), hexpm:ORG, local or a configured name",
    )
    .option("--strict", "warnings about the project fail the command", false)
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      `
The release is read through the repository's signed registry, and its tarball checked against
the registry's checksum, as \`hexpub fetch\` does. To verify a release from its git tag:

  git clone https://github.com/OWNER/REPO && cd REPO && git checkout v1.2.3 && hexpub verify

Exit codes: 0 identical, 1 not identical (what differs is printed) or the release or package
does not exist, 2 bad arguments, 4 a private repository refused the key.`,
    )
    .action(async (o) => {
      const result = await run(deps, { app: o.app, repo: o.repo, strict: o.strict });
      if (o.json) {
        printJson(deps, {
          ...result,
          warnings: result.warnings.map((w) => displayProblem(deps.cwd, w)),
        });
      } else printLines(deps, renderVerify(result));
      if (!result.identical) {
        throw new HexpubError(
          `${result.name} ${result.version} is not reproducible from this source`,
          {
            hint: "The differences are listed above; build with the same hexpub, project " +
              "commit and rebar.lock as the release",
          },
        );
      }
    });
}
