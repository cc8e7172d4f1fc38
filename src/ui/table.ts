/**
 * Tables as rebar3_hex prints them: a header, a blank line, then rows, each
 * column padded to its widest cell plus two spaces.
 *
 * @module
 */

/** Drops control characters: cells often hold server text, which must not drive the terminal. */
function clean(cell: string): string {
  // deno-lint-ignore no-control-regex
  return cell.replace(/[\x00-\x1f\x7f-\x9f]/g, "");
}

/** Renders `rows` under `headers` as lines of text. */
export function renderTable(headers: string[], rawRows: string[][]): string[] {
  const rows = rawRows.map((r) => r.map(clean));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] + 2))).join("").trimEnd();
  return [line(headers), "", ...rows.map(line)];
}
