/**
 * Byte counts for people, one formatter for every size hexpub prints: the
 * publish summary, the upload lines and the progress bar (`src/ui/progress.ts`
 * re-exports it). It lives here, below `ui/`, so that tasks can use it too.
 *
 * @module
 */

const KIB = 1024;
const MIB = 1024 * 1024;
const GIB = 1024 * 1024 * 1024;

/**
 * A byte count for people: `512 B`, `12.3 KiB`, `1.5 MiB`, `2.03 GiB`.
 *
 * @param n Bytes (non-negative).
 */
export function formatBytes(n: number): string {
  if (n < KIB) return `${n} B`;
  if (n < MIB) return `${(n / KIB).toFixed(1)} KiB`;
  if (n < GIB) return `${(n / MIB).toFixed(1)} MiB`;
  return `${(n / GIB).toFixed(2)} GiB`;
}
