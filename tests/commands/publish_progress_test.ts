/**
 * Upload progress through the whole CLI: `runCli` keeps the output's
 * `progress` (the bar's port) through its wrappers, and the bar's events
 * reach it for a package of 1 MiB or more; without it, plain lines.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import type { ProgressEvent } from "../../src/ports.ts";
import { makeProject } from "../support/project.ts";
import { fakeWithKey, publishEnv, widget } from "../tasks/_publish_env.ts";

Deno.test("hexpub publish: a 1 MiB package reports progress through runCli's output", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.1.0"));
  await Deno.mkdir(join(cwd, "priv"));
  const noise = new Uint8Array(1.1 * 1024 * 1024);
  for (let at = 0; at < noise.length; at += 65536) {
    crypto.getRandomValues(noise.subarray(at, at + 65536));
  }
  await Deno.writeFile(join(cwd, "priv/noise.bin"), noise);
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  const events: ProgressEvent[] = [];
  deps.out = { ...deps.out, progress: (e) => events.push(e) };
  const code = await runCli(["publish", "package", "--yes", "--json"], deps);
  assert.equal(code, 0, deps.stderr.join("\n"));
  assert.equal(events[0].label, "Uploading widget-0.1.0.tar");
  assert.equal(events.at(-1)?.finished, true);
  assert.equal(deps.stdout.length, 1, "--json: one document on stdout, the bar is not there");
  assert.equal(JSON.parse(deps.stdout[0]).published[0].name, "widget");
});
