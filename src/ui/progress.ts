/**
 * The upload progress bar: one line on stderr, redrawn in place with `\r` at
 * most ten times a second, showing bytes sent, the rate and the time left.
 * Plain ASCII and no colour, so `NO_COLOR` has nothing to turn off; it is drawn
 * only when stderr is a terminal (`src/deno_deps.ts` decides), never because of
 * `FORCE_COLOR`.
 *
 * {@link renderProgress} is the pure rendering; {@link progressOutput} adds the
 * drawing (throttle, clearing the bar before other lines) to an {@link Output},
 * with the clock and the raw stderr writer injected.
 *
 * @module
 */
import type { Output, ProgressEvent } from "../ports.ts";
import { formatBytes } from "../tasks/byte_size.ts";

export { formatBytes };

/** The shortest time between two redraws of the bar, in milliseconds (10 a second). */
export const REDRAW_INTERVAL_MS = 100;
/** Before this much time has passed, the rate is too noisy to show. */
const MIN_RATE_ELAPSED_MS = 500;
/** Erases the line the cursor is on, from the start: carriage return, then "erase to end of line". */
const CLEAR_LINE = "\r\x1b[K";

const KIB = 1024;
const MIB = 1024 * 1024;
const GIB = 1024 * 1024 * 1024;

/**
 * A duration for people, rounded up to whole seconds: `1 s`, `59 s`, `2 min 5 s`, `1 h 3 min`.
 *
 * @param ms Milliseconds (non-negative).
 */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Two byte counts in the unit of the larger: `1.5/3.0 MiB`. */
function formatPair(done: number, total: number): string {
  const [unit, div, digits] = total < KIB
    ? ["B", 1, 0]
    : total < MIB
    ? ["KiB", KIB, 1]
    : total < GIB
    ? ["MiB", MIB, 1]
    : ["GiB", GIB, 2];
  return `${(done / div).toFixed(digits)}/${(total / div).toFixed(digits)} ${unit}`;
}

/** What one line of the bar shows. */
export interface ProgressView {
  /** How the line starts (`Uploading foo-1.0.0.tar`). */
  label: string;
  done: number;
  total: number;
  /** Milliseconds since the transfer started. */
  elapsedMs: number;
  /** The terminal's width (0: unknown, taken as 80); the line is kept shorter than it. */
  columns: number;
}

/**
 * One line of the bar, without the `\r`:
 * `Uploading foo-1.0.0.tar [=======>       ]  48%  1.5/3.0 MiB  1.2 MiB/s  2 s left`.
 * The rate is the average since the start; rate and time left show `?` during
 * the first half second, and the time left is dropped once everything is sent.
 * The bar narrows (10 to 30 columns) and then goes, and the label is cut with
 * `…`, to keep the line shorter than `columns`.
 */
export function renderProgress(view: ProgressView): string {
  const total = Math.max(0, view.total);
  const done = Math.min(Math.max(0, view.done), total);
  const fraction = total === 0 ? 1 : done / total;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const rate = view.elapsedMs >= MIN_RATE_ELAPSED_MS && done > 0
    ? done / view.elapsedMs * 1000
    : undefined;
  const rateText = rate === undefined ? "?/s" : `${formatBytes(Math.round(rate))}/s`;
  const left = done >= total
    ? ""
    : `  ${rate === undefined ? "?" : formatDuration((total - done) / rate * 1000)} left`;
  const stats = `${percent}  ${formatPair(done, total)}  ${rateText}${left}`;
  // A width of 0 means unknown (a pseudo-terminal that reports no size): assume 80.
  const room = Math.max(1, (view.columns > 0 ? view.columns : 80) - 1);
  // label + " [" + bar + "] " + stats
  const fixed = stats.length + 4;
  let label = view.label;
  let barWidth = Math.min(30, room - fixed - label.length);
  if (barWidth < 10) {
    const shorter = room - fixed - 10;
    if (shorter >= 12) {
      label = label.length > shorter ? `${label.slice(0, shorter - 1)}…` : label;
      barWidth = Math.min(30, room - fixed - label.length);
    } else {
      // No room for a bar: the label, cut, and the figures.
      const figures = stats.trimStart();
      const cut = room - figures.length - 1;
      if (cut < 8) return figures.slice(0, room);
      label = label.length > cut ? `${label.slice(0, cut - 1)}…` : label;
      return `${label} ${figures}`;
    }
  }
  const filled = Math.floor(fraction * barWidth);
  const bar = filled >= barWidth
    ? "=".repeat(barWidth)
    : "=".repeat(filled) + ">" + " ".repeat(barWidth - filled - 1);
  return `${label} [${bar}] ${stats}`;
}

/** What {@link progressOutput} draws with. */
export interface ProgressIo {
  /** Writes raw text to stderr (no newline added). */
  write(text: string): void;
  /** A clock in milliseconds. */
  now(): number;
  /** The terminal's width in columns. */
  columns(): number;
}

/**
 * `out` with {@link Output.progress} drawing the bar on stderr through `io`:
 * the first event of a transfer is drawn at once, later ones at most every
 * {@link REDRAW_INTERVAL_MS} (and the one that reaches the total at once), and
 * the finishing event clears the line. Any other
 * line written while a bar shows clears it first and draws it again after, so
 * the bar stays the last line.
 *
 * @param out Where lines go (`denoOutput`).
 * @param io The raw stderr writer, the clock and the width.
 */
export function progressOutput(out: Output, io: ProgressIo): Output {
  let shown: { event: ProgressEvent; started: number; drawn: number } | undefined;
  let visible = false;
  const draw = () => {
    if (!shown) return;
    const now = io.now();
    const line = renderProgress({
      ...shown.event,
      elapsedMs: now - shown.started,
      columns: io.columns(),
    });
    io.write(`${CLEAR_LINE}${line}`);
    shown.drawn = now;
    visible = true;
  };
  const clear = () => {
    if (!visible) return;
    io.write(CLEAR_LINE);
    visible = false;
  };
  const around = <A extends unknown[]>(write: (...args: A) => void) => (...args: A) => {
    clear();
    write(...args);
    draw();
  };
  return {
    print: around((line: string) => out.print(line)),
    warn: around((line: string) => out.warn(line)),
    info: around((line: string) => out.info(line)),
    problem: around((p) => out.problem(p)),
    progress(event) {
      if (event.finished) {
        if (shown?.event.label === event.label) shown = undefined;
        clear();
        return;
      }
      if (!shown || shown.event.label !== event.label) {
        shown = { event, started: io.now(), drawn: -Infinity };
        return draw();
      }
      shown.event = event;
      // The last bytes are drawn at once: the bar shows 100% while the server answers.
      if (event.done >= event.total || io.now() - shown.drawn >= REDRAW_INTERVAL_MS) draw();
    },
  };
}
