/**
 * FakeHex's packages: seeding (`addPackage`, `addRelease`, `addReleaseFromTarball`),
 * publish with hex.pm's server-side validation and edit window, listing and
 * search, package and release JSON, and revert; for `hexpm` and under
 * `/repos/ORG`. Docs and retirement are in `fake_hex_releases.ts`, owners in
 * `fake_hex_owners.ts`; the stored shapes and the validation rules themselves
 * in `_hex_packages.ts`.
 *
 * @module
 */

import {
  buildSeedDocs,
  buildSeedTarball,
  type ErrorMap,
  type FakeDownloads,
  type FakePackage,
  type FakeRelease,
  type FakeRequirement,
  hasErrors,
  latestVersions,
  type OwnerLevel,
  packageErrors,
  packageMetaOf,
  releaseErrors,
  releaseFieldsOf,
  searchMatches,
  type SeedMeta,
  sha256HexSync,
  sortReleases,
} from "./_hex_packages.ts";
import { parseVersion } from "../../src/rules/version.ts";
import { type JsonValue, metadataToJson } from "../../src/tarball/metadata_config.ts";
import { type UnpackedPackage, unpackPackage } from "../../src/tarball/unpack_package.ts";
import {
  allows,
  authorize,
  canSeeRepo,
  checkTotp,
  orgAccess,
  permissionsOf,
} from "./fake_hex_auth.ts";
import type { Ctx, FakeHexCore, Principal, RouteDef } from "./fake_hex_core.ts";
import {
  cmp,
  depSnippets,
  errorResponse,
  forbidden,
  iso,
  json,
  packageUrls,
  positiveInt,
  unauthorized,
} from "./fake_hex_http.ts";
import { minimalUserJson } from "./fake_hex_users_keys.ts";
import type {
  AddPackageOptions,
  AddReleaseFromTarballOptions,
  AddReleaseOptions,
  OrgRole,
} from "./fake_hex_types.ts";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

// ------------------------------------------------------------------ seeding

/**
 * Adds a package (`repository` defaults to `hexpm`); owners are `full` unless a level
 * is given. `releases` are seeded with `addRelease`. Replaces a package of that name.
 */
export function addPackage(core: FakeHexCore, options: AddPackageOptions): FakePackage {
  const at = options.insertedAt ?? core.now();
  const owners = Array.isArray(options.owners)
    ? Object.fromEntries(options.owners.map((o) => [o, "full" as const]))
    : options.owners ?? {};
  const pkg: FakePackage = {
    name: options.name,
    repository: options.repository ?? "hexpm",
    owners: new Map(Object.entries(owners)),
    insertedAt: at,
    updatedAt: at,
    meta: {
      description: `The ${options.name} package`,
      licenses: ["Apache-2.0"],
      links: {},
      maintainers: [],
      extra: null,
      ...options.meta,
    },
    releases: [],
    downloads: { all: 0, recent: 0, week: 0, day: 0 },
  };
  core.packages.set(`${pkg.repository}/${pkg.name}`, pkg);
  if (options.downloads !== undefined) {
    setDownloads(core, pkg.name, options.downloads, pkg.repository);
  }
  for (const release of options.releases ?? []) {
    addRelease(core, { ...release, name: pkg.name, repository: pkg.repository });
  }
  return pkg;
}

/**
 * Seeds a release directly (no authorization, no validation, no edit window). The
 * package is created when missing. An existing release of that version is replaced.
 */
