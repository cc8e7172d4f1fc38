/**
 * `hexpub owner add|remove|transfer|list`.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { Deps } from "../ports.ts";
import * as tasks from "../tasks/owner.ts";
import { renderOwned, renderOwners } from "../ui/render_packages.ts";
import { printJson, printLines, report } from "./_shared.ts";

/** The `owner` command tree; `run` holds the tasks (tests pass recorders). */
export function ownerCommand(deps: Deps, run: typeof tasks = tasks) {
  const owner = new Command("owner").description("Manage the owners of a package");
  owner.command("add")
    .description("Add an owner (or change an owner's level)")
    .argument("<package>")
    .argument("<user>", "username or email")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("-l, --level <level>", "full or maintainer", "full")
    .option("-t, --transfer", "make USER the only owner (organizations: transfer)", false)
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print what was done as JSON", false)
    .action(async (pkg, user, o) => {
      await run.ownerAdd(deps, {
        repo: o.repo,
        pkg,
        user,
        level: o.level,
        transfer: o.transfer,
        otp: o.otp,
      });
      report(deps, o.json, { package: pkg, user, level: o.level, transfer: o.transfer }, [
        o.transfer
          ? `Transferred ${pkg} to ${user}`
          : `Added ${user} as ${o.level} owner of package ${pkg}`,
      ]);
    });
  owner.command("transfer")
    .description("Transfer a package to USER (removing the other owners)")
    .argument("<package>")
    .argument("<user>")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print what was done as JSON", false)
    .action(async (pkg, user, o) => {
      await run.ownerAdd(deps, {
        repo: o.repo,
        pkg,
        user,
        level: "full",
        transfer: true,
        otp: o.otp,
      });
      report(deps, o.json, { package: pkg, user, level: "full", transfer: true }, [
        `Transferred ${pkg} to ${user}`,
      ]);
    });
  owner.command("remove")
    .description("Remove an owner")
    .argument("<package>")
    .argument("<user>")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print what was done as JSON", false)
    .action(async (pkg, user, o) => {
      await run.ownerRemove(deps, { repo: o.repo, pkg, user, otp: o.otp });
      report(deps, o.json, { package: pkg, user, removed: true }, [
        `Removed ${user} from the owners of package ${pkg}`,
      ]);
    });
  owner.command("list")
    .description("List a package's owners, or (`owner list packages`) the packages you own")
    .argument("<package>", "a package name, or `packages`")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--json", "print the result as JSON", false)
    .action(async (pkg, o) => {
      if (pkg === "packages") {
        const packages = await run.ownedPackages(deps, { repo: o.repo });
        if (o.json) printJson(deps, packages);
        else printLines(deps, renderOwned(packages));
        return;
      }
      const owners = await run.ownerList(deps, { repo: o.repo, pkg });
      if (o.json) printJson(deps, owners);
      else printLines(deps, renderOwners(owners));
    });
  return owner;
}
