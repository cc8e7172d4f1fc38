/**
 * Least-privilege helpers for credentials (hexpm `lib/hexpm/permissions.ex`, `lib/hexpm/accounts/key_permission.ex`): permissions in
 * plain words, named purposes mapped to the narrowest permission set, `--expires` /
 * `--stale` parsing, and whether a set of granted OAuth scopes (or key permissions)
 * allows an action, with the scope to request when it does not. Pure: no I/O.
 *
 * Containment follows hex.pm (`Hexpm.Permissions`, `AuthHelpers`):
 *
 * | granted | allows |
 * |---|---|
 * | `api` | `api:read` and `api:write` (everything under `/api`) |
 * | `api:write` | `api:read` too |
 * | `package:REPO/NAME` | reads (`api:read`), and writes to that one package only |
 * | `repositories` | fetching from every organization (`repository:ORG` for any ORG) |
 * | `repository:ORG`, `docs:ORG` | only themselves |
 *
 * `api` does not allow fetching from an organization's repository: hex.pm keeps
 * repository access in its own domain.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  formatPermission,
  parsePermission,
  type Permission,
  PERMISSION_FORMS,
} from "./permissions.ts";

// ---------------------------------------------------------------------------
// Plain words
// ---------------------------------------------------------------------------

/**
 * A permission in plain words, for `user key list` and the summary printed with a
 * new key's secret.
 *
 * @example
 * ```ts
 * describePermission({ domain: "api", resource: "read" }); // "read the API (no changes)"
 * describePermission({ domain: "package", resource: "hexpm/foo" });
 * // "publish and manage package foo (in hexpm) only"
 * ```
 *
 * @param p The permission (domains unknown to hexpub are described by their text).
 * @returns One phrase, no trailing period.
 *
 * Exported for tests, which check each permission's wording.
 */
export function describePermission(p: Permission): string {
  const resource = p.resource === undefined || p.resource === "" ? undefined : p.resource;
  switch (p.domain) {
    case "api":
      if (resource === undefined) {
        return "read and write the whole API (publish, manage keys and owners)";
      }
      if (resource === "read") return "read the API (no changes)";
      if (resource === "write") return "read and write the API";
      break;
    case "repositories":
      if (resource === undefined) return "fetch packages from every organization you can access";
      break;
    case "repository":
      if (resource !== undefined) return `fetch packages from organization ${resource}`;
      break;
    case "package": {
      if (resource === undefined) break;
      const slash = resource.indexOf("/");
      const repo = slash < 0 ? "hexpm" : resource.slice(0, slash);
      const name = slash < 0 ? resource : resource.slice(slash + 1);
      return `publish and manage package ${name} (in ${repo}) only`;
    }
    case "docs":
      if (resource !== undefined) return `read the private docs of organization ${resource}`;
      break;
  }
  return `${formatPermission(p)} (a permission hexpub does not know)`;
}

/**
 * Several permissions in plain words, joined with `"; "`.
 *
 * @param ps The permissions.
 * @returns The phrases joined, or `"no permissions"` for an empty list.
 */
export function describePermissions(ps: readonly Permission[]): string {
  return ps.length === 0 ? "no permissions" : ps.map(describePermission).join("; ");
}

// ---------------------------------------------------------------------------
// Named purposes (`user key generate --for PURPOSE [ARG]`)
// ---------------------------------------------------------------------------

/** A named purpose `--for` accepts. */
interface Purpose {
  /** `ci-publish`, `ci-fetch-private`, `read-only`. */
  name: string;
  /** The argument it takes (`PACKAGE`, `ORG`), if any. */
  arg?: string;
  /** What a key made for it can do. */
  summary: string;
}

/** The purposes {@link purposePermissions} knows, for help text and errors. */
const PURPOSES: readonly Purpose[] = [
  { name: "ci-publish", arg: "PACKAGE", summary: "publish one package from CI" },
  {
    name: "ci-fetch-private",
    arg: "ORG",
    summary: "fetch an organization's private packages in CI",
  },
  { name: "read-only", summary: "read the API, change nothing" },
];

