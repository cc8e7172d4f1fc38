/**
 * Packages (hexpm `lib/hexpm_web/controllers/api/release_controller.ex`, `package_controller.ex`; hex_core
 * `hex_api_package.erl`): one package's details, and search.
 *
 * Every path here is repository-scoped: for a `hexpm:ORG` target it goes under
 * `/repos/ORG`. Neither needs a credential for `hexpm`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ApiTarget } from "./api_config.ts";
import {
  asArray,
  asObject,
  booleanField,
  decodeJson,
  type JsonObject,
  optionalString,
  stringField,
} from "./api_errors.ts";
import { decodeRetirement, type Retirement } from "./release.ts";
import { buildApiRequest, type CallOptions, pathSegment } from "./request.ts";
import { compareVersions, parseVersion, type Version } from "../rules/version.ts";

/** A release as a package lists it. */
export interface PackageRelease {
  version: string;
  hasDocs: boolean;
  insertedAt?: string;
}

/** A package, as `GET /packages/NAME` and search return it. */
export interface Package {
  name: string;
  /** `hexpm` or the organization's name. */
  repository: string;
  /** The releases, newest first as the server sends them (reverted ones are gone). */
  releases: PackageRelease[];
  /** Retired releases by version. */
  retirements: Record<string, Retirement>;
  /** The owners, when the server lists them (it does for `GET /packages/NAME`). */
  owners?: { username: string }[];
  /** The highest version, pre-releases included, as the server computes it. */
  latestVersion?: string;
  /** The highest version without a pre-release, as the server computes it. */
  latestStableVersion?: string;
  meta: {
    description?: string;
    licenses: string[];
    links: Record<string, string>;
  };
  downloads: { all?: number; recent?: number; week?: number; day?: number };
  /** The API URL of the package. */
  url?: string;
  /** The package's page on the web site. */
  htmlUrl?: string;
  /** The package's documentation, when it has some. */
  docsHtmlUrl?: string;
}

/** The orders `GET /packages` sorts by (hexpm `Hexpm.Repository.Packages`). */
export const SEARCH_SORTS = [
  "name",
  "recent_downloads",
  "total_downloads",
  "downloads",
  "inserted_at",
  "updated_at",
] as const;

/** One of {@link SEARCH_SORTS}. */
export type SearchSort = typeof SEARCH_SORTS[number];

/** The largest page hex.pm serves. */
const MAX_PER_PAGE = 100;

/** Input of {@link buildSearchRequest}. */
export interface SearchQuery {
  /** Free text, or filters such as `name:cow*`, `depends:hexpm:cowboy`, `build_tool:rebar3`. */
  search: string;
  /**
   * The order, one of {@link SEARCH_SORTS} (anything else makes {@link buildSearchRequest}
   * throw a `UsageError`, so user input can be passed as is); the server's default is `name`.
   */
  sort?: SearchSort | string;
  /** The page, from 1. */
  page?: number;
  /** Packages per page, 1 to {@link MAX_PER_PAGE} (the server's default is 100). */
  perPage?: number;
}

function optionalNumber(obj: JsonObject, key: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`expected "${key}" to be a number`);
  }
  return value;
}

function strings(value: unknown, what: string): string[] {
  return asArray(value, what).map((item) => {
    if (typeof item !== "string") throw new TypeError(`expected ${what} to hold strings`);
    return item;
  });
}

/**
 * Decodes a Package JSON object.
 *
 * @throws {TypeError} For a wrong shape.
 */
