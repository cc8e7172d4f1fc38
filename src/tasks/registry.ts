/**
 * Reading a repository's signed registry, for every kind of repository: hex.pm
 * (`hexpm`, with its key built in), its organizations (`hexpm:ORG`, under
 * `/repos/ORG`, signed for `ORG`), custom repositories (their configured
 * `repo_public_key`), and the built-in `local` directory (read from disk, its
 * `public_key` file). Every file is verified before anything in it is used:
 * the signature with the repository's key, the repository name, the package
 * name (hex_core's checks). `HEX_UNSAFE_REGISTRY` and
 * `HEX_NO_VERIFY_REPO_ORIGIN`, already folded into the `RepoConfig`, turn the
 * checks off.
 *
 * Credentials: a repository key (`repo_key`) goes only to the configured
 * repository URL, and requests carrying it never follow redirects. hex.pm's
 * organizations without `repo_key` use the key stored by `hexpub organization
 * auth` (info and fetch only; a dry run asks for nothing), but only when the
 * organization is read from hex.pm's own repository (`https://repo.hex.pm`) or
 * from the URL `HEX_CDN` names: a cloned project's rebar.config can point
 * `rebar_packages_cdn` or a `repo_url` anywhere, and the stored key must not
 * follow it. Nothing is sent to an untrusted mirror (`HEX_MIRROR_URL`), as mix
 * does.
 *
 * When verification is off (`HEX_UNSAFE_REGISTRY`, `repo_verify` false,
 * `repo_verify_origin` false) a warning says so, once per run.
 *
 * @module
 */
import { join } from "node:path";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps, Output } from "../ports.ts";
import { HexApiError } from "../hex/api_errors.ts";
import { buildRegistryRequest, parseRegistryResponse } from "../hex/registry_request.ts";
import { buildRepoTarballRequest, parseRepoTarballResponse } from "../hex/repo_tarball.ts";
import { send } from "../hex/send.ts";
import { HEXPM_PUBLIC_KEY } from "../registry/hexpm_key.ts";
import type { Package } from "../registry/messages.ts";
import { readPackage } from "../registry/registry_files.ts";
import { MAX_UNPACKED_REGISTRY_FILE, RegistryError } from "../registry/signing.ts";
import { credentialsPath, localRepoDir } from "../config/config_paths.ts";
import { privateKeyPath as privateKeyFile } from "../repository/repository_dir.ts";
import { HEXPM, type RepoConfig } from "../config/repos.ts";
import { HEXPM_REPO_URL } from "../config/settings.ts";
import { cleanRegistryText } from "../registry/registry_text.ts";
import {
  httpTimeout,
  repoKind,
  runUserAgent,
  selectRepository,
  storeEntry,
  unlockStore,
} from "./session.ts";
import { getRepo, getRepoKey, loadStore } from "../config/credential_store.ts";

/** Where a repository's registry is read from, and how it is checked. */
export interface RegistrySource {
  /** The repository as configured. */
  repo: RepoConfig;
  /** The repository name signed files must carry (`hexpm`, `ORG` for `hexpm:ORG`, …). */
  repository: string;
  /** The public key (PEM) files are verified with; undefined only when `repo.verify` is off. */
  publicKey?: string;
  /** The directory of a repository read from disk (`local`); undefined for HTTP. */
  dir?: string;
  /** The `User-Agent`. */
  userAgent: string;
  /** Per-request time limit (HEX_HTTP_TIMEOUT), or the default. */
  timeoutMs?: number;
  /** The repository key to send, when there is one and the URL may receive it. */
  repoKey?: string;
  /**
   * Why a key hexpub has was not sent: `mirror`, the URL is an untrusted
   * `HEX_MIRROR_URL`; `repo_url`, a stored organization key and a URL that is
   * neither hex.pm's repository nor `HEX_CDN`.
   */
  keyWithheld?: KeyWithheld;
}

/** Why a repository key was not sent (see {@link RegistrySource.keyWithheld}). */
export type KeyWithheld = "mirror" | "repo_url";

/** The repository key a read may send, or why one was withheld. */
export interface RepoCredential {
  repoKey?: string;
  keyWithheld?: KeyWithheld;
}

