/**
 * A repository left half-written by a process that died: `serve` on start,
 * and every repository write, repairs it from the tarballs on disk (the signed
 * registry lists exactly the valid tarballs, temporary files and docs without
 * a release are removed, an unreadable tarball is moved aside), and a write
 * whose client is gone is abandoned before anything becomes visible.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readNames } from "../../src/registry/registry_files.ts";
import { RepositoryStore } from "../../src/repository/store.ts";
import { serveRepository } from "../../src/tasks/serve.ts";
import { acquireLock } from "../../src/io/file_lock.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { publishTiming } from "../../src/repository/http/writes.ts";
import { registryOf, tarball } from "./repo_fixtures.ts";
import { testDeps } from "../support/test_deps.ts";

async function names(store: RepositoryStore): Promise<string[]> {
  const bytes = await Deno.readFile(join(store.dir, "names"));
  const decoded = await readNames(bytes, store.repo.publicKeyPem, {
    repository: store.name,
    verify: true,
  });
  return decoded.packages.map((p) => p.name);
}

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** A repository with alpha 1.0.0 and beta 1.0.0 published through the store. */
async function published() {
  const work = await Deno.makeTempDir({ prefix: "hexpub-repair-" });
  const deps = testDeps(work);
  const store = await RepositoryStore.open(deps, join(work, "repo"), "mine");
  for (const name of ["alpha", "beta"]) {
    const t = await tarball(name, "1.0.0");
    const done = await store.publish({ tarball: t.tarball, replace: false });
    assert.ok(!("refused" in done));
  }
  return { work, deps, store };
}