export function addRelease(core: FakeHexCore, options: AddReleaseOptions): FakeRelease {
  const repository = options.repository ?? "hexpm";
  const at = options.insertedAt ?? core.now();
  const pkg = core.packages.get(`${repository}/${options.name}`) ??
    addPackage(core, {
      name: options.name,
      repository,
      owners: options.owners,
      insertedAt: at,
    });
  // The tarball says what the package says unless told otherwise.
  const meta: SeedMeta = {
    description: pkg.meta.description ?? undefined,
    licenses: pkg.meta.licenses,
    links: pkg.meta.links,
    ...options.meta,
  };
  const requirements: FakeRequirement[] = Object.entries(options.requirements ?? {}).map(
    ([name, r]) => {
      const fields = typeof r === "string" ? { requirement: r } : r;
      return {
        name,
        app: fields.app ?? name,
        requirement: fields.requirement,
        optional: fields.optional ?? false,
        repository: fields.repository ?? "hexpm",
      };
    },
  );
  const built = options.tarball
    ? { tarball: options.tarball, innerChecksum: "", outerChecksum: "", metadata: {} }
    : buildSeedTarball({ name: pkg.name, version: options.version, meta, requirements });
  const tarball = built.tarball;
  const checksum = built.outerChecksum || sha256HexSync(tarball);
  if (meta.description !== undefined) pkg.meta.description = meta.description;
  if (meta.licenses !== undefined) pkg.meta.licenses = [...meta.licenses];
  if (meta.links !== undefined) pkg.meta.links = { ...meta.links };
  const firstOwner = [...pkg.owners.keys()].find((o) => core.users.has(o)) ?? null;
  const docs = options.hasDocs ? buildSeedDocs(pkg.name, options.version) : null;
  const release: FakeRelease = {
    version: options.version,
    tarball,
    checksum,
    innerChecksum: built.innerChecksum,
    metadata: built.metadata,
    meta: {
      app: meta.app ?? pkg.name,
      build_tools: meta.build_tools ?? ["rebar3"],
      elixir: meta.elixir ?? null,
    },
    requirements,
    retirement: options.retirement ?? null,
    hasDocs: docs !== null,
    docs,
    publisher: options.publisher === undefined ? firstOwner : options.publisher,
    downloads: options.downloads ?? 0,
    insertedAt: at,
    updatedAt: at,
  };
  pkg.releases = pkg.releases.filter((r) => r.version !== release.version);
  pkg.releases.push(release);
  // A package is never younger than its releases (the 24-hour window counts from it).
  pkg.insertedAt = Math.min(pkg.insertedAt, at);
  pkg.updatedAt = Math.max(pkg.updatedAt, at);
  return release;
}

/**
 * Seeds a release from a real tarball, reading name, version, metadata and
 * requirements from it as a publish would (no authorization, no validation).
 */
export async function addReleaseFromTarball(
  core: FakeHexCore,
  tarball: Uint8Array,
  options: AddReleaseFromTarballOptions = {},
): Promise<FakeRelease> {
  const unpacked = await unpackPackage(tarball);
  const metadata = metadataToJson(unpacked.metadata);
  const repository = options.repository ?? "hexpm";
  const name = String(metadata.name);
  const at = options.insertedAt ?? core.now();
  if (!core.packages.has(`${repository}/${name}`)) {
    addPackage(core, { name, repository, owners: options.owners, insertedAt: at });
  }
  const { release } = storeRelease(core, repository, metadata, {
    tarball: tarball.slice(),
    checksum: unpacked.outerChecksum,
    innerChecksum: unpacked.innerChecksum,
    publisher: options.publisher ?? null,
    at,
  });
  return release;
}

/** Sets a package's download counters: a number sets `all`, an object the ones it names. */
export function setDownloads(
  core: FakeHexCore,
  name: string,
  downloads: number | Partial<FakeDownloads>,
  repository = "hexpm",
): void {
  const pkg = core.packages.get(`${repository}/${name}`);
  if (!pkg) throw new Error(`FakeHex: no package "${repository}/${name}"`);
  Object.assign(pkg.downloads, typeof downloads === "number" ? { all: downloads } : downloads);
}

// ------------------------------------------------------------------ routes

/** The package routes: unprefixed = repository `hexpm`; `/repos/:repo/...` for an organization. */
export function packageRoutes(core: FakeHexCore): RouteDef[] {
  const routes: RouteDef[] = [];
  for (const prefix of ["", "/repos/:repo"]) {
    const pkg = `${prefix}/packages/:name`;
    const rel = `${pkg}/releases/:version`;
    routes.push(
      { method: "POST", pattern: `${prefix}/publish`, run: (ctx) => publish(core, ctx) },
      { method: "GET", pattern: `${prefix}/packages`, run: (ctx) => listPackages(core, ctx) },
      { method: "GET", pattern: pkg, run: (ctx) => getPackage(core, ctx) },
      { method: "POST", pattern: `${pkg}/releases`, run: (ctx) => publish(core, ctx) },
      { method: "GET", pattern: rel, run: (ctx) => getRelease(core, ctx) },
      { method: "DELETE", pattern: rel, run: (ctx) => revertRelease(core, ctx) },
    );
  }
  return routes;
}

