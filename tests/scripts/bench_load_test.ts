import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  judgeResponse,
  LOAD_DEFAULTS,
  type LoadResult,
  type ManifestEntry,
  parseLoadArgs,
  quantile,
  runLoad,
  sha256Hex,
  startOffset,
  summarize,
  validateManifest,
} from "../../scripts/bench_load.ts";

const SCRIPT = fileURLToPath(new URL("../../scripts/bench_load.ts", import.meta.url));
const enc = new TextEncoder();

Deno.test("parseLoadArgs: defaults, values, and refusals (loopback only)", () => {
  const base = ["--base", "http://127.0.0.1:4000/", "--manifest", "m.json"];
  assert.deepEqual(parseLoadArgs(base), {
    base: "http://127.0.0.1:4000",
    manifest: "m.json",
    ...LOAD_DEFAULTS,
  });
  assert.deepEqual(
    parseLoadArgs([
      ...base,
      "--connections",
      "2",
      "--seconds",
      "0.5",
      "--warmup",
      "0",
      "--verify",
      "all",
    ]),
    {
      base: "http://127.0.0.1:4000",
      manifest: "m.json",
      connections: 2,
      seconds: 0.5,
      warmup: 0,
      verify: "all",
    },
  );
  assert.throws(() => parseLoadArgs(["--manifest", "m.json"]), /--base and --manifest/);
  assert.throws(
    () => parseLoadArgs(["--base", "http://example.com:80", "--manifest", "m"]),
    /127\.0\.0\.1/,
  );
  assert.throws(
    () => parseLoadArgs(["--base", "https://127.0.0.1:1", "--manifest", "m"]),
    /127\.0\.0\.1/,
  );
  assert.throws(() => parseLoadArgs([...base, "--connections", "1.5"]), /--connections/);
  assert.throws(() => parseLoadArgs([...base, "--connections", "0"]), /--connections/);
  assert.throws(() => parseLoadArgs([...base, "--seconds", "0"]), /--seconds/);
  assert.throws(() => parseLoadArgs([...base, "--warmup", "-1"]), /--warmup/);
  assert.throws(() => parseLoadArgs([...base, "--verify", "some"]), /--verify/);
  assert.throws(() => parseLoadArgs([...base, "--bogus"]), /usage/);
});

Deno.test("validateManifest: a non-empty list of {path, size, sha256}", () => {
  const good = { path: "/a", size: 3, sha256: "a".repeat(64) };
  assert.deepEqual(validateManifest([good]), [good]);
  assert.throws(() => validateManifest([]), /non-empty/);
  assert.throws(() => validateManifest({}), /non-empty/);
  assert.throws(() => validateManifest([good, { ...good, path: "a" }]), /entry 1/);
  assert.throws(() => validateManifest([{ ...good, size: -1 }]), /entry 0/);
  assert.throws(() => validateManifest([{ ...good, sha256: "A".repeat(64) }]), /entry 0/);
});

Deno.test("judgeResponse: status, then size, then checksum", () => {
  const e = { path: "/x", size: 5, sha256: "0".repeat(64) };
  assert.equal(judgeResponse(e, 200, 5), undefined);
  assert.equal(judgeResponse(e, 200, 5, "0".repeat(64)), undefined);
  assert.match(judgeResponse(e, 404, 5)!, /status 404/);
  assert.match(judgeResponse(e, 200, 4)!, /4 bytes, expected 5/);
  assert.match(judgeResponse(e, 200, 5, "1".repeat(64))!, /wrong SHA-256/);
});

Deno.test("startOffset spreads workers over the manifest; quantile is nearest rank", () => {
  assert.deepEqual([0, 1, 2, 3].map((w) => startOffset(w, 4, 100)), [0, 25, 50, 75]);
  assert.deepEqual([0, 1, 2].map((w) => startOffset(w, 3, 2)), [0, 0, 1]);
  assert.equal(startOffset(7, 8, 1), 0);
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(xs, 0.5), 50);
  assert.equal(quantile(xs, 0.99), 99);
  assert.equal(quantile(xs, 1), 100);
  assert.equal(quantile([7], 0.9), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

Deno.test("summarize: rate over the phase's wall time, latency quantiles", () => {
  const r = summarize({
    base: "http://127.0.0.1:1",
    connections: 2,
    seconds: 2,
    elapsedMs: 2000,
    latenciesMs: [4, 1, 3, 2],
    errors: 1,
    bytes: 4 * 1024 * 1024,
    checksummed: 4,
    warmupErrors: 0,
    sampleErrors: ["x"],
  });
  assert.equal(r.requests, 4);
  assert.equal(r.rps, 2);
  assert.equal(r.mibPerSecond, 2);
  assert.equal(r.errors, 1);
  assert.deepEqual(r.latencyMs, { p50: 2, p90: 4, p99: 4, max: 4 });
});

/** A loopback server of fixed bodies, with optional sabotage per path. */
function serveFiles(
  bodies: Map<string, Uint8Array>,
  sabotage: (path: string, body: Uint8Array) => Response | undefined = () => undefined,
) {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    hits++;
    const path = new URL(req.url).pathname;
    const body = bodies.get(path);
    if (!body) return new Response("no", { status: 404 });
    return sabotage(path, body) ?? new Response(body as Uint8Array<ArrayBuffer>);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    hits: () => hits,
    close: () => server.shutdown(),
  };
}

async function manifestOf(bodies: Map<string, Uint8Array>): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const [path, body] of bodies) {
    out.push({ path, size: body.length, sha256: await sha256Hex(body) });
  }
  return out;
}

