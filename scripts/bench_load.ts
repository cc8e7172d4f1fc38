// deno-lint-ignore-file no-console -- a benchmark script: its output is the console
/**
 * The load generator of `scripts/bench_serve.ts`, run as its own Deno process
 * so the server under test never shares an event loop with its client.
 *
 * Usage:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read scripts/bench_load.ts \
 *   --base http://127.0.0.1:PORT --manifest FILE \
 *   [--connections N] [--seconds S] [--warmup S] [--verify first|all]
 * ```
 *
 * `--manifest` is a JSON list of `{path, size, sha256}`: the paths to request
 * (each worker walks the list from its own offset) and what each response must
 * be. `--connections` workers (default 8) each loop `fetch` on one keep-alive
 * HTTP/1.1 connection (the server may still close it: `python3 -m http.server`
 * speaks HTTP/1.0), read every body in full, and check it: status 200, exactly
 * `size` bytes, and the SHA-256 of each path's responses until one matched
 * (`--verify all`: of every response). Anything else counts as an error, never as
 * throughput. The warm-up (default 1 s) is not counted but is checked the same
 * way; the measured phase lasts `--seconds` (default 4): no request starts
 * after it, the ones in flight are finished and counted, and the rate is
 * completed requests over the phase's wall time.
 *
 * Prints one JSON object ({@link LoadResult}) on stdout. Exit 0 even when
 * requests failed (the caller decides); 2 on bad flags; 1 when the server
 * could not be reached at all.
 *
 * Only 127.0.0.1 (or localhost) URLs are accepted.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { numberFlag } from "./_bench_cli.ts";

/** One path to request and what a correct answer is. */
export interface ManifestEntry {
  /** URL path, starting with `/`. */
  path: string;
  /** The body's exact length in bytes. */
  size: number;
  /** The body's SHA-256, lower-case hex. */
  sha256: string;
}

/** What a load run does. */
export interface LoadOptions {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  base: string;
  /** The manifest file. */
  manifest: string;
  /** Concurrent workers (connections). */
  connections: number;
  /** Length of the measured phase. */
  seconds: number;
  /** Length of the unmeasured warm-up. */
  warmup: number;
  /** Which responses get their SHA-256 checked. */
  verify: "first" | "all";
}

/** The defaults: 8 connections, 1 s warm-up, 4 s measured, checksum of the first of each path. */
export const LOAD_DEFAULTS = Object.freeze({
  connections: 8,
  seconds: 4,
  warmup: 1,
  verify: "first" as const,
});

const USAGE = `usage: bench_load.ts --base http://127.0.0.1:PORT --manifest FILE
                     [--connections N] [--seconds S] [--warmup S] [--verify first|all]`;

const flag = (
  name: string,
  text: string | undefined,
  fallback: number,
  opts: { integer: boolean; zero: boolean },
) => numberFlag(name, text, fallback, opts, USAGE);

/**
 * Reads the command line.
 *
 * @throws {Error} On a missing or bad flag, or a base URL that is not on 127.0.0.1
 *   (the message holds the usage).
 */
export function parseLoadArgs(args: string[]): LoadOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        base: { type: "string" },
        manifest: { type: "string" },
        connections: { type: "string" },
        seconds: { type: "string" },
        warmup: { type: "string" },
        verify: { type: "string" },
      },
    }));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  if (!values.base || !values.manifest) {
    throw new Error(`--base and --manifest are required\n${USAGE}`);
  }
  let url: URL;
  try {
    url = new URL(values.base);
  } catch {
    throw new Error(`--base is not a URL: "${values.base}"\n${USAGE}`);
  }
  if (url.protocol !== "http:" || !["127.0.0.1", "localhost"].includes(url.hostname)) {
    throw new Error(`--base must be http://127.0.0.1:PORT, got "${values.base}"`);
  }
  const verify = values.verify ?? LOAD_DEFAULTS.verify;
  if (verify !== "first" && verify !== "all") {
    throw new Error(`--verify is first or all, got "${verify}"\n${USAGE}`);
  }
  return {
    base: values.base.replace(/\/+$/, ""),
    manifest: values.manifest,
    connections: flag("connections", values.connections, LOAD_DEFAULTS.connections, {
      integer: true,
      zero: false,
    }),
    seconds: flag("seconds", values.seconds, LOAD_DEFAULTS.seconds, {
      integer: false,
      zero: false,
    }),
    warmup: flag("warmup", values.warmup, LOAD_DEFAULTS.warmup, {
      integer: false,
      zero: true,
    }),
    verify,
  };
}

