/**
 * hexpub's settings as one declarative table, resolved by one pure function.
 *
 * Each setting in {@link SETTINGS} says where it may come from: a command-line
 * flag, environment variables (the first non-blank one wins, so aliases such as
 * `HEX_API` behind `HEX_API_URL` work), a key in the project's or the global
 * rebar3 config, and a built-in default. {@link resolveSettings} applies the
 * precedence flag > env > project > global > default. Nothing here reads
 * `Deno.env` or a file: callers pass an environment snapshot and the consulted
 * `rebar.config` terms.
 *
 * Blank values (empty or only whitespace) count as unset wherever they come
 * from, so `HEX_API_KEY=` in a CI file does not hide a stored key.
 *
 * Per-repository settings (`api_url`, keys, verification) live in
 * `src/config/repos.ts`, which reads the same table for the environment
 * variables that override a repository.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { type Term, textOf } from "../erlang/term.ts";
import { configValue, optionValue } from "../project/rebar_config.ts";
import { DEFAULT_COMMAND_TIMEOUT } from "../project/read_limits.ts";

/** An environment snapshot (`Deps.env`), taken once at start-up. */
export type EnvSnapshot = Readonly<Record<string, string | undefined>>;

/** hex.pm's API, as hex_core's default config has it. */
export const HEXPM_API_URL = "https://hex.pm/api";

/** hex.pm's repository (the CDN), as hex_core's default config has it. */
export const HEXPM_REPO_URL = "https://repo.hex.pm";

/**
 * The OAuth client id hexpub uses for hex.pm's device flow: rebar3's public
 * client (`rebar_hex_auth.erl`), until hexpub has one of its own.
 */
export const REBAR3_OAUTH_CLIENT_ID = "b9721cf5-be2f-4a65-bfa5-141698b4b9cf";

/** The values hexpub runs with, once every source is applied. */
export interface Settings {
  /** A Hex API key for the repository in use; sent as is, no local password asked. */
  apiKey: string | undefined;
  /** The API base URL for the repository in use (no trailing slash). */
  apiUrl: string;
  /** A TOTP code for writes made with OAuth tokens (`x-hex-otp`). */
  otp: string | undefined;
  /** The hexpm repository (CDN or mirror) URL (no trailing slash). */
  repoUrl: string;
  /** Skip the registry signature check (`repo_verify` false). */
  unsafeRegistry: boolean;
  /** Skip the registry's repository-name check (`repo_verify_origin` false). */
  noVerifyRepoOrigin: boolean;
  /** hexpub's own config directory (credential store); the platform's default when unset. */
  configDir: string | undefined;
  /** rebar3's global config root: `DIR/.config/rebar3/` instead of `~/.config/rebar3/`. */
  rebarGlobalConfigDir: string | undefined;
  /** Answers the local password prompt (for CI). */
  localPassword: string | undefined;
  /** Answer yes to every confirmation. */
  yes: boolean;
  /** Seconds one HTTP request may take. */
  httpTimeout: number;
  /** Seconds a project command may run (read where it runs: `project/read_limits.ts`). */
  cmdTimeout: number;
  /** The OAuth client id for the device flow. */
  oauthClientId: string;
}

/** A setting's name: a key of {@link Settings}. */
export type SettingName = keyof Settings;

/** How a raw value is turned into the setting's type. */
export type Coercion = "string" | "boolean" | "url" | "number";

/** The coercion a setting of value type `T` may use. */
type CoercionFor<T> = T extends boolean ? "boolean"
  : T extends number ? "number"
  : "string" | "url";

/** One row of the spec table. */
export interface SettingSpec {
  /** The flag as help shows it (`--otp CODE`); its value arrives under the setting's name. */
  flag?: string;
  /** Environment variables, in order: the first non-blank one wins. */
  env: readonly string[];
  /** Where the setting sits in `rebar.config`: a top-level key, then keys inside its value. */
  fileKey?: readonly string[];
  /** One line for README and `--help`. */
  description: string;
  /** The value when no source sets it. */
  default?: string | boolean | number;
  /** How raw text is read. */
  coerce: Coercion;
  /** Never shown, not even its default. */
  secret?: boolean;
  /** Kept exactly as given, never trimmed (a password may start or end with spaces). */
  verbatim?: boolean;
}

