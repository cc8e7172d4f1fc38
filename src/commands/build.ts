/**
 * `hexpub build [package|docs]`: flags to `build()` input, result to output.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { printLines } from "./_shared.ts";
import { displayPath } from "../ui/display_path.ts";
import { build, type BuildInput } from "../tasks/build.ts";
import { buildJson, renderBuild } from "../ui/render_build.ts";

/** Builds the `build` command; `run` is the task (tests pass a recorder). */
export function buildCommand(deps: Deps, run: typeof build = build) {
  return new Command("build")
    .description("Build the package tarball (and docs tarball) that publish would upload")
    .argument("[what]", "package or docs (default: both; docs only when configured)")
    .option(
      "-r, --repo <repo>",
      "repository the package is for (warnings say what it would refuse)",
      "hexpm",
    )
    .option("-a, --app <app>", "app to build in an umbrella project")
    .option("-o, --output <path>", "tarball path to write, or the directory with --unpack")
    .option(
      "-u, --unpack",
      "write the contents (and hex_metadata.config) to a directory instead of a tarball",
      false,
    )
    .option(
      "--doc-dir <dir>",
      "pack these pre-built docs (relative to the app) instead of running the doc provider",
    )
    .option("--strict", "treat warnings as errors", false)
    .option("--json", "print one JSON object instead of the summary", false)
    .addHelpText(
      "after",
      `
Writes _build/default/lib/APP/hex/NAME-VSN.tar (and NAME-VSN-docs.tar) unless -o is given.
With both package and docs and -o PATH, docs go to PATH with .tar replaced by -docs.tar.

What only hex.pm refuses (no description or licences, a licence that is not an SPDX id, a
link that is not http(s)) is a warning: the tarball is written, and publish refuses it.

Exit codes: 0 built, 1 invalid project or package (or a warning under --strict), 2 bad arguments.`,
    )
    .action(async (what, opts) => {
      if (what !== undefined && what !== "package" && what !== "docs") {
        throw new UsageError(`unknown build target "${what}"`, {
          hint: "Use `hexpub build`, `hexpub build package` or `hexpub build docs`",
        });
      }
      const input: BuildInput = {
        target: what ?? "all",
        app: opts.app,
        output: opts.output,
        unpack: opts.unpack,
        repo: opts.repo,
        docDir: opts.docDir,
        strict: opts.strict,
      };
      const result = await run(deps, input);
      if (opts.json) deps.out.print(buildJson(result, deps.cwd));
      else printLines(deps, renderBuild(result, (p) => displayPath(deps.cwd, p)));
    });
}
