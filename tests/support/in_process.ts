/**
 * hexpub in process: `runCli` with test ports, as one user's machine.
 *
 * - an environment holding only `HOME`, `HEXPUB_CONFIG_DIR` and what the test
 *   passes (nothing inherited from the developer's: no HOME, no HEX_*);
 * - a throwaway home kept across runs (or the test's own);
 * - `fetch` routed by origin to in-memory FakeHex handlers ({@link fakeAt});
 *   any other URL goes to `fetch` (real fetch by default: 127.0.0.1 only in
 *   tests; {@link refusingFetch} for "nothing was sent");
 * - a `sleep` that returns at once (retry back-off and device-flow polling
 *   cost nothing);
 * - results with the exit code and the output as text and as lines.
 *
 * ```ts
 * await withInProcessHex(async (fake, hexpub) => {
 *   fake.addUser({ username: "alice" });
 *   const key = fake.addKey({ owner: "alice" });
 *   const r = await hexpub.run(["user", "whoami"], { env: { HEX_API_KEY: key.secret } });
 *   assert.equal(r.code, 0, r.stderr);
 * });
 *
 * const user = await inProcessHexpub(); // no fake: a served repository on 127.0.0.1
 * const r = await user.run(["repo", "list", "--json"], { cwd });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import type { Deps } from "../../src/ports.ts";
import { FakeHex, type FakeHexOptions } from "../fakes/fake_hex.ts";
import { type TestDeps, testDeps } from "./test_deps.ts";

/**
 * The origin a fake answers for by default. Nothing listens there: every
 * request goes through `deps.fetch`; loopback so that the device flow's
 * verification URL (`http://…/oauth/device`) is one hexpub accepts.
 */
export const FAKE_ORIGIN = "http://127.0.0.1:9";
/** The API base of a fake at {@link FAKE_ORIGIN}. */
export const FAKE_API_URL = `${FAKE_ORIGIN}/api`;
/** The repository base of a fake at {@link FAKE_ORIGIN}. */
export const FAKE_REPO_URL = `${FAKE_ORIGIN}/repo`;

/** A FakeHex answering in process for one origin. */
export interface FakeAt {
  fake: FakeHex;
  origin: string;
  /** Its API URL (`ORIGIN/api`), as `HEX_API_URL`. */
  url: string;
  /** Its repository URL (`ORIGIN/repo`), as `HEX_MIRROR_URL`, `HEX_CDN` or `repo_url`. */
  repoUrl: string;
}

/** `fake` answering for `origin`. */
export function fakeAt(fake: FakeHex, origin: string = FAKE_ORIGIN): FakeAt {
  return { fake, origin, url: `${origin}/api`, repoUrl: `${origin}/repo` };
}

/** The environment pointing hexpub at a fake (`HEX_API_URL` and `HEX_MIRROR_URL`). */
export function hexEnv(server: FakeAt): Record<string, string> {
  return { HEX_API_URL: server.url, HEX_MIRROR_URL: server.repoUrl };
}

/** How a machine is set up: {@link inProcessHexpub}. */
export interface MachineOptions {
  /** Fakes answering in process, routed by origin. */
  fakes?: FakeAt[];
  /** What answers every other URL (default: real fetch). */
  fetch?: Deps["fetch"];
  /** The home (e.g. one that trusts a key); a new one otherwise. */
  home?: string;
  /** Variables every run starts from, on top of `HOME` and `HEXPUB_CONFIG_DIR`. */
  env?: Record<string, string>;
}

/** Options of one run. */
export interface RunOptions {
  /** The working directory (default: the machine's empty `cwd`). */
  cwd?: string;
  /** Variables on top of the machine's (they win). */
  env?: Record<string, string>;
  /** Runs in this home instead of the machine's (another user, same network). */
  home?: string;
  /** Replaces the machine's `fetch` for URLs no fake answers. */
  fetch?: Deps["fetch"];
  isTerminal?: boolean;
  /** Scripted prompt answers, in order. */
  answers?: string[];
  /** What stdin holds (empty when absent). */
  stdin?: string;
}

