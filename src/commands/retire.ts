/**
 * `hexpub retire PKG VERSION REASON --message MSG`, `--unretire`, `--all`.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { retire } from "../tasks/retire.ts";
import { report } from "./_shared.ts";

/** Builds the `retire` command; `run` is the task (tests pass a recorder). */
export function retireCommand(deps: Deps, run: typeof retire = retire) {
  return new Command("retire")
    .description("Retire a release (other, invalid, security, deprecated, renamed), or undo it")
    .argument("<package>")
    .argument("[version]", "the release (omit with --all)")
    .argument("[reason]", "other, invalid, security, deprecated or renamed")
    .option("-m, --message <message>", "why (3 to 140 characters)")
    .option("--unretire", "undo the retirement of VERSION", false)
    .option("--all", "retire every release of the package (then: retire PKG --all REASON)", false)
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print what was done as JSON", false)
    .action(async (pkg, version, reason, o) => {
      if (o.all) {
        if (reason !== undefined) {
          throw new UsageError("with --all, give the reason right after the package", {
            hint: "hexpub retire PKG --all REASON --message MSG",
          });
        }
        await run(deps, {
          repo: o.repo,
          pkg,
          reason: version,
          message: o.message,
          unretire: false,
          all: true,
          otp: o.otp,
        });
        report(
          deps,
          o.json,
          {
            package: pkg,
            version: null,
            retired: true,
            reason: version,
            message: o.message ?? null,
          },
          [`Every release of ${pkg} has been retired`],
        );
        return;
      }
      if (!version) {
        throw new UsageError("which version?", {
          hint: "hexpub retire PKG VERSION REASON --message MSG",
        });
      }
      await run(deps, {
        repo: o.repo,
        pkg,
        version,
        reason,
        message: o.message,
        unretire: o.unretire,
        all: false,
        otp: o.otp,
      });
      report(
        deps,
        o.json,
        o.unretire
          ? { package: pkg, version, retired: false }
          : { package: pkg, version, retired: true, reason, message: o.message ?? null },
        [
          o.unretire
            ? `${pkg} ${version} has been unretired`
            : `${pkg} ${version} has been retired`,
        ],
      );
    });
}
