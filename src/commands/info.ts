/**
 * `hexpub info PKG [VERSION]`.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { Deps } from "../ports.ts";
import { info } from "../tasks/info.ts";
import { renderInfo } from "../ui/render_info.ts";
import { printJson, printLines } from "./_shared.ts";

/** Builds the `info` command; `run` is the task (tests pass a recorder). */
export function infoCommand(deps: Deps, run: typeof info = info) {
  return new Command("info")
    .description(
      "Show a package's versions, or one release's checksum and dependencies, from the " +
        "repository's signed registry (no log-in needed on public repositories)",
    )
    .argument("<package>", "the package name")
    .argument("[version]", "one release (default: list the versions)")
    .option(
      "-r, --repo <repo>",
      "repository: hexpm (default), hexpm:ORG, local or a configured name",
    )
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      `
The registry file is verified before anything in it is shown: its signature (hex.pm's key is
built in; other repositories use their configured repo_public_key), the repository name and
the package name. A file that fails a check is refused (exit 1).

Exit codes: 0 ok, 1 no such package or version, or a refused registry file, 2 bad arguments,
4 a private repository refused the key.`,
    )
    .action(async (name, version, o) => {
      const result = await run(deps, { name, version, repo: o.repo });
      if (o.json) printJson(deps, result);
      else printLines(deps, renderInfo(result));
    });
}
