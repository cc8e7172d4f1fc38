/**
 * `--help` of every command, compared with the snapshots in
 * `tests/__snapshots__/help/` (`UPDATE_SNAPSHOTS=1` rewrites them). The command
 * list is read from the command tree, so a new command gets a snapshot (and a
 * removed one leaves a stale file that fails the last test).
 */
import { strict as assert } from "node:assert";
import type { Command } from "@commander-js/extra-typings";
import { rootCommand } from "../../src/commands/root.ts";
import { formatError } from "../../src/ui/format_error.ts";
import { assertNoStaleSnapshots, assertSnapshot, snapshotFile } from "../support/snapshot.ts";
import { testDeps } from "../support/test_deps.ts";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

/**
 * Every command path under `cmd` (the root's own is `[]`), depth first; the
 * `help` command of each group is left out (tested below, once).
 */
function commandPaths(cmd: AnyCommand, prefix: string[] = []): string[][] {
  return [
    prefix,
    ...cmd.commands.filter((sub) => sub.name() !== "help").flatMap((sub) =>
      commandPaths(sub as AnyCommand, [...prefix, sub.name()])
    ),
  ];
}

/**
 * What `hexpub PATH --help` prints, as `runCli` would (same tree, same exit code
 * mapping), with the help width pinned to commander's default of 80 columns: run
 * from a terminal, commander would otherwise wrap at its width.
 */
async function helpOf(
  path: string[],
  flag: string[] = ["--help"],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const deps = testDeps(Deno.cwd());
  const root = rootCommand(deps) as unknown as AnyCommand;
  const pin = (cmd: AnyCommand) => {
    cmd.configureOutput({ getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
    for (const sub of cmd.commands) pin(sub as AnyCommand);
  };
  pin(root);
  let code = 0;
  try {
    await root.parseAsync([...path, ...flag], { from: "user" });
  } catch (err) {
    code = formatError(err).code;
  }
  return { code, stdout: deps.stdout.join("\n"), stderr: deps.stderr.join("\n") };
}

const paths = commandPaths(rootCommand(testDeps(Deno.cwd())) as unknown as AnyCommand);
const nameOf = (path: string[]) => ["hexpub", ...path].join(" ");

Deno.test("the command tree has the commands README documents", () => {
  const top = paths.filter((p) => p.length === 1).map((p) => p[0]);
  for (
    const name of [
      "build",
      "publish",
      "cut",
      "owner",
      "retire",
      "user",
      "organization",
      "search",
      "info",
      "fetch",
      "repo",
      "serve",
    ]
  ) assert.ok(top.includes(name), `hexpub ${name} exists`);
  // Every snapshot name maps to its own file.
  const files = new Set(paths.map((p) => snapshotFile("help", nameOf(p))));
  assert.equal(files.size, paths.length);
});

for (const path of paths) {
  Deno.test(`${nameOf(path)} --help matches its snapshot`, async () => {
    const help = await helpOf(path);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stderr, "");
    assert.match(help.stdout, /^Usage: hexpub/);
    await assertSnapshot("help", nameOf(path), help.stdout);
  });
}

Deno.test("every help snapshot belongs to a command", async () => {
  await assertNoStaleSnapshots("help", [...paths.map(nameOf), "hexpub help user key"]);
});

Deno.test("hexpub help user key shows the nested group's help, as `user key --help` does", async () => {
  const nested = await helpOf(["help", "user", "key"], []);
  assert.equal(nested.code, 0, nested.stderr);
  assert.equal(nested.stdout, (await helpOf(["user", "key"])).stdout);
  await assertSnapshot("help", "hexpub help user key", nested.stdout);
  const deeper = await helpOf(["user", "help", "key", "generate"], []);
  assert.equal(deeper.stdout, (await helpOf(["user", "key", "generate"])).stdout);
  assert.equal((await helpOf(["help"], [])).stdout, (await helpOf([])).stdout);
  const unknown = await helpOf(["help", "user", "nope"], []);
  assert.equal(unknown.code, 2);
});
