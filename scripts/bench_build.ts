/**
 * `deno task bench`: how fast, and in how much memory, `hexpub build package`
 * packs a large project, next to `tar -cf - FILES | gzip -6` on the same files
 * and, when Erlang and rebar3 are installed, next to the hex_core rebar3 bundles.
 *
 * Usage:
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run --allow-env --allow-sys scripts/bench_build.ts \
 *   [--files N] [--mib N] [--runs N] [--seed N] [--dir DIR] [--rss time|poll] [--no-hex-core]
 *   [--json] [--check]
 * ```
 *
 * 1. Generates (or reuses) a rebar3 project of `--files` files (default 5,000) and
 *    `--mib` MiB (default 100) of Erlang-like source under `src/` (nested), `include/`
 *    and `priv/`. The text is deterministic for a seed and compresses about 8.5x with
 *    gzip -6, so the package stays under Hex's 16 MiB limit. A finished project
 *    holds a marker file and is reused by later runs with the same parameters.
 * 2. Runs the baseline, `tar -cf - FILES | gzip -6 > out` (GNU tar, `--no-recursion`,
 *    FILES being exactly the entries hexpub packs), and
 *    `deno run … main.ts build package --json -o OUT` in the project, and the second
 *    baseline, `escript scripts/bench_hex_core.escript` (rebar3's bundled hex_core,
 *    `r3_hex_tarball:create/3`, packing the same entries: what `rebar3 hex build`
 *    spends on the tarball, OTP start-up included), alternately, `--runs` times each
 *    (default 3), keeping the best (lowest) wall time of each and the highest peak
 *    RSS of each process. The hex_core baseline is skipped, and says so, when
 *    `escript` or `rebar3` is not on PATH or `--no-hex-core` is given.
 * 3. Prints the figures, hexpub's time as a ratio of each baseline, whether hexpub's
 *    `contents.tar.gz` is byte-identical to hex_core's, and PASS/FAIL against the
 *    targets (ratio to tar | gzip ≤ 2.0, peak RSS < 200 MB; the ratio to hex_core is
 *    shown, not judged). The exit code is 0 unless `--check` is given and a target
 *    is missed (or a command fails).
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the kernel's `ru_maxrss`)
 * when it is installed, else from a `sh` loop that reads `VmHWM` in `/proc/PID/status`
 * every 20 ms (a lower bound: growth in the last 20 ms of the process is missed, and
 * the measured time may include up to 20 ms of polling; Deno itself may read
 * `/proc/PID` only with `--allow-all`). `--rss` forces one method. hexpub's time is
 * the whole command, Deno start-up included; the start-up alone (`main.ts --version`)
 * is printed beside it. hex_core's time is the whole escript too (OTP start-up and
 * loading hex_core out of the rebar3 escript included); the time of the create call
 * alone is printed beside it.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchMain } from "./_bench_cli.ts";

// ---------------------------------------------------------------------------
// Options

/** What a benchmark run does. */
export interface BenchOptions {
  /** Regular files in the generated project (the four fixed files included). */
  files: number;
  /** Total size of those files, in MiB. */
  mib: number;
  /** Timed runs of each command; the best is reported. */
  runs: number;
  /** PRNG seed of the generator. */
  seed: number;
  /** Where the project goes (default: a fixed path in the temp dir, so it is reused). */
  dir?: string;
  /** How to measure peak RSS: GNU time if available (`auto`), or forced. */
  rss: "auto" | "time" | "poll";
  /** Leave out the hex_core baseline. */
  noHexCore: boolean;
  /** Print the figures as one JSON object. */
  json: boolean;
  /** Exit 1 when a target is missed. */
  check: boolean;
}

/** The defaults: the issue's 5,000 files and 100 MiB, best of 3. */
export const DEFAULT_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  files: 5000,
  mib: 100,
  runs: 3,
  seed: 1,
  rss: "auto",
  noHexCore: false,
  json: false,
  check: false,
});

/**
 * The targets: hexpub's time at most twice tar | gzip -6 (its deflate is zlib's
 * algorithm in JavaScript, for hex_core's exact bytes) and peak RSS under 200 MB.
 */
export const TARGETS = Object.freeze({ maxRatio: 2.0, maxRssMB: 200 });

/** Hex's limit on the package tarball (hex_core `tarball_max_size`). */
export const HEX_MAX_TARBALL = 16 * 1024 * 1024;

const USAGE = `usage: bench_build.ts [--files N] [--mib N] [--runs N] [--seed N] [--dir DIR]
                      [--rss auto|time|poll] [--no-hex-core] [--json] [--check]`;

function positiveNumber(
  name: string,
  text: string | undefined,
  fallback: number,
  integer: boolean,
) {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} wants a positive ${integer ? "integer" : "number"}, got "${text}"`);
  }
  return n;
}

/**
 * Reads the command line.
 *
 * @param args `Deno.args`.
 * @returns The options, defaults filled in.
 * @throws {Error} On an unknown flag or a bad value (the message holds the usage).
 */
export function parseBenchArgs(args: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        files: { type: "string" },
        mib: { type: "string" },
        runs: { type: "string" },
        seed: { type: "string" },
        dir: { type: "string" },
        rss: { type: "string" },
        "no-hex-core": { type: "boolean" },
        json: { type: "boolean" },
        check: { type: "boolean" },
      },
    }));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  const rss = values.rss ?? "auto";
  if (rss !== "auto" && rss !== "time" && rss !== "poll") {
    throw new Error(`--rss is auto, time or poll, got "${rss}"\n${USAGE}`);
  }
  const seed = values.seed === undefined ? DEFAULT_OPTIONS.seed : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed wants an integer, got "${values.seed}"`);
  const files = positiveNumber("files", values.files, DEFAULT_OPTIONS.files, true);
  if (files < 5) throw new Error("--files must be at least 5 (four fixed files and one generated)");
  return {
    files,
    mib: positiveNumber("mib", values.mib, DEFAULT_OPTIONS.mib, false),
    runs: positiveNumber("runs", values.runs, DEFAULT_OPTIONS.runs, true),
    seed,
    dir: values.dir,
    rss,
    noHexCore: values["no-hex-core"] ?? false,
    json: values.json ?? false,
    check: values.check ?? false,
  };
}

// ---------------------------------------------------------------------------
// Deterministic randomness

