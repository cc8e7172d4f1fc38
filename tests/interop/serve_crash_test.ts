/**
 * `hexpub serve` killed with -9 at every step of a publish: a real serve
 * process (./_serve_crash_worker.ts) kills itself at step k of the k-th
 * publish; restarted, it must serve a signed registry listing exactly the
 * releases whose tarballs are on disk (with their checksums), leave no
 * temporary file, marker or lock behind, and accept the next publish at once
 * (the dead writer's lock is taken over). At the end real rebar3 installs the
 * package from it. Skips visibly without Erlang (see ./erlang.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readNames, readPackage, readVersions } from "../../src/registry/registry_files.ts";
import { RepositoryStore } from "../../src/repository/store.ts";
import { generateKey } from "../../src/tasks/serve.ts";
import { tarball } from "../support/lock_repo.ts";
import { replaceRepos } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";
import { interopTest, rebar3Env, runRebar3, writeRebarApp } from "./erlang.ts";

const WORKER = new URL("./_serve_crash_worker.ts", import.meta.url).pathname;
const NAME = "crashrepo";

/** A running worker: its port, and its end (exit status and stderr). */
interface Worker {
  port: number;
  ended: Promise<{ signal: Deno.Signal | null; stderr: string }>;
  kill(): void;
}

async function startWorker(dir: string, killAt: number): Promise<Worker> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", WORKER, dir, String(killAt)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const ended = Promise.all([child.status, stderr]).then(([s, text]) => ({
    signal: s.signal,
    stderr: text,
  }));
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/PORT \d+\n/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the worker ended before listening:\n${(await ended).stderr}`);
    out += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    port: Number(/PORT (\d+)/.exec(out)![1]),
    ended,
    kill: () => child.kill("SIGKILL"),
  };
}

const hex = (b: Uint8Array | undefined) =>
  Array.from(b ?? [], (x) => x.toString(16).padStart(2, "0")).join("");

/** Requires the signed registry to list exactly the tarballs on disk, and nothing left over. */
async function assertConsistent(store: RepositoryStore, context: string): Promise<string[]> {
  const dir = store.dir;
  const key = store.repo.publicKeyPem;
  const opts = { repository: NAME, verify: true };
  const onDisk = new Map<string, string>();
  for await (const e of Deno.readDir(join(dir, "tarballs"))) {
    assert.match(e.name, /^crash_app-.*\.tar$/, `${context}: stray ${e.name} in tarballs/`);
    const bytes = await Deno.readFile(join(dir, "tarballs", e.name));
    onDisk.set(
      e.name.slice("crash_app-".length, -4),
      hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))),
    );
  }
  for (const sub of ["", "tarballs", "docs", "packages"]) {
    for await (const e of Deno.readDir(join(dir, sub))) {
      assert.ok(
        !/hexpub-tmp|\.write\.(pending|lock)|\.stale$/.test(e.name),
        `${context}: ${join(sub, e.name)} left over`,
      );
    }
  }
  const names = await readNames(await Deno.readFile(join(dir, "names")), key, opts);
  const versions = await readVersions(await Deno.readFile(join(dir, "versions")), key, opts);
  if (onDisk.size === 0) {
    assert.deepEqual(names.packages, [], context);
    return [];
  }
  assert.deepEqual(names.packages.map((p) => p.name), ["crash_app"], context);
  assert.deepEqual(
    [...versions.packages[0].versions].sort(),
    [...onDisk.keys()].sort(),
    `${context}: versions`,
  );
  const pkg = await readPackage(await Deno.readFile(join(dir, "packages", "crash_app")), key, {
    ...opts,
    name: "crash_app",
  });
  assert.deepEqual(
    new Map(pkg.releases.map((r) => [r.version, hex(r.outerChecksum)])),
    onDisk,
    `${context}: packages/crash_app`,
  );
  return [...onDisk.keys()];
}

async function publish(port: number, key: string, version: string): Promise<number | string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/publish`, {
      method: "POST",
      headers: { authorization: key, "content-type": "application/octet-stream" },
      body: (await tarball({ name: "crash_app", version })) as Uint8Array<ArrayBuffer>,
    });
    await res.body?.cancel();
    return res.status;
  } catch (e) {
    return (e as Error).name; // the server died mid-request
  }
}

