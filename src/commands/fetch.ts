/**
 * `hexpub fetch PKG [VERSION|REQUIREMENT]`.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { Deps } from "../ports.ts";
import { displayPath } from "../ui/display_path.ts";
import { fetchPackage } from "../tasks/fetch.ts";
import { renderFetch } from "../ui/render_info.ts";
import { printJson, printLines } from "./_shared.ts";

/** Builds the `fetch` command; `run` is the task (tests pass a recorder). */
export function fetchCommand(deps: Deps, run: typeof fetchPackage = fetchPackage) {
  return new Command("fetch")
    .description(
      "Download a release's tarball, checked against the repository's signed registry",
    )
    .argument("<package>", "the package name")
    .argument(
      "[version]",
      'a version, or a requirement such as "~> 1.2" (default: the newest stable release ' +
        "that is not retired)",
    )
    .option(
      "-r, --repo <repo>",
      "repository: hexpm (default), hexpm:ORG, local or a configured name",
    )
    .option("-o, --output <dir>", "the directory to write into (default: the current one)")
    .option(
      "-u, --unpack",
      "write the contents (and hex_metadata.config) to DIR/NAME-VERSION/ instead of the tarball",
      false,
    )
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      `
Writes DIR/NAME-VERSION.tar (or the directory DIR/NAME-VERSION/ with --unpack). The tarball's
SHA-256 must equal the checksum in the verified registry, else nothing is written (exit 1).

Exit codes: 0 fetched, 1 no such package or version, a refused registry file or tarball,
2 bad arguments or an output that cannot be written, 4 a private repository refused the key.`,
    )
    .action(async (name, spec, o) => {
      const result = await run(deps, {
        name,
        spec,
        repo: o.repo,
        output: o.output,
        unpack: o.unpack,
      });
      if (o.json) printJson(deps, result);
      else printLines(deps, renderFetch(result, (p) => displayPath(deps.cwd, p)));
    });
}