/** How hard to try a read (a dry run tries once, briefly). */
export interface ReadOptions {
  /** Re-sends after the first attempt (default: `send`'s). */
  retries?: number;
  /** Time limit per attempt (default: the source's). */
  timeoutMs?: number;
}

/** hex.pm and its organizations (and mirrors of hex.pm) are signed with hex.pm's key. */
function signedByHexpm(repo: RepoConfig): boolean {
  return repo.name === HEXPM || repo.parent === HEXPM || repo.mirrorOf === HEXPM;
}

/**
 * The repository name a repository's signed files carry: the organization for
 * `PARENT:ORG` (hex_core's `repo_organization`), what a mirror mirrors, else the
 * configured name.
 */
function signedRepositoryName(repo: RepoConfig): string {
  return repo.organization ?? repo.mirrorOf ?? repo.name;
}

/** Hex package names (hex.pm: `^[a-z]\w*$`); also what makes a name safe as a file name on disk. */
const PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Refuses a package name that no Hex repository can hold, before any request.
 *
 * @throws {UsageError} Naming the rule.
 */
export function checkLookupName(name: string): void {
  if (!PACKAGE_NAME.test(name)) {
    throw new UsageError(`invalid package name ${JSON.stringify(name)}`, {
      hint: "Hex package names are letters, digits and underscores, starting with a letter",
    });
  }
}

/** The URL the first of `variables` that is set names, in the run's settings. */
function variableUrl(deps: Deps, variables: string[]): string | undefined {
  for (const variable of variables) {
    const given = deps.settings.variable("repoUrl", variable);
    if (given) return given.value;
  }
  return undefined;
}

/**
 * The repository `-r` names, for reading: selected as every command selects
 * it (`selectRepository`: rebar3's and hexpub's configuration, the run's
 * settings, the built-in `local`), except that a repository without an API (a
 * fetch-only mirror) is fine here.
 *
 * @throws {UsageError} For an unknown or ambiguous `-r`.
 */
export async function selectReadRepo(
  deps: Deps,
  options: { repo?: string; command: string },
): Promise<RepoConfig> {
  return (await selectRepository(deps, { ...options, requireApi: false })).repo;
}

/**
 * Where and how to read `repo`'s registry.
 *
 * @param deps Ports.
 * @param repo The repository (from {@link selectReadRepo} or a session).
 * @param options `storedCredentials`: for a hex.pm organization without `repo_key`,
 *   use the key `hexpub organization auth` stored (may ask for the local password).
 * @returns The source.
 * @throws {RegistryError} `missing_public_key` when verification is on and the
 *   repository has no public key, naming how to configure one.
 * @throws {UsageError} When the repository has no `repo_url`.
 */
export async function registrySource(
  deps: Deps,
  repo: RepoConfig,
  options: { storedCredentials?: boolean } = {},
): Promise<RegistrySource> {
  const source: RegistrySource = {
    repo,
    repository: signedRepositoryName(repo),
    userAgent: runUserAgent(deps),
    timeoutMs: httpTimeout(deps.settings),
  };
  if (repoKind(repo) === "local") {
    source.dir = localRepoDir(deps.env, deps.host.platform);
    const keyFile = join(source.dir, "public_key");
    source.publicKey = repo.repoPublicKey ??
      ((await deps.fs.lstat(keyFile)) ? await deps.fs.readTextFile(keyFile) : undefined);
    // An empty local repository has no key yet, and no packages either.
    warnUnverified(deps, repo);
    return source;
  }
  if (repo.repoUrl === "") {
    throw new UsageError(`repository "${repo.name}" has no repo_url`, {
      hint: `Add repo_url => <<"https://…">> to its entry in rebar.config (or hexpub's ` +
        `config.json), or run \`hexpub repo add ${repo.name} URL --public-key FILE\``,
    });
  }
  source.publicKey = repo.repoPublicKey ?? (signedByHexpm(repo) ? HEXPM_PUBLIC_KEY : undefined);
  if (repo.verify && source.publicKey === undefined) {
    throw new RegistryError(
      "missing_public_key",
      `cannot verify the registry of repository "${repo.name}": no public key is configured for it`,
      {
        hint: `Run \`hexpub repo add ${repo.name} ${repo.repoUrl} --public-key FILE\`, or add ` +
          `repo_public_key => <<"-----BEGIN PUBLIC KEY-----…">> to its entry in rebar.config`,
      },
    );
  }
  for (const d of repo.droppedSecrets ?? []) {
    if (d.field === "repoKey") warnOnce(deps, `warning: ${d.reason}`);
  }
  Object.assign(source, await repoCredential(deps, repo, options));
  warnUnverified(deps, repo);
  return source;
}

