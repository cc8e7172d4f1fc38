/**
 * FakeHex's accounts: users (`/users`, `/auth`), API keys (`/keys`, also under
 * `/orgs/ORG`), organizations (`/orgs`) and the audit logs, with their seeding
 * functions and JSON views.
 *
 * @module
 */

import { randomTotpSecret } from "./totp.ts";
import {
  allows,
  authorize,
  canSeeRepo,
  orgAccess,
  permissionsOf,
  userAccess,
} from "./fake_hex_auth.ts";
import type { Ctx, FakeHexCore, RouteDef } from "./fake_hex_core.ts";
import {
  API,
  cmp,
  errorResponse,
  forbidden,
  iso,
  json,
  normalisePackage,
  packageUrl,
  parseParams,
  positiveInt,
  randomHex,
  unauthorized,
} from "./fake_hex_http.ts";
import type {
  AddAuditEntry,
  AddKeyOptions,
  AddOrgOptions,
  AddUserOptions,
  FakeAuditEntry,
  FakeKey,
  FakeOrg,
  FakeUser,
  KeyOwner,
  OrgRole,
  Permission,
} from "./fake_hex_types.ts";

const RESERVED_USERNAMES = ["me", "hex", "hexpm", "elixir", "erlang", "otp"];
const AUDIT_PER_PAGE = 100;

// ------------------------------------------------------------------ seeding

/** Adds a user. `twoFactor: true` gives a random TOTP secret (or pass `totpSecret`). */
export function addUser(core: FakeHexCore, options: AddUserOptions): FakeUser {
  const now = core.now();
  const user: FakeUser = {
    id: core.id(),
    username: options.username,
    email: options.email ?? `${options.username}@example.com`,
    emailVerified: options.emailVerified ?? true,
    publicEmail: options.publicEmail ?? false,
    fullName: options.fullName ?? null,
    totpSecret: options.totpSecret ?? (options.twoFactor ? randomTotpSecret() : undefined),
    insertedAt: now,
    updatedAt: now,
  };
  if (user.totpSecret) core.secrets.set(user.totpSecret, `TOTP secret of ${user.username}`);
  core.users.set(user.username, user);
  for (const [org, role] of Object.entries(options.orgs ?? {})) {
    if (!core.orgs.has(org)) addOrg(core, { name: org });
    addMember(core, org, user.username, role);
  }
  return user;
}

/** Adds an organization. */
export function addOrg(core: FakeHexCore, options: AddOrgOptions): FakeOrg {
  const now = core.now();
  const org: FakeOrg = {
    id: core.id(),
    name: options.name,
    billingActive: options.billingActive ?? true,
    seats: options.seats ?? 10,
    members: new Map(),
    insertedAt: now,
    updatedAt: now,
  };
  core.orgs.set(org.name, org);
  for (const [user, role] of Object.entries(options.members ?? {})) {
    addMember(core, org.name, user, role);
  }
  return org;
}

/** Makes `username` a member of `org` with `role`. */
export function addMember(core: FakeHexCore, org: string, username: string, role: OrgRole): void {
  const o = core.orgs.get(org);
  if (!o) throw new Error(`FakeHex: no organization "${org}"`);
  if (!core.users.has(username)) throw new Error(`FakeHex: no user "${username}"`);
  o.members.set(username, role);
}

/** Turns 2FA on (a new random secret, returned) or off for a user. */
export function setTwoFactor(
  core: FakeHexCore,
  username: string,
  enabled: boolean,
): string | undefined {
  const user = core.users.get(username);
  if (!user) throw new Error(`FakeHex: no user "${username}"`);
  user.totpSecret = enabled ? randomTotpSecret() : undefined;
  if (user.totpSecret) core.secrets.set(user.totpSecret, `TOTP secret of ${username}`);
  return user.totpSecret;
}

