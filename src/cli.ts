/**
 * Runs hexpub on an argument list with the given ports and returns the exit
 * code; `main.ts` supplies the real ports and exits.
 *
 * @module
 */
import type { Deps, Ports } from "./ports.ts";
import { rootCommand } from "./commands/root.ts";
import { withSettings } from "./commands/_shared.ts";
import { formatError } from "./ui/format_error.ts";
import { relativeOutput } from "./ui/display_path.ts";
import { isClosedPipe, terminalOutput } from "./ui/terminal_output.ts";

/**
 * Resolves the run's settings once (`Deps.settings`), parses `argv` (without
 * the program name), runs the command, and reports errors. Tasks deal in
 * absolute paths: what reaches stderr (warnings, findings, progress, the
 * error) shows those inside `deps.cwd` relative to it. Every line is cleaned of
 * terminal escape sequences, and a closed stdout or stderr (EPIPE, `hexpub
 * build | head -1`) ends the output quietly: the command finishes and exits as
 * it would have.
 *
 * @returns The process exit code.
 */
export async function runCli(argv: string[], ports: Ports): Promise<number> {
  const deps = withSettings(ports);
  try {
    const shown: Deps = { ...deps, out: terminalOutput(relativeOutput(deps.out, deps.cwd)) };
    await rootCommand(shown).parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    const { text, code } = formatError(err, {
      debug: !!deps.env.HEXPUB_DEBUG,
      color: deps.color,
      cwd: deps.cwd,
    });
    try {
      if (text) deps.out.warn(text);
    } catch (e) {
      if (!isClosedPipe(e)) throw e;
    }
    return code;
  }
}
