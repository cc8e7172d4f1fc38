/**
 * The repositories hexpub knows, computed the way rebar3 computes them
 * (`rebar_hex_repos.erl`), and the choice of the one a command uses
 * (rebar3_hex's `repo/1,2`, with its bugs fixed). Pure: callers pass consulted
 * `rebar.config` terms and the run's `Settings` (`Deps.settings`), which this
 * module reads for every environment variable below; it never reads the
 * environment itself. (Without a `Settings`, as in unit tests, one is resolved
 * from an `env` snapshot given instead.)
 *
 * The list:
 * - Entries of `{hex, [{repos, [#{name => <<"NAME">>, …}]}]}` in the project
 *   and the global rebar.config, then hexpub's own configured repositories.
 *   Entries with the same name are merged field by field: project over global
 *   over hexpub's own. A name keeps the place of its first appearance
 *   (project entries first), as rebar3 keeps it.
 * - `hexpm` is appended with hex_core's defaults (`https://hex.pm/api`,
 *   `https://repo.hex.pm`, verification on), unless a `{repos, replace, […]}`
 *   entry (in either file) drops it. A configured `hexpm` entry fills its gaps
 *   from those defaults even then.
 * - hexpm's repository URL: `HEX_CDN` (then `HEX_MIRROR_URL`, `HEX_MIRROR`),
 *   else the hexpm entry's own `repo_url`, else `rebar_packages_cdn` (project,
 *   then global), else the default. rebar3 lets the CDN setting win even over
 *   an explicit `repo_url`; hexpub honours the explicit entry.
 * - Organization repositories are named `PARENT:ORG` (`hexpm:acme`). They
 *   inherit every setting of their parent, its keys included, under their own
 *   settings, and carry `organization` and `parent`.
 * - Secrets never follow a URL from another file. Merging field by field would
 *   let a cloned project's `repo_url`, `api_url` or `rebar_packages_cdn`
 *   receive a key set in the global rebar.config or hexpub's config.json. So an
 *   `api_key` is kept only when the `api_url` it is sent to was set in the same
 *   file, and a `repo_key` only when its `repo_url` was: or when that URL is
 *   hex.pm's own default (for hexpm and its organizations), or comes from the
 *   environment (`HEX_CDN`, `HEX_MIRROR_URL`, `HEX_MIRROR`; `HEX_API_URL`,
 *   `HEX_API`), the user's own choice at run time. An organization's
 *   inherited keys are checked against the URL it uses, its own or its
 *   parent's. A dropped key is listed in `droppedSecrets` (never its value) so
 *   the caller can warn.
 * - `HEX_UNSAFE_REGISTRY` and `HEX_NO_VERIFY_REPO_ORIGIN` (or
 *   `REBAR_NO_VERIFY_REPO_ORIGIN`) apply to every repository and mean what
 *   they say: true turns verification off (rebar3_hex inverted them); a false
 *   value turns it on, over the config files.
 *
 * The choice ({@link selectRepo}): `hexpm` unless `-r` says otherwise;
 * `-r acme` finds `acme` or `hexpm:acme`; `HEX_API_KEY`, `HEX_API_URL` and
 * `HEXPUB_OAUTH_CLIENT_ID` (or their flags) apply to the chosen repository
 * whether or not `-r` was given (rebar3_hex ignored them without `-r`).
 *
 * @module
 */
import { UsageError, type Where } from "../errors.ts";
import { type Term, textOf } from "../erlang/term.ts";
import { configValue } from "../project/rebar_config.ts";
import {
  type EnvSnapshot,
  HEXPM_API_URL,
  HEXPM_REPO_URL,
  parseUrl,
  REBAR3_OAUTH_CLIENT_ID,
  type Settings,
  settingsFrom,
  type SettingValue,
  withConfigFiles,
} from "./settings.ts";

/** The default repository's name. */
export const HEXPM = "hexpm";

/** Whether a repository is public hex.pm itself (not an organization or a mirror). */
export function isHexpm(repo: Pick<RepoConfig, "name">): boolean {
  return repo.name === HEXPM;
}

