/**
 * Selecting the repository a command works on (`-r`, both rebar.config files,
 * hexpub's config.json, the run's settings) and opening a `Session` for it.
 * Every command selects its repository here ({@link selectRepository}): the
 * ones that talk to an API through {@link openSession}, the registry reads
 * (`info`, `fetch`, `verify`, dependencies) without requiring an API.
 *
 * Settings (`HEX_API_URL`, `HEX_OTP`, `HEX_HTTP_TIMEOUT`, …) come from
 * `deps.settings`, resolved once by the command layer; nothing here reads them
 * from the environment.
 *
 * The session says once what kind of repository it is (`kind`): a Hex HTTP
 * API (`"api"`), or the built-in `local` directory (`"local"`). Use cases pick
 * their backend from that value instead of testing the API URL themselves.
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import { VERSION } from "../../version.ts";
import type { ApiTarget } from "../../hex/api_config.ts";
import { userAgent } from "../../hex/user_agent.ts";
import { configDir, credentialsPath } from "../../config/config_paths.ts";
import { CONFIG_FILE, readHexpubRepos } from "../../config/hexpub_config.ts";
import { LOCAL_API, type RepoConfig, resolveRepos, selectRepo } from "../../config/repos.ts";
import { HEXPM_API_URL, type Settings } from "../../config/settings.ts";
import { consultFile } from "../../project/consult.ts";

/** What a session talks to: a Hex HTTP API, or the built-in `local` directory. */
export type RepoKind = "api" | "local";

/** A selected repository and how to reach it. */
export interface Session {
  repo: RepoConfig;
  /** The kind of repository, decided once when the session is opened. */
  kind: RepoKind;
  target: ApiTarget;
  /** The API target of the parent repository (the user's account), for org repos. */
  accountTarget: ApiTarget;
  userAgent: string;
  storePath: string;
  /**
   * Store entry of the selected repository, and of the account it belongs to
   * (its parent for `hexpm:ORG`). Entries are keyed by repository and API URL,
   * so a credential is only ever sent to the API it was obtained from.
   */
  entry: string;
  accountEntry: string;
  clientId: string;
  /** A TOTP code given with --otp. */
  otp?: string;
  /** Per-request time limit (HEX_HTTP_TIMEOUT seconds), or the default. */
  timeoutMs?: number;
}

/** The built-in file-backed repository's name, and the API URL that marks it. */
export const LOCAL_REPO = "local";
export { LOCAL_API };

/** The kind of a configured repository: its API URL marks the built-in directory. */
export function repoKind(repo: RepoConfig): RepoKind {
  return repo.apiUrl === LOCAL_API ? "local" : "api";
}

/** Whether a session publishes into the built-in `local` directory repository. */
export const isLocal = (s: Session): boolean => s.kind === "local";

/** The rebar.config files rebar3 reads: the project's and the global one. */
export async function rebarConfigs(deps: Deps) {
  const project = await consultFile(deps, join(deps.cwd, "rebar.config")).catch(() => undefined);
  const home = deps.settings.get("rebarGlobalConfigDir") || deps.env.HOME || deps.env.USERPROFILE;
  const global = home
    ? await consultFile(deps, join(home, ".config", "rebar3", "rebar.config")).catch(() =>
      undefined
    )
    : undefined;
  return { project, global };
}

/**
 * Every repository hexpub knows for this run: both rebar.config files, hexpub's
 * own config.json, hexpm, and the built-in `local` when `requested` names it.
 *
 * @throws {UsageError} For config files that cannot be read.
 */
export async function knownRepos(deps: Deps, requested?: string): Promise<RepoConfig[]> {
  const { project, global } = await rebarConfigs(deps);
  const hexpubRepos = await readHexpubRepos(deps.fs, configDir(deps.env, deps.host.platform));
  const repos = resolveRepos({
    projectConfig: project?.terms,
    globalConfig: global?.terms,
    hexpubRepos,
    settings: deps.settings,
    files: {
      project: project?.file,
      global: global?.file,
      hexpub: join(configDir(deps.env, deps.host.platform), CONFIG_FILE),
    },
  });
  // The built-in `local` repository: a directory, no server, always there.
  if (requested === LOCAL_REPO && !repos.some((r) => r.name === LOCAL_REPO)) {
    // HEX_UNSAFE_REGISTRY and HEX_NO_VERIFY_REPO_ORIGIN apply here too.
    repos.push({
      name: LOCAL_REPO,
      apiUrl: LOCAL_API,
      repoUrl: "",
      verify: !deps.settings.get("unsafeRegistry"),
      verifyOrigin: !deps.settings.get("noVerifyRepoOrigin"),
    });
  }
  return repos;
}