/** What one run gave back. */
export interface RunResult {
  code: number;
  /** Printed text, each line ending in a newline (as a subprocess run gives it). */
  stdout: string;
  stderr: string;
  /** The printed lines, as printed. */
  stdoutLines: string[];
  stderrLines: string[];
  /** The ports of the run. */
  deps: TestDeps;
}

/** hexpub in process on one user's machine (its home kept across runs). */
export interface InProcessHexpub {
  home: string;
  /** `HOME/hexpub-config` (`HEXPUB_CONFIG_DIR`): config.json and credentials.json. */
  configDir: string;
  /** The default working directory (an empty directory in the home, not a project). */
  cwd: string;
  /** The environment every run starts from. */
  env: Record<string, string>;
  /** Test ports for one run (to call a task directly). */
  deps(options?: RunOptions): TestDeps;
  /** Runs `hexpub ARGS` and returns its exit code and output. */
  run(args: string[], options?: RunOptions): Promise<RunResult>;
}

/** Makes an in-process hexpub on a machine set up as `options` say. */
export async function inProcessHexpub(options: MachineOptions = {}): Promise<InProcessHexpub> {
  const home = options.home ?? await Deno.makeTempDir({ prefix: "hexpub-home-" });
  const cwd = await Deno.makeTempDir({ dir: home, prefix: "cwd-" });
  const configDir = join(home, "hexpub-config");
  const env = { HOME: home, HEXPUB_CONFIG_DIR: configDir, ...options.env };
  const fakes = options.fakes ?? [];
  const deps = (run: RunOptions = {}): TestDeps => {
    const runEnv = run.home === undefined
      ? env
      : { ...env, HOME: run.home, HEXPUB_CONFIG_DIR: join(run.home, "hexpub-config") };
    const d = testDeps(run.cwd ?? cwd, {
      env: { ...runEnv, ...run.env },
      isTerminal: run.isTerminal,
      answers: run.answers,
      stdin: run.stdin,
    });
    const rest = run.fetch ?? options.fetch ?? d.fetch;
    d.fetch = (req) => {
      const origin = new URL(req.url).origin;
      const server = fakes.find((s) => s.origin === origin);
      return server ? server.fake.handler(req) : rest(req);
    };
    d.sleep = () => Promise.resolve();
    return d;
  };
  return {
    home,
    configDir,
    cwd,
    env,
    deps,
    run: async (args, options = {}) => {
      const d = deps(options);
      const code = await runCli(args, d);
      const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
      return {
        code,
        stdout: text(d.stdout),
        stderr: text(d.stderr),
        stdoutLines: d.stdout,
        stderrLines: d.stderr,
        deps: d,
      };
    },
  };
}

/** Options of {@link withFakeHex}: the fake's, its origin, and whether to verify it. */
export type WithFakeOptions = FakeHexOptions & {
  /** Default {@link FAKE_ORIGIN}. */
  origin?: string;
  /** `fake.verify()` when `fn` succeeds (default true). */
  verify?: boolean;
};

/**
 * A new FakeHex at an origin for `fn`. When `fn` succeeds, `fake.verify()`
 * runs too (unmatched routes, fake errors, unused faults), unless `verify: false`.
 */
export async function withFakeHex<T>(
  fn: (fake: FakeHex, server: FakeAt) => Promise<T>,
  options: WithFakeOptions = {},
): Promise<T> {
  const fake = new FakeHex(options);
  const result = await fn(fake, fakeAt(fake, options.origin));
  if (options.verify ?? true) fake.verify();
  return result;
}

/**
 * {@link withFakeHex} plus an in-process hexpub pointed at the fake
 * ({@link hexEnv}, then `options.env`).
 */
export async function withInProcessHex<T>(
  fn: (fake: FakeHex, hexpub: InProcessHexpub, server: FakeAt) => Promise<T>,
  options: WithFakeOptions & { env?: Record<string, string> } = {},
): Promise<T> {
  return await withFakeHex(async (fake, server) => {
    const env = { ...hexEnv(server), ...options.env };
    return await fn(fake, await inProcessHexpub({ fakes: [server], env }), server);
  }, options);
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
