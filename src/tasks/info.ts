/**
 * `hexpub info PKG [VERSION]`: what a repository's signed registry says about a
 * package (its versions, newest first, with retirements) or about one release
 * (checksum, dependencies, retirement). Every repository works the same way,
 * hex.pm included, and no log-in is needed for public ones: the registry is the
 * source of truth, verified before it is shown.
 *
 * @module
 */
import { HexpubError } from "../errors.ts";
import { hexOf } from "../tarball/checksum.ts";
import { cleanRegistryText } from "../registry/registry_text.ts";
import type { Deps } from "../ports.ts";
import { compareVersions, parseVersion, type Version } from "../rules/version.ts";
import {
  type Package,
  type Release,
  retirementReasonName,
  type Timestamp,
} from "../registry/messages.ts";
import {
  checkLookupName,
  registrySource,
  requirePackageEntry,
  selectReadRepo,
} from "./registry.ts";

/** What to show. */
export interface InfoInput {
  name: string;
  /** One release; without it, the package's versions. */
  version?: string;
  /** `-r`: the repository (default hexpm). */
  repo?: string;
}

/** A retirement, in the API's words. */
export interface InfoRetirement {
  /** `other`, `invalid`, `security`, `deprecated`, `renamed` (or `unknown (N)`). */
  reason: string;
  message?: string;
}

/** One version in a package's list. */
export interface InfoVersion {
  version: string;
  prerelease: boolean;
  dependencies: number;
  retired?: InfoRetirement;
  /** ISO 8601, when the registry records it. */
  publishedAt?: string;
}

/** A dependency of a release. */
export interface InfoDependency {
  package: string;
  requirement: string;
  optional: boolean;
  /** The OTP application, only when it differs from the package name. */
  app?: string;
  /** The dependency's repository, only when it is not the package's own. */
  repository?: string;
}

/** A package and its versions. */
export interface PackageInfo {
  kind: "package";
  name: string;
  /** The repository as configured (`hexpm`, `hexpm:acme`, `local`, …). */
  repository: string;
  /** The newest stable version that is not retired. */
  latestStable?: string;
  /** Newest first. */
  versions: InfoVersion[];
}

/** One release. */
export interface ReleaseInfo {
  kind: "release";
  name: string;
  repository: string;
  version: string;
  /** The outer checksum, lower-case hex (what hex.pm shows and mix.lock/rebar.lock pin). */
  checksum?: string;
  /** The inner checksum, upper-case hex (the tarball's `CHECKSUM`). */
  innerChecksum: string;
  dependencies: InfoDependency[];
  retired?: InfoRetirement;
  publishedAt?: string;
}

/** What `info` found. */
export type InfoResult = PackageInfo | ReleaseInfo;

