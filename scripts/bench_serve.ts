/**
 * `deno task bench` (third part): how fast `hexpub serve` answers registry and
 * tarball requests, next to `python3 -m http.server` serving the same files in
 * the same run, and how long `hexpub repo build` takes to rebuild the signed
 * registry of 1,000 packages.
 *
 * Usage:
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run --allow-env --allow-net=127.0.0.1 \
 *   scripts/bench_serve.ts [--packages N] [--max-versions N] [--rebuild-packages N]
 *   [--connections N] [--seconds S] [--warmup S] [--runs N] [--seed N]
 *   [--bombs N] [--no-python] [--no-serve] [--no-rebuild] [--json] [--check]
 * ```
 *
 * 1. Generates a repository: `hexpub repo init`, then `--packages` packages
 *    (default 200) of 1 to `--max-versions` releases each (default 5, most
 *    packages have few), written into `tarballs/` by the project's own tarball
 *    builder (`createPackageTarball`), with dependencies on earlier packages,
 *    an Erlang module and a block of incompressible bytes, so the tarballs
 *    weigh 10–100 KiB (log-uniform); then `hexpub repo build`.
 * 2. Starts `hexpub serve DIR --port 0 --host 127.0.0.1` (the port is read
 *    from its "Serving repository … at http://127.0.0.1:PORT" line; its
 *    access log, on by default, is read from stderr and dropped) and
 *    `python3 -m http.server PORT --bind 127.0.0.1 --directory DIR`.
 * 3. Loads each server in turn from a separate Deno process
 *    (`scripts/bench_load.ts`): `--connections` keep-alive connections
 *    (default 8) loop over every tarball, or over every `/packages/NAME`, for a
 *    1 s warm-up and a `--seconds` (default 4) measured phase, reading and
 *    checking every body (status, size, and SHA-256 until a path has matched
 *    once). `--runs` rounds (default 3), alternating which server goes first;
 *    the best rate of each is kept. A run with any wrong response does not
 *    count. (python's server answers HTTP/1.0 and closes each connection, so
 *    its clients reconnect per request: that is part of what it costs.)
 * 4. Generates `--rebuild-packages` packages (default 1,000, one release each)
 *    into a second repository and times `hexpub repo build DIR` as a whole
 *    process (Deno start-up included; printed beside it), best of `--runs`,
 *    then checks the registry it wrote (signature, 1,000 names). Each run
 *    starts from a repository without registry files, so all of it is
 *    rebuilt. The baseline, for scale only, is `sha256sum` over the same
 *    tarballs.
 * 5. Decompression bombs (`--bombs N`, default 8; 0 skips): a fresh
 *    `hexpub serve` gets N concurrent authenticated publishes of about 130
 *    KiB that each inflate to 120 MiB (just under the 128 MiB limit, so each
 *    is inflated in full), and the peak RSS of the serve process (VmHWM in
 *    /proc/PID/status, Linux only) is read once all are answered. Target:
 *    under 500 MiB.
 * 6. Prints the rates, the ratio hexpub/python with the target (at least 2x),
 *    the rebuild time with its target (under 5 s) and the bombs' peak RSS. Exit 0, or 1 when
 *    `--check` is given and a target is missed, or when anything fails; 2 on
 *    bad flags.
 *
 * Everything listens on 127.0.0.1. The servers are stopped and the temporary
 * directory removed at the end, on failure and on Ctrl-C too. The machine the
 * benchmark runs on is shared by the servers and the load generator, so on a
 * small machine (2 cores) the figures are noisy: run it more than once.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchMain, numberFlag } from "./_bench_cli.ts";
import { bin, list, type Term, tuple } from "../src/erlang/term.ts";
import { readNames, readVersions } from "../src/registry/registry_files.ts";
import { createPackageTarball } from "../src/tarball/create_package.ts";
import { createRng, generateText, type Rng } from "./bench_build.ts";
import { bombTarball } from "../tests/support/gzip_bomb.ts";
import type { LoadResult, ManifestEntry } from "./bench_load.ts";

// ---------------------------------------------------------------------------
// Options

/** What a benchmark run does. */
export interface ServeBenchOptions {
  /** Packages of the served repository. */
  packages: number;
  /** Most releases of one served package. */
  maxVersions: number;
  /** Packages of the rebuilt repository (one release each). */
  rebuildPackages: number;
  /** Concurrent connections of the load generator. */
  connections: number;
  /** Measured seconds of each load run. */
  seconds: number;
  /** Warm-up seconds of each load run. */
  warmup: number;
  /** Rounds; the best of each figure is kept. */
  runs: number;
  /** PRNG seed of the generated packages. */
  seed: number;
  /** Measure `python3 -m http.server` too. */
  python: boolean;
  /** Measure `hexpub serve`. */
  serve: boolean;
  /** Measure `hexpub repo build`. */
  rebuild: boolean;
  /** Concurrent decompression bombs sent to a fresh `hexpub serve` (0: none). */
  bombs: number;
  json: boolean;
  check: boolean;
}

/** The defaults of the issue: 200 packages served, 1,000 rebuilt, 8 connections, best of 3. */
export const SERVE_DEFAULTS: Readonly<ServeBenchOptions> = Object.freeze({
  packages: 200,
  maxVersions: 5,
  rebuildPackages: 1000,
  connections: 8,
  seconds: 4,
  warmup: 1,
  runs: 3,
  seed: 1,
  python: true,
  serve: true,
  rebuild: true,
  bombs: 8,
  json: false,
  check: false,
});

