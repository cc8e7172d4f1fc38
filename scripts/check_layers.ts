// deno-lint-ignore-file no-console -- a developer script: its output is the console
/**
 * Fails when a module crosses a layer: only `src/deno_deps.ts` may touch
 * `Deno.*`; nothing in `src/` writes to the console; the pure layers (tasks,
 * project, hex, tarball, erlang) never import the command framework; a folder
 * imports only from folders below it in {@link LAYERS} (commands never from
 * repository/); and no two modules import each other, directly or through others.
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

/**
 * The folders of `src/`, lowest first: each may import from itself and the ones
 * before it, never from one after it. Top-level files are named as they are.
 */
export const LAYERS: readonly string[][] = [
  ["errors.ts", "version.ts", "ports.ts"],
  ["erlang", "rules", "io"],
  ["tarball"],
  ["registry"],
  ["hex"],
  ["project"],
  ["config"],
  ["repository"],
  ["tasks"],
  ["ui"],
  ["commands"],
  ["cli.ts", "deno_deps.ts"],
];

/** Imports that the order allows but the design does not. */
const FORBIDDEN: [from: string, to: string, why: string][] = [
  [
    "commands",
    "repository",
    "commands reach a repository through tasks/ (tasks/serve.ts, tasks/repo.ts)",
  ],
];

function folderOf(path: string): string {
  const rest = path.replace(/^src\//, "");
  const slash = rest.indexOf("/");
  return slash < 0 ? rest : rest.slice(0, slash);
}

function rankOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/** Relative imports of a file, resolved against its path (`src/a/b.ts`). */
function importsOf(path: string, text: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  text.split("\n").forEach((line, i) => {
    const m = line.match(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/);
    if (!m) return;
    const parts = path.split("/").slice(0, -1);
    for (const seg of m[1].split("/")) {
      if (seg === "..") parts.pop();
      else if (seg !== ".") parts.push(seg);
    }
    out.push({ line: i + 1, target: parts.join("/") });
  });
  return out;
}

/** Folder-order, forbidden-import and cycle violations. */
export function findOrderViolations(files: { path: string; text: string }[]): Violation[] {
  const out: Violation[] = [];
  const graph = new Map<string, string[]>();
  for (const { path, text } of files) {
    const from = folderOf(path);
    const deps: string[] = [];
    for (const { line, target } of importsOf(path, text)) {
      deps.push(target);
      const to = folderOf(target);
      if (from === to) continue;
      const [a, b] = [rankOf(from), rankOf(to)];
      if (a < 0) {
        out.push({
          file: path,
          line,
          rule: `src/${from} has no place in LAYERS (scripts/check_layers.ts)`,
        });
      } else if (b > a) {
        out.push({
          file: path,
          line,
          rule: `${from} is below ${to} in the layer order: it may not import it`,
        });
      }
      for (const [f, t, why] of FORBIDDEN) {
        if (from === f && to === t) out.push({ file: path, line, rule: why });
      }
    }
    graph.set(path, deps);
  }
  // Cycles: a depth-first walk that meets a module still on its path.
  const state = new Map<string, "open" | "done">();
  const reported = new Set<string>();
  const visit = (node: string, stack: string[]) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "open") {
      const cycle = [...stack.slice(stack.indexOf(node)), node];
      const key = [...cycle].sort().join(" ");
      if (!reported.has(key)) {
        reported.add(key);
        out.push({ file: node, line: 1, rule: `import cycle: ${cycle.join(" -> ")}` });
      }
      return;
    }
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) if (graph.has(next)) visit(next, [...stack, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
  return out;
}

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
  const files = (await sources(root, "src")).map((f) => ({
    ...f,
    path: f.path.replaceAll("\\", "/").replace(/^(\.\/)?/, ""),
  }));
  const violations = [...findViolations(files), ...findOrderViolations(files)];
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.rule}`);
  console.log(violations.length ? `${violations.length} layer violations` : "layers ok");
  Deno.exit(violations.length ? 1 : 0);
}