/** Creates a key directly (as the dashboard would), skipping validation. */
export function addKey(core: FakeHexCore, options: AddKeyOptions): FakeKey {
  const owner: KeyOwner = typeof options.owner === "string"
    ? { type: "user", name: options.owner }
    : { type: "organization", name: options.owner.organization };
  const exists = owner.type === "user" ? core.users.has(owner.name) : core.orgs.has(owner.name);
  if (!exists) throw new Error(`FakeHex: no ${owner.type} "${owner.name}"`);
  const key = createKey(
    core,
    owner,
    uniqueKeyName(core, owner, options.name ?? "key"),
    options.permissions ?? [{ domain: "api", resource: null }],
    options.revokeAt ?? null,
    options.insertedAt,
  );
  if (options.lastUsedAt !== undefined) {
    key.lastUse = {
      usedAt: options.lastUsedAt,
      ip: options.lastUsedIp ?? "127.0.0.1",
      userAgent: options.lastUsedUserAgent ?? null,
    };
  }
  return key;
}

/** Seeds an audit-log entry for a user (username) or `{ organization: NAME }`. */
export function addAudit(
  core: FakeHexCore,
  owner: string | { organization: string },
  entry: AddAuditEntry,
): FakeAuditEntry {
  const logKey = typeof owner === "string" ? `user:${owner}` : `org:${owner.organization}`;
  if (typeof owner === "string" ? !core.users.has(owner) : !core.orgs.has(owner.organization)) {
    throw new Error(
      `FakeHex: no ${typeof owner === "string" ? "user" : "organization"} ${
        JSON.stringify(typeof owner === "string" ? owner : owner.organization)
      }`,
    );
  }
  const stored: FakeAuditEntry = {
    action: entry.action,
    params: entry.params ?? {},
    userAgent: entry.userAgent ?? null,
    insertedAt: entry.insertedAt ?? core.now(),
  };
  core.pushAudit(logKey, stored);
  return stored;
}

// ------------------------------------------------------------------ keys (model)

function keysOf(core: FakeHexCore, owner: KeyOwner): FakeKey[] {
  return core.keys.filter((k) => k.owner.type === owner.type && k.owner.name === owner.name);
}

function uniqueKeyName(core: FakeHexCore, owner: KeyOwner, name: string): string {
  const live = keysOf(core, owner).filter((k) => !core.revoked(k)).map((k) => k.name);
  if (!live.includes(name)) return name;
  let max = 1;
  for (const existing of live) {
    if (!existing.startsWith(`${name}-`)) continue;
    const rest = existing.slice(name.length + 1);
    if (/^\d+$/.test(rest)) max = Math.max(max, Number(rest));
  }
  return `${name}-${max + 1}`;
}

function createKey(
  core: FakeHexCore,
  owner: KeyOwner,
  name: string,
  permissions: Permission[],
  revokeAt: number | null,
  insertedAt?: number,
): FakeKey {
  const now = insertedAt ?? core.now();
  const key: FakeKey = {
    id: core.id(),
    name,
    secret: randomHex(16),
    permissions,
    owner,
    revokeAt,
    lastUse: null,
    insertedAt: now,
    updatedAt: now,
  };
  core.secrets.set(key.secret, `API key "${name}"`);
  core.keys.push(key);
  return key;
}

function keyAuditParams(key: FakeKey): Record<string, unknown> {
  return {
    name: key.name,
    permissions: key.permissions.map((x) => ({ domain: x.domain, resource: x.resource })),
    user: key.owner.type === "user" ? { username: key.owner.name } : null,
    organization: key.owner.type === "organization" ? { name: key.owner.name } : null,
  };
}

function keyOrg(key: FakeKey): string | undefined {
  return key.owner.type === "organization" ? key.owner.name : undefined;
}

// ------------------------------------------------------------------ JSON views

