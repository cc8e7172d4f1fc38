import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createRng } from "../../scripts/bench_build.ts";
import type { LoadResult } from "../../scripts/bench_load.ts";
import {
  bestOf,
  judgeServe,
  makeTarball,
  noise,
  packageName,
  parseServeBenchArgs,
  parseServeLine,
  planRepository,
  type RebuildFigures,
  renderServeReport,
  SERVE_DEFAULTS,
  type ServeBenchResult,
  type ServeFigures,
  sizeSummary,
  TARBALL_KIB,
  versionsFor,
} from "../../scripts/bench_serve.ts";
import { compareVersions, parseVersion } from "../../src/rules/version.ts";
import { readRelease } from "../../src/repository/release_reader.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";

const SCRIPT = fileURLToPath(new URL("../../scripts/bench_serve.ts", import.meta.url));
const KIB = 1024;

Deno.test("parseServeBenchArgs: defaults, values and bad input", () => {
  assert.deepEqual(parseServeBenchArgs([]), { ...SERVE_DEFAULTS });
  assert.deepEqual(
    parseServeBenchArgs([
      "--packages",
      "10",
      "--max-versions",
      "2",
      "--rebuild-packages",
      "30",
      "--connections",
      "4",
      "--seconds",
      "0.5",
      "--warmup",
      "0",
      "--runs",
      "1",
      "--seed=-3",
      "--bombs",
      "2",
      "--no-python",
      "--no-rebuild",
      "--json",
      "--check",
    ]),
    {
      packages: 10,
      maxVersions: 2,
      rebuildPackages: 30,
      connections: 4,
      seconds: 0.5,
      warmup: 0,
      runs: 1,
      seed: -3,
      python: false,
      serve: true,
      rebuild: false,
      bombs: 2,
      json: true,
      check: true,
    },
  );
  assert.throws(() => parseServeBenchArgs(["--packages", "0"]), /--packages/);
  assert.throws(() => parseServeBenchArgs(["--runs", "1.5"]), /--runs/);
  assert.throws(() => parseServeBenchArgs(["--seconds", "0"]), /--seconds/);
  assert.throws(() => parseServeBenchArgs(["--warmup", "x"]), /--warmup/);
  assert.throws(() => parseServeBenchArgs(["--seed", "1.5"]), /--seed/);
  assert.throws(
    () => parseServeBenchArgs(["--no-serve", "--no-rebuild", "--bombs", "0"]),
    /nothing to measure/,
  );
  assert.throws(() => parseServeBenchArgs(["--bogus"]), /usage/);
});

Deno.test("parseServeLine reads the address of hexpub serve's first line", () => {
  const text = "Serving repository bench at http://127.0.0.1:40123\n  directory: /tmp/x\n";
  assert.deepEqual(parseServeLine(text), {
    name: "bench",
    url: "http://127.0.0.1:40123",
    port: 40123,
  });
  assert.equal(parseServeLine("Serving repository bench at http://[::1]:8080")?.port, 8080);
  assert.equal(parseServeLine("Serving repository bench at http://127.0.0.1:"), undefined);
  assert.equal(parseServeLine("  directory: /tmp/x\n"), undefined);
  assert.equal(parseServeLine(""), undefined);
});

Deno.test("versionsFor: valid SemVer, strictly increasing, from 0.1.0", () => {
  const rng = createRng(9);
  for (let n = 1; n <= 12; n++) {
    const vs = versionsFor(rng, n);
    assert.equal(vs.length, n);
    assert.equal(vs[0], "0.1.0");
    const parsed = vs.map((v) => parseVersion(v)!);
    assert.ok(parsed.every((p) => p !== undefined));
    for (let i = 1; i < n; i++) assert.ok(compareVersions(parsed[i - 1], parsed[i]) < 0);
  }
});

