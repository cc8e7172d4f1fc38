import { strict as assert } from "node:assert";
import { findViolations } from "../../scripts/check_layers.ts";

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