/** Whether a repository is hex.pm or one of its organizations (`hexpm:ORG`). */
export function isHexpmFamily(repo: Pick<RepoConfig, "name" | "parent">): boolean {
  return repo.name === HEXPM || repo.parent === HEXPM;
}

/** The `apiUrl` of the built-in `local` repository (a directory: no API, no overrides). */
export const LOCAL_API = "local:";

/** One repository, fully resolved. */
export interface RepoConfig {
  /** `hexpm`, `hexpm:acme`, or a custom name. */
  name: string;
  /**
   * API base URL, no trailing slash. `""` for a custom repository configured
   * without `api_url` (a fetch-only mirror); {@link selectRepo} refuses those
   * for API commands instead of falling back to hex.pm.
   */
  apiUrl: string;
  /** Repository (registry and tarballs) URL, no trailing slash; `""` when not configured. */
  repoUrl: string;
  /** API key (`api_key`, or `HEX_API_KEY` on the selected repository). */
  apiKey?: string;
  /** Key for repository downloads (`repo_key`). */
  repoKey?: string;
  /** PEM public key the registry is signed with (`repo_public_key`). */
  repoPublicKey?: string;
  /** Check the registry signature (`repo_verify`). */
  verify: boolean;
  /** Check that the registry names this repository (`repo_verify_origin`). */
  verifyOrigin: boolean;
  /** The organization of a `PARENT:ORG` repository. */
  organization?: string;
  /** The parent repository of a `PARENT:ORG` repository. */
  parent?: string;
  /** OAuth client id for the device flow (hexpm and its organizations default to rebar3's). */
  oauthClientId?: string;
  /** The repository this one mirrors (`mirror_of`). */
  mirrorOf?: string;
  /**
   * Keys a config file set but that are not used, because the URL they would
   * be sent to was set in another file (see the module doc). For a warning;
   * never holds a key's value.
   */
  droppedSecrets?: DroppedSecret[];
}

/** A key {@link resolveRepos} dropped, and why (naming both files, never the key). */
export interface DroppedSecret {
  field: SecretField;
  reason: string;
}

/** The fields that hold secrets. */
export type SecretField = "apiKey" | "repoKey";

/** The inputs of {@link resolveRepos}. */
export interface ResolveReposInput {
  /** The project's consulted `rebar.config` terms. */
  projectConfig?: Term[];
  /** The global `rebar.config` terms. */
  globalConfig?: Term[];
  /** Repositories from hexpub's own config: below both rebar.config files. */
  hexpubRepos?: RepoConfig[];
  /**
   * The run's settings (`Deps.settings`): `HEX_CDN`, `HEX_API_URL`,
   * `HEX_UNSAFE_REGISTRY`… The config files' `rebar_packages_cdn` is layered
   * under them here, from `projectConfig` and `globalConfig`.
   */
  settings?: Settings;
  /** Without `settings`: the environment snapshot to resolve them from (unit tests). */
  env?: EnvSnapshot;
  /**
   * File names for messages: the project and global rebar.config, and
   * hexpub's config.json (`hexpub`, the file {@link ResolveReposInput.hexpubRepos} came from).
   */
  files?: { project?: string; global?: string; hexpub?: string };
}

/** Settings a repository entry may give; `undefined` means "not given here". */
export type RepoFields = Partial<
  Omit<RepoConfig, "name" | "organization" | "parent" | "droppedSecrets">
>;

interface Entry {
  name: string;
  fields: RepoFields;
}

/** The files a repository setting may come from (hexpub's own config.json is `hexpub`). */
type FileSource = "project" | "global" | "hexpub";

/** Where a URL a key would be sent to came from; `via` names a non-entry source (`rebar_packages_cdn`, `HEX_CDN`). */
interface UrlOrigin {
  source: FileSource | "env" | "default";
  via?: string;
}

/** The URLs' origins of one repository; `undefined`: not configured. */
interface UrlOrigins {
  apiUrl?: UrlOrigin;
  repoUrl?: UrlOrigin;
}