/** The audit-log `params` of a release action. */
export function releaseAuditParams(
  pkg: FakePackage,
  release: FakeRelease,
): Record<string, unknown> {
  return {
    package: { name: pkg.name, repository: pkg.repository },
    release: {
      version: release.version,
      checksum: release.checksum,
      has_docs: release.hasDocs,
      retirement: release.retirement &&
        { reason: release.retirement.reason, message: release.retirement.message },
    },
  };
}

/** The organization a package action concerns (its repository), if any. */
export function repoOrg(pkg: FakePackage): string | undefined {
  return pkg.repository === "hexpm" ? undefined : pkg.repository;
}

/** The repository a package route names: `hexpm`, or an existing organization (else 404). */
function repoOf(core: FakeHexCore, ctx: Ctx): string | Response {
  const repo = ctx.pathParams.repo ?? "hexpm";
  if (repo !== "hexpm" && !core.orgs.has(repo)) return errorResponse(404);
  return repo;
}

/** Reads: a credential, if sent, needs api:read; an organization's packages need membership. */
async function authorizeRead(core: FakeHexCore, ctx: Ctx, repo: string): Promise<Response | null> {
  const denied = await authorize(core, ctx, "read", { required: false });
  if (denied) return denied;
  if (repo === "hexpm") return null;
  return orgAccess(core.orgs.get(repo)!, ctx.principal, "read");
}

/**
 * Package writes, in hexpm's order: a credential (none: 401 for publish and revert, 403
 * for docs, retire and owners, §9), a verified email, a permission for the API write
 * domain or (`domain: "package"`) for `package:REPO/NAME`, TOTP for OAuth, the
 * organization's role and billing for a private repository, then ownership at `level`.
 * A package that does not exist yet passes (a publish creates it; other routes 404).
 */
async function authorizeWrite(
  core: FakeHexCore,
  ctx: Ctx,
  repo: string,
  name: string,
  options: { level: OwnerLevel; domain: "api" | "package"; anonymous: 401 | 403 },
): Promise<Response | null> {
  const p = ctx.principal;
  if (!p) {
    return options.anonymous === 403
      ? forbidden()
      : unauthorized("missing authentication information");
  }
  if (p.user && !p.user.emailVerified) return errorResponse(403, "email not verified");
  const perms = permissionsOf(p);
  const permitted = options.domain === "package"
    ? allows(perms, "package", `${repo}/${name}`)
    : allows(perms, "api", "write");
  if (!permitted) return unauthorized("key not authorized for this action");
  if (p.kind === "oauth") {
    const totp = await checkTotp(core, ctx, p.user);
    if (totp) return totp;
  }
  if (repo !== "hexpm") {
    const org = core.orgs.get(repo)!;
    const denied = orgAccess(org, p, options.level === "full" ? "admin" : "write");
    if (denied) return denied;
    if (!org.billingActive) return forbidden("organization has no active billing subscription");
  }
  const pkg = core.package(name, repo);
  if (!pkg) {
    // A new package on hexpm needs a user to own it; an organization key publishes only
    // to its own repository (checked above).
    return repo === "hexpm" && !p.user ? forbidden() : null;
  }
  const level = ownerLevel(core, pkg, p);
  if (!level || (options.level === "full" && level !== "full")) return forbidden();
  return null;
}

/**
 * The ownership level a credential has over a package. On hexpm: the user's own
 * level, or through an organization the package was transferred to (admin = full,
 * write = maintainer, capped by the organization's level). In an organization's
 * repository: the role in that organization; the organization's own key is full.
 */
function ownerLevel(core: FakeHexCore, pkg: FakePackage, p: Principal): OwnerLevel | null {
  const fromRole = (role: OrgRole | undefined): OwnerLevel | null =>
    role === "admin" ? "full" : role === "write" ? "maintainer" : null;
  if (p.kind === "key" && p.org) {
    return pkg.repository === p.org.name ? "full" : pkg.owners.get(p.org.name) ?? null;
  }
  const username = p.user?.username;
  if (!username) return null;
  if (pkg.repository !== "hexpm") {
    return fromRole(core.orgs.get(pkg.repository)?.members.get(username));
  }
  const levels: (OwnerLevel | null)[] = [pkg.owners.get(username) ?? null];
  for (const [owner, level] of pkg.owners) {
    const org = core.orgs.get(owner);
    if (!org) continue;
    const viaRole = fromRole(org.members.get(username));
    levels.push(level === "maintainer" && viaRole ? "maintainer" : viaRole);
  }
  return levels.includes("full") ? "full" : levels.includes("maintainer") ? "maintainer" : null;
}

