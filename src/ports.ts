/**
 * The ports every task receives: all I/O hexpub does goes through these, so
 * tasks stay testable and `src/deno_deps.ts` is the one module that touches
 * `Deno.*`.
 *
 * Settings (flags, environment variables, config files) are not read by tasks:
 * the command layer resolves them once per run into an immutable
 * {@link Settings} value (`src/commands/_shared.ts`, called by `src/cli.ts`)
 * and passes it down as `Deps.settings`, beside the ports. A field of `Deps`
 * rather than of each task's input, because every task that talks to a
 * repository needs it, through `openSession` and the registry reads, whatever
 * its input. `Deps.env` stays for what is not a setting (`HOME`, `PATH`, the
 * environment of child processes).
 *
 * @module
 */

import type { Problem } from "./errors.ts";

/** What a path is, as `lstat` sees it (symlinks are not followed). */
export interface FileInfo {
  kind: "file" | "dir" | "symlink" | "other";
  /** Size in bytes (0 for directories). */
  size: number;
  /** Permission bits (`0o644`), or `undefined` where the platform has none. */
  mode: number | undefined;
  /** Last modification, in milliseconds since the epoch, where the platform reports it. */
  mtime?: number;
  /** The inode number, where the platform has one (a file replaced by a rename gets a new one). */
  ino?: number;
}

