/**
 * How paths are shown to the user. Tasks and the layers below them deal in
 * absolute paths only (in results, errors, findings and progress lines); the
 * user sees them relative to the working directory when they are inside it.
 * This module is where that happens, at render time: result renderers and
 * commands call {@link displayPath}, and everything written to stderr goes
 * through {@link relativizeText} ({@link relativeOutput}, `formatError`).
 *
 * @module
 */
import { isAbsolute, parse, relative, sep } from "node:path";
import type { Problem, Where } from "../errors.ts";
import type { Output } from "../ports.ts";

/**
 * A path as the user sees it: relative to `cwd` when it is inside it, else as
 * given. `cwd` itself, and any path that is not absolute, stay as they are.
 *
 * @param cwd The working directory (absolute).
 * @param path The path to show.
 */
export function displayPath(cwd: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** Characters that may be part of a path name: a path only starts after none of them. */
const PATH_CHAR = /[A-Za-z0-9._~\\/-]/;

/**
 * `text` with every absolute path inside `cwd` written relative to it, as
 * {@link displayPath} shows it. A path counts when `cwd` and a separator
 * start it (so `/a/bc` is not inside `/a/b`) and no name character comes just
 * before it (`/x/a/b/f` is not inside `/a/b`); `cwd` alone stays absolute, as
 * it does in {@link displayPath}. With `/` as the working directory nothing
 * changes (every path would count).
 *
 * @param cwd The working directory (absolute).
 * @param text Any text shown to the user.
 */
export function relativizeText(cwd: string, text: string): string {
  if (!isAbsolute(cwd) || parse(cwd).root === cwd) return text;
  const prefix = cwd.endsWith(sep) ? cwd : cwd + sep;
  let out = "";
  let from = 0;
  for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + 1)) {
    if (at > 0 && PATH_CHAR.test(text[at - 1])) continue;
    // What follows must be a name: not a blank, nor `..` (which displayPath leaves absolute).
    const name = at + prefix.length;
    if (name >= text.length || /\s/.test(text[name]) || text.startsWith("..", name)) continue;
    out += text.slice(from, at);
    from = at + prefix.length;
  }
  return out + text.slice(from);
}

/** A {@link Where} with its file as {@link displayPath} shows it. */
export function displayWhere(cwd: string, where: Where): Where {
  return { ...where, file: displayPath(cwd, where.file) };
}

/**
 * A finding as the user sees it: its message and hint through
 * {@link relativizeText}, its file through {@link displayPath}.
 */
export function displayProblem(cwd: string, problem: Problem): Problem {
  const shown: Problem = { ...problem, message: relativizeText(cwd, problem.message) };
  if (problem.hint !== undefined) shown.hint = relativizeText(cwd, problem.hint);
  if (problem.where) shown.where = displayWhere(cwd, problem.where);
  return shown;
}

/**
 * `out` with the lines written to stderr (warnings, findings, progress) shown
 * relative to `cwd`; stdout (`print`) is left to the renderers.
 */
export function relativeOutput(out: Output, cwd: string): Output {
  return {
    print: (line) => out.print(line),
    warn: (line) => out.warn(relativizeText(cwd, line)),
    info: (line) => out.info(relativizeText(cwd, line)),
    problem: (p) => out.problem(displayProblem(cwd, p)),
    ...(out.progress && { progress: out.progress.bind(out) }),
  };
}
