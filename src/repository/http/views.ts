/**
 * The store's answers in hex.pm's JSON shapes (releases, packages, owners,
 * users), with URLs under the server's base URL. Fields a served repository
 * does not keep (`inserted_at`, `downloads`, `docs_html_url`) are null or
 * empty, as hex.pm has them for a package without them.
 *
 * @module
 */
import { parseVersion } from "../../rules/version.ts";
import type { StoredOwner, StoredRetirement } from "../repository_state.ts";
import type { PackageInfo, ReleaseInfo } from "../store_types.ts";

/** The API URL of user `user`. */
export const userUrl = (base: string, user: string): string =>
  `${base}/api/users/${encodeURIComponent(user)}`;

const retirementJson = (r: StoredRetirement | undefined) =>
  r ? { reason: r.reason, message: r.message ?? null } : null;

/** A release, as `GET /api/packages/NAME/releases/VSN` answers it. */
export function releaseJson(base: string, r: ReleaseInfo) {
  const requirements: Record<string, unknown> = {};
  for (const d of r.facts.dependencies) {
    requirements[d.package] = {
      app: d.app ?? d.package,
      requirement: d.requirement,
      optional: d.optional ?? false,
    };
  }
  const url = `${base}/api/packages/${r.name}/releases/${r.version}`;
  return {
    name: r.name,
    version: r.version,
    checksum: r.facts.checksum,
    has_docs: r.hasDocs,
    meta: { app: r.facts.app, build_tools: r.facts.buildTools },
    requirements,
    retirement: retirementJson(r.retirement),
    inserted_at: null,
    url,
    html_url: url,
    package_url: `${base}/api/packages/${r.name}`,
    docs_html_url: null,
  };
}

/** A package, as `GET /api/packages/NAME` (and each search result) answers it. */
export function packageJson(base: string, repository: string, p: PackageInfo) {
  const latest = p.versions[p.versions.length - 1];
  const stable = p.versions.filter((v) => parseVersion(v)!.pre.length === 0);
  const releases = [...p.versions].reverse().map((v) => ({
    version: v,
    has_docs: p.docs.has(v),
    inserted_at: null,
    url: `${base}/api/packages/${p.name}/releases/${v}`,
  }));
  const retirements: Record<string, unknown> = {};
  for (const v of p.versions) {
    if (p.retirements.has(v)) retirements[v] = retirementJson(p.retirements.get(v));
  }
  return {
    name: p.name,
    repository,
    releases,
    retirements,
    owners: p.owners.map((o) => ({ username: o.username, url: userUrl(base, o.username) })),
    latest_version: latest,
    latest_stable_version: stable[stable.length - 1] ?? null,
    meta: {
      description: p.latest.description || null,
      licenses: p.latest.licenses,
      links: p.latest.links,
    },
    downloads: {},
    url: `${base}/api/packages/${p.name}`,
    html_url: `${base}/api/packages/${p.name}`,
    docs_html_url: null,
  };
}

/** An owner, as `GET /api/packages/NAME/owners` lists it. */
export const ownerJson = (base: string, o: StoredOwner) => ({
  username: o.username,
  full_name: null,
  level: o.level,
  url: userUrl(base, o.username),
});

/** A user and the packages they own, as `GET /api/users/NAME` answers. */
export function userJson(base: string, repository: string, user: string, packages: string[]) {
  return {
    username: user,
    full_name: null,
    url: userUrl(base, user),
    packages: packages.map((pkg) => ({
      name: pkg,
      repository,
      url: `${base}/api/packages/${pkg}`,
      html_url: `${base}/api/packages/${pkg}`,
    })),
  };
}
