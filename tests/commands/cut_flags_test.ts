/**
 * `hexpub cut` takes the publish flags its hints suggest (`--doc-dir`, `--otp`,
 * `--replace`) and hands them to the cut, whose publish step passes them on
 * (tests/tasks/cut_test.ts follows them into the publish).
 */
import { strict as assert } from "node:assert";
import { cutCommand } from "../../src/commands/cut.ts";
import type { cut, CutInput } from "../../src/tasks/cut.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("cut --doc-dir/--otp/--replace reach the cut's input; without them, nothing is set", async () => {
  const seen: CutInput[] = [];
  const run: typeof cut = (_deps, input) => {
    seen.push(input);
    return Promise.resolve({
      app: "demo",
      previousVersion: "1.0.0",
      version: "1.0.1",
      tag: "v1.0.1",
      vsnSource: "literal",
      branch: "main",
      remote: "origin",
      pushed: true,
      published: true,
      dryRun: false,
    });
  };
  const deps = testDeps(Deno.cwd());
  await cutCommand(deps, run).parseAsync(
    ["-i", "patch", "--yes", "--doc-dir", "doc", "--otp", "123456", "--replace"],
    { from: "user" },
  );
  await cutCommand(deps, run).parseAsync(["-i", "patch", "--yes"], { from: "user" });
  assert.deepEqual(
    seen.map((s) => [s.docDir, s.otp, s.replace]),
    [["doc", "123456", true], [undefined, undefined, false]],
  );
  assert.deepEqual(deps.stdout, ["Cut demo 1.0.1 (tag v1.0.1)", "Cut demo 1.0.1 (tag v1.0.1)"]);
});
