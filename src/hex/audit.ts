/**
 * Audit logs (hexpm `lib/hexpm_web/controllers/api/user_controller.ex`, `organization_controller.ex`): the account's (`GET /users/me/audit-logs`, needs
 * `api:read`) and an organization's (`GET /orgs/ORG/audit-logs`, needs membership),
 * one page at a time, and each entry as one readable line.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ApiTarget } from "./api_config.ts";
import { asArray, asObject, decodeJson, optionalString, stringField } from "./api_errors.ts";
import { buildApiRequest, type CallOptions, pathSegment } from "./request.ts";

/** One audit log entry as the server describes it. */
export interface AuditEntry {
  /** What happened: `key.generate`, `release.publish`, `owner.add`, … */
  action: string;
  /** The action's details as sent (shape depends on the action); `{}` when absent. */
  params: Record<string, unknown>;
  /** The client that did it. */
  userAgent?: string;
  /** When (ISO 8601). */
  insertedAt?: string;
}

/** Which page of the log to read. */
export interface AuditPage {
  /** 1-based page number; defaults to 1. */
  page?: number;
}

function pageQuery(options: AuditPage): { page: number } {
  const page = options.page ?? 1;
  if (!Number.isSafeInteger(page) || page < 1) {
    throw new UsageError(`invalid page ${JSON.stringify(page)}`, {
      hint: "Use --page with a whole number, 1 or more",
    });
  }
  return { page };
}

/**
 * `GET /users/me/audit-logs?page=N`: the account's audit log. Needs `api:read`.
 *
 * @param target The API (its `repo` is ignored: the log is the user's).
 * @param options The page (default 1).
 * @param call User-Agent and credential.
 * @throws {UsageError} For a page that is not a whole number ≥ 1.
 */
export function buildUserAuditRequest(
  target: ApiTarget,
  options: AuditPage,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "GET",
    path: "/users/me/audit-logs",
    query: pageQuery(options),
  });
}

/**
 * `GET /orgs/ORG/audit-logs?page=N`: an organization's audit log. Needs membership.
 *
 * @param target The API (its `repo` is ignored: `org` says whose log).
 * @param org The organization.
 * @param options The page (default 1).
 * @param call User-Agent and credential.
 * @throws {UsageError} For a page that is not a whole number ≥ 1, or an organization
 * name that cannot be a path segment.
 */
export function buildOrgAuditRequest(
  target: ApiTarget,
  org: string,
  options: AuditPage,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "GET",
    path: `/orgs/${pathSegment(org)}/audit-logs`,
    query: pageQuery(options),
  });
}

/** Decodes one audit log entry. */
function decodeAuditEntry(json: unknown): AuditEntry {
  const o = asObject(json, "an audit log entry");
  const params = o.params === undefined || o.params === null ? {} : asObject(o.params, '"params"');
  return {
    action: stringField(o, "action"),
    params,
    userAgent: optionalString(o, "user_agent"),
    insertedAt: optionalString(o, "inserted_at"),
  };
}

/**
 * Reads the answer to {@link buildUserAuditRequest} or {@link buildOrgAuditRequest}.
 *
 * @param res The response (200 expected; an empty list past the last page).
 * @param req The request, for error messages.
 * @returns The entries, as listed (newest first on hex.pm).
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseAuditResponse(res: Response, req?: Request): Promise<AuditEntry[]> {
  return decodeJson(res, req, [200], (json) => asArray(json, "the body").map(decodeAuditEntry));
}

// ---------------------------------------------------------------------------
// Readable lines
// ---------------------------------------------------------------------------

/** A string field at a path in the params, control characters replaced. */
function field(params: Record<string, unknown>, ...path: string[]): string | undefined {
  let value: unknown = params;
  for (const key of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === "number") return String(value);
  return typeof value === "string" && value !== "" ? clean(value) : undefined;
}

/** Replaces control characters so server text cannot drive the terminal. */
function clean(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

const COMPACT_LIMIT = 200;

function compact(params: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(params) ?? "";
  } catch {
    text = "";
  }
  if (text === "{}" || text === "") return "";
  return text.length > COMPACT_LIMIT ? `${text.slice(0, COMPACT_LIMIT - 1)}…` : text;
}

function quoted(text: string | undefined): string {
  return text === undefined ? "" : ` ${JSON.stringify(text)}`;
}

