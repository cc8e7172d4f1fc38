// deno-lint-ignore-file no-console -- a benchmark script: its output is the console
/**
 * `hexpub build` on hostile projects stays small: peak RSS of each case, which
 * must end in a clear error (exit 1, naming the cap) in under 300 MB.
 *
 * Usage:
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run --allow-env --allow-sys scripts/bench_limits.ts \
 *   [--json] [--check]
 * ```
 *
 * The cases (issue 12, item 6), each a fresh rebar3 project in a temp dir:
 *
 * - `app_src_24mb`: a 24 MB `src/big.app.src` (one long `env` list);
 * - `script_stdout_50mb`: a `src/big.app.src.script` printing 50 MB on stdout;
 * - `script_result_50mb`: a `src/big.app.src.script` returning a 50 MB term;
 * - `app_src_at_cap`, `script_result_at_cap`: the same just under the 1 MiB cap,
 *   which must build (exit 0).
 *
 * The script cases need `escript` on PATH (skipped, and said so, without it).
 * Each runs `deno run -A main.ts build package -o OUT` under GNU time
 * (`/usr/bin/time -f %M`: the kernel's `ru_maxrss`, the largest of hexpub and
 * the children it waited for, escript included); without GNU time, a `sh`
 * loop polls hexpub's own `VmHWM` (children not counted). Prints each case's
 * peak RSS, time, exit code and first error line, and PASS/FAIL: exit code 1
 * and the error naming the cap (or exit 0 under the cap), and peak RSS under 300 MB. The exit code is 0
 * unless `--check` is given and a case fails.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchMain } from "./_bench_cli.ts";
import { parseTimeOutput, POLL_SCRIPT } from "./bench_build.ts";

/** What a run does. */
export interface LimitsOptions {
  json: boolean;
  check: boolean;
}

/** The peak RSS every case must stay under, in MB. */
export const MAX_RSS_MB = 300;

/** One hostile project. */
export interface LimitCase {
  name: string;
  /** Needs escript on PATH. */
  erlang: boolean;
  /** What the error must say; `undefined`: the build must succeed (exit 0). */
  expect?: RegExp;
  /** Files to write, relative to the project. */
  files: () => Record<string, string>;
}

const APP_SRC = '{application, big, [{vsn, "1.0.0"}, {description, "d"}, {licenses, ["MIT"]}]}.\n';

/** A term file of at least `bytes` bytes: an app whose `env` is one long list. */
export function bigAppSrc(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const s = `{k${i}, "value ${i}"},\n`;
    parts.push(s);
    size += s.length;
  }
  return `{application, big, [{vsn, "1.0.0"}, {description, "d"}, {licenses, ["MIT"]},\n` +
    `{env, [\n${parts.join("")}{last, 1}]}]}.\n`;
}

/** The cases, in the order they run. */
export const CASES: readonly LimitCase[] = [
  {
    name: "app_src_24mb",
    erlang: false,
    expect: /larger than 1 MiB/,
    files: () => ({ "src/big.app.src": bigAppSrc(24_000_000) }),
  },
  {
    name: "script_stdout_50mb",
    erlang: true,
    expect: /printed more than 8 MiB on stdout/,
    files: () => ({
      "src/big.app.src": APP_SRC,
      "src/big.app.src.script": 'io:put_chars(binary:copy(<<"x">>, 50000000)),\nCONFIG.\n',
    }),
  },
  {
    name: "script_result_50mb",
    erlang: true,
    expect: /returned a result larger than 1 MiB/,
    files: () => ({
      "src/big.app.src": APP_SRC,
      "src/big.app.src.script": '[{application, big, [{vsn, "1.0.0"}, {licenses, ["MIT"]},\n' +
        '  {description, binary:copy(<<"x">>, 50000000)}]}].\n',
    }),
  },
  {
    name: "app_src_at_cap",
    erlang: false,
    files: () => ({ "src/big.app.src": bigAppSrc(1024 * 1024 - 4096) }),
  },
  {
    name: "script_result_at_cap",
    erlang: true,
    files: () => ({
      "src/big.app.src": APP_SRC,
      "src/big.app.src.script": '[{application, big, [{vsn, "1.0.0"}, {licenses, ["MIT"]},\n' +
        '  {description, "d"}, {env, [{blob, binary:copy(<<"x">>, 1040000)}]}]}].\n',
    }),
  },
];

