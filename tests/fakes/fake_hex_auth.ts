/**
 * FakeHex's authorization, after hexpm's `AuthHelpers` and `Permissions`: what
 * a credential may do (`allows`), email verification, TOTP on OAuth writes,
 * organization roles and which repositories a request can see.
 *
 * @module
 */

import { totpCode } from "./totp.ts";
import type { Ctx, FakeHexCore, Principal } from "./fake_hex_core.ts";
import { errorResponse, forbidden, normalisePackage, unauthorized } from "./fake_hex_http.ts";
import type { FakeOrg, FakeUser, OrgRole, Permission } from "./fake_hex_types.ts";

const ROLE_RANK: Record<OrgRole, number> = { read: 1, write: 2, admin: 3 };

/**
 * hexpm's `authorize`: credential present (or not required), email verified, credential
 * allows the API domain, then TOTP for OAuth writes. `null` means go on.
 */
export async function authorize(
  core: FakeHexCore,
  ctx: Ctx,
  need: "read" | "write",
  options: { required: boolean; allowUnconfirmed?: boolean },
): Promise<Response | null> {
  const p = ctx.principal;
  if (!p) return options.required ? unauthorized("missing authentication information") : null;
  const user = p.user;
  if (user && !user.emailVerified && !options.allowUnconfirmed) {
    return errorResponse(403, "email not verified");
  }
  if (!allows(permissionsOf(p), "api", need)) {
    return unauthorized("key not authorized for this action");
  }
  if (need === "write" && p.kind === "oauth") return await checkTotp(core, ctx, p.user);
  return null;
}

/** The `x-hex-otp` check of an OAuth write; `null` means go on. */
export async function checkTotp(
  core: FakeHexCore,
  ctx: Ctx,
  user: FakeUser,
): Promise<Response | null> {
  if (!user.totpSecret) {
    return errorResponse(403, "Two-factor authentication must be enabled for API write access");
  }
  const code = ctx.req.headers.get("x-hex-otp");
  if (!code) {
    return unauthorized(
      "Two-factor authentication required. Include X-Hex-OTP header with your TOTP code.",
      'Bearer realm="hex", error="totp_required"',
    );
  }
  const now = core.now();
  const failures = (core.totpFailures.get(user.username) ?? []).filter((t) =>
    t > now - 10 * 60_000
  );
  core.totpFailures.set(user.username, failures);
  if (failures.length >= 5) {
    return errorResponse(
      429,
      "Too many failed two-factor authentication attempts. Please try again later.",
    );
  }
  // Accepted from one step before to three steps after the current one (§9).
  for (let step = -1; step <= 3; step++) {
    if (code === await totpCode(user.totpSecret, now + step * 30_000)) return null;
  }
  failures.push(now);
  return unauthorized(
    "Invalid two-factor authentication code",
    'Bearer realm="hex", error="invalid_totp"',
  );
}

/** A key's permissions, or an OAuth token's scopes as permissions. */
export function permissionsOf(p: Principal): Permission[] {
  return p.kind === "key" ? p.key.permissions : p.token.scopes.map(scopeToPermission);
}

/** `AuthHelpers.organization_access`: the org's own key, or a member with the role. */
export function orgAccess(org: FakeOrg, p: Principal | null, role: OrgRole): Response | null {
  if (p?.kind === "key" && p.org) return p.org === org ? null : errorResponse(404);
  const username = p?.user?.username;
  const actual = username ? org.members.get(username) : undefined;
  if (!actual) return errorResponse(404);
  return ROLE_RANK[actual] >= ROLE_RANK[role] ? null : forbidden();
}

/** `verify_user_access`: may this user or organization use `domain:resource` at all? */
export function userAccess(
  core: FakeHexCore,
  subject: { user?: FakeUser; org?: FakeOrg },
  domain: string,
  resource: string | null,
): { ok: true; org?: FakeOrg } | { ok: false } {
  const { user, org } = subject;
  if (domain === "api" || domain === "repositories") return { ok: true };
  if (domain === "repository" || domain === "docs") {
    const o = resource === null ? undefined : core.orgs.get(resource);
    if (!o) return { ok: false };
    if (org) return org === o ? { ok: true, org: o } : { ok: false };
    return user && o.members.has(user.username) ? { ok: true, org: o } : { ok: false };
  }
  if (domain === "package" && resource !== null) {
    const pkg = core.packages.get(normalisePackage(resource));
    if (!pkg) return { ok: false };
    const repoOrg = core.orgs.get(pkg.repository);
    if (org) return pkg.repository === org.name ? { ok: true, org } : { ok: false };
    return user && pkg.owners.has(user.username) ? { ok: true, org: repoOrg } : { ok: false };
  }
  return { ok: false };
}

/** Whether the request's credential may see repository `repo` in listings. */
export function canSeeRepo(core: FakeHexCore, ctx: Ctx, repo: string): boolean {
  if (repo === "hexpm") return true;
  const p = ctx.principal;
  if (!p) return false;
  if (p.kind === "key" && p.org) return p.org.name === repo;
  return !!p.user && !!core.orgs.get(repo)?.members.has(p.user.username);
}

/** Does a permission list allow `domain:resource`? (hexpm `Permissions.verify_access?`) */
export function allows(perms: Permission[], domain: string, resource: string | null): boolean {
  return perms.some(({ domain: d, resource: r }) => {
    switch (domain) {
      case "api":
        if (d === "api") {
          if (r === null || r === "write") return true;
          return r === "read" && (resource === null || resource === "read");
        }
        return d === "package" && (resource === null || resource === "read");
      case "package":
        if (d === "api") return r === null || r === "write";
        return d === "package" &&
          (r === null || (resource !== null && normalisePackage(r) === normalisePackage(resource)));
      case "repositories":
        return d === "repositories" && resource === null;
      case "repository":
        return resource !== null &&
          (d === "repositories" || (d === "repository" && r === resource));
      case "docs":
        return resource !== null && d === "docs" && r === resource;
      default:
        return false;
    }
  });
}

/** An OAuth scope as a permission (`api:read` → `{domain: "api", resource: "read"}`). */
export function scopeToPermission(scope: string): Permission {
  const i = scope.indexOf(":");
  return i < 0
    ? { domain: scope, resource: null }
    : { domain: scope.slice(0, i), resource: scope.slice(i + 1) };
}
