/**
 * Checking our output with software we did not write: OTP (escripts next to
 * this file, `runEscript`), the hex_core bundled in rebar3, and real rebar3
 * run in a project of its own (`writeRebarApp`, `rebar3Env`, `runRebar3`).
 * Tests using it skip with a visible name when Erlang or rebar3 is absent, and
 * fail instead when HEXPUB_REQUIRE_INTEROP is set (CI sets it).
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { denoWhich } from "../../src/deno_deps.ts";
import { readTerms } from "../../src/erlang/read_terms.ts";
import type { Term } from "../../src/erlang/term.ts";

const env = Deno.env.toObject();
const escript = await denoWhich("escript", env);
const rebar3 = await denoWhich("rebar3", env);

/** Paths of the Erlang tools, or `undefined` when either is missing. */
export const erlangTools = escript && rebar3 ? { escript, rebar3 } : undefined;

const required = !!env.HEXPUB_REQUIRE_INTEROP;

/** Registers an interop test: skipped (visibly) without Erlang, unless interop is required. */
export function interopTest(name: string, fn: () => Promise<void>): void {
  if (!erlangTools && !required) {
    Deno.test({ name: `${name} (skipped: escript or rebar3 not on PATH)`, ignore: true, fn });
    return;
  }
  Deno.test(name, async () => {
    if (!erlangTools) {
      throw new Error("HEXPUB_REQUIRE_INTEROP is set but escript or rebar3 is not on PATH");
    }
    await fn();
  });
}

const script = fileURLToPath(new URL("./erlang_unpack.escript", import.meta.url));

/**
 * Runs escript `script` (a path) with `args`, and returns what it printed.
 *
 * @throws {Error} With its exit code and stderr when it fails.
 */
export async function runEscript(
  script: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<string> {
  const out = await new Deno.Command(erlangTools!.escript, {
    args: [script, ...args],
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(`${basename(script)} failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/** Runs the Erlang reader on a tarball file and returns the term it printed. */
export async function unpackWithErlang(kind: "package" | "docs", path: string): Promise<Term> {
  const printed = await runEscript(script, [kind, path, erlangTools!.rebar3]);
  const [term] = readTerms(printed, "erlang_unpack output");
  return term;
}

/**
 * An environment for real rebar3 that keeps it to `work`: PATH and nothing
 * else of this process's; HOME and REBAR_GLOBAL_CONFIG_DIR are `work/home`
 * (created), REBAR_CACHE_DIR is `work/cache`, so it sees no other
 * configuration and no cached packages.
 */
export async function rebar3Env(work: string): Promise<Record<string, string>> {
  const home = join(work, "home");
  await Deno.mkdir(home, { recursive: true });
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    REBAR_CACHE_DIR: join(work, "cache"),
    REBAR_GLOBAL_CONFIG_DIR: home,
  };
}

/** What a run of a tool said: its exit code, its stdout and stderr, and both (`log`). */
export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
  log: string;
}

/** Runs `command` with `args` in `cwd` with exactly `env` (nothing of this process's). */
export async function runClean(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<ToolRun> {
  const out = await new Deno.Command(command, {
    args,
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const [stdout, stderr] = [dec.decode(out.stdout), dec.decode(out.stderr)];
  return { code: out.code, stdout, stderr, log: stdout + stderr };
}

/** Runs real rebar3 `args` in project `cwd` with exactly `env` (see {@link rebar3Env}). */
export function runRebar3(
  cwd: string,
  args: string[],
  env: Record<string, string>,
): Promise<ToolRun> {
  return runClean(erlangTools!.rebar3, args, env, cwd);
}

/**
 * Writes a rebar3 project, application `app` 0.1.0, in `dir`: its
 * rebar.config is `config` (e.g. `{deps, […]}.` and a repositories term), and
 * its applications are kernel, stdlib and `applications`.
 */
export async function writeRebarApp(
  dir: string,
  config: string,
  applications: string[] = [],
): Promise<void> {
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await Deno.writeTextFile(join(dir, "rebar.config"), config);
  const apps = ["kernel", "stdlib", ...applications].join(", ");
  await Deno.writeTextFile(
    join(dir, "src", "app.app.src"),
    `{application, app, [{vsn, "0.1.0"}, {applications, [${apps}]}]}.\n`,
  );
}

/** Looks up an atom key in a map term. */
export function mapGet(term: Term, key: string): Term | undefined {
  if (term.kind !== "map") return undefined;
  return term.entries.find(([k]) => k.kind === "atom" && k.value === key)?.[1];
}
