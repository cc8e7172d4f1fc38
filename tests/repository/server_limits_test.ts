/**
 * `hexpub serve` against decompression bombs: an upload whose contents
 * inflate past the 128 MiB limit is a 422 in hex.pm's shape, refused before
 * it is inflated in full; and uploads are unpacked one at a time, so eight
 * concurrent bombs cost one bomb's memory (peak RSS: scripts/bench_serve.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initRepository } from "../../src/repository/repository_dir.ts";
import { storeHandler } from "../../src/repository/server.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { RepositoryStore } from "../../src/repository/store.ts";
import { bombTarball } from "../support/gzip_bomb.ts";
import { testDeps } from "../support/test_deps.ts";
import { answer, req, tarball } from "./repo_fixtures.ts";

const MiB = 1024 * 1024;

async function setup() {
  const work = await Deno.makeTempDir({ prefix: "hexpub-serve-limits-" });
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "repo"), "mine");
  const key = await generateServeKey(deps, repo.dir, "alice");
  const store = await RepositoryStore.open(deps, repo.dir);
  return { work, deps, store, key };
}

Deno.test("a publish whose contents inflate past 128 MiB is a 422, refused before full inflation", async () => {
  const { work, deps, store, key } = await setup();
  try {
    // 129 MiB of zeros, then garbage: an inflater that went on past the
    // limit would report the garbage ("invalid"), not the size.
    const bomb = bombTarball(129 * MiB, { corruptAfter: true });
    assert.ok(bomb.length < 1 * MiB);
    const res = await storeHandler(deps, store)(req("POST", "/api/publish", key, bomb));
    const { status, body } = await answer(res);
    assert.equal(status, 422);
    assert.deepEqual(Object.keys(body as object).sort(), ["errors", "message", "status"]);
    const b = body as { status: number; message: string; errors: Record<string, string> };
    assert.equal(b.status, 422);
    assert.equal(b.message, "Validation error(s)");
    assert.match(Object.values(b.errors).join(), /exceeds max uncompressed size/);
    assert.deepEqual([...Deno.readDirSync(join(store.dir, "tarballs"))], []);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("uploads are unpacked one at a time: concurrent publishes wait their turn", async () => {
  const { work, deps, store, key } = await setup();
  try {
    let inFlight = 0;
    let most = 0;
    const slow = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => async (...a: A) => {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((r) => setTimeout(r, 20));
        return await f(...a);
      } finally {
        inFlight--;
      }
    };
    store.publish = slow(store.publish.bind(store));
    store.putDocs = slow(store.putDocs.bind(store));
    const handler = storeHandler(deps, store);
    const names = ["a1", "a2", "a3", "a4", "a5"];
    const tars = await Promise.all(names.map((n) => tarball(n, "1.0.0")));
    const answers = await Promise.all(
      tars.map((t) => handler(req("POST", "/api/publish", key, t.tarball)).then(answer)),
    );
    assert.deepEqual(answers.map((a) => a.status), [201, 201, 201, 201, 201]);
    assert.equal(most, 1);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
