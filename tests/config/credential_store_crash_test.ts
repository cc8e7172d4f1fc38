import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createKey,
  getApiKey,
  getUsername,
  loadStore,
  repoNames,
  saveStore,
  setApiKey,
  setUsername,
  unlock,
  updateStore,
} from "../../src/config/credential_store.ts";
import { acquireLock, withFileLock } from "../../src/io/file_lock.ts";
import type { ProcessProbe } from "../../src/io/process_probe.ts";
import { denoFs } from "../../src/deno_deps.ts";
import { testDeps } from "../support/test_deps.ts";
import { churnStore, fsWithCreateNew } from "./_store_worker.ts";

const WORKER = new URL("./_store_worker.ts", import.meta.url).pathname;
const ITERATIONS = 1_000;
const PASSWORD = "pw";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-crash-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function worker(args: string[], cwd: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", WORKER, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<void> {
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("a leftover partial temp file does not affect the store", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "credentials.json");
    await saveStore(io, path, setUsername(churnStore("A", 3), "hexpm", "old"));
    // What a crash between writing and renaming leaves: a truncated temporary beside the store.
    await Deno.writeTextFile(join(dir, ".deadbeef.hexpub-tmp"), '{"version": 1, "repos": {"hex');
    assert.equal(getUsername(await loadStore(io, path), "hexpm"), "old");
    await updateStore(io, path, (s) => setUsername(s, "hexpm", "new"));
    assert.equal(getUsername(await loadStore(io, path), "hexpm"), "new");
  });
});

Deno.test({
  name: "the store survives a writer killed mid-write, again and again",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withTempDir(async (dir) => {
      const io = testDeps(dir);
      const path = join(dir, "credentials.json");
      const versions = new Set(["A", "B"]);
      await saveStore(io, path, churnStore("A"));
      for (let round = 0; round < 8; round++) {
        const child = worker(["churn", path], dir);
        // Wait until it is writing in a loop, then kill it at an arbitrary point.
        const reader = child.stdout.getReader();
        await reader.read();
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
        child.kill("SIGKILL");
        await child.status;
        await reader.cancel();
        await child.stderr.cancel();
        const store = await loadStore(io, path);
        assert.equal(repoNames(store).length, 400);
        const tag = getUsername(store, "repo0")!.split("-")[0];
        assert.ok(versions.has(tag), `round ${round}: unexpected content ${tag}`);
        for (const name of repoNames(store)) {
          assert.equal(getUsername(store, name)!.split("-")[0], tag, "a mix of two versions");
        }
      }
    });
  },
});

for (const variant of ["symlink", "createNew"] as const) {
  Deno.test({
    name: `concurrent writers updating different repos both land (lock by ${variant})`,
    ignore: Deno.build.os === "windows" && variant === "symlink",
    fn: async () => {
      await withTempDir(async (dir) => {
        const io = testDeps(dir);
        const path = join(dir, "credentials.json");
        const key = await createKey(PASSWORD, { iterations: ITERATIONS });
        await saveStore(
          io,
          path,
          await setApiKey(setUsername(churnStore("A", 1), "hexpm", "a"), key, "hexpm", "k"),
        );
        const count = 12;
        const extra = variant === "createNew" ? ["createNew"] : [];
        const a = worker(["update", path, PASSWORD, "a", String(count), ...extra], dir);
        const b = worker(["update", path, PASSWORD, "b", String(count), ...extra], dir);
        // Wait for both, even when one fails, so that no writer outlives the temp dir.
        for (const r of await Promise.allSettled([finish(a), finish(b)])) {
          if (r.status === "rejected") throw r.reason;
        }

        const store = await loadStore(io, path);
        const opened = await unlock(store, PASSWORD);
        for (const prefix of ["a", "b"]) {
          for (let i = 0; i < count; i++) {
            const repo = `${prefix}${i}`;
            assert.equal(getUsername(store, repo), prefix, `${repo} was lost`);
            assert.equal((await getApiKey(store, opened, repo))?.secret, `secret-${repo}`);
          }
        }
        assert.equal((await getApiKey(store, opened, "hexpm"))?.secret, "k");
        const left = [...Deno.readDirSync(dir)].map((e) => e.name);
        assert.deepEqual(left, ["credentials.json"], "no lock or temp file is left behind");
      });
    },
  });
}

Deno.test("withFileLock() serialises critical sections within one process too", async () => {
  await withTempDir(async (dir) => {
    for (const fs of [denoFs(dir), fsWithCreateNew(dir)]) {
      const lock = join(dir, "x.lock");
      let inside = 0;
      let most = 0;
      await Promise.all(Array.from({ length: 6 }, () =>
        withFileLock(fs, lock, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }, { retryMs: 1 })));
      assert.equal(most, 1);
      assert.equal(await fs.lstat(lock), undefined);
    }
  });
});

Deno.test("where liveness cannot be told, a lock older than staleMs is broken; a fresh one makes others wait, then time out", async () => {
  await withTempDir(async (dir) => {
    for (const fs of [denoFs(dir), fsWithCreateNew(dir)]) {
      const lock = join(dir, "credentials.json.lock");
      let clock = 1_000_000;
      const now = () => clock;
      const sleep = (ms: number) => {
        clock += ms;
        return Promise.resolve();
      };
      // A system that cannot tell whether the holder runs (tests/io/file_lock_test.ts covers those that can).
      const probe: ProcessProbe = {
        self: () => Promise.resolve({ pid: 1 }),
        state: () => Promise.resolve("unknown"),
      };
      // A live lock (its token is fresh): acquiring waits, then times out naming the file.
      const release = await acquireLock(fs, lock, { now, sleep, probe });
      await assert.rejects(
        acquireLock(fs, lock, { now, sleep, probe, staleMs: 60_000, timeoutMs: 1_000 }),
        (e) => e instanceof Error && e.message.includes(lock),
      );
      // The same lock once older than staleMs counts as left by a dead run.
      clock += 11_000;
      const release2 = await acquireLock(fs, lock, { now, sleep, probe });
      // The first holder's release must not remove the second holder's lock.
      await release();
      assert.ok(await fs.lstat(lock));
      await release2();
      assert.equal(await fs.lstat(lock), undefined);

      // A lock whose content is not a token (written by hand) is stale after staleMs of waiting.
      await Deno.writeTextFile(lock, "garbage");
      const release3 = await acquireLock(fs, lock, { now, sleep, probe, timeoutMs: 60_000 });
      await release3();
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), []);
    }
  });
});
