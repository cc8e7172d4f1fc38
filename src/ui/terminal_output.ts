/**
 * What every line hexpub prints goes through last: no escape sequence from
 * data hexpub did not write (a description, a file name, a child process's
 * output) reaches the terminal, and a reader that went away (`hexpub build |
 * head -1`) ends the output quietly instead of failing the command.
 *
 * @module
 */
import type { Output, ProgressEvent } from "../ports.ts";
import { stripTerminalEscapes } from "../registry/registry_text.ts";

/**
 * Whether `err` is a write to a pipe (or socket) whose reader is gone:
 * `EPIPE`, Deno's `BrokenPipe`.
 */
export function isClosedPipe(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === "BrokenPipe" || (err as { code?: unknown }).code === "EPIPE";
}

/**
 * `out` with every line cleaned by {@link stripTerminalEscapes}, and writes to
 * a closed pipe dropped: once stdout's reader is gone nothing more is written
 * there and the command carries on (a build still writes its tarball), as gh
 * and cargo end quietly on a closed pipe. The same for stderr. Findings
 * (`problem`) are cleaned where they are rendered (`formatProblem`).
 */
export function terminalOutput(out: Output): Output {
  let stdoutClosed = false;
  let stderrClosed = false;
  const toStdout = (write: () => void) => {
    if (stdoutClosed) return;
    try {
      write();
    } catch (e) {
      if (!isClosedPipe(e)) throw e;
      stdoutClosed = true;
    }
  };
  const toStderr = (write: () => void) => {
    if (stderrClosed) return;
    try {
      write();
    } catch (e) {
      if (!isClosedPipe(e)) throw e;
      stderrClosed = true;
    }
  };
  return {
    print: (line) => toStdout(() => out.print(stripTerminalEscapes(line))),
    warn: (line) => toStderr(() => out.warn(stripTerminalEscapes(line))),
    info: (line) => toStderr(() => out.info(stripTerminalEscapes(line))),
    problem: (p) => toStderr(() => out.problem(p)),
    ...(out.progress && {
      progress: (e: ProgressEvent) =>
        toStderr(() => out.progress!({ ...e, label: stripTerminalEscapes(e.label) })),
    }),
  };
}
