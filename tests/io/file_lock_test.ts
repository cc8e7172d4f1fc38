/**
 * The lock's holder: a lock records its holder's pid and start mark, a lock
 * whose holder is gone (killed, or its pid now another process's) is taken
 * over at once, a live holder's lock is never broken by age, and the age rule
 * stays only where liveness cannot be told.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireLock } from "../../src/io/file_lock.ts";
import {
  identify,
  type ProcessProbe,
  shellProbe,
  startTicksOf,
} from "../../src/io/process_probe.ts";
import { denoFs, denoRun } from "../../src/deno_deps.ts";

const linux = Deno.build.os === "linux";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-lock-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A fake clock: sleeping advances it, so waits cost no real time. */
function fakeClock(start = 1_700_000_000_000) {
  let clock = start;
  return {
    now: () => clock,
    sleep: (ms: number) => {
      clock += ms;
      return Promise.resolve();
    },
  };
}

/** The probe `serve` uses: `sh` reads /proc (Deno may not without --allow-all) or runs kill -0. */
const probe = () => shellProbe(denoRun);

/** A lock token as holder `id` writes it, taken at `created`. */
function token(id: { pid: number; host?: string; start?: string }, created: number): string {
  const f = (v?: string) => v === undefined ? "-" : encodeURIComponent(v);
  return `hexpub-lock ${crypto.randomUUID()} ${created} ${id.pid} ${f(id.host)} ${f(id.start)}`;
}

Deno.test("startTicksOf() reads field 22 of /proc/PID/stat, even with spaces and ) in the name", () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  assert.equal(startTicksOf(`42 (a) b) c) ${fields.join(" ")}`), "22");
  assert.equal(startTicksOf("42 (x) S 1"), undefined);
});

Deno.test("a lock whose holder was killed is taken over at once, not after the stale age", async () => {
  await withTempDir(async (dir) => {
    const fs = denoFs(dir);
    const lock = join(dir, ".write.lock");
    const child = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" })
      .spawn();
    const id = await identify(denoRun, child.pid);
    assert.ok(id && id !== "gone");
    child.kill("SIGKILL");
    await child.status;
    const clock = fakeClock();
    // Freshly taken (its age says nothing), by a process that no longer exists.
    await Deno.writeTextFile(lock, token(id, clock.now()));
    const release = await acquireLock(fs, lock, {
      ...clock,
      probe: probe(),
      staleMs: 600_000,
      timeoutMs: 1_000,
    });
    assert.match(await Deno.readTextFile(lock), new RegExp(` ${Deno.pid} `));
    await release();
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test({
  name: "a lock whose pid now names another process (another start time) counts as gone",
  ignore: !linux,
  fn: async () => {
    await withTempDir(async (dir) => {
      const fs = denoFs(dir);
      const lock = join(dir, ".write.lock");
      const clock = fakeClock();
      const p = probe();
      const self = await p.self();
      assert.match(self.start ?? "", /^[0-9a-f-]+:\d+$/);
      const [boot] = self.start!.split(":");
      // This process's pid, but a start mark this process does not have: the pid was reused.
      await Deno.writeTextFile(lock, token({ ...self, start: `${boot}:1` }, clock.now()));
      const release = await acquireLock(fs, lock, {
        ...clock,
        probe: p,
        staleMs: 600_000,
        timeoutMs: 1_000,
      });
      await release();
    });
  },
});

Deno.test("a live holder's lock is not broken by age; the wait ends naming the holder", async () => {
  await withTempDir(async (dir) => {
    const fs = denoFs(dir);
    const lock = join(dir, ".write.lock");
    const clock = fakeClock();
    const p = probe();
    const self = await p.self();
    await Deno.writeTextFile(lock, token(self, clock.now() - 3_600_000));
    if (!self.start) return; // without a start mark the age rule applies (next test)
    await assert.rejects(
      acquireLock(fs, lock, { ...clock, probe: p, staleMs: 1_000, timeoutMs: 3_000 }),
      (e) => e instanceof Error && e.message.includes(lock) && e.message.includes(`${Deno.pid}`),
    );
    assert.ok(await fs.lstat(lock), "the live lock is still there");
  });
});

Deno.test("where liveness cannot be told, a lock is broken after the stale age only", async () => {
  await withTempDir(async (dir) => {
    const fs = denoFs(dir);
    const lock = join(dir, ".write.lock");
    const clock = fakeClock();
    const unknown: ProcessProbe = {
      self: () => Promise.resolve({ pid: 7 }),
      state: () => Promise.resolve("unknown"),
    };
    await Deno.writeTextFile(lock, token({ pid: 999_999 }, clock.now()));
    await assert.rejects(
      acquireLock(fs, lock, { ...clock, probe: unknown, staleMs: 10_000, timeoutMs: 5_000 }),
    );
    const release = await acquireLock(fs, lock, {
      ...clock,
      probe: unknown,
      staleMs: 10_000,
      timeoutMs: 60_000,
    });
    await release();
  });
});

Deno.test("a waiter whose signal aborts stops waiting and takes nothing", async () => {
  await withTempDir(async (dir) => {
    const fs = denoFs(dir);
    const lock = join(dir, ".write.lock");
    const release = await acquireLock(fs, lock, { probe: probe() });
    const abort = new AbortController();
    const waiting = acquireLock(fs, lock, { probe: probe(), signal: abort.signal, retryMs: 1 });
    abort.abort();
    await assert.rejects(waiting, (e) => e instanceof Error && e.name === "AbortError");
    await release();
    assert.equal(await fs.lstat(lock), undefined);
  });
});
