/**
 * FakeHex's repository (outside `/api`, like repo.hex.pm): package tarballs and
 * docs tarballs, the signed registry (`names`, `versions`, `packages/NAME`) and
 * `public_key`, for `hexpm` and for organizations under `/repo/repos/ORG`. The
 * registry is signed with a test key, never hex.pm's.
 *
 * @module
 */

import {
  type FakeAdvisory,
  type FakePackage,
  type FakeRelease,
  sha256HexSync,
  sortReleases,
} from "./_hex_packages.ts";
import {
  ADVISORY_SEVERITY_NAMES,
  type Dependency as RegistryDependency,
  type Release as RegistryRelease,
  retirementReasonCode,
  type SecurityAdvisory,
} from "../../src/registry/messages.ts";
import {
  encodeSignedNames,
  encodeSignedPackage,
  encodeSignedVersions,
} from "../../src/registry/registry_files.ts";
import { generateRepoKeys, importPrivateKey } from "../../src/registry/signing.ts";
import { allows, permissionsOf, userAccess } from "./fake_hex_auth.ts";
import type { Ctx, FakeHexCore, RouteDef } from "./fake_hex_core.ts";
import { cmp, etagMatches, REPO, repoError } from "./fake_hex_http.ts";
import type { RegistryKeys } from "./fake_hex_types.ts";

let sharedRegistryKeys: Promise<RegistryKeys> | undefined;

/** The test process's registry key pair (generated on first use). */
export function testRegistryKeys(): Promise<RegistryKeys> {
  sharedRegistryKeys ??= generateRepoKeys();
  return sharedRegistryKeys;
}

/** The repository routes: tarballs, docs and the registry, public or per organization. */
export function repoFileRoutes(core: FakeHexCore): RouteDef[] {
  const routes: RouteDef[] = [];
  for (const prefix of [REPO, `${REPO}/repos/:repo`]) {
    routes.push(
      {
        method: "GET",
        pattern: `${prefix}/tarballs/:file`,
        run: (ctx) => repoFile(core, ctx, "tarball"),
      },
      { method: "GET", pattern: `${prefix}/docs/:file`, run: (ctx) => repoFile(core, ctx, "docs") },
      { method: "GET", pattern: `${prefix}/names`, run: (ctx) => registryRoute(core, ctx) },
      { method: "GET", pattern: `${prefix}/versions`, run: (ctx) => registryRoute(core, ctx) },
      {
        method: "GET",
        pattern: `${prefix}/packages/:name`,
        run: (ctx) => registryRoute(core, ctx),
      },
    );
  }
  routes.push({
    method: "GET",
    pattern: `${REPO}/public_key`,
    run: async () =>
      new Response((await registryKeys(core)).publicKeyPem, {
        status: 200,
        headers: { "content-type": "text/plain" },
      }),
  });
  return routes.map((r) => ({ ...r, base: "repo" as const }));
}

/** The key pair the registry files are signed with. */
export function registryKeys(core: FakeHexCore): Promise<RegistryKeys> {
  return core.registryKeys ? Promise.resolve(core.registryKeys) : testRegistryKeys();
}

/**
 * The signed registry file the fake serves at `path` under `/repo` (`/names`,
 * `/versions`, `/packages/NAME`, each also under `/repos/ORG`), built from the
 * current packages; `undefined` for a package (or organization) that does not exist.
 * An override set with `setRegistryFile` wins.
 */
