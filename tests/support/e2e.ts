/**
 * End-to-end helpers: run the real `main.ts` as a subprocess, with a clean
 * environment and a throwaway home, against a FakeHex served on 127.0.0.1.
 *
 * ```ts
 * await withFakeHex(async (fake, server) => {
 *   const alice = fake.addUser({ username: "alice", twoFactor: true });
 *   const key = fake.addKey({ owner: "alice" });
 *   const r = await runHexpub(["user", "whoami"], {
 *     cwd: project,
 *     env: { ...hexEnv(server), HEX_API_KEY: key.secret },
 *   });
 *   assert.equal(r.code, 0);
 *   fake.assertNoSecretIn(r.stdout + r.stderr);
 * });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeHex, type FakeHexOptions, type FakeHexServer } from "../fakes/fake_hex.ts";

/** The repository root (where `deno.json` and `main.ts` are). */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** The permissions hexpub is run with: what README documents, network on loopback only. */
export const HEXPUB_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-run=git,escript,rebar3,sh",
];

/** Options of `runHexpub` and `spawnHexpub`. */
export interface RunHexpubOptions {
  /** The working directory (usually a project made with `makeProject`). */
  cwd: string;
  /** Extra variables, on top of the clean environment (they win over it). */
  env?: Record<string, string>;
  /** Text or bytes for stdin; stdin is null (closed) when absent. */
  stdin?: string | Uint8Array;
  /**
   * The home directory, reused across runs to keep the credential store (from
   * `makeHome()`); a new one otherwise. `HEXPUB_CONFIG_DIR` is `HOME/hexpub-config`.
   */
  home?: string;
  /** Kills the process after this long (default 60 s) and reports `timedOut`. */
  timeoutMs?: number;
}

/** What a finished hexpub run gave back. */
export interface HexpubResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The home it ran with (pass it as `home` to the next run). */
  home: string;
  /** True when `timeoutMs` passed and the process was killed. */
  timedOut: boolean;
}

/** A new empty home directory for hexpub runs. */
export async function makeHome(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "hexpub-home-" });
}

/** Where hexpub keeps its config and credentials for a home made here. */
export function configDirOf(home: string): string {
  return join(home, "hexpub-config");
}

/** The environment pointing hexpub at a served FakeHex. */
export function hexEnv(server: FakeHexServer): Record<string, string> {
  return { HEX_API_URL: server.url, HEX_MIRROR_URL: server.repoUrl };
}

let denoDir: Promise<string> | undefined;

/** Deno's cache directory, so runs with another HOME still find the npm packages. */
function findDenoDir(): Promise<string> {
  denoDir ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
  })();
  return denoDir;
}

/**
 * The clean environment a run gets: `PATH`, `HOME`, `HEXPUB_CONFIG_DIR`, Deno's cache dir,
 * then `extra`. Nothing else (no `CI`, no `HEX_*`) unless `extra` has it.
 */
export async function cleanEnv(
  home: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    HEXPUB_CONFIG_DIR: configDirOf(home),
    DENO_DIR: await findDenoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    ...extra,
  };
}

function hexpubArgs(args: string[]): string[] {
  return [
    "run",
    ...HEXPUB_PERMISSIONS,
    "--config",
    join(REPO_ROOT, "deno.json"),
    join(REPO_ROOT, "main.ts"),
    ...args,
  ];
}

/**
 * Starts hexpub without waiting (for tests that kill it mid-way or talk to stdin).
 * stdout and stderr are piped; stdin is piped only when `stdin: "piped"`.
 */
export async function spawnHexpub(
  args: string[],
  options: Omit<RunHexpubOptions, "stdin" | "timeoutMs"> & { stdin?: "piped" },
): Promise<{ child: Deno.ChildProcess; home: string }> {
  const home = options.home ?? await makeHome();
  const child = new Deno.Command(Deno.execPath(), {
    args: hexpubArgs(args),
    cwd: options.cwd,
    env: await cleanEnv(home, options.env),
    clearEnv: true,
    stdin: options.stdin === "piped" ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, home };
}

/** Runs `deno run <permissions> --config deno.json main.ts ...args` and collects its output. */
export async function runHexpub(
  args: string[],
  options: RunHexpubOptions,
): Promise<HexpubResult> {
  const home = options.home ?? await makeHome();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs ?? 60_000);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: hexpubArgs(args),
      cwd: options.cwd,
      env: await cleanEnv(home, options.env),
      clearEnv: true,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      const bytes = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      // The child may exit without reading; a broken pipe is its business, not ours.
      await writer.write(bytes).catch(() => {});
      await writer.close().catch(() => {});
    }
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      home,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Serves a new FakeHex for `fn`, then closes it whatever happens. When `fn` succeeds,
 * `fake.verify()` runs too (unmatched routes, fake errors, unused faults), unless
 * `verify: false`.
 */
export async function withFakeHex<T>(
  fn: (fake: FakeHex, server: FakeHexServer) => Promise<T>,
  options: FakeHexOptions & { verify?: boolean } = {},
): Promise<T> {
  const fake = new FakeHex(options);
  const server = fake.serve();
  let result: T;
  try {
    result = await fn(fake, server);
  } finally {
    await server.close();
  }
  if (options.verify ?? true) fake.verify();
  return result;
}
