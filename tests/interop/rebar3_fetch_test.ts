/**
 * Real rebar3 installs from `hexpub serve`: two packages published through the
 * API (bb depends on aa; see tests/support/lock_repo.ts), then `rebar3 compile`
 * in a project that replaces the hexpm repository with ours on 127.0.0.1. HOME and REBAR_CACHE_DIR are temp
 * directories, so rebar3 sees no other configuration and no cached packages;
 * `repos, replace` drops hexpm, so the only server rebar3 talks to is ours.
 * (Setting http_proxy to a dead port to enforce that does not work: rebar3
 * 3.19 sends 127.0.0.1 requests through the proxy too, ignoring no_proxy.)
 * Skips visibly without Erlang (see ./erlang.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startLockRepo } from "../support/lock_repo.ts";
import { interopTest, rebar3Env, runRebar3, writeRebarApp } from "./erlang.ts";

interopTest("rebar3 compile fetches a package and its dependency from hexpub serve", async () => {
  const work = await Deno.makeTempDir({ prefix: "hexpub-rebar3-fetch-" });
  const repo = await startLockRepo(work, [
    { name: "aa", version: "1.0.0" },
    { name: "bb", version: "0.2.0", deps: [{ pkg: "aa", requirement: "~> 1.0" }] },
  ]);
  const { seen } = repo;
  try {
    const project = join(work, "app");
    await writeRebarApp(project, `{deps, [bb]}.\n${repo.reposConfig}`, ["bb"]);
    const env = await rebar3Env(work);
    const first = await runRebar3(project, ["compile"], env);
    assert.equal(first.code, 0, first.log + seen.join("\n"));
    for (const app of ["aa", "bb"]) {
      const ebin = join(project, "_build", "default", "lib", app, "ebin");
      assert.ok((await Deno.stat(join(ebin, `${app}.beam`))).isFile, first.log);
      assert.ok((await Deno.stat(join(ebin, `${app}.app`))).isFile, first.log);
    }
    const lock = await Deno.readTextFile(join(project, "rebar.lock"));
    assert.match(lock, /<<"aa">>,\{pkg,<<"aa">>,<<"1\.0\.0">>\}/);
    assert.match(lock, /<<"bb">>,\{pkg,<<"bb">>,<<"0\.2\.0">>\}/);
    for (
      const r of [
        "/packages/aa",
        "/packages/bb",
        "/tarballs/aa-1.0.0.tar",
        "/tarballs/bb-0.2.0.tar",
      ]
    ) {
      assert.ok(seen.includes(`GET ${r} 200`), seen.join("\n"));
    }
    seen.length = 0;

    // A second run from a clean build reuses the cache and gets 304s.
    await Deno.remove(join(project, "_build"), { recursive: true });
    const second = await runRebar3(project, ["compile"], env);
    assert.equal(second.code, 0, second.log);
    // rebar3 sends If-None-Match with the cached tarballs' ETags and accepts 304.
    assert.deepEqual(seen.sort(), [
      "GET /tarballs/aa-1.0.0.tar 304",
      "GET /tarballs/bb-0.2.0.tar 304",
    ]);
  } finally {
    await repo.close();
  }
});