/** Merged entry fields, and the file each came from. */
interface Merged {
  fields: RepoFields;
  origins: Partial<Record<keyof RepoFields, FileSource>>;
}

/** A repository before the secrets rule, with where its settings came from. */
interface Resolved {
  repo: RepoConfig;
  origins: Merged["origins"];
  urls: UrlOrigins;
}

type TextKey = "apiKey" | "repoKey" | "repoPublicKey" | "oauthClientId" | "mirrorOf";

/** rebar.config keys of a repository entry, and how each is read. */
const ENTRY_KEYS: Record<string, { field: keyof RepoFields; kind: "text" | "url" | "boolean" }> = {
  api_url: { field: "apiUrl", kind: "url" },
  repo_url: { field: "repoUrl", kind: "url" },
  api_key: { field: "apiKey", kind: "text" },
  repo_key: { field: "repoKey", kind: "text" },
  repo_public_key: { field: "repoPublicKey", kind: "text" },
  repo_verify: { field: "verify", kind: "boolean" },
  repo_verify_origin: { field: "verifyOrigin", kind: "boolean" },
  mirror_of: { field: "mirrorOf", kind: "text" },
  oauth_client_id: { field: "oauthClientId", kind: "text" },
};

const HEXPM_ORG = /^[a-z0-9_]+$/;
const ANY_ORG = /^[A-Za-z0-9_.-]+$/;

/**
 * Splits `PARENT:ORG` at its first colon, as rebar3 does.
 *
 * @returns The parent and organization, or `undefined` for a name without a colon.
 */
export function splitRepoName(name: string): { parent: string; organization: string } | undefined {
  const at = name.indexOf(":");
  if (at < 0) return undefined;
  return { parent: name.slice(0, at), organization: name.slice(at + 1) };
}

/** Whether `org` is a valid organization name under `parent` (hex.pm's rule for hexpm). */
function validOrganization(parent: string, org: string): boolean {
  return (parent === HEXPM ? HEXPM_ORG : ANY_ORG).test(org) && org !== "." && org !== "..";
}

/**
 * The organization repository `PARENT:ORG` built from its resolved parent: every
 * parent setting (keys included), under `own` settings.
 */
function organizationRepo(
  parent: RepoConfig,
  org: string,
  own: RepoFields = {},
): RepoConfig {
  const { organization: _o, parent: _p, ...inherited } = parent;
  return {
    ...inherited,
    ...defined(own),
    name: `${parent.name}:${org}`,
    organization: org,
    parent: parent.name,
  };
}

/** `fields` without its undefined entries. */
function defined<T extends object>(fields: T): Partial<T> {
  const given = Object.entries(fields).filter(([, v]) => v !== undefined);
  return Object.fromEntries(given) as Partial<T>;
}

/** Where a term sits, for an error. */
function whereOf(term: Term, file: string | undefined): Where | undefined {
  if (!file) return undefined;
  return { file, line: term.span?.line, column: term.span?.column };
}

/** Reads the repository entries and the replace flag of one rebar.config. */
function readFile(
  terms: Term[] | undefined,
  label: string,
  file: string | undefined,
): { entries: Entry[]; replace: boolean } {
  const hex = configValue(terms, "hex");
  const entries: Entry[] = [];
  let replace = false;
  if (!hex) return { entries, replace };
  const fail = (term: Term, message: string, hint?: string): never => {
    throw new UsageError(`${message} in ${label}`, { hint, where: whereOf(term, file) });
  };
  if (hex.kind !== "list") fail(hex, "{hex, …} is not a list");
  for (const item of (hex as Extract<Term, { kind: "list" }>).items) {
    if (item.kind !== "tuple" || item.items[0]?.kind !== "atom") continue;
    if (item.items[0].value !== "repos") continue;
    let list: Term | undefined;
    if (item.items.length === 2) list = item.items[1];
    else if (
      item.items.length === 3 && item.items[1].kind === "atom" && item.items[1].value === "replace"
    ) {
      replace = true;
      list = item.items[2];
    }
    if (!list || list.kind !== "list") {
      fail(
        item,
        "{repos, …} is not {repos, [Repo]} or {repos, replace, [Repo]}",
        'Write {hex, [{repos, [#{name => <<"NAME">>, api_url => <<"https://…">>}]}]}',
      );
    }
    for (const repo of (list as Extract<Term, { kind: "list" }>).items) {
      entries.push(readEntry(repo, fail));
    }
  }
  return { entries, replace };
}