/** The targets of the issue. */
export const SERVE_TARGETS = Object.freeze({ minRatio: 2, maxRebuildMs: 5000, maxBombRssMiB: 500 });

const USAGE = `usage: bench_serve.ts [--packages N] [--max-versions N] [--rebuild-packages N]
                      [--connections N] [--seconds S] [--warmup S] [--runs N] [--seed N]
                      [--bombs N] [--no-python] [--no-serve] [--no-rebuild] [--json] [--check]`;

const num = (
  name: string,
  text: string | undefined,
  fallback: number,
  opts: { integer?: boolean; zero?: boolean } = {},
) => numberFlag(name, text, fallback, opts, USAGE);

/**
 * Reads the command line.
 *
 * @throws {Error} On an unknown flag or a bad value (the message holds the usage).
 */
export function parseServeBenchArgs(args: string[]): ServeBenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        packages: { type: "string" },
        "max-versions": { type: "string" },
        "rebuild-packages": { type: "string" },
        connections: { type: "string" },
        seconds: { type: "string" },
        warmup: { type: "string" },
        runs: { type: "string" },
        seed: { type: "string" },
        bombs: { type: "string" },
        "no-python": { type: "boolean" },
        "no-serve": { type: "boolean" },
        "no-rebuild": { type: "boolean" },
        json: { type: "boolean" },
        check: { type: "boolean" },
      },
    }));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  const d = SERVE_DEFAULTS;
  const seed = values.seed === undefined ? d.seed : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed wants an integer, got "${values.seed}"`);
  const options: ServeBenchOptions = {
    packages: num("packages", values.packages, d.packages, { integer: true }),
    maxVersions: num("max-versions", values["max-versions"], d.maxVersions, { integer: true }),
    rebuildPackages: num("rebuild-packages", values["rebuild-packages"], d.rebuildPackages, {
      integer: true,
    }),
    connections: num("connections", values.connections, d.connections, { integer: true }),
    seconds: num("seconds", values.seconds, d.seconds),
    warmup: num("warmup", values.warmup, d.warmup, { zero: true }),
    runs: num("runs", values.runs, d.runs, { integer: true }),
    seed,
    python: !values["no-python"],
    serve: !values["no-serve"],
    rebuild: !values["no-rebuild"],
    bombs: num("bombs", values.bombs, d.bombs, { integer: true, zero: true }),
    json: values.json ?? false,
    check: values.check ?? false,
  };
  if (!options.serve && !options.rebuild && !options.bombs) {
    throw new Error(`--no-serve, --no-rebuild and --bombs 0 leave nothing to measure\n${USAGE}`);
  }
  return options;
}

// ---------------------------------------------------------------------------
// The generated packages

/** Smallest and largest tarball the generator aims at (the issue's 10–100 KiB). */
export const TARBALL_KIB = Object.freeze({ min: 10, max: 100 });

/** One release to generate. */
export interface PlannedRelease {
  name: string;
  version: string;
  /** The tarball size aimed at, bytes (the result lands within a few KiB). */
  target: number;
  /** Requirements on earlier packages: `[name, requirement]`. */
  requirements: [string, string][];
  /** The PRNG stream of its contents. */
  stream: number;
}

const SYLLABLES = [
  "ace",
  "bolt",
  "cask",
  "dune",
  "echo",
  "flint",
  "gale",
  "helm",
  "iris",
  "jade",
  "kite",
  "lumen",
  "mesa",
  "nova",
  "opal",
  "pike",
  "quill",
  "reef",
  "sage",
  "tide",
  "umber",
  "vale",
  "wren",
  "yarrow",
  "zephyr",
];

/** The `i`-th package name: two words and the index, a valid Hex name. */
export function packageName(rng: Rng, i: number): string {
  return `${rng.pick(SYLLABLES)}_${rng.pick(SYLLABLES)}_${i}`;
}

/**
 * The versions of one package, oldest first: from `0.1.0` on, each a patch,
 * minor or (rarely) major step.
 */
export function versionsFor(rng: Rng, count: number): string[] {
  let [major, minor, patch] = [0, 1, 0];
  const out = [`${major}.${minor}.${patch}`];
  while (out.length < count) {
    const r = rng.next();
    if (r < 0.6) patch++;
    else if (r < 0.92) [minor, patch] = [minor + 1, 0];
    else [major, minor, patch] = [major + 1, 0, 0];
    out.push(`${major}.${minor}.${patch}`);
  }
  return out;
}

/** A size between `min` and `max` KiB, log-uniform (many small tarballs, a few large). */
export function tarballTarget(rng: Rng): number {
  const { min, max } = TARBALL_KIB;
  return Math.round(min * 1024 * Math.pow(max / min, rng.next()));
}

/**
 * Lays out a repository: `packages` packages, each with 1 to `maxVersions`
 * releases (skewed to few), each release requiring up to three earlier
 * packages with `~>` on their first version.
 *
 * @returns The releases, package by package, oldest version first.
 */
export function planRepository(
  options: { packages: number; maxVersions: number; seed: number },
): PlannedRelease[] {
  const rng = createRng(options.seed, 0x5e7e);
  const out: PlannedRelease[] = [];
  const made: { name: string; first: string }[] = [];
  for (let i = 0; i < options.packages; i++) {
    const name = packageName(rng, i);
    const count = 1 + Math.floor(rng.next() ** 2 * options.maxVersions);
    const versions = versionsFor(rng, count);
    for (const version of versions) {
      const requirements: [string, string][] = [];
      const wanted = made.length === 0 ? 0 : rng.int(4);
      for (let k = 0; k < wanted; k++) {
        const dep = made[rng.int(made.length)];
        if (requirements.some(([n]) => n === dep.name)) continue;
        const [maj, min] = dep.first.split(".");
        requirements.push([dep.name, `~> ${maj}.${min}`]);
      }
      out.push({ name, version, target: tarballTarget(rng), requirements, stream: out.length + 1 });
    }
    made.push({ name, first: versions[0] });
  }
  return out;
}

/** Deterministic incompressible bytes (what compressed or binary files look like to gzip). */
export function noise(rng: Rng, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >> 2);
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(rng.next() * 0x1_0000_0000);
  for (let i = words.length * 4; i < size; i++) out[i] = rng.int(256);
  return out;
}

const enc = new TextEncoder();

/** The outer tar, the two headers of the inner tar and the metadata, give or take. */
const OVERHEAD = 5 * 1024;

/**
 * The tarball of one planned release, made by the project's own builder: an
 * Erlang module (generated source, about 8x compressible) and a `priv/` file of
 * noise sized so that the tarball lands near `plan.target`.
 */
export async function makeTarball(plan: PlannedRelease, seed: number): Promise<Uint8Array> {
  const rng = createRng(seed, plan.stream);
  const sourceBytes = Math.min(64 * 1024, Math.round(plan.target * 0.8));
  const source = generateText(
    { path: `src/${plan.name}.erl`, kind: "erl", target: sourceBytes, name: plan.name, index: 0 },
    seed + plan.stream,
  );
  const noiseBytes = Math.max(256, plan.target - Math.round(sourceBytes / 7.5) - OVERHEAD);
  const file = (path: string, content: Uint8Array) => ({
    path,
    kind: "file" as const,
    mode: 0o644,
    size: content.length,
    content,
  });
  const files = [
    file(`src/${plan.name}.erl`, enc.encode(source)),
    file(`priv/${plan.name}.bin`, noise(rng, noiseBytes)),
  ];
  const metadata: [string, Term][] = [
    ["name", bin(plan.name)],
    ["version", bin(plan.version)],
    ["app", bin(plan.name)],
    ["description", bin(`Generated package ${plan.name} for hexpub's serve benchmark`)],
    ["licenses", list([bin("Apache-2.0")])],
    ["links", list([tuple(bin("Source"), bin(`https://example.com/${plan.name}`))])],
    ["build_tools", list([bin("rebar3")])],
    ["files", list(files.map((f) => bin(f.path)))],
    [
      "requirements",
      list(plan.requirements.map(([dep, req]) =>
        tuple(
          bin(dep),
          list([
            tuple(bin("app"), bin(dep)),
            tuple(bin("optional"), { kind: "atom", value: "false" }),
            tuple(bin("requirement"), bin(req)),
          ]),
        )
      )),
    ],
  ];
  return (await createPackageTarball({ metadata, files })).tarball;
}

