/**
 * The hexpub process writing to a pipe whose reader is gone (`hexpub build |
 * head -1`): it ends quietly, as gh and cargo do, with no "Broken pipe"
 * error on stderr.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { spawnHexpub } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";

Deno.test("hexpub build into a closed pipe exits 0 without a word on stderr", async () => {
  const cwd = await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "src/tiny.app.src":
      `{application, tiny, [{description, "Tiny"}, {vsn, "0.1.0"}, {licenses, ["MIT"]}]}.\n`,
    "src/tiny.erl": "-module(tiny).\n",
  });
  for (const args of [["build", "package", "-o", "out/tiny.tar"], ["--help"]]) {
    const { child } = await spawnHexpub(args, { cwd });
    // The reader goes away before hexpub (still starting) writes anything.
    await child.stdout.cancel();
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    assert.equal(status.code, 0, stderr);
    assert.doesNotMatch(stderr, /Broken pipe|report it|error/i);
  }
  assert.ok((await Deno.stat(join(cwd, "out", "tiny.tar"))).isFile);
});