/** Normalised URL: no trailing slash. */
function bare(url: string): string {
  return url.replace(/\/+$/, "");
}

/**
 * Whether a stored hex.pm organization key may go to `repo`'s URL: hex.pm's
 * own repository, or the URL `HEX_CDN` names (the user's explicit choice, as
 * opposed to a project's `rebar_packages_cdn` or `repo_url`).
 */
function storedKeyMayGo(deps: Deps, repo: RepoConfig): boolean {
  const url = bare(repo.repoUrl);
  if (url === HEXPM_REPO_URL) return true;
  const cdn = variableUrl(deps, ["HEX_CDN"]);
  return cdn !== undefined && url === cdn;
}

/**
 * The repository key a read of `repo` sends, by one rule for every read
 * (info, fetch, the dry run's registry and tarball reads):
 *
 * - a configured `repo_key` goes to the configured URL, except to an untrusted
 *   mirror of hex.pm (`HEX_MIRROR_URL`);
 * - with `storedCredentials`, a hex.pm organization without `repo_key` uses the
 *   key `hexpub organization auth` stored, but only at hex.pm's repository URL or
 *   the one `HEX_CDN` names; anywhere else (a `rebar_packages_cdn` or `repo_url`
 *   from a project's rebar.config) it is withheld.
 *
 * @param deps Ports.
 * @param repo The repository.
 * @param options `storedCredentials`: consider the stored key (opening it may
 *   ask for the local password).
 * @returns The key to send, or why none is sent.
 */
export async function repoCredential(
  deps: Deps,
  repo: RepoConfig,
  options: { storedCredentials?: boolean } = {},
): Promise<RepoCredential> {
  if (repoKind(repo) === "local") return {};
  // HEX_MIRROR_URL names an untrusted mirror of hex.pm: it gets no credentials.
  const mirror = variableUrl(deps, ["HEX_MIRROR_URL", "HEX_MIRROR"]);
  const untrusted = signedByHexpm(repo) && mirror !== undefined && bare(repo.repoUrl) === mirror;
  if (repo.repoKey) return untrusted ? { keyWithheld: "mirror" } : { repoKey: repo.repoKey };
  if (!options.storedCredentials || repo.parent !== HEXPM || !repo.organization) return {};
  if (!untrusted && storedKeyMayGo(deps, repo)) {
    const repoKey = await storedRepoKey(deps, repo);
    return repoKey ? { repoKey } : {};
  }
  if (await hasStoredRepoKey(deps, repo)) return { keyWithheld: untrusted ? "mirror" : "repo_url" };
  return {};
}

/** The warnings already printed, per output (one run), so each is printed once. */
const warned = new WeakMap<Output, Set<string>>();

function warnOnce(deps: Deps, line: string): void {
  let seen = warned.get(deps.out);
  if (!seen) warned.set(deps.out, seen = new Set());
  if (seen.has(line)) return;
  seen.add(line);
  deps.out.warn(line);
}

/**
 * Says, once per run, that a repository's registry is read with checks off. A
 * cause that applies to every repository (an environment variable) gives one
 * line for all of them; a repository's own setting names the repository.
 */
