/**
 * hexpub in process for use-case tests: `runCli` with test ports, an
 * environment holding only `HOME`, `HEXPUB_CONFIG_DIR` and what the test
 * passes, `fetch` routed by origin to in-memory FakeHex handlers (any other
 * URL goes to the real network: 127.0.0.1 only in tests), and a `sleep` that
 * returns at once.
 *
 * ```ts
 * const fake = new FakeHex();
 * const server = fakeAt(fake);
 * const run = hexpubWith(server);
 * const r = await run(["info", "widget"], { cwd, home, env: hexEnv(server) });
 * fake.verify();
 * ```
 *
 * @module
 */
import { runCli } from "../../src/cli.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { configDirOf, makeHome } from "../support/e2e.ts";
import { type TestDeps, testDeps } from "../support/test_deps.ts";

/** The origin a fake answers for by default (nothing listens there: `deps.fetch` routes it). */
export const FAKE_ORIGIN = "http://127.0.0.1:9";

/** A FakeHex answering in process for one origin. */
export interface FakeAt {
  fake: FakeHex;
  origin: string;
  /** Its API URL (`ORIGIN/api`), as `HEX_API_URL`. */
  url: string;
  /** Its repository URL (`ORIGIN/repo`), as `HEX_MIRROR_URL` or `repo_url`. */
  repoUrl: string;
}

/** `fake` answering for `origin`. */
export function fakeAt(fake: FakeHex, origin: string = FAKE_ORIGIN): FakeAt {
  return { fake, origin, url: `${origin}/api`, repoUrl: `${origin}/repo` };
}

/** The environment pointing hexpub at a fake (its API and its repository). */
export function hexEnv(server: FakeAt): Record<string, string> {
  return { HEX_API_URL: server.url, HEX_MIRROR_URL: server.repoUrl };
}

/** Options of one run. */
export interface RunOptions {
  cwd: string;
  /** The home (kept across runs, from `makeHome()`); a new one otherwise. */
  home?: string;
  /** Variables on top of `HOME` and `HEXPUB_CONFIG_DIR`. */
  env?: Record<string, string>;
}

/** What one run gave back, as a subprocess run would. */
export interface RunResult {
  code: number;
  /** Printed lines, each ending in a newline. */
  stdout: string;
  stderr: string;
  home: string;
  deps: TestDeps;
}

/** Runs hexpub in process; requests to these fakes' origins go to their handlers. */
export function hexpubWith(
  ...servers: FakeAt[]
): (args: string[], options: RunOptions) => Promise<RunResult> {
  const route = (req: Request): Promise<Response> => {
    const origin = new URL(req.url).origin;
    const server = servers.find((s) => s.origin === origin);
    return server ? server.fake.handler(req) : fetch(req);
  };
  return async (args, options) => {
    const home = options.home ?? await makeHome();
    const deps = testDeps(options.cwd, {
      env: { HOME: home, HEXPUB_CONFIG_DIR: configDirOf(home), ...options.env },
    });
    deps.fetch = route;
    deps.sleep = () => Promise.resolve();
    const code = await runCli(args, deps);
    const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
    return { code, stdout: text(deps.stdout), stderr: text(deps.stderr), home, deps };
  };
}

/** A new FakeHex at `origin` for `fn`; `fake.verify()` runs when `fn` succeeds. */
export async function withFake<T>(
  fn: (fake: FakeHex, server: FakeAt) => Promise<T>,
  origin: string = FAKE_ORIGIN,
): Promise<T> {
  const fake = new FakeHex();
  const result = await fn(fake, fakeAt(fake, origin));
  fake.verify();
  return result;
}
