/**
 * `hexpub search TERM`: packages matching a term, with their latest stable
 * version by SemVer (rebar3_hex compared version strings).
 *
 * @module
 */
import type { Deps } from "../ports.ts";
import { isHexpm } from "../config/repos.ts";
import { buildSearchRequest, latestStable, parseSearchResponse } from "../hex/package.ts";
import { call, openSession } from "./session.ts";

/** One search hit. */
export interface SearchHit {
  name: string;
  version?: string;
  description: string;
  url?: string;
  downloads?: number;
}

/** The sorts hex.pm knows. */
export const SEARCH_SORTS = ["downloads", "recent_downloads", "name", "inserted_at", "updated_at"];

/** Searches a repository; no credentials needed on hexpm. */
export async function search(
  deps: Deps,
  input: { repo?: string; term: string; sort: string; limit: number },
): Promise<SearchHit[]> {
  const session = await openSession(deps, { repo: input.repo, command: "search" });
  const packages = await call(deps, session, {
    write: false,
    idempotent: true,
    anonymous: isHexpm(session.repo),
    build: (credential) =>
      buildSearchRequest(session.target, {
        search: input.term,
        sort: input.sort,
        page: 1,
        perPage: Math.min(input.limit, 100),
      }, { userAgent: session.userAgent, credential }),
    parse: parseSearchResponse,
  });
  return packages.slice(0, input.limit).map((p) => ({
    name: p.name,
    version: latestStable(p.releases.map((r) => r.version)) ?? p.latestStableVersion ??
      p.latestVersion,
    description: p.meta.description ?? "",
    url: p.htmlUrl ?? p.url,
    downloads: p.downloads.all,
  }));
}
