/**
 * Which credential a call sends, in hex_cli_auth's order:
 *
 * 1. `HEX_API_KEY`, or an `api_key` configured for the repository;
 * 2. hexpub's store: an API key, or OAuth tokens refreshed 5 minutes before
 *    they expire;
 * 3. rebar3's `hex.config` (rebar3_hex's keys, rebar3's OAuth token), for
 *    hex.pm and its organizations at hex.pm's API only.
 *
 * Organization repos fall back to their parent's (the user's) credentials, as
 * rebar3 does, but only for calls to the parent's API: every credential
 * belongs to one API URL (a configured or `HEX_API_KEY` key and the
 * repository's store entry to the repository's, the account's entry to the
 * account's) and is sent only to requests under it. So a project whose
 * rebar.config points `hexpm:ORG` at another `api_url` never receives the
 * hex.pm login (rebar3_hex and hex_core scope credentials per repository the
 * same way).
 *
 * @module
 */
import { AuthError } from "../../errors.ts";
import { isHexpmFamily } from "../../config/repos.ts";
import type { Deps } from "../../ports.ts";
import type { Credential } from "../../hex/api_config.ts";
import { splitScopeString } from "../../hex/scopes.ts";
import { getAccessToken, getApiKey, loadStore } from "../../config/credential_store.ts";
import { decryptLegacyWriteKey, readRebar3HexConfig } from "../../config/rebar3_credentials.ts";
import { rebar3HexConfigPath } from "../../config/config_paths.ts";
import { HEXPM_API_URL } from "../../config/settings.ts";
import { unlockStore, withPasswordTries } from "./local_password.ts";
import { REFRESH_MARGIN_S, refreshOAuth } from "./refresh.ts";
import type { Session } from "./select_repo.ts";

/** A credential and where it came from (for messages, never the secret). */
export interface ResolvedCredential {
  credential: Credential;
  source: string;
  /** For OAuth from hexpub's store: the repo entry it belongs to, to refresh it. */
  oauthRepo?: string;
  /** The scopes an OAuth login was granted, when known. */
  granted?: string[];
}

/** What a lookup needs to know about the call. */
interface Need {
  /** Whether the call writes (rebar3_hex's read key is not enough then). */
  write: boolean;
  /** Refresh a stored OAuth token even when it is not about to expire (after a 401). */
  forceRefresh?: boolean;
  /**
   * The URL the call goes to (default: the repository's API): only a
   * credential belonging to an API URL it is under is sent.
   */
  url?: string;
}

/** Whether `url` is `apiUrl` or a path under it. */
export function underApi(apiUrl: string, url: string): boolean {
  const base = apiUrl.replace(/\/+$/, "");
  return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
}

/**
 * "Not authenticated", with a way to log in to this repository that works.
 *
 * hex.pm (and its organizations at hex.pm's API) take `hexpub user auth` or
 * HEX_API_KEY. Any other API (a custom repository, or a `hexpm:ORG` whose
 * api_url a rebar.config points elsewhere) gets its own stored key: the hint
 * never suggests sending the user's HEX_API_KEY to a URL a (possibly cloned)
 * project chose. When HEX_API_KEY is set but withheld from that API, the
 * message says so, and that naming the API in HEX_API_URL sends it there.
 */
function needAuth(deps: Deps, session: Session): AuthError {
  const { repo } = session;
  // An API named at run time (HEX_API_URL, --api-url) is sent HEX_API_KEY.
  const named = runTimeApiUrl(deps).includes(repo.apiUrl);
  if (isHexpmFamily(repo) && (repo.apiUrl === HEXPM_API_URL || named)) {
    return new AuthError(`not authenticated to ${repo.name}`, {
      hint: "Run `hexpub user auth` (or set HEX_API_KEY)",
    });
  }
  if (named) {
    return new AuthError(`not authenticated to ${repo.name}`, {
      hint: `Run \`hexpub user auth -r ${repo.name} --key-stdin\` with its API key on stdin ` +
        "(or set HEX_API_KEY)",
    });
  }
  // `user auth -r hexpm:ORG` logs in to the parent (hex.pm), so for an
  // organization sent elsewhere only a key beside its api_url works.
  const login = isHexpmFamily(repo)
    ? `set api_key next to that api_url in its entry, or remove the api_url to use your ` +
      "hex.pm login"
    : `store an API key of that server for it with ` +
      `\`hexpub user auth -r ${repo.name} --key-stdin\` (reads the key from stdin), or set ` +
      "api_key in its entry";
  const envKey = deps.settings.source("apiKey");
  if (envKey?.source === "env") {
    return new AuthError(
      `not authenticated to ${repo.name}: ${envKey.origin} is set but withheld from ` +
        `${repo.name} (${repo.apiUrl}); hexpub sends it only to hex.pm's API, or to the API ` +
        "HEX_API_URL names",
      {
        hint: `To log in to ${repo.name}, ${login}. Only if ${envKey.origin} is meant for ` +
          `${repo.apiUrl}, allow it there by running with HEX_API_URL=${repo.apiUrl}`,
      },
    );
  }
  // A hex.pm organization whose api_url a config file points elsewhere.
  const elsewhere = isHexpmFamily(repo)
    ? `: its api_url is not hex.pm's, and hexpub sends your hex.pm login only to ${HEXPM_API_URL}`
    : "";
  return new AuthError(`not authenticated to ${repo.name} (${repo.apiUrl})${elsewhere}`, {
    hint: `To log in, ${login}`,
  });
}

