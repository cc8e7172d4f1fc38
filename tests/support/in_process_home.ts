/**
 * hexpub in process for one user's machine: a throwaway home kept across runs,
 * an environment holding only `HOME` and `HEXPUB_CONFIG_DIR` (plus what a run
 * adds), and `runCli` with its output collected as text, as a subprocess run
 * would give it. `deps.fetch` is real fetch (127.0.0.1 only in tests) unless a
 * run gives another.
 *
 * ```ts
 * const user = await inProcessHome();
 * const r = await user.run(["repo", "list", "--json"], { cwd });
 * assert.equal(r.code, 0, r.stderr);
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import type { Deps } from "../../src/ports.ts";
import { testDeps } from "./test_deps.ts";

/** What one run gave back: the exit code and the printed text, each line ending in a newline. */
export interface HomeRunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one run. */
export interface HomeRunOptions {
  cwd: string;
  /** Variables on top of `HOME` and `HEXPUB_CONFIG_DIR` (they win). */
  env?: Record<string, string>;
  /** Replaces real fetch (e.g. one that records and refuses). */
  fetch?: Deps["fetch"];
}

/** A home and a way to run hexpub in it. */
export interface InProcessHome {
  home: string;
  /** `HOME/hexpub-config`: where config.json and credentials.json live. */
  configDir: string;
  run(args: string[], options: HomeRunOptions): Promise<HomeRunResult>;
}

/** A new empty home for in-process runs. */
export async function inProcessHome(): Promise<InProcessHome> {
  const home = await Deno.makeTempDir({ prefix: "hexpub-home-" });
  const configDir = join(home, "hexpub-config");
  return {
    home,
    configDir,
    run: async (args, options) => {
      const deps = testDeps(options.cwd, {
        env: { HOME: home, HEXPUB_CONFIG_DIR: configDir, ...options.env },
      });
      if (options.fetch) deps.fetch = options.fetch;
      const code = await runCli(args, deps);
      const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
      return { code, stdout: text(deps.stdout), stderr: text(deps.stderr) };
    },
  };
}

/** A fetch that records each request and refuses it, for "nothing was sent". */
export function refusingFetch(): { fetch: Deps["fetch"]; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    fetch: (request) => {
      sent.push(`${request.method} ${request.url}`);
      return Promise.reject(new TypeError("refused: this test sends nothing"));
    },
  };
}