/** A seeded pseudo-random source (xorshift128, state seeded through a 32-bit mixer). */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A deterministic PRNG: the same seed (and stream number) always gives the same sequence.
 *
 * @param seed Any safe integer.
 * @param stream A second key (the file index), so each file draws from its own sequence.
 */
export function createRng(seed: number, stream = 0): Rng {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  let a = mix32(lo ^ 0x9e3779b9);
  let b = mix32(hi ^ mix32(stream + 0x632be5ab));
  let c = mix32(a ^ b ^ 0x85ebca6b);
  let d = mix32(c + stream) | 1;
  const nextU32 = () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19)) ^ (t ^ (t >>> 8));
    return d >>> 0;
  };
  for (let i = 0; i < 8; i++) nextU32();
  const rng: Rng = {
    next: () => nextU32() / 0x1_0000_0000,
    int: (n) => Math.floor(rng.next() * n),
    pick: (items) => items[rng.int(items.length)],
    chance: (p) => rng.next() < p,
  };
  return rng;
}

// ---------------------------------------------------------------------------
// The generated project

/** Bumped whenever the generator's output changes, so stale projects are regenerated. */
export const GENERATOR_VERSION = 3;

/** The file that marks a finished, reusable project. */
export const MARKER = ".hexpub-bench.json";

/** The application of the generated project. */
export const APP = "bench_app";

/** One generated source file, before its text is made. */
export interface PlannedFile {
  /** Path relative to the project root. */
  path: string;
  kind: "erl" | "hrl" | "priv";
  /** The size the text aims at, in bytes (the result lands within a line of it). */
  target: number;
  /** The module (or header, or config) name. */
  name: string;
  /** Index used as the file's PRNG stream. */
  index: number;
}

/** A generated file. */
export interface GeneratedFile {
  path: string;
  text: string;
}

/** Splits a space-separated word list. */
function words(text: string): string[] {
  return text.split(" ");
}

const AREAS: readonly string[] = words(
  "core http storage auth metrics cluster codec query cache sched admin events",
);
const LAYERS: readonly string[] = words("handlers workers models protocol internal adapters");
const PRIV_KINDS: readonly string[] = words("schemas fixtures templates");

const NOUNS: readonly string[] = words(
  "session request buffer socket entry table queue worker pool token cache index " +
    "segment chunk frame packet route handler timer lease shard replica node config " +
    "metric counter span event batch cursor page row column schema account order " +
    "payload header message channel stream peer ticket job task limit quota window " +
    "offset snapshot ledger bucket partition listener backend digest signature " +
    "certificate",
);
const VERBS: readonly string[] = words(
  "fetch store update delete lookup encode decode parse render validate merge split " +
    "flush sync retry schedule notify compact resolve register release acquire expire " +
    "refresh publish subscribe collect reduce normalize translate dispatch handle " +
    "build check apply drain rotate prune",
);
const ADJECTIVES: readonly string[] = words(
  "pending stale active remote local cached dirty primary secondary expired partial " +
    "complete empty full valid invalid current previous",
);
const ATOMS: readonly string[] = words(
  "ok error undefined not_found timeout badarg closed retry overflow invalid noproc " +
    "exists busy ready stopped skipped denied eof",
);
const TYPES: readonly string[] = words(
  "term() binary() integer() non_neg_integer() pos_integer() map() [term()] " +
    "atom() pid() boolean() iodata() timeout() [binary()] #{atom()=>term()}",
);
const CALLS: readonly (readonly [string, string])[] = words(
  "lists:keyfind lists:foldl lists:map lists:filter maps:get maps:put maps:find " +
    "ets:lookup ets:insert proplists:get_value binary:split erlang:phash2 " +
    "string:trim queue:in queue:out timer:send_after crypto:hash gen_server:call " +
    "io_lib:format unicode:characters_to_binary erlang:monotonic_time " +
    "sets:add_element",
).map((c) => c.split(":") as [string, string]);
const NUMBERS: readonly number[] = words(
  "0 1 2 3 8 16 32 64 100 128 256 500 1000 1024 4096 5000 30000 60000",
).map(Number);

const LICENSE_HEADER = [
  "%%% Copyright (c) 2024 The Bench Authors. All rights reserved.",
  "%%%",
  '%%% Licensed under the Apache License, Version 2.0 (the "License");',
  "%%% you may not use this file except in compliance with the License.",
  "%%% You may obtain a copy of the License at",
  "%%%",
  "%%%     http://www.apache.org/licenses/LICENSE-2.0",
  "%%%",
  "%%% Unless required by applicable law or agreed to in writing, software",
  '%%% distributed under the License is distributed on an "AS IS" BASIS,',
  "%%% WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.",
  "%%% See the License for the specific language governing permissions and",
  "%%% limitations under the License.",
].join("\n");

/** The fixed files: `rebar.config`, `rebar.lock`, the `.app.src` and the app's header. */
export function fixedFiles(): GeneratedFile[] {
  return [
    {
      path: "rebar.config",
      text: "%% Generated by hexpub's scripts/bench_build.ts.\n" +
        '{erl_opts, [debug_info, {i, "include"}]}.\n{deps, []}.\n',
    },
    { path: "rebar.lock", text: "[].\n" },
    {
      path: `src/${APP}.app.src`,
      // Laid out as rebar3_hex packs it (`io_lib:format("~tp.~n", …)`), so that the
      // hex_core baseline, which packs the file as it is on disk, packs the same bytes.
      text: `{application,${APP},\n` +
        `             [{description,"A generated application for hexpub's build benchmark"},\n` +
        `              {vsn,"1.0.0"},\n` +
        `              {registered,[]},\n` +
        `              {applications,[kernel,stdlib]},\n` +
        `              {env,[]},\n` +
        `              {modules,[]},\n` +
        `              {licenses,["Apache-2.0"]},\n` +
        `              {links,[{"Source","https://example.com/bench_app"}]}]}.\n`,
    },
    {
      path: `include/${APP}.hrl`,
      text:
        `-ifndef(BENCH_APP_HRL).\n-define(BENCH_APP_HRL, true).\n-define(APP, ${APP}).\n-endif.\n`,
    },
  ];
}

const FIXED = fixedFiles();
const FIXED_BYTES = FIXED.reduce((n, f) => n + f.text.length, 0);

/**
 * Lays out the generated files: names, directories and target sizes (skewed, as
 * real projects are: many small modules and a few large ones).
 *
 * @param options `files` (all regular files, the fixed ones included), `mib`, `seed`.
 * @returns The planned files, in generation order.
 */
