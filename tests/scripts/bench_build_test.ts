import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import {
  type BenchResult,
  createRng,
  DEFAULT_OPTIONS,
  ensureProject,
  type GeneratedFile,
  generateProject,
  judge,
  MARKER,
  parseBenchArgs,
  parseTimeOutput,
  planProject,
  POLL_SCRIPT,
  renderTable,
  tarEntries,
  TARGETS,
  tarMember,
} from "../../scripts/bench_build.ts";
import { erlangTools } from "../interop/erlang.ts";

const SMALL = { files: 200, mib: 2, seed: 7 };
const MIB = 1024 * 1024;
const SCRIPT = fileURLToPath(new URL("../../scripts/bench_build.ts", import.meta.url));
/** Whether the hex_core baseline can run here (escript and rebar3 on PATH). */
const erlang = erlangTools !== undefined;

function digest(files: GeneratedFile[]): string {
  const hash = createHash("sha256");
  for (const f of files) hash.update(f.path).update("\0").update(f.text).update("\0");
  return hash.digest("hex");
}

function byPath(a: GeneratedFile, b: GeneratedFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

Deno.test("createRng: the same seed and stream give the same sequence, in [0, 1)", () => {
  const take = (seed: number, stream: number) => {
    const rng = createRng(seed, stream);
    return Array.from({ length: 1000 }, () => rng.next());
  };
  const a = take(42, 3);
  assert.deepEqual(a, take(42, 3));
  assert.notDeepEqual(a, take(43, 3));
  assert.notDeepEqual(a, take(42, 4));
  assert.ok(a.every((x) => x >= 0 && x < 1));
  const buckets = new Array(10).fill(0);
  for (const x of a) buckets[Math.floor(x * 10)]++;
  assert.ok(buckets.every((n) => n > 60 && n < 140), `uneven: ${buckets}`);
});

Deno.test("generateProject: deterministic for a seed, different for another", () => {
  const first = [...generateProject(SMALL)];
  const again = [...generateProject(SMALL)];
  assert.equal(digest(first), digest(again));
  assert.notEqual(digest(first), digest([...generateProject({ ...SMALL, seed: 8 })]));
});

Deno.test("generateProject: file count and total size land on the request", () => {
  for (const request of [SMALL, { files: 600, mib: 5, seed: 1 }]) {
    const files = [...generateProject(request)];
    assert.equal(files.length, request.files);
    assert.equal(new Set(files.map((f) => f.path)).size, files.length, "paths are unique");
    const total = files.reduce((n, f) => n + f.text.length, 0);
    const want = request.mib * MIB;
    assert.ok(Math.abs(total - want) / want < 0.02, `total ${total}, wanted ${want}`);
  }
});

Deno.test("generateProject: a rebar3 project of Erlang-like source under src, include and priv", () => {
  const files = [...generateProject(SMALL)];
  const get = (path: string) => files.find((f) => f.path === path)?.text;
  assert.equal(get("rebar.lock"), "[].\n");
  assert.match(get("rebar.config") ?? "", /\{erl_opts, /);
  const appSrc = get("src/bench_app.app.src") ?? "";
  assert.match(appSrc, /^\{application,bench_app,/);
  assert.match(appSrc, /\{vsn,"1\.0\.0"\}/);
  assert.match(appSrc, /\{description,"[^"]+"\}/);
  assert.match(appSrc, /\{licenses,\["Apache-2\.0"\]\}/);

  const erl = files.filter((f) => f.path.endsWith(".erl"));
  const hrl = files.filter((f) => f.path.startsWith("include/") && f.path.endsWith(".hrl"));
  const priv = files.filter((f) => f.path.startsWith("priv/"));
  assert.ok(erl.length > files.length / 2, `${erl.length} .erl files`);
  assert.ok(hrl.length > 0 && priv.length > 0);
  assert.ok(erl.some((f) => f.path.split("/").length >= 4), "src/ has nested directories");
  for (const f of erl) {
    assert.ok(f.path.startsWith("src/"), f.path);
    const module = f.path.slice(f.path.lastIndexOf("/") + 1, -".erl".length);
    assert.ok(f.text.includes(`-module(${module}).`), `${f.path} names its module`);
    assert.match(f.text, /^%% \S/m, `${f.path} has %% comments`);
    assert.match(f.text, /^\S+\(.*\) ->$/m, `${f.path} has function clauses`);
    assert.ok(f.text.endsWith("\n"));
  }
  assert.ok(hrl.every((f) => f.text.includes("-record(") || f.text.length < 1500));
  // Not degenerate: many distinct lines, each of a plausible length.
  const lines = erl.flatMap((f) => f.text.split("\n"));
  assert.ok(new Set(lines).size > lines.length / 20, "varied lines");
  assert.ok(lines.every((l) => l.length <= 120), "no giant lines");
  assert.ok(files.every((f) => /^[\x20-\x7e\n]*$/.test(f.text)), "printable ASCII");
});

Deno.test("generateProject: gzip -6 keeps a 100 MiB project well under Hex's 16 MiB", () => {
  const files = [...generateProject(SMALL)].sort(byPath);
  const raw = new TextEncoder().encode(files.map((f) => f.text).join(""));
  const packed = gzipSync(raw, { level: 6 }).length;
  const ratio = raw.length / packed;
  // 16 MiB per 100 MiB is 6.25x; aim well inside it, but not at a degenerate ratio.
  assert.ok(ratio > 7.2, `compresses only ${ratio.toFixed(2)}x`);
  assert.ok(ratio < 14, `compresses ${ratio.toFixed(2)}x: not source-like`);
});

Deno.test("planProject: sizes are skewed but bounded, and paths are rebar3 paths", () => {
  const plan = planProject({ files: 1000, mib: 20, seed: 3 });
  assert.equal(plan.length, 996);
  const sizes = plan.map((p) => p.target).sort((a, b) => a - b);
  assert.ok(sizes[sizes.length - 1] > 5 * sizes[0], "a spread of sizes");
  assert.ok(plan.every((p) => /^(src|include|priv)\/[a-z0-9_/]+\.(erl|hrl|config)$/.test(p.path)));
});

Deno.test("ensureProject: writes once, reuses by marker, refuses a foreign directory", async () => {
  const root = await Deno.makeTempDir({ prefix: "hexpub-bench-test-" });
  try {
    const dir = join(root, "project");
    const options = { files: 30, mib: 0.2, seed: 5 };
    assert.equal(await ensureProject(dir, options), false);
    const marker = await Deno.readTextFile(join(dir, MARKER));
    assert.match(marker, /"files":30/);
    assert.equal(await Deno.readTextFile(join(dir, "rebar.lock")), "[].\n");
    assert.equal(await ensureProject(dir, options), true);
    // Other parameters: the old project is replaced.
    assert.equal(await ensureProject(dir, { ...options, seed: 6 }), false);
    assert.match(await Deno.readTextFile(join(dir, MARKER)), /"seed":6/);

    const foreign = join(root, "foreign");
    await Deno.mkdir(foreign);
    await Deno.writeTextFile(join(foreign, "keep.txt"), "mine");
    await assert.rejects(ensureProject(foreign, options), /refusing/);
    assert.equal(await Deno.readTextFile(join(foreign, "keep.txt")), "mine");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("parseBenchArgs: defaults, values and bad input", () => {
  assert.deepEqual(parseBenchArgs([]), { ...DEFAULT_OPTIONS, dir: undefined });
  const o = parseBenchArgs([
    "--files",
    "50",
    "--mib",
    "1.5",
    "--runs",
    "1",
    "--json",
    "--check",
    "--rss",
    "poll",
    "--dir",
    "/x",
    "--no-hex-core",
  ]);
  assert.deepEqual(o, {
    files: 50,
    mib: 1.5,
    runs: 1,
    seed: 1,
    dir: "/x",
    rss: "poll",
    noHexCore: true,
    json: true,
    check: true,
  });
  assert.throws(() => parseBenchArgs(["--files", "0"]), /--files/);
  assert.throws(() => parseBenchArgs(["--runs", "1.5"]), /--runs/);
  assert.throws(() => parseBenchArgs(["--rss", "ps"]), /--rss/);
  assert.throws(() => parseBenchArgs(["--bogus"]), /usage/);
});

Deno.test("tarEntries: directories go only when nothing inside them is packed", () => {
  const listed = ["include", "include/a.hrl", "priv", "src", "src/x", "src/x/y.erl", "src/z.erl"];
  assert.deepEqual(tarEntries(listed), {
    entries: ["include/a.hrl", "priv", "src/x/y.erl", "src/z.erl"],
    dirs: 3,
  });
});

Deno.test("parseTimeOutput reads peak RSS in KiB", () => {
  assert.equal(parseTimeOutput("183652\n"), 183652);
  assert.equal(parseTimeOutput("Command exited with non-zero status 1\n183652\n"), 183652);
  assert.equal(parseTimeOutput(""), undefined);
});

Deno.test("POLL_SCRIPT reports the child's peak RSS and passes on its exit status", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "hexpub-bench-poll-" });
  try {
    const out = join(tmp, "rss");
    const poll = (cmd: string[]) =>
      new Deno.Command("sh", { args: ["-c", POLL_SCRIPT, "sh", out, ...cmd] }).output();
    const grow = "const a = new Uint8Array(64 * 1024 * 1024).fill(1);" +
      "await new Promise((r) => setTimeout(r, 150)); Deno.exit(a[0] + 2);";
    const res = await poll([Deno.execPath(), "eval", grow]);
    assert.equal(res.code, 3);
    const kib = parseTimeOutput(await Deno.readTextFile(out));
    assert.ok(kib !== undefined && kib > 64 * 1024, `peak ${kib} KiB`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("tarMember: finds a member of a plain ustar archive", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "hexpub-bench-tar-" });
  try {
    await Deno.writeTextFile(join(tmp, "VERSION"), "3");
    await Deno.writeFile(join(tmp, "contents.tar.gz"), new Uint8Array(700).fill(7));
    const out = await new Deno.Command("tar", {
      args: ["-cf", "-", "--format=ustar", "VERSION", "contents.tar.gz"],
      cwd: tmp,
      stdout: "piped",
    }).output();
    assert.equal(out.code, 0);
    assert.deepEqual(tarMember(out.stdout, "contents.tar.gz"), new Uint8Array(700).fill(7));
    assert.deepEqual(tarMember(out.stdout, "VERSION"), new TextEncoder().encode("3"));
    assert.equal(tarMember(out.stdout, "CHECKSUM"), undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("judge and renderTable: PASS and FAIL against the targets", () => {
  assert.deepEqual(TARGETS, { maxRatio: 2, maxRssMB: 200 });
  assert.deepEqual(judge({ ratio: 2, rssMB: 199.9, hexpubBytes: 1000 }), {
    ratio: true,
    rss: true,
    size: true,
    all: true,
  });
  const over = judge({ ratio: 2.01, rssMB: 200, hexpubBytes: 17 * MIB });
  assert.deepEqual(over, { ratio: false, rss: false, size: false, all: false });

  const result: BenchResult = {
    files: 5000,
    dirs: 400,
    inputBytes: 100 * MIB,
    inputMiB: 100,
    baseline: { command: "tar", bytes: 12 * MIB, mib: 12, bestMs: 2000, runsMs: [2000] },
    hexpub: {
      command: "hexpub",
      bytes: 12 * MIB,
      mib: 12,
      bestMs: 4000,
      runsMs: [4000],
      rssMB: 150,
      rssKiB: 146484,
    },
    hexCore: {
      command: "escript",
      bytes: 12 * MIB,
      mib: 12,
      bestMs: 3000,
      runsMs: [3000],
      createMs: 2700,
      rssMB: 250,
      rssKiB: 244140,
      sameContents: true,
    },
    startupMs: 80,
    ratio: 2.5,
    ratioHexCore: 5000 / 3000,
    rssMB: 150,
    rssMethod: "test",
    runs: 1,
    project: "/tmp/p",
    reused: true,
    deno: "deno 0",
    targets: { maxRatio: 2, maxRssMB: 200 },
    pass: judge({ ratio: 2.5, rssMB: 150, hexpubBytes: 12 * MIB }),
  };
  const text = renderTable(result).join("\n");
  assert.match(text, /ratio\s+2\.50x\s+to tar \| gzip -6, target <= 2x: FAIL/);
  assert.match(text, /ratio \(hex_core\)\s+1\.67x/);
  assert.match(text, /hex_core time\s+3\.000 s\s+.*create\/3 alone 2\.700 s/);
  assert.match(text, /contents\.tar\.gz\s+identical/);
  assert.match(text, /peak RSS\s+150\.0 MB\s+target < 200 MB: PASS/);
  assert.match(text, /result\s+FAIL/);
  assert.match(text, /5,000/);

  const skipped = renderTable({
    ...result,
    hexCore: undefined,
    ratioHexCore: undefined,
    hexCoreSkipped: "skipped: escript is not on PATH",
  }).join("\n");
  assert.match(skipped, /hex_core\s+skipped\s+skipped: escript is not on PATH/);
  assert.doesNotMatch(skipped, /hex_core time|contents\.tar\.gz/);
});

async function runScript(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-sys",
      SCRIPT,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bench_build.ts end to end at a tiny scale prints numeric figures as JSON", async () => {
  const root = await Deno.makeTempDir({ prefix: "hexpub-bench-e2e-" });
  try {
    const dir = join(root, "project");
    const common = ["--files", "50", "--mib", "1", "--runs", "1", "--json", "--dir", dir];
    for (const extra of [[], ["--rss", "poll", "--check", "--no-hex-core"]]) {
      const res = await runScript([...common, ...extra]);
      const r: BenchResult = JSON.parse(res.stdout);
      const check = extra.includes("--check");
      assert.equal(res.code, check && !r.pass.all ? 1 : 0, res.stderr);
      for (const n of [r.ratio, r.rssMB, r.baseline.bestMs, r.hexpub.bestMs, r.startupMs]) {
        assert.equal(typeof n, "number");
        assert.ok(Number.isFinite(n) && n > 0, `${n}`);
      }
      assert.equal(r.files, 50);
      assert.ok(Math.abs(r.inputBytes - MIB) < MIB * 0.02, `${r.inputBytes}`);
      assert.ok(r.baseline.bytes > 0 && r.hexpub.bytes > r.baseline.bytes / 2);
      assert.ok(Math.abs(r.ratio - r.hexpub.bestMs / r.baseline.bestMs) < 1e-9);
      assert.equal(typeof r.pass.all, "boolean");
      if (check) assert.match(r.rssMethod, /VmHWM/);
      if (check) {
        assert.equal(r.hexCore, undefined);
        assert.match(r.hexCoreSkipped ?? "", /--no-hex-core/);
      } else if (erlang) {
        // rebar3's hex_core packed the same entries into the same contents.tar.gz.
        const h = r.hexCore!;
        for (const n of [h.bestMs, h.createMs, h.rssMB, r.ratioHexCore!]) {
          assert.ok(Number.isFinite(n) && n > 0, `${n}`);
        }
        assert.ok(Math.abs(r.ratioHexCore! - r.hexpub.bestMs / h.bestMs) < 1e-9);
        assert.equal(h.sameContents, true, "hexpub's contents.tar.gz is hex_core's");
      } else {
        assert.match(r.hexCoreSkipped ?? "", /not on PATH/);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench_build.ts rejects bad flags with exit code 2", async () => {
  const res = await runScript(["--files", "nope"]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /--files/);
});
