/**
 * hexpub's settings as one declarative table, resolved by one pure function.
 *
 * Each setting in {@link SETTINGS} says where it may come from: a command-line
 * flag, environment variables (the first non-blank one wins, so aliases such as
 * `HEX_API` behind `HEX_API_URL` work), a key in the project's or the global
 * rebar3 config, and a built-in default. {@link settingsFrom} applies the
 * precedence flag > env > project > global > default, once, into the run's
 * {@link Settings} value. Nothing here reads `Deno.env` or a file: callers pass
 * an environment snapshot and the consulted `rebar.config` terms.
 *
 * The command layer (`src/commands/_shared.ts`, called by `src/cli.ts`)
 * resolves the settings once per run and passes them down as `Deps.settings`;
 * tasks and `src/config/repos.ts` read that value, never the environment, for
 * anything in the table.
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
import type {
  SettingName,
  Settings,
  SettingSource,
  SettingValue,
  SettingValues,
} from "../ports.ts";

import { DEFAULT_COMMAND_TIMEOUT } from "../project/read_limits.ts";

export type { SettingName, Settings, SettingSource, SettingValue, SettingValues };

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

/** The spec table: exactly one row per {@link SettingValues} key, in help order. */
export const SETTINGS: { readonly [K in SettingName]: TypedSettingSpec<SettingValues[K]> } = {
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
    default: 30,
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
): SettingValue<NonNullable<SettingValues[K]>> | undefined {
  const spec: SettingSpec = SETTINGS[name];
  const found = (value: unknown, source: SettingValue<unknown>["source"], origin: string) =>
    value === undefined
      ? undefined
      : { value: value as NonNullable<SettingValues[K]>, source, origin };

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

/** One setting as resolved: what its sources gave, or the error a malformed one raised. */
type Outcome = { found: SettingValue<unknown> | undefined } | { error: unknown };

/** What a {@link Settings} value was resolved from: each setting, and each of its variables alone. */
interface Resolution {
  outcomes: ReadonlyMap<SettingName, Outcome>;
  variables: ReadonlyMap<string, SettingValue<unknown> | undefined>;
}

/** The resolution behind each {@link Settings} value, for {@link withConfigFiles}. */
const resolutions = new WeakMap<Settings, Resolution>();

const variableKey = (name: SettingName, variable: string) => `${name}\u0000${variable}`;

function frozenSettings(resolution: Resolution): Settings {
  const found = (name: SettingName): SettingValue<unknown> | undefined => {
    const outcome = resolution.outcomes.get(name)!;
    if ("error" in outcome) throw outcome.error;
    return outcome.found;
  };
  const settings: Settings = Object.freeze({
    get: <K extends SettingName>(name: K) =>
      (found(name)?.value ?? SETTINGS[name].default) as SettingValues[K],
    source: <K extends SettingName>(name: K) =>
      found(name) as SettingValue<NonNullable<SettingValues[K]>> | undefined,
    variable: <K extends SettingName>(name: K, variable: string) =>
      resolution.variables.get(variableKey(name, variable)) as
        | SettingValue<NonNullable<SettingValues[K]>>
        | undefined,
  });
  resolutions.set(settings, resolution);
  return settings;
}

function outcome(read: () => SettingValue<unknown> | undefined): Outcome {
  try {
    return { found: read() };
  } catch (error) {
    return { error };
  }
}

/**
 * Resolves every setting once, flag > env > project > global > default, into
 * the run's {@link Settings}. The inputs are read now: changing them later
 * changes nothing.
 *
 * @param inputs Flag values, the environment snapshot and consulted config terms.
 * @returns The frozen settings; a malformed value's error waits for its first read.
 */
export function settingsFrom(inputs: SettingInputs = {}): Settings {
  const outcomes = new Map<SettingName, Outcome>();
  const variables = new Map<string, SettingValue<unknown> | undefined>();
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    outcomes.set(name, outcome(() => readSetting(name, inputs)));
    for (const variable of SETTINGS[name].env) {
      const alone = outcome(() =>
        readSetting(name, { env: { [variable]: inputs.env?.[variable] } })
      );
      variables.set(variableKey(name, variable), "found" in alone ? alone.found : undefined);
    }
  }
  return frozenSettings({ outcomes, variables });
}

/**
 * `settings` with the config files' layer under it: a setting no flag or
 * variable set (and none set malformed) takes the project's, then the global
 * `rebar.config`'s value. The precedence stays flag > env > project > global >
 * default; what `settings` resolved is not resolved again.
 *
 * @param settings The run's settings (from {@link settingsFrom}).
 * @param files The consulted project and global `rebar.config` terms, and their names.
 * @returns New frozen settings; `settings` is not changed.
 */
export function withConfigFiles(
  settings: Settings,
  files: Pick<SettingInputs, "project" | "global" | "files">,
): Settings {
  const before = resolutions.get(settings);
  const outcomes = new Map<SettingName, Outcome>();
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const had = before?.outcomes.get(name) ?? outcome(() => settings.source(name));
    const set = "error" in had || had.found !== undefined;
    outcomes.set(name, set ? had : outcome(() => readSetting(name, files)));
  }
  return frozenSettings({ outcomes, variables: before?.variables ?? new Map() });
}

/**
 * Resolves every setting: flag > env > project > global > default, all at once.
 *
 * @param inputs Flag values, the environment snapshot and consulted config terms.
 * @returns The typed values.
 * @throws {UsageError} Naming the variable, flag or file key whose value is malformed
 *   (a boolean outside `1/true/yes/on` and `0/false/no/off`, a URL that is not http(s), …).
 */
export function resolveSettings(inputs: SettingInputs = {}): SettingValues {
  const settings = settingsFrom(inputs);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) out[name] = settings.get(name);
  return out as unknown as SettingValues;
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
