import assert from "node:assert/strict";
import {
  formatBytes,
  formatDuration,
  progressOutput,
  REDRAW_INTERVAL_MS,
  renderProgress,
} from "../../src/ui/progress.ts";
import type { Output } from "../../src/ports.ts";

const MIB = 1024 * 1024;

Deno.test("formatBytes and formatDuration", () => {
  assert.deepEqual(
    [0, 512, 1024, 12_595, MIB, 1.5 * MIB, 3 * 1024 * MIB].map(formatBytes),
    ["0 B", "512 B", "1.0 KiB", "12.3 KiB", "1.0 MiB", "1.5 MiB", "3.00 GiB"],
  );
  assert.deepEqual(
    [0, 200, 1000, 1001, 59_000, 60_000, 125_000, 3_780_000].map(formatDuration),
    ["1 s", "1 s", "1 s", "2 s", "59 s", "1 min 0 s", "2 min 5 s", "1 h 3 min"],
  );
});

Deno.test("renderProgress: bar, percent, bytes, rate and time left", () => {
  const line = renderProgress({
    label: "Uploading foo-1.0.0.tar",
    done: 1.5 * MIB,
    total: 3 * MIB,
    elapsedMs: 1000,
    columns: 100,
  });
  assert.equal(
    line,
    "Uploading foo-1.0.0.tar [===============>              ]  50%  1.5/3.0 MiB  1.5 MiB/s  1 s left",
  );
});

Deno.test("renderProgress: no rate in the first half second; no time left at the end", () => {
  assert.equal(
    renderProgress({ label: "Up", done: 0, total: 2 * MIB, elapsedMs: 0, columns: 80 }),
    `Up [>${" ".repeat(29)}]   0%  0.0/2.0 MiB  ?/s  ? left`,
  );
  assert.equal(
    renderProgress({ label: "Up", done: 2 * MIB, total: 2 * MIB, elapsedMs: 4000, columns: 80 }),
    `Up [${"=".repeat(30)}] 100%  2.0/2.0 MiB  512.0 KiB/s`,
  );
  assert.ok(
    renderProgress({ label: "Up", done: MIB, total: 4 * MIB, elapsedMs: 1000, columns: 80 })
      .endsWith("1.0 MiB/s  3 s left"),
  );
});

Deno.test("renderProgress stays shorter than the terminal: the bar narrows, then the label is cut", () => {
  const view = {
    label: "Uploading the docs of a_package_with_a_rather_long_name 10.20.30-rc.1",
    done: MIB,
    total: 3 * MIB,
    elapsedMs: 2000,
  };
  for (const columns of [200, 100, 80, 60, 40, 20, 5]) {
    const line = renderProgress({ ...view, columns });
    assert.ok(line.length < columns, `${columns}: ${line.length} ${line}`);
    if (columns >= 40) assert.match(line, /33%/, `${columns}: the figures stay`);
  }
  assert.match(renderProgress({ ...view, columns: 200 }), /10\.20\.30-rc\.1 \[={10}>/);
  assert.equal(
    renderProgress({ ...view, columns: 0 }),
    renderProgress({ ...view, columns: 80 }),
    "an unknown width (0) is taken as 80",
  );
  assert.match(renderProgress({ ...view, columns: 80 }), /^Uploading the docs.*… \[=+>/);
  assert.doesNotMatch(renderProgress({ ...view, columns: 40 }), /\[/);
  // deno-lint-ignore no-control-regex -- no escape sequence, no colour: NO_COLOR has nothing to strip
  assert.doesNotMatch(renderProgress({ ...view, columns: 80 }), /[\u0000-\u001f\u007f]/);
});

/** progressOutput over recording ports and a clock the test moves. */
function drawing() {
  const raw: string[] = [];
  const lines: string[] = [];
  let clock = 0;
  const inner: Output = {
    print: (l) => lines.push(`out:${l}`),
    warn: (l) => lines.push(`err:${l}`),
    info: (l) => lines.push(`err:${l}`),
    problem: (p) => lines.push(`err:${p.message}`),
  };
  const out = progressOutput(inner, {
    write: (t) => raw.push(t),
    now: () => clock,
    columns: () => 80,
  });
  return { out, raw, lines, tick: (ms: number) => clock += ms };
}

Deno.test("progressOutput redraws with \\r at most every 100 ms and clears the line at the end", () => {
  const { out, raw, tick } = drawing();
  const label = "Uploading x.tar";
  out.progress!({ label, done: 0, total: 4 * MIB });
  assert.equal(raw.length, 1, "the first event is drawn at once");
  assert.ok(raw[0].startsWith("\r\x1b[KUploading x.tar ["), raw[0]);
  for (let i = 1; i <= 40; i++) {
    tick(10);
    out.progress!({ label, done: i * 100_000, total: 4 * MIB });
  }
  // 400 ms of events every 10 ms: 4 redraws besides the first
  assert.equal(raw.length, 1 + Math.floor(400 / REDRAW_INTERVAL_MS));
  tick(10);
  out.progress!({ label, done: 4 * MIB, total: 4 * MIB });
  assert.equal(raw.length, 6, "reaching the total is drawn at once");
  assert.match(raw.at(-1)!, /100%/);
  out.progress!({ label, done: 4 * MIB, total: 4 * MIB, finished: true });
  assert.equal(raw.at(-1), "\r\x1b[K", "the finishing event clears the bar");
  const count = raw.length;
  tick(1000);
  out.info("after");
  assert.equal(raw.length, count, "nothing to clear or redraw once finished");
});

Deno.test("progressOutput clears the bar before another line and draws it again after", () => {
  const { out, raw, lines, tick } = drawing();
  out.progress!({ label: "Uploading y.tar", done: MIB, total: 2 * MIB });
  tick(1000);
  out.info("GET http://x/api: 503 server error; waiting 1 s, then trying again (attempt 2 of 4)");
  out.print("stdout line");
  assert.deepEqual(lines, [
    "err:GET http://x/api: 503 server error; waiting 1 s, then trying again (attempt 2 of 4)",
    "out:stdout line",
  ]);
  assert.equal(raw[1], "\r\x1b[K");
  assert.ok(raw[2].startsWith("\r\x1b[KUploading y.tar ["), raw[2]);
  assert.match(raw[2], /1\.0\/2\.0 MiB/);
  assert.equal(raw[3], "\r\x1b[K");
  assert.equal(raw.length, 5);
});

Deno.test("progressOutput with no bar showing writes lines as they are", () => {
  const { out, raw, lines } = drawing();
  out.warn("w");
  out.problem({ level: "warning", field: "f", message: "p" });
  assert.deepEqual(lines, ["err:w", "err:p"]);
  assert.deepEqual(raw, []);
});