function warnUnverified(deps: Deps, repo: RepoConfig): void {
  const fromEnv = (name: "unsafeRegistry" | "noVerifyRepoOrigin") => {
    const setting = deps.settings.source(name);
    return setting?.source === "env" && setting.value === true ? setting.origin : undefined;
  };
  if (!repo.verify) {
    const env = fromEnv("unsafeRegistry");
    warnOnce(
      deps,
      `warning: registry signatures are not checked (${
        env ? `${env} is set` : `repo_verify is false for repository "${repo.name}"`
      }): what is read from ${
        env ? "any repository" : "it"
      } may have been changed by anyone between you and the repository`,
    );
  } else if (!repo.verifyOrigin) {
    const env = fromEnv("noVerifyRepoOrigin");
    warnOnce(
      deps,
      `warning: registry files are not checked to be ${
        env ? "their repository's" : `repository "${repo.name}"'s`
      } (${
        env ? `${env} is set` : `repo_verify_origin is false for repository "${repo.name}"`
      }): a file signed for another repository or package is accepted`,
    );
  }
}

/** Whether `hexpub organization auth` stored a key for the organization (no password needed). */
async function hasStoredRepoKey(deps: Deps, repo: RepoConfig): Promise<boolean> {
  const store = await loadStore(deps, credentialsPath(deps.env, deps.host.platform));
  return !!getRepo(store, storeEntry(repo.name, repo.apiUrl))?.repoKey;
}

/**
 * The repository key `hexpub organization auth` stored for a hex.pm organization
 * (under the same store entry, keyed by name and API URL), if any. Opening it may
 * ask for the local password.
 */
async function storedRepoKey(deps: Deps, repo: RepoConfig): Promise<string | undefined> {
  if (!(await hasStoredRepoKey(deps, repo))) return undefined;
  const store = await loadStore(deps, credentialsPath(deps.env, deps.host.platform));
  return await getRepoKey(
    store,
    await unlockStore(deps, store),
    storeEntry(repo.name, repo.apiUrl),
  );
}

/** Where a package's registry file is, for messages. */
function fileLocation(source: RegistrySource, name: string): string {
  if (source.dir) return join(source.dir, "packages", name);
  const org = source.repo.organization ? `/repos/${source.repo.organization}` : "";
  return `${source.repo.repoUrl.replace(/\/+$/, "")}${org}/packages/${name}`;
}

const WHAT_WAS_WRONG: Partial<Record<RegistryError["reason"], string>> = {
  bad_signature: "the signature does not match the repository's public key",
  bad_gzip: "it is not a gzip file",
  too_big: `it unpacks to more than ${
    MAX_UNPACKED_REGISTRY_FILE / 1024 / 1024
  } MiB, the limit for a registry file`,
  bad_signed: "it is not a signed registry file",
  bad_payload: "its signed content cannot be read",
};

/** A name a repository could have, so it is safe to put in a suggested command. */
const REPO_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * What to do about a file signed for repository `signed` (cleaned) where
 * `source.repository` was expected: add the repository under that name, or fix
 * the name it is configured under; or, for a file that is not what it claims,
 * report it.
 */
function wrongRepositoryHint(source: RegistrySource, signed: string): string {
  const repo = source.repo;
  const usable = REPO_NAME.test(signed);
  if (source.dir) {
    const add = usable
      ? `serve it and add it as \`hexpub repo add ${signed} URL --public-key ${
        join(source.dir, "public_key")
      }\`, `
      : "";
    return `${source.dir} holds repository "${signed}", not the local repository: ${add}` +
      "or set HEXPUB_LOCAL_REPO to the directory of your local repository";
  }
  const url = bare(repo.repoUrl);
  if (repo.parent) {
    const other = signed === repo.parent ? repo.parent : `${repo.parent}:${signed}`;
    return `If ${url} really serves ${
      signed === repo.parent ? `repository "${signed}"` : `organization "${signed}"`
    }, ${usable ? `read it with \`-r ${other}\`` : "read it under that name"}; otherwise ` +
      `check the repo_url of "${repo.parent}", or report it to the repository's owner`;
  }
  if (repo.mirrorOf !== undefined) {
    return `If ${url} mirrors repository "${signed}", set mirror_of to ${
      usable ? `<<"${signed}">>` : "that name"
    } in the entry of "${repo.name}" (or fix its repo_url); otherwise report it to the ` +
      "repository's owner";
  }
  return `If ${url} is repository "${signed}", add it under that name${
    usable ? ` (\`hexpub repo add ${signed} ${url} --public-key FILE\`)` : ""
  } or rename the entry "${repo.name}" in the configuration to "${signed}"; if it is not, ` +
    "its repo_url is wrong or the file was changed: report it to the repository's owner";
}

/**
 * A refused registry file, saying what was wrong, where, and what it may mean.
 *
 * @param signedFor For `wrong_repository`: the repository name the file was signed for.
 */
function refused(
  e: RegistryError,
  source: RegistrySource,
  name: string,
  signedFor?: string,
): RegistryError {
  const where = fileLocation(source, name);
  if (e.reason === "bad_key") {
    return new RegistryError(
      "bad_key",
      `the public key of repository "${source.repo.name}" cannot be used: ${e.message}`,
      {
        hint: source.dir
          ? `Rewrite ${join(source.dir, "public_key")} with \`hexpub repo build ${source.dir}\``
          : "Set repo_public_key of the repository to its RSA public key (PEM), as its " +
            "owner publishes it",
        cause: e,
      },
    );
  }
  if (e.reason === "missing_public_key") {
    if (source.dir) {
      // `local` cannot be `repo add`-ed: its key is the directory's own file.
      const keyFile = join(source.dir, "public_key");
      return new RegistryError(
        e.reason,
        `cannot verify ${where}: ${keyFile} is missing, so the local repository's registry ` +
          "cannot be checked",
        {
          hint: `Run \`hexpub repo build ${source.dir}\`: it writes public_key from the ` +
            `repository's private key (${privateKeyFile(source.dir)}) and signs the registry again`,
          cause: e,
        },
      );
    }
    return new RegistryError(
      e.reason,
      `cannot verify ${where}: repository "${source.repo.name}" has no public key`,
      { hint: e.hint, cause: e },
    );
  }
  if (e.reason === "wrong_repository" && signedFor !== undefined) {
    const signed = cleanRegistryText(signedFor);
    return new RegistryError(
      e.reason,
      `refused the registry entry of package "${name}" from repository "${source.repo.name}" ` +
        `(${where}): it is signed for repository "${signed}", expected "${source.repository}"; ` +
        "it is another repository's file (a repository configured under another name), or " +
        "the file may have been tampered with. Nothing from it was used",
      { hint: wrongRepositoryHint(source, signed), cause: e },
    );
  }
  const detail = WHAT_WAS_WRONG[e.reason] ??
    cleanRegistryText(
      e.message.replace(/^Registry file refused: /, "").replace(
        /^Cannot read the registry file: /,
        "",
      ),
    );
  return new RegistryError(
    e.reason,
    `refused the registry entry of package "${name}" from repository "${source.repo.name}" ` +
      `(${where}): ${detail}; the file may have been tampered with`,
    {
      hint: "Nothing from it was used. If the repository is yours, check its repo_url and " +
        "public key (repo_public_key) in the configuration; otherwise report it to the " +
        "repository's owner",
      cause: e,
    },
  );
}

