/**
 * Evaluating a `.script` is bounded: by time (HEXPUB_CMD_TIMEOUT), by what escript prints and by
 * the size of the script and of its result, each with an error naming the script and the limit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ProjectError } from "../../src/errors.ts";
import { consultFile } from "../../src/project/consult.ts";
import { interopTest } from "../interop/erlang.ts";
import { makeProject } from "../support/project.ts";
import { hostPath, testDeps } from "../support/test_deps.ts";

const APP_SRC = '{application, lim, [{vsn, "1.0.0"}]}.\n';

async function evaluate(script: string, env: Record<string, string> = {}) {
  const dir = await makeProject({ "src/lim.app.src": APP_SRC, "src/lim.app.src.script": script });
  const file = join(dir, "src/lim.app.src.script");
  const deps = testDeps(dir, { env: { ...hostPath(), ...env } });
  return { file, run: () => consultFile(deps, join(dir, "src/lim.app.src")) };
}

const failsWith = (file: string, pattern: RegExp, hint?: RegExp) => (e: unknown) =>
  e instanceof ProjectError && e.where?.file === file && e.message.includes(file) &&
  pattern.test(e.message) && (!hint || hint.test(e.hint ?? ""));

interopTest("a .script that runs past HEXPUB_CMD_TIMEOUT is stopped, naming it", async () => {
  const t = await evaluate("timer:sleep(5000), CONFIG.\n", { HEXPUB_CMD_TIMEOUT: "0.5" });
  await assert.rejects(
    t.run(),
    failsWith(t.file, /escript did not finish within 0\.5 s/, /HEXPUB_CMD_TIMEOUT/),
  );
});

interopTest("a .script printing more than 8 MiB is stopped, naming it and the cap", async () => {
  const t = await evaluate('io:put_chars(binary:copy(<<"x">>, 20000000)), CONFIG.\n');
  await assert.rejects(t.run(), failsWith(t.file, /printed more than 8 MiB on stdout/));
});

interopTest(
  "a .script whose result is larger than 1 MiB is refused, naming it and the cap",
  async () => {
    const t = await evaluate(
      '[{application, lim, [{vsn, "1.0.0"}, {description, binary:copy(<<"x">>, 3000000)}]}].\n',
    );
    await assert.rejects(t.run(), failsWith(t.file, /returned a result larger than 1 MiB/));
    // The script itself is read by Erlang: it is bounded too, before escript starts.
    const big = await evaluate(`%% ${"x".repeat(1024 * 1024)}\nCONFIG.\n`);
    await assert.rejects(big.run(), failsWith(big.file, /larger than 1 MiB/));
  },
);
