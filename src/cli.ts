/**
 * Runs hexpub on an argument list with the given ports and returns the exit
 * code; `main.ts` supplies the real ports and exits.
 *
 * @module
 */
import type { Deps, Output, Ports } from "./ports.ts";
import { rootCommand } from "./commands/root.ts";
import { withSettings } from "./commands/_shared.ts";
import { errorDocument, formatError } from "./ui/format_error.ts";
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
 * With `--json`, stdout holds exactly one JSON document, also when the command
 * fails: the command's own (printed before it fails: `verify`, `outdated`,
 * `audit` exit 1 after their result), or else the error as
 * `{"error", "hint", "where", "problems", "exitCode"}` ({@link errorDocument}).
 * stderr then keeps only the error's first line (the whole error with
 * HEXPUB_DEBUG), so a person watching a piped run still sees why.
 *
 * @returns The process exit code.
 */
export async function runCli(argv: string[], ports: Ports): Promise<number> {
  const deps = withSettings(ports);
  const state = { json: undefined as boolean | undefined, printed: false };
  // Whether anything reached stdout: then a document is there already.
  const counted: Output = {
    print: (line) => {
      state.printed = true;
      deps.out.print(line);
    },
    warn: (line) => deps.out.warn(line),
    info: (line) => deps.out.info(line),
    problem: (p) => deps.out.problem(p),
    ...(deps.out.progress && { progress: (e) => deps.out.progress!(e) }),
  };
  const out = terminalOutput(relativeOutput(counted, deps.cwd));
  try {
    const shown: Deps = { ...deps, out };
    const root = rootCommand(shown);
    // The command about to run, parsed: its own `--json` flag says (not a
    // `--json` that is some option's value).
    root.hook("preAction", (_root, action) => {
      state.json = action.opts().json === true;
    });
    await root.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    const debug = !!deps.env.HEXPUB_DEBUG;
    const { text, code } = formatError(err, { debug, color: deps.color, cwd: deps.cwd });
    const doc = (state.json ?? asksForJson(argv))
      ? errorDocument(err, { debug, cwd: deps.cwd })
      : undefined;
    try {
      if (doc === undefined) {
        if (text) deps.out.warn(text);
      } else {
        if (!state.printed) out.print(JSON.stringify(doc));
        if (text) deps.out.warn(debug ? text : text.split("\n")[0]);
      }
    } catch (e) {
      if (!isClosedPipe(e)) throw e;
    }
    return code;
  }
}

/**
 * Whether the arguments ask for `--json` (before any `--`): for a failure
 * found while parsing them, before the command's own flags are known.
 */
function asksForJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}