/**
 * Checks a parsed manifest: a non-empty list of entries with a path, a size and
 * a SHA-256.
 *
 * @throws {Error} Naming the first bad entry.
 */
export function validateManifest(data: unknown): ManifestEntry[] {
  if (!Array.isArray(data) || data.length === 0) {
    throw new Error("the manifest must be a non-empty JSON list of {path, size, sha256}");
  }
  data.forEach((e, i) => {
    const ok = typeof e === "object" && e !== null &&
      typeof e.path === "string" && e.path.startsWith("/") &&
      Number.isSafeInteger(e.size) && e.size >= 0 &&
      typeof e.sha256 === "string" && /^[0-9a-f]{64}$/.test(e.sha256);
    if (!ok) throw new Error(`manifest entry ${i} is not {path: "/…", size, sha256}`);
  });
  return data as ManifestEntry[];
}

/** Lower-case hex SHA-256 of some bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Why a response is wrong, or undefined when it is right: status 200, exactly
 * `size` bytes and, when `hash` is given, that SHA-256.
 */
export function judgeResponse(
  entry: ManifestEntry,
  status: number,
  length: number,
  hash?: string,
): string | undefined {
  if (status !== 200) return `${entry.path}: status ${status}`;
  if (length !== entry.size) return `${entry.path}: ${length} bytes, expected ${entry.size}`;
  if (hash !== undefined && hash !== entry.sha256) return `${entry.path}: wrong SHA-256`;
  return undefined;
}

/**
 * Where worker `worker` of `workers` starts in a manifest of `length` entries:
 * spread evenly, so the workers do not all ask for the same file at once.
 */
export function startOffset(worker: number, workers: number, length: number): number {
  return Math.floor((worker * length) / workers) % length;
}

/** The `q` quantile (0…1) of sorted numbers, nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** What one load run measured. */
export interface LoadResult {
  base: string;
  connections: number;
  /** Requested length of the measured phase, seconds. */
  seconds: number;
  /** Wall time of the measured phase, in-flight requests included, seconds. */
  elapsed: number;
  /** Correct responses in the measured phase. */
  requests: number;
  /** Wrong responses and failed requests in the measured phase. */
  errors: number;
  /** Body bytes of the correct responses. */
  bytes: number;
  /** `requests / elapsed`. */
  rps: number;
  /** `bytes / elapsed` in MiB/s. */
  mibPerSecond: number;
  /** Latency quantiles of the correct responses, milliseconds. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Responses whose SHA-256 was checked (warm-up included). */
  checksummed: number;
  /** Wrong responses or failed requests in the warm-up. */
  warmupErrors: number;
  /** The first few errors, for the report. */
  sampleErrors: string[];
}

/** Turns the raw counts of a run into a {@link LoadResult}. */
export function summarize(raw: {
  base: string;
  connections: number;
  seconds: number;
  elapsedMs: number;
  latenciesMs: number[];
  errors: number;
  bytes: number;
  checksummed: number;
  warmupErrors: number;
  sampleErrors: string[];
}): LoadResult {
  const sorted = [...raw.latenciesMs].sort((a, b) => a - b);
  const elapsed = raw.elapsedMs / 1000;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    base: raw.base,
    connections: raw.connections,
    seconds: raw.seconds,
    elapsed: round(elapsed),
    requests: sorted.length,
    errors: raw.errors,
    bytes: raw.bytes,
    rps: elapsed > 0 ? sorted.length / elapsed : 0,
    mibPerSecond: elapsed > 0 ? raw.bytes / elapsed / (1024 * 1024) : 0,
    latencyMs: {
      p50: round(quantile(sorted, 0.5)),
      p90: round(quantile(sorted, 0.9)),
      p99: round(quantile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? NaN),
    },
    checksummed: raw.checksummed,
    warmupErrors: raw.warmupErrors,
    sampleErrors: raw.sampleErrors,
  };
}

