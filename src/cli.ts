/**
 * Runs hexpub on an argument list with the given ports and returns the exit
 * code; `main.ts` supplies the real ports and exits.
 *
 * @module
 */
import type { Ports } from "./ports.ts";
import { rootCommand } from "./commands/root.ts";
import { withSettings } from "./commands/_shared.ts";
import { formatError } from "./ui/format_error.ts";

/**
 * Resolves the run's settings once (`Deps.settings`), parses `argv` (without
 * the program name), runs the command, and reports errors.
 *
 * @returns The process exit code.
 */
export async function runCli(argv: string[], ports: Ports): Promise<number> {
  const deps = withSettings(ports);
  try {
    await rootCommand(deps).parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    const { text, code } = formatError(err, { debug: !!deps.env.HEXPUB_DEBUG, color: deps.color });
    if (text) deps.out.warn(text);
    return code;
  }
}