/** Reads one `#{name => …, …}` repository entry. */
function readEntry(repo: Term, fail: (term: Term, message: string, hint?: string) => never): Entry {
  if (repo.kind !== "map") {
    fail(repo, "a repository entry is not a map", 'Write it as #{name => <<"NAME">>, …}');
  }
  const map = repo as Extract<Term, { kind: "map" }>;
  const keyed = new Map<string, Term>();
  for (const [k, v] of map.entries) if (k.kind === "atom") keyed.set(k.value, v);
  const nameTerm = keyed.get("name");
  const name = nameTerm ? textOf(nameTerm) : undefined;
  if (!nameTerm || name === undefined || name.trim() === "") {
    fail(repo, "a repository entry has no name", 'Add name => <<"NAME">> to the entry');
  }
  const repoName = name!;
  const fields: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(ENTRY_KEYS)) {
    const term = keyed.get(key);
    if (!term) continue;
    const origin = `${key} of repository "${repoName}"`;
    if (spec.kind === "boolean") {
      if (term.kind !== "atom" || (term.value !== "true" && term.value !== "false")) {
        fail(term, `invalid ${origin}: expected true or false`);
      }
      fields[spec.field] = (term as Extract<Term, { kind: "atom" }>).value === "true";
      continue;
    }
    const text = term.kind === "atom" ? undefined : textOf(term);
    if (text === undefined) fail(term, `invalid ${origin}: expected a binary or a string`);
    if (text!.trim() === "") continue;
    if (spec.kind === "url") {
      try {
        fields[spec.field] = parseUrl(text!, origin);
      } catch (e) {
        fail(term, (e as Error).message);
      }
    } else fields[spec.field as TextKey] = text!.trim();
  }
  return { name: repoName, fields: fields as RepoFields };
}

/** Converts a resolved repository back to entry fields (for hexpub's own config). */
function entryOf(repo: RepoConfig): Entry {
  const { name, organization: _o, parent: _p, droppedSecrets: _d, ...fields } = repo;
  // "" marks "not configured" (see RepoConfig.apiUrl): it must not hide a default.
  const given = Object.entries(fields).filter(([, v]) => v !== "");
  return { name, fields: Object.fromEntries(given) as RepoFields };
}

/**
 * The repository list, as rebar3 computes it (see the module doc for the rules).
 *
 * @param input Consulted project and global `rebar.config` terms, hexpub's own
 *   repositories and the environment snapshot.
 * @returns The repositories in rebar3's order: configured ones, then `hexpm`.
 * @throws {UsageError} For a malformed `{hex, [{repos, …}]}` entry, an
 *   organization whose parent is not configured, or a malformed environment value.
 */
