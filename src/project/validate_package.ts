/**
 * Judging a package before anything is uploaded: what makes a tarball invalid
 * in any repository (errors), the rules only hex.pm enforces (warnings marked
 * with the repository that refuses them, see `repository_rules.ts`), and
 * rebar3_hex's own warnings (deprecated keys, pre-release dependencies).
 *
 * @module
 */
import type { Problem, Where } from "../errors.ts";
import { parseVersion } from "../rules/version.ts";
import { hasNotEqual, parseRequirement } from "../rules/requirement.ts";
import { isValidLicense, licenseHint } from "../rules/licenses.ts";
import { checkLink, checkPackageName, RESERVED_PACKAGE_NAMES } from "../rules/package_name.ts";
import { repositoryProblem } from "./repository_rules.ts";
import type { PackageMeta } from "./package_metadata.ts";
import type { LockEntry } from "./requirements.ts";

/** What validation needs besides the metadata. */
export interface ValidationContext {
  /**
   * The repository the package is for: hex.pm's rules (description, SPDX
   * licences, links, reserved names) are marked as refused by it when it
   * enforces them (`hexpm`; links and names also `hexpm:ORG`).
   */
  repo: string;
  /** Where each app.src field is written, by key (`vsn`, `description`, `licenses`, …). */
  whereOf: (key: string) => Where;
  /** app.src keys present (to warn about deprecated ones). */
  appSrcKeys: Set<string>;
  /** Every lock entry (for the pre-release warning). */
  lock: LockEntry[];
}

/** The longest description mix accepts; hex.pm itself has no limit. */
export const MAX_DESCRIPTION = 300;

/**
 * Validates package metadata.
 *
 * @returns Every problem found, errors and warnings, in field order.
 */
export function validatePackage(meta: PackageMeta, ctx: ValidationContext): Problem[] {
  const problems: Problem[] = [];
  const add = (p: Problem) => problems.push(p);

  const nameProblem = checkPackageName(meta.name);
  if (nameProblem) {
    const p = {
      field: "name",
      message: `invalid package name "${meta.name}": ${nameProblem}`,
      hint: 'Set {pkg_name, "my_package"} in the .app.src to publish under another name',
      where: ctx.whereOf(ctx.appSrcKeys.has("pkg_name") ? "pkg_name" : "application"),
    };
    // A reserved name is only hex.pm's rule; a malformed one is no package name anywhere.
    add(
      RESERVED_PACKAGE_NAMES.has(meta.name)
        ? repositoryProblem(ctx.repo, "hexpm-server", p)
        : { level: "error", ...p },
    );
  }

  const version = parseVersion(meta.version);
  if (!version) {
    add({
      level: "error",
      field: "version",
      message: `non-semantic version number "${meta.version}" found`,
      hint: 'Hex versions are MAJOR.MINOR.PATCH[-PRE], for example {vsn, "1.2.0"}',
      where: ctx.whereOf("vsn"),
    });
  } else if (version.build.length > 0) {
    add({
      level: "error",
      field: "version",
      message: `version "${meta.version}" has build metadata ("+${
        version.build.join(".")
      }"), which Hex does not accept`,
      hint:
        "With {vsn, git}, tag the commit you publish (git tag v1.2.0); otherwise drop the +… part",
      where: ctx.whereOf("vsn"),
    });
  }

  if (meta.description.trim() === "") {
    add(repositoryProblem(ctx.repo, "public-hexpm", {
      field: "description",
      message: "missing or empty description property",
      hint: 'Add {description, "What the package does"} to the .app.src',
      where: ctx.whereOf("description"),
    }));
  } else if ([...meta.description].length > MAX_DESCRIPTION) {
    add({
      level: "warning",
      field: "description",
      message: `description is ${
        [...meta.description].length
      } characters long; mix refuses more than ${MAX_DESCRIPTION}`,
      hint: "Keep the description to a sentence or two and move the rest to the README",
      where: ctx.whereOf("description"),
    });
  }

  if (meta.licenses.length === 0) {
    add(repositoryProblem(ctx.repo, "public-hexpm", {
      field: "licenses",
      message: "missing or empty licenses property",
      hint: 'Add {licenses, ["Apache-2.0"]} (SPDX identifiers) to the .app.src',
      where: ctx.whereOf("licenses"),
    }));
  }
  const invalid = meta.licenses.filter((l) => !isValidLicense(l));
  for (const l of invalid) {
    add(repositoryProblem(ctx.repo, "public-hexpm", {
      field: "licenses",
      message: `invalid license type detected: "${l}"`,
      hint: [licenseHint(l), "See https://spdx.org/licenses/ for valid license identifiers"]
        .filter(Boolean).join("; "),
      where: ctx.whereOf("licenses"),
    }));
  }

  for (const [name, url] of meta.links) {
    const bad = checkLink(url);
    if (bad) {
      add(repositoryProblem(ctx.repo, "hexpm-server", {
        field: `links.${name}`,
        message: `invalid link "${url}" for "${name}": ${bad}`,
        hint: "Links must be http:// or https:// URLs with a host",
        where: ctx.whereOf("links"),
      }));
    }
  }

  if (meta.buildTools.length === 0) {
    add({
      level: "error",
      field: "build_tools",
      message: "build_tools is empty",
      hint:
        'Remove build_tools from the .app.src (it defaults to ["rebar3"]) or list at least one tool',
      where: ctx.whereOf("build_tools"),
    });
  }
  if (meta.files.length === 0) {
    add({
      level: "error",
      field: "files",
      message: "the package has no files",
      hint: "Check the files, include_paths and exclude_paths lists in the .app.src",
      where: ctx.whereOf("files"),
    });
  }

  for (const r of meta.requirements) {
    try {
      const req = parseRequirement(r.requirement);
      if (hasNotEqual(req)) {
        add({
          level: "error",
          field: `requirements.${r.name}`,
          message:
            `requirement "${r.requirement}" for "${r.name}" uses !=, which Hex does not allow`,
          hint: "Express the range with >, >=, < or <= instead",
          where: r.where,
        });
      }
    } catch (e) {
      add({
        level: "error",
        field: `requirements.${r.name}`,
        message: `invalid requirement "${r.requirement}" for "${r.name}": ${(e as Error).message}`,
        hint: 'Write an Elixir requirement such as "~> 1.2" or ">= 1.0.0 and < 2.0.0"',
        where: r.where,
      });
    }
  }

  for (const key of ["maintainers", "contributors"]) {
    if (ctx.appSrcKeys.has(key)) {
      add({
        level: "warning",
        field: key,
        message: `deprecated field ${key} found`,
        hint: `Remove ${key} from the .app.src; Hex shows the package owners instead`,
        where: ctx.whereOf(key),
      });
    }
  }

  const pre = ctx.lock.filter((e) =>
    e.type === "pkg" && e.version && parseVersion(e.version)?.pre.length
  );
  if (pre.length > 0) {
    add({
      level: "warning",
      field: "requirements",
      message: `The following pre-release dependencies were found: ${
        pre.map((e) => `${e.pkg ?? e.app} ${e.version}`).join(", ")
      }`,
      hint:
        "Upgrade them to stable releases: packages with pre-release dependencies may be refused in future",
    });
  }
  return problems;
}
