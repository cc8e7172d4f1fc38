/** The real `run` port: output caps and time limits stop the child and say why. */
import { strict as assert } from "node:assert";
import { denoRun } from "../src/deno_deps.ts";

Deno.test("denoRun() kills a child past timeoutMs, even while a grandchild holds its pipes", async () => {
  const r = await denoRun("sh", ["-c", "echo started; sleep 2 | cat; echo late"], {
    cwd: Deno.cwd(),
    timeoutMs: 200,
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.stdout, "started\n");
  assert.equal(r.overflow, undefined);
});

Deno.test("denoRun() keeps at most maxOutputBytes of each stream and kills the child past it", async () => {
  const r = await denoRun("sh", ["-c", "head -c 5000000 /dev/zero; echo never"], {
    cwd: Deno.cwd(),
    maxOutputBytes: 1000,
  });
  assert.equal(r.overflow, "stdout");
  assert.equal(r.stdout.length, 1000);
  const e = await denoRun("sh", ["-c", "head -c 5000 /dev/zero >&2"], {
    cwd: Deno.cwd(),
    maxOutputBytes: 1000,
  });
  assert.equal(e.overflow, "stderr");
  // Within the limits nothing changes.
  const ok = await denoRun("sh", ["-c", "echo out; echo err >&2; exit 3"], {
    cwd: Deno.cwd(),
    maxOutputBytes: 1000,
    timeoutMs: 30_000,
  });
  assert.deepEqual(ok, { code: 3, stdout: "out\n", stderr: "err\n" });
});