export function resolveRepos(input: ResolveReposInput = {}): RepoConfig[] {
  const labels: Record<FileSource, string> = {
    project: input.files?.project ?? "the project rebar.config",
    global: input.files?.global ?? "the global rebar.config",
    hexpub: input.files?.hexpub ?? "hexpub's config.json",
  };
  const project = readFile(input.projectConfig, labels.project, input.files?.project);
  const global = readFile(input.globalConfig, labels.global, input.files?.global);
  const replaced = project.replace || global.replace;

  // Fold from highest precedence down: an earlier entry's fields win, later
  // ones only fill gaps, and each name keeps its first place. Each field
  // remembers the file it came from, for the secrets rule.
  const merged = new Map<string, Merged>();
  const sources: [FileSource, Entry[]][] = [
    ["project", project.entries],
    ["global", global.entries],
    ["hexpub", (input.hexpubRepos ?? []).map(entryOf)],
  ];
  for (const [source, entries] of sources) {
    for (const { name, fields } of entries) {
      const into = merged.get(name) ?? { fields: {}, origins: {} };
      const have = into.fields as Record<string, unknown>;
      for (const [key, value] of Object.entries(fields)) {
        if (value === undefined || have[key] !== undefined) continue;
        have[key] = value;
        into.origins[key as keyof RepoFields] = source;
      }
      merged.set(name, into);
    }
  }
  if (!replaced && !merged.has(HEXPM)) merged.set(HEXPM, { fields: {}, origins: {} });

  const settings = withConfigFiles(input.settings ?? settingsFrom({ env: input.env }), {
    project: input.projectConfig,
    global: input.globalConfig,
    files: input.files,
  });
  // hexpm's repository URL: HEX_CDN (…) beats a hexpm entry's own repo_url,
  // which beats rebar_packages_cdn.
  const cdnSetting = settings.source("repoUrl");
  const envCdn = atRunTime(cdnSetting);
  const fileCdn = cdnSetting?.source === "project" || cdnSetting?.source === "global"
    ? cdnSetting
    : undefined;
  // Not applied here (selectRepo applies it to the chosen repository), but an
  // api_key then goes to this URL, not to a file's api_url.
  const envApi = atRunTime(settings.source("apiUrl"));
  const unsafe = settings.source("unsafeRegistry");
  const noOrigin = settings.source("noVerifyRepoOrigin");
  const fromEnv = (setting: { origin: string } | undefined): UrlOrigin | undefined =>
    setting ? { source: "env", via: setting.origin } : undefined;

  const base = (name: string, { fields, origins }: Merged): Resolved => {
    const hexpm = name === HEXPM;
    const repo: RepoConfig = {
      name,
      ...defined(fields),
      apiUrl: fields.apiUrl ?? (hexpm ? HEXPM_API_URL : ""),
      repoUrl: hexpm
        ? envCdn?.value ?? fields.repoUrl ?? fileCdn?.value ?? HEXPM_REPO_URL
        : fields.repoUrl ?? "",
      verify: fields.verify ?? true,
      verifyOrigin: fields.verifyOrigin ?? true,
    };
    if (hexpm) repo.oauthClientId ??= REBAR3_OAUTH_CLIENT_ID;
    const fileUrl = (field: "apiUrl" | "repoUrl"): UrlOrigin | undefined =>
      fields[field] !== undefined ? { source: origins[field]! } : undefined;
    const cdn: UrlOrigin | undefined = fileCdn?.source === "project" || fileCdn?.source === "global"
      ? { source: fileCdn.source, via: fileCdn.origin }
      : undefined;
    const urls: UrlOrigins = {
      apiUrl: fromEnv(envApi) ?? fileUrl("apiUrl") ?? (hexpm ? { source: "default" } : undefined),
      repoUrl: hexpm
        ? fromEnv(envCdn) ?? fileUrl("repoUrl") ?? cdn ?? { source: "default" }
        : fileUrl("repoUrl"),
    };
    return { repo, origins, urls };
  };

  const plain = new Map<string, Resolved>();
  for (const [name, entry] of merged) {
    if (!splitRepoName(name)) plain.set(name, base(name, entry));
  }

  const out: RepoConfig[] = [];
  for (const [name, { fields, origins }] of merged) {
    const org = splitRepoName(name);
    if (!org) {
      out.push(guardSecrets(plain.get(name)!, labels));
      continue;
    }
    const parent = plain.get(org.parent);
    if (!parent) {
      throw new UsageError(
        `repository "${name}" needs its parent repository "${org.parent}", which is not configured`,
        {
          hint: org.parent === HEXPM
            ? "Remove {repos, replace, …} or add a hexpm entry to it"
            : `Add a repository named "${org.parent}" to {hex, [{repos, …}]} in rebar.config`,
        },
      );
    }
    if (!validOrganization(org.parent, org.organization)) {
      throw new UsageError(`invalid organization "${org.organization}" in repository "${name}"`, {
        hint: org.parent === HEXPM
          ? "hex.pm organization names use lower-case letters, digits and _"
          : "Organization names use letters, digits, _, . and -",
      });
    }
    // hexpm's organizations share hexpm's CDN override, even over their own repo_url.
    const cdn = org.parent === HEXPM ? envCdn : undefined;
    const own = cdn ? { ...fields, repoUrl: cdn.value } : fields;
    // Each setting, and where it came from: the organization's own, else its parent's.
    const ownUrl = (field: "apiUrl" | "repoUrl"): UrlOrigin | undefined =>
      fields[field] !== undefined ? { source: origins[field]! } : undefined;
    out.push(guardSecrets({
      repo: organizationRepo(parent.repo, org.organization, own),
      origins: { ...parent.origins, ...defined(origins) },
      urls: {
        apiUrl: fromEnv(envApi) ?? ownUrl("apiUrl") ?? parent.urls.apiUrl,
        repoUrl: fromEnv(cdn) ?? ownUrl("repoUrl") ?? parent.urls.repoUrl,
      },
    }, labels));
  }

  return out.map((repo) => ({
    ...repo,
    ...(unsafe ? { verify: !unsafe.value } : {}),
    ...(noOrigin ? { verifyOrigin: !noOrigin.value } : {}),
  }));
}

