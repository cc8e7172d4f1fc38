/**
 * `hexpub publish` as the CLI runs it, in-process: stdout holds exactly one
 * JSON document with `--json` (the summary and progress go to stderr), and the
 * human output shows the summary, then the result, on stdout.
 */
import { strict as assert } from "node:assert";
import { runCli } from "../../src/cli.ts";
import type { PublishResult } from "../../src/tasks/publish.ts";
import { makeProject } from "../support/project.ts";
import { fakeWithKey, publishEnv, widget } from "../tasks/_publish_env.ts";

/** stdout parsed as one JSON document (fails on anything else there). */
function onlyJson(stdout: string[]): PublishResult {
  return JSON.parse(stdout.join("\n"));
}

Deno.test("publish --json prints one JSON document on stdout: the result, with the checksum read back", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.1.0"));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  assert.equal(await runCli(["publish", "--yes", "--json", "--doc-dir", "doc"], deps), 0);
  const result = onlyJson(deps.stdout);
  assert.equal(result.published[0].name, "widget");
  assert.equal(result.published[0].checksum, fake.release("widget", "0.1.0")!.checksum);
  assert.equal(result.published[0].verified, true);
  assert.equal(result.published[0].docs, "published");
  assert.match(deps.stderr.join("\n"), /^Publishing widget 0\.1\.0 to hexpm$/m);
});

Deno.test("publish --dry-run --json prints one JSON document on stdout, with the diff", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.1.0"));
  await runCli(
    ["publish", "package", "--yes"],
    (await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } })).deps,
  );
  const { deps } = await publishEnv(await makeProject(widget("0.2.0")), { fake });
  assert.equal(await runCli(["publish", "package", "--dry-run", "--json"], deps), 0);
  const [p] = onlyJson(deps.stdout).published;
  assert.equal(p.dryRun, true);
  assert.equal(p.version, "0.2.0");
  assert.equal(p.diff?.against, "0.1.0");
  assert.match(
    deps.stderr.join("\n"),
    /Publishing widget 0\.2\.0 to hexpm[\s\S]*nothing was uploaded/,
  );

  const revert = await publishEnv(cwd, { fake });
  assert.equal(
    await runCli(["publish", "--revert", "0.1.0", "--dry-run", "--json"], revert.deps),
    0,
  );
  assert.deepEqual(onlyJson(revert.deps.stdout).reverted, {
    name: "widget",
    version: "0.1.0",
    what: "package",
    repo: "hexpm",
    dryRun: true,
  });
});

Deno.test("publish without --json: the summary, then the result, on stdout", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.1.0"));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  assert.equal(await runCli(["publish", "package", "--yes"], deps), 0);
  const out = deps.stdout.join("\n");
  assert.match(out, /^Publishing widget 0\.1\.0 to hexpm\n {2}Description: A widget\n/);
  assert.match(out, /Be aware, you are publishing to the public Hexpm repository/);
  assert.match(out, /\nPublished widget 0\.1\.0\n/);
  assert.ok(out.indexOf("Publishing") < out.indexOf("Published"));
  assert.doesNotMatch(out, /Uploading/, "progress goes to stderr");
});
