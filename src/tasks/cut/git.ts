/**
 * git for `cut`: runs in the project root, never waits for a password
 * without a terminal, and reports failures with what git said.
 *
 * @module
 */
import { HexpubError } from "../../errors.ts";
import type { Deps, RunResult } from "../../ports.ts";

/** git in the project root. */
export class Git {
  constructor(private deps: Deps, private cwd: string) {}

  /** Runs git; never throws for a non-zero exit. */
  run(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    const base: Record<string, string> = { ...this.deps.env };
    // Without a terminal, fail instead of waiting for a password nobody can type.
    if (!this.deps.isTerminal) base.GIT_TERMINAL_PROMPT = "0";
    return this.deps.run("git", args, { cwd: this.cwd, env: { ...base, ...env } });
  }

  /**
   * Runs git and returns its stdout.
   *
   * @throws {HexpubError} On a non-zero exit, with what git said.
   */
  async ok(doing: string, args: string[]): Promise<string> {
    const r = await this.run(args);
    if (r.code !== 0) {
      const said = gitSaid(r);
      throw new HexpubError(
        `${doing} failed: git ${args[0]} exited with ${r.code}${said ? `:\n  ${said}` : ""}`,
      );
    }
    return r.stdout;
  }
}

/** The last lines git wrote to stderr (or stdout), for messages. */
export function gitSaid(r: RunResult): string {
  const lines = (r.stderr.trim() || r.stdout.trim()).split("\n").map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.slice(-6).join("\n  ");
}

/** `git status --porcelain=v1 -z` entries, as paths from the repository root. */
export function parsePorcelainZ(out: string): string[] {
  const fields = out.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.length < 4) continue;
    const xy = f.slice(0, 2);
    paths.push(f.slice(3));
    if (xy.includes("R") || xy.includes("C")) i++; // the original path follows
  }
  return paths;
}
