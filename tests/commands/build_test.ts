import { strict as assert } from "node:assert";
import { buildCommand } from "../../src/commands/build.ts";
import type { BuildInput, BuildResult } from "../../src/tasks/build.ts";
import { testDeps } from "../support/test_deps.ts";

async function parsed(args: string[]): Promise<BuildInput> {
  const deps = testDeps(Deno.cwd());
  let seen: BuildInput | undefined;
  const cmd = buildCommand(deps, (_deps, input) => {
    seen = input;
    return Promise.resolve({ warnings: [] } as BuildResult);
  });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  return seen!;
}

Deno.test("build flags map onto the task input", async () => {
  assert.deepEqual(await parsed([]), {
    target: "all",
    app: undefined,
    output: undefined,
    unpack: false,
    repo: "hexpm",
    docDir: undefined,
    strict: false,
  });
  assert.deepEqual(
    await parsed([
      "docs",
      "-a",
      "beta",
      "-o",
      "x",
      "-u",
      "-r",
      "hexpm:acme",
      "--doc-dir",
      "d",
      "--strict",
    ]),
    {
      target: "docs",
      app: "beta",
      output: "x",
      unpack: true,
      repo: "hexpm:acme",
      docDir: "d",
      strict: true,
    },
  );
  assert.equal((await parsed(["package", "--app=alpha"])).app, "alpha");
});

Deno.test("build rejects an unknown target before running the task", async () => {
  await assert.rejects(parsed(["tarball"]), /unknown build target "tarball"/);
});