Deno.test("planRepository: deterministic; unique Hex names; deps only on earlier packages", () => {
  const options = { packages: 60, maxVersions: 5, seed: 4 };
  const plan = planRepository(options);
  assert.deepEqual(plan, planRepository(options));
  assert.notDeepEqual(plan, planRepository({ ...options, seed: 5 }));

  const names = [...new Set(plan.map((p) => p.name))];
  assert.equal(names.length, 60);
  assert.ok(names.every((n) => /^[a-z][a-z0-9_]*$/.test(n)), "valid Hex names");
  assert.equal(new Set(plan.map((p) => `${p.name}-${p.version}`)).size, plan.length);
  const perPackage = names.map((n) => plan.filter((p) => p.name === n).length);
  assert.ok(perPackage.every((c) => c >= 1 && c <= 5));
  assert.ok(perPackage.some((c) => c > 1) && perPackage.filter((c) => c === 1).length > 10);
  assert.equal(new Set(plan.map((p) => p.stream)).size, plan.length);

  const order = new Map(names.map((n, i) => [n, i]));
  for (const p of plan) {
    assert.ok(p.target >= TARBALL_KIB.min * KIB && p.target <= TARBALL_KIB.max * KIB);
    for (const [dep, req] of p.requirements) {
      assert.ok(order.get(dep)! < order.get(p.name)!, `${p.name} needs the later ${dep}`);
      assert.match(req, /^~> \d+\.\d+$/);
    }
  }
  assert.ok(plan.some((p) => p.requirements.length > 0));
  // One release each when asked.
  const single = planRepository({ packages: 40, maxVersions: 1, seed: 4 });
  assert.equal(single.length, 40);
  assert.equal(packageName(createRng(1), 7).endsWith("_7"), true);
});

Deno.test("noise: deterministic and incompressible", () => {
  const a = noise(createRng(3), 10_001);
  assert.equal(a.length, 10_001);
  assert.deepEqual(a, noise(createRng(3), 10_001));
  assert.notDeepEqual(a, noise(createRng(4), 10_001));
  assert.ok(gzipSync(a).length > a.length * 0.98, "does not compress");
});

Deno.test("makeTarball: a real Hex tarball near its target size, with its requirements", async () => {
  const plan = planRepository({ packages: 12, maxVersions: 3, seed: 11 });
  const withDeps = plan.find((p) => p.requirements.length > 0)!;
  for (const p of [plan[0], withDeps, plan[plan.length - 1]]) {
    const bytes = await makeTarball(p, 11);
    assert.ok(
      Math.abs(bytes.length - p.target) < 4 * KIB,
      `${bytes.length} bytes for a target of ${p.target}`,
    );
    const { name, release } = await readRelease(bytes, `${p.name}-${p.version}.tar`);
    assert.equal(name, p.name);
    assert.equal(release.version, p.version);
    assert.deepEqual(
      release.dependencies.map((d) => [d.package, d.requirement]),
      p.requirements,
    );
    const unpacked = await unpackPackage(bytes);
    assert.deepEqual(
      unpacked.files.map((f) => f.path).sort(),
      [`priv/${p.name}.bin`, `src/${p.name}.erl`],
    );
    assert.deepEqual(bytes, await makeTarball(p, 11), "deterministic");
  }
});

Deno.test("sizeSummary: count, total, min, median, max", () => {
  assert.deepEqual(sizeSummary([5, 1, 3, 2]), {
    count: 4,
    totalBytes: 11,
    minBytes: 1,
    medianBytes: 2,
    maxBytes: 5,
  });
  assert.deepEqual(sizeSummary([]), {
    count: 0,
    totalBytes: 0,
    minBytes: 0,
    medianBytes: 0,
    maxBytes: 0,
  });
});

function load(rps: number, errors = 0, warmupErrors = 0): LoadResult {
  return {
    base: "http://127.0.0.1:1",
    connections: 8,
    seconds: 4,
    elapsed: 4,
    requests: Math.round(rps * 4),
    errors,
    bytes: 1,
    rps,
    mibPerSecond: 1,
    latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 },
    checksummed: 1,
    warmupErrors,
    sampleErrors: errors || warmupErrors ? ["/x: status 500"] : [],
  };
}