/**
 * Finds the credential for a call, refreshing an expiring OAuth token.
 *
 * @param options.write Whether the call writes (rebar3_hex's read key is not enough then).
 * @throws {AuthError} When nothing is stored for the repository.
 */
export async function resolveCredential(
  deps: Deps,
  session: Session,
  options: Need,
): Promise<ResolvedCredential> {
  const { repo } = session;
  const url = options.url ?? session.target.apiUrl;
  // A configured api_key (or HEX_API_KEY) is the repository's: its API only.
  if (repo.apiKey && underApi(session.target.apiUrl, url)) {
    return { credential: { kind: "key", secret: repo.apiKey }, source: "api key" };
  }
  const found = await fromHexpubStore(deps, session, options) ??
    await fromRebar3(deps, session, options);
  if (!found) throw needAuth(deps, session);
  return found;
}

/** hexpub's store: the repository's entry, then its account's (for `hexpm:ORG`). */
async function fromHexpubStore(
  deps: Deps,
  session: Session,
  options: Need,
): Promise<ResolvedCredential | undefined> {
  const url = options.url ?? session.target.apiUrl;
  // Each entry with the API URL it was created for (its name says which).
  const entries = new Map<string, string>();
  if (underApi(session.target.apiUrl, url)) entries.set(session.entry, session.target.apiUrl);
  if (underApi(session.accountTarget.apiUrl, url)) {
    entries.set(session.accountEntry, session.accountTarget.apiUrl);
  }
  if (entries.size === 0) return undefined;
  const store = await loadStore(deps, session.storePath);
  for (const [name, apiUrl] of entries) {
    const entry = store.repos[name];
    if (!entry) continue;
    if (entry.apiKey) {
      const key = await getApiKey(store, await unlockStore(deps, store), name);
      if (key) return { credential: { kind: "key", secret: key.secret }, source: "stored api key" };
    }
    const access = getAccessToken(store, name);
    // Tokens are refreshed at the account's API: only its own tokens go there.
    if (access && apiUrl === session.accountTarget.apiUrl) {
      const fresh = access.expiresAt - deps.now() / 1000 > REFRESH_MARGIN_S;
      const token = fresh && !options.forceRefresh
        ? access.accessToken
        : await refreshOAuth(deps, session, name, access.accessToken);
      return {
        credential: { kind: "oauth", accessToken: token },
        source: "oauth",
        oauthRepo: name,
        granted: splitScopeString(access.scope),
      };
    }
  }
  return undefined;
}

/** The API URL the run's flags or environment name (`HEX_API_URL`), if any. */
function runTimeApiUrl(deps: Deps): string[] {
  const given = deps.settings.source("apiUrl");
  return given?.source === "env" || given?.source === "flag" ? [given.value] : [];
}

/**
 * rebar3's own credentials. They are hex.pm's: used only for hex.pm (and its
 * organizations) at hex.pm's API, or the API HEX_API_URL explicitly names (as
 * rebar3 allows), never for a host some rebar.config names.
 *
 * @throws {AuthError} When rebar3's OAuth login has expired (refreshing it
 *   would rotate rebar3's refresh token and break rebar3's copy).
 */
async function fromRebar3(
  deps: Deps,
  session: Session,
  options: Need,
): Promise<ResolvedCredential | undefined> {
  const { repo } = session;
  const hexpmFamily = isHexpmFamily(repo);
  const trusted = [
    HEXPM_API_URL,
    // HEX_API_URL (or HEX_API), given at run time: a config file's api_url is not trusted.
    ...runTimeApiUrl(deps),
  ];
  const atHexpm = trusted.includes(session.target.apiUrl) &&
    trusted.includes(session.accountTarget.apiUrl);
  const url = options.url ?? session.target.apiUrl;
  if (!hexpmFamily || !atHexpm || !trusted.some((api) => underApi(api, url))) return undefined;
  const names = [repo.name, ...(repo.parent ? [repo.parent] : [])];
  const legacyPath = rebar3HexConfigPath(deps.env, deps.host.platform);
  const legacy = legacyPath ? await readRebar3HexConfig(deps.fs, legacyPath) : undefined;
  for (const name of names) {
    const entry = legacy?.repos[name];
    if (!entry) continue;
    const key = entry.apiKey ?? (options.write ? undefined : entry.readKey);
    if (key) return { credential: { kind: "key", secret: key }, source: "rebar3 hex.config" };
    if (entry.writeKey) {
      const secret = await withPasswordTries(
        deps,
        "Local password (rebar3_hex):",
        (password) => decryptLegacyWriteKey(entry, password),
      );
      return { credential: { kind: "key", secret }, source: "rebar3_hex write key" };
    }
  }
  const oauth = legacy?.oauth;
  if (oauth?.accessToken) {
    if ((oauth.expiresAt ?? 0) - deps.now() / 1000 > REFRESH_MARGIN_S) {
      return {
        credential: { kind: "oauth", accessToken: oauth.accessToken },
        source: "rebar3 oauth",
      };
    }
    throw new AuthError("rebar3's hex.pm login has expired", {
      hint: "Run `hexpub user auth` (or `rebar3 hex user auth` for rebar3)",
    });
  }
  return undefined;
}