function purposeList(): string {
  return PURPOSES.map((p) => (p.arg === undefined ? p.name : `${p.name} ${p.arg}`)).join(", ");
}

function purposeError(message: string): UsageError {
  return new UsageError(message, { hint: `Use --for with one of: ${purposeList()}` });
}

/**
 * The narrowest permission set for a named purpose.
 *
 * | purpose | permissions |
 * |---|---|
 * | `ci-publish PACKAGE` | `package:REPO/PACKAGE` |
 * | `ci-fetch-private ORG` | `repository:ORG` |
 * | `read-only` | `api:read` |
 *
 * @param purpose The purpose's name.
 * @param arg Its argument (`PACKAGE` or `ORG`), or `undefined` for `read-only`.
 * @param repo The repository the package lives in: `"hexpm"` or an organization name.
 * @returns The permissions (validated as {@link parsePermission} would).
 * @throws {UsageError} For an unknown purpose, a missing or extra argument, or an
 * argument that is not a package / organization name; the hint lists the purposes.
 */
export function purposePermissions(
  purpose: string,
  arg: string | undefined,
  repo: string,
): Permission[] {
  const known = PURPOSES.find((p) => p.name === purpose);
  if (known === undefined) {
    throw purposeError(`unknown purpose ${JSON.stringify(purpose)}`);
  }
  const given = arg === undefined || arg.trim() === "" ? undefined : arg.trim();
  if (known.arg !== undefined && given === undefined) {
    throw purposeError(`purpose ${purpose} needs ${known.arg}`);
  }
  if (known.arg === undefined && given !== undefined) {
    throw purposeError(`purpose ${purpose} takes no argument (got ${JSON.stringify(given)})`);
  }
  try {
    switch (purpose) {
      case "ci-publish":
        return [parsePermission(`package:${repo}/${given}`)];
      case "ci-fetch-private":
        return [parsePermission(`repository:${given}`)];
      default:
        return [{ domain: "api", resource: "read" }];
    }
  } catch (cause) {
    if (cause instanceof UsageError) {
      throw purposeError(`invalid ${known.arg} for ${purpose}: ${cause.message}`);
    }
    throw cause;
  }
}

// ---------------------------------------------------------------------------
// --expires and --stale
// ---------------------------------------------------------------------------

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const DURATION = /^([0-9]+)([hdw])$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** `Nh`/`Nd`/`Nw` as milliseconds, or `undefined` when the text is not one (or N < 1). */
function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n < 1) return undefined;
  const ms = n * UNIT_MS[m[2]];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Parses a duration such as `--stale 90d`.
 *
 * @param text `Nh`, `Nd` or `Nw` with N ≥ 1 (hours, days, weeks).
 * @param flag The flag the text came from, for the error message.
 * @returns The duration in milliseconds.
 * @throws {UsageError} For anything else, `0d` included.
 */