export async function registryFile(
  core: FakeHexCore,
  path: string,
): Promise<Uint8Array | undefined> {
  const override = core.registryOverrides.get(path);
  if (override) return override.slice();
  const m = /^(?:\/repos\/([^/]+))?\/(names|versions|packages\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  const repository = m[1] ?? "hexpm";
  if (repository !== "hexpm" && !core.orgs.has(repository)) return undefined;
  const key = await importPrivateKey((await registryKeys(core)).privateKeyPem);
  const packages = [...core.packages.values()]
    .filter((p) => p.repository === repository && p.releases.length > 0)
    .sort((a, b) => cmp(a.name, b.name));
  if (m[2] === "names") {
    return await encodeSignedNames({
      repository,
      packages: packages.map((p) => ({
        name: p.name,
        updatedAt: { seconds: Math.floor(p.updatedAt / 1000), nanos: 0 },
      })),
    }, key);
  }
  if (m[2] === "versions") {
    return await encodeSignedVersions({
      repository,
      packages: packages.map((p) => {
        const releases = [...sortReleases(p.releases)].reverse();
        return {
          name: p.name,
          versions: releases.map((r) => r.version),
          retired: releases.flatMap((r, i) => (r.retirement ? [i] : [])),
          ...withAdvisories(p, releases.map((r) => r.version)),
        };
      }),
    }, key);
  }
  const pkg = packages.find((p) => p.name === m[3]);
  if (!pkg) return undefined;
  const advisories = pkg.advisories ?? [];
  return await encodeSignedPackage({
    name: pkg.name,
    repository,
    releases: [...sortReleases(pkg.releases)].reverse().map((r) => registryRelease(pkg, r)),
    ...(advisories.length > 0 ? { advisories: advisories.map(registryAdvisory) } : {}),
  }, key);
}

/** `with_advisories` of a package's `versions` entry: the indexes of affected versions. */
function withAdvisories(pkg: FakePackage, versions: string[]): { withAdvisories?: number[] } {
  const affected = versions.flatMap((v, i) =>
    (pkg.advisories ?? []).some((a) => a.versions.includes(v)) ? [i] : []
  );
  return affected.length > 0 ? { withAdvisories: affected } : {};
}

/** An advisory as hexpm writes it: osv.dev URLs built from the id. */
function registryAdvisory(a: FakeAdvisory): SecurityAdvisory {
  const id = encodeURI(a.id);
  return {
    id: a.id,
    summary: a.summary,
    htmlUrl: `https://osv.dev/vulnerability/${id}`,
    apiUrl: `https://api.osv.dev/v1/vulns/${id}`,
    aliases: a.aliases ?? [],
    ...(a.severity !== undefined ? { severity: ADVISORY_SEVERITY_NAMES.indexOf(a.severity) } : {}),
    ...(a.cvssScore !== undefined ? { cvssScore: a.cvssScore } : {}),
  };
}

/**
 * Serves `bytes` at `path` under `/repo` instead of the signed file (a tampered,
 * foreign or wrongly named registry file); `null` goes back to the real one.
 */
export function setRegistryFile(core: FakeHexCore, path: string, bytes: Uint8Array | null): void {
  if (bytes === null) core.registryOverrides.delete(path);
  else core.registryOverrides.set(path, bytes.slice());
}

/**
 * Whether the request may read repository `repo`: always for `hexpm`; for an
 * organization, a credential allowing `repository:ORG` (401 without one, 403 without
 * access or with billing off, 404 for no such organization).
 */
function repoAccess(core: FakeHexCore, ctx: Ctx, repo: string): Response | undefined {
  if (repo === "hexpm") return undefined;
  const org = core.orgs.get(repo);
  if (!org) return repoError(404);
  const p = ctx.principal;
  if (!p) return repoError(401);
  const access = userAccess(
    core,
    { user: p.user, org: p.kind === "key" ? p.org : undefined },
    "repository",
    repo,
  );
  if (!allows(permissionsOf(p), "repository", repo) || !access.ok) {
    return repoError(403);
  }
  if (!org.billingActive) return repoError(403);
  return undefined;
}

/**
 * `GET /repo[/repos/ORG]/names`, `/versions` and `/packages/NAME`: the signed
 * registry (gzip, as repo.hex.pm stores it, without `content-encoding`), with an
 * `ETag` and `If-None-Match`. An override from `setRegistryFile` is served as is.
 */
async function registryRoute(core: FakeHexCore, ctx: Ctx): Promise<Response> {
  const denied = repoAccess(core, ctx, ctx.pathParams.repo ?? "hexpm");
  if (denied) return denied;
  const bytes = await registryFile(core, ctx.path.slice(REPO.length));
  if (!bytes) return repoError(404);
  const headers = {
    etag: `"${sha256HexSync(bytes).slice(0, 32)}"`,
    "cache-control": ctx.pathParams.repo ? "private, max-age=3600" : "public, max-age=3600",
    "content-type": "application/octet-stream",
  };
  if (etagMatches(ctx.req, headers.etag)) return new Response(null, { status: 304, headers });
  return new Response(bytes.slice(), { status: 200, headers });
}

/**
 * `GET /repo[/repos/ORG]/tarballs/NAME-VERSION.tar` and `.../docs/NAME-VERSION.tar.gz`:
 * the stored bytes with an `ETag` (rebar3 needs one) and `If-None-Match` support. An
 * organization's files need a credential allowing `repository:ORG` (401 without one,
 * 403 without access).
 */
function repoFile(core: FakeHexCore, ctx: Ctx, kind: "tarball" | "docs"): Response {
  const repo = ctx.pathParams.repo ?? "hexpm";
  const denied = repoAccess(core, ctx, repo);
  if (denied) return denied;
  const m =
    (kind === "tarball" ? /^([a-z][a-z0-9_]*)-(.+)\.tar$/ : /^([a-z][a-z0-9_]*)-(.+)\.tar\.gz$/)
      .exec(ctx.pathParams.file);
  const release = m ? core.release(m[1], m[2], repo) : undefined;
  const bytes = kind === "tarball" ? release?.tarball : release?.docs;
  if (!release || !bytes) return repoError(404);
  const headers = {
    etag: `"${kind === "tarball" ? release.checksum : sha256HexSync(bytes)}"`,
    "cache-control": repo === "hexpm" ? "public, max-age=604800" : "private, max-age=86400",
    "content-type": kind === "tarball" ? "application/octet-stream" : "application/gzip",
  };
  if (etagMatches(ctx.req, headers.etag)) return new Response(null, { status: 304, headers });
  return new Response(bytes.slice(), { status: 200, headers });
}

// ---- OAuth

/** A release as hex.pm's registry builder writes it (registry_builder.ex). */
function registryRelease(pkg: FakePackage, r: FakeRelease): RegistryRelease {
  const dependencies: RegistryDependency[] = [...r.requirements]
    .sort((a, b) => cmp(a.name, b.name))
    .map((d) => ({
      package: d.name,
      requirement: d.requirement || ">= 0.0.0",
      ...(d.optional ? { optional: true } : {}),
      ...(d.app !== d.name ? { app: d.app } : {}),
      ...(d.repository !== pkg.repository ? { repository: d.repository } : {}),
    }));
  const out: RegistryRelease = {
    version: r.version,
    // A seeded tarball of arbitrary bytes has no CHECKSUM to tell.
    innerChecksum: /^[0-9a-fA-F]{64}$/.test(r.innerChecksum)
      ? hexBytes(r.innerChecksum)
      : new Uint8Array(32),
    outerChecksum: hexBytes(r.checksum),
    dependencies,
    publishedAt: { seconds: Math.floor(r.insertedAt / 1000), nanos: 0 },
  };
  const advisoryIndexes = (pkg.advisories ?? []).flatMap((a, i) =>
    a.versions.includes(r.version) ? [i] : []
  );
  if (advisoryIndexes.length > 0) out.advisoryIndexes = advisoryIndexes;
  if (r.retirement) {
    out.retired = {
      reason: retirementReasonCode(r.retirement.reason) ?? 0,
      ...(r.retirement.message ? { message: r.retirement.message } : {}),
    };
  }
  return out;
}

/** Hex text to bytes. */
function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