function decodePackage(json: unknown): Package {
  const o = asObject(json, "the package");
  const releases = o.releases === undefined || o.releases === null
    ? []
    : asArray(o.releases, '"releases"').map((item) => {
      const r = asObject(item, "a release");
      return {
        version: stringField(r, "version"),
        hasDocs: booleanField(r, "has_docs", false),
        insertedAt: optionalString(r, "inserted_at"),
      };
    });
  const retirements: [string, Retirement][] = [];
  if (o.retirements !== undefined && o.retirements !== null) {
    for (const [version, value] of Object.entries(asObject(o.retirements, '"retirements"'))) {
      const retirement = decodeRetirement(value, `the retirement of "${version}"`);
      if (retirement) retirements.push([version, retirement]);
    }
  }
  const owners = o.owners === undefined || o.owners === null
    ? undefined
    : asArray(o.owners, '"owners"').map((item) => ({
      username: stringField(asObject(item, "an owner"), "username"),
    }));
  const m = o.meta === undefined || o.meta === null ? {} : asObject(o.meta, '"meta"');
  const links: [string, string][] = [];
  if (m.links !== undefined && m.links !== null) {
    for (const [label, url] of Object.entries(asObject(m.links, '"links"'))) {
      if (typeof url !== "string") {
        throw new TypeError(`expected the link "${label}" to be a string`);
      }
      links.push([label, url]);
    }
  }
  const d = o.downloads === undefined || o.downloads === null
    ? {}
    : asObject(o.downloads, '"downloads"');
  return {
    name: stringField(o, "name"),
    repository: optionalString(o, "repository") ?? "hexpm",
    releases,
    // fromEntries defines own properties, so a key named `__proto__` stays data.
    retirements: Object.fromEntries(retirements),
    owners,
    latestVersion: optionalString(o, "latest_version"),
    latestStableVersion: optionalString(o, "latest_stable_version"),
    meta: {
      description: optionalString(m, "description"),
      licenses: m.licenses === undefined || m.licenses === null
        ? []
        : strings(m.licenses, '"licenses"'),
      links: Object.fromEntries(links),
    },
    downloads: {
      all: optionalNumber(d, "all"),
      recent: optionalNumber(d, "recent"),
      week: optionalNumber(d, "week"),
      day: optionalNumber(d, "day"),
    },
    url: optionalString(o, "url"),
    htmlUrl: optionalString(o, "html_url"),
    docsHtmlUrl: optionalString(o, "docs_html_url"),
  };
}

/**
 * `GET /packages/NAME`.
 *
 * @param target The API.
 * @param name The package.
 * @param call User-Agent and optional credential (needed for organizations).
 * @throws {UsageError} For a name that cannot be a path segment.
 */
export function buildGetPackageRequest(
  target: ApiTarget,
  name: string,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "GET",
    path: `/packages/${pathSegment(name)}`,
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildGetPackageRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The package.
 * @throws {HexApiError} For any other status — `status` 404 when there is no such
 * package (or it cannot be seen) — or a malformed body.
 */
export function parseGetPackageResponse(res: Response, req?: Request): Promise<Package> {
  return decodeJson(res, req, [200], decodePackage);
}

/**
 * `GET /packages?search=…&sort=…&page=…&per_page=…`: searches a repository.
 *
 * @param target The API.
 * @param query The search text, order and page.
 * @param call User-Agent and optional credential (needed for organizations).
 * @throws {UsageError} For an unknown order, or a page or page size out of range.
 */
export function buildSearchRequest(
  target: ApiTarget,
  query: SearchQuery,
  call: CallOptions,
): Request {
  if (query.sort !== undefined && !(SEARCH_SORTS as readonly string[]).includes(query.sort)) {
    throw new UsageError(
      `unknown sort order ${JSON.stringify(query.sort)}: expected one of ${
        SEARCH_SORTS.join(", ")
      }`,
      { hint: `Pass one of: ${SEARCH_SORTS.join(", ")}` },
    );
  }
  if (query.page !== undefined && !(Number.isSafeInteger(query.page) && query.page >= 1)) {
    throw new UsageError(`invalid page ${query.page}: pages are numbered from 1`);
  }
  if (
    query.perPage !== undefined &&
    !(Number.isSafeInteger(query.perPage) && query.perPage >= 1 && query.perPage <= MAX_PER_PAGE)
  ) {
    throw new UsageError(
      `invalid page size ${query.perPage}: hex.pm serves 1 to ${MAX_PER_PAGE} packages a page`,
    );
  }
  return buildApiRequest(target, {
    ...call,
    method: "GET",
    path: "/packages",
    query: {
      search: query.search,
      sort: query.sort,
      page: query.page,
      per_page: query.perPage,
    },
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildSearchRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The packages of the page, in the order asked; an empty list past the end.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseSearchResponse(res: Response, req?: Request): Promise<Package[]> {
  return decodeJson(res, req, [200], (json) => asArray(json, "the body").map(decodePackage));
}

/**
 * The highest stable version by SemVer precedence (`1.10.0` above `1.9.0`), for
 * when the server does not say: pre-releases and text that is not a version are
 * left out.
 *
 * @param versions Version texts, in any order.
 * @returns The highest one as written, or `undefined` when none is a stable version.
 */
export function latestStable(versions: readonly string[]): string | undefined {
  let best: { text: string; version: Version } | undefined;
  for (const text of versions) {
    const version = parseVersion(text);
    if (version === undefined || version.pre.length > 0) continue;
    if (best === undefined || compareVersions(version, best.version) > 0) best = { text, version };
  }
  return best?.text;
}
