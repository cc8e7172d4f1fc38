/**
 * `hexpub repo init|build`: a Hex repository of your own, a directory (through
 * its `RepositoryStore`).
 *
 * `hexpub repo add|list|remove`: the repositories hexpub itself keeps in
 * `config.json` (beside the credential store), for people whose repositories
 * do not live in a rebar.config: a `hexpub serve` of their team, a static
 * mirror, a self-hosted Hex.
 *
 * A repository is added with the public key its registry is signed with,
 * from a file (`--public-key`), or fetched from `URL/public_key` and accepted
 * only when its fingerprint is confirmed: by `--fetch-public-key FINGERPRINT`
 * (as `mix hex.repo add` takes it), at the prompt, or by `--yes`.
 *
 * Any name will do: `repo add` reads the repository's signed `names` file with
 * that key and, when the registry is signed under another name (a `hexpub
 * serve` directory called `store` added as `team`), records that name as the
 * entry's `mirror_of`, the name registry files are checked against (as rebar3's
 * `mirror_of` does). A key that does not verify the registry is refused there.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { configDir } from "../config/config_paths.ts";
import { readHexpubRepos, updateHexpubRepos } from "../config/hexpub_config.ts";
import { HEXPM } from "../config/repos.ts";
import { parseUrl } from "../config/settings.ts";
import { DeclinedError, HexpubError, UsageError } from "../errors.ts";
import { buildPublicKeyRequest, parsePublicKeyResponse } from "../hex/public_key.ts";
import { send } from "../hex/send.ts";
import type { Deps } from "../ports.ts";
import { publicKeyFingerprint } from "../registry/fingerprint.ts";
import { openSignedFile, RegistryError } from "../registry/signing.ts";
import { decodeNames } from "../registry/messages.ts";
import { cleanRegistryText } from "../registry/registry_text.ts";
import { HexApiError, HexNetworkError } from "../hex/api_errors.ts";
import { buildRegistryRequest, parseRegistryResponse } from "../hex/registry_request.ts";
import { privateKeyPath } from "../repository/repository_dir.ts";
import { RepositoryStore } from "../repository/store.ts";
import { LOCAL_REPO, runUserAgent } from "./session.ts";

/** A repository directory, as `repo init` made (or found) it. */
export interface RepoDirInfo {
  name: string;
  dir: string;
  /** `DIR/public_key`, served with the registry. */
  publicKeyPath: string;
  /** Beside the directory, mode 0600: never serve it. */
  privateKeyPath: string;
}

/**
 * `repo init`: creates a repository directory and its signing keys (or opens
 * an existing one), named `name` (default: the directory's name).
 *
 * @throws {UsageError} When the directory holds another repository's name, or for a bad name.
 */
export async function initRepo(
  deps: Deps,
  input: { dir: string; name?: string },
): Promise<RepoDirInfo> {
  const store = await RepositoryStore.open(deps, input.dir, input.name);
  return {
    name: store.name,
    dir: store.dir,
    publicKeyPath: join(store.dir, "public_key"),
    privateKeyPath: privateKeyPath(store.dir),
  };
}

/** What `repo build` wrote. */
export interface BuiltRepo {
  name: string;
  packages: number;
  releases: number;
}

/**
 * `repo build`: rebuilds the signed registry (`names`, `versions`,
 * `packages/NAME`) of repository `dir` from its `tarballs/`, under its lock.
 *
 * @throws {UsageError} When `dir` is not a directory (nothing is created).
 * @throws {HexpubError} When a tarball is not a Hex package or is misnamed.
 */
export async function buildRepo(deps: Deps, dir: string): Promise<BuiltRepo> {
  // A typo must not become a new repository with a fresh signing key.
  if ((await deps.fs.lstat(dir))?.kind !== "dir") {
    throw new UsageError(`${dir} is not a repository directory`, {
      hint: `Check the path, or create a repository there with \`hexpub repo init ${dir}\``,
    });
  }
  const store = await RepositoryStore.open(deps, dir);
  const s = await store.build();
  return { name: store.name, packages: s.packages, releases: s.releases };
}