export function planProject(options: Pick<BenchOptions, "files" | "mib" | "seed">): PlannedFile[] {
  const count = Math.max(1, options.files - FIXED.length);
  const total = Math.max(count * 64, Math.round(options.mib * 1024 * 1024) - FIXED_BYTES);
  const rng = createRng(options.seed, 0x7fffffff);
  const weights: number[] = [];
  for (let i = 0; i < count; i++) weights.push(0.2 + rng.next() ** 2 * 2.4);
  const sum = weights.reduce((a, b) => a + b, 0);
  const out: PlannedFile[] = [];
  for (let i = 0; i < count; i++) {
    const target = Math.max(64, Math.round((total * weights[i]) / sum));
    const roll = rng.next();
    const area = rng.pick(AREAS);
    const noun = rng.pick(NOUNS);
    if (roll < 0.8 || count < 3) {
      const name = `${area}_${noun}_${i}`;
      const layer = rng.pick(LAYERS);
      const nested = rng.chance(0.3) ? `/${rng.pick(["v1", "v2", "legacy", "util"])}` : "";
      out.push({
        path: `src/${area}/${layer}${nested}/${name}.erl`,
        kind: "erl",
        target,
        name,
        index: i,
      });
    } else if (roll < 0.92) {
      const name = `${area}_${noun}_${i}`;
      out.push({ path: `include/${area}/${name}.hrl`, kind: "hrl", target, name, index: i });
    } else {
      const name = `${noun}_${i}`;
      const kind = rng.pick(PRIV_KINDS);
      out.push({
        path: `priv/${kind}/${area}/${name}.config`,
        kind: "priv",
        target,
        name,
        index: i,
      });
    }
  }
  return out;
}

function title(word: string): string {
  return word.split("_").map((w) => w[0].toUpperCase() + w.slice(1)).join("");
}

/** What one file draws its identifiers from: a small slice of each vocabulary. */
interface FileVocab {
  rng: Rng;
  nouns: string[];
  verbs: string[];
  fields: string[];
  atoms: string[];
  calls: (readonly [string, string])[];
}

function sample<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(rng.int(pool.length), 1)[0]);
  return out;
}

function fileVocab(rng: Rng): FileVocab {
  return {
    rng,
    nouns: sample(rng, NOUNS, 7),
    verbs: sample(rng, VERBS, 6),
    fields: sample(rng, NOUNS, 5),
    atoms: sample(rng, ATOMS, 6),
    calls: sample(rng, CALLS, 6),
  };
}

const SENTENCES = [
  "Returns the {n} of the given {m}.",
  "{V}s the {n} and replies to the caller.",
  "Called by the server when a {n} times out.",
  "The {m} must be {a}; otherwise the call fails with {t}.",
  "Looks up the {n} in the table and {v}s it when it is {a}.",
  "Keeps the {a} {n} in the state until the next {m} arrives.",
  "{V}s every {n} of the {m}, in order.",
  "Fails with {t} when the {n} is not known.",
  "See {v}_{n}/2 for the options.",
  "This is the hot path: it must not block on the {m}.",
  "The {n} is {a} after this call, so callers {v} it again.",
  "TODO: {v} the {n} in batches once the {m} is {a}.",
  "Only the owner of the {n} may {v} it.",
  "Returns {t} for an {a} {m}.",
  "Sends the {n} to the {m} and waits for the reply.",
  "Internal: {v}s the {n} before the {m} is written.",
];

/** `fetch` → `fetches`, `apply` → `applies`, `store` → `stores`. */
function thirdPerson(verb: string): string {
  if (/(ch|sh|s|x)$/.test(verb)) return verb + "es";
  if (/[^aeiou]y$/.test(verb)) return verb.slice(0, -1) + "ies";
  return verb + "s";
}

function sentence(v: FileVocab): string {
  const r = v.rng;
  const verb = r.pick(v.verbs);
  return r.pick(SENTENCES)
    .replace("{V}s", title(thirdPerson(verb)))
    .replace("{v}s", thirdPerson(verb))
    .replace("{v}", verb)
    .replace("{n}", r.pick(v.nouns))
    .replace("{n}", r.pick(v.nouns))
    .replace("{m}", r.pick(v.nouns))
    .replace("{a}", r.pick(ADJECTIVES))
    .replace("{t}", r.pick(v.atoms));
}

/** A `%%` comment paragraph of prose, wrapped near 76 columns. */
function commentBlock(v: FileVocab, indent = "", most = 3): string[] {
  const text: string[] = [];
  const sentences = 1 + v.rng.int(most);
  for (let i = 0; i < sentences; i++) text.push(sentence(v));
  const words = text.join(" ").split(" ");
  const lines: string[] = [];
  let line = `${indent}%%`;
  for (const w of words) {
    if (line.length + w.length + 1 > 76) {
      lines.push(line);
      line = `${indent}%%`;
    }
    line += ` ${w}`;
  }
  lines.push(line);
  return lines;
}

/** A function made from one of the structural templates. */
interface Fn {
  name: string;
  arity: number;
  lines: string[];
}