/** Replace or revert is allowed: private repositories always; on hexpm within 1 h / 24 h. */
function editable(core: FakeHexCore, pkg: FakePackage, release: FakeRelease): boolean {
  if (pkg.repository !== "hexpm") return true;
  const now = core.now();
  return now - release.insertedAt <= HOUR_MS || now - pkg.insertedAt <= DAY_MS;
}

/** Stores a publish (creating the package, its publisher a full owner); replaces a version. */
function storeRelease(core: FakeHexCore, repo: string, metadata: Record<string, JsonValue>, data: {
  tarball: Uint8Array;
  checksum: string;
  innerChecksum: string;
  publisher: string | null;
  at: number;
}): { release: FakeRelease; created: boolean } {
  const name = String(metadata.name);
  let pkg = core.package(name, repo);
  if (!pkg) {
    pkg = addPackage(core, { name, repository: repo, insertedAt: data.at });
    if (data.publisher) pkg.owners.set(data.publisher, "full");
  }
  pkg.meta = packageMetaOf(metadata);
  pkg.updatedAt = data.at;
  const version = String(metadata.version);
  const fields = {
    tarball: data.tarball,
    checksum: data.checksum,
    innerChecksum: data.innerChecksum,
    metadata,
    ...releaseFieldsOf(metadata),
    publisher: data.publisher,
    updatedAt: data.at,
  };
  const existing = pkg.releases.find((r) => r.version === version);
  if (existing) {
    Object.assign(existing, fields);
    return { release: existing, created: false };
  }
  const release: FakeRelease = {
    version,
    ...fields,
    retirement: null,
    hasDocs: false,
    docs: null,
    downloads: 0,
    insertedAt: data.at,
  };
  pkg.releases.push(release);
  return { release, created: true };
}

async function publish(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const repo = repoOf(core, ctx);
  if (repo instanceof Response) return repo;
  const write = { level: "maintainer", domain: "package", anonymous: 401 } as const;
  const named = ctx.pathParams.name;
  // `/packages/NAME/releases` authorizes before reading the body; `/publish` reads and
  // checks the tarball first (§9).
  if (named !== undefined) {
    const denied = await authorizeWrite(core, ctx, repo, named, write);
    if (denied) return denied;
  }
  let unpacked: UnpackedPackage;
  try {
    unpacked = await unpackPackage(ctx.body);
  } catch (e) {
    return errorResponse(422, undefined, { tar: e instanceof Error ? e.message : String(e) });
  }
  const metadata = metadataToJson(unpacked.metadata);
  const name = typeof metadata.name === "string" ? metadata.name : "";
  if (named !== undefined && name !== named) {
    return errorResponse(422, undefined, { name: "metadata does not match package name" });
  }
  if (named === undefined) {
    const denied = await authorizeWrite(core, ctx, repo, name, write);
    if (denied) return denied;
  }
  const pkg = core.package(name, repo);
  // Package and release are separate changesets: package errors come alone.
  const packageProblems = packageErrors(metadata, { repository: repo, isNew: !pkg });
  if (hasErrors(packageProblems)) return errorResponse(422, undefined, packageProblems);
  const errors: ErrorMap = releaseErrors(metadata, {
    repository: repo,
    dependencyExists: (dep, depRepo) => core.packages.has(`${depRepo}/${dep}`),
  });
  const existing = pkg?.releases.find((r) => r.version === metadata.version);
  if (pkg && existing) {
    // Server default when absent: replace (`Map.get(params, "replace", true)`).
    const replace = ["true", null].includes(ctx.url.searchParams.get("replace"));
    if (!replace) {
      errors.inserted_at = "must include the --replace flag to update an existing release";
    } else if (!editable(core, pkg, existing)) {
      errors.inserted_at = "can only modify a release up to one hour after publication";
    }
  }
  if (hasErrors(errors)) return errorResponse(422, undefined, errors);
  const { release, created } = storeRelease(core, repo, metadata, {
    tarball: ctx.body.slice(),
    checksum: unpacked.outerChecksum,
    innerChecksum: unpacked.innerChecksum,
    publisher: ctx.principal?.user?.username ?? null,
    at: core.now(),
  });
  const stored = core.package(name, repo)!;
  core.audit(ctx, "release.publish", releaseAuditParams(stored, release), repoOrg(stored));
  const body = releaseJson(core, ctx, stored, release);
  return json(created ? 201 : 200, body, created ? { location: String(body.url) } : {});
}

