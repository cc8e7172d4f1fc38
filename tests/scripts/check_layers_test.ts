import { strict as assert } from "node:assert";
import { findOrderViolations, findViolations } from "../../scripts/check_layers.ts";

Deno.test("findViolations() flags Deno.*, console and commander where they do not belong", () => {
  const v = findViolations([
    { path: "src/deno_deps.ts", text: "Deno.exit(1);" },
    { path: "src/tasks/x.ts", text: 'import { Command } from "commander";\nDeno.readFile("x");' },
    { path: "src/ui/y.ts", text: "console.log(1); // console.error" },
    { path: "src/commands/z.ts", text: 'import { Command } from "@commander-js/extra-typings";' },
    { path: "src/tasks/w.ts", text: 'import { formatProblem } from "../ui/format_error.ts";' },
  ]);
  assert.deepEqual(v.map((x) => `${x.file}:${x.line}`), [
    "src/tasks/x.ts:1",
    "src/tasks/x.ts:2",
    "src/ui/y.ts:1",
    "src/tasks/w.ts:1",
  ]);
});

Deno.test("the repository's own src/ has no layer violations", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      new URL("../../scripts/check_layers.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
});

Deno.test("findOrderViolations() flags an import up the layer order, commands into repository/, and cycles", () => {
  const v = findOrderViolations([
    { path: "src/tarball/a.ts", text: 'import { x } from "../tasks/b.ts";\n' },
    { path: "src/tasks/b.ts", text: 'import { y } from "../tarball/a.ts";\n' },
    { path: "src/commands/c.ts", text: 'import { z } from "../repository/store.ts";\n' },
    { path: "src/tasks/d.ts", text: 'import { e } from "./e.ts";\n' },
    { path: "src/tasks/e.ts", text: 'import type { d } from "./d.ts";\n' },
    {
      path: "src/tasks/ok.ts",
      text: 'import { f } from "../hex/f.ts";\nimport { g } from "../errors.ts";\n',
    },
  ]);
  const rules = v.map((x) => `${x.file}:${x.line} ${x.rule}`);
  assert.ok(
    rules.some((r) => r.startsWith("src/tarball/a.ts:1 tarball is below tasks")),
    rules.join("\n"),
  );
  assert.ok(rules.some((r) => r.startsWith("src/commands/c.ts:1 commands reach a repository")));
  assert.ok(
    rules.some((r) =>
      /import cycle: src\/tasks\/d\.ts -> src\/tasks\/e\.ts -> src\/tasks\/d\.ts/.test(r)
    ),
  );
  assert.ok(rules.some((r) => /import cycle: .*src\/tarball\/a\.ts/.test(r)));
  assert.ok(!rules.some((r) => r.startsWith("src/tasks/ok.ts")));
});

Deno.test("the source tree keeps the layer order and has no import cycle", async () => {
  const root = new URL("../../", import.meta.url);
  const files: { path: string; text: string }[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, root))) {
      if (e.isDirectory) await walk(`${dir}${e.name}/`);
      else if (e.name.endsWith(".ts")) {
        files.push({
          path: `${dir}${e.name}`,
          text: await Deno.readTextFile(new URL(`${dir}${e.name}`, root)),
        });
      }
    }
  };
  await walk("src/");
  assert.ok(files.length > 100);
  assert.deepEqual(findOrderViolations(files), []);
});