function isoOf(t: Timestamp | undefined): string | undefined {
  if (!t) return undefined;
  const ms = t.seconds * 1000 + Math.floor(t.nanos / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** A release's retirement in the API's words, or undefined. */
export function retirementOf(r: Release): InfoRetirement | undefined {
  if (!r.retired) return undefined;
  const out: InfoRetirement = { reason: retirementReasonName(r.retired.reason) };
  if (r.retired.message) out.message = r.retired.message;
  return out;
}

/**
 * Releases newest first by SemVer; any text that is not a version goes last.
 *
 * @param releases In any order.
 * @returns A new array.
 */
export function newestFirst<T extends { version: string }>(releases: readonly T[]): T[] {
  const parsed = releases.map((r) => ({ r, v: parseVersion(r.version) }));
  parsed.sort((a, b) => {
    if (a.v && b.v) return compareVersions(b.v, a.v);
    if (a.v || b.v) return a.v ? -1 : 1;
    return a.r.version < b.r.version ? 1 : a.r.version > b.r.version ? -1 : 0;
  });
  return parsed.map((p) => p.r);
}

/** The newest release that is stable and not retired. */
export function latestStableRelease(pkg: Package): Release | undefined {
  return newestFirst(pkg.releases).find((r) => {
    const v = parseVersion(r.version);
    return v !== undefined && v.pre.length === 0 && !r.retired;
  });
}

/**
 * The versions nearest to `wanted` (by SemVer, around where it would sort), newest
 * first, for "no such version" messages.
 *
 * @param pkg The package.
 * @param wanted The version asked for (any text).
 * @param count How many to name.
 * @returns Version texts.
 */
export function nearestVersions(pkg: Package, wanted: string, count = 6): string[] {
  const sorted = newestFirst(pkg.releases).map((r) => r.version);
  if (sorted.length <= count) return sorted;
  const w = parseVersion(wanted);
  if (!w) return sorted.slice(0, count);
  let at = sorted.findIndex((s) => {
    const v: Version | undefined = parseVersion(s);
    return v !== undefined && compareVersions(v, w) < 0;
  });
  if (at < 0) at = sorted.length;
  const start = Math.max(0, Math.min(at - Math.floor(count / 2), sorted.length - count));
  return sorted.slice(start, start + count);
}

/**
 * The error for a version the package does not have, naming the nearest ones.
 *
 * @param pkg The package.
 * @param repo The repository's configured name.
 * @param wanted The version asked for.
 */
export function unknownVersion(pkg: Package, repo: string, wanted: string): HexpubError {
  const near = nearestVersions(pkg, wanted).map(cleanRegistryText);
  const all = pkg.releases.length;
  const name = cleanRegistryText(pkg.name);
  const listed = near.length < all
    ? `versions near it: ${near.join(", ")} (${all} in all: \`hexpub info ${name}${
      repo === "hexpm" ? "" : ` -r ${repo}`
    }\` lists them)`
    : all === 0
    ? "it has no releases"
    : `its versions: ${near.join(", ")}`;
  return new HexpubError(
    `package "${name}" has no version "${wanted}" in repository "${repo}"`,
    { hint: `Pick an existing version; ${listed}` },
  );
}

/** The dependencies of a release, as shown. */
function dependenciesOf(r: Release): InfoDependency[] {
  return [...r.dependencies]
    .sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0))
    .map((d) => {
      const out: InfoDependency = {
        package: d.package,
        requirement: d.requirement,
        optional: d.optional ?? false,
      };
      if (d.app !== undefined && d.app !== d.package) out.app = d.app;
      if (d.repository !== undefined) out.repository = d.repository;
      return out;
    });
}

/**
 * The `info` view of one release of `pkg`.
 *
 * @throws {HexpubError} When `version` is not one of its releases.
 */
export function releaseInfo(pkg: Package, repo: string, version: string): ReleaseInfo {
  const r = pkg.releases.find((x) => x.version === version);
  if (!r) throw unknownVersion(pkg, repo, version);
  const out: ReleaseInfo = {
    kind: "release",
    name: pkg.name,
    repository: repo,
    version: r.version,
    innerChecksum: hexOf(r.innerChecksum).toUpperCase(),
    dependencies: dependenciesOf(r),
  };
  if (r.outerChecksum) out.checksum = hexOf(r.outerChecksum);
  const retired = retirementOf(r);
  if (retired) out.retired = retired;
  const at = isoOf(r.publishedAt);
  if (at) out.publishedAt = at;
  return out;
}

/** The `info` view of a whole package. */
export function packageInfo(pkg: Package, repo: string): PackageInfo {
  return {
    kind: "package",
    name: pkg.name,
    repository: repo,
    latestStable: latestStableRelease(pkg)?.version,
    versions: newestFirst(pkg.releases).map((r) => {
      const v: InfoVersion = {
        version: r.version,
        prerelease: (parseVersion(r.version)?.pre.length ?? 0) > 0,
        dependencies: r.dependencies.length,
      };
      const retired = retirementOf(r);
      if (retired) v.retired = retired;
      const at = isoOf(r.publishedAt);
      if (at) v.publishedAt = at;
      return v;
    }),
  };
}

/**
 * Reads a package's verified registry entry and describes it.
 *
 * @throws {UsageError} For a bad name or `-r`.
 * @throws {HexpubError} When the package or version does not exist.
 * @throws {RegistryError} When the registry file is refused.
 */
export async function info(deps: Deps, input: InfoInput): Promise<InfoResult> {
  checkLookupName(input.name);
  const repo = await selectReadRepo(deps, { repo: input.repo, command: "info" });
  const source = await registrySource(deps, repo, { storedCredentials: true });
  const pkg = await requirePackageEntry(deps, source, input.name);
  return input.version === undefined
    ? packageInfo(pkg, repo.name)
    : releaseInfo(pkg, repo.name, input.version);
}
