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
