/**
 * A connection to one Hex repository: which repository (`-r`, rebar3 and
 * hexpub config, environment), which credential (in hex_cli_auth's order), and
 * one call helper that refreshes OAuth tokens and asks for TOTP codes.
 *
 * Credential order: `HEX_API_KEY` or a configured `api_key`; hexpub's store
 * (an API key, or OAuth tokens refreshed 5 minutes before expiry); rebar3's
 * `hex.config` (rebar3_hex's keys, rebar3's OAuth token). Organization repos
 * fall back to their parent's (the user's) credentials, as rebar3 does.
 *
 * @module
 */
import { join } from "node:path";
import { AuthError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { VERSION } from "../version.ts";
import type { ApiTarget, Credential } from "../hex/api_config.ts";
import { HexApiError, TotpRequiredError } from "../hex/api_errors.ts";
import {
  missingScopeHint,
  scopeAllows,
  type ScopeNeed,
  scopesFor,
  splitScopeString,
} from "../hex/scopes.ts";
import { buildRefreshRequest, parseTokenResponse } from "../hex/oauth.ts";
import { send } from "../hex/send.ts";
import { userAgent } from "../hex/user_agent.ts";
import { configDir, credentialsPath } from "../config/config_paths.ts";
import { CONFIG_FILE, readHexpubRepos } from "../config/hexpub_config.ts";
import {
  createKey,
  type CredentialStore,
  getAccessToken,
  getApiKey,
  getOAuth,
  hasPassword,
  loadStore,
  setOAuth,
  type StoreKey,
  unlock,
  updateStore,
  WrongPasswordError,
} from "../config/credential_store.ts";
import { decryptLegacyWriteKey, readRebar3HexConfig } from "../config/rebar3_credentials.ts";
import { rebar3HexConfigPath } from "../config/config_paths.ts";
import { LOCAL_API, type RepoConfig, resolveRepos, selectRepo } from "../config/repos.ts";
import { HEXPM_API_URL, readSetting, REBAR3_OAUTH_CLIENT_ID } from "../config/settings.ts";
import { consultFile } from "../project/consult.ts";

/** A selected repository and how to reach it. */
export interface Session {
  repo: RepoConfig;
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

/** Whether a session publishes into the built-in `local` directory repository. */
export const isLocal = (s: Session) => s.repo.apiUrl === LOCAL_API;

/** Refresh OAuth access tokens this long before they expire. */
const REFRESH_MARGIN_S = 300;

/** The rebar.config files rebar3 reads: the project's and the global one. */
export async function rebarConfigs(deps: Deps) {
  const project = await consultFile(deps, join(deps.cwd, "rebar.config")).catch(() => undefined);
  const home = deps.env.REBAR_GLOBAL_CONFIG_DIR || deps.env.HOME || deps.env.USERPROFILE;
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
    env: deps.env,
    files: {
      project: project?.file,
      global: global?.file,
      hexpub: join(configDir(deps.env, deps.host.platform), CONFIG_FILE),
    },
  });
  // The built-in `local` repository: a directory, no server, always there.
  if (requested === LOCAL_REPO && !repos.some((r) => r.name === LOCAL_REPO)) {
    // HEX_UNSAFE_REGISTRY and HEX_NO_VERIFY_REPO_ORIGIN apply here too.
    const unsafe = readSetting("unsafeRegistry", { env: deps.env });
    const noOrigin = readSetting("noVerifyRepoOrigin", { env: deps.env });
    repos.push({
      name: LOCAL_REPO,
      apiUrl: LOCAL_API,
      repoUrl: "",
      verify: !unsafe?.value,
      verifyOrigin: !noOrigin?.value,
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
 * Selects the repository for a command and prepares its session.
 *
 * @throws {UsageError} For an unknown or ambiguous `-r`.
 */
export async function openSession(
  deps: Deps,
  options: { repo?: string; otp?: string; command: string },
): Promise<Session> {
  const repos = await knownRepos(deps, options.repo);
  const repo = selectRepo(repos, options.repo, { command: options.command, env: deps.env });
  for (const d of repo.droppedSecrets ?? []) {
    if (d.field === "apiKey") deps.out.warn(`warning: ${d.reason}`);
  }
  // The local repository is a directory: only publishing, reverting and
  // retiring (and reading, with info and fetch) make sense there.
  if (
    repo.apiUrl === LOCAL_API && !["publish", "cut", "retire"].includes(options.command) &&
    !options.command.startsWith("owner")
  ) {
    throw new UsageError(`\`${options.command}\` does not work on the local repository`, {
      hint: "It is a directory with no API or accounts: read it with `hexpub info` or " +
        "`hexpub fetch` -r local, or run `hexpub serve` to serve it",
    });
  }
  // The account (user) side of an org repo is its parent, with the same env overrides.
  const accountRepo = repo.parent
    ? selectRepo(repos, repo.parent, { command: options.command, env: deps.env })
    : repo;
  return {
    repo,
    target: { apiUrl: repo.apiUrl, repo: repo.organization },
    accountTarget: { apiUrl: accountRepo.apiUrl },
    userAgent: runUserAgent(deps),
    storePath: credentialsPath(deps.env, deps.host.platform),
    entry: storeEntry(repo.name, repo.apiUrl),
    accountEntry: storeEntry(accountRepo.name, accountRepo.apiUrl),
    clientId: repo.oauthClientId ?? deps.env.HEXPUB_OAUTH_CLIENT_ID ?? REBAR3_OAUTH_CLIENT_ID,
    otp: options.otp ?? (deps.env.HEX_OTP?.trim() || undefined),
    timeoutMs: httpTimeout(deps.env.HEX_HTTP_TIMEOUT),
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

/** HEX_HTTP_TIMEOUT (seconds) as milliseconds; a value that is not a positive number is refused. */
export function httpTimeout(raw: string | undefined): number | undefined {
  if (!raw?.trim()) return undefined;
  const seconds = Number(raw);
  if (!(seconds > 0)) {
    throw new UsageError(`HEX_HTTP_TIMEOUT must be a positive number of seconds, got "${raw}"`, {
      hint: "Set HEX_HTTP_TIMEOUT=60, or unset it",
    });
  }
  return seconds * 1000;
}

/** Reads the local password: HEXPUB_LOCAL_PASSWORD, else a prompt, else a usage error. */
async function askPassword(deps: Deps, message: string): Promise<string> {
  const fromEnv = deps.env.HEXPUB_LOCAL_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!deps.isTerminal) {
    throw new UsageError("the local password is needed and there is no terminal to ask for it", {
      hint: "Set HEXPUB_LOCAL_PASSWORD (it encrypts the secrets hexpub stores)",
    });
  }
  return await deps.prompt.password(message);
}

/**
 * Opens the store with the local password: three tries at a terminal, one with
 * HEXPUB_LOCAL_PASSWORD. Returns the key and the password that opened it.
 *
 * @throws {WrongPasswordError} After the last wrong try.
 */
export async function unlockWithPassword(
  deps: Deps,
  store: CredentialStore,
): Promise<{ key: StoreKey; password: string }> {
  const tries = deps.env.HEXPUB_LOCAL_PASSWORD ? 1 : 3;
  for (let i = 1;; i++) {
    const password = await askPassword(deps, "Local password:");
    try {
      return { key: await unlock(store, password), password };
    } catch (e) {
      if (!(e instanceof WrongPasswordError) || i >= tries) throw e;
      deps.out.info("Sorry, try again.");
    }
  }
}

/** Opens the store with the local password (see `unlockWithPassword`). */
export async function unlockStore(deps: Deps, store: CredentialStore): Promise<StoreKey> {
  return (await unlockWithPassword(deps, store)).key;
}

/** The store's key: unlocked, or (for an empty store) created from a new password, confirmed. */
export async function storeKey(deps: Deps, store: CredentialStore): Promise<StoreKey> {
  if (hasPassword(store)) return await unlockStore(deps, store);
  const fromEnv = deps.env.HEXPUB_LOCAL_PASSWORD;
  if (fromEnv) return await createKey(fromEnv);
  deps.out.info("Choose a local password: it encrypts the secrets hexpub stores on this machine.");
  for (let i = 1;; i++) {
    const first = await askPassword(deps, "New local password:");
    const second = await askPassword(deps, "New local password (confirm):");
    if (first === second && first.length > 0) return await createKey(first);
    if (i >= 3) {
      throw new UsageError("the passwords did not match (or were empty) three times", {
        hint: "Run the command again, or set HEXPUB_LOCAL_PASSWORD",
      });
    }
    deps.out.info("Passwords do not match or are empty, please try again");
  }
}

/** A credential and where it came from (for messages, never the secret). */
export interface ResolvedCredential {
  credential: Credential;
  source: string;
  /** For OAuth from hexpub's store: the repo entry it belongs to, to refresh it. */
  oauthRepo?: string;
  /** The scopes an OAuth login was granted, when known. */
  granted?: string[];
}

function needAuth(session: Session): AuthError {
  const { repo } = session;
  const hexpm = repo.name === "hexpm" || repo.parent === "hexpm";
  return new AuthError(`not authenticated to ${repo.name}`, {
    hint: hexpm
      ? "Run `hexpub user auth` (or set HEX_API_KEY)"
      // HEX_API_KEY reaches another repository only with HEX_API_URL naming its API.
      : `Run \`hexpub user auth -r ${repo.name} --key KEY\` (or set HEX_API_KEY and ` +
        `HEX_API_URL=${repo.apiUrl}, or api_key in the repository's config)`,
  });
}

/**
 * Finds the credential for a call, refreshing an expiring OAuth token.
 *
 * @param write Whether the call writes (rebar3_hex's read key is not enough then).
 * @throws {AuthError} When nothing is stored for the repository.
 */
export async function resolveCredential(
  deps: Deps,
  session: Session,
  options: { write: boolean; forceRefresh?: boolean },
): Promise<ResolvedCredential> {
  const { repo } = session;
  if (repo.apiKey) return { credential: { kind: "key", secret: repo.apiKey }, source: "api key" };
  const entries = [...new Set([session.entry, session.accountEntry])];

  const store = await loadStore(deps, session.storePath);
  for (const name of entries) {
    const entry = store.repos[name];
    if (!entry) continue;
    if (entry.apiKey) {
      const key = await getApiKey(store, await unlockStore(deps, store), name);
      if (key) return { credential: { kind: "key", secret: key.secret }, source: "stored api key" };
    }
    const access = getAccessToken(store, name);
    if (access) {
      const fresh = access.expiresAt - deps.now() / 1000 > REFRESH_MARGIN_S;
      const token = fresh && !options.forceRefresh
        ? access.accessToken
        : await refresh(deps, session, name, access.accessToken);
      return {
        credential: { kind: "oauth", accessToken: token },
        source: "oauth",
        oauthRepo: name,
        granted: splitScopeString(access.scope),
      };
    }
  }

  // rebar3's own credentials are hex.pm's: use them only for hex.pm (and its
  // organizations) at hex.pm's API, never for a host some rebar.config names.
  const hexpmFamily = repo.name === "hexpm" || repo.parent === "hexpm";
  // hex.pm's API, or the one HEX_API_URL explicitly names (as rebar3 allows).
  const trusted = [
    HEXPM_API_URL,
    (deps.env.HEX_API_URL || deps.env.HEX_API || "").replace(/\/+$/, ""),
  ];
  const atHexpm = trusted.includes(session.target.apiUrl) &&
    trusted.includes(session.accountTarget.apiUrl);
  if (!hexpmFamily || !atHexpm) throw needAuth(session);
  const names = [repo.name, ...(repo.parent ? [repo.parent] : [])];
  const legacyPath = rebar3HexConfigPath(deps.env, deps.host.platform);
  const legacy = legacyPath ? await readRebar3HexConfig(deps.fs, legacyPath) : undefined;
  for (const name of names) {
    const entry = legacy?.repos[name];
    if (!entry) continue;
    const key = entry.apiKey ?? (options.write ? undefined : entry.readKey);
    if (key) return { credential: { kind: "key", secret: key }, source: "rebar3 hex.config" };
    if (entry.writeKey) {
      const tries = deps.env.HEXPUB_LOCAL_PASSWORD ? 1 : 3;
      for (let i = 1;; i++) {
        try {
          const secret = await decryptLegacyWriteKey(
            entry,
            await askPassword(deps, "Local password (rebar3_hex):"),
          );
          return { credential: { kind: "key", secret }, source: "rebar3_hex write key" };
        } catch (e) {
          if (!(e instanceof WrongPasswordError) || i >= tries) throw e;
          deps.out.info("Sorry, try again.");
        }
      }
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
    // Refreshing it would rotate rebar3's refresh token and break rebar3's copy.
    throw new AuthError("rebar3's hex.pm login has expired", {
      hint: "Run `hexpub user auth` (or `rebar3 hex user auth` for rebar3)",
    });
  }
  throw needAuth(session);
}

/**
 * Refreshes the stored OAuth tokens of `name` under the store lock: when another
 * run refreshed them meanwhile (the access token is no longer `stale`), its
 * token is used instead of refreshing again with a rotated-away refresh token.
 */
async function refresh(
  deps: Deps,
  session: Session,
  name: string,
  stale: string,
): Promise<string> {
  const key = await unlockStore(deps, await loadStore(deps, session.storePath));
  let token = "";
  await updateStore(deps, session.storePath, async (current) => {
    const now = getAccessToken(current, name);
    if (now && now.accessToken !== stale && now.expiresAt - deps.now() / 1000 > REFRESH_MARGIN_S) {
      token = now.accessToken;
      return current;
    }
    const tokens = await getOAuth(current, key, name);
    if (!tokens?.refreshToken) {
      throw new AuthError(`the login to ${name} has expired`, { hint: "Run `hexpub user auth`" });
    }
    const req = buildRefreshRequest(session.accountTarget.apiUrl, {
      clientId: tokens.clientId,
      refreshToken: tokens.refreshToken,
      userAgent: session.userAgent,
    });
    let fresh;
    try {
      fresh = await parseTokenResponse(
        await send(deps, req, { idempotent: false, timeoutMs: session.timeoutMs }),
        req,
      );
    } catch (e) {
      redact(e, [tokens.refreshToken]);
      if (e instanceof HexApiError && e.status < 500) {
        throw new AuthError(`the login to ${name} has expired or was revoked`, {
          hint: "Run `hexpub user auth` to log in again",
          cause: e,
        });
      }
      throw e;
    }
    token = fresh.accessToken;
    return await setOAuth(current, key, name, {
      accessToken: fresh.accessToken,
      expiresAt: Math.floor(deps.now() / 1000) + fresh.expiresIn,
      refreshToken: fresh.refreshToken ?? tokens.refreshToken,
      scope: fresh.scope || tokens.scope,
      clientId: tokens.clientId,
    });
  });
  return token;
}

/**
 * Removes secrets that travelled in a request body (refresh tokens, device
 * codes, passwords) from an error the server may have echoed them into.
 */
export function redact(e: unknown, secrets: (string | undefined)[]): void {
  if (!(e instanceof Error)) return;
  const scrub = (text: string): string => {
    let out = text;
    for (const s of secrets) if (s && s.length >= 4) out = out.replaceAll(s, "[REDACTED]");
    return out;
  };
  e.message = scrub(e.message);
  if (e instanceof HexApiError) {
    Object.defineProperty(e, "serverMessage", { value: scrub(e.serverMessage) });
  }
}

/** Asks for a TOTP code, or explains how to give one without a terminal. */
async function askOtp(deps: Deps, reason: "totp_required" | "invalid_totp"): Promise<string> {
  if (!deps.isTerminal) {
    throw new UsageError(
      reason === "invalid_totp"
        ? "the TOTP code was refused"
        : "this write needs a TOTP code (you are logged in with OAuth)",
      { hint: "Pass --otp CODE or set HEX_OTP to the code from your authenticator app" },
    );
  }
  if (reason === "invalid_totp") deps.out.info("That code was refused.");
  return (await deps.prompt.input("TOTP code:")).trim();
}

/** One API call: how to build it and how to read its response. */
export interface Call<T> {
  /** Whether it writes (needs write credentials and, with OAuth, TOTP). */
  write: boolean;
  /** Whether repeating it is harmless (then 429/5xx are retried). */
  idempotent: boolean;
  build(credential: Credential | undefined, otp: string | undefined): Request;
  parse(res: Response, req: Request): Promise<T>;
  /** Calls that need no credential at all. */
  anonymous?: boolean;
  /** Secrets sent in the body, kept out of any error. */
  secrets?: string[];
  /** A time limit for this call instead of the session's (large uploads). */
  timeoutMs?: number;
  /** The scope it needs (default: read or write by `write`), checked before sending. */
  need?: ScopeNeed;
}

/**
 * Makes an authenticated call: refreshes an OAuth token once on a 401, and on a
 * TOTP challenge asks for the code (or takes --otp/HEX_OTP), three tries.
 */
export async function call<T>(deps: Deps, session: Session, c: Call<T>): Promise<T> {
  let resolved = c.anonymous ? undefined : await resolveCredential(deps, session, c);
  // A login narrowed with --scope is refused here, before any request is sent.
  if (resolved?.granted?.length) {
    const need: ScopeNeed = c.need ?? (c.write ? { action: "write" } : { action: "read" });
    if (!scopeAllows(resolved.granted, need)) {
      throw new AuthError(
        `your login does not have the scope this needs (${scopesFor(need).join(" or ")}); ` +
          `it has: ${resolved.granted.join(" ")}`,
        { hint: missingScopeHint(need) },
      );
    }
  }
  let otp = session.otp;
  let refreshed = false;
  for (let otpTries = 0;;) {
    const req = c.build(resolved?.credential, otp);
    const res = await send(deps, req, {
      idempotent: c.idempotent,
      timeoutMs: c.timeoutMs ?? session.timeoutMs,
    });
    try {
      return await c.parse(res, req);
    } catch (e) {
      redact(e, c.secrets ?? []);
      if (e instanceof TotpRequiredError && resolved?.credential.kind === "oauth") {
        if (++otpTries > 3) throw e;
        otp = await askOtp(deps, e.reason);
        continue;
      }
      if (
        e instanceof HexApiError && e.status === 401 && resolved?.oauthRepo && !refreshed
      ) {
        refreshed = true;
        resolved = await resolveCredential(deps, session, { write: c.write, forceRefresh: true });
        continue;
      }
      throw e;
    }
  }
}
