import { strict as assert } from "node:assert";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { buildCommand } from "../../src/commands/build.ts";
import type { BuildInput, BuildResult } from "../../src/tasks/build.ts";
import { makeProject } from "../support/project.ts";
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

Deno.test("build shows the files of its findings relative to the working directory, in --json too", async () => {
  const root = await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "src/tiny.app.src": `{application, tiny,\n [{vsn, "0.1.0"},\n  {licenses, ["apache 2"]}]}.\n`,
    "src/tiny.erl": "-module(tiny).\n",
  });
  try {
    const deps = testDeps(root);
    assert.equal(await runCli(["build", "--json", "-o", "out/tiny.tar"], deps), 0);
    const json = JSON.parse(deps.stdout.join("\n"));
    const files = json.warnings.map((w: { file: string | null }) => w.file);
    assert.ok(files.includes(join("src", "tiny.app.src")), JSON.stringify(json.warnings));
    // The tarball's own path stays absolute, as before.
    assert.equal(json.package.path, join(root, "out", "tiny.tar"));
    const err = deps.stderr.join("\n");
    assert.match(err, /warning: src\/tiny\.app\.src:3:\d+: .*"apache 2"/);
    assert.ok(!err.includes(root), err);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
