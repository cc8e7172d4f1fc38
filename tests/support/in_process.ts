/**
 * The CLI in process against a FakeHex: `runCli` with test ports whose
 * `fetch` is the fake's handler, in a clean environment (nothing inherited
 * from the developer's: no HOME, no HEX_*), a throwaway home, and a `sleep`
 * that returns at once (retry back-off and device-flow polling cost nothing).
 *
 * ```ts
 * await withInProcessHex(async (fake, hexpub) => {
 *   fake.addUser({ username: "alice" });
 *   const key = fake.addKey({ owner: "alice" });
 *   const r = await hexpub.run(["user", "whoami"], { env: { HEX_API_KEY: key.secret } });
 *   assert.equal(r.code, 0, r.stderr);
 * });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { FakeHex, type FakeHexOptions } from "../fakes/fake_hex.ts";
import { type TestDeps, testDeps } from "./test_deps.ts";

/**
 * The API base the fake answers for. Nothing is listening there: every request
 * goes through `deps.fetch`; loopback so that the device flow's verification
 * URL (`http://…/oauth/device`) is one hexpub accepts.
 */
export const FAKE_API_URL = "http://127.0.0.1:9/api";
/** The repository base of the fake (`/repo`). */
export const FAKE_REPO_URL = "http://127.0.0.1:9/repo";

/** What one in-process run gave back, as a subprocess run would. */
export interface InProcessResult {
  code: number;
  /** Printed lines, each ending in a newline. */
  stdout: string;
  stderr: string;
}

/** Options of one run: extra environment, a terminal and its scripted answers. */
export interface RunOptions {
  env?: Record<string, string>;
  isTerminal?: boolean;
  answers?: string[];
}

/** hexpub in process, with one home kept across runs (as one user's machine). */
export interface InProcessHexpub {
  home: string;
  /** The working directory (an empty directory, not a project). */
  cwd: string;
  /** hexpub's config directory (`HEXPUB_CONFIG_DIR`), where credentials.json lives. */
  configDir: string;
  /** The environment every run starts from. */
  env: Record<string, string>;
  /** Test ports for one run (to call a task directly). */
  deps(options?: RunOptions): TestDeps;
  /** Runs `hexpub ARGS` and returns its exit code and output. */
  run(args: string[], options?: RunOptions): Promise<InProcessResult>;
}

/** Makes an in-process hexpub talking to `fake`, with a new home. */
export async function inProcessHexpub(
  fake: FakeHex,
  base: Record<string, string> = {},
): Promise<InProcessHexpub> {
  const home = await Deno.makeTempDir({ prefix: "hexpub-home-" });
  const cwd = await Deno.makeTempDir({ dir: home, prefix: "cwd-" });
  const configDir = join(home, "hexpub-config");
  const env: Record<string, string> = {
    HOME: home,
    HEXPUB_CONFIG_DIR: configDir,
    HEX_API_URL: FAKE_API_URL,
    HEX_MIRROR_URL: FAKE_REPO_URL,
    ...base,
  };
  const deps = (options: RunOptions = {}): TestDeps => {
    const runEnv = { ...env, ...options.env };
    const d = testDeps(cwd, { isTerminal: options.isTerminal, answers: options.answers });
    // Only what the test gives: nothing inherited from the developer's environment.
    d.env = runEnv;
    d.fetch = fake.handler;
    d.sleep = () => Promise.resolve();
    return d;
  };
  return {
    home,
    cwd,
    configDir,
    env,
    deps,
    run: async (args, options = {}) => {
      const d = deps(options);
      const code = await runCli(args, d);
      const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
      return { code, stdout: text(d.stdout), stderr: text(d.stderr) };
    },
  };
}

/**
 * A new FakeHex and an in-process hexpub for `fn`. When `fn` succeeds,
 * `fake.verify()` runs too (unmatched routes, fake errors, unused faults),
 * unless `verify: false`.
 */
export async function withInProcessHex<T>(
  fn: (fake: FakeHex, hexpub: InProcessHexpub) => Promise<T>,
  options: FakeHexOptions & { verify?: boolean; env?: Record<string, string> } = {},
): Promise<T> {
  const fake = new FakeHex(options);
  const result = await fn(fake, await inProcessHexpub(fake, options.env));
  if (options.verify ?? true) fake.verify();
  return result;
}
