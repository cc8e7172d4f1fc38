/**
 * FakeHex's package owners (`/packages/NAME/owners[/USER]`, also under
 * `/repos/ORG`): listing, adding (with levels and transfer to an organization)
 * and removing, with hexpm's rules about the last full owner.
 *
 * @module
 */

import type { OwnerLevel } from "./_hex_packages.ts";
import type { Ctx, FakeHexCore, RouteDef } from "./fake_hex_core.ts";
import { API, cmp, errorResponse, iso, json, parseParams } from "./fake_hex_http.ts";
import { readTarget, repoOrg, writeTarget } from "./fake_hex_packages.ts";
import { userJson } from "./fake_hex_users_keys.ts";
import type { FakeOrg, FakeUser } from "./fake_hex_types.ts";

/** The owner routes, for `hexpm` and under `/repos/:repo`. */
export function ownerRoutes(core: FakeHexCore): RouteDef[] {
  const routes: RouteDef[] = [];
  for (const prefix of ["", "/repos/:repo"]) {
    const pkg = `${prefix}/packages/:name`;
    routes.push(
      { method: "GET", pattern: `${pkg}/owners`, run: (ctx) => listOwners(core, ctx) },
      { method: "GET", pattern: `${pkg}/owners/:user`, run: (ctx) => getOwner(core, ctx) },
      { method: "PUT", pattern: `${pkg}/owners/:user`, run: (ctx) => addOwner(core, ctx) },
      { method: "DELETE", pattern: `${pkg}/owners/:user`, run: (ctx) => removeOwner(core, ctx) },
    );
  }
  return routes;
}

/** OwnerView: the user's JSON plus `level`. */
function ownerJson(
  core: FakeHexCore,
  ctx: Ctx,
  name: string,
  level: OwnerLevel,
): Record<string, unknown> {
  const user = core.users.get(name);
  if (user) return { ...userJson(core, ctx, user), level };
  const org = core.orgs.get(name);
  return {
    username: name,
    full_name: null,
    handles: {},
    url: `${ctx.origin}${API}/users/${encodeURIComponent(name)}`,
    inserted_at: iso(org?.insertedAt ?? 0),
    updated_at: iso(org?.updatedAt ?? 0),
    level,
  };
}

async function listOwners(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await readTarget(core, ctx);
  if (target instanceof Response) return target;
  const { pkg } = target;
  const owners = [...pkg.owners].sort(([a], [b]) => cmp(a, b));
  return json(200, owners.map(([name, level]) => ownerJson(core, ctx, name, level)));
}

/** A user by username or public email, or an organization by name. */
function ownerSubject(
  core: FakeHexCore,
  name: string,
): { user: FakeUser } | { org: FakeOrg } | undefined {
  const user = core.users.get(name) ??
    [...core.users.values()].find((u) => u.email === name && u.publicEmail);
  if (user) return { user };
  const org = core.orgs.get(name);
  return org ? { org } : undefined;
}

async function getOwner(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await readTarget(core, ctx);
  if (target instanceof Response) return target;
  const subject = ownerSubject(core, ctx.pathParams.user);
  const name = subject && ("user" in subject ? subject.user.username : subject.org.name);
  const level = name === undefined ? undefined : target.pkg.owners.get(name);
  return name && level ? json(200, ownerJson(core, ctx, name, level)) : errorResponse(404);
}

async function addOwner(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, { level: "full", domain: "api", anonymous: 403 });
  if (target instanceof Response) return target;
  const { pkg } = target;
  const params = parseParams(ctx);
  if (params instanceof Response) return params;
  const subject = ownerSubject(core, ctx.pathParams.user);
  if (!subject) return errorResponse(404);
  const level = params.level === undefined || params.level === null ? "full" : params.level;
  if (level !== "full" && level !== "maintainer") {
    return errorResponse(422, undefined, { level: "is invalid" });
  }
  const transfer = params.transfer === true;
  const fail = (field: string, message: string) =>
    errorResponse(422, undefined, { [field]: message });
  let name: string;
  if ("org" in subject) {
    name = subject.org.name;
    if (!transfer) {
      return fail(
        "username",
        "organization ownership can only be transferred, removing all existing owners",
      );
    }
    if (level !== "full") {
      return fail("level", 'ownership level is required to be "full" for organization ownership');
    }
  } else {
    name = subject.user.username;
    const orgsToJoin = [
      ...(pkg.repository === "hexpm" ? [] : [pkg.repository]),
      ...[...pkg.owners.keys()].filter((o) => core.orgs.has(o)),
    ];
    if (orgsToJoin.some((o) => !core.orgs.get(o)?.members.has(name))) {
      return fail(
        "username",
        "cannot add owner to private package when the user is not a member of the organization",
      );
    }
  }
  const fullOwners = [...pkg.owners].filter(([, l]) => l === "full").map(([o]) => o);
  if (
    pkg.repository === "hexpm" && !transfer && level === "maintainer" &&
    pkg.owners.get(name) === "full" && fullOwners.length === 1
  ) {
    return fail("level", "cannot demote the last full owner of a package");
  }
  if (transfer) pkg.owners.clear();
  pkg.owners.set(name, level);
  pkg.updatedAt = core.now();
  core.audit(
    ctx,
    transfer ? "owner.transfer" : "owner.add",
    { package: { name: pkg.name, repository: pkg.repository }, level, user: { username: name } },
    repoOrg(pkg) ?? ("org" in subject ? name : undefined),
  );
  return new Response(null, { status: 204 });
}

async function removeOwner(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, { level: "full", domain: "api", anonymous: 403 });
  if (target instanceof Response) return target;
  const { pkg } = target;
  const subject = ownerSubject(core, ctx.pathParams.user);
  if (!subject) return errorResponse(404);
  const name = "user" in subject ? subject.user.username : subject.org.name;
  const fail = (message: string) => errorResponse(422, undefined, { username: message });
  const level = pkg.owners.get(name);
  if (!level) return fail("user is not an owner of package");
  if (pkg.repository === "hexpm" && pkg.owners.size === 1) {
    return fail("cannot remove last owner of package");
  }
  const otherFull = [...pkg.owners].some(([o, l]) => o !== name && l === "full");
  if (pkg.repository === "hexpm" && level === "full" && !otherFull) {
    return fail("cannot remove the last full owner of package");
  }
  pkg.owners.delete(name);
  pkg.updatedAt = core.now();
  core.audit(
    ctx,
    "owner.remove",
    { package: { name: pkg.name, repository: pkg.repository }, level, user: { username: name } },
    repoOrg(pkg) ?? (core.orgs.has(name) ? name : undefined),
  );
  return new Response(null, { status: 204 });
}