/** UserView "show": the user with the packages the request may see. */
export function userJson(core: FakeHexCore, ctx: Ctx, user: FakeUser): Record<string, unknown> {
  const packages = [...core.packages.values()]
    .filter((p) => p.owners.has(user.username) && canSeeRepo(core, ctx, p.repository))
    .sort((a, b) =>
      (a.repository === "hexpm" ? 0 : 1) - (b.repository === "hexpm" ? 0 : 1) ||
      cmp(a.repository, b.repository) || cmp(a.name, b.name)
    );
  const json: Record<string, unknown> = {
    username: user.username,
    full_name: user.fullName,
    handles: {},
    url: `${ctx.origin}${API}/users/${encodeURIComponent(user.username)}`,
    inserted_at: iso(user.insertedAt),
    updated_at: iso(user.updatedAt),
  };
  if (user.publicEmail) json.email = user.email;
  json.owned_packages = Object.fromEntries(
    packages.map((p) => [p.name, packageUrl(ctx.origin, p)]),
  );
  json.packages = packages.map((p) => ({
    name: p.name,
    repository: p.repository,
    url: packageUrl(ctx.origin, p),
    html_url: p.repository === "hexpm"
      ? `${ctx.origin}/packages/${p.name}`
      : `${ctx.origin}/packages/${p.repository}/${p.name}`,
  }));
  return json;
}

/** UserView "minimal": `{username, email?, url}`; an organization owner by its name. */
export function minimalUserJson(
  core: FakeHexCore,
  ctx: Ctx,
  name: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { username: name };
  const user = core.users.get(name);
  if (user?.publicEmail) out.email = user.email;
  out.url = `${ctx.origin}${API}/users/${encodeURIComponent(name)}`;
  return out;
}

function keyJson(
  ctx: Ctx,
  key: FakeKey,
  options: { withSecret?: boolean } = {},
): Record<string, unknown> {
  const p = ctx.principal;
  return {
    name: key.name,
    authing_key: p?.kind === "key" && p.key === key,
    secret: options.withSecret ? key.secret : null,
    permissions: key.permissions.map((x) => ({ domain: x.domain, resource: x.resource })),
    revoke_at: key.revokeAt === null ? null : iso(key.revokeAt),
    inserted_at: iso(key.insertedAt),
    updated_at: iso(key.updatedAt),
    url: `${ctx.origin}${API}/keys/${encodeURIComponent(key.name)}`,
    last_use: key.lastUse && {
      used_at: iso(key.lastUse.usedAt),
      ip: key.lastUse.ip,
      user_agent: key.lastUse.userAgent,
    },
  };
}

function orgJson(org: FakeOrg, withSeats: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = {
    name: org.name,
    billing_active: org.billingActive,
    inserted_at: iso(org.insertedAt),
    updated_at: iso(org.updatedAt),
  };
  if (withSeats) json.seats = org.seats;
  return json;
}

// ------------------------------------------------------------------ routes

/** The account routes, users first (`/users/me` before `/users/:name`). */
export function usersKeysRoutes(core: FakeHexCore): RouteDef[] {
  const routes: RouteDef[] = [
    { method: "GET", pattern: "/users/me", run: (ctx) => getMe(core, ctx) },
    { method: "GET", pattern: "/users/me/audit-logs", run: (ctx) => userAudit(core, ctx) },
    { method: "GET", pattern: "/users/:name", run: (ctx) => getUser(core, ctx) },
    { method: "POST", pattern: "/users", run: (ctx) => createUser(core, ctx) },
    { method: "GET", pattern: "/auth", run: (ctx) => testAuth(core, ctx) },
  ];
  // Keys, for the credential's owner or under an organization.
  for (const prefix of ["", "/orgs/:org"]) {
    routes.push(
      { method: "GET", pattern: `${prefix}/keys`, run: (ctx) => listKeys(core, ctx) },
      { method: "POST", pattern: `${prefix}/keys`, run: (ctx) => createKeyRoute(core, ctx) },
      { method: "DELETE", pattern: `${prefix}/keys`, run: (ctx) => revokeAllKeys(core, ctx) },
      { method: "GET", pattern: `${prefix}/keys/:name`, run: (ctx) => getKey(core, ctx) },
      { method: "DELETE", pattern: `${prefix}/keys/:name`, run: (ctx) => revokeKey(core, ctx) },
    );
  }
  routes.push(
    { method: "GET", pattern: "/orgs", run: (ctx) => listOrgs(core, ctx) },
    { method: "GET", pattern: "/orgs/:org", run: (ctx) => getOrg(core, ctx) },
    { method: "GET", pattern: "/orgs/:org/audit-logs", run: (ctx) => orgAudit(core, ctx) },
  );
  return routes;
}