/** Sizes of the written tarballs, for the report. */
export interface SizeSummary {
  count: number;
  totalBytes: number;
  minBytes: number;
  medianBytes: number;
  maxBytes: number;
}

/** Summarizes a list of sizes. */
export function sizeSummary(sizes: readonly number[]): SizeSummary {
  const sorted = [...sizes].sort((a, b) => a - b);
  return {
    count: sorted.length,
    totalBytes: sorted.reduce((a, b) => a + b, 0),
    minBytes: sorted[0] ?? 0,
    medianBytes: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0,
    maxBytes: sorted[sorted.length - 1] ?? 0,
  };
}

/** Writes the planned releases into `dir/tarballs/`. */
async function writeTarballs(dir: string, plan: PlannedRelease[], seed: number) {
  const sizes: number[] = [];
  for (const release of plan) {
    const bytes = await makeTarball(release, seed);
    await Deno.writeFile(join(dir, "tarballs", `${release.name}-${release.version}.tar`), bytes);
    sizes.push(bytes.length);
  }
  return sizeSummary(sizes);
}

// ---------------------------------------------------------------------------
// Processes

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(ROOT, "main.ts");
const CONFIG = join(ROOT, "deno.json");
const LOAD = join(ROOT, "scripts", "bench_load.ts");

/** What `hexpub serve` and `repo` are run with: README's permissions, network on loopback. */
export const HEXPUB_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-sys=hostname",
];

const decoder = new TextDecoder();

/** Every child process still running, so an interrupted run can stop them all. */
const live = new Set<Deno.ChildProcess>();

function spawn(cmd: string, options: Deno.CommandOptions): Deno.ChildProcess {
  const child = new Deno.Command(cmd, options).spawn();
  live.add(child);
  child.status.then(() => live.delete(child));
  return child;
}

/** Runs a command to its end (tracked, so Ctrl-C stops it too). */
function output(cmd: string, options: Deno.CommandOptions): Promise<Deno.CommandOutput> {
  return spawn(cmd, { stdout: "piped", stderr: "piped", ...options }).output();
}

