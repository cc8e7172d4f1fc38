// deno-lint-ignore-file no-console -- a developer script: its output is the console
/**
 * Fails when a module crosses a layer: only `src/deno_deps.ts` may touch
 * `Deno.*`; nothing in `src/` writes to the console; the pure layers (tasks,
 * project, hex, tarball, erlang) never import the command framework.
 *
 * usage: deno task layers
 */
import { join, relative } from "node:path";

/** One broken rule. */
export interface Violation {
  file: string;
  line: number;
  rule: string;
}

const PURE = ["src/tasks/", "src/project/", "src/hex/", "src/tarball/", "src/erlang/"];

/** Checks source files (path relative to the repo root, and text). */
export function findViolations(files: { path: string; text: string }[]): Violation[] {
  const out: Violation[] = [];
  for (const { path, text } of files) {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, "");
      if (/^\s*\*|^\s*\/\*/.test(line)) return;
      if (path !== "src/deno_deps.ts" && /\bDeno\./.test(code)) {
        out.push({ file: path, line: i + 1, rule: "Deno.* is used only in src/deno_deps.ts" });
      }
      if (/\bconsole\./.test(code)) {
        out.push({
          file: path,
          line: i + 1,
          rule: "src/ writes output through deps.out, never console",
        });
      }
      if (PURE.some((p) => path.startsWith(p)) && /from "\.\.\/ui\//.test(code)) {
        out.push({
          file: path,
          line: i + 1,
          rule: "tasks and pure layers report through deps, not ui/",
        });
      }
      if (PURE.some((p) => path.startsWith(p)) && /from "(commander|@commander-js\/)/.test(code)) {
        out.push({
          file: path,
          line: i + 1,
          rule: "pure layers do not import the command framework",
        });
      }
    });
  }
  return out;
}

async function sources(root: string, dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for await (const e of Deno.readDir(join(root, dir))) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await sources(root, p));
    else if (e.name.endsWith(".ts")) {
      out.push({ path: p, text: await Deno.readTextFile(join(root, p)) });
    }
  }
  return out;
}

if (import.meta.main) {
  const root = relative(Deno.cwd(), new URL("..", import.meta.url).pathname) || ".";
  const violations = findViolations(await sources(root, "src"));
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.rule}`);
  console.log(violations.length ? `${violations.length} layer violations` : "layers ok");
  Deno.exit(violations.length ? 1 : 0);
}
