/**
 * `hexpub completions --list-repos`: the repository names a shell completes
 * after `-r`, read from local files only (no network, no password, no
 * rebar.config script run at each key press).
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
 * The repository names hexpub knows without asking anyone, sorted: the
 * built-in `hexpm` and `local`, those added with `repo add` (config.json),
 * and those the credential store holds an entry for (`hexpm:ORG` after
 * `organization auth`; an entry for another API URL is kept as `NAME@URL`,
 * of which the name is taken). A file that cannot be read adds nothing: a
 * completion never fails.
 */
export async function completionRepos(deps: Deps): Promise<string[]> {
  const names = new Set<string>([HEXPM, LOCAL_REPO]);
  for (const r of await listRepos(deps).catch(() => [])) names.add(r.name);
  try {
    const store = await loadStore(deps, credentialsPath(deps.env, deps.host.platform));
    for (const entry of repoNames(store)) {
      const name = entry.split("@")[0];
      if (name) names.add(name);
    }
  } catch {
    // No store, or one that cannot be read: the other names still complete.
  }
  return [...names].sort();
}