/** A setting given at run time (a flag or the environment), not by a config file. */
function atRunTime<T>(setting: SettingValue<T> | undefined): SettingValue<T> | undefined {
  return setting?.source === "env" || setting?.source === "flag" ? setting : undefined;
}

/** The secrets and the URL each is sent to, with their config keys. */
const SECRET_URLS: {
  secret: SecretField;
  secretKey: string;
  url: "apiUrl" | "repoUrl";
  urlKey: string;
  env: string;
  fallback: string;
}[] = [
  {
    secret: "apiKey",
    secretKey: "api_key",
    url: "apiUrl",
    urlKey: "api_url",
    env: "HEX_API_URL",
    fallback: HEXPM_API_URL,
  },
  {
    secret: "repoKey",
    secretKey: "repo_key",
    url: "repoUrl",
    urlKey: "repo_url",
    env: "HEX_CDN",
    fallback: HEXPM_REPO_URL,
  },
];

/**
 * `resolved.repo` without the keys whose URL was set in another file than the
 * key (see the module doc), each dropped one listed in `droppedSecrets`.
 */
function guardSecrets(resolved: Resolved, labels: Record<FileSource, string>): RepoConfig {
  const { repo, origins, urls } = resolved;
  const kept: RepoConfig = { ...repo };
  delete kept.droppedSecrets;
  const hexpmFamily = isHexpmFamily(repo);
  const dropped: DroppedSecret[] = [];
  for (const { secret, secretKey, url, urlKey, env, fallback } of SECRET_URLS) {
    if (repo[secret] === undefined) continue;
    const from = origins[secret];
    const to = urls[url];
    // No URL configured (only the environment can give one), one from the
    // environment or the default, one in the key's own file, or hex.pm's own.
    if (!from || !to || to.source === "env" || to.source === "default") continue;
    if (to.source === from || (hexpmFamily && repo[url] === fallback)) continue;
    delete kept[secret];
    const via = to.via ? ` by {${to.via}, …}` : "";
    const fix = hexpmFamily ? `, or give the URL with ${env}` : "";
    dropped.push({
      field: secret,
      reason: `${secretKey} of repository "${repo.name}" from ${labels[from]} is not sent to ` +
        `the ${urlKey} set${via} in ${labels[to.source]}: set both in one file to use it${fix}`,
    });
  }
  if (dropped.length) kept.droppedSecrets = dropped;
  return kept;
}

/** Per-run overrides from flags, keyed as the settings are. */
export interface RepoFlags {
  /** `--api-url`. */
  apiUrl?: string;
  /** An API key given on the command line (hexpub has no such flag; for callers' use). */
  apiKey?: string;
  /** An OAuth client id given on the command line. */
  oauthClientId?: string;
}

