/**
 * The real ports: the one module that touches `Deno.*` for files, processes,
 * the environment and the terminal.
 *
 * @module
 */
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { CancelledError, UsageError } from "./errors.ts";
import { DEFAULT_TIMEOUTS, serveHttp, type StreamConn } from "./io/http_server.ts";
import { formatProblem } from "./ui/format_error.ts";
import { progressOutput } from "./ui/progress.ts";
import type {
  FileInfo,
  Fs,
  Listener,
  ListenOptions,
  Output,
  Ports,
  RunOptions,
  RunResult,
  ServeLimits,
} from "./ports.ts";

function info(st: Deno.FileInfo): FileInfo {
  const kind = st.isSymlink ? "symlink" : st.isFile ? "file" : st.isDirectory ? "dir" : "other";
  return {
    kind,
    size: kind === "file" ? st.size : 0,
    mode: st.mode ?? undefined,
    mtime: st.mtime?.getTime(),
    ino: st.ino ?? undefined,
  };
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}

/** The real file system, resolving relative paths against `cwd`. */
export function denoFs(cwd: string): Fs {
  const p = (path: string) => resolve(cwd, path);
  return {
    readFile: (path) => Deno.readFile(p(path)),
    readTextFile: (path) => Deno.readTextFile(p(path)),
    // Sync: an lstat is a few microseconds, while the async op's trip through
    // the blocking thread pool costs 15-65 µs of CPU (scripts/bench_serve.ts:
    // every file `hexpub serve` answers is lstat'ed twice).
    lstat: async (path) => {
      const st = await orUndefined(Promise.try(() => Deno.lstatSync(p(path))));
      return st && info(st);
    },
    stat: async (path) => {
      const st = await orUndefined(Deno.stat(p(path)));
      return st && info(st);
    },
    readDir: async (path) => {
      const names: string[] = [];
      for await (const e of Deno.readDir(p(path))) names.push(e.name);
      return names.sort();
    },
    readLink: (path) => Deno.readLink(p(path)),
    realPath: (path) => Deno.realPath(p(path)),
    openRead: async (path) => (await Deno.open(p(path))).readable,
    mkdir: (path) => Deno.mkdir(p(path), { recursive: true }),
    writeFileAtomic: async (path, data, options) => {
      const target = p(path);
      const tmp = join(
        dirname(target),
        `.${crypto.randomUUID().slice(0, 8)}.hexpub-tmp`,
      );
      try {
        await Deno.writeFile(tmp, data, { mode: options?.mode ?? 0o644 });
        if (options?.mode !== undefined && Deno.build.os !== "windows") {
          await Deno.chmod(tmp, options.mode);
        }
        await Deno.rename(tmp, target);
      } catch (e) {
        await Deno.remove(tmp).catch(() => {});
        throw e;
      }
    },
    writeFile: async (path, data, options) => {
      await Deno.writeFile(p(path), data, { mode: options?.mode ?? 0o644 });
      if (options?.mode !== undefined && Deno.build.os !== "windows") {
        await Deno.chmod(p(path), options.mode);
      }
    },
    createNew: async (path, data, options) => {
      try {
        await Deno.writeFile(p(path), data, { createNew: true, mode: options?.mode ?? 0o644 });
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) return false;
        throw e;
      }
    },
    symlink: (target, path) => Deno.symlink(target, p(path)),
    rename: (from, to) => Deno.rename(p(from), p(to)),
    chmod: (path, mode) => Deno.chmod(p(path), mode),
    remove: (path) => Deno.remove(p(path), { recursive: true }),
    makeTempDir: (options) =>
      Deno.makeTempDir({
        dir: options?.dir === undefined ? undefined : p(options.dir),
        prefix: options?.prefix,
      }),
  };
}

/**
 * Reads a child's stream into `into`, keeping at most `max` bytes: true when it
 * ended within them, false when more came (reading stops there).
 */
async function collect(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  into: Uint8Array[],
  max: number,
): Promise<boolean> {
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) return true;
    if (size + value.length > max) {
      into.push(value.subarray(0, max - size));
      return false;
    }
    into.push(value);
    size += value.length;
  }
}