/** What `repo add` is given. */
export interface AddRepoInput {
  name: string;
  /** The repository URL (registry files and tarballs). */
  url: string;
  /** The API URL; default `URL/api` (where `hexpub serve` answers). */
  apiUrl?: string;
  /** False for a fetch-only repository (a static mirror): no API. */
  api: boolean;
  /** A PEM file holding the repository's public key. */
  publicKeyFile?: string;
  /** The fingerprint (`SHA256:…`) the fetched `/public_key` must have. */
  fetchPublicKey?: string;
  /** Accept a fetched key without asking. */
  yes: boolean;
}

/** What `repo add` did. */
export interface AddedRepo {
  name: string;
  repoUrl: string;
  apiUrl?: string;
  fingerprint: string;
  /** Where the key came from. */
  keySource: "file" | "fetched-confirmed" | "fetched-fingerprint" | "fetched-yes";
  /** Whether an entry of that name was replaced. */
  replaced: boolean;
  /** Settings of the replaced entry dropped because its URL or key changed. */
  dropped: string[];
  /**
   * The name the registry is signed under, when it differs from `name` (kept as
   * `mirror_of`); `undefined` when it is the same or could not be read.
   */
  signedAs?: string;
  /** Why the registry's name could not be read (no `names` file yet, offline). */
  unchecked?: string;
}

/** One configured repository, as `repo list` shows it. */
export interface ListedRepo {
  name: string;
  repoUrl: string;
  apiUrl?: string;
  fingerprint?: string;
  /** `config.json`, or `built-in` for `local`. */
  source: string;
}

const NAME = /^[a-z0-9_][a-z0-9_.-]*$/i;

/** Settings that belong to one host and one key: dropped when either changes. */
const HOST_BOUND_FIELDS = [
  "api_key",
  "repo_key",
  "repo_verify",
  "repo_verify_origin",
  "mirror_of",
  "oauth_client_id",
];

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new UsageError(`invalid repository name "${name}"`, {
      hint: "Use letters, digits, _, . and - (an organization of hex.pm is hexpm:ORG, " +
        "added with `hexpub organization auth hexpm:ORG`)",
    });
  }
  if (name === HEXPM || name === LOCAL_REPO) {
    throw new UsageError(`"${name}" is built in and cannot be added or removed`, {
      hint: "Choose another name for your repository",
    });
  }
}

const isLoopback = (url: string) => {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
};

/** Reads and checks a public key given with `--public-key`. */
async function keyFromFile(deps: Deps, file: string): Promise<string> {
  const path = resolve(deps.cwd, file);
  if ((await deps.fs.lstat(path))?.kind !== "file") {
    throw new UsageError(`--public-key: ${file} is not a file`, {
      hint:
        "Give the repository's public key PEM (a `hexpub serve` repository has it in DIR/public_key)",
    });
  }
  const pem = await deps.fs.readTextFile(path);
  try {
    await publicKeyFingerprint(pem);
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    throw new UsageError(`--public-key: ${file} does not hold an RSA public key`, {
      hint:
        'Give a PEM file starting "-----BEGIN PUBLIC KEY-----" or "-----BEGIN RSA PUBLIC KEY-----"',
    });
  }
  return pem;
}

/**
 * Adds (or replaces) a repository in hexpub's `config.json`.
 *
 * @throws {UsageError} For a bad name, URL, key file, or a fetched key that needs
 *   confirming without a terminal.
 * @throws {HexpubError} When the fetched key's fingerprint differs from the one given.
 * @throws {DeclinedError} When the fetched key is not accepted at the prompt.
 */
