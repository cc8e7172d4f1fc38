/**
 * `hexpub lock`: writes the missing `rebar.lock` as `rebar3 lock` would.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { Deps } from "../ports.ts";
import { lock } from "../tasks/lock.ts";
import { printJson, printLines } from "./_shared.ts";
import { displayPath } from "../ui/display_path.ts";

/** Builds the `lock` command; `run` is the task (tests pass a recorder). */
export function lockCommand(deps: Deps, run: typeof lock = lock) {
  return new Command("lock")
    .description(
      "Write the project's missing rebar.lock as `rebar3 lock` would, from the signed registries",
    )
    .option(
      "-f, --force",
      "resolve and rewrite rebar.lock even when it exists (rebar3 unlock, then lock)",
      false,
    )
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      `
Resolves the default profile's deps of rebar.config level by level, as rebar3 3.19 does, against
the repositories of {hex, [{repos, ...}]} (then hexpm), and writes rebar.lock byte for byte as
rebar3 would. A project without dependencies gets "[].". Git and other source dependencies are
refused, naming each. build, publish and cut do this first when rebar.lock is missing.

Exit codes: 0 written (or already there), 1 a dependency that cannot be resolved, a source
dependency, a repository that cannot be reached or whose registry is refused, 2 bad arguments,
4 a private repository refused the key.`,
    )
    .action(async (o) => {
      const result = await run(deps, { force: o.force });
      const path = displayPath(deps.cwd, result.path);
      if (o.json) {
        printJson(deps, { ...result, path });
        return;
      }
      if (!result.written) {
        printLines(deps, [
          `${path} exists: nothing to do (pass --force to resolve it again)`,
        ]);
        return;
      }
      printLines(deps, [
        `wrote ${path} (${result.locks.length} ${
          result.locks.length === 1 ? "package" : "packages"
        })`,
        ...result.locks.map((l) =>
          `  ${l.app} ${l.version}${
            l.pkg !== l.app ? ` (package ${l.pkg})` : ""
          }, level ${l.level}, from ${l.repo}`
        ),
      ]);
    });
}
