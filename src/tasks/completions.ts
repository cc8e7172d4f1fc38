/**
 * `hexpub completions --list-repos [KIND]`: the repository names a shell
 * completes after `-r`, `repo remove` or `organization …`, read from local
 * files only (no network, no password, no rebar.config script run at each key
 * press).
 *
 * @module
 */
import { credentialsPath } from "../config/config_paths.ts";
import { loadStore, repoNames } from "../config/credential_store.ts";
import { HEXPM } from "../config/repos.ts";
import type { Deps } from "../ports.ts";
import { listRepos } from "./repo.ts";
import { LOCAL_REPO } from "./session.ts";

/**
 * Which repository names to list: `all` (what `-r` takes), `removable` (what
 * `repo remove` takes: added with `repo add`), `orgs` (what `organization …`
 * takes: `hexpm:ORG`).
 */
export const REPO_LISTS = ["all", "removable", "orgs"] as const;
/** One of {@link REPO_LISTS}. */
export type RepoList = typeof REPO_LISTS[number];

/** An organization of hex.pm, as `organization auth` names its store entry. */
const ORG = /^hexpm:[a-z0-9_]+$/;

/** The names the credential store holds an entry for (`NAME@URL` counts as `NAME`). */
async function storeNames(deps: Deps): Promise<string[]> {
  try {
    const store = await loadStore(deps, credentialsPath(deps.env, deps.host.platform));
    return repoNames(store).map((entry) => entry.split("@")[0]).filter((n) => n !== "");
  } catch {
    // No store, or one that cannot be read: the other names still complete.
    return [];
  }
}

/**
 * The repository names hexpub knows without asking anyone, sorted. `all`: the
 * built-in `hexpm` and `local`, those added with `repo add` (config.json), and
 * those the credential store holds an entry for (`hexpm:ORG` after
 * `organization auth`; an entry for another API URL is kept as `NAME@URL`, of
 * which the name is taken). `removable`: those of config.json only. `orgs`:
 * the `hexpm:ORG` entries of the store only. A file that cannot be read adds
 * nothing: a completion never fails.
 */
export async function completionRepos(deps: Deps, which: RepoList = "all"): Promise<string[]> {
  const names = new Set<string>();
  if (which === "all") [HEXPM, LOCAL_REPO].forEach((n) => names.add(n));
  if (which !== "orgs") {
    for (const r of await listRepos(deps).catch(() => [])) names.add(r.name);
  }
  if (which !== "removable") {
    for (const n of await storeNames(deps)) if (which === "all" || ORG.test(n)) names.add(n);
  }
  return [...names].sort();
}