function files(): Map<string, Uint8Array> {
  const bodies = new Map<string, Uint8Array>();
  for (let i = 0; i < 6; i++) bodies.set(`/f${i}`, enc.encode(`file ${i} `.repeat(100 + i * 50)));
  return bodies;
}

Deno.test("runLoad: counts only correct bodies, against a real loopback server", async () => {
  const bodies = files();
  const server = serveFiles(bodies);
  try {
    const options = {
      base: server.url,
      manifest: "",
      connections: 3,
      seconds: 0.3,
      warmup: 0.1,
      verify: "first" as const,
    };
    const r = await runLoad(options, await manifestOf(bodies));
    assert.equal(r.errors, 0, r.sampleErrors.join("\n"));
    assert.equal(r.warmupErrors, 0);
    assert.ok(r.requests > 10, `${r.requests} requests`);
    assert.ok(server.hits() >= r.requests, "the warm-up requests are not counted");
    assert.ok(r.elapsed >= 0.3 && r.elapsed < 2, `${r.elapsed} s`);
    assert.ok(Math.abs(r.rps - r.requests / r.elapsed) / r.rps < 0.01);
    assert.ok(r.bytes >= r.requests * bodies.get("/f0")!.length);
    assert.equal(r.checksummed, bodies.size, "each path checksummed once");
    assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.max);
  } finally {
    await server.close();
  }
});

Deno.test("runLoad: wrong bytes of the right size, short bodies and 404s are errors", async () => {
  const bodies = files();
  const manifest = await manifestOf(bodies);
  manifest.push({ path: "/missing", size: 1, sha256: "0".repeat(64) });
  const server = serveFiles(bodies, (path, body) => {
    if (path === "/f1") return new Response(body.map((b) => b ^ 1) as Uint8Array<ArrayBuffer>);
    if (path === "/f2") return new Response(body.slice(1) as Uint8Array<ArrayBuffer>);
    return undefined;
  });
  try {
    const r = await runLoad({
      base: server.url,
      manifest: "",
      connections: 2,
      seconds: 0.3,
      warmup: 0,
      verify: "first",
    }, manifest);
    // Three of the seven paths are wrong: about 3/7 of the responses.
    const share = r.errors / (r.errors + r.requests);
    assert.ok(share > 0.3 && share < 0.55, `error share ${share}`);
    const seen = r.sampleErrors.join("\n");
    assert.match(seen, /\/f1: wrong SHA-256/);
    assert.match(seen, /\/f2: \d+ bytes, expected/);
    assert.match(seen, /\/missing: status 404/);
    assert.ok(r.bytes > 0);
  } finally {
    await server.close();
  }
});

async function runScript(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", "--allow-read", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bench_load.ts as a process: JSON on stdout; exit 2 on bad flags, 1 when unreachable", async () => {
  const bodies = files();
  const server = serveFiles(bodies);
  const tmp = await Deno.makeTempDir({ prefix: "hexpub-bench-load-" });
  try {
    const manifest = join(tmp, "m.json");
    await Deno.writeTextFile(manifest, JSON.stringify(await manifestOf(bodies)));
    const common = ["--manifest", manifest, "--seconds", "0.2", "--warmup", "0"];
    const ok = await runScript(["--base", server.url, ...common, "--connections", "2"]);
    assert.equal(ok.code, 0, ok.stderr);
    const r: LoadResult = JSON.parse(ok.stdout);
    assert.equal(r.errors, 0);
    assert.equal(r.connections, 2);
    assert.ok(r.requests > 0 && r.rps > 0);

    const bad = await runScript(["--base", server.url, ...common, "--connections", "x"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--connections/);

    await server.close();
    const gone = await runScript(["--base", server.url, ...common]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no response from/);
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
