/**
 * The ports every task receives: all I/O hexpub does goes through these, so
 * tasks stay testable and `src/deno_deps.ts` is the one module that touches
 * `Deno.*`.
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

/** A running HTTP server. */
export interface Listener {
  /** The port it listens on (useful with port 0). */
  port: number;
  /** Settles when the server stops. */
  finished: Promise<void>;
  close(): Promise<void>;
}

/** Everything a task may use from the outside world. */
export interface Deps {
  /** The working directory (absolute). */
  cwd: string;
  /** A snapshot of the environment, taken once at start-up. */
  env: Readonly<Record<string, string>>;
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
  /** Serves HTTP with `handler` until `close()` (or the process ends). */
  listen(
    handler: (request: Request) => Promise<Response>,
    options: { hostname: string; port: number },
  ): Promise<Listener>;
  /** Opens a URL in the user's browser; false when that is not possible. */
  openUrl(url: string): Promise<boolean>;
  host: Host;
  /** Whether to colour stderr: a terminal, or FORCE_COLOR; never with NO_COLOR. */
  color: boolean;
  /** Whether stdin and stdout are a terminal (a person can answer prompts). */
  isTerminal: boolean;
  prompt: Prompter;
}