// ---- users

async function getMe(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = await authorize(core, ctx, "read", { required: true });
  if (denied) return denied;
  const user = ctx.principal?.user;
  if (!user) return errorResponse(404);
  const orgs = [...core.orgs.values()]
    .filter((o) => o.members.has(user.username))
    .sort((a, b) => cmp(a.name, b.name))
    .map((o) => ({ name: o.name, role: o.members.get(user.username) }));
  return json(200, { ...userJson(core, ctx, user), organizations: orgs });
}

function getUser(core: FakeHexCore, ctx: Ctx): Response {
  const name = ctx.pathParams.name;
  const user = core.users.get(name) ??
    [...core.users.values()].find((u) => u.email === name && u.publicEmail);
  return user ? json(200, userJson(core, ctx, user)) : errorResponse(404);
}

function createUser(core: FakeHexCore, ctx: Ctx): Response {
  const params = parseParams(ctx);
  if (params instanceof Response) return params;
  const username = typeof params.username === "string" ? params.username.toLowerCase() : "";
  const password = typeof params.password === "string" ? params.password : "";
  const emails = Array.isArray(params.emails) ? params.emails : [];
  const firstEmail = emails[0] as { email?: unknown } | undefined;
  const email = typeof params.email === "string"
    ? params.email
    : typeof firstEmail?.email === "string"
    ? firstEmail.email
    : "";
  if (password) core.secrets.set(password, "a registration password");
  const errors: Record<string, unknown> = {};
  if (!username) errors.username = "can't be blank";
  else if (!/^[a-z0-9_\-.]+$/.test(username)) errors.username = "has invalid format";
  else if (username.length < 3) errors.username = "should be at least 3 character(s)";
  else if (RESERVED_USERNAMES.includes(username)) errors.username = "is reserved";
  else if (core.users.has(username)) errors.username = "has already been taken";
  if (!password) errors.password = "can't be blank";
  else if (password.length < 8) errors.password = "should be at least 8 character(s)";
  if (!email) errors.emails = { email: "can't be blank" };
  else if (!/^[^@\s]+@[^@\s]+$/.test(email)) errors.emails = { email: "has invalid format" };
  else if ([...core.users.values()].some((u) => u.email === email)) {
    errors.emails = { email: "has already been taken" };
  }
  if (Object.keys(errors).length) return errorResponse(422, undefined, errors);
  const user = addUser(core, { username, email, emailVerified: false });
  user.password = password;
  return json(201, userJson(core, ctx, user), {
    location: `${API}/users/${encodeURIComponent(username)}`,
  });
}

function testAuth(core: FakeHexCore, ctx: Ctx): Response {
  const domain = ctx.url.searchParams.get("domain");
  if (!domain) return errorResponse(400);
  const resource = ctx.url.searchParams.get("resource");
  // Authentication but no API domain: a repository-only key may ask about its repository.
  const p = ctx.principal;
  if (!p) return unauthorized("missing authentication information");
  if (p.user && !p.user.emailVerified) return errorResponse(403, "email not verified");
  if (!allows(permissionsOf(p), domain, resource)) {
    return unauthorized("key not authorized for this action");
  }
  const access = userAccess(
    core,
    { user: p.user, org: p.kind === "key" ? p.org : undefined },
    domain,
    resource,
  );
  if (!access.ok) return forbidden();
  if (access.org && !access.org.billingActive) {
    return forbidden("organization has no active billing subscription");
  }
  if (p.kind === "oauth") return new Response(null, { status: 204 });
  return json(200, { key: { name: p.key.name, owner: p.key.owner } }, {
    "x-hex-key-id": String(p.key.id),
  });
}

// ---- keys