function pkgRelease(params: Record<string, unknown>): string | undefined {
  const pkg = field(params, "package", "name");
  if (pkg === undefined) return undefined;
  const repo = field(params, "package", "repository", "name") ??
    field(params, "package", "repository");
  const version = field(params, "release", "version");
  const name = repo === undefined || repo === "hexpm" ? pkg : `${repo}/${pkg}`;
  return version === undefined ? name : `${name} ${version}`;
}

function user(params: Record<string, unknown>): string | undefined {
  return field(params, "user", "username") ?? field(params, "user", "email");
}

/** Phrases for actions whose details are a package (and release). */
const RELEASE_ACTIONS: Record<string, string> = {
  "release.publish": "published",
  "release.revert": "reverted",
  "release.retire": "retired",
  "release.unretire": "unretired",
  "docs.publish": "published docs for",
  "docs.revert": "removed docs for",
  "package.create": "created package",
  "package.transfer": "transferred",
};

/** Phrases for actions that carry no details worth showing. */
const PLAIN_ACTIONS: Record<string, string> = {
  "user.create": "created the account",
  "user.update": "updated the profile",
  "password.reset.init": "asked for a password reset",
  "password.reset.finish": "reset the password",
  "password.update": "changed the password",
  "security.update": "changed two-factor settings",
  "security.rotate_recovery_codes": "rotated the recovery codes",
  "security.reset_recovery_codes": "reset the recovery codes",
};

/**
 * One audit log entry as a readable line (without its time or client, which the
 * caller shows in their own columns).
 *
 * @example
 * ```ts
 * describeAudit({ action: "key.generate", params: { key: { name: "ci" } } });
 * // 'created key "ci"'
 * describeAudit({
 *   action: "release.publish",
 *   params: { package: { name: "foo" }, release: { version: "1.2.0" } },
 * }); // "published foo 1.2.0"
 * ```
 *
 * @param e The entry.
 * @returns The line; for an action hexpub does not know (or whose details are not
 * the expected shape), the action followed by its params as compact JSON (cut at
 * 200 characters).
 */
export function describeAudit(e: AuditEntry): string {
  const p = e.params;
  const release = RELEASE_ACTIONS[e.action];
  if (release !== undefined) {
    const what = pkgRelease(p);
    if (what !== undefined) return `${release} ${what}`;
  }
  const plain = PLAIN_ACTIONS[e.action];
  if (plain !== undefined) return plain;
  switch (e.action) {
    case "key.generate":
    case "key.remove": {
      // hexpm nests it as {key: {name}}; some servers put the name at the top.
      const name = field(p, "key", "name") ??
        (typeof p.name === "string" ? p.name : undefined);
      if (name === undefined) break;
      const verb = e.action === "key.generate" ? "created" : "revoked";
      return `${verb} key${quoted(name)}`;
    }
    case "owner.add":
    case "owner.remove":
    case "owner.transfer": {
      const pkg = pkgRelease(p);
      const who = user(p);
      if (pkg === undefined || who === undefined) break;
      if (e.action === "owner.remove") return `removed ${who} as owner of ${pkg}`;
      if (e.action === "owner.transfer") return `transferred ${pkg} to ${who}`;
      const level = field(p, "level");
      return `added ${who} as ${level ?? "owner"} of ${pkg}`;
    }
    case "email.add":
    case "email.remove":
    case "email.primary":
    case "email.public": {
      const email = field(p, "email", "email") ?? field(p, "email");
      if (email === undefined) break;
      const verb = {
        "email.add": "added email",
        "email.remove": "removed email",
        "email.primary": "made primary the email",
        "email.public": "made public the email",
      }[e.action];
      return `${verb} ${email}`;
    }
    case "organization.create": {
      const org = field(p, "organization", "name") ?? field(p, "name");
      if (org === undefined) break;
      return `created organization ${org}`;
    }
    case "organization.member.add":
    case "organization.member.remove":
    case "organization.member.role": {
      const org = field(p, "organization", "name");
      const who = user(p);
      if (org === undefined || who === undefined) break;
      if (e.action === "organization.member.remove") return `removed ${who} from ${org}`;
      const role = field(p, "role") ?? field(p, "organization_user", "role");
      if (e.action === "organization.member.add") {
        return `added ${who} to ${org}${role === undefined ? "" : ` as ${role}`}`;
      }
      return `changed ${who}'s role in ${org}${role === undefined ? "" : ` to ${role}`}`;
    }
  }
  const details = compact(p);
  const action = clean(e.action);
  return details === "" ? action : `${action} ${details}`;
}