/** A row whose default and coercion agree with the setting's value type `T`. */
export type TypedSettingSpec<T> = SettingSpec & {
  default?: NonNullable<T>;
  coerce: CoercionFor<NonNullable<T>>;
};

/** The spec table: exactly one row per {@link Settings} key, in help order. */
export const SETTINGS: { readonly [K in SettingName]: TypedSettingSpec<Settings[K]> } = {
  apiKey: {
    env: ["HEX_API_KEY"],
    description:
      "API key for the repository in use (with or without --repo); no local password is asked",
    coerce: "string",
    secret: true,
  },
  apiUrl: {
    flag: "--api-url URL",
    env: ["HEX_API_URL", "HEX_API"],
    description: "API base URL for the repository in use",
    default: HEXPM_API_URL,
    coerce: "url",
  },
  otp: {
    flag: "--otp CODE",
    env: ["HEX_OTP"],
    description: "TOTP code for writes made with an OAuth token (asked for on a terminal)",
    coerce: "string",
    secret: true,
  },
  repoUrl: {
    env: ["HEX_CDN", "HEX_MIRROR_URL", "HEX_MIRROR"],
    fileKey: ["rebar_packages_cdn"],
    description: "URL of the hexpm repository (a CDN or mirror of repo.hex.pm)",
    default: HEXPM_REPO_URL,
    coerce: "url",
  },
  unsafeRegistry: {
    env: ["HEX_UNSAFE_REGISTRY"],
    description: "when true, skip the registry signature check (repo_verify false)",
    default: false,
    coerce: "boolean",
  },
  noVerifyRepoOrigin: {
    env: ["HEX_NO_VERIFY_REPO_ORIGIN", "REBAR_NO_VERIFY_REPO_ORIGIN"],
    description: "when true, skip the registry's repository-name check (repo_verify_origin false)",
    default: false,
    coerce: "boolean",
  },
  configDir: {
    env: ["HEXPUB_CONFIG_DIR"],
    description: "directory of hexpub's credential store (default: the user config dir)",
    coerce: "string",
  },
  rebarGlobalConfigDir: {
    env: ["REBAR_GLOBAL_CONFIG_DIR"],
    description: "read rebar3's global rebar.config and hex.config from DIR/.config/rebar3",
    coerce: "string",
  },
  localPassword: {
    env: ["HEXPUB_LOCAL_PASSWORD"],
    description: "answers the local password prompt (for CI)",
    coerce: "string",
    secret: true,
    verbatim: true,
  },
  yes: {
    flag: "--yes",
    env: [],
    description: "answer yes to every confirmation",
    default: false,
    coerce: "boolean",
  },
  httpTimeout: {
    env: ["HEX_HTTP_TIMEOUT"],
    description: "seconds one HTTP request may take",
    default: 60,
    coerce: "number",
  },
  cmdTimeout: {
    env: ["HEXPUB_CMD_TIMEOUT"],
    description:
      "seconds a project command may run ({cmd, …} versions, .script evaluation, git for {vsn, git})",
    default: DEFAULT_COMMAND_TIMEOUT,
    coerce: "number",
  },
  oauthClientId: {
    env: ["HEXPUB_OAUTH_CLIENT_ID"],
    description: "OAuth client id for `user auth` (default: rebar3's public client id)",
    default: REBAR3_OAUTH_CLIENT_ID,
    coerce: "string",
  },
};

/** Where a setting's value came from. */
export type SettingSource = "flag" | "env" | "project" | "global" | "default";

/** Raw flag values as the command framework parsed them, keyed by setting name. */
export type SettingFlags = { readonly [K in SettingName]?: string | boolean | number };

/** Everything a setting may be read from. */
export interface SettingInputs {
  /** Flag values, keyed by setting name (`{ otp: "123456", yes: true }`). */
  flags?: SettingFlags;
  /** The environment snapshot. */
  env?: EnvSnapshot;
  /** The project's consulted `rebar.config` terms. */
  project?: Term[];
  /** The global `rebar.config` terms (`~/.config/rebar3/rebar.config`). */
  global?: Term[];
  /** File names for error messages. */
  files?: { project?: string; global?: string };
}

