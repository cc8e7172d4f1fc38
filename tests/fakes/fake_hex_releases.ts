/**
 * FakeHex's release-level writes besides publish: docs (`.../releases/V/docs`)
 * and retirement (`.../releases/V/retire`, `.../packages/NAME/retire`).
 *
 * @module
 */

import {
  type FakePackage,
  type FakeRelease,
  type FakeRetirement,
  hasErrors,
  retirementErrors,
  type RetireReason,
} from "./_hex_packages.ts";
import { gunzipBytes } from "../../src/tarball/gzip.ts";
import type { Ctx, FakeHexCore, RouteDef } from "./fake_hex_core.ts";
import { docsTarballUrl, errorResponse, parseParams } from "./fake_hex_http.ts";
import { readTarget, releaseAuditParams, repoOrg, writeTarget } from "./fake_hex_packages.ts";

/** The docs and retirement routes, for `hexpm` and under `/repos/:repo`. */
export function releaseRoutes(core: FakeHexCore): RouteDef[] {
  const routes: RouteDef[] = [];
  for (const prefix of ["", "/repos/:repo"]) {
    const pkg = `${prefix}/packages/:name`;
    const rel = `${pkg}/releases/:version`;
    routes.push(
      { method: "GET", pattern: `${rel}/docs`, run: (ctx) => getDocs(core, ctx) },
      { method: "POST", pattern: `${rel}/docs`, run: (ctx) => publishDocs(core, ctx) },
      { method: "DELETE", pattern: `${rel}/docs`, run: (ctx) => revertDocs(core, ctx) },
      { method: "POST", pattern: `${rel}/retire`, run: (ctx) => retire(core, ctx) },
      { method: "DELETE", pattern: `${rel}/retire`, run: (ctx) => unretire(core, ctx) },
      { method: "POST", pattern: `${pkg}/retire`, run: (ctx) => retireAll(core, ctx) },
    );
  }
  return routes;
}

/** Who may write docs and retirements: a maintainer, with a package key; anonymous gets 403. */
const MAINTAINER = { level: "maintainer", domain: "package", anonymous: 403 } as const;

/** Applies `change` to `release` of `pkg`, stamps it `now` and audits it as `action`. */
function changeRelease(
  core: FakeHexCore,
  ctx: Ctx,
  pkg: FakePackage,
  release: FakeRelease,
  action: string,
  change: Partial<FakeRelease>,
  now = core.now(),
): void {
  Object.assign(release, change, { updatedAt: now });
  core.audit(ctx, action, releaseAuditParams(pkg, release), repoOrg(pkg));
}

async function getDocs(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await readTarget(core, ctx);
  if (target instanceof Response) return target;
  const { pkg, release } = target as { pkg: FakePackage; release: FakeRelease };
  if (!release.hasDocs) return errorResponse(404);
  return new Response(null, {
    status: 302,
    headers: { location: docsTarballUrl(ctx.origin, pkg, release) },
  });
}

async function publishDocs(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, MAINTAINER);
  if (target instanceof Response) return target;
  const { pkg, release } = target as { pkg: FakePackage; release: FakeRelease };
  try {
    gunzipBytes(ctx.body);
  } catch {
    // hex.pm checks only that the body is gzip, and answers anything else with a 500 (§9).
    return errorResponse(500);
  }
  changeRelease(core, ctx, pkg, release, "docs.publish", { docs: ctx.body.slice(), hasDocs: true });
  return new Response(null, {
    status: 201,
    headers: { location: docsTarballUrl(ctx.origin, pkg, release) },
  });
}

async function revertDocs(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, MAINTAINER);
  if (target instanceof Response) return target;
  const change = { docs: null, hasDocs: false };
  changeRelease(core, ctx, target.pkg, target.release!, "docs.revert", change);
  return new Response(null, { status: 204 });
}

/** The retirement in a request body, or the 422 hexpm answers (`{"retirement":{...}}`). */
function retirementOf(
  ctx: Ctx,
): { retirement: FakeRetirement; params: Record<string, unknown> } | Response {
  const params = parseParams(ctx);
  if (params instanceof Response) return params;
  const errors = retirementErrors(params);
  if (hasErrors(errors)) return errorResponse(422, undefined, { retirement: errors });
  const message = typeof params.message === "string" && params.message !== ""
    ? params.message
    : null;
  return { retirement: { reason: params.reason as RetireReason, message }, params };
}

async function retire(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, MAINTAINER);
  if (target instanceof Response) return target;
  const body = retirementOf(ctx);
  if (body instanceof Response) return body;
  const change = { retirement: body.retirement };
  changeRelease(core, ctx, target.pkg, target.release!, "release.retire", change);
  return new Response(null, { status: 204 });
}

async function unretire(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, MAINTAINER);
  if (target instanceof Response) return target;
  const change = { retirement: null };
  changeRelease(core, ctx, target.pkg, target.release!, "release.unretire", change);
  return new Response(null, { status: 204 });
}

async function retireAll(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, MAINTAINER);
  if (target instanceof Response) return target;
  const body = retirementOf(ctx);
  if (body instanceof Response) return body;
  // `replace: true` also overwrites releases that are already retired.
  const replace = body.params.replace === true || body.params.replace === "true";
  const now = core.now();
  for (const release of target.pkg.releases) {
    if (release.retirement && !replace) continue;
    const change = { retirement: { ...body.retirement } };
    changeRelease(core, ctx, target.pkg, release, "release.retire", change, now);
  }
  return new Response(null, { status: 204 });
}
