/**
 * HTTP on 127.0.0.1 for tests: serve any fetch handler at a free port (for a
 * subprocess, or for code that must go through a real socket), and
 * `withServedRepo`, a real `hexpub serve` repository in a temporary directory
 * with an API key, started through the CLI itself and stopped afterwards.
 *
 * ```ts
 * await withServedRepo(async (repo) => {
 *   const deps = testDeps(project, { env: repo.env(home) });
 *   assert.equal(await runCli(["publish", "-r", repo.name, "--yes"], deps), 0);
 * });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import type { Listener } from "../../src/ports.ts";
import { type TestDeps, testDeps } from "./test_deps.ts";

/** A handler served on 127.0.0.1. */
export interface Served extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  origin: string;
  port: number;
  /** Every request as `METHOD PATH STATUS`, in the order answered. */
  seen: string[];
  /** Stops the server and waits for it. */
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 at a free port. Close it (or `await using` it). */
export function serveHandler(
  handler: (req: Request) => Response | Promise<Response>,
): Served {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const res = await handler(req);
    seen.push(`${req.method} ${new URL(req.url).pathname} ${res.status}`);
    return res;
  });
  let closing: Promise<void> | undefined;
  const close = () => closing ??= server.shutdown();
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    seen,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Serves `handler` for the duration of `fn`, then stops it whatever happens. */
export async function withServed<T>(
  handler: (req: Request) => Response | Promise<Response>,
  fn: (served: Served) => Promise<T>,
): Promise<T> {
  const served = serveHandler(handler);
  try {
    return await fn(served);
  } finally {
    await served.close();
  }
}

/** A running `hexpub serve` repository. */
export interface ServedRepo {
  /** The repository's name (what its registry is signed for). */
  name: string;
  /** Its directory (inside `work`). */
  dir: string;
  /** The temporary directory holding it, removed afterwards. */
  work: string;
  /** The repository URL (`repo_url`): `http://127.0.0.1:PORT`. */
  url: string;
  /** The API URL (`api_url`): `http://127.0.0.1:PORT/api`. */
  apiUrl: string;
  /** An API key made with `hexpub serve key generate` (its name is `keyName`). */
  key: string;
  keyName: string;
  /** The repository's public key (PEM), as `repo_public_key`. */
  publicKeyPem: string;
  /** Every request as `METHOD PATH STATUS`. */
  seen: string[];
  /** What `hexpub serve` printed (its stdout and stderr lines). */
  output: TestDeps;
  /** The repository as a hexpub `config.json` entry (`repos: [entry]`), key included. */
  configEntry(): Record<string, string>;
  /**
   * Writes `HOME/hexpub-config/config.json` naming only this repository and returns
   * the environment pointing hexpub at it (`HOME`, `HEXPUB_CONFIG_DIR`).
   */
  env(home: string): Promise<Record<string, string>>;
}

/** Options of {@link withServedRepo}. */
export interface ServedRepoOptions {
  /** The repository's name (default `team`). */
  name?: string;
  /** The API key's name, shown as the publisher (default `tester`). */
  keyName?: string;
  /** More flags for `hexpub serve` (e.g. `--quiet`). */
  serveFlags?: string[];
}

/**
 * Runs `fn` against a real `hexpub serve` repository on 127.0.0.1: a new
 * directory under a temporary one, its key generated with `hexpub serve key
 * generate`, served with `hexpub serve DIR --port 0` (in-process, through
 * `runCli` and test ports with an empty environment). The server is stopped
 * and the directory removed afterwards, whatever happens.
 */
export async function withServedRepo<T>(
  fn: (repo: ServedRepo) => Promise<T>,
  options: ServedRepoOptions = {},
): Promise<T> {
  const name = options.name ?? "team";
  const keyName = options.keyName ?? "tester";
  const work = await Deno.makeTempDir({ prefix: "hexpub-served-repo-" });
  try {
    const dir = join(work, name);
    // `serve key generate` creates the directory with its signing key on first use.
    const keyDeps = testDeps(work);
    const code = await runCli(["serve", "key", "generate", dir, "--key-name", keyName], keyDeps);
    if (code !== 0) throw new Error(`hexpub serve key generate: ${keyDeps.stderr.join("\n")}`);
    const key = keyDeps.stdout.at(-1) ?? "";
    const publicKeyPem = await Deno.readTextFile(join(dir, "public_key"));

    const serveDeps = testDeps(work);
    const seen: string[] = [];
    let listening!: (listener: Listener) => void;
    const listener = new Promise<Listener>((resolve) => listening = resolve);
    const listen = serveDeps.listen;
    serveDeps.listen = async (handler, listenOptions) => {
      const l = await listen(async (req) => {
        const res = await handler(req);
        seen.push(`${req.method} ${new URL(req.url).pathname} ${res.status}`);
        return res;
      }, listenOptions);
      listening(l);
      return l;
    };
    const running = runCli(
      ["serve", dir, "--port", "0", "--name", name, ...(options.serveFlags ?? [])],
      serveDeps,
    );
    const started = await Promise.race([
      listener,
      running.then((c) => {
        throw new Error(`hexpub serve exited ${c}: ${serveDeps.stderr.join("\n")}`);
      }),
    ]);
    const url = `http://127.0.0.1:${started.port}`;
    const configEntry = () => ({ name, api_url: `${url}/api`, repo_url: url, api_key: key });
    let result: T;
    let exit: number;
    try {
      result = await fn({
        name,
        dir,
        work,
        url,
        apiUrl: `${url}/api`,
        key,
        keyName,
        publicKeyPem,
        seen,
        output: serveDeps,
        configEntry,
        env: async (home) => {
          const configDir = join(home, "hexpub-config");
          await Deno.mkdir(configDir, { recursive: true });
          await Deno.writeTextFile(
            join(configDir, "config.json"),
            JSON.stringify({ repos: [configEntry()] }),
          );
          return { HOME: home, HEXPUB_CONFIG_DIR: configDir };
        },
      });
    } finally {
      await started.close();
      exit = await running;
    }
    if (exit !== 0) throw new Error(`hexpub serve exited ${exit}: ${serveDeps.stderr.join("\n")}`);
    return result;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
