/**
 * API key permissions and OAuth scopes as hex.pm defines them (hexpm
 * `lib/hexpm/permissions.ex`, `accounts/key_permission.ex`), in the `domain[:resource]` syntax mix and rebar3_hex take on the command line.
 *
 * | text | permission |
 * |---|---|
 * | `api` | `{domain: "api"}`: the full API |
 * | `api:read`, `api:write` | read-only / read-write API |
 * | `repositories` | fetch from every organization repository the owner can access |
 * | `repository:ORG` | fetch from one organization's repository |
 * | `package:NAME`, `package:REPO/NAME` | manage one package (`NAME` means `hexpm/NAME`) |
 * | `docs:ORG` | fetch an organization's private docs |
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The permission domains hex.pm knows. */
export type PermissionDomain = "api" | "repository" | "repositories" | "package" | "docs";

/**
 * One permission of an API key. `domain` is a string, not {@link PermissionDomain},
 * because keys read back from the server may carry domains newer than hexpub.
 */
export interface Permission {
  /** `api`, `repository`, `repositories`, `package`, `docs`, … */
  domain: string;
  /** `read` / `write` for `api`, `ORG` for `repository` and `docs`, `REPO/NAME` for `package`. */
  resource?: string;
}

/** The forms {@link parsePermission} accepts, for help text and errors. */
export const PERMISSION_FORMS: readonly string[] = [
  "api",
  "api:read",
  "api:write",
  "repositories",
  "repository:ORG",
  "package:NAME",
  "package:REPO/NAME",
  "docs:ORG",
];

/** Organization (and repository) names: hexpm `Organization` `^[a-z0-9_]+$`. */
const ORG_NAME = /^[a-z0-9_]+$/;
/** Package names as hexpm has always validated them (`^[a-z]\w*$`). */
const PACKAGE_NAME = /^[a-z][a-zA-Z0-9_]*$/;

function invalid(text: string, why: string): UsageError {
  return new UsageError(`invalid permission ${JSON.stringify(text)}: ${why}`, {
    hint: `Use one of: ${PERMISSION_FORMS.join(", ")}`,
  });
}

/** An organization name, accepting rebar3's `hexpm:ORG` spelling. */
function orgName(text: string, value: string): string {
  const org = value.startsWith("hexpm:") ? value.slice("hexpm:".length) : value;
  if (!ORG_NAME.test(org)) {
    throw invalid(
      text,
      org === ""
        ? "the organization name is missing"
        : `${JSON.stringify(org)} is not an organization name (lowercase letters, digits, _)`,
    );
  }
  return org;
}

/**
 * Parses a permission written as `domain[:resource]`, refusing anything hex.pm would
 * refuse by form, so a malformed one never reaches the server.
 *
 * @example
 * ```ts
 * parsePermission("api:write"); // { domain: "api", resource: "write" }
 * parsePermission("package:cowboy"); // { domain: "package", resource: "hexpm/cowboy" }
 * ```
 *
 * @param text The permission as the user typed it (surrounding spaces are ignored).
 * @returns The permission; `resource` is left out where the domain takes none.
 * @throws {UsageError} For an unknown domain or a missing, extra or malformed
 * resource; the hint lists the valid forms.
 */
export function parsePermission(text: string): Permission {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const domain = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const resource = colon < 0 ? undefined : trimmed.slice(colon + 1);
  switch (domain) {
    case "api":
      if (resource === undefined) return { domain: "api" };
      if (resource === "read" || resource === "write") return { domain: "api", resource };
      throw invalid(text, "the api permission takes read or write");
    case "repositories":
      if (resource === undefined) return { domain: "repositories" };
      throw invalid(text, "repositories takes no organization (use repository:ORG for one)");
    case "repository":
    case "docs":
      if (resource === undefined) throw invalid(text, `${domain} needs an organization`);
      return { domain, resource: orgName(text, resource) };
    case "package": {
      if (resource === undefined || resource === "") {
        throw invalid(text, "package needs a package name");
      }
      const slash = resource.indexOf("/");
      const repo = slash < 0 ? "hexpm" : resource.slice(0, slash);
      const name = slash < 0 ? resource : resource.slice(slash + 1);
      if (!ORG_NAME.test(repo)) {
        throw invalid(text, `${JSON.stringify(repo)} is not a repository name`);
      }
      if (!PACKAGE_NAME.test(name)) {
        throw invalid(text, `${JSON.stringify(name)} is not a package name`);
      }
      return { domain: "package", resource: `${repo}/${name}` };
    }
    default:
      throw invalid(
        text,
        domain === "" ? "it is empty" : `unknown domain ${JSON.stringify(domain)}`,
      );
  }
}

/**
 * Parses several permissions, as given by repeated `--permission` flags.
 *
 * @param texts The permissions as typed.
 * @returns The permissions, in order, duplicates removed.
 * @throws {UsageError} For the first malformed one.
 */
export function parsePermissions(texts: readonly string[]): Permission[] {
  const out: Permission[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const permission = parsePermission(text);
    const key = formatPermission(permission);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(permission);
    }
  }
  return out;
}

/**
 * Writes a permission as `domain[:resource]`, the inverse of {@link parsePermission}.
 *
 * @param permission The permission.
 * @returns `api`, `api:read`, `repository:acme`, `package:hexpm/cowboy`, …
 */
export function formatPermission(permission: Permission): string {
  return permission.resource === undefined || permission.resource === ""
    ? permission.domain
    : `${permission.domain}:${permission.resource}`;
}