export function parseDuration(text: string, flag = "--stale"): number {
  const ms = durationMs(text);
  if (ms === undefined) {
    throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}: expected a duration`, {
      hint: "Use a whole number of hours, days or weeks, at least 1: 12h, 90d, 4w",
    });
  }
  return ms;
}

const EXPIRES_HINT =
  "Use a duration (12h, 30d, 4w; at least 1) or a future date: 2027-01-31 or 2027-01-31T12:00:00Z";

function expiresError(text: string, why: string): UsageError {
  return new UsageError(`invalid --expires ${JSON.stringify(text)}: ${why}`, {
    hint: EXPIRES_HINT,
  });
}

/** The date of an ISO date or datetime, or `undefined` when it is not a real one. */
function isoDate(text: string): Date | undefined {
  let y: string, mo: string, d: string, iso: string;
  const date = ISO_DATE.exec(text);
  if (date !== null) {
    [, y, mo, d] = date;
    iso = `${y}-${mo}-${d}T00:00:00Z`;
  } else {
    const dt = ISO_DATETIME.exec(text);
    if (dt === null) return undefined;
    const [, yy, mm, dd, hh, mi, ss, zone] = dt;
    [y, mo, d] = [yy, mm, dd];
    if (Number(hh) > 23 || Number(mi) > 59 || Number(ss ?? "0") > 59) return undefined;
    const fraction = /\.\d+/.exec(text)?.[0] ?? "";
    iso = `${y}-${mo}-${d}T${hh}:${mi}:${ss ?? "00"}${fraction}${(zone ?? "Z").toUpperCase()}`;
  }
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return undefined;
  // Reject dates JavaScript rolls over (2027-02-30 → March 2).
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d)
  ) {
    return undefined;
  }
  return new Date(ms);
}

/**
 * Parses `--expires`: a duration from now, or an ISO 8601 date or datetime. A date
 * alone means midnight UTC at its start; a datetime without an offset is UTC, as the
 * server stores `revoke_at`.
 *
 * @example
 * ```ts
 * parseExpiry("30d", Date.now()); // 30 days from now
 * parseExpiry("2027-01-31", Date.now()); // 2027-01-31T00:00:00.000Z
 * ```
 *
 * @param text `Nh`, `Nd`, `Nw` (N ≥ 1), `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]`.
 * @param nowMs The current time (`Date.now()`), so tests can pin it.
 * @returns When the key should stop working, strictly after `nowMs`.
 * @throws {UsageError} For any other form, an impossible date, or a time not in the
 * future; the message names `--expires` and the hint the accepted forms.
 */
export function parseExpiry(text: string, nowMs: number): Date {
  const trimmed = text.trim();
  const ms = durationMs(trimmed);
  if (ms !== undefined) {
    const at = new Date(nowMs + ms);
    if (Number.isNaN(at.getTime())) throw expiresError(text, "that is too far away");
    return at;
  }
  if (DURATION.test(trimmed)) throw expiresError(text, "the duration must be at least 1");
  const at = isoDate(trimmed);
  if (at === undefined) {
    throw expiresError(text, "expected a duration or an ISO 8601 date");
  }
  if (at.getTime() <= nowMs) {
    throw expiresError(text, `${at.toISOString()} is not in the future`);
  }
  return at;
}

// ---------------------------------------------------------------------------
// Scopes: parsing, containment, hints
// ---------------------------------------------------------------------------

/**
 * The forms `user auth --scope` accepts (the same as key permissions).
 *
 * Exported for tests, which check the forms listed in `--scope` errors.
 */
export const SCOPE_FORMS: readonly string[] = PERMISSION_FORMS;

/**
 * Parses `user auth --scope` values into the scope strings to request. Each value may
 * hold several scopes separated by spaces or commas (`--scope "api:read repositories"`).
 *
 * @param texts The values as typed.
 * @returns The scopes in canonical form (`package:foo` → `package:hexpm/foo`), in
 * order, duplicates removed.
 * @throws {UsageError} For a malformed scope (the hint lists {@link SCOPE_FORMS}), or
 * when no scope is given at all.
 */
export function parseScopes(texts: readonly string[]): string[] {
  const out: string[] = [];
  for (const text of texts) {
    for (const word of text.split(/[\s,]+/)) {
      if (word === "") continue;
      const scope = formatPermission(parsePermission(word));
      if (!out.includes(scope)) out.push(scope);
    }
  }
  if (out.length === 0) {
    throw new UsageError("--scope needs at least one scope", {
      hint: `Use one or more of: ${SCOPE_FORMS.join(", ")}`,
    });
  }
  return out;
}

/**
 * Splits the `scope` of an OAuth token response (space-separated) into scopes.
 *
 * @param scope The granted scope string, e.g. `"api:read repository:acme"`.
 * @returns The scopes, empty strings dropped.
 */
export function splitScopeString(scope: string): string[] {
  return scope.split(/\s+/).filter((s) => s !== "");
}

/**
 * What an action needs, for {@link scopeAllows}:
 *
 * - `{action: "read"}`: an API read (`api:read`).
 * - `{action: "write"}`: an API write (`api:write`).
 * - `{action: "write", pkg: "REPO/NAME"}`: a write to one package (publish, docs,
 *   retire, owners): `api:write` or `package:REPO/NAME`. `pkg` without a `/` means
 *   `hexpm/pkg`.
 * - `{action: "fetch", org: "ORG"}`: fetching from an organization's repository
 *   (`repository:ORG`, or `repositories`).
 * - `{action: "docs", org: "ORG"}`: reading an organization's private docs (`docs:ORG`).
 */
export type ScopeNeed =
  | { action: "read" }
  | { action: "write"; pkg?: string }
  | { action: "fetch"; org: string }
  | { action: "docs"; org: string };

function canonicalPackage(pkg: string): string {
  return pkg.includes("/") ? pkg : `hexpm/${pkg}`;
}

/** Parses a granted scope leniently: ones hexpub cannot read allow nothing. */
function readGranted(text: string): Permission | undefined {
  try {
    return parsePermission(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether the granted scopes (or a key's permissions, formatted) allow an action,
 * by hex.pm's rules (see the module doc).
 *
 * @example
 * ```ts
 * scopeAllows(["api:read"], { action: "write" }); // false
 * scopeAllows(["package:hexpm/foo"], { action: "write", pkg: "hexpm/foo" }); // true
 * scopeAllows(["repositories"], { action: "fetch", org: "acme" }); // true
 * ```
 *
 * @param granted The scopes, as strings (`api`, `api:write`, `package:hexpm/foo`, …);
 * unreadable entries are ignored.
 * @param need What the action needs.
 * @returns `true` when some granted scope covers it.
 */
export function scopeAllows(granted: readonly string[], need: ScopeNeed): boolean {
  const perms = granted.map(readGranted).filter((p) => p !== undefined);
  return perms.some((p) => {
    switch (need.action) {
      case "read":
        return p.domain === "package" ||
          (p.domain === "api" &&
            (p.resource === undefined || p.resource === "read" || p.resource === "write"));
      case "write":
        if (p.domain === "api") return p.resource === undefined || p.resource === "write";
        return need.pkg !== undefined && p.domain === "package" &&
          p.resource === canonicalPackage(need.pkg);
      case "fetch":
        return p.domain === "repositories" ||
          (p.domain === "repository" && p.resource === need.org);
      case "docs":
        return p.domain === "docs" && p.resource === need.org;
    }
  });
}

/**
 * The narrowest scopes, any one of which satisfies a need, narrowest first.
 *
 * @param need What the action needs.
 * @returns E.g. `["package:hexpm/foo", "api:write"]` for a write to `foo`.
 */
export function scopesFor(need: ScopeNeed): string[] {
  switch (need.action) {
    case "read":
      return ["api:read"];
    case "write":
      return need.pkg === undefined
        ? ["api:write"]
        : [`package:${canonicalPackage(need.pkg)}`, "api:write"];
    case "fetch":
      return [`repository:${need.org}`, "repositories"];
    case "docs":
      return [`docs:${need.org}`];
  }
}

/**
 * Which scope to log in with when the stored token lacks one, as a hint line.
 *
 * @example
 * ```ts
 * missingScopeHint({ action: "write", pkg: "hexpm/foo" });
 * // "Log in with the scope it needs: hexpub user auth --scope package:hexpm/foo
 * //  (or --scope api:write for every package)"
 * ```
 *
 * @param need What the refused action needs.
 * @returns A one-line hint naming the command.
 */
export function missingScopeHint(need: ScopeNeed): string {
  const [narrow, broad] = scopesFor(need);
  const base = `Log in with the scope it needs: hexpub user auth --scope ${narrow}`;
  switch (need.action) {
    case "write":
      return broad === undefined ? base : `${base} (or --scope ${broad} for every package)`;
    case "fetch":
      return `${base} (or --scope ${broad} for every organization)`;
    default:
      return base;
  }
}