function decodeChunks(chunks: Uint8Array[]): string {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

/**
 * Runs a program and collects its output as text. With `timeoutMs` or
 * `maxOutputBytes`, a child that runs too long or prints too much is killed
 * (SIGKILL) and the result says why; reading stops then, even when a
 * grandchild still holds the pipes.
 */
export async function denoRun(
  cmd: string,
  args: string[],
  options: RunOptions,
): Promise<RunResult> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${cmd}: command not found` };
    }
    throw e;
  }
  const max = options.maxOutputBytes ?? Infinity;
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  type Why = "timedOut" | "stdout" | "stderr";
  let stop: (why: Why) => void = () => {};
  const stopped = new Promise<Why>((resolve) => stop = resolve);
  const timer = options.timeoutMs === undefined
    ? undefined
    : setTimeout(() => stop("timedOut"), options.timeoutMs);
  const finished = Promise.all([
    collect(readers[0], out, max).then((ok) => ok || stop("stdout")),
    collect(readers[1], err, max).then((ok) => ok || stop("stderr")),
    child.status,
  ]).then(() => undefined);
  try {
    const why = await Promise.race([finished, stopped]);
    if (why !== undefined) {
      try {
        child.kill("SIGKILL");
      } catch {
        // It ended on its own meanwhile.
      }
      // A grandchild may still hold the pipes: stop reading rather than wait for it.
      await Promise.allSettled(readers.map((r) => r.cancel()));
    }
    const status = await child.status;
    await finished.catch(() => {});
    const result: RunResult = {
      code: status.code,
      stdout: decodeChunks(out),
      stderr: decodeChunks(err),
    };
    if (why === "timedOut") result.timedOut = true;
    else if (why !== undefined) result.overflow = why;
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Finds a program on PATH. */
export async function denoWhich(
  cmd: string,
  env: Readonly<Record<string, string>>,
): Promise<string | undefined> {
  if (isAbsolute(cmd)) return (await orUndefined(Deno.stat(cmd))) ? cmd : undefined;
  const exts = Deno.build.os === "windows"
    ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").concat("")
    : [""];
  for (const dir of (env.PATH ?? env.Path ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const st = await orUndefined(Deno.stat(join(dir, cmd + ext)));
      if (st?.isFile && (Deno.build.os === "windows" || ((st.mode ?? 0o111) & 0o111))) {
        return join(dir, cmd + ext);
      }
    }
  }
  return undefined;
}

/** Writes lines to stdout and stderr; findings are rendered as the CLI shows them. */
export function denoOutput(color: boolean): Output {
  const enc = new TextEncoder();
  const write = (f: typeof Deno.stdout, s: string) => f.writeSync(enc.encode(s + "\n"));
  return {
    print: (line) => write(Deno.stdout, line),
    warn: (line) => write(Deno.stderr, line),
    info: (line) => write(Deno.stderr, line),
    problem: (p) => write(Deno.stderr, formatProblem(p, { color })),
  };
}

/**
 * `out` with a progress bar on stderr (`src/ui/progress.ts`) when stderr is a
 * terminal that can redraw a line (not `TERM=dumb`); else `out` as it is, and
 * tasks print plain start and end lines.
 */
function stderrProgress(out: Output, env: Readonly<Record<string, string>>): Output {
  if (!Deno.stderr.isTerminal() || env.TERM === "dumb") return out;
  const enc = new TextEncoder();
  return progressOutput(out, {
    write: (text) => Deno.stderr.writeSync(enc.encode(text)),
    now: () => performance.now(),
    columns: () => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return 80;
      }
    },
  });
}

/** Asks on stderr (stdout stays clean for --json) and reads one line from stdin. */
async function readLine(message: string): Promise<string> {
  Deno.stderr.writeSync(new TextEncoder().encode(message));
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (true) {
    const n = await Deno.stdin.read(one);
    if (n === null || one[0] === 0x0a) break;
    if (one[0] !== 0x0d) bytes.push(one[0]);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Runs a prompt, turning the user's Ctrl-C into a CancelledError (exit 130). */
async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (e) {
    if (e instanceof Error && e.name === "ExitPromptError") {
      throw new CancelledError("cancelled at the prompt", { cause: e });
    }
    throw e;
  }
}

/** The host name, without needing --allow-sys when the environment tells it. */
/**
 * The process's soft open-file limit (RLIMIT_NOFILE, what `ulimit -n`
 * prints): from /proc/self/limits on Linux, else from `sh -c "ulimit -n"`;
 * `undefined` when neither tells (Windows) or it is unlimited.
 */
export function fileLimit(): number | undefined {
  try {
    const m = Deno.readTextFileSync("/proc/self/limits").match(/^Max open files\s+(\d+)/m);
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  try {
    const out = new Deno.Command("sh", { args: ["-c", "ulimit -n"], stderr: "null" }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (/^\d+$/.test(text)) return Number(text);
  } catch {
    // no shell
  }
  return undefined;
}

/** File descriptors kept free of connections, for the files a server reads and writes. */
export function reservedFiles(limit: number): number {
  return Math.max(32, Math.floor(limit / 10));
}

/**
 * The connection cap under file limit `limit`: the limit less what is kept
 * for files ({@link reservedFiles}); 1,000 when the limit is unknown.
 */
export function defaultMaxConnections(limit: number | undefined): number {
  return limit === undefined ? 1000 : Math.max(1, limit - reservedFiles(limit));
}

/**
 * `Deps.listen`: an HTTP/1.1 server (`src/io/http_server.ts`) on a TCP
 * listener, with the limits of `options` over the defaults.
 *
 * @throws {UsageError} When `maxConnections` leaves too few files for the server's own use.
 */
export function denoListen(
  handler: (request: Request) => Promise<Response>,
  options: ListenOptions,
): Promise<Listener> {
  const limit = fileLimit();
  const cap = options.limits?.maxConnections;
  if (cap !== undefined && limit !== undefined && cap > limit - reservedFiles(limit)) {
    throw new UsageError(
      `--max-connections ${cap} does not fit under the open-file limit (ulimit -n ${limit})`,
      {
        hint: `Use at most ${limit - reservedFiles(limit)} (${
          reservedFiles(limit)
        } files are kept for the repository), or raise \`ulimit -n\``,
      },
    );
  }
  const limits: ServeLimits = {
    maxConnections: defaultMaxConnections(limit),
    ...DEFAULT_TIMEOUTS,
    ...Object.fromEntries(
      Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined),
    ),
  };
  const tcp = Deno.listen({ hostname: options.hostname, port: options.port });
  const port = (tcp.addr as Deno.NetAddr).port;
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const server = serveHttp(
    {
      accept: async (): Promise<StreamConn> => {
        const conn = await tcp.accept();
        try {
          conn.setNoDelay(true);
        } catch {
          // closed already
        }
        return conn;
      },
      close: () => tcp.close(),
    },
    handler,
    {
      limits,
      defaultHost: `${host}:${port}`,
      isListenerClosed: (e) =>
        e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted,
      onAnswered: options.onAnswered,
    },
  );
  return Promise.resolve({
    port,
    limits,
    fileLimit: limit,
    finished: server.finished,
    close: () => server.close(),
  });
}