function fnTemplate(v: FileVocab, name: string): Fn {
  const r = v.rng;
  const n1 = r.pick(v.nouns);
  const n2 = r.pick(v.nouns);
  const A = title(n1);
  const B = title(n2) === A ? `${A}2` : title(n2);
  const f = r.pick(v.fields);
  const [m, fun] = r.pick(v.calls);
  const atom = r.pick(v.atoms);
  const atom2 = r.pick(v.atoms);
  const num = r.pick(NUMBERS);
  const doc = commentBlock(v);
  const spec = `-spec ${name}(${r.pick(TYPES)}, ${r.pick(TYPES)}) -> {ok, ${
    r.pick(TYPES)
  }} | {error, atom()}.`;
  switch (r.int(8)) {
    case 0:
      return {
        name,
        arity: 2,
        lines: [
          ...doc,
          spec,
          `${name}(${A}, #state{${f} = ${B}} = State) ->`,
          `    case ${m}:${fun}(${A}, ${B}) of`,
          `        {ok, New${B}} ->`,
          `            {ok, State#state{${f} = New${B}}};`,
          `        {error, ${atom}} = Error ->`,
          `            ?LOG_WARNING("${name} failed for ~p: ~p", [${A}, ${atom}]),`,
          `            Error;`,
          `        undefined ->`,
          `            {error, ${atom2}}`,
          `    end.`,
        ],
      };
    case 1:
      return {
        name,
        arity: 2,
        lines: [
          ...doc,
          spec,
          `${name}(${A}s, Default) when is_list(${A}s) ->`,
          `    lists:foldl(`,
          `      fun({Key, Value}, Acc) when is_integer(Value), Value > ${num} ->`,
          `              maps:update_with(Key, fun(Old) -> Old + Value end, Value, Acc);`,
          `         ({Key, ${B}}, Acc) ->`,
          `              maps:put(Key, ${m}:${fun}(${B}, Default), Acc)`,
          `      end,`,
          `      #{},`,
          `      ${A}s);`,
          `${name}(_${A}s, _Default) ->`,
          `    {error, ${atom}}.`,
        ],
      };
    case 2:
      return {
        name,
        arity: 3,
        lines: [
          ...doc,
          `handle_call({${name}, ${A}}, _From, #state{${f} = ${B}} = State) ->`,
          `    case ${m}:${fun}(${A}, ${B}) of`,
          `        {ok, Reply} ->`,
          `            {reply, {ok, Reply}, State#state{${f} = ${B}}};`,
          `        Other ->`,
          `            {reply, {error, Other}, State}`,
          `    end;`,
          `handle_call({${name}, ${A}, Timeout}, From, State) when Timeout > ${num} ->`,
          `    erlang:send_after(Timeout, self(), {${atom}, From, ${A}}),`,
          `    {noreply, State}.`,
        ],
      };
    case 3:
      return {
        name,
        arity: 2,
        lines: [
          ...doc,
          `${name}(${A}, Timeout) ->`,
          `    Ref = make_ref(),`,
          `    self() ! {${atom}, Ref, ${A}},`,
          `    receive`,
          `        {${atom}, Ref, ${B}} ->`,
          `            {ok, ${B}};`,
          `        {'DOWN', _MRef, process, _Pid, Reason} ->`,
          `            {error, Reason}`,
          `    after Timeout + ${num} ->`,
          `        {error, ${atom2}}`,
          `    end.`,
        ],
      };
    case 4:
      return {
        name,
        arity: 2,
        lines: [
          ...doc,
          spec,
          `${name}(${A}, Opts) ->`,
          `    try ${m}:${fun}(${A}, proplists:get_value(${f}, Opts, ${num})) of`,
          `        ${B} when is_map(${B}) ->`,
          `            {ok, maps:merge(#{${f} => ${num}}, ${B})};`,
          `        ${B} ->`,
          `            {ok, ${B}}`,
          `    catch`,
          `        error:${atom} ->`,
          `            {error, ${atom}};`,
          `        Class:Reason:Stacktrace ->`,
          `            ?LOG_ERROR("~p:~p in ~p", [Class, Reason, Stacktrace]),`,
          `            {error, ${atom2}}`,
          `    end.`,
        ],
      };
    case 5:
      return {
        name,
        arity: 1,
        lines: [
          ...doc,
          `${name}(<<${num}:8, Len:16/big, Payload:Len/binary, Rest/binary>>) ->`,
          `    [${name}_item(X) || <<X:32>> <= Payload] ++ ${name}(Rest);`,
          `${name}(<<Tag:8, _/binary>>) when Tag > ${num} ->`,
          `    erlang:error({${atom}, Tag});`,
          `${name}(<<>>) ->`,
          `    [].`,
          ``,
          `${name}_item(${A}) when ${A} band 16#FF =:= ${num % 256} ->`,
          `    {${f}, ${A} bsr 8};`,
          `${name}_item(${A}) ->`,
          `    {${atom2}, ${A}}.`,
        ],
      };
    case 6:
      return {
        name,
        arity: 2,
        lines: [
          ...doc,
          spec,
          `${name}(Table, ${A}) ->`,
          `    case ets:lookup(Table, ${A}) of`,
          `        [{${A}, #${n2}{${f} = ${B}} = Rec}] when ${B} =/= undefined ->`,
          `            true = ets:insert(Table, {${A}, Rec#${n2}{${f} = ${m}:${fun}(${B}, ${num})}}),`,
          `            {ok, ${B}};`,
          `        [] ->`,
          `            {error, ${atom}}`,
          `    end.`,
        ],
      };
    default:
      return {
        name,
        arity: 2,
        lines: [
          ...doc,
          spec,
          `${name}(${A}, ${B}) ->`,
          `    if`,
          `        ${A} > ${B} + ${num} ->`,
          `            {ok, ${A} - ${B}};`,
          `        ${A} =:= ${B} ->`,
          `            {ok, ${atom}};`,
          `        is_integer(${A}), ${A} rem ${(num % 7) + 2} =:= 0 ->`,
          `            {ok, ${A} div ${(num % 7) + 2}};`,
          `        true ->`,
          `            {error, ${atom2}}`,
          `    end.`,
        ],
      };
  }
}

/**
 * A new function: usually a fresh instance of a template, sometimes a copy of a recent
 * one under a new name and with its own doc comment (the near-repetition real code has).
 */
function nextFunction(v: FileVocab, made: Fn[], used: Set<string>): Fn {
  let name = `${v.rng.pick(v.verbs)}_${v.rng.pick(v.nouns)}`;
  for (let k = 2; used.has(name); k++) name = `${name.replace(/_\d+$/, "")}_${k}`;
  used.add(name);
  if (made.length > 0 && v.rng.chance(REUSE)) {
    const from = made[made.length - 1 - v.rng.int(Math.min(made.length, 6))];
    const code = from.lines.filter((l) => !l.startsWith("%%"));
    return {
      name,
      arity: from.arity,
      lines: [...commentBlock(v, "", 1), ...code.map((l) => l.replaceAll(from.name, name))],
    };
  }
  return fnTemplate(v, name);
}

/** How often a function copies a recent one: the generator's main compression knob. */
const REUSE = 0.5;

