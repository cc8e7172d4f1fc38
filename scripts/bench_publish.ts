// deno-lint-ignore-file no-console -- a benchmark script: its output is the console
/**
 * Publish overhead benchmark: on the generated bench project, the time from
 * starting `hexpub publish --yes` to the moment the upload reaches the server,
 * as a ratio of `hexpub build` alone, measured in the same run (best of N).
 * Target: at most 1.2x.
 *
 * The server is a minimal Hex endpoint on 127.0.0.1 that notes when the
 * publish request arrives and answers like hex.pm (201, then the release with
 * the checksum of what it received).
 *
 * usage: deno task bench:publish [--runs N] [--files N] [--mib N] [--json]
 */
import { join } from "node:path";
import { ensureProject, parseBenchArgs, projectDir } from "./bench_build.ts";

/** The publish target. */
export const PUBLISH_TARGET = 1.2;

/** A loopback Hex endpoint recording when each upload arrived. */
export function uploadServer() {
  const arrivals: number[] = [];
  let checksum = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/api/publish") {
      arrivals.push(performance.now());
      const body = new Uint8Array(await req.arrayBuffer());
      const d = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
      checksum = Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
      return Response.json(release(checksum), { status: 201 });
    }
    if (req.method === "GET" && /^\/api\/packages\/[^/]+\/releases\/[^/]+$/.test(url.pathname)) {
      return Response.json(release(checksum));
    }
    return Response.json({ status: 404, message: "Page not found" }, { status: 404 });
  });
  const release = (sum: string) => ({
    version: "1.0.0",
    checksum: sum,
    has_docs: false,
    meta: { app: "bench_app", build_tools: ["rebar3"] },
    requirements: {},
    retirement: null,
    inserted_at: new Date().toISOString(),
    url: "http://127.0.0.1/api/packages/bench_app/releases/1.0.0",
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/api`,
    arrivals,
    close: () => server.shutdown(),
  };
}

const main = join(new URL("..", import.meta.url).pathname, "main.ts");
const config = join(new URL("..", import.meta.url).pathname, "deno.json");
const PERMS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-run=git,escript,rebar3,sh",
];

async function timed(args: string[], cwd: string, env: Record<string, string>) {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, "--config", config, main, ...args],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`hexpub ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return { start, end: performance.now() };
}

/** Runs the measurement; returns the figures. */
export async function benchPublish(
  options: { runs: number; files: number; mib: number; seed: number; dir?: string },
) {
  const dir = projectDir(
    { ...options } as Parameters<typeof projectDir>[0],
    Deno.env.get("TMPDIR") || "/tmp",
  );
  await ensureProject(dir, options);
  const out = await Deno.makeTempDir({ prefix: "hexpub-bench-publish-" });
  const server = uploadServer();
  const env = { HEX_API_URL: server.url, HEX_API_KEY: "0".repeat(32), NO_COLOR: "1" };
  try {
    let build = Infinity;
    let toUpload = Infinity;
    for (let i = 0; i < options.runs; i++) {
      const b = await timed(["build", "package", "-o", join(out, `b${i}.tar`)], dir, env);
      build = Math.min(build, b.end - b.start);
      const before = server.arrivals.length;
      const p = await timed(["publish", "package", "--yes"], dir, env);
      if (server.arrivals.length !== before + 1) throw new Error("the upload never arrived");
      toUpload = Math.min(toUpload, server.arrivals[before] - p.start);
    }
    const ratio = toUpload / build;
    return { buildMs: build, toUploadMs: toUpload, ratio, pass: ratio <= PUBLISH_TARGET };
  } finally {
    await server.close();
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const options = parseBenchArgs(Deno.args.filter((a) => a !== "--json"));
  const r = await benchPublish(options);
  if (Deno.args.includes("--json")) console.log(JSON.stringify(r));
  else {
    console.log(`hexpub publish benchmark (best of ${options.runs})`);
    console.log(`build alone          ${(r.buildMs / 1000).toFixed(3)} s`);
    console.log(`publish to upload    ${(r.toUploadMs / 1000).toFixed(3)} s`);
    console.log(
      `ratio                ${r.ratio.toFixed(2)}x   target <= ${PUBLISH_TARGET}x: ${
        r.pass ? "PASS" : "FAIL"
      }`,
    );
  }
}