/** Stops every child still running: SIGTERM, then SIGKILL after 3 s. */
async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stopper(child)()));
}

/**
 * The base URL in `hexpub serve`'s first line ("Serving repository NAME at
 * http://127.0.0.1:PORT"), or undefined when the text holds no such line yet.
 */
export function parseServeLine(
  text: string,
): { name: string; url: string; port: number } | undefined {
  const m = /^Serving repository (\S+) at (http:\/\/(?:127\.0\.0\.1|\[[^\]]+\]|[^\s:]+):(\d+))\s*$/m
    .exec(text);
  return m ? { name: m[1], url: m[2], port: Number(m[3]) } : undefined;
}

async function hexpub(args: string[], cwd: string): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  const out = await output(Deno.execPath(), {
    args: ["run", ...HEXPUB_PERMISSIONS, "--no-prompt", "--config", CONFIG, MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1" },
  });
  const ms = performance.now() - start;
  if (out.code !== 0) {
    throw new Error(
      `hexpub ${args.join(" ")} failed (exit ${out.code}):\n${decoder.decode(out.stderr).trim()}`,
    );
  }
  return { ms, stdout: decoder.decode(out.stdout) };
}

/** A started server: its base URL, and how to stop it. */
interface Server {
  label: string;
  url: string;
  stop(): Promise<void>;
}

/** Reads a child's stream into a growing text (so a full pipe never blocks it). */
function collect(stream: ReadableStream<Uint8Array>): { text: () => string; done: Promise<void> } {
  let text = "";
  const done = (async () => {
    const d = new TextDecoder();
    for await (const chunk of stream) {
      text += d.decode(chunk, { stream: true });
      if (text.length > 64 * 1024) text = text.slice(-32 * 1024);
    }
  })().catch(() => {});
  return { text: () => text, done };
}

function stopper(child: Deno.ChildProcess, extra: Promise<void>[] = []): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  return () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 3000);
      await child.status;
      clearTimeout(timer);
      await Promise.all(extra);
    })();
}