/** A value read from one source. */
export interface SettingValue<T> {
  value: T;
  source: Exclude<SettingSource, "default">;
  /** The variable, flag or file key it came from (`HEX_API`, `--otp`, `rebar_packages_cdn`). */
  origin: string;
}

/** The value of `raw` if it is not blank; trimmed unless `keepSpaces`. */
function nonBlank(raw: string | undefined, keepSpaces = false): string | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  return keepSpaces ? raw : raw.trim();
}

/** The words a boolean setting takes: true ones, then false ones. */
export interface BooleanWords {
  yes: string[];
  no: string[];
}

/** What environment variables and config files take. */
const SETTING_WORDS: BooleanWords = {
  yes: ["1", "true", "yes", "on"],
  no: ["0", "false", "no", "off"],
};

/** What rebar3 takes for a boolean flag such as `--prefix-tag` (also `t`, `y`, `f`, `n`). */
export const REBAR3_BOOLEAN_WORDS: BooleanWords = {
  yes: ["true", "t", "yes", "y", "on", "1"],
  no: ["false", "f", "no", "n", "off", "0"],
};

const listed = (list: string[]) => `${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;

/**
 * Reads a boolean word, in any case: the one boolean parser of hexpub (settings
 * and flags alike).
 *
 * @param raw The text.
 * @param origin What the text came from, for the error (`HEX_UNSAFE_REGISTRY`, `--prefix-tag`).
 * @param words The words taken (default `1/true/yes/on` and `0/false/no/off`).
 * @throws {UsageError} Naming `origin` and the accepted words, for anything else.
 */
export function parseBoolean(
  raw: string,
  origin: string,
  words: BooleanWords = SETTING_WORDS,
): boolean {
  const word = raw.trim().toLowerCase();
  if (words.yes.includes(word)) return true;
  if (words.no.includes(word)) return false;
  throw new UsageError(
    `invalid ${origin} "${raw}": expected ${listed(words.yes)} (on) or ${listed(words.no)} (off)`,
    {
      hint: `Set ${origin} to one of those values${origin.startsWith("-") ? "" : ", or unset it"}`,
    },
  );
}

/**
 * Reads an http(s) URL and drops trailing slashes, keeping the text otherwise
 * as given.
 *
 * @throws {UsageError} Naming `origin`, when the text is not an http(s) URL with a host.
 */
export function parseUrl(raw: string, origin: string): string {
  const text = raw.trim();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.host === "") {
    throw new UsageError(`invalid ${origin} "${raw}": expected an http or https URL`, {
      hint: `Give ${origin} as https://host/path`,
    });
  }
  return text.replace(/\/+$/, "");
}

/**
 * Reads a positive number.
 *
 * @throws {UsageError} Naming `origin`, for anything else.
 */
function parseNumber(raw: string, origin: string): number {
  const text = raw.trim();
  const n = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`invalid ${origin} "${raw}": expected a positive number`, {
      hint: `Give ${origin} as a number such as 60`,
    });
  }
  return n;
}

/** Coerces raw text by the spec's coercion. */
function coerceText(spec: SettingSpec, raw: string, origin: string): unknown {
  switch (spec.coerce) {
    case "boolean":
      return parseBoolean(raw, origin);
    case "url":
      return parseUrl(raw, origin);
    case "number":
      return parseNumber(raw, origin);
    case "string":
      return nonBlank(raw, spec.verbatim);
  }
}

/** Coerces a consulted term: atoms for booleans, numbers for numbers, text otherwise. */
function coerceTerm(spec: SettingSpec, term: Term, origin: string): unknown {
  if (spec.coerce === "boolean" && term.kind === "atom") {
    if (term.value === "true" || term.value === "false") return term.value === "true";
  }
  if (spec.coerce === "number" && (term.kind === "integer" || term.kind === "float")) {
    const n = Number(term.value);
    if (n > 0 && Number.isFinite(n)) return n;
  }
  const text = term.kind === "atom" ? undefined : textOf(term);
  if (text === undefined) {
    throw new UsageError(`invalid ${origin}: expected ${expected(spec)}`, {
      hint: `Fix ${origin}, or remove it`,
    });
  }
  if (nonBlank(text) === undefined) return undefined;
  return coerceText(spec, text, origin);
}