function hostname(env: Readonly<Record<string, string>>): string {
  if (env.HOSTNAME) return env.HOSTNAME;
  try {
    return Deno.hostname();
  } catch {
    return "hexpub";
  }
}

/** The real ports for this process. */
export function denoDeps(): Ports {
  const cwd = Deno.cwd();
  const env = Deno.env.toObject();
  const color = !env.NO_COLOR && (Deno.stderr.isTerminal() || !!env.FORCE_COLOR);
  return {
    cwd,
    env,
    fs: denoFs(cwd),
    run: denoRun,
    which: (cmd) => denoWhich(cmd, env),
    out: stderrProgress(denoOutput(color), env),
    color,
    isTerminal: Deno.stdin.isTerminal() && Deno.stdout.isTerminal(),
    fetch: (request) => fetch(request),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    listen: denoListen,
    openUrl: async (url) => {
      const [cmd, args] = Deno.build.os === "darwin" ? ["open", [url]] : Deno.build.os === "windows"
        // Not `cmd /c start`: cmd would interpret & | ^ in the URL.
        ? ["rundll32", ["url.dll,FileProtocolHandler", url]]
        : ["xdg-open", [url]];
      try {
        return (await denoRun(cmd, args, { cwd })).code === 0;
      } catch {
        return false; // not allowed to run it, or no such program: the user opens the URL
      }
    },
    host: {
      platform: Deno.build.os,
      hostname: hostname(env),
      denoVersion: Deno.version.deno,
    },
    prompt: {
      select: async (message, choices) => {
        const { default: select } = await import("@inquirer/select");
        try {
          return await select({ message, choices: choices.map((c) => ({ value: c, name: c })) });
        } catch (e) {
          if (e instanceof Error && e.name === "ExitPromptError") {
            throw new CancelledError("cancelled at the prompt", { cause: e });
          }
          throw e;
        }
      },
      input: (message) => readLine(`${message} `),
      password: (message) =>
        cancellable(async () => {
          const { default: password } = await import("@inquirer/password");
          return await password({ message, mask: "*" });
        }),
      confirm: (message, defaultAnswer) =>
        cancellable(async () => {
          const { default: confirm } = await import("@inquirer/confirm");
          return await confirm({ message, default: defaultAnswer });
        }),
    },
    readStdin: (maxBytes) => readStdin(maxBytes),
  };
}

/** Reads stdin to its end, stopping once more than `maxBytes` bytes came. */
async function readStdin(maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = Deno.stdin.readable.getReader();
  try {
    while (size <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(Math.min(size, maxBytes + 1));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, out.length - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}