/** The owner a key route works on, after hexpm's organization/path checks. */
function keyOwner(core: FakeHexCore, ctx: Ctx, role: OrgRole): KeyOwner | Response {
  const orgName = ctx.pathParams.org;
  const p = ctx.principal;
  if (orgName !== undefined) {
    const org = core.orgs.get(orgName);
    if (!org) return errorResponse(404);
    const denied = orgAccess(org, p, role);
    if (denied) return denied;
    return { type: "organization", name: org.name };
  }
  if (p?.kind === "key" && p.org) return errorResponse(404);
  if (!p?.user) return forbidden();
  return { type: "user", name: p.user.username };
}

async function listKeys(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = await authorize(core, ctx, "read", { required: true });
  if (denied) return denied;
  const owner = keyOwner(core, ctx, "read");
  if (owner instanceof Response) return owner;
  const keys = keysOf(core, owner).filter((k) => !core.revoked(k))
    .sort((a, b) => cmp(a.name, b.name));
  return json(200, keys.map((k) => keyJson(ctx, k)));
}

async function getKey(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = await authorize(core, ctx, "read", { required: true });
  if (denied) return denied;
  const owner = keyOwner(core, ctx, "read");
  if (owner instanceof Response) return owner;
  const key = keysOf(core, owner).find((k) => k.name === ctx.pathParams.name && !core.revoked(k));
  return key ? json(200, keyJson(ctx, key)) : errorResponse(404);
}

async function createKeyRoute(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  // hexpm does not require authentication here; with none there is no owner: 403 (§9).
  if (!ctx.principal) return forbidden();
  const denied = await authorize(core, ctx, "write", { required: true, allowUnconfirmed: true });
  if (denied) return denied;
  const owner = keyOwner(core, ctx, "write");
  if (owner instanceof Response) return owner;
  const params = parseParams(ctx);
  if (params instanceof Response) return params;

  const errors: Record<string, unknown> = {};
  const name = typeof params.name === "string" ? params.name.trim() : "";
  if (!name) errors.name = "can't be blank";
  let revokeAt: number | null = null;
  if (params.revoke_at !== undefined && params.revoke_at !== null) {
    const t = typeof params.revoke_at === "string" ? Date.parse(params.revoke_at) : NaN;
    if (Number.isNaN(t)) errors.revoke_at = "is invalid";
    else if (t <= core.now()) errors.revoke_at = "must be in the future";
    else revokeAt = t;
  }
  const perms = validatePermissions(core, owner, params.permissions);
  if ("errors" in perms) errors.permissions = perms.errors;
  if (Object.keys(errors).length) return errorResponse(422, undefined, errors);

  const key = createKey(
    core,
    owner,
    uniqueKeyName(core, owner, name),
    (perms as { permissions: Permission[] }).permissions,
    revokeAt,
  );
  core.audit(ctx, "key.generate", keyAuditParams(key), keyOrg(key));
  return json(201, keyJson(ctx, key, { withSecret: true }), {
    location: `${API}/keys/${encodeURIComponent(key.name)}`,
  });
}

/** `KeyPermission.changeset` for each permission; the first error per field, as hexpm shows. */
function validatePermissions(
  core: FakeHexCore,
  owner: KeyOwner,
  raw: unknown,
): { permissions: Permission[] } | { errors: unknown } {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    return { permissions: [{ domain: "api", resource: null }] };
  }
  if (!Array.isArray(raw)) return { errors: "is invalid" };
  const out: Permission[] = [];
  for (const item of raw) {
    if (typeof item !== "object" || item === null) return { errors: "is invalid" };
    const { domain, resource } = item as { domain?: unknown; resource?: unknown };
    const errors: Record<string, string> = {};
    if (typeof domain !== "string" || domain === "") errors.domain = "can't be blank";
    else if (!["api", "package", "repository", "repositories", "docs"].includes(domain)) {
      errors.domain = "is invalid";
    }
    let res = typeof resource === "string" && resource !== "" ? resource : null;
    if (resource !== undefined && resource !== null && typeof resource !== "string") {
      errors.resource = "is invalid";
    }
    if (!errors.domain && !errors.resource) {
      const d = domain as string;
      if (d === "package" && res !== null) res = normalisePackage(res);
      // Stricter than hexpm, which skips the check when resource is absent: a
      // `repository`, `package` or `docs` permission without one is useless.
      const shapeOk = d === "api"
        ? res === null || res === "read" || res === "write"
        : d === "repositories"
        ? res === null
        : res !== null;
      if (!shapeOk) errors.resource = "invalid resource for given domain";
      else if (res !== null && d !== "api") {
        const subject = owner.type === "user"
          ? { user: core.users.get(owner.name) }
          : { org: core.orgs.get(owner.name) };
        if (!userAccess(core, subject, d, res).ok) {
          errors.resource = d === "package"
            ? "you do not have access to this package"
            : "you do not have access to this repository";
        }
      }
    }
    if (Object.keys(errors).length) return { errors };
    out.push({ domain: domain as string, resource: res });
  }
  return { permissions: out };
}