/**
 * Runs the load: warm-up, then the measured phase.
 *
 * @param options What to load and for how long.
 * @param manifest The paths and their expected bodies.
 */
export async function runLoad(
  options: LoadOptions,
  manifest: ManifestEntry[],
): Promise<LoadResult> {
  const client = Deno.createHttpClient({
    poolMaxIdlePerHost: options.connections,
    http1: true,
    http2: false,
  });
  const checked = new Set<string>();
  const sampleErrors: string[] = [];
  const note = (why: string) => {
    if (sampleErrors.length < 5) sampleErrors.push(why);
  };
  let phase: "warmup" | "measure" = "warmup";
  let stopAt = performance.now() + options.warmup * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let warmupErrors = 0;
  let bytes = 0;
  let checksummed = 0;
  let reached = false;
  const verifying = new Set<string>();

  async function one(entry: ManifestEntry): Promise<void> {
    const counted = phase === "measure";
    const start = performance.now();
    let why: string | undefined;
    let length = 0;
    try {
      const res = await fetch(options.base + entry.path, { client });
      const body = new Uint8Array(await res.arrayBuffer());
      reached = true;
      length = body.length;
      // One check of a path at a time: concurrent first responses do not all hash it.
      const verify = options.verify === "all" ||
        (!checked.has(entry.path) && !verifying.has(entry.path));
      let hash: string | undefined;
      if (verify && res.status === 200 && body.length === entry.size) {
        verifying.add(entry.path);
        try {
          hash = await sha256Hex(body);
        } finally {
          verifying.delete(entry.path);
        }
        checksummed++;
      }
      why = judgeResponse(entry, res.status, body.length, hash);
      // A path counts as checked once a response matched: a wrong one is checked every time.
      if (hash !== undefined && why === undefined) checked.add(entry.path);
    } catch (e) {
      why = `${entry.path}: ${(e as Error).message}`;
      // A refused or reset connection fails at once: do not spin on it.
      await new Promise((r) => setTimeout(r, 5));
    }
    if (why !== undefined) {
      note(why);
      if (counted) errors++;
      else warmupErrors++;
      return;
    }
    if (counted) {
      latencies.push(performance.now() - start);
      bytes += length;
    }
  }

  async function worker(index: number): Promise<void> {
    let i = startOffset(index, options.connections, manifest.length);
    while (performance.now() < stopAt) {
      await one(manifest[i]);
      i = (i + 1) % manifest.length;
    }
  }

  const workers = Array.from({ length: options.connections }, (_, i) => i);
  try {
    if (options.warmup > 0) await Promise.all(workers.map(worker));
    phase = "measure";
    const start = performance.now();
    stopAt = start + options.seconds * 1000;
    await Promise.all(workers.map(worker));
    const elapsedMs = performance.now() - start;
    if (!reached) {
      throw new Error(`no response from ${options.base}: ${sampleErrors[0] ?? "nothing sent"}`);
    }
    return summarize({
      base: options.base,
      connections: options.connections,
      seconds: options.seconds,
      elapsedMs,
      latenciesMs: latencies,
      errors,
      bytes,
      checksummed,
      warmupErrors,
      sampleErrors,
    });
  } finally {
    client.close();
  }
}

if (import.meta.main) {
  let options: LoadOptions;
  let manifest: ManifestEntry[];
  try {
    options = parseLoadArgs(Deno.args);
    manifest = validateManifest(JSON.parse(await Deno.readTextFile(options.manifest)));
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  try {
    console.log(JSON.stringify(await runLoad(options, manifest)));
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