export async function addRepo(deps: Deps, input: AddRepoInput): Promise<AddedRepo> {
  checkName(input.name);
  const repoUrl = parseUrl(input.url, "repository URL");
  const apiUrl = input.api ? parseUrl(input.apiUrl ?? `${repoUrl}/api`, "--api-url") : undefined;
  for (const u of [repoUrl, apiUrl]) {
    if (u && u.startsWith("http:") && !isLoopback(u)) {
      deps.out.warn(`${u} is plain http: keys and packages travel unencrypted; prefer https`);
    }
  }
  let pem: string;
  let keySource: AddedRepo["keySource"];
  if (input.publicKeyFile !== undefined) {
    if (input.fetchPublicKey !== undefined) {
      throw new UsageError("--public-key and --fetch-public-key cannot be used together", {
        hint: "Give the key file, or the fingerprint of the key to fetch",
      });
    }
    pem = await keyFromFile(deps, input.publicKeyFile);
    keySource = "file";
  } else {
    const req = buildPublicKeyRequest(repoUrl, runUserAgent(deps));
    pem = await parsePublicKeyResponse(await send(deps, req, { idempotent: true }), req);
    keySource = "fetched-yes";
  }
  let fingerprint: string;
  try {
    fingerprint = await publicKeyFingerprint(pem);
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    throw new HexpubError(`${repoUrl}/public_key is not an RSA public key`, {
      hint: "Check the repository URL, or give the key with --public-key FILE",
    });
  }
  if (keySource !== "file") {
    if (input.fetchPublicKey !== undefined) {
      const want = input.fetchPublicKey.trim();
      if (want !== fingerprint && `SHA256:${want}` !== fingerprint) {
        throw new HexpubError(
          `the public key at ${repoUrl}/public_key has fingerprint ${fingerprint}, not ${want}`,
          {
            hint: "Someone may be in the middle, or the repository has a new key: check the " +
              "fingerprint with the repository's owner before trusting it",
          },
        );
      }
      keySource = "fetched-fingerprint";
    } else if (!input.yes) {
      if (!deps.isTerminal) {
        throw new UsageError(
          `the public key fetched from ${repoUrl}/public_key (${fingerprint}) needs confirming ` +
            "and there is no terminal",
          {
            hint: "Pass --fetch-public-key FINGERPRINT (checked), --public-key FILE, or --yes " +
              "(trust it as fetched)",
          },
        );
      }
      deps.out.info(`The repository's public key has fingerprint ${fingerprint}`);
      if (!(await deps.prompt.confirm("Trust this key for the repository's registry?", false))) {
        throw new DeclinedError("repository not added: key not trusted");
      }
      keySource = "fetched-confirmed";
    }
  }
  const signed = await signedName(deps, repoUrl, pem, fingerprint);
  const signedAs = signed.name !== undefined && signed.name !== input.name
    ? signed.name
    : undefined;
  const dir = configDir(deps.env, deps.host.platform);
  const dropped: string[] = [];
  const replaced = await updateHexpubRepos(deps.fs, dir, (repos) => {
    const at = repos.findIndex((r) => r.name === input.name);
    const previous = at >= 0 ? repos[at] : undefined;
    // Keep settings the user set by hand (keys, verify flags) while the
    // repository stays where it was; a key meant for one host must never
    // follow the name to another, and a new key means verification is wanted.
    const entry: Record<string, string | boolean> = { ...(previous ?? {}) };
    const moved = previous !== undefined &&
      (previous.repo_url !== repoUrl || (previous.api_url ?? undefined) !== apiUrl ||
        previous.repo_public_key !== pem);
    if (moved) {
      for (const field of HOST_BOUND_FIELDS) {
        if (field in entry) {
          dropped.push(field);
          delete entry[field];
        }
      }
    }
    delete entry.api_url;
    if (signed.name !== undefined) delete entry.mirror_of;
    Object.assign(entry, {
      name: input.name,
      repo_url: repoUrl,
      ...(apiUrl ? { api_url: apiUrl } : {}),
      repo_public_key: pem,
      ...(signedAs ? { mirror_of: signedAs } : {}),
    });
    if (at >= 0) repos[at] = entry as typeof repos[number];
    else repos.push(entry as typeof repos[number]);
    return at >= 0;
  });
  return {
    name: input.name,
    repoUrl,
    apiUrl,
    fingerprint,
    keySource,
    replaced,
    dropped,
    ...(signedAs ? { signedAs } : {}),
    ...(signed.unchecked ? { unchecked: signed.unchecked } : {}),
  };
}

