/**
 * Tables as rebar3_hex prints them: a header, a blank line, then rows, each
 * column padded to its widest cell plus two spaces.
 *
 * @module
 */

/** Renders `rows` under `headers` as lines of text. */
export function renderTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] + 2))).join("").trimEnd();
  return [line(headers), "", ...rows.map(line)];
}
