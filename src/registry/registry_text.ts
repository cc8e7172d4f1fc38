/**
 * Text read from a registry file, made safe to print.
 *
 * @module
 */

/**
 * Registry text (retirement messages, versions, names) is the repository's: it is
 * shown with every control character (C0, DEL, C1: escape sequences, carriage
 * returns, newlines) replaced by a space, so no repository can move the cursor,
 * recolour or rewrite the terminal. The one filter for every place hexpub prints
 * registry text (`info`, `fetch`, the dry run's dependency checks).
 *
 * @param text Text read from a registry file.
 * @returns The text, printable.
 */
export function cleanRegistryText(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]+/g, " ").trim();
}

// ESC [ … final (CSI: colours, cursor moves), ESC ] … BEL or ESC \ (OSC: titles,
// hyperlinks), ESC P/X/^/_ … ESC \ (DCS and other strings), and two-byte ESC x;
// the C1 forms (0x9b CSI, 0x9d OSC) likewise.
const ESCAPE_SEQUENCE =
  // deno-lint-ignore no-control-regex
  /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?/g;

/**
 * Text hexpub did not write itself (a child process's output such as rebar3's
 * coloured lines, a local description or file name) made safe for the
 * terminal while keeping its lines: whole escape sequences are removed (no
 * `[0;31m` left behind), then every other control character except line
 * feeds and tabs.
 *
 * @param text Text from a child process, a file, or any other outside source.
 * @returns The text without escape sequences or other control characters.
 */
export function stripTerminalEscapes(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(ESCAPE_SEQUENCE, "").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
}