async function revokeKey(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = await authorize(core, ctx, "write", { required: true });
  if (denied) return denied;
  const owner = keyOwner(core, ctx, "write");
  if (owner instanceof Response) return owner;
  const key = keysOf(core, owner).find((k) => k.name === ctx.pathParams.name && !core.revoked(k));
  if (!key) return errorResponse(404);
  const now = core.now();
  key.revokeAt = now - 1000;
  key.revokedByRequest = true;
  key.updatedAt = now;
  core.audit(ctx, "key.remove", keyAuditParams(key), keyOrg(key));
  return json(200, keyJson(ctx, key));
}

async function revokeAllKeys(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = await authorize(core, ctx, "write", { required: true });
  if (denied) return denied;
  const owner = keyOwner(core, ctx, "write");
  if (owner instanceof Response) return owner;
  const now = core.now();
  for (const key of keysOf(core, owner)) {
    if (core.revoked(key)) continue;
    key.revokeAt = now - 1000;
    key.revokedByRequest = true;
    key.updatedAt = now;
    core.audit(ctx, "key.remove", keyAuditParams(key), keyOrg(key));
  }
  // hexpm renders the authing key; an OAuth token is no key, so the body is `null`.
  const p = ctx.principal;
  return json(200, p?.kind === "key" ? keyJson(ctx, p.key) : null);
}

// ---- organizations and audit logs

async function listOrgs(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = await authorize(core, ctx, "read", { required: false });
  if (denied) return denied;
  const p = ctx.principal;
  const orgs = [...core.orgs.values()].filter((o) =>
    p?.kind === "key" && p.org ? o === p.org : !!p?.user && o.members.has(p.user.username)
  ).sort((a, b) => cmp(a.name, b.name));
  return json(200, orgs.map((o) => orgJson(o, false)));
}

/** Organization `:org` of the path, once the caller may read it; else hexpm's error. */
async function readableOrg(core: FakeHexCore, ctx: Ctx): Promise<FakeOrg | Response> {
  const org = core.orgs.get(ctx.pathParams.org);
  if (!org) return errorResponse(404);
  const denied = await authorize(core, ctx, "read", { required: false });
  if (denied) return denied;
  const noAccess = orgAccess(org, ctx.principal, "read");
  if (noAccess) return noAccess;
  return org;
}

async function getOrg(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const org = await readableOrg(core, ctx);
  if (org instanceof Response) return org;
  return json(200, orgJson(org, true));
}

function auditPage(ctx: Ctx, entries: FakeAuditEntry[]): Response {
  const page = positiveInt(ctx.url.searchParams.get("page"), 1);
  return json(
    200,
    entries.slice((page - 1) * AUDIT_PER_PAGE, page * AUDIT_PER_PAGE).map((e) => ({
      action: e.action,
      params: e.params,
      user_agent: e.userAgent,
      inserted_at: iso(e.insertedAt),
    })),
  );
}

async function userAudit(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = await authorize(core, ctx, "read", { required: true });
  if (denied) return denied;
  const user = ctx.principal?.user;
  if (!user) return errorResponse(404);
  return auditPage(ctx, core.auditLog(user.username));
}

async function orgAudit(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const org = await readableOrg(core, ctx);
  if (org instanceof Response) return org;
  return auditPage(ctx, core.auditLog({ organization: org.name }));
}