/** The file system operations hexpub uses. Paths are absolute or relative to `Deps.cwd`. */
export interface Fs {
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
  /** Info about `path` itself; `undefined` when it does not exist. */
  lstat(path: string): Promise<FileInfo | undefined>;
  /** Info about what `path` points to; `undefined` when it (or its target) does not exist. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** Names of the entries of a directory, sorted. */
  readDir(path: string): Promise<string[]>;
  readLink(path: string): Promise<string>;
  /** The real path with every symlink resolved. */
  realPath(path: string): Promise<string>;
  /** A stream of the file's bytes, read lazily. */
  openRead(path: string): Promise<ReadableStream<Uint8Array>>;
  mkdir(path: string): Promise<void>;
  /** Writes `data` to a temporary file beside `path`, then renames it over `path`. */
  writeFileAtomic(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  writeFile(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  /** Creates `path` holding `data`; `false` (nothing written) when it already exists. */
  createNew(path: string, data: Uint8Array, options?: { mode?: number }): Promise<boolean>;
  symlink(target: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  remove(path: string): Promise<void>;
  /** Creates a fresh directory inside `dir` (or the system temp dir). */
  makeTempDir(options?: { dir?: string; prefix?: string }): Promise<string>;
}

/** What a finished child process gave back. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the child was killed for running past `RunOptions.timeoutMs`. */
  timedOut?: boolean;
  /**
   * Set when the child was killed for writing more than `RunOptions.maxOutputBytes` on this
   * stream; that stream's text is then cut at the cap.
   */
  overflow?: "stdout" | "stderr";
}

/** How a child process is run. */
export interface RunOptions {
  cwd: string;
  /** Variables set for the child, on top of hexpub's environment. */
  env?: Record<string, string>;
  /** Kill the child after this many milliseconds (the result says `timedOut`). */
  timeoutMs?: number;
  /** Keep at most this many bytes of stdout and of stderr; past that the child is killed. */
  maxOutputBytes?: number;
}

/** Runs a program (never through a shell unless the program is one). */
export type Run = (cmd: string, args: string[], options: RunOptions) => Promise<RunResult>;

/** Where a command writes for the user. */
export interface Output {
  /** A line of normal output (stdout). */
  print(line: string): void;
  /** A warning line (stderr). */
  warn(line: string): void;
  /** A finding that does not stop the command, rendered for the user (stderr). */
  problem(problem: Problem): void;
  /** A progress or info line that is not part of the result (stderr). */
  info(line: string): void;
  /**
   * How far a transfer has got, drawn as a bar redrawn in place on stderr.
   * Present only when stderr is a terminal that can show one; without it, a
   * task prints plain start and end lines through {@link Output.info}.
   */
  progress?(event: ProgressEvent): void;
}

/** One step of a transfer, for {@link Output.progress}. */
export interface ProgressEvent {
  /** What is being transferred (`foo-1.0.0.tar`). */
  label: string;
  /** Bytes sent so far. */
  done: number;
  /** Bytes in all. */
  total: number;
  /** The last event of this transfer (it finished or failed): the bar is cleared. */
  finished?: boolean;
}

/** Asks the user; only called when `Deps.isTerminal` is true. */
export interface Prompter {
  select(message: string, choices: string[]): Promise<string>;
  /** A line of text. */
  input(message: string): Promise<string>;
  /** A secret, not echoed. */
  password(message: string): Promise<string>;
  /** Yes or no. */
  confirm(message: string, defaultAnswer: boolean): Promise<boolean>;
}

/** Facts about the machine. */
export interface Host {
  /** `linux`, `darwin`, `windows`, … */
  platform: string;
  /** The host name, for default key names (`HOST`, `HOST-api-read`). */
  hostname: string;
  /** Deno's version, for the User-Agent. */
  denoVersion: string;
}

/**
 * What `hexpub serve` allows a client (`src/io/http_server.ts` enforces it);
 * every time is in milliseconds.
 */
export interface ServeLimits {
  /** Most connections open at once (kept below the process's file limit). */
  maxConnections: number;
  /** Longest wait for a request to start, between requests, and for any read or write. */
  idleTimeout: number;
  /** Longest a request head (request line and headers) may take from its first byte. */
  headerTimeout: number;
  /** Longest a request body may take once the handler starts reading it. */
  bodyTimeout: number;
}

/** One request `Deps.listen` answered or refused, for an access log. */
export interface AccessEntry {
  /** The request as the handler got it; absent for one the server refused unread. */
  request?: Request;
  /** The request line's method, when it could be read. */
  method?: string;
  /** `HTTP/1.0` or `HTTP/1.1`, when the request line could be read. */
  protocol?: string;
  /** The client's address, when known. */
  remoteAddr?: string;
  /** The answer's status (499: the client went away before its answer was written). */
  status: number;
  /** Bytes of the answer's body written. */
  bytes: number;
  /** When the request's head had arrived, in milliseconds since the epoch. */
  time: number;
  /** Milliseconds from then to the end of the answer. */
  ms: number;
}

/** Options of {@link Deps.listen}. */
export interface ListenOptions {
  hostname: string;
  port: number;
  /** Overrides of the default limits (the connection cap's default comes from the file limit). */
  limits?: Partial<ServeLimits>;
  /** Told about each request once answered (see {@link AccessEntry}), e.g. to log it. */
  onAnswered?: (entry: AccessEntry) => void;
}

/** A running HTTP server. */
export interface Listener {
  /** The port it listens on (useful with port 0). */
  port: number;
  /** The limits in force. */
  limits: ServeLimits;
  /** The process's open-file limit (`ulimit -n`), when known. */
  fileLimit?: number;
  /** Settles when the server stops. */
  finished: Promise<void>;
  close(): Promise<void>;
}

/** Everything a task may use from the outside world, and the run's settings. */
export interface Deps {
  /** The working directory (absolute). */
  cwd: string;
  /**
   * A snapshot of the environment, taken once at start-up. Settings in the table
   * (`HEX_*`, `HEXPUB_*`, …) are read from {@link Deps.settings}, not here.
   */
  env: Readonly<Record<string, string>>;
  /** The run's settings, resolved once by the command layer (see the module doc). */
  settings: Settings;
  fs: Fs;
  run: Run;
  /** Full path of a program on PATH, or `undefined`. */
  which(cmd: string): Promise<string | undefined>;
  out: Output;
  /** Sends an HTTP request (Web `fetch`). */
  fetch(request: Request): Promise<Response>;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /**
   * Serves HTTP with `handler` until `close()` (or the process ends), with
   * connection and time limits (see {@link ServeLimits}).
   *
   * @throws {UsageError} When `limits.maxConnections` does not fit under the file limit.
   */
  listen(
    handler: (request: Request) => Promise<Response>,
    options: ListenOptions,
  ): Promise<Listener>;
  /** Opens a URL in the user's browser; false when that is not possible. */
  openUrl(url: string): Promise<boolean>;
  host: Host;
  /** Whether to colour stderr: a terminal, or FORCE_COLOR; never with NO_COLOR. */
  color: boolean;
  /** Whether stdin and stdout are a terminal (a person can answer prompts). */
  isTerminal: boolean;
  prompt: Prompter;
  /**
   * Reads stdin to its end, for a secret passed there rather than on the
   * command line (`user auth --key-stdin`). Stops after `maxBytes + 1` bytes,
   * so the caller can tell that there was more.
   */
  readStdin(maxBytes: number): Promise<Uint8Array>;
}

/** The ports alone, as `src/deno_deps.ts` builds them: {@link Deps} before the settings are resolved. */
export type Ports = Omit<Deps, "settings">;

/**
 * The values hexpub runs with, once every source is applied. The table saying
 * where each comes from is `SETTINGS` in `src/config/settings.ts`.
 */
export interface SettingValues {
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

/** A setting's name: a key of SettingValues. */
export type SettingName = keyof SettingValues;

/** Where a setting's value came from. */
export type SettingSource = "flag" | "env" | "project" | "global" | "default";

/** A value read from one source. */
export interface SettingValue<T> {
  readonly value: T;
  readonly source: Exclude<SettingSource, "default">;
  /** The variable, flag or file key it came from (`HEX_API`, `--otp`, `rebar_packages_cdn`). */
  readonly origin: string;
}

/**
 * The settings of one run, resolved once (`settingsFrom` in `src/config/settings.ts`): typed and
 * immutable. Tasks receive it as `Deps.settings`.
 *
 * A malformed value does not stop the run when it is resolved: its error is
 * kept and thrown by the first read of that setting, so a command that never
 * uses, say, `HEX_HTTP_TIMEOUT` is not refused for it.
 */
export interface Settings {
  /**
   * The setting's value: from its highest-precedence source, else its default.
   *
   * @throws {UsageError} The one its source's malformed value gave at resolution.
   */
  get<K extends SettingName>(name: K): SettingValues[K];
  /**
   * Where the setting's value came from, with the value; `undefined` when no
   * source sets it (the default applies).
   *
   * @throws {UsageError} As {@link Settings.get}.
   */
  source<K extends SettingName>(name: K): SettingValue<NonNullable<SettingValues[K]>> | undefined;
  /**
   * What one of the setting's environment variables gives on its own, whether
   * or not it wins (`HEX_MIRROR_URL` when `HEX_CDN` is set too); `undefined`
   * when it is unset, blank or malformed (a malformed one that wins is
   * reported by {@link Settings.get}).
   */
  variable<K extends SettingName>(
    name: K,
    variable: string,
  ): SettingValue<NonNullable<SettingValues[K]>> | undefined;
}
