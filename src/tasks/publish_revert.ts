/**
 * `publish --revert VERSION`: delete a release (or, with `publish docs`, only
 * its docs) from the target repository, by the package name; then offer to
 * delete the git tag of that version.
 *
 * @module
 */
import { DeclinedError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { parseVersion } from "../rules/version.ts";
import { parseAppSrc, textProp } from "../project/app_src.ts";
import { consultFile } from "../project/consult.ts";
import { chooseApp, discoverProject, type ProjectApp } from "../project/discover.ts";
import { type PublishInput, publishTarget } from "./publish_plan.ts";
import { openSession } from "./session.ts";

/** What a revert did (or, in a dry run, would do). */
export interface Reverted {
  name: string;
  version: string;
  what: "package" | "docs";
  /** The repository it was (or would be) deleted from. */
  repo: string;
  dryRun: boolean;
  /** Whether the git tag `vVERSION` was deleted too, when that was offered. */
  tagDeleted?: boolean;
}

/** The package name of an app (pkg_name, else the app name). */
async function packageName(deps: Deps, app: ProjectApp): Promise<string> {
  const src = await consultFile(deps, app.appSrcPath);
  if (!src) return app.name;
  return textProp(parseAppSrc(src), "pkg_name") ?? app.name;
}

/**
 * Reverts a release (or its docs) of one app.
 *
 * @throws {UsageError} For a version that is not SemVer, `--app all`, or no terminal to confirm.
 * @throws {DeclinedError} When the user answers no.
 */
export async function revertRelease(deps: Deps, input: PublishInput): Promise<Reverted> {
  const project = await discoverProject(deps, deps.cwd);
  const session = await openSession(deps, { repo: input.repo, otp: input.otp, command: "publish" });
  const version = input.revert!;
  if (!parseVersion(version)) {
    throw new UsageError(
      `The version argument provided "${version}" is not a valid semantic version`,
      { hint: "Pass the exact version to revert, such as --revert 1.2.0" },
    );
  }
  if (input.app === "all") {
    throw new UsageError("--revert takes one app", { hint: "Pass --app NAME" });
  }
  const app = await chooseApp(deps, project, input.app);
  // rebar3_hex bug 9: revert by the package name (pkg_name), not the app name.
  const name = await packageName(deps, app);
  const what = input.target === "docs" ? "docs" : "package";
  const reverted: Reverted = { name, version, what, repo: session.repo.name, dryRun: input.dryRun };
  if (input.dryRun) return reverted;
  if (!input.yes) {
    if (!deps.isTerminal) {
      throw new UsageError("reverting needs a confirmation and there is no terminal", {
        hint: "Pass --yes",
      });
    }
    const ok = await deps.prompt.confirm(
      `Revert ${what === "docs" ? "the docs of " : ""}${name} ${version} on ${session.repo.name}?`,
      false,
    );
    if (!ok) throw new DeclinedError("not reverted: declined at the prompt");
  }
  await publishTarget(deps, session).revert(name, version, what);
  if (what === "package" && !input.yes && deps.isTerminal) {
    const tag = `v${version}`;
    if (await deps.prompt.confirm(`Also delete tag ${tag}?`, false)) {
      const res = await deps.run("git", ["tag", "-d", tag], { cwd: project.root });
      reverted.tagDeleted = res.code === 0;
      deps.out.info(
        reverted.tagDeleted
          ? `Deleted tag ${tag}`
          : `Tag ${tag} was not deleted: ${res.stderr.trim()}`,
      );
    }
  }
  return reverted;
}
