/**
 * Real ports for tests (real files, real processes), with output captured and
 * prompts scripted: the only doubles are at the terminal edge.
 */
import { denoFs, denoRun, denoWhich } from "../../src/deno_deps.ts";
import type { Deps } from "../../src/ports.ts";
import { formatProblem } from "../../src/ui/format_error.ts";

/** Ports plus what was written to them. */
export interface TestDeps extends Deps {
  stdout: string[];
  stderr: string[];
  /** What select prompts were shown. */
  asked: string[];
}

/** Builds test ports rooted at `cwd`. */
export function testDeps(
  cwd: string,
  options: { isTerminal?: boolean; env?: Record<string, string>; answers?: string[] } = {},
): TestDeps {
  const env = { ...Deno.env.toObject(), ...(options.env ?? {}) };
  const stdout: string[] = [];
  const stderr: string[] = [];
  const asked: string[] = [];
  const answers = [...(options.answers ?? [])];
  return {
    cwd,
    env,
    fs: denoFs(cwd),
    run: denoRun,
    which: (cmd) => denoWhich(cmd, env),
    out: {
      print: (l) => stdout.push(l),
      warn: (l) => stderr.push(l),
      info: (l) => stderr.push(l),
      problem: (p) => stderr.push(formatProblem(p)),
    },
    color: false,
    isTerminal: options.isTerminal ?? false,
    prompt: {
      select: (message, choices) => {
        asked.push(message);
        const a = answers.shift();
        if (a === undefined || !choices.includes(a)) {
          return Promise.reject(new Error(`unexpected prompt "${message}"`));
        }
        return Promise.resolve(a);
      },
    },
    stdout,
    stderr,
    asked,
  };
}
