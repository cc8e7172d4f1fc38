/**
 * Turning any thrown value into what the user sees and the exit code: the one
 * place errors become text (`main.ts` prints it and exits).
 *
 * @module
 */
import { CommanderError } from "commander";
import { Ansis } from "ansis";
import { HexpubError, type Problem, ValidationError, type Where } from "../errors.ts";
import { displayProblem, displayWhere, relativizeText } from "./display_path.ts";
import { stripTerminalEscapes } from "../registry/registry_text.ts";

/** Exit codes, as documented in README. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 4,
  cancelled: 130,
} as const;

/** What to print and how to exit. */
export interface Formatted {
  text: string;
  code: number;
}

function at(where: Where | undefined): string {
  if (!where) return "";
  const line = where.line ? `:${where.line}` : "";
  const column = where.line && where.column ? `:${where.column}` : "";
  return `${where.file}${line}${column}`;
}

// Basic 16-colour codes; whether to use them at all is decided by the caller
// (Deps.color), not by the library's own detection.
const colors = new Ansis(1);

/** Paints `text` with `style` only when colour is on. */
function paint(color: boolean, style: (s: string) => string, text: string): string {
  return color ? style(text) : text;
}

/**
 * Text from anywhere (a server's message, a registry's retirement note, a file
 * name, rebar3's coloured output) without escape sequences or other control
 * characters, so it cannot drive the terminal (line breaks and tabs stay), and
 * URLs without the credentials written into them.
 */
function plain(text: string): string {
  return stripTerminalEscapes(text)
    // Credentials written into a URL (https://user:secret@host) are not shown.
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, "$1");
}

/**
 * One finding as `level: file:line: message` plus an indented hint.
 *
 * @param options `indent`: before each line; `color`: paint the label; `cwd`:
 *   show the paths inside this working directory relative to it.
 */
export function formatProblem(
  finding: Problem,
  options: { indent?: string; color?: boolean; cwd?: string } = {},
): string {
  const indent = options.indent ?? "";
  const color = options.color ?? false;
  const p = options.cwd === undefined ? finding : displayProblem(options.cwd, finding);
  const label = p.level === "error"
    ? paint(color, colors.red, "error")
    : paint(color, colors.yellow, "warning");
  const loc = at(p.where);
  const lines = [`${indent}${label}: ${loc ? plain(loc) + ": " : ""}${plain(p.message)}`];
  if (p.hint) lines.push(`${indent}  hint: ${plain(p.hint)}`);
  return lines.join("\n");
}

/**
 * Formats an error for stderr and picks the exit code.
 *
 * @param err Anything thrown.
 * @param options `debug`: add the stack of unexpected errors; `color`: paint the labels;
 *   `cwd`: show the paths inside this working directory relative to it (errors
 *   carry absolute paths).
 */
export function formatError(
  err: unknown,
  options: { debug?: boolean; color?: boolean; cwd?: string } = {},
): Formatted {
  const color = options.color ?? false;
  const cwd = options.cwd;
  const shown = (text: string) => plain(cwd === undefined ? text : relativizeText(cwd, text));
  const where = (w: Where) => plain(at(cwd === undefined ? w : displayWhere(cwd, w)));
  const label = paint(color, colors.red, "error");
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") {
      return { text: "", code: EXIT.ok };
    }
    return { text: "", code: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  if (err instanceof HexpubError) {
    const lines = [`${label}: ${shown(err.message)}`];
    if (err.where) lines.push(`  --> ${where(err.where)}`);
    if (err instanceof ValidationError) {
      for (const p of err.problems) lines.push(formatProblem(p, { indent: "  ", color, cwd }));
    }
    if (err.hint) lines.push(`  hint: ${shown(err.hint)}`);
    return { text: lines.join("\n"), code: err.exitCode };
  }
  if (err instanceof Error && err.name === "PermissionDenied") {
    return {
      text:
        `${label}: ${
          shown(err.message)
        }\n  hint: hexpub needs read, write, run and env permissions: ` +
        "run it with the permissions in README, or use the compiled binary",
      code: EXIT.failure,
    };
  }
  const message = shown(err instanceof Error ? err.message : String(err));
  const lines = [`${label}: ${message}`];
  if (options.debug && err instanceof Error && err.stack) lines.push(err.stack);
  else {
    lines.push(
      "  hint: set HEXPUB_DEBUG=1 to see where it happened, and report it if it looks like a bug",
    );
  }
  return { text: lines.join("\n"), code: EXIT.failure };
}