/** One case's figures. */
export interface CaseResult {
  name: string;
  skipped?: string;
  code?: number;
  seconds?: number;
  rssMB?: number;
  /** The first `error:` line hexpub printed. */
  error?: string;
  pass: boolean;
}

/** Everything measured. */
export interface LimitsResult {
  rssMethod: string;
  cases: CaseResult[];
  pass: boolean;
}

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

async function onPath(cmd: string): Promise<boolean> {
  try {
    return (await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`] }).output()).success;
  } catch {
    return false;
  }
}

async function gnuTime(): Promise<boolean> {
  try {
    const out = await new Deno.Command("/usr/bin/time", { args: ["-f", "%M", "true"] }).output();
    return out.success && parseTimeOutput(new TextDecoder().decode(out.stderr)) !== undefined;
  } catch {
    return false;
  }
}

async function runCase(c: LimitCase, dir: string, useTime: boolean): Promise<CaseResult> {
  await Deno.writeTextFile(join(dir, "rebar.config"), "{deps, []}.\n");
  for (const [path, text] of Object.entries(c.files())) {
    await Deno.mkdir(join(dir, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, path), text);
  }
  const rssFile = join(dir, "rss.out");
  const hexpub = [Deno.execPath(), "run", "-A", MAIN, "build", "package", "-o", "out.tar"];
  const [cmd, args] = useTime
    ? ["/usr/bin/time", ["-f", "%M", "-o", rssFile, ...hexpub]]
    : ["sh", ["-c", POLL_SCRIPT, "sh", rssFile, ...hexpub]];
  const start = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const seconds = (performance.now() - start) / 1000;
  const kib = parseTimeOutput(await Deno.readTextFile(rssFile).catch(() => ""));
  const stderr = new TextDecoder().decode(out.stderr);
  const error = stderr.split("\n").find((l) => l.startsWith("error:"));
  const rssMB = kib === undefined ? undefined : kib / 1024;
  const ended = c.expect ? out.code === 1 && c.expect.test(error ?? "") : out.code === 0;
  const pass = ended && rssMB !== undefined && rssMB < MAX_RSS_MB;
  return { name: c.name, code: out.code, seconds, rssMB, error, pass };
}

/** Runs every case. */
export async function runLimits(
  _options: LimitsOptions,
  progress: (line: string) => void,
): Promise<LimitsResult> {
  const useTime = await gnuTime();
  const erlang = await onPath("escript");
  const cases: CaseResult[] = [];
  for (const c of CASES) {
    if (c.erlang && !erlang) {
      cases.push({ name: c.name, skipped: "escript is not on PATH", pass: true });
      continue;
    }
    progress(`running ${c.name}`);
    const dir = await Deno.makeTempDir({ prefix: `hexpub-bench-${c.name}-` });
    try {
      cases.push(await runCase(c, dir, useTime));
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
  return {
    rssMethod: useTime
      ? "GNU time %M (hexpub and its children)"
      : "VmHWM polled every 20 ms (hexpub only)",
    cases,
    pass: cases.every((c) => c.pass),
  };
}

/** The report as lines. */
export function renderLimits(r: LimitsResult): string[] {
  const lines = [`peak RSS by ${r.rssMethod}; target: exit 1, a clear error, < ${MAX_RSS_MB} MB`];
  for (const c of r.cases) {
    if (c.skipped) {
      lines.push(`${c.name.padEnd(20)} skipped: ${c.skipped}`);
      continue;
    }
    lines.push(
      `${c.name.padEnd(20)} ${c.rssMB?.toFixed(0) ?? "?"} MB  ${
        c.seconds?.toFixed(2)
      } s  exit ${c.code}  ${c.pass ? "PASS" : "FAIL"}`,
      `${"".padEnd(20)} ${c.error ?? "(no error line)"}`,
    );
  }
  return lines;
}

/** Reads `--json` and `--check`. */
export function parseLimitsArgs(args: string[]): LimitsOptions {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean" }, check: { type: "boolean" } },
    strict: true,
  });
  return { json: !!values.json, check: !!values.check };
}

if (import.meta.main) {
  Deno.exit(await benchMain(parseLimitsArgs, runLimits, renderLimits, (r) => r.pass));
}