async function listPackages(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  let repos: string[];
  if (ctx.pathParams.repo !== undefined) {
    const repo = repoOf(core, ctx);
    if (repo instanceof Response) return repo;
    const denied = await authorizeRead(core, ctx, repo);
    if (denied) return denied;
    repos = [repo];
  } else {
    // Unprefixed: hexpm and every organization the credential can read.
    const denied = await authorize(core, ctx, "read", { required: false });
    if (denied) return denied;
    repos = ["hexpm", ...[...core.orgs.keys()].filter((o) => canSeeRepo(core, ctx, o))];
  }
  const q = ctx.url.searchParams;
  const search = q.get("search") ?? "";
  const page = positiveInt(q.get("page"), 1);
  const perPage = Math.min(100, positiveInt(q.get("per_page"), 100));
  const found = [...core.packages.values()].filter((p) =>
    repos.includes(p.repository) && (search === "" || searchMatches(p, search))
  );
  const desc = (f: (p: FakePackage) => number) => (a: FakePackage, b: FakePackage) =>
    f(b) - f(a) || cmp(a.name, b.name) || cmp(a.repository, b.repository);
  switch (q.get("sort") ?? "name") {
    case "downloads":
    case "total_downloads":
      found.sort(desc((p) => p.downloads.all));
      break;
    case "recent_downloads":
      found.sort(desc((p) => p.downloads.recent));
      break;
    case "inserted_at":
      found.sort(desc((p) => p.insertedAt));
      break;
    case "updated_at":
      found.sort(desc((p) => p.updatedAt));
      break;
    default:
      found.sort((a, b) => cmp(a.name, b.name) || cmp(a.repository, b.repository));
  }
  const slice = found.slice((page - 1) * perPage, page * perPage);
  return json(200, slice.map((p) => packageJson(core, ctx, p)));
}

/** The package and release a route names, after read authorization; a 404 otherwise. */
export async function readTarget(
  core: FakeHexCore,
  ctx: Ctx,
): Promise<{ pkg: FakePackage; release?: FakeRelease } | Response> {
  const repo = repoOf(core, ctx);
  if (repo instanceof Response) return repo;
  const denied = await authorizeRead(core, ctx, repo);
  if (denied) return denied;
  const pkg = core.package(ctx.pathParams.name, repo);
  if (!pkg) return errorResponse(404);
  const version = ctx.pathParams.version;
  if (version === undefined) return { pkg };
  if (!parseVersion(version)) return errorResponse(400, `invalid version: ${version}`);
  const release = pkg.releases.find((r) => r.version === version);
  return release ? { pkg, release } : errorResponse(404);
}

/** The package and release a write route names, after write authorization. */
export async function writeTarget(
  core: FakeHexCore,
  ctx: Ctx,
  options: { level: OwnerLevel; domain: "api" | "package"; anonymous: 401 | 403 },
): Promise<{ pkg: FakePackage; release?: FakeRelease } | Response> {
  const repo = repoOf(core, ctx);
  if (repo instanceof Response) return repo;
  const denied = await authorizeWrite(core, ctx, repo, ctx.pathParams.name, options);
  if (denied) return denied;
  const pkg = core.package(ctx.pathParams.name, repo);
  if (!pkg) return errorResponse(404);
  const version = ctx.pathParams.version;
  if (version === undefined) return { pkg };
  const release = pkg.releases.find((r) => r.version === version);
  return release ? { pkg, release } : errorResponse(404);
}

async function getPackage(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await readTarget(core, ctx);
  if (target instanceof Response) return target;
  return json(200, packageJson(core, ctx, target.pkg));
}

