import { strict as assert } from "node:assert";
import { fetchCommand } from "../../src/commands/fetch.ts";
import { infoCommand } from "../../src/commands/info.ts";
import { runCli } from "../../src/cli.ts";
import type { FetchInput, FetchResult } from "../../src/tasks/fetch.ts";
import type { InfoInput, InfoResult } from "../../src/tasks/info.ts";
import { testDeps } from "../support/test_deps.ts";

const INFO: InfoResult = {
  kind: "package",
  name: "widget",
  repository: "hexpm",
  latestStable: "1.0.0",
  versions: [{ version: "1.0.0", prerelease: false, dependencies: 0 }],
};

async function info(args: string[]) {
  const deps = testDeps(Deno.cwd());
  let seen: InfoInput | undefined;
  const cmd = infoCommand(deps, (_deps, input) => {
    seen = input;
    return Promise.resolve(INFO);
  });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  return { input: seen!, stdout: deps.stdout };
}

const FETCHED: FetchResult = {
  name: "widget",
  version: "1.0.0",
  repository: "hexpm",
  checksum: "ab".repeat(32),
  path: "/tmp/widget-1.0.0.tar",
  unpacked: false,
  size: 10,
};

async function fetch(args: string[]) {
  const deps = testDeps("/tmp");
  let seen: FetchInput | undefined;
  const cmd = fetchCommand(deps, (_deps, input) => {
    seen = input;
    return Promise.resolve(FETCHED);
  });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  return { input: seen!, stdout: deps.stdout };
}

Deno.test("info flags map onto the task input; --json prints the result as one object", async () => {
  assert.deepEqual((await info(["widget"])).input, {
    name: "widget",
    version: undefined,
    repo: undefined,
  });
  assert.deepEqual((await info(["widget", "1.0.0", "-r", "hexpm:acme"])).input, {
    name: "widget",
    version: "1.0.0",
    repo: "hexpm:acme",
  });
  const json = await info(["widget", "--json"]);
  assert.deepEqual(JSON.parse(json.stdout.join("\n")), INFO);
  assert.match((await info(["widget"])).stdout.join("\n"), /Latest stable version: 1\.0\.0/);
});

Deno.test("fetch flags map onto the task input", async () => {
  assert.deepEqual((await fetch(["widget"])).input, {
    name: "widget",
    spec: undefined,
    repo: undefined,
    output: undefined,
    unpack: false,
  });
  assert.deepEqual(
    (await fetch(["widget", "~> 1.0", "-r", "local", "-o", "deps", "--unpack"])).input,
    { name: "widget", spec: "~> 1.0", repo: "local", output: "deps", unpack: true },
  );
  const text = (await fetch(["widget"])).stdout.join("\n");
  assert.match(text, /Fetched widget 1\.0\.0 from repository hexpm/);
  assert.match(text, /Saved to: widget-1\.0\.0\.tar/);
  assert.deepEqual(JSON.parse((await fetch(["widget", "--json"])).stdout.join("\n")), FETCHED);
});

Deno.test("info and fetch are registered, and a missing package argument is a usage error", async () => {
  const deps = testDeps(Deno.cwd());
  assert.equal(await runCli(["--help"], deps), 0);
  const help = deps.stdout.join("\n");
  assert.match(help, /\binfo\b/);
  assert.match(help, /\bfetch\b/);
  const bad = testDeps(Deno.cwd());
  assert.equal(await runCli(["info"], bad), 2);
  assert.match(bad.stderr.join("\n"), /missing required argument 'package'/);
  const fetchHelp = testDeps(Deno.cwd());
  assert.equal(await runCli(["fetch", "--help"], fetchHelp), 0);
  assert.match(fetchHelp.stdout.join("\n"), /signed registry/);
});