/** Options of {@link selectRepo}. */
export interface SelectRepoOptions {
  /** The command, for messages (`publish`). */
  command?: string;
  /**
   * The run's settings (`Deps.settings`): `apiKey` (`HEX_API_KEY`), `apiUrl`
   * (`HEX_API_URL`/`HEX_API`), `oauthClientId` (`HEXPUB_OAUTH_CLIENT_ID`).
   */
  settings?: Settings;
  /** Without `settings`: the environment snapshot to resolve them from (unit tests). */
  env?: EnvSnapshot;
  /** Without `settings`: flag values, over `env`. */
  flags?: RepoFlags;
  /** Refuse a repository without an API URL (default true; `build` passes false). */
  requireApi?: boolean;
}

function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

const CONFIGURE_HINT =
  'configure one in rebar.config: {hex, [{repos, [#{name => <<"NAME">>, api_url => <<"https://…/api">>, repo_url => <<"https://…">>}]}]}';

/**
 * The repository a command uses, with the per-run overrides applied.
 *
 * - No `requested` (no `-r`): `hexpm`. Only when `hexpm` itself was replaced
 *   (`{repos, replace, …}` without a hexpm entry) is `-r` required. rebar3_hex
 *   also required it whenever any other repository was configured, even an
 *   organization in the global config; hexpub does not, so configuring
 *   `hexpm:acme` never breaks plain publishing to hex.pm.
 * - `-r NAME`: the repository `NAME`, or `hexpm:NAME`. Both configured is
 *   ambiguous and refused. Neither configured: a `PARENT:ORG` name whose parent
 *   is configured is built from it (so `-r hexpm:acme` works without config,
 *   as in mix); anything else is refused with the known names.
 * - Then flag > env for `apiKey` (`HEX_API_KEY`), `apiUrl` (`--api-url`,
 *   `HEX_API_URL`, `HEX_API`) and `oauthClientId` (`HEXPUB_OAUTH_CLIENT_ID`),
 *   whether or not `-r` was given.
 *
 * @param repos The list from {@link resolveRepos}.
 * @param requested The `-r/--repo` value, if any.
 * @param options The command name and the run's settings.
 * @returns A new object; `repos` is not changed.
 * @throws {UsageError} When `-r` is blank, ambiguous or unknown, when `-r` is
 *   required and missing, or when the repository has no API URL and `requireApi`.
 */
export function selectRepo(
  repos: readonly RepoConfig[],
  requested: string | undefined,
  options: SelectRepoOptions = {},
): RepoConfig {
  const names = repos.map((r) => r.name);
  const byName = (name: string) => repos.find((r) => r.name === name);
  const who = options.command ? `\`${options.command}\`` : "this command";
  let repo: RepoConfig;

  if (requested === undefined) {
    const hexpm = byName(HEXPM);
    if (!hexpm) {
      throw new UsageError(
        `${who} needs --repo: the default repository "hexpm" is replaced in rebar.config`,
        {
          hint: names.length
            ? `Pass -r NAME with one of ${quoteList(names)}`
            : `No repository is configured; ${CONFIGURE_HINT}`,
        },
      );
    }
    repo = hexpm;
  } else {
    const name = requested.trim();
    if (name === "") {
      throw new UsageError("--repo is empty", {
        hint: "Pass -r NAME (hexpm, hexpm:ORG or a configured name), or leave -r out for hexpm",
      });
    }
    const exact = byName(name);
    const org = splitRepoName(name) ? undefined : byName(`${HEXPM}:${name}`);
    if (exact && org) {
      throw new UsageError(
        `repository "${name}" is ambiguous: both "${name}" and "${org.name}" are configured`,
        {
          hint:
            `Pass -r ${org.name} for the organization; to use "${name}", rename it in rebar.config`,
        },
      );
    }
    const found = exact ?? org ?? synthesise(repos, name);
    if (!found) {
      const hints = [`Known repositories: ${quoteList(names) || "none"}`];
      if (!splitRepoName(name) && HEXPM_ORG.test(name) && byName(HEXPM)) {
        hints.push(`for the organization "${name}" on hex.pm, pass -r ${HEXPM}:${name}`);
      }
      if (!splitRepoName(name)) hints.push(`or add it with \`hexpub repo add ${name} URL\``);
      hints.push(`or ${CONFIGURE_HINT}`);
      throw new UsageError(`no configuration for repository "${name}"`, {
        hint: hints.join("; "),
      });
    }
    repo = found;
  }

  return withRunSettings(repo, options);
}

