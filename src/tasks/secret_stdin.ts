/**
 * A secret given with `--key-stdin` (gh's `--with-token`): read from stdin,
 * or asked without echo at a terminal, so it never shows in the process list.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";

/** The most bytes read from stdin for one key: a key is a few dozen. */
const MAX_STDIN_KEY = 4096;

/**
 * The key from stdin (or a no-echo prompt at a terminal), trimmed.
 *
 * @param command The command line shown in hints, e.g. `hexpub user auth`.
 * @param given The `--key` value, when also given (refused: one way only).
 * @throws {UsageError} For both `--key` and `--key-stdin`, too much on stdin, or nothing.
 */
export async function keyFromStdin(
  deps: Pick<Deps, "isTerminal" | "prompt" | "readStdin">,
  command: string,
  given: string | undefined,
): Promise<string> {
  const pipe = `\`printf '%s' "$KEY" | ${command} --key-stdin\``;
  if (given !== undefined) {
    throw new UsageError("--key and --key-stdin cannot be used together", {
      hint: "Pass the key one way: --key-stdin keeps it out of the process list",
    });
  }
  if (deps.isTerminal) return (await deps.prompt.password("API key:")).trim();
  const bytes = await deps.readStdin(MAX_STDIN_KEY);
  if (bytes.length > MAX_STDIN_KEY) {
    throw new UsageError(`stdin holds more than ${MAX_STDIN_KEY} bytes: not an API key`, {
      hint: `Pipe only the key: ${pipe}`,
    });
  }
  const key = new TextDecoder().decode(bytes).trim();
  if (key === "") {
    throw new UsageError("--key-stdin: no API key on stdin", {
      hint: `Pipe the key in: ${pipe}, or run it at a terminal to be asked for it`,
    });
  }
  return key;
}