async function getRelease(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await readTarget(core, ctx);
  if (target instanceof Response) return target;
  return json(200, releaseJson(core, ctx, target.pkg, target.release!));
}

async function revertRelease(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const target = await writeTarget(core, ctx, {
    level: "maintainer",
    domain: "package",
    anonymous: 401,
  });
  if (target instanceof Response) return target;
  const { pkg, release } = target as { pkg: FakePackage; release: FakeRelease };
  if (!editable(core, pkg, release)) {
    return errorResponse(422, undefined, {
      inserted_at: "can only delete a release up to one hour after publication",
    });
  }
  if (pkg.releases.length === 1) {
    const depended = [...core.packages.values()].some((other) =>
      other !== pkg &&
      other.releases.some((r) =>
        r.requirements.some((x) => x.name === pkg.name && x.repository === pkg.repository)
      )
    );
    if (depended) {
      return errorResponse(422, undefined, {
        name: "you cannot delete this package because other packages depend on it",
      });
    }
  }
  pkg.releases = pkg.releases.filter((r) => r !== release);
  core.audit(ctx, "release.revert", releaseAuditParams(pkg, release), repoOrg(pkg));
  if (pkg.releases.length === 0) core.packages.delete(`${pkg.repository}/${pkg.name}`);
  else pkg.updatedAt = core.now();
  return new Response(null, { status: 204 });
}

/** ReleaseView "show". */
function releaseJson(
  core: FakeHexCore,
  ctx: Ctx,
  pkg: FakePackage,
  release: FakeRelease,
): Record<string, unknown> {
  const urls = packageUrls(ctx.origin, pkg);
  const requirements = [...release.requirements].sort((a, b) =>
    cmp(a.repository, b.repository) || cmp(a.name, b.name)
  );
  return {
    version: release.version,
    checksum: release.checksum,
    has_docs: release.hasDocs,
    inserted_at: iso(release.insertedAt),
    updated_at: iso(release.updatedAt),
    retirement: release.retirement && {
      reason: release.retirement.reason,
      message: release.retirement.message,
    },
    package_url: urls.api,
    url: `${urls.api}/releases/${release.version}`,
    html_url: `${urls.html}/${release.version}`,
    docs_html_url: release.hasDocs ? `${urls.docs}/${release.version}/` : null,
    requirements: Object.fromEntries(requirements.map((r) => [
      r.name,
      { app: r.app, requirement: r.requirement, optional: r.optional },
    ])),
    configs: depSnippets(pkg, release.version),
    meta: { ...release.meta, build_tools: [...release.meta.build_tools] },
    downloads: release.downloads,
    publisher: release.publisher ? minimalUserJson(core, ctx, release.publisher) : null,
  };
}

/** PackageView "show", with releases (newest first), retirements, owners and downloads. */
function packageJson(core: FakeHexCore, ctx: Ctx, pkg: FakePackage): Record<string, unknown> {
  const urls = packageUrls(ctx.origin, pkg);
  const releases = sortReleases(pkg.releases);
  const { latest, stable } = latestVersions(pkg.releases);
  return {
    name: pkg.name,
    repository: pkg.repository,
    url: urls.api,
    html_url: urls.html,
    docs_html_url: releases.some((r) => r.hasDocs) ? `${urls.docs}/` : null,
    meta: {
      description: pkg.meta.description,
      licenses: [...pkg.meta.licenses],
      links: { ...pkg.meta.links },
      maintainers: [...pkg.meta.maintainers],
    },
    downloads: { ...pkg.downloads },
    releases: releases.map((r) => ({
      version: r.version,
      url: `${urls.api}/releases/${r.version}`,
      has_docs: r.hasDocs,
      inserted_at: iso(r.insertedAt),
    })),
    retirements: Object.fromEntries(
      releases.filter((r) => r.retirement).map((r) => [
        r.version,
        { reason: r.retirement!.reason, message: r.retirement!.message },
      ]),
    ),
    owners: [...pkg.owners.keys()].sort(cmp).map((o) => minimalUserJson(core, ctx, o)),
    latest_version: latest,
    latest_stable_version: stable,
    configs: latest ? depSnippets(pkg, latest) : {},
    inserted_at: iso(pkg.insertedAt),
    updated_at: iso(pkg.updatedAt),
  };
}

// ---------------------------------------------------------------- routes
