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

/** What an error says, cleaned and shown relative to the working directory. */
interface Described {
  code: number;
  message: string;
  where?: Where;
  problems?: Problem[];
  hint?: string;
  /** The stack of an unexpected error, with `debug`. */
  stack?: string;
}

const UNEXPECTED_HINT =
  "set HEXPUB_DEBUG=1 to see where it happened, and report it if it looks like a bug";

/**
 * The parts of any thrown value other than a `CommanderError` (commander
 * prints its own message): message, where, findings, hint, exit code.
 */
function describe(err: unknown, options: { debug?: boolean; cwd?: string }): Described {
  const cwd = options.cwd;
  const shown = (text: string) => plain(cwd === undefined ? text : relativizeText(cwd, text));
  const where = (w: Where): Where => {
    const d = cwd === undefined ? w : displayWhere(cwd, w);
    return { ...d, file: plain(d.file) };
  };
  if (err instanceof HexpubError) {
    const d: Described = { code: err.exitCode, message: shown(err.message) };
    if (err.where) d.where = where(err.where);
    if (err instanceof ValidationError) {
      d.problems = err.problems.map((p) => {
        const q = cwd === undefined ? { ...p } : displayProblem(cwd, p);
        q.message = plain(q.message);
        if (q.hint !== undefined) q.hint = plain(q.hint);
        if (q.where) q.where = { ...q.where, file: plain(q.where.file) };
        return q;
      });
    }
    if (err.hint) d.hint = shown(err.hint);
    return d;
  }
  // Deno's permission flags (NotCapable; PermissionDenied before Deno 2).
  if (
    err instanceof Error &&
    (err.name === "NotCapable" ||
      (err.name === "PermissionDenied" && /^Requires /.test(err.message)))
  ) {
    return {
      code: EXIT.failure,
      message: shown(err.message),
      hint: "hexpub needs read, write, run and env permissions: " +
        "run it with the permissions in README, or use the compiled binary",
    };
  }
  const os = osError(err);
  if (os) return { code: EXIT.failure, message: shown(os.message), hint: shown(os.hint) };
  const d: Described = {
    code: EXIT.failure,
    message: shown(err instanceof Error ? err.message : String(err)),
  };
  if (options.debug && err instanceof Error && err.stack) d.stack = err.stack;
  else d.hint = UNEXPECTED_HINT;
  return d;
}

/** The exit code of a `CommanderError` (help and version are not failures). */
function commanderCode(err: CommanderError): number {
  if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT.ok;
  return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
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
  // Commander has printed its message already (through the command's output).
  if (err instanceof CommanderError) return { text: "", code: commanderCode(err) };
  const d = describe(err, options);
  const lines = [`${paint(color, colors.red, "error")}: ${d.message}`];
  if (d.where) lines.push(`  --> ${at(d.where)}`);
  for (const p of d.problems ?? []) lines.push(formatProblem(p, { indent: "  ", color }));
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  if (d.stack) lines.push(d.stack);
  return { text: lines.join("\n"), code: d.code };
}

/**
 * An error as `--json` prints it on stdout (README, "JSON output"): the
 * message, the hint, where it is (a file relative to the working directory,
 * line, column), the findings of a refused package, and the exit code the
 * process exits with.
 */
export interface ErrorDocument {
  error: string;
  hint?: string;
  where?: Where;
  problems?: Problem[];
  exitCode: number;
}

/**
 * The `--json` form of an error; `undefined` when it is no failure (`--help`,
 * `--version`). Usage errors found by the parser keep commander's message
 * (`unknown option '--x'`). The text is cleaned as on stderr (no escape
 * sequences, no credentials in URLs, paths relative to `cwd`).
 */
export function errorDocument(
  err: unknown,
  options: { debug?: boolean; cwd?: string } = {},
): ErrorDocument | undefined {
  if (err instanceof CommanderError) {
    const code = commanderCode(err);
    if (code === EXIT.ok) return undefined;
    // `(outputHelp)`: a command group run without its subcommand (its help went to stderr).
    const message = err.code === "commander.help"
      ? "a subcommand is needed"
      : plain(err.message.replace(/^error: /, ""));
    return { error: message, exitCode: code };
  }
  const d = describe(err, options);
  // Keys in the documented order: error, hint, where, problems, exitCode.
  const doc = { error: d.message } as ErrorDocument;
  if (d.hint) doc.hint = d.hint;
  if (d.where) doc.where = d.where;
  if (d.problems) doc.problems = d.problems;
  doc.exitCode = d.code;
  return doc;
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