/**
 * `repo` with the run's settings applied, as {@link selectRepo} applies them to
 * the repository `-r` names: `HEX_API_KEY` (only to hex.pm's API, or when the
 * API URL is given at run time), `HEX_API_URL`/`HEX_API`/`--api-url` and
 * `HEXPUB_OAUTH_CLIENT_ID`. Commands that read several repositories (`lock`,
 * `outdated`, `audit`) apply it to each, so they see each repository as
 * `info -r NAME` does, and find the keys stored for it.
 *
 * @param repo A repository from {@link resolveRepos}.
 * @param options The run's settings (or `env`/`flags`), and whether a
 *   repository without an API URL is refused (default true).
 * @returns A new object; `repo` is not changed.
 * @throws {UsageError} When the repository has no API URL and `requireApi`.
 */
export function withRunSettings(
  repo: RepoConfig,
  options: SelectRepoOptions = {},
): RepoConfig {
  // The local directory repository takes no API URL or key from the environment:
  // HEX_API_URL must not turn `publish -r local` into an upload.
  if (repo.apiUrl === LOCAL_API) return repo;
  const settings = options.settings ??
    settingsFrom({ env: options.env, flags: { ...options.flags } });
  const apiKey = settings.source("apiKey");
  const apiUrl = settings.source("apiUrl");
  const clientId = settings.source("oauthClientId");
  // HEX_API_KEY is a hex.pm key unless HEX_API_URL says where it goes: send it to
  // hex.pm and its organizations at hex.pm's API, or to an explicitly given API
  // URL, never to another host a rebar.config names.
  const family = isHexpmFamily(repo);
  const keyApplies = apiUrl !== undefined || (family && repo.apiUrl === HEXPM_API_URL);
  const selected: RepoConfig = {
    ...repo,
    ...(apiKey && keyApplies ? { apiKey: apiKey.value } : {}),
    ...(apiUrl ? { apiUrl: apiUrl.value } : {}),
    ...(clientId ? { oauthClientId: clientId.value } : {}),
  };
  // A dropped api_key does not matter when HEX_API_KEY takes its place.
  if (apiKey && keyApplies && selected.droppedSecrets) {
    const rest = selected.droppedSecrets.filter((d) => d.field !== "apiKey");
    if (rest.length) selected.droppedSecrets = rest;
    else delete selected.droppedSecrets;
  }
  if ((options.requireApi ?? true) && selected.apiUrl === "") {
    throw new UsageError(`repository "${selected.name}" has no api_url`, {
      hint: `Add api_url => <<"https://…/api">> to its entry in rebar.config, or set HEX_API_URL`,
    });
  }
  return selected;
}

/** `PARENT:ORG` built from a configured parent, or `undefined`. */
function synthesise(repos: readonly RepoConfig[], name: string): RepoConfig | undefined {
  const org = splitRepoName(name);
  if (!org) return undefined;
  const parent = repos.find((r) => r.name === org.parent && r.organization === undefined);
  if (!parent) return undefined;
  if (!validOrganization(org.parent, org.organization)) {
    throw new UsageError(`invalid organization "${org.organization}" in --repo "${name}"`, {
      hint: org.parent === HEXPM
        ? "hex.pm organization names use lower-case letters, digits and _"
        : "Organization names use letters, digits, _, . and -",
    });
  }
  return organizationRepo(parent, org.organization);
}