Deno.test("serve repairs on start what a killed writer left: registry from the tarballs, temp files, docs, the lock", async () => {
  const { work, deps, store } = await published();
  const dir = store.dir;
  // Killed after renaming gamma's tarball into place, before the registry was rebuilt.
  await Deno.writeFile(
    join(dir, "tarballs", "gamma-1.0.0.tar"),
    (await tarball("gamma", "1.0.0")).tarball,
  );
  // beta's tarball gone (a revert killed before its rebuild): the registry still lists it.
  await Deno.remove(join(dir, "tarballs", "beta-1.0.0.tar"));
  // Half-written temporary files, docs of a release that never landed, and the dead writer's lock.
  await Deno.writeTextFile(join(dir, "tarballs", ".1a2b3c4d.hexpub-tmp"), "half");
  await Deno.writeTextFile(join(dir, "packages", ".5e6f7a8b.hexpub-tmp"), "half");
  await Deno.writeTextFile(join(dir, "docs", "delta-1.0.0.tar.gz"), "docs");
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  await Deno.writeTextFile(
    join(dir, ".write.lock"),
    `hexpub-lock ${crypto.randomUUID()} ${Date.now()} ${dead.pid} - -`,
  );

  const serving = await serveRepository(deps, { dir, hostname: "127.0.0.1", port: 0 });
  try {
    assert.deepEqual(await names(store), ["alpha", "gamma"]);
    assert.deepEqual(await listing(join(dir, "packages")), ["alpha", "gamma"]);
    assert.deepEqual(await listing(join(dir, "tarballs")), ["alpha-1.0.0.tar", "gamma-1.0.0.tar"]);
    assert.deepEqual(await listing(join(dir, "docs")), []);
    assert.deepEqual(
      (await registryOf(store.repo, "gamma")).pkg.releases.map((r) => r.version),
      ["1.0.0"],
    );
    const res = await fetch(`http://127.0.0.1:${serving.port}/packages/gamma`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.ok(!(await listing(dir)).includes(".write.lock"), "the dead writer's lock is gone");
  } finally {
    await serving.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("a tarball that cannot be read is moved aside on repair, and the rest is served", async () => {
  const { work, deps, store } = await published();
  const dir = store.dir;
  await Deno.writeTextFile(join(dir, "tarballs", "gamma-1.0.0.tar"), "not a tar");
  const serving = await serveRepository(deps, { dir, hostname: "127.0.0.1", port: 0 });
  try {
    assert.deepEqual(await names(store), ["alpha", "beta"]);
    assert.deepEqual(await listing(join(dir, "tarballs")), ["alpha-1.0.0.tar", "beta-1.0.0.tar"]);
    assert.deepEqual(await listing(join(dir, "rejected")), ["gamma-1.0.0.tar"]);
    assert.ok(
      deps.stderr.some((l) => l.includes("gamma-1.0.0.tar") && l.includes("rejected")),
      deps.stderr.join("\n"),
    );
  } finally {
    await serving.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("a write after a writer died mid-write repairs first (replaced tarball, interrupted marker)", async () => {
  const { work, store } = await published();
  const dir = store.dir;
  // Killed after replacing alpha's tarball, before the rebuild; its marker says a write was under way.
  const replaced = await tarball("alpha", "1.0.0", " replaced");
  await Deno.writeFile(join(dir, "tarballs", "alpha-1.0.0.tar"), replaced.tarball);
  await Deno.writeTextFile(join(dir, ".write.pending"), "");
  await Deno.writeTextFile(join(dir, "docs", ".0a0b0c0d.hexpub-tmp"), "half");
  // A write that does not rebuild the registry by itself.
  const docs = await store.removeDocs({ name: "alpha", version: "1.0.0" });
  assert.deepEqual(docs, { refused: "no_docs" });
  const alpha = (await registryOf(store.repo, "alpha")).pkg.releases[0];
  assert.equal(
    Array.from(alpha.outerChecksum ?? [], (b) => b.toString(16).padStart(2, "0")).join(""),
    replaced.outerChecksum,
  );
  assert.deepEqual(await listing(join(dir, "docs")), []);
  assert.ok(!(await listing(dir)).includes(".write.pending"));
  await Deno.remove(work, { recursive: true });
});

Deno.test("a publish whose client is gone is abandoned: nothing is written", async () => {
  const { work, store } = await published();
  const abort = new AbortController();
  abort.abort();
  const t = await tarball("gamma", "1.0.0");
  await assert.rejects(
    store.publish({ tarball: t.tarball, replace: false, signal: abort.signal }),
    (e) => e instanceof Error && e.name === "AbortError",
  );
  assert.deepEqual(await listing(join(store.dir, "tarballs")), [
    "alpha-1.0.0.tar",
    "beta-1.0.0.tar",
  ]);
  assert.deepEqual(await names(store), ["alpha", "beta"]);
  await Deno.remove(work, { recursive: true });
});

Deno.test("a publish whose client gives up while it waits for the write lock is not applied", async () => {
  const { work, deps, store } = await published();
  try {
    const release = await acquireLock(deps.fs, join(store.dir, ".write.lock"));
    const abort = new AbortController();
    const t = await tarball("gamma", "1.0.0");
    const waiting = store.publish({ tarball: t.tarball, replace: false, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(waiting, (e) => e instanceof Error && e.name === "AbortError");
    await release();
    assert.deepEqual(await listing(join(store.dir, "tarballs")), [
      "alpha-1.0.0.tar",
      "beta-1.0.0.tar",
    ]);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("serve answers 503 to a publish that waited past its deadline, and does not apply it later", async () => {
  const { work, deps, store } = await published();
  const key = await generateServeKey(deps, store.dir, "alice");
  const serving = await serveRepository(deps, { dir: store.dir, hostname: "127.0.0.1", port: 0 });
  const saved = publishTiming.deadlineMs;
  publishTiming.deadlineMs = 200;
  const post = async (name: string) =>
    await fetch(`http://127.0.0.1:${serving.port}/api/publish?replace=false`, {
      method: "POST",
      headers: { authorization: key, "content-type": "application/octet-stream" },
      body: (await tarball(name, "1.0.0")).tarball as Uint8Array<ArrayBuffer>,
    });
  try {
    // Another writer holds the lock while the upload arrives, and for longer than the deadline.
    const release = await acquireLock(deps.fs, join(store.dir, ".write.lock"));
    const late = post("gamma");
    const timer = new Promise((r) => setTimeout(r, 1_000));
    const first = await Promise.race([late, timer.then(() => undefined)]);
    await release();
    const res = first ?? await late;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "5");
    assert.match((await res.json()).message, /busy[\s\S]*not applied/);
    const next = await post("delta");
    assert.equal(next.status, 201);
    await next.body?.cancel();
    assert.deepEqual(await listing(join(store.dir, "tarballs")), [
      "alpha-1.0.0.tar",
      "beta-1.0.0.tar",
      "delta-1.0.0.tar",
    ]);
    assert.deepEqual(await names(store), ["alpha", "beta", "delta"]);
  } finally {
    publishTiming.deadlineMs = saved;
    await serving.close();
    await Deno.remove(work, { recursive: true });
  }
});
