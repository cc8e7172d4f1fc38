/**
 * `hexpub audit [--json]`: locked dependencies that are retired or affected by
 * security advisories, as `mix hex.audit` reports them. (An account's or an
 * organization's audit log is `hexpub user audit` / `hexpub organization audit`.)
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { HexpubError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { audit } from "../tasks/deps_audit.ts";
import { renderAudit } from "../ui/render_deps.ts";
import { printJson, printLines } from "./_shared.ts";

/** Builds the `audit` command; `run` is the task (tests pass a recorder). */
export function auditCommand(deps: Deps, run: typeof audit = audit) {
  return new Command("audit")
    .description(
      "List locked dependencies whose release is retired or has security advisories, from " +
        "the signed registries",
    )
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      `
Checks every package of rebar.lock (all levels) in the signed registry of the repository rebar3
would take it from, as \`hexpub outdated\` reads them: a retired release is listed with its
reason and message, and the security advisories the registry lists for the release (hex.pm's
registry carries them; a repository that does not has none to report) with their id, severity
and link. publish --dry-run runs the same check and reports its findings as warnings.

Exit codes: 0 nothing found, 1 a retired release or an advisory was found, or no rebar.lock, or
a registry cannot be read or is refused, 2 bad arguments, 4 a private repository refused the key.`,
    )
    .action(async (o) => {
      const result = await run(deps);
      if (o.json) printJson(deps, result);
      else printLines(deps, renderAudit(result));
      if (result.findings.length > 0) {
        throw new HexpubError(
          `${
            result.findings.length === 1
              ? "1 locked dependency is"
              : `${result.findings.length} locked dependencies are`
          } ` +
            "retired or affected by security advisories",
          {
            hint:
              "Update them (`rebar3 upgrade APP`); `hexpub outdated` shows what the requirements allow",
          },
        );
      }
    });
}