async function startHexpubServe(
  dir: string,
  cwd: string,
): Promise<Server & { pid: number }> {
  const child = spawn(Deno.execPath(), {
    args: [
      "run",
      ...HEXPUB_PERMISSIONS,
      "--no-prompt",
      "--config",
      CONFIG,
      MAIN,
      "serve",
      dir,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
    ],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  const stop = stopper(child, [out.done, err.done]);
  const deadline = performance.now() + 30_000;
  let exited = false;
  child.status.then(() => exited = true);
  while (performance.now() < deadline && !exited) {
    const found = parseServeLine(out.text());
    if (found) return { label: "hexpub serve", url: found.url, stop, pid: child.pid };
    await new Promise((r) => setTimeout(r, 20));
  }
  await stop();
  throw new Error(
    `hexpub serve did not report its address${exited ? " (it exited)" : " within 30 s"}:\n${
      (err.text() || out.text()).trim()
    }`,
  );
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Whether `python3` runs here (its version, or undefined). */
async function pythonVersion(): Promise<string | undefined> {
  try {
    const out = await output("python3", { args: ["--version"] });
    if (out.code !== 0) return undefined;
    return (decoder.decode(out.stdout) || decoder.decode(out.stderr)).trim();
  } catch {
    return undefined;
  }
}

/** Starts python's server on a free port; tries another port when it exits (port taken). */
async function startPython(dir: string, probe: string): Promise<Server> {
  for (let attempt = 1;; attempt++) {
    const started = await startPythonOn(freePort(), dir, probe);
    if (started !== "exited") return started;
    if (attempt === 3) throw new Error("python3 -m http.server exited at start, three times");
  }
}

async function startPythonOn(port: number, dir: string, probe: string): Promise<Server | "exited"> {
  // Its per-request log goes to stderr: discarded, so the benchmark does not pay for reading it.
  const child = spawn("python3", {
    args: ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  });
  const stop = stopper(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 30_000;
  let exited = false;
  child.status.then(() => exited = true);
  while (performance.now() < deadline && !exited) {
    try {
      const res = await fetch(url + probe);
      await res.body?.cancel();
      if (res.status === 200) return { label: "python3 http.server", url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  if (exited) return "exited";
  throw new Error(`python3 -m http.server did not answer on ${url} within 30 s`);
}

async function manifestOf(dir: string, paths: string[]): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const path of paths) {
    const bytes = await Deno.readFile(join(dir, path));
    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    out.push({
      path: `/${path}`,
      size: bytes.length,
      sha256: Array.from(d, (b) => b.toString(16).padStart(2, "0")).join(""),
    });
  }
  return out;
}

async function runLoadProcess(
  server: Server,
  manifestFile: string,
  options: ServeBenchOptions,
): Promise<LoadResult> {
  const out = await output(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      `--allow-read=${manifestFile}`,
      "--no-prompt",
      LOAD,
      "--base",
      server.url,
      "--manifest",
      manifestFile,
      "--connections",
      String(options.connections),
      "--seconds",
      String(options.seconds),
      "--warmup",
      String(options.warmup),
    ],
  });
  if (out.code !== 0) {
    throw new Error(
      `the load generator failed against ${server.label} (exit ${out.code}):\n${
        decoder.decode(out.stderr).trim()
      }`,
    );
  }
  return JSON.parse(decoder.decode(out.stdout));
}

// ---------------------------------------------------------------------------
// Figures

/** The kinds of request measured. */
export const KINDS = ["tarballs", "packages"] as const;
export type Kind = typeof KINDS[number];

/** The servers measured. */
export const SERVERS = ["hexpub", "python"] as const;
export type ServerId = typeof SERVERS[number];

/** One load run, as kept in the report. */
export interface RunFigure {
  rps: number;
  errors: number;
  requests: number;
  mibPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The runs of one server for one kind, and the best of them. */
export interface Series {
  runs: RunFigure[];
  /** The highest rate of the runs without errors; 0 when every run had errors. */
  bestRps: number;
  /** Wrong or failed responses over all runs (warm-ups included). */
  errors: number;
  sampleErrors: string[];
}

/** Keeps the best rate of the runs; a run with any error does not count. */
export function bestOf(results: readonly LoadResult[]): Series {
  const runs = results.map((r) => ({
    rps: r.rps,
    errors: r.errors + r.warmupErrors,
    requests: r.requests,
    mibPerSecond: r.mibPerSecond,
    p50Ms: r.latencyMs.p50,
    p99Ms: r.latencyMs.p99,
  }));
  const clean = runs.filter((r) => r.errors === 0 && r.requests > 0);
  return {
    runs,
    bestRps: clean.length ? Math.max(...clean.map((r) => r.rps)) : 0,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    sampleErrors: results.flatMap((r) => r.sampleErrors).slice(0, 5),
  };
}

/** The serve part of the report. */
export interface ServeFigures {
  packages: number;
  releases: number;
  tarballs: SizeSummary;
  registryFiles: SizeSummary;
  connections: number;
  seconds: number;
  warmup: number;
  /** hexpub's and python's series per kind (python absent when skipped). */
  series: Record<Kind, { hexpub: Series; python?: Series }>;
  /** hexpub's best over python's best, per kind (absent without python). */
  ratio: Partial<Record<Kind, number>>;
  /** Why python was not measured, when it was not. */
  pythonSkipped?: string;
  /** The servers' base URLs (both stopped by the time the report is made). */
  urls: Partial<Record<ServerId, string>>;
  python?: string;
}

/** The rebuild part of the report. */
export interface RebuildFigures {
  packages: number;
  releases: number;
  tarballs: SizeSummary;
  /** `hexpub repo build DIR`, whole process, each run. */
  runsMs: number[];
  bestMs: number;
  /** `deno run main.ts --version`, best. */
  startupMs: number;
  /** The baseline: `sha256sum` over the same tarballs, best. */
  baselineMs: number;
  baselineCommand: string;
}

/** Everything the benchmark measured. */
export interface ServeBenchResult {
  deno: string;
  runs: number;
  cores: number | undefined;
  serve?: ServeFigures;
  rebuild?: RebuildFigures;
  bombs?: BombFigures;
  targets: { minRatio: number; maxRebuildMs: number; maxBombRssMiB?: number };
  pass: {
    tarballs?: boolean;
    packages?: boolean;
    rebuild?: boolean;
    bombs?: boolean;
    all: boolean;
  };
}

/** What the decompression bombs did to `hexpub serve`. */
export interface BombFigures {
  /** Bombs sent at once. */
  count: number;
  /** Size of one upload, bytes. */
  uploadBytes: number;
  /** What one inflates to, bytes. */
  inflatedBytes: number;
  /** The answers' statuses, in sending order. */
  statuses: number[];
  /** Resident set of the serve process before the bombs, MiB (VmRSS). */
  idleRssMiB: number | undefined;
  /** Its peak resident set once all were answered, MiB (VmHWM); undefined off Linux. */
  peakRssMiB: number | undefined;
  /** Wall time from the first upload to the last answer, ms. */
  ms: number;
}

/**
 * Compares the figures with the targets. A kind without a python figure has
 * no verdict; a series with errors fails.
 */
export function judgeServe(
  serve: ServeFigures | undefined,
  rebuild: RebuildFigures | undefined,
  bombs?: BombFigures,
): ServeBenchResult["pass"] {
  const pass: ServeBenchResult["pass"] = { all: true };
  // No peak RSS (no /proc) is no verdict, unless an answer was wrong.
  const answered = bombs?.statuses.every((st) => st === 201);
  if (bombs && (bombs.peakRssMiB !== undefined || !answered)) {
    pass.bombs = !!answered && bombs.peakRssMiB! < SERVE_TARGETS.maxBombRssMiB;
    pass.all &&= pass.bombs;
  }
  if (serve) {
    for (const kind of KINDS) {
      const s = serve.series[kind];
      const errors = s.hexpub.errors > 0 || s.hexpub.bestRps === 0;
      const ratio = serve.ratio[kind];
      if (ratio === undefined && !errors) continue;
      pass[kind] = !errors && ratio !== undefined && ratio >= SERVE_TARGETS.minRatio;
      pass.all &&= pass[kind]!;
    }
  }
  if (rebuild) {
    pass.rebuild = rebuild.bestMs < SERVE_TARGETS.maxRebuildMs;
    pass.all &&= pass.rebuild;
  }
  return pass;
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? "no verdict" : ok ? "PASS" : "FAIL";
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const sec = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

/** The human-readable report. */
export function renderServeReport(r: ServeBenchResult): string[] {
  const lines = [
    `hexpub serve and registry benchmark (${r.deno}, best of ${r.runs}, ${
      r.cores ?? "?"
    } cores: servers and load share them, figures are noisy)`,
  ];
  const s = r.serve;
  if (s) {
    const t = s.tarballs;
    lines.push(
      "",
      `repository: ${int(s.packages)} packages, ${int(s.releases)} releases; tarballs ${
        kib(t.minBytes)
      }–${kib(t.maxBytes)} (median ${kib(t.medianBytes)}, ${mib(t.totalBytes)} in all); ` +
        `/packages/NAME ${int(s.registryFiles.minBytes)}–${int(s.registryFiles.maxBytes)} bytes`,
      `load: ${s.connections} keep-alive connections from a separate Deno process, ${s.warmup} s ` +
        `warm-up + ${s.seconds} s, every body checked`,
      s.pythonSkipped ? `python3: ${s.pythonSkipped}` : `baseline: ${s.python} -m http.server`,
      "",
      `${"".padEnd(18)}${"hexpub serve".padStart(14)}${"python3".padStart(12)}${
        "ratio".padStart(9)
      }   target`,
    );
    for (const kind of KINDS) {
      const row = s.series[kind];
      const ratio = s.ratio[kind];
      const label = kind === "tarballs" ? "tarballs req/s" : "/packages/N req/s";
      lines.push(
        `${label.padEnd(18)}${(row.hexpub.bestRps ? int(row.hexpub.bestRps) : "-").padStart(14)}${
          (row.python ? (row.python.bestRps ? int(row.python.bestRps) : "-") : "skipped")
            .padStart(12)
        }${
          (ratio === undefined ? "-" : `${ratio.toFixed(2)}x`).padStart(9)
        }   >= ${r.targets.minRatio}x: ${verdict(r.pass[kind])}`,
      );
    }
    lines.push("", "runs (req/s, p50/p99 ms, MiB/s; errors):");
    for (const kind of KINDS) {
      for (const id of SERVERS) {
        const series = s.series[kind][id];
        if (!series) continue;
        const runs = series.runs.map((x) =>
          `${int(x.rps)} (${x.p50Ms.toFixed(1)}/${x.p99Ms.toFixed(1)}, ${
            x.mibPerSecond.toFixed(x.mibPerSecond < 10 ? 1 : 0)
          }${x.errors ? `; ${x.errors} errors` : ""})`
        );
        lines.push(`  ${kind.padEnd(9)} ${id.padEnd(7)} ${runs.join("  ")}`);
        for (const e of series.sampleErrors) lines.push(`    error: ${e}`);
      }
    }
  }
  const b = r.rebuild;
  if (b) {
    lines.push(
      "",
      `registry rebuild: ${int(b.packages)} packages, ${int(b.releases)} releases, ${
        mib(b.tarballs.totalBytes)
      } of tarballs`,
      `  hexpub repo build   ${sec(b.bestMs).padStart(9)}   target < ${
        r.targets.maxRebuildMs / 1000
      } s: ${verdict(r.pass.rebuild)}   (whole process via the CLI; runs ${
        b.runsMs.map((ms) => (ms / 1000).toFixed(2)).join(", ")
      })`,
      `  deno start-up       ${sec(b.startupMs).padStart(9)}   (main.ts --version, included above)`,
      `  baseline            ${sec(b.baselineMs).padStart(9)}   ${b.baselineCommand}; hexpub ${
        (b.bestMs / b.baselineMs).toFixed(1)
      }x of it`,
    );
  }
  const z = r.bombs;
  if (z) {
    lines.push(
      "",
      `decompression bombs: ${z.count} concurrent authenticated publishes of ${
        kib(z.uploadBytes)
      }, each inflating to ${mib(z.inflatedBytes)}; answers ${z.statuses.join(" ")} in ${
        sec(z.ms)
      }`,
      `  hexpub serve peak RSS ${
        z.peakRssMiB === undefined ? "unknown (no /proc)" : `${z.peakRssMiB.toFixed(0)} MiB`
      } (idle ${z.idleRssMiB?.toFixed(0) ?? "?"} MiB)   target < ${
        r.targets.maxBombRssMiB ?? SERVE_TARGETS.maxBombRssMiB
      } MiB: ${verdict(r.pass.bombs)}`,
    );
  }
  lines.push("", `result: ${verdict(r.pass.all)}`);
  return lines;
}

// ---------------------------------------------------------------------------
// The run

/** Things to undo at the end, newest first; run once even when called twice. */
class Cleanup {
  #tasks: (() => Promise<void>)[] = [];
  #ran?: Promise<void>;
  add(task: () => Promise<void>): void {
    this.#tasks.push(task);
  }
  run(): Promise<void> {
    return this.#ran ??= (async () => {
      for (const task of this.#tasks.reverse()) await task().catch(() => {});
    })();
  }
}

function cores(): number | undefined {
  return typeof navigator === "undefined" ? undefined : navigator.hardwareConcurrency;
}

async function benchServe(
  options: ServeBenchOptions,
  tmp: string,
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<ServeFigures> {
  const dir = join(tmp, "served");
  await hexpub(["repo", "init", dir, "--name", "bench"], tmp);
  const plan = planRepository({
    packages: options.packages,
    maxVersions: options.maxVersions,
    seed: options.seed,
  });
  let t0 = performance.now();
  const tarballs = await writeTarballs(dir, plan, options.seed);
  log(`generated ${plan.length} tarballs in ${sec(performance.now() - t0)}`);
  t0 = performance.now();
  await hexpub(["repo", "build", dir], tmp);
  log(`repo build of the served repository: ${sec(performance.now() - t0)}`);

  const names = [...new Set(plan.map((p) => p.name))];
  const manifests = {
    tarballs: await manifestOf(dir, plan.map((p) => `tarballs/${p.name}-${p.version}.tar`)),
    packages: await manifestOf(dir, names.map((n) => `packages/${n}`)),
  };
  const files: Record<Kind, string> = {
    tarballs: join(tmp, "tarballs.json"),
    packages: join(tmp, "packages.json"),
  };
  for (const kind of KINDS) await Deno.writeTextFile(files[kind], JSON.stringify(manifests[kind]));

  const servers: Partial<Record<ServerId, Server>> = {};
  const hex = await startHexpubServe(dir, tmp);
  cleanup.add(hex.stop);
  servers.hexpub = hex;
  log(`hexpub serve at ${hex.url}`);
  const python = options.python ? await pythonVersion() : undefined;
  let pythonSkipped: string | undefined;
  if (!options.python) pythonSkipped = "skipped (--no-python)";
  else if (!python) pythonSkipped = "python3 is not installed: the baseline is skipped";
  else {
    const py = await startPython(dir, manifests.packages[0].path);
    cleanup.add(py.stop);
    servers.python = py;
    log(`python3 -m http.server at ${py.url}`);
  }

  const results: Record<Kind, Partial<Record<ServerId, LoadResult[]>>> = {
    tarballs: {},
    packages: {},
  };
  for (let run = 0; run < options.runs; run++) {
    for (const kind of KINDS) {
      const order = run % 2 === 0 ? SERVERS : [...SERVERS].reverse();
      for (const id of order) {
        const server = servers[id];
        if (!server) continue;
        const r = await runLoadProcess(server, files[kind], options);
        (results[kind][id] ??= []).push(r);
        log(
          `run ${run + 1}/${options.runs} ${kind} ${id}: ${int(r.rps)} req/s` +
            (r.errors || r.warmupErrors
              ? ` (${r.errors + r.warmupErrors} errors: ${r.sampleErrors[0]})`
              : ""),
        );
      }
    }
  }
  await hex.stop();
  await servers.python?.stop();

  const series = {} as ServeFigures["series"];
  const ratio: ServeFigures["ratio"] = {};
  for (const kind of KINDS) {
    const h = bestOf(results[kind].hexpub!);
    const p = results[kind].python ? bestOf(results[kind].python!) : undefined;
    series[kind] = p ? { hexpub: h, python: p } : { hexpub: h };
    if (p && p.bestRps > 0 && h.bestRps > 0) ratio[kind] = h.bestRps / p.bestRps;
  }
  return {
    packages: names.length,
    releases: plan.length,
    tarballs,
    registryFiles: sizeSummary(manifests.packages.map((m) => m.size)),
    connections: options.connections,
    seconds: options.seconds,
    warmup: options.warmup,
    series,
    ratio,
    urls: Object.fromEntries(Object.entries(servers).map(([id, sv]) => [id, sv!.url])),
    ...(pythonSkipped ? { pythonSkipped } : { python }),
  };
}

async function baseline(dir: string): Promise<{ ms: number; command: string }> {
  const command = "sha256sum tarballs/*.tar";
  const start = performance.now();
  let out: Deno.CommandOutput | undefined;
  try {
    out = await output("sh", {
      args: ["-c", "sha256sum -- tarballs/*.tar > /dev/null"],
      cwd: dir,
    });
  } catch {
    out = undefined;
  }
  if (out?.code === 0) return { ms: performance.now() - start, command };
  // No sha256sum: read and hash in this process instead.
  const begin = performance.now();
  for await (const e of Deno.readDir(join(dir, "tarballs"))) {
    if (!e.name.endsWith(".tar")) continue;
    await crypto.subtle.digest("SHA-256", await Deno.readFile(join(dir, "tarballs", e.name)));
  }
  return { ms: performance.now() - begin, command: "read + SHA-256 in-process (no sha256sum)" };
}

/** Removes the registry files (`names`, `versions`, `packages/*`) of a repository directory. */
async function clearRegistry(dir: string): Promise<void> {
  for (const file of ["names", "versions"]) {
    await Deno.remove(join(dir, file)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  for await (const e of Deno.readDir(join(dir, "packages"))) {
    await Deno.remove(join(dir, "packages", e.name), { recursive: true });
  }
}

async function benchRebuild(
  options: ServeBenchOptions,
  tmp: string,
  log: (line: string) => void,
): Promise<RebuildFigures> {
  const dir = join(tmp, "rebuilt");
  await hexpub(["repo", "init", dir, "--name", "rebuilt"], tmp);
  const plan = planRepository({
    packages: options.rebuildPackages,
    maxVersions: 1,
    seed: options.seed + 1,
  });
  const t0 = performance.now();
  const tarballs = await writeTarballs(dir, plan, options.seed + 1);
  log(`generated ${plan.length} tarballs in ${sec(performance.now() - t0)}`);

  const runsMs: number[] = [];
  const startup: number[] = [];
  const base: number[] = [];
  let command = "";
  for (let run = 0; run < options.runs; run++) {
    // Every run builds from nothing, so a rebuild that skips unchanged files measures the same.
    await clearRegistry(dir);
    const b = await baseline(dir);
    base.push(b.ms);
    command = b.command;
    const r = await hexpub(["repo", "build", dir], tmp);
    runsMs.push(r.ms);
    const expected = `${plan.length} packages, ${plan.length} releases`;
    if (!r.stdout.includes(expected)) {
      throw new Error(`repo build reported "${r.stdout.trim()}", expected ${expected}`);
    }
    startup.push((await hexpub(["--version"], tmp)).ms);
    log(`run ${run + 1}/${options.runs} repo build: ${sec(r.ms)}`);
  }
  // The registry it wrote must be the whole, verifiable thing.
  const publicKey = await Deno.readTextFile(join(dir, "public_key"));
  const opts = { repository: "rebuilt", verify: true };
  const names = await readNames(await Deno.readFile(join(dir, "names")), publicKey, opts);
  const versions = await readVersions(await Deno.readFile(join(dir, "versions")), publicKey, opts);
  const want = new Set(plan.map((p) => p.name));
  if (
    names.packages.length !== want.size || !names.packages.every((p) => want.has(p.name)) ||
    versions.packages.length !== want.size
  ) {
    throw new Error(
      `the rebuilt registry lists ${names.packages.length} packages, expected ${want.size}`,
    );
  }
  let registryFiles = 0;
  for await (const _ of Deno.readDir(join(dir, "packages"))) registryFiles++;
  if (registryFiles !== want.size) {
    throw new Error(`packages/ holds ${registryFiles} files, expected ${want.size}`);
  }
  return {
    packages: want.size,
    releases: plan.length,
    tarballs,
    runsMs,
    bestMs: Math.min(...runsMs),
    startupMs: Math.min(...startup),
    baselineMs: Math.min(...base),
    baselineCommand: command,
  };
}

/**
 * A field of /proc/PID/status in MiB (`VmHWM`, `VmRSS`), or undefined off
 * Linux. Read with `cat`: Deno lets only --allow-all read another process's
 * /proc entries.
 */
async function procStatusMiB(pid: number, field: string): Promise<number | undefined> {
  try {
    const out = await output("cat", { args: [`/proc/${pid}/status`] });
    const text = decoder.decode(out.stdout);
    const m = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends `count` concurrent decompression bombs to a fresh `hexpub serve`
 * and reads its peak RSS.
 */
async function benchBombs(
  count: number,
  tmp: string,
  log: (line: string) => void,
): Promise<BombFigures> {
  const dir = join(tmp, "bombs");
  const { stdout } = await hexpub(["serve", "key", "generate", dir, "--key-name", "bench"], tmp);
  const key = stdout.trim().split("\n").at(-1)!;
  const inflated = 120 * 1024 * 1024;
  const uploads = Array.from(
    { length: count },
    (_, i) => bombTarball(inflated, { name: `bomb${i + 1}` }),
  );
  const server = await startHexpubServe(dir, tmp);
  try {
    const idleRssMiB = await procStatusMiB(server.pid, "VmRSS");
    log(`sending ${count} bombs of ${kib(uploads[0].length)} to ${server.url}`);
    const start = performance.now();
    const statuses = await Promise.all(uploads.map(async (body) => {
      const res = await fetch(`${server.url}/api/publish`, {
        method: "POST",
        headers: { authorization: key, "content-type": "application/octet-stream" },
        body: body as Uint8Array<ArrayBuffer>,
      });
      await res.body?.cancel();
      return res.status;
    }));
    const ms = performance.now() - start;
    const peakRssMiB = await procStatusMiB(server.pid, "VmHWM");
    return {
      count,
      uploadBytes: uploads[0].length,
      inflatedBytes: inflated,
      statuses,
      idleRssMiB,
      peakRssMiB,
      ms,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Runs the whole benchmark.
 *
 * @param options The parsed flags.
 * @param log Where progress lines go.
 */
export async function runServeBench(
  options: ServeBenchOptions,
  log: (line: string) => void,
): Promise<ServeBenchResult> {
  const tmp = await Deno.makeTempDir({ prefix: "hexpub-bench-serve-" });
  const cleanup = new Cleanup();
  cleanup.add(() => Deno.remove(tmp, { recursive: true }));
  cleanup.add(stopAll);
  const onSignal = () => {
    log("interrupted: stopping the servers and removing the temporary files");
    cleanup.run().finally(() => Deno.exit(130));
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    const serve = options.serve ? await benchServe(options, tmp, cleanup, log) : undefined;
    const rebuild = options.rebuild ? await benchRebuild(options, tmp, log) : undefined;
    const bombs = options.bombs ? await benchBombs(options.bombs, tmp, log) : undefined;
    return {
      deno: `deno ${Deno.version.deno}`,
      runs: options.runs,
      cores: cores(),
      ...(serve ? { serve } : {}),
      ...(rebuild ? { rebuild } : {}),
      ...(bombs ? { bombs } : {}),
      targets: { ...SERVE_TARGETS },
      pass: judgeServe(serve, rebuild, bombs),
    };
  } finally {
    await cleanup.run();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

if (import.meta.main) {
  Deno.exit(
    await benchMain(parseServeBenchArgs, runServeBench, renderServeReport, (r) => r.pass.all),
  );
}