Deno.test("bestOf keeps the best clean run; runs with errors never count", () => {
  const s = bestOf([load(100), load(300, 1), load(200), load(400, 0, 2)]);
  assert.equal(s.bestRps, 200);
  assert.equal(s.errors, 3);
  assert.equal(s.runs.length, 4);
  assert.deepEqual(s.sampleErrors, ["/x: status 500", "/x: status 500"]);
  assert.equal(bestOf([load(500, 1)]).bestRps, 0);
});

function serveFigures(h: [number, number], p?: [number, number]): ServeFigures {
  const size = sizeSummary([10 * KIB, 50 * KIB]);
  const series = {
    tarballs: p
      ? { hexpub: bestOf([load(h[0])]), python: bestOf([load(p[0])]) }
      : { hexpub: bestOf([load(h[0])]) },
    packages: p
      ? { hexpub: bestOf([load(h[1])]), python: bestOf([load(p[1])]) }
      : { hexpub: bestOf([load(h[1])]) },
  };
  return {
    packages: 2,
    releases: 2,
    tarballs: size,
    registryFiles: sizeSummary([400, 800]),
    connections: 8,
    seconds: 4,
    warmup: 1,
    series,
    ratio: p ? { tarballs: h[0] / p[0], packages: h[1] / p[1] } : {},
    urls: {},
    ...(p ? { python: "Python 3" } : { pythonSkipped: "skipped (--no-python)" }),
  };
}

const rebuild = (bestMs: number): RebuildFigures => ({
  packages: 1000,
  releases: 1000,
  tarballs: sizeSummary([40 * KIB]),
  runsMs: [bestMs, bestMs + 100],
  bestMs,
  startupMs: 80,
  baselineMs: 100,
  baselineCommand: "sha256sum tarballs/*.tar",
});

Deno.test("judgeServe: >= 2x per kind and < 5 s; no python means no verdict", () => {
  assert.deepEqual(judgeServe(serveFigures([2000, 3000], [1000, 1000]), rebuild(4999)), {
    tarballs: true,
    packages: true,
    rebuild: true,
    all: true,
  });
  assert.deepEqual(judgeServe(serveFigures([1999, 3000], [1000, 1000]), rebuild(5000)), {
    tarballs: false,
    packages: true,
    rebuild: false,
    all: false,
  });
  assert.deepEqual(judgeServe(serveFigures([10, 10]), undefined), { all: true });
  // hexpub's runs all failed: FAIL even without python.
  const broken = serveFigures([10, 10]);
  broken.series.packages.hexpub = bestOf([load(900, 3)]);
  assert.deepEqual(judgeServe(broken, undefined), { packages: false, all: false });
});

Deno.test("renderServeReport: rates, ratios and verdicts", () => {
  const serve = serveFigures([3000, 6000], [1500, 1000]);
  const result: ServeBenchResult = {
    deno: "deno 0",
    runs: 3,
    cores: 2,
    serve,
    rebuild: rebuild(2500),
    targets: { minRatio: 2, maxRebuildMs: 5000 },
    pass: judgeServe(serve, rebuild(2500)),
  };
  const text = renderServeReport(result).join("\n");
  assert.match(text, /tarballs req\/s\s+3,000\s+1,500\s+2\.00x\s+>= 2x: PASS/);
  assert.match(text, /\/packages\/N req\/s\s+6,000\s+1,000\s+6\.00x\s+>= 2x: PASS/);
  assert.match(text, /hexpub repo build\s+2\.500 s\s+target < 5 s: PASS/);
  assert.match(text, /25\.0x of it/);
  assert.match(text, /2 cores/);
  assert.match(text, /result: PASS/);

  const slow = serveFigures([1000, 6000], [1500, 1000]);
  const failed = renderServeReport({ ...result, serve: slow, pass: judgeServe(slow, undefined) })
    .join("\n");
  assert.match(failed, /0\.67x\s+>= 2x: FAIL/);
  assert.match(failed, /result: FAIL/);
  const alone = serveFigures([1000, 6000]);
  const skipped = renderServeReport({
    ...result,
    serve: alone,
    rebuild: undefined,
    pass: judgeServe(alone, undefined),
  }).join("\n");
  assert.match(skipped, /skipped\s+-\s+>= 2x: no verdict/);
  assert.doesNotMatch(skipped, /repo build/);
});

