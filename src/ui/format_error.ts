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
  // Deno's permission flags (NotCapable; PermissionDenied before Deno 2).
  if (
    err instanceof Error &&
    (err.name === "NotCapable" ||
      (err.name === "PermissionDenied" && /^Requires /.test(err.message)))
  ) {
    return {
      text:
        `${label}: ${
          shown(err.message)
        }\n  hint: hexpub needs read, write, run and env permissions: ` +
        "run it with the permissions in README, or use the compiled binary",
      code: EXIT.failure,
    };
  }
  const os = osError(err);
  if (os) {
    return {
      text: `${label}: ${shown(os.message)}\n  hint: ${shown(os.hint)}`,
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

/** What a failed operation did, by the name Deno gives it in its error message. */
const OPERATIONS: Record<string, string> = {
  open: "open",
  readfile: "read",
  read: "read",
  stat: "read",
  lstat: "read",
  realpath: "read",
  readlink: "read",
  readdir: "read the directory",
  writefile: "write",
  write: "write",
  truncate: "write",
  copy: "copy",
  mkdir: "create the directory",
  mkdtemp: "create a directory in",
  maketempdir: "create a directory in",
  remove: "remove",
  rename: "move",
  link: "link",
  symlink: "create the link",
  chmod: "change the mode of",
  chown: "change the owner of",
  utime: "set the times of",
};

/** The plain reason and the hint for each OS error class Deno throws (Deno.errors.*). */
const OS_ERRORS: Record<string, { reason: string; hint: string }> = {
  NotFound: {
    reason: "it does not exist",
    hint: "Check the path (a relative path starts from the working directory)",
  },
  PermissionDenied: {
    reason: "permission denied",
    hint: "Check the permissions and owner of the path and its directories, or use another path",
  },
  NotADirectory: {
    reason: "a part of the path is a file, not a directory",
    hint: "Use a path whose directories are all directories",
  },
  IsADirectory: {
    reason: "it is a directory",
    hint: "Name a file, not a directory",
  },
  AlreadyExists: {
    reason: "it already exists",
    hint: "Remove it, or use another path",
  },
  DirectoryNotEmpty: {
    reason: "the directory is not empty",
    hint: "Empty or remove it, or use another path",
  },
  FilesystemLoop: {
    reason: "its symbolic links form a loop",
    hint: "Fix or remove the looping link",
  },
  AddrInUse: {
    reason: "the address is already in use",
    hint: "Another program listens on that port: pick another port, or stop that program",
  },
  AddrNotAvailable: {
    reason: "the address is not one of this machine's",
    hint: "Listen on one of this machine's addresses (127.0.0.1, or 0.0.0.0 for all)",
  },
};

/** OS errors Deno reports with a plain `Error` and an errno code. */
const OS_CODES: Record<string, { reason: string; hint: string }> = {
  ENOSPC: { reason: "no space left on the device", hint: "Free some space, or use another disk" },
  EDQUOT: { reason: "the disk quota is exceeded", hint: "Free some space, or use another disk" },
  EROFS: { reason: "the file system is read-only", hint: "Use a path on a writable file system" },
  EMFILE: {
    reason: "too many open files",
    hint: "Raise the open-file limit (ulimit -n), or close other programs",
  },
  ENAMETOOLONG: { reason: "the name is too long", hint: "Use a shorter path" },
  EXDEV: {
    reason: "it cannot be moved across file systems",
    hint: "Use a path on the same file system",
  },
};

/**
 * An operating-system error (Deno's `Deno.errors.*`, or one with an errno
 * `code`) as a plain message naming the path, and a hint, instead of the raw
 * "… (os error N): op 'path'". `undefined` for anything else.
 *
 * Exported for tests.
 */
export function osError(err: unknown): { message: string; hint: string } | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  const known = OS_ERRORS[err.name] ?? (typeof code === "string" ? OS_CODES[code] : undefined);
  const m = /^(.*?) \(os error \d+\)(?:: (\w+) '(.*?)'(?: -> '(.*?)')?)?$/s.exec(err.message);
  if (!known && !m) return undefined;
  const reason = known?.reason ?? m![1].toLowerCase();
  const hint = known?.hint ?? "Check the path, its permissions and the disk";
  const op = m?.[2];
  const path = m?.[3];
  if (op === undefined || path === undefined) return { message: reason, hint };
  const verb = OPERATIONS[op.toLowerCase()] ?? op;
  const to = m?.[4] === undefined ? "" : ` to "${m[4]}"`;
  return { message: `cannot ${verb} "${path}"${to}: ${reason}`, hint };
}
