/**
 * What `hexpub verify` prints.
 *
 * @module
 */
import type { VerifyResult } from "../tasks/verify.ts";
import { renderDiff } from "./render_diff.ts";

/** The verdict, then (when it differs) what differs. */
export function renderVerify(r: VerifyResult): string[] {
  if (r.identical) {
    const line =
      `reproducible: identical to ${r.repository}'s ${r.name} ${r.version} (checksum ${r.published})`;
    if (r.umask === undefined) return [line];
    const [file, dir] = [0o666 & ~r.umask, 0o777 & ~r.umask].map((m) => m.toString(8));
    return [
      line,
      `  when checked out under umask ${r.umask.toString(8).padStart(3, "0")} ` +
      `(files ${file}, executables and directories ${dir}); the modes here differ`,
    ];
  }
  const out = [
    `not reproducible: ${r.name} ${r.version} built here differs from ${r.repository}'s release`,
    `  published checksum: ${r.published}`,
    `  built checksum:     ${r.built}`,
  ];
  if (r.diff) {
    const lines = renderDiff(r.diff, "    ");
    if (lines.length > 0) out.push("  (+ only in the build, - only in the release, ~ changed)");
    out.push(...lines);
  }
  for (const n of r.notes) out.push(`    ${n}`);
  return out;
}
