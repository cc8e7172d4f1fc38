/**
 * hexpub's own configuration file, `config.json` beside the credential store:
 * repositories for people who do not keep them in a rebar.config.
 *
 * ```json
 * { "repos": [{ "name": "mine", "api_url": "https://hex.example.com/api",
 *               "repo_url": "https://hex.example.com", "repo_public_key": "-----BEGIN…" }] }
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import type { Fs } from "../ports.ts";
import { withFileLock } from "../io/file_lock.ts";
import type { RepoConfig } from "./repos.ts";

/** The file name, inside the config directory. */
export const CONFIG_FILE = "config.json";

const STRING_FIELDS: Record<string, keyof RepoConfig> = {
  api_url: "apiUrl",
  repo_url: "repoUrl",
  api_key: "apiKey",
  repo_key: "repoKey",
  repo_public_key: "repoPublicKey",
  oauth_client_id: "oauthClientId",
  mirror_of: "mirrorOf",
};

/**
 * Reads the repositories of `DIR/config.json`; none when the file does not exist.
 *
 * @throws {UsageError} Naming the file and field, for JSON or fields that are wrong.
 */
export async function readHexpubRepos(fs: Fs, dir: string): Promise<RepoConfig[]> {
  const file = join(dir, CONFIG_FILE);
  if (!(await fs.lstat(file))) return [];
  const bad = (what: string) =>
    new UsageError(`${file}: ${what}`, {
      hint:
        `It holds {"repos": [{"name": "mine", "api_url": "https://…/api", "repo_url": "https://…"}]}`,
    });
  let json: unknown;
  try {
    json = JSON.parse(await fs.readTextFile(file));
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  const repos = (json as { repos?: unknown })?.repos;
  if (repos === undefined) return [];
  if (!Array.isArray(repos)) throw bad(`"repos" must be a list`);
  return repos.map((r, i) => {
    if (typeof r !== "object" || r === null || typeof (r as { name?: unknown }).name !== "string") {
      throw bad(`repos[${i}] needs a "name"`);
    }
    const out: Record<string, unknown> = {
      name: (r as { name: string }).name,
      apiUrl: "",
      repoUrl: "",
    };
    for (const [key, value] of Object.entries(r)) {
      if (key === "name") continue;
      if (key === "repo_verify" || key === "repo_verify_origin") {
        if (typeof value !== "boolean") throw bad(`repos[${i}].${key} must be true or false`);
        out[key === "repo_verify" ? "verify" : "verifyOrigin"] = value;
        continue;
      }
      const field = STRING_FIELDS[key];
      if (!field) throw bad(`repos[${i}] has an unknown field "${key}"`);
      if (typeof value !== "string") throw bad(`repos[${i}].${key} must be a string`);
      out[field] = key.endsWith("_url") ? value.replace(/\/+$/, "") : value;
    }
    return { verify: true, verifyOrigin: true, ...out } as RepoConfig;
  });
}

/** One repository as written in `config.json` (snake_case keys, as in rebar.config). */
export type RawRepoEntry = { name: string } & Record<string, string | boolean>;

/**
 * Changes the repository list of `DIR/config.json` under a lock: reads it
 * (checking it as {@link readHexpubRepos} does), lets `change` edit the raw
 * entries, and writes it back through a temporary file (mode 0600, as it may
 * hold keys). Other top-level keys are kept.
 *
 * @returns What `change` returned.
 * @throws {UsageError} For a file that is not valid.
 */
export async function updateHexpubRepos<T>(
  fs: Fs,
  dir: string,
  change: (repos: RawRepoEntry[]) => T,
): Promise<T> {
  await fs.mkdir(dir);
  const file = join(dir, CONFIG_FILE);
  return await withFileLock(fs, `${file}.lock`, async () => {
    await readHexpubRepos(fs, dir); // refuses a broken file before touching it
    const json: Record<string, unknown> = (await fs.lstat(file))
      ? JSON.parse(await fs.readTextFile(file)) ?? {}
      : {};
    const repos = (json.repos ?? []) as RawRepoEntry[];
    const result = change(repos);
    json.repos = repos;
    await fs.writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"), {
      mode: 0o600,
    });
    return result;
  });
}
