import { strict as assert } from "node:assert";
import { verifyCommand } from "../../src/commands/verify.ts";
import { formatError } from "../../src/ui/format_error.ts";
import type { VerifyInput, VerifyResult } from "../../src/tasks/verify.ts";
import { testDeps } from "../support/test_deps.ts";

const SAME: VerifyResult = {
  name: "widget",
  version: "1.0.0",
  repository: "hexpm",
  identical: true,
  built: "ab".repeat(32),
  published: "ab".repeat(32),
  notes: [],
  warnings: [],
};

async function verify(args: string[], result: VerifyResult) {
  const deps = testDeps("/tmp");
  let seen: VerifyInput | undefined;
  const cmd = verifyCommand(deps, (_deps, input) => {
    seen = input;
    return Promise.resolve(result);
  });
  cmd.exitOverride();
  let error: unknown;
  try {
    await cmd.parseAsync(args, { from: "user" });
  } catch (e) {
    error = e;
  }
  return { input: seen!, stdout: deps.stdout, error };
}

Deno.test("verify flags map onto the task input; identical prints one line and exits 0", async () => {
  const r = await verify(["-a", "widget", "-r", "hexpm:acme", "--strict"], SAME);
  assert.deepEqual(r.input, { app: "widget", repo: "hexpm:acme", strict: true });
  assert.equal(r.error, undefined);
  assert.deepEqual(r.stdout, [
    `reproducible: identical to hexpm's widget 1.0.0 (checksum ${"ab".repeat(32)})`,
  ]);
});

Deno.test("verify exits 1 when the release differs, after printing what differs (or the JSON)", async () => {
  const differs: VerifyResult = {
    ...SAME,
    identical: false,
    built: "cd".repeat(32),
    diff: { against: "1.0.0", added: ["src/x.erl"], removed: [], changed: [], metadata: [] },
  };
  const text = await verify([], differs);
  assert.equal(formatError(text.error).code, 1);
  assert.match(text.stdout.join("\n"), /not reproducible[\s\S]*\+ src\/x\.erl/);
  const json = await verify(["--json"], differs);
  assert.equal(formatError(json.error).code, 1);
  assert.equal(JSON.parse(json.stdout.join("\n")).identical, false);
});