async function runScript(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-net=127.0.0.1",
      SCRIPT,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function refused(url: string): Promise<boolean> {
  try {
    const res = await fetch(url + "/names");
    await res.body?.cancel();
    return false;
  } catch {
    return true;
  }
}

Deno.test("bench_serve.ts end to end at a tiny scale: figures, servers stopped, temp dir gone", async () => {
  const root = await Deno.makeTempDir({ prefix: "hexpub-bench-serve-test-" });
  try {
    const res = await runScript([
      "--packages",
      "4",
      "--max-versions",
      "2",
      "--rebuild-packages",
      "12",
      "--runs",
      "1",
      "--seconds",
      "0.3",
      "--warmup",
      "0",
      "--connections",
      "2",
      "--bombs",
      "1",
      "--json",
    ], { TMPDIR: root });
    assert.equal(res.code, 0, res.stderr);
    const r: ServeBenchResult = JSON.parse(res.stdout);
    const s = r.serve!;
    assert.equal(s.packages, 4);
    assert.ok(s.releases >= 4 && s.releases <= 8);
    assert.equal(s.tarballs.count, s.releases);
    for (const kind of ["tarballs", "packages"] as const) {
      assert.equal(s.series[kind].hexpub.errors, 0, s.series[kind].hexpub.sampleErrors.join());
      assert.ok(s.series[kind].hexpub.bestRps > 0);
      if (s.series[kind].python) {
        assert.equal(s.series[kind].python!.errors, 0);
        assert.ok(s.ratio[kind]! > 0);
      }
    }
    assert.ok(s.urls.hexpub?.startsWith("http://127.0.0.1:"));
    for (const url of Object.values(s.urls)) assert.ok(await refused(url!), `${url} still up`);
    const b = r.rebuild!;
    assert.equal(b.packages, 12);
    assert.equal(b.runsMs.length, 1);
    assert.ok(b.bestMs > b.startupMs && b.startupMs > 0 && b.baselineMs > 0);
    assert.deepEqual(r.bombs!.statuses, [201]);
    if (Deno.build.os === "linux") assert.ok(r.bombs!.peakRssMiB! > r.bombs!.idleRssMiB!);
    assert.equal(typeof r.pass.all, "boolean");
    assert.deepEqual([...Deno.readDirSync(root)], [], "the temporary directory is removed");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench_serve.ts without python3 on PATH says so and measures hexpub alone", async () => {
  const root = await Deno.makeTempDir({ prefix: "hexpub-bench-serve-nopy-" });
  try {
    const bin = join(root, "bin");
    await Deno.mkdir(bin);
    const res = await runScript([
      "--packages",
      "2",
      "--max-versions",
      "1",
      "--runs",
      "1",
      "--seconds",
      "0.2",
      "--warmup",
      "0",
      "--connections",
      "1",
      "--no-rebuild",
      "--bombs",
      "0",
    ], { TMPDIR: root, PATH: bin });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /python3: python3 is not installed: the baseline is skipped/);
    assert.match(res.stdout, /tarballs req\/s\s+[\d,]+\s+skipped\s+-\s+>= 2x: no verdict/);
    assert.doesNotMatch(res.stdout, /repo build/);
    assert.match(res.stdout, /result: PASS/);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["bin"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench_serve.ts rejects bad flags with exit code 2", async () => {
  const res = await runScript(["--runs", "none"]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /--runs/);
  assert.equal(res.stdout, "");
});
