/**
 * `hexpub search TERM`.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { search, SEARCH_SORTS } from "../tasks/search.ts";
import { renderSearch } from "../ui/render_packages.ts";
import { printJson, printLines } from "./_shared.ts";

/** Builds the `search` command; `run` is the task (tests pass a recorder). */
export function searchCommand(deps: Deps, run: typeof search = search) {
  return new Command("search")
    .description("Search a repository's packages (no log-in needed on hex.pm)")
    .argument("<term>", "text, or filters such as name:cow* depends:cowboy")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--sort <sort>", `one of ${SEARCH_SORTS.join(", ")}`, "downloads")
    .option("--limit <n>", "at most this many results (1-100)", "20")
    .option("--json", "print the results as JSON", false)
    .action(async (term, o) => {
      if (!SEARCH_SORTS.includes(o.sort)) {
        throw new UsageError(`unknown sort "${o.sort}"`, {
          hint: `Use one of ${SEARCH_SORTS.join(", ")}`,
        });
      }
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new UsageError(`--limit must be a whole number from 1 to 100, got "${o.limit}"`);
      }
      const hits = await run(deps, { repo: o.repo, term, sort: o.sort, limit });
      if (o.json) printJson(deps, hits);
      else printLines(deps, renderSearch(hits));
    });
}