function erlFile(plan: PlannedFile, v: FileVocab): string[] {
  const r = v.rng;
  const head = [
    LICENSE_HEADER,
    "%%%-------------------------------------------------------------------",
    `%%% @doc ${title(plan.name)}: ${sentence(v)}`,
    "%%% @end",
    "%%%-------------------------------------------------------------------",
    `-module(${plan.name}).`,
    "-behaviour(gen_server).",
    "",
    `-include_lib("kernel/include/logger.hrl").`,
    `-include("${APP}.hrl").`,
    "",
    "-export([start_link/1, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).",
  ];
  const body: string[] = [
    "",
    `-define(TIMEOUT, ${r.pick(NUMBERS) + 1000}).`,
    `-define(TABLE, ${plan.name}_table).`,
    "",
    `-record(state, {${
      v.fields.map((f, i) => `${f} = ${i === 0 ? "#{}" : "undefined"} :: term()`).join(
        ",\n                ",
      )
    }}).`,
    "",
    "start_link(Opts) ->",
    "    gen_server:start_link({local, ?MODULE}, ?MODULE, Opts, []).",
    "",
    "init(Opts) ->",
    "    process_flag(trap_exit, true),",
    `    {ok, #state{${v.fields[0]} = maps:from_list(Opts)}}.`,
    "",
    "handle_cast(_Msg, State) ->",
    "    {noreply, State}.",
    "",
    "handle_info(_Info, State) ->",
    "    {noreply, State}.",
    "",
    "terminate(_Reason, _State) ->",
    "    ok.",
  ];
  const exports: string[] = [];
  const made: Fn[] = [];
  const used = new Set<string>();
  let size = head.join("\n").length + body.join("\n").length + 40;
  while (size < plan.target) {
    const fn = nextFunction(v, made, used);
    made.push(fn);
    if (!fn.lines.some((l) => l.startsWith("handle_call("))) exports.push(`${fn.name}/${fn.arity}`);
    body.push("", ...fn.lines);
    size += fn.lines.reduce((n, l) => n + l.length + 1, 1) + fn.name.length + 4;
  }
  if (exports.length > 0) head.push(`-export([${exports.join(",\n         ")}]).`);
  return [...head, ...body];
}

function hrlFile(plan: PlannedFile, v: FileVocab): string[] {
  const r = v.rng;
  const guard = plan.name.toUpperCase() + "_HRL";
  const lines = [LICENSE_HEADER, `-ifndef(${guard}).`, `-define(${guard}, true).`];
  let size = lines.join("\n").length;
  while (size < plan.target) {
    const rec = `${r.pick(v.nouns)}_${r.pick(v.nouns)}`;
    const block = [
      "",
      ...commentBlock(v),
      `-record(${rec}, {`,
      ...v.fields.map((f, i) =>
        `    ${f} = ${i % 2 ? r.pick(NUMBERS) : "undefined"} :: ${r.pick(TYPES)}${
          i < v.fields.length - 1 ? "," : ""
        }`
      ),
      `}).`,
      `-type ${rec}() :: #${rec}{}.`,
      `-define(${rec.toUpperCase()}_DEFAULT, #${rec}{${v.fields[0]} = ${r.pick(v.atoms)}}).`,
      `-define(IS_${rec.toUpperCase()}(X), is_record(X, ${rec})).`,
    ];
    lines.push(...block);
    size += block.reduce((n, l) => n + l.length + 1, 0);
  }
  lines.push("", "-endif.");
  return lines;
}

function privFile(plan: PlannedFile, v: FileVocab): string[] {
  const r = v.rng;
  const lines = [`%% ${title(plan.name)}: ${sentence(v)}`];
  let size = lines[0].length;
  while (size < plan.target) {
    const block = [
      "",
      ...commentBlock(v),
      `{${r.pick(v.nouns)}_${r.pick(v.nouns)}, [`,
      ...v.fields.map((f, i) =>
        `    {${f}, ${
          r.chance(0.5) ? r.pick(NUMBERS) : `<<"${r.pick(v.nouns)}-${r.pick(ADJECTIVES)}">>`
        }}` +
        (i < v.fields.length - 1 ? "," : "")
      ),
      `]}.`,
    ];
    lines.push(...block);
    size += block.reduce((n, l) => n + l.length + 1, 0);
  }
  return lines;
}

/**
 * The text of one planned file: deterministic in the seed and the plan.
 *
 * @param plan The file.
 * @param seed The project's seed.
 * @returns The text, cut at a line boundary at or just before `plan.target` bytes
 *   and padded with a comment so it ends exactly there (for targets above 80 bytes).
 */
export function generateText(plan: PlannedFile, seed: number): string {
  const v = fileVocab(createRng(seed, plan.index + 1));
  const lines = plan.kind === "erl"
    ? erlFile(plan, v)
    : plan.kind === "hrl"
    ? hrlFile(plan, v)
    : privFile(plan, v);
  let text = lines.join("\n") + "\n";
  if (text.length > plan.target) {
    // Cut after the last whole block (blank line) that fits, else after the last line.
    const block = text.lastIndexOf("\n\n", plan.target - 2);
    const cut = block > plan.target / 2 ? block + 1 : text.lastIndexOf("\n", plan.target - 1);
    text = text.slice(0, cut + 1);
  }
  // Fill the gap with comment prose, then one rule line that lands on the target exactly.
  while (plan.target - text.length > 160) {
    const block = commentBlock(v).join("\n") + "\n";
    if (text.length + block.length > plan.target - 4) break;
    text += block;
  }
  const pad = plan.target - text.length;
  if (pad >= 4) {
    for (let left = pad; left >= 4;) {
      const width = left - 4 <= 76 ? left : Math.min(76, left - 4 - 4) + 4;
      text += "%% " + "-".repeat(width - 4) + "\n";
      left -= width;
    }
  }
  return text;
}

/**
 * Every file of the generated project, the fixed rebar3 files first.
 *
 * @param options `files`, `mib` and `seed`.
 */
export function* generateProject(
  options: Pick<BenchOptions, "files" | "mib" | "seed">,
): Generator<GeneratedFile> {
  yield* fixedFiles();
  for (const plan of planProject(options)) {
    yield { path: plan.path, text: generateText(plan, options.seed) };
  }
}

