/**
 * A release diff as lines, shared by `publish --dry-run` and `verify`.
 *
 * @module
 */
import type { ReleaseDiff } from "../tarball/release_diff.ts";

/** The lines of a release diff, indented: `+ added`, `- removed`, `~ changed`, metadata. */
export function renderDiff(d: ReleaseDiff, indent: string): string[] {
  const out: string[] = [];
  for (const f of d.added) out.push(`${indent}+ ${f}`);
  for (const f of d.removed) out.push(`${indent}- ${f}`);
  for (const f of d.changed) out.push(`${indent}~ ${f}`);
  for (const m of d.metadata) {
    out.push(
      `${indent}metadata ${m.key}: ${JSON.stringify(m.before)} -> ${JSON.stringify(m.after)}`,
    );
  }
  return out;
}