function expected(spec: SettingSpec): string {
  switch (spec.coerce) {
    case "boolean":
      return "true or false";
    case "number":
      return "a positive number";
    case "url":
      return 'a URL string ("https://…" or <<"https://…">>)';
    case "string":
      return "a string";
  }
}

function flagName(spec: SettingSpec, name: string): string {
  return spec.flag?.split(" ")[0] ?? `--${name}`;
}

/** The term at `path` in consulted config terms. */
function fileValue(terms: Term[] | undefined, path: readonly string[]): Term | undefined {
  let value = configValue(terms, path[0]);
  for (const key of path.slice(1)) value = optionValue(value, key);
  return value;
}

/**
 * Reads one setting from its sources, highest precedence first (flag, env,
 * project, global), without the default.
 *
 * @param name The setting.
 * @param inputs The sources.
 * @returns The value and where it came from, or `undefined` when no source sets it.
 * @throws {UsageError} When the first source that sets it holds a value of the wrong shape.
 */
export function readSetting<K extends SettingName>(
  name: K,
  inputs: SettingInputs,
): SettingValue<NonNullable<Settings[K]>> | undefined {
  const spec: SettingSpec = SETTINGS[name];
  const found = (value: unknown, source: SettingValue<unknown>["source"], origin: string) =>
    value === undefined ? undefined : { value: value as NonNullable<Settings[K]>, source, origin };

  const flag = inputs.flags?.[name];
  if (flag !== undefined) {
    const origin = flagName(spec, name);
    if (typeof flag === "boolean" || typeof flag === "number") {
      const ok = spec.coerce === (typeof flag === "boolean" ? "boolean" : "number");
      if (!ok) throw new UsageError(`invalid ${origin}: expected ${expected(spec)}`);
      const result = found(flag, "flag", origin);
      if (result) return result;
    } else if (nonBlank(flag) !== undefined) {
      return found(coerceText(spec, flag, origin), "flag", origin);
    }
  }

  for (const variable of spec.env) {
    const raw = inputs.env?.[variable];
    if (nonBlank(raw) === undefined) continue;
    return found(coerceText(spec, raw!, variable), "env", variable);
  }

  if (spec.fileKey) {
    const key = spec.fileKey.join(" → ");
    for (const source of ["project", "global"] as const) {
      const term = fileValue(inputs[source], spec.fileKey);
      if (!term) continue;
      const file = inputs.files?.[source] ?? `the ${source} rebar.config`;
      const result = found(coerceTerm(spec, term, `${key} in ${file}`), source, key);
      if (result) return result;
    }
  }
  return undefined;
}

/**
 * Resolves every setting: flag > env > project > global > default.
 *
 * @param inputs Flag values, the environment snapshot and consulted config terms.
 * @returns The typed settings.
 * @throws {UsageError} Naming the variable, flag or file key whose value is malformed
 *   (a boolean outside `1/true/yes/on` and `0/false/no/off`, a URL that is not http(s), …).
 */
export function resolveSettings(inputs: SettingInputs = {}): Settings {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    out[name] = readSetting(name, inputs)?.value ?? SETTINGS[name].default;
  }
  return out as unknown as Settings;
}

/**
 * One line per setting for README and `--help`: its environment variables, its
 * flag, its rebar.config key, what it does and its default (never for secrets).
 */
export function settingsHelp(): string[] {
  return (Object.keys(SETTINGS) as SettingName[]).map((name) => {
    const spec: SettingSpec = SETTINGS[name];
    const where = [
      ...spec.env,
      ...(spec.flag ? [spec.flag] : []),
      ...(spec.fileKey ? [`{${spec.fileKey.join(", ")}, …} in rebar.config`] : []),
    ].join(", ");
    const def = spec.default !== undefined && !spec.secret && !spec.description.includes("default:")
      ? ` (default: ${spec.default})`
      : "";
    return `${where}: ${spec.description}${def}`;
  });
}