/**
 * The repository name the registry at `repoUrl` is signed under, read from its
 * `names` file and checked with `pem`; `unchecked` says why there is none (no
 * `names` file yet, the repository is not reachable or needs a key).
 *
 * @throws {HexpubError} When the file is there but `pem` does not verify it.
 */
async function signedName(
  deps: Deps,
  repoUrl: string,
  pem: string,
  fingerprint: string,
): Promise<{ name?: string; unchecked?: string }> {
  const req = buildRegistryRequest(repoUrl, undefined, { kind: "names" }, {
    userAgent: runUserAgent(deps),
  });
  let file: Uint8Array;
  try {
    const res = await parseRegistryResponse(
      await send(deps, req, { idempotent: true, retries: 1 }),
      req,
    );
    if (!res.found) return { unchecked: `${repoUrl}/names does not exist yet` };
    file = res.file;
  } catch (e) {
    if (!(e instanceof HexApiError || e instanceof HexNetworkError)) throw e;
    return { unchecked: `${repoUrl}/names could not be read: ${e.message}` };
  }
  try {
    const names = decodeNames(await openSignedFile(file, pem, { verify: true }));
    if (!names.repository) return {};
    if (cleanRegistryText(names.repository) !== names.repository) {
      return { unchecked: `${repoUrl}/names is signed under a name hexpub cannot store` };
    }
    return { name: names.repository };
  } catch (e) {
    if (!(e instanceof RegistryError || e instanceof SyntaxError)) throw e;
    throw new HexpubError(
      `the registry at ${repoUrl}/names is not signed with the key ${fingerprint}: ${e.message}`,
      {
        hint: "Check that the key belongs to this repository (a `hexpub serve` repository " +
          "has it in DIR/public_key), and that the URL is the repository's",
        cause: e,
      },
    );
  }
}

/**
 * Removes a repository from hexpub's `config.json`.
 *
 * @throws {UsageError} When there is no such repository there.
 */
export async function removeRepo(deps: Deps, name: string): Promise<void> {
  checkName(name);
  const dir = configDir(deps.env, deps.host.platform);
  const found = await updateHexpubRepos(deps.fs, dir, (repos) => {
    const at = repos.findIndex((r) => r.name === name);
    if (at >= 0) repos.splice(at, 1);
    return at >= 0;
  });
  if (!found) {
    throw new UsageError(`hexpub has no repository named "${name}"`, {
      hint: "See `hexpub repo list` (repositories in a rebar.config are edited there)",
    });
  }
}

/** The repositories of hexpub's `config.json` (hexpm and local are built in). */
export async function listRepos(deps: Deps): Promise<ListedRepo[]> {
  const dir = configDir(deps.env, deps.host.platform);
  const out: ListedRepo[] = [];
  for (const r of await readHexpubRepos(deps.fs, dir)) {
    let fingerprint: string | undefined;
    if (r.repoPublicKey) fingerprint = await publicKeyFingerprint(r.repoPublicKey).catch(() => "?");
    out.push({
      name: r.name,
      repoUrl: r.repoUrl,
      ...(r.apiUrl ? { apiUrl: r.apiUrl } : {}),
      ...(fingerprint ? { fingerprint } : {}),
      source: "config.json",
    });
  }
  return out;
}