interopTest(
  "serve killed -9 at every step of a publish restarts with the registry of the tarballs on disk; rebar3 installs",
  async () => {
    const work = await Deno.makeTempDir({ prefix: "hexpub-serve-crash-" });
    const deps = testDeps(work);
    const dir = join(work, "repo");
    const store = await RepositoryStore.open(deps, dir, NAME);
    const { secret: key } = await generateKey(deps, { dir, keyName: "alice" });
    let worker: Worker | undefined;
    try {
      // A run that is not killed counts the steps of a publish: the first claims the package, the
      // second (a new version, as in every run below) is counted.
      worker = await startWorker(dir, 0);
      assert.equal(await publish(worker.port, key, "1.0.0"), 201);
      assert.equal(await publish(worker.port, key, "0.9.0"), 201);
      worker.kill();
      const all = [...(await worker.ended).stderr.matchAll(/^STEP (\d+) (\S+) (.*)$/gm)];
      worker = undefined;
      // Each publish ends by releasing the lock.
      const firstEnd = all.findIndex((s) => s[2] === "remove" && s[3].endsWith(".write.lock"));
      const steps = all.slice(firstEnd + 1);
      assert.ok(steps.length >= 10, `too few steps:\n${all.map((s) => s[0]).join("\n")}`);
      assert.deepEqual(await assertConsistent(store, "after full publishes"), ["0.9.0", "1.0.0"]);

      // Publish 1.0.k, killed before its step k, for every step of a publish. Each restart (the
      // next run's start) must have repaired what the kill left.
      let landed = 0;
      let before = ["0.9.0", "1.0.0"];
      let pending: string | undefined;
      for (let k = 1; k <= steps.length + 1; k++) {
        worker = await startWorker(dir, k);
        const now = await assertConsistent(store, `restart after a kill at step ${k - 1}`);
        // Killed: the release either landed whole (after the repair) or not at all.
        const added = now.filter((v) => !before.includes(v));
        assert.ok(
          added.length === 0 || (added.length === 1 && added[0] === pending),
          `step ${k - 1}`,
        );
        landed += added.length;
        before = now;
        if (k > steps.length) break;
        pending = `1.0.${k}`;
        const status = await publish(worker.port, key, pending);
        if (status === 201) worker.kill(); // not killed by itself: fails below
        const end = await worker.ended;
        worker = undefined;
        assert.equal(end.signal, "SIGKILL", `step ${k}: the worker was not killed (${status})`);
        assert.match(end.stderr, new RegExp(`^STEP ${k} `, "m"), end.stderr);
        assert.notEqual(status, 201, `step ${k}: answered before the write ended`);
      }
      // The tarball's rename is the commit: kills before it lose the release, kills after keep it.
      assert.ok(landed > 0 && landed < steps.length, `${landed} of ${steps.length} landed`);

      // The last restart (still running), then real rebar3 installs the latest release.
      const final = before;
      const project = join(work, "app");
      const reposConfig = replaceRepos({
        name: NAME,
        url: `http://127.0.0.1:${worker!.port}`,
        publicKeyPem: store.repo.publicKeyPem,
      });
      await writeRebarApp(project, `{deps, [crash_app]}.\n${reposConfig}`, ["crash_app"]);
      const run = await runRebar3(project, ["compile"], await rebar3Env(work));
      assert.equal(run.code, 0, run.log);
      const lock = await Deno.readTextFile(join(project, "rebar.lock"));
      const latest = final.sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2])).at(-1);
      assert.match(lock, new RegExp(`<<"crash_app">>,\\{pkg,<<"crash_app">>,<<"${latest}">>\\}`));
    } finally {
      worker?.kill();
      await worker?.ended;
      await Deno.remove(work, { recursive: true });
    }
  },
);