/** What the marker of a finished project records. */
export function markerFor(options: Pick<BenchOptions, "files" | "mib" | "seed">) {
  return {
    generator: GENERATOR_VERSION,
    files: options.files,
    mib: options.mib,
    seed: options.seed,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Writes the project into `dir`, or reuses it when its marker matches.
 *
 * @returns Whether an existing project was reused.
 * @throws {Error} When `dir` holds something that is not a generated project.
 */
export async function ensureProject(
  dir: string,
  options: Pick<BenchOptions, "files" | "mib" | "seed">,
): Promise<boolean> {
  const want = JSON.stringify(markerFor(options));
  const markerPath = join(dir, MARKER);
  if (await exists(markerPath)) {
    if ((await Deno.readTextFile(markerPath)).trim() === want) return true;
    await Deno.remove(dir, { recursive: true });
  } else if (await exists(dir)) {
    for await (const _ of Deno.readDir(dir)) {
      throw new Error(
        `${dir} is not empty and holds no ${MARKER}: refusing to write a project there`,
      );
    }
  }
  await Deno.mkdir(dir, { recursive: true });
  const made = new Set<string>();
  const encoder = new TextEncoder();
  for (const file of generateProject(options)) {
    const abs = join(dir, file.path);
    const parent = dirname(abs);
    if (!made.has(parent)) {
      await Deno.mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await Deno.writeFile(abs, encoder.encode(file.text));
  }
  await Deno.writeTextFile(markerPath, want + "\n");
  return false;
}

// ---------------------------------------------------------------------------
// Measuring

/** The figure (KiB) GNU time wrote with `-f %M -o FILE`, or POLL_SCRIPT wrote; else undefined. */
export function parseTimeOutput(text: string): number | undefined {
  const lines = text.trim().split("\n");
  const last = lines[lines.length - 1]?.trim() ?? "";
  return /^\d+$/.test(last) ? Number(last) : undefined;
}

/**
 * The entries of the package's tar, from the `files` list of its metadata: hex_core
 * lists every directory in the metadata but packs one only when nothing inside it is
 * packed, so the baseline archives exactly the same entries.
 *
 * @param listed `package.files` of `hexpub build --json`.
 * @returns The packed entries (in the given order) and how many directories were left out.
 */
export function tarEntries(listed: string[]): { entries: string[]; dirs: number } {
  const parents = new Set<string>();
  for (const p of listed) {
    for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) parents.add(p.slice(0, i));
  }
  const entries = listed.filter((p) => !parents.has(p));
  return { entries, dirs: listed.length - entries.length };
}

/**
 * The shell command line of the baseline (files come as `"$@"`, the output as `$0`).
 * The paths travel as arguments, so a project of many tens of thousands of files can
 * exceed the system's ARG_MAX (about 2 MiB on Linux; 5,000 paths take about 0.3 MiB).
 */
export const BASELINE_SCRIPT = 'tar -cf - --no-recursion -- "$@" | gzip -6 > "$0"';

/** One finished command. */
interface RunOutcome {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Peak RSS in KiB, when measured. */
  rssKiB?: number;
}

const decoder = new TextDecoder();

async function runTimed(cmd: string, args: string[], cwd: string): Promise<RunOutcome> {
  const start = performance.now();
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const ms = performance.now() - start;
  return {
    ms,
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

async function runWithGnuTime(cmd: string, args: string[], cwd: string, tmp: string) {
  const file = join(tmp, "time.out");
  const res = await runTimed("/usr/bin/time", ["-f", "%M", "-o", file, cmd, ...args], cwd);
  res.rssKiB = parseTimeOutput(await Deno.readTextFile(file).catch(() => ""));
  return res;
}

/**
 * The shell wrapper of the polling fallback (Deno itself may read `/proc/PID` only
 * with `--allow-all`): runs `"$@"` in the background, reads its `VmHWM` (the
 * kernel's high-water mark of its RSS) every 20 ms with shell built-ins, and writes
 * the last figure read, in KiB, to `$1`. Exits with the command's status.
 */
export const POLL_SCRIPT = `out=$1; shift
"$@" &
pid=$!
peak=0
while :; do
  hwm=
  while read -r key value unit; do
    if [ "$key" = "VmHWM:" ]; then hwm=$value; break; fi
  done 2>/dev/null < /proc/$pid/status || break
  [ -n "$hwm" ] || break
  [ "$hwm" -gt "$peak" ] && peak=$hwm
  sleep 0.02
done
wait "$pid"
code=$?
echo "$peak" > "$out"
exit "$code"`;

async function runPolled(cmd: string, args: string[], cwd: string, tmp: string) {
  const file = join(tmp, "rss.out");
  const res = await runTimed("sh", ["-c", POLL_SCRIPT, "sh", file, cmd, ...args], cwd);
  const kib = parseTimeOutput(await Deno.readTextFile(file).catch(() => ""));
  res.rssKiB = kib ? kib : undefined;
  return res;
}

/** Where `cmd` is on PATH (`command -v`), or undefined. */
async function onPath(cmd: string): Promise<string | undefined> {
  const out = await new Deno.Command("sh", {
    args: ["-c", 'command -v "$0"', cmd],
    stdout: "piped",
    stderr: "null",
  }).output();
  const path = decoder.decode(out.stdout).trim();
  return out.code === 0 && path ? path : undefined;
}

/** The escript of the hex_core baseline. */
export const HEX_CORE_SCRIPT = fileURLToPath(new URL("./bench_hex_core.escript", import.meta.url));

/**
 * The bytes of the member `name` of a plain ustar archive (such as the outer
 * tarball of a Hex package), or undefined when it has none.
 */
export function tarMember(tar: Uint8Array, name: string): Uint8Array | undefined {
  const text = (bytes: Uint8Array) => {
    const nul = bytes.indexOf(0);
    return String.fromCharCode(...(nul < 0 ? bytes : bytes.subarray(0, nul)));
  };
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return undefined;
    const size = parseInt(text(header.subarray(124, 136)).trim(), 8) || 0;
    const body = offset + 512;
    if (text(header.subarray(0, 100)) === name) return tar.subarray(body, body + size);
    offset = body + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether GNU time works here (`command -v`, then a trial run that must print `%M`). */
async function gnuTimeWorks(tmp: string): Promise<boolean> {
  try {
    const found = await new Deno.Command("sh", {
      args: ["-c", "command -v /usr/bin/time"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (found.code !== 0) return false;
    const res = await runWithGnuTime("true", [], tmp, tmp);
    return res.code === 0 && res.rssKiB !== undefined;
  } catch {
    return false;
  }
}

/** The figures of one benchmark. */
export interface BenchResult {
  /** Regular files packed. */
  files: number;
  /** Directories listed in the metadata but not packed (something inside them is). */
  dirs: number;
  /** Sum of the packed files' sizes. */
  inputBytes: number;
  inputMiB: number;
  baseline: { command: string; bytes: number; mib: number; bestMs: number; runsMs: number[] };
  hexpub: {
    command: string;
    bytes: number;
    mib: number;
    bestMs: number;
    runsMs: number[];
    /** The highest peak RSS over the runs, decimal megabytes. */
    rssMB: number;
    rssKiB: number;
  };
  /** The second baseline, rebar3's hex_core; absent when skipped. */
  hexCore?: {
    command: string;
    bytes: number;
    mib: number;
    bestMs: number;
    runsMs: number[];
    /** `r3_hex_tarball:create/3` alone, best of the runs. */
    createMs: number;
    rssMB: number;
    rssKiB: number;
    /** Whether hexpub's `contents.tar.gz` is byte-identical to hex_core's. */
    sameContents: boolean;
  };
  /** Why the hex_core baseline did not run, when it did not. */
  hexCoreSkipped?: string;
  /** `deno run main.ts --version`, best of the runs. */
  startupMs: number;
  /** hexpub's best time over the baseline's (tar | gzip -6). */
  ratio: number;
  /** hexpub's best time over hex_core's (shown, not judged). */
  ratioHexCore?: number;
  /** Same as `hexpub.rssMB`. */
  rssMB: number;
  /** How RSS was measured. */
  rssMethod: string;
  runs: number;
  project: string;
  reused: boolean;
  deno: string;
  targets: { maxRatio: number; maxRssMB: number };
  pass: { ratio: boolean; rss: boolean; size: boolean; all: boolean };
}

/** Compares the figures with the targets (and the tarball with Hex's size limit). */
export function judge(figures: { ratio: number; rssMB: number; hexpubBytes: number }) {
  const ratio = figures.ratio <= TARGETS.maxRatio;
  const rss = figures.rssMB < TARGETS.maxRssMB;
  const size = figures.hexpubBytes <= HEX_MAX_TARBALL;
  return { ratio, rss, size, all: ratio && rss && size };
}

const MIB = 1024 * 1024;

function verdict(ok: boolean): string {
  return ok ? "PASS" : "FAIL";
}

/** The human-readable report. */
export function renderTable(r: BenchResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  const h = r.hexCore;
  const row = (k: string, v: string, note = "") =>
    `${k.padEnd(18)}${v.padEnd(14)}${note}`.trimEnd();
  return [
    `hexpub build benchmark (${r.deno}, best of ${r.runs})`,
    `project: ${r.project}${r.reused ? " (reused)" : " (generated)"}`,
    "",
    row(
      "files",
      r.files.toLocaleString("en-US"),
      `the tar entries of both (${r.dirs} directories only in metadata)`,
    ),
    row("input", `${r.inputMiB.toFixed(2)} MiB`, `${r.inputBytes.toLocaleString("en-US")} bytes`),
    row(
      "baseline .tar.gz",
      `${r.baseline.mib.toFixed(2)} MiB`,
      `${(r.inputBytes / r.baseline.bytes).toFixed(2)}x smaller`,
    ),
    row(
      "hexpub tarball",
      `${r.hexpub.mib.toFixed(2)} MiB`,
      `limit 16 MiB: ${verdict(r.pass.size)}`,
    ),
    row("baseline time", s(r.baseline.bestMs), r.baseline.command),
    ...(h
      ? [
        row(
          "hex_core time",
          s(h.bestMs),
          `${h.command} (whole process; create/3 alone ${s(h.createMs)})`,
        ),
      ]
      : []),
    row("hexpub time", s(r.hexpub.bestMs), `${r.hexpub.command} (whole process)`),
    row("deno start-up", s(r.startupMs), "deno run main.ts --version (included above)"),
    row(
      "ratio",
      `${r.ratio.toFixed(2)}x`,
      `to tar | gzip -6, target <= ${r.targets.maxRatio}x: ${verdict(r.pass.ratio)}`,
    ),
    ...(h && r.ratioHexCore !== undefined
      ? [
        row(
          "ratio (hex_core)",
          `${r.ratioHexCore.toFixed(2)}x`,
          "to rebar3's hex_core (not judged)",
        ),
      ]
      : [row("hex_core", "skipped", r.hexCoreSkipped ?? "")]),
    row(
      "peak RSS",
      `${r.rssMB.toFixed(1)} MB`,
      `target < ${r.targets.maxRssMB} MB: ${verdict(r.pass.rss)} (${r.rssMethod})`,
    ),
    ...(h
      ? [
        row("hex_core RSS", `${h.rssMB.toFixed(1)} MB`, "peak RSS of the escript"),
        row(
          "contents.tar.gz",
          h.sameContents ? "identical" : "DIFFERENT",
          "hexpub's against hex_core's, byte for byte",
        ),
      ]
      : []),
    row("result", verdict(r.pass.all)),
  ];
}

function fail(what: string, res: RunOutcome): never {
  throw new Error(`${what} failed (exit ${res.code}):\n${(res.stderr || res.stdout).trim()}`);
}

/** Resolves the project directory: `--dir`, else a fixed name in the temp dir. */
export function projectDir(options: BenchOptions, tmpRoot: string): string {
  return options.dir ??
    join(
      tmpRoot,
      `hexpub-bench-s${options.seed}-f${options.files}-m${options.mib}-g${GENERATOR_VERSION}`,
    );
}

function tempRoot(): string {
  return Deno.env.get("TMPDIR") || "/tmp";
}

/**
 * Runs the whole benchmark.
 *
 * @param options The parsed flags.
 * @param log Where progress lines go.
 */
export async function runBench(
  options: BenchOptions,
  log: (line: string) => void,
): Promise<BenchResult> {
  const repo = fileURLToPath(new URL("..", import.meta.url));
  const mainTs = join(repo, "main.ts");
  const config = join(repo, "deno.json");
  const deno = Deno.execPath();
  const dir = projectDir(options, tempRoot());

  log(`project: ${dir}`);
  const genStart = performance.now();
  const reused = await ensureProject(dir, options);
  log(
    reused
      ? "reusing the generated project"
      : `generated in ${((performance.now() - genStart) / 1000).toFixed(1)} s`,
  );

  const tmp = await Deno.makeTempDir({ prefix: "hexpub-bench-out-" });
  try {
    let rssMethod = options.rss;
    if (rssMethod === "auto") rssMethod = (await gnuTimeWorks(tmp)) ? "time" : "poll";
    if (rssMethod === "time" && !(await gnuTimeWorks(tmp))) {
      throw new Error(
        "--rss time: /usr/bin/time is missing or is not GNU time (apt-get install time)",
      );
    }
    const methodText = rssMethod === "time"
      ? "/usr/bin/time -f %M (ru_maxrss)"
      : "VmHWM of /proc/PID/status, polled every 20 ms by sh (a lower bound)";

    const perms = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];
    const pkg = join(tmp, "pkg.tar");
    const hexpubArgs = [
      "run",
      ...perms,
      "--config",
      config,
      mainTs,
      "build",
      "package",
      "--json",
      "-o",
      pkg,
    ];
    const startupArgs = ["run", ...perms, "--config", config, mainTs, "--version"];
    const runHexpub = () =>
      rssMethod === "time"
        ? runWithGnuTime(deno, hexpubArgs, dir, tmp)
        : runPolled(deno, hexpubArgs, dir, tmp);

    // A warm-up run: caches Deno's module graph and the files, and names what hexpub packs.
    log("warm-up: hexpub build package");
    const warm = await runHexpub();
    if (warm.code !== 0) fail("hexpub build", warm);
    const listed: string[] = JSON.parse(warm.stdout).package.files;
    const { entries, dirs } = tarEntries(listed);
    let inputBytes = 0;
    let fileCount = 0;
    for (const p of entries) {
      const info = await Deno.lstat(join(dir, p));
      if (info.isFile) {
        fileCount++;
        inputBytes += info.size;
      }
    }

    const baselineOut = join(tmp, "baseline.tar.gz");
    const baselineArgs = ["-c", BASELINE_SCRIPT, baselineOut, ...entries];
    const baselineMs: number[] = [];
    const hexpubMs: number[] = [];
    const startupMs: number[] = [];
    let rssKiB = 0;
    let hexpubBytes = 0;

    // The hex_core baseline: the same entries, listed in a file for the escript.
    let hexCoreSkipped: string | undefined;
    let runHexCore: (() => Promise<RunOutcome>) | undefined;
    const hexCoreOut = join(tmp, "hex_core.tar");
    if (options.noHexCore) {
      hexCoreSkipped = "left out (--no-hex-core)";
    } else {
      const escript = await onPath("escript");
      const rebar3 = await onPath("rebar3");
      if (!escript || !rebar3) {
        hexCoreSkipped = `skipped: ${!escript ? "escript" : "rebar3"} is not on PATH`;
      } else {
        const list = join(tmp, "entries.txt");
        await Deno.writeTextFile(list, entries.join("\n") + "\n");
        const args = [HEX_CORE_SCRIPT, rebar3, dir, list, hexCoreOut];
        runHexCore = () =>
          rssMethod === "time"
            ? runWithGnuTime(escript, args, dir, tmp)
            : runPolled(escript, args, dir, tmp);
      }
    }
    if (hexCoreSkipped) log(`hex_core baseline ${hexCoreSkipped}`);
    const hexCoreMs: number[] = [];
    const createMs: number[] = [];
    let hexCoreRssKiB = 0;

    for (let i = 1; i <= options.runs; i++) {
      log(`run ${i}/${options.runs}: baseline`);
      const b = await runTimed("sh", baselineArgs, dir);
      if (b.code !== 0 || b.stderr.trim()) fail("the baseline (tar | gzip)", b);
      baselineMs.push(b.ms);
      if (runHexCore) {
        log(`run ${i}/${options.runs}: hex_core`);
        const c = await runHexCore();
        if (c.code !== 0) fail("the hex_core baseline (bench_hex_core.escript)", c);
        hexCoreMs.push(c.ms);
        createMs.push(Number(c.stdout.trim().split("\n")[0]));
        hexCoreRssKiB = Math.max(hexCoreRssKiB, c.rssKiB ?? 0);
      }
      log(`run ${i}/${options.runs}: hexpub`);
      const h = await runHexpub();
      if (h.code !== 0) fail("hexpub build", h);
      hexpubMs.push(h.ms);
      rssKiB = Math.max(rssKiB, h.rssKiB ?? 0);
      hexpubBytes = JSON.parse(h.stdout).package.size;
      const s = await runTimed(deno, startupArgs, dir);
      if (s.code !== 0) fail("hexpub --version", s);
      startupMs.push(s.ms);
    }
    const baselineBytes = (await Deno.stat(baselineOut)).size;
    const best = (xs: number[]) => Math.min(...xs);
    const rssMB = (rssKiB * 1024) / 1e6;
    const ratio = best(hexpubMs) / best(baselineMs);
    let hexCore: BenchResult["hexCore"];
    if (runHexCore) {
      const theirs = await Deno.readFile(hexCoreOut);
      const ours = await Deno.readFile(pkg);
      hexCore = {
        command: "escript scripts/bench_hex_core.escript (r3_hex_tarball:create/3)",
        bytes: theirs.length,
        mib: theirs.length / MIB,
        bestMs: best(hexCoreMs),
        runsMs: hexCoreMs,
        createMs: best(createMs),
        rssMB: (hexCoreRssKiB * 1024) / 1e6,
        rssKiB: hexCoreRssKiB,
        sameContents: sameBytes(
          tarMember(ours, "contents.tar.gz"),
          tarMember(theirs, "contents.tar.gz"),
        ),
      };
    }
    return {
      files: fileCount,
      dirs,
      inputBytes,
      inputMiB: inputBytes / MIB,
      baseline: {
        command: "tar -cf - FILES | gzip -6",
        bytes: baselineBytes,
        mib: baselineBytes / MIB,
        bestMs: best(baselineMs),
        runsMs: baselineMs,
      },
      hexpub: {
        command: "deno run main.ts build package --json -o OUT",
        bytes: hexpubBytes,
        mib: hexpubBytes / MIB,
        bestMs: best(hexpubMs),
        runsMs: hexpubMs,
        rssMB,
        rssKiB,
      },
      ...(hexCore ? { hexCore } : { hexCoreSkipped }),
      startupMs: best(startupMs),
      ratio,
      ...(hexCore ? { ratioHexCore: best(hexpubMs) / hexCore.bestMs } : {}),
      rssMB,
      rssMethod: methodText,
      runs: options.runs,
      project: dir,
      reused,
      deno: `deno ${Deno.version.deno}`,
      targets: { ...TARGETS },
      pass: judge({ ratio, rssMB, hexpubBytes }),
    };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  Deno.exit(await benchMain(parseBenchArgs, runBench, renderTable, (r) => r.pass.all));
}
