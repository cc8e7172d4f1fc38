/**
 * Rules a Hex repository applies to a release, as opposed to what makes a
 * package tarball invalid anywhere (name format, version, requirement syntax,
 * sizes, unsafe paths).
 *
 * hexpm's server (`lib/hexpm/repository/package_metadata.ex`) requires a
 * description and licences, and checks each licence against the SPDX list
 * (hex_core `hex_licenses.erl`), only in the public repository; it checks
 * that links are http(s) URLs with a host in every repository it hosts,
 * organizations included, and `package.ex` refuses its reserved names in all
 * of them. `local` and self-hosted repositories (`hexpub serve`, a static
 * registry) check none of these, and rebar3 and mix build such packages. So
 * they are warnings in `hexpub build` (the tarball is written), and stop
 * `publish` and `cut` only to a repository that would refuse the release.
 *
 * @module
 */
import type { Problem } from "../errors.ts";

/**
 * Who enforces a rule: `public-hexpm` (the public hex.pm repository) or
 * `hexpm-server` (hex.pm and its organizations, `hexpm:ORG`).
 */
export type RepositoryRule = "public-hexpm" | "hexpm-server";

/** Whether publishing to `repo` (`hexpm`, `hexpm:ORG`, `local`, a custom name) enforces `rule`. */
export function enforces(repo: string, rule: RepositoryRule): boolean {
  if (repo === "hexpm") return true;
  return rule === "hexpm-server" && repo.startsWith("hexpm:");
}

/** How the repository is named in messages. */
function repositoryLabel(repo: string): string {
  return repo === "hexpm" ? "hex.pm" : `hex.pm (organization ${repo.slice("hexpm:".length)})`;
}

/**
 * A finding that breaks a repository rule: always a warning, which says
 * plainly whether the repository the package is for will refuse the release
 * (and is then marked `refusedBy`, for `publish` and `cut` to stop on), or
 * that only hex.pm would.
 *
 * @param repo The repository the package is for.
 * @param rule Who enforces the rule.
 * @param p The finding.
 */
export function repositoryProblem(
  repo: string,
  rule: RepositoryRule,
  p: Omit<Problem, "level" | "refusedBy">,
): Problem {
  if (enforces(repo, rule)) {
    return {
      ...p,
      level: "warning",
      refusedBy: repo,
      message: `${repositoryLabel(repo)} will refuse this release: ${p.message}`,
    };
  }
  const who = rule === "public-hexpm" ? "public hex.pm" : "hex.pm";
  return { ...p, level: "warning", message: `${p.message} (${who} would refuse it)` };
}
