/**
 * `hexpub outdated [--all] [--json]`: the locked dependencies against their
 * registries, as `mix hex.outdated` shows them.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { HexpubError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { outdated } from "../tasks/outdated.ts";
import { renderOutdated } from "../ui/render_deps.ts";
import { printJson, printLines } from "./_shared.ts";

/** Builds the `outdated` command; `run` is the task (tests pass a recorder). */
export function outdatedCommand(deps: Deps, run: typeof outdated = outdated) {
  return new Command("outdated")
    .description(
      "Show each locked dependency's version, the newest its requirement allows and the " +
        "newest release, from the signed registries",
    )
    .option("--all", "show transitive dependencies too (default: rebar.config's own)", false)
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      `
Reads rebar.lock and, for each dependency, the signed registry of the repository rebar3 would
take it from ({hex, [{repos, ...}]} of rebar.config, then hexpm; no log-in on hexpm, the key of
\`hexpub organization auth\` for an organization). "Allowed" is the release rebar3 would lock now
under the requirement of rebar.config (for a transitive dependency, its parent's requirement);
"Latest" the newest release not retired. Retired releases are marked. Pre-releases count only
when the locked version is one, or with deps_allow_prerelease.

Exit codes: 0 nothing can be updated within its requirement, 1 something can (as
\`mix hex.outdated --within-requirements\`), or no rebar.lock, or a registry cannot be read or
is refused, 2 bad arguments, 4 a private repository refused the key.`,
    )
    .action(async (o) => {
      const result = await run(deps, { all: o.all });
      if (o.json) printJson(deps, result);
      else printLines(deps, renderOutdated(result, { all: o.all }));
      if (result.updatable > 0) {
        const names = result.dependencies.filter((d) => d.status === "update-possible")
          .map((d) => d.app);
        throw new HexpubError(
          `${names.length === 1 ? "1 dependency" : `${names.length} dependencies`} can be ` +
            `updated within ${names.length === 1 ? "its requirement" : "their requirements"}: ` +
            names.join(", "),
          { hint: `Run \`rebar3 upgrade ${names.join(" ")}\`` },
        );
      }
    });
}
