/**
 * hexpub in-process against a FakeHex: test ports whose `fetch` is the fake's
 * handler, an empty environment plus a throwaway home that trusts the fake's
 * registry key, and `runCli` with its output collected.
 *
 * ```ts
 * const fake = new FakeHex();
 * const hex = await fakeHexEnv(fake);
 * const r = await runInProcess(["info", "widget", "--json"], { cwd, env: hex.env, fake });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import type { FakeHex } from "../fakes/fake_hex.ts";
import { trustHexpmKey } from "./registry.ts";
import { type TestDeps, testDeps } from "./test_deps.ts";

/** The origin the in-process fake answers for (never resolved: `deps.fetch` is the fake). */
export const FAKE_ORIGIN = "http://fake.test";

/** A home for in-process runs against a fake. */
export interface FakeHexEnv {
  /** The home directory (its rebar.config trusts the fake's registry key). */
  home: string;
  /** Where hexpub keeps its config and credentials (`HEXPUB_CONFIG_DIR`). */
  configDir: string;
  /** `HOME`, `HEXPUB_CONFIG_DIR`, `HEX_API_URL` and `HEX_CDN` pointing at the fake. */
  env: Record<string, string>;
}

/** A new home that trusts `fake`'s registry key, and the environment naming it. */
export async function fakeHexEnv(fake: FakeHex): Promise<FakeHexEnv> {
  const home = await Deno.makeTempDir({ prefix: "hexpub-home-" });
  await trustHexpmKey(home, (await fake.registryKeys()).publicKeyPem);
  const configDir = join(home, "hexpub-config");
  return {
    home,
    configDir,
    env: {
      HOME: home,
      HEXPUB_CONFIG_DIR: configDir,
      HEX_API_URL: `${FAKE_ORIGIN}/api`,
      HEX_CDN: `${FAKE_ORIGIN}/repo`,
    },
  };
}

/** What an in-process run gave back. */
export interface InProcessResult {
  code: number;
  /** stdout lines, as printed. */
  stdout: string[];
  stderr: string[];
  deps: TestDeps;
}

/** Options of {@link runInProcess}. */
export interface InProcessOptions {
  cwd: string;
  /** The whole environment (nothing is inherited). */
  env?: Record<string, string>;
  /** Answers `deps.fetch` when given; otherwise real fetch (127.0.0.1 only in tests). */
  fake?: FakeHex;
  isTerminal?: boolean;
  answers?: string[];
}

/** Runs `hexpub ...args` through `runCli` with test ports. */
export async function runInProcess(
  args: string[],
  options: InProcessOptions,
): Promise<InProcessResult> {
  const deps = testDeps(options.cwd, {
    env: options.env,
    isTerminal: options.isTerminal,
    answers: options.answers,
  });
  if (options.fake) deps.fetch = options.fake.handler;
  const code = await runCli(args, deps);
  return { code, stdout: deps.stdout, stderr: deps.stderr, deps };
}