/** A 401/403 from a repository that was not sent a key hexpub has says why. */
function withheldKeyHint(e: unknown, source: RegistrySource): unknown {
  if (!(e instanceof HexApiError) || (e.status !== 401 && e.status !== 403)) return e;
  if (!source.keyWithheld) return e;
  const url = bare(source.repo.repoUrl);
  return new HexApiError(e.message, {
    status: e.status,
    method: e.method,
    url: e.url,
    serverMessage: e.serverMessage,
    hint: source.keyWithheld === "mirror"
      ? "HEX_MIRROR_URL names an untrusted mirror, so hexpub sends it no repository key: " +
        "unset it to read private packages from the repository itself"
      : `hexpub sends the key stored by \`hexpub organization auth\` only to hex.pm's ` +
        `repository (${HEXPM_REPO_URL}) or the URL HEX_CDN names, and "${source.repo.name}" is ` +
        `read from ${url} (set by rebar_packages_cdn or a repo_url in rebar.config). If you ` +
        `trust it, run with HEX_CDN=${url}, or give it its own repo_key`,
    cause: e,
  });
}

/**
 * Reads and verifies a package's registry entry.
 *
 * @param deps Ports.
 * @param source From {@link registrySource}.
 * @param name The package.
 * @param options Retries and time limit.
 * @returns The package, or `undefined` when the repository has no such package.
 * @throws {RegistryError} When the file is refused (exit 1), naming what was wrong.
 * @throws {HexApiError} For an HTTP failure (401/403 with a hint about keys).
 * @throws {HexNetworkError} When the repository cannot be reached.
 */
