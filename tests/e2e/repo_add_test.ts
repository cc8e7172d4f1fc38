/**
 * Smoke test of `hexpub repo add` as a process: with stdin closed there is no
 * terminal, so it never waits for an answer. The use case (add, list, remove,
 * refusals) is tested in process in tests/commands/repo_add_test.ts.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { configDirOf, makeHome, runHexpub } from "../support/e2e.ts";
import { withServedRepo } from "../support/http.ts";

Deno.test("repo add without a terminal never waits: it names the flags", async () => {
  await withServedRepo(async ({ url, work }) => {
    const home = await makeHome();
    const r = await runHexpub(["repo", "add", "team", url], { cwd: work, home });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs confirming and there is no terminal/);
    assert.match(r.stderr, /--fetch-public-key FINGERPRINT/);
    assert.equal(await Deno.stat(join(configDirOf(home), "config.json")).catch(() => null), null);
  });
});