/** hexpub's User-Agent for this run. */
export function runUserAgent(deps: Deps): string {
  return userAgent({
    version: VERSION,
    denoVersion: deps.host.denoVersion,
    os: deps.host.platform,
    ci: !!deps.env.CI && deps.env.CI !== "false",
  });
}

/**
 * Why `command` cannot run on the local repository, or undefined when it can.
 * The local repository is a directory: only publishing, reverting and retiring
 * (and reading, with info and fetch) make sense there; it has no users, so no
 * owners either.
 */
function localRefusal(command: string): UsageError | undefined {
  if (["publish", "cut", "retire"].includes(command)) return undefined;
  if (command.startsWith("owner")) {
    return new UsageError("the local repository has no owners", {
      hint: "It is a directory on this machine: whoever can write to it can publish. " +
        "For owners, serve a repository with `hexpub serve` and use `-r` with its name",
    });
  }
  return new UsageError(`\`${command}\` does not work on the local repository`, {
    hint: "It is a directory with no API or accounts: read it with `hexpub info` or " +
      "`hexpub fetch` -r local, or run `hexpub serve` to serve it",
  });
}

/**
 * The repository `-r` names (hexpm without it), from every repository hexpub
 * knows for this run, with the run's settings applied: the one selection path
 * of every command.
 *
 * @param deps Ports and settings.
 * @param options `-r`, the command for messages, and whether a repository
 *   without an API (a fetch-only mirror) is refused (default true).
 * @returns The repository and the list it was selected from.
 * @throws {UsageError} For an unknown or ambiguous `-r`, or a missing API.
 */
export async function selectRepository(
  deps: Deps,
  options: { repo?: string; command: string; requireApi?: boolean },
): Promise<{ repo: RepoConfig; repos: RepoConfig[] }> {
  const repos = await knownRepos(deps, options.repo);
  const repo = selectRepo(repos, options.repo, {
    command: options.command,
    settings: deps.settings,
    requireApi: options.requireApi,
  });
  return { repo, repos };
}

/**
 * Selects the repository for a command and prepares its session.
 *
 * @throws {UsageError} For an unknown or ambiguous `-r`, or a command the
 *   local repository cannot do.
 */
export async function openSession(
  deps: Deps,
  options: { repo?: string; otp?: string; command: string },
): Promise<Session> {
  const { repo, repos } = await selectRepository(deps, options);
  for (const d of repo.droppedSecrets ?? []) {
    if (d.field === "apiKey") deps.out.warn(`warning: ${d.reason}`);
  }
  const kind = repoKind(repo);
  if (kind === "local") {
    const refused = localRefusal(options.command);
    if (refused) throw refused;
  }
  // The account (user) side of an org repo is its parent, with the same env overrides.
  const accountRepo = repo.parent
    ? selectRepo(repos, repo.parent, { command: options.command, settings: deps.settings })
    : repo;
  return {
    repo,
    kind,
    target: { apiUrl: repo.apiUrl, repo: repo.organization },
    accountTarget: { apiUrl: accountRepo.apiUrl },
    userAgent: runUserAgent(deps),
    storePath: credentialsPath(deps.env, deps.host.platform),
    entry: storeEntry(repo.name, repo.apiUrl),
    accountEntry: storeEntry(accountRepo.name, accountRepo.apiUrl),
    clientId: repo.oauthClientId ?? deps.settings.get("oauthClientId"),
    // A flag given to the command wins over HEX_OTP.
    otp: options.otp ?? deps.settings.get("otp"),
    timeoutMs: httpTimeout(deps.settings),
  };
}

/**
 * The store entry name of a repository at an API URL: the plain name for
 * hex.pm's own API, else `NAME@URL`. A project's rebar.config that points
 * `hexpm` elsewhere therefore finds no stored hex.pm credentials to send there.
 */
export function storeEntry(name: string, apiUrl: string): string {
  return apiUrl === HEXPM_API_URL ? name : `${name}@${apiUrl}`;
}

/**
 * HEX_HTTP_TIMEOUT (seconds) as milliseconds, or `undefined` when it is not set
 * (`send`'s own default applies).
 *
 * @throws {UsageError} When it is not a positive number.
 */
export function httpTimeout(settings: Settings): number | undefined {
  const seconds = settings.source("httpTimeout")?.value;
  return seconds === undefined ? undefined : seconds * 1000;
}