export async function readPackageEntry(
  deps: Deps,
  source: RegistrySource,
  name: string,
  options: ReadOptions = {},
): Promise<Package | undefined> {
  let file: Uint8Array;
  if (source.dir) {
    checkLookupName(name);
    const path = join(source.dir, "packages", name);
    if (!(await deps.fs.lstat(path))) return undefined;
    file = await deps.fs.readFile(path);
  } else {
    const req = buildRegistryRequest(
      source.repo.repoUrl,
      source.repo.organization,
      { kind: "package", name },
      { userAgent: source.userAgent, authorization: source.repoKey },
    );
    const res = await readFrom(deps, source, req, parseRegistryResponse, options);
    if (!res.found) return undefined;
    file = res.file;
  }
  try {
    return await readPackage(file, source.publicKey, {
      repository: source.repository,
      name,
      verify: source.repo.verify,
      verifyOrigin: source.repo.verifyOrigin,
    });
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    throw refused(e, source, name, e.reason === "wrong_repository" ? await signedFor() : undefined);
  }

  /** The repository name the (correctly signed) file carries. */
  async function signedFor(): Promise<string | undefined> {
    try {
      return (await readPackage(file, source.publicKey, {
        repository: source.repository,
        name,
        verify: source.repo.verify,
        verifyOrigin: false,
      })).repository;
    } catch {
      return undefined;
    }
  }
}

/**
 * Reads a package's registry entry, or explains that it does not exist.
 *
 * @throws {HexpubError} `package X does not exist in repository R` (exit 1).
 * @throws See {@link readPackageEntry}.
 */
export async function requirePackageEntry(
  deps: Deps,
  source: RegistrySource,
  name: string,
): Promise<Package> {
  const pkg = await readPackageEntry(deps, source, name);
  if (pkg) return pkg;
  const hint = source.dir
    ? "Check the name; `hexpub publish -r local --yes` puts packages there"
    : source.repo.organization
    ? `Check the name, and that your key can read hexpm:${source.repo.organization}`
    : source.repo.name === HEXPM
    ? "Check the name (`hexpub search TERM` finds packages), or pass -r for another repository"
    : "Check the name, or pass -r for another repository";
  throw new HexpubError(`package "${name}" does not exist in repository "${source.repo.name}"`, {
    hint,
  });
}

/**
 * Downloads (or, for `local`, reads) a release's tarball. Checking it against the
 * registry is the caller's job.
 *
 * @throws {HexApiError} For an HTTP failure (404: no such tarball).
 * @throws {HexpubError} When the local repository has no such tarball.
 */
export async function readTarball(
  deps: Deps,
  source: RegistrySource,
  name: string,
  version: string,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  if (source.dir) {
    checkLookupName(name);
    const file = `${name}-${version}.tar`;
    const path = join(source.dir, "tarballs", file);
    if (file.includes("/") || file.includes("\\") || !(await deps.fs.lstat(path))) {
      throw new HexpubError(`the local repository has no tarball for ${name} ${version}`, {
        hint: `Rebuild its registry with \`hexpub repo build ${source.dir}\``,
      });
    }
    return await deps.fs.readFile(path);
  }
  const req = buildRepoTarballRequest(
    source.repo.repoUrl,
    source.repo.organization,
    name,
    version,
    { userAgent: source.userAgent, repoKey: source.repoKey },
  );
  return await readFrom(deps, source, req, parseRepoTarballResponse, options);
}

/** Sends an idempotent repository read and parses the answer, explaining a withheld key. */
async function readFrom<T>(
  deps: Deps,
  source: RegistrySource,
  req: Request,
  parse: (res: Response, req: Request) => Promise<T>,
  options: { retries?: number; timeoutMs?: number },
): Promise<T> {
  try {
    return await parse(
      await send(deps, req, {
        idempotent: true,
        retries: options.retries,
        timeoutMs: options.timeoutMs ?? source.timeoutMs,
      }),
      req,
    );
  } catch (e) {
    throw withheldKeyHint(e, source);
  }
}
