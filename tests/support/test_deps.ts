/**
 * Real ports for tests (real files, real processes), with output captured and
 * prompts scripted: the only doubles are at the terminal edge.
 */
import { denoFs, denoListen, denoRun, denoWhich } from "../../src/deno_deps.ts";
import type { Deps, Settings } from "../../src/ports.ts";
import { settingsFrom } from "../../src/config/settings.ts";
import { formatProblem } from "../../src/ui/format_error.ts";

/**
 * The host's `PATH` and nothing else, for a test whose code looks tools up
 * through `deps.which` (escript, rebar3): `testDeps(dir, { env: hostPath() })`.
 */
export function hostPath(): Record<string, string> {
  return { PATH: Deno.env.get("PATH") ?? "" };
}

/** Ports plus what was written to them. */
export interface TestDeps extends Deps {
  stdout: string[];
  stderr: string[];
  /** What select prompts were shown. */
  asked: string[];
}

/**
 * Builds test ports rooted at `cwd`. The environment is `options.env` and
 * nothing else: no HOME, PATH or HEX_* of the developer's leaks in, so a test
 * that needs one passes it (see `hostPath()` for finding git, escript, rebar3).
 * The settings are `options.settings`, else resolved once from that
 * environment, as `runCli` resolves them (`runCli` resolves them again from
 * `env` for each run).
 */
export function testDeps(
  cwd: string,
  options: {
    isTerminal?: boolean;
    env?: Record<string, string>;
    answers?: string[];
    settings?: Settings;
    /** What stdin holds (empty, as a closed stdin, when absent). */
    stdin?: string;
  } = {},
): TestDeps {
  const env = { ...(options.env ?? {}) };
  const stdout: string[] = [];
  const stderr: string[] = [];
  const asked: string[] = [];
  const answers = [...(options.answers ?? [])];
  const answer = (message: string): Promise<string> => {
    asked.push(message);
    const a = answers.shift();
    return a === undefined
      ? Promise.reject(new Error(`unexpected prompt "${message}"`))
      : Promise.resolve(a);
  };
  return {
    cwd,
    env,
    settings: options.settings ?? settingsFrom({ env }),
    fs: denoFs(cwd),
    run: denoRun,
    which: (cmd) => denoWhich(cmd, env),
    out: {
      print: (l) => stdout.push(l),
      warn: (l) => stderr.push(l),
      info: (l) => stderr.push(l),
      problem: (p) => stderr.push(formatProblem(p)),
    },
    color: false,
    isTerminal: options.isTerminal ?? false,
    fetch: (request) => fetch(request),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openUrl: () => Promise.resolve(false),
    listen: denoListen,
    host: { platform: Deno.build.os, hostname: "testhost", denoVersion: Deno.version.deno },
    prompt: {
      input: (message) => answer(message),
      password: (message) => answer(message),
      confirm: async (message) =>
        ["y", "yes", "true"].includes((await answer(message)).toLowerCase()),
      select: (message, choices) => {
        asked.push(message);
        const a = answers.shift();
        if (a === undefined || !choices.includes(a)) {
          return Promise.reject(new Error(`unexpected prompt "${message}"`));
        }
        return Promise.resolve(a);
      },
    },
    readStdin: (maxBytes) =>
      Promise.resolve(new TextEncoder().encode(options.stdin ?? "").subarray(0, maxBytes + 1)),
    stdout,
    stderr,
    asked,
  };
}
