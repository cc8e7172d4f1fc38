/**
 * Bounds on what hexpub reads from a project: the size of term files
 * (`rebar.config`, `*.app.src`, their `.script`s and what a script returns, a
 * `{file, …}` version), and the time and output of the commands a project
 * makes it run (`{cmd, …}` versions, `.script` evaluation, git for
 * `{vsn, git}`). Past a bound the read or the command stops with an error
 * naming the file or command and the bound, so a hostile or broken project
 * cannot make hexpub hang or use gigabytes of memory.
 *
 * @module
 */
import { ProjectError, type Where } from "../errors.ts";
import type { Deps, RunResult } from "../ports.ts";

/** 1 MiB: the largest term file read (hex_core caps `metadata.config` at the same size). */
export const MAX_TERM_FILE_SIZE = 1024 * 1024;

/** 8 MiB: the most kept of a command's stdout, and of its stderr. */
export const MAX_COMMAND_OUTPUT = 8 * 1024 * 1024;

/** Seconds a project command may run when `HEXPUB_CMD_TIMEOUT` is not set. */
export const DEFAULT_COMMAND_TIMEOUT = 60;

/** A byte count as the errors show it: `1 MiB`, `8 MiB`, or bytes. */
export function sizeText(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** Where a project file is read from, and how much of it. */
interface ReadOptions {
  /** The most bytes read (default {@link MAX_TERM_FILE_SIZE}). */
  max?: number;
  /** Where the error points (default: the file itself). */
  where?: Where;
}

function tooBig(path: string, max: number, where: Where): ProjectError {
  return new ProjectError(`${path} is larger than ${sizeText(max)}, the most hexpub reads`, {
    where,
    hint: "Shorten the file; no rebar3 project needs one this large",
  });
}

/**
 * Refuses a project file that is larger than `max` bytes or is not a regular
 * file (a FIFO or device would block or never end), following symlinks as
 * rebar3 does; a missing file passes (its reader reports it).
 *
 * @param deps Ports.
 * @param path Absolute path.
 * @throws {ProjectError} When the file is too large or not a regular file.
 */
export async function checkProjectFile(
  deps: Deps,
  path: string,
  options: ReadOptions = {},
): Promise<void> {
  const max = options.max ?? MAX_TERM_FILE_SIZE;
  const where = options.where ?? { file: path };
  const info = await deps.fs.stat(path);
  if (info && info.kind !== "file") {
    throw new ProjectError(`${path} is not a regular file`, {
      where,
      hint: "hexpub reads project files only from regular files (not FIFOs, devices or sockets)",
    });
  }
  if (info && info.size > max) throw tooBig(path, max, where);
}

/**
 * Reads a project file of at most `max` bytes, after {@link checkProjectFile}.
 *
 * @param deps Ports.
 * @param path Absolute path.
 * @throws {ProjectError} When the file is too large or not a regular file.
 */
export async function readProjectFile(
  deps: Deps,
  path: string,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  const max = options.max ?? MAX_TERM_FILE_SIZE;
  const where = options.where ?? { file: path };
  await checkProjectFile(deps, path, options);
  // Read as a stream and count: the file may have grown since the stat.
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of await deps.fs.openRead(path)) {
    size += chunk.length;
    if (size > max) throw tooBig(path, max, where);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * Runs a command a project asks for, with the command time limit and the
 * output cap.
 *
 * @param deps Ports.
 * @param cmd The program.
 * @param args Its arguments.
 * @param options `cwd`; `what` names the command in errors (`the vsn command "git describe"`);
 *   `where` is what the error points at.
 * @returns The result, when the command finished within both limits (whatever its exit code).
 * @throws {ProjectError} When it ran past the time limit or printed past the cap.
 * @throws {UsageError} When `HEXPUB_CMD_TIMEOUT` is malformed (from `deps.settings`).
 */
export async function runProjectCommand(
  deps: Deps,
  cmd: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; what: string; where?: Where },
): Promise<RunResult> {
  const seconds = deps.settings.get("cmdTimeout");
  const res = await deps.run(cmd, args, {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: seconds * 1000,
    maxOutputBytes: MAX_COMMAND_OUTPUT,
  });
  if (res.timedOut) {
    throw new ProjectError(`${options.what} did not finish within ${seconds} s and was stopped`, {
      where: options.where,
      hint:
        `Make it finish sooner, or allow it more time with HEXPUB_CMD_TIMEOUT=SECONDS (default ${DEFAULT_COMMAND_TIMEOUT})`,
    });
  }
  if (res.overflow) {
    throw new ProjectError(
      `${options.what} printed more than ${
        sizeText(MAX_COMMAND_OUTPUT)
      } on ${res.overflow} and was stopped`,
      {
        where: options.where,
        hint: `hexpub keeps at most ${
          sizeText(MAX_COMMAND_OUTPUT)
        } of a command's output; make it print less`,
      },
    );
  }
  return res;
}
