/**
 * What `hexpub publish` prints after the summary.
 *
 * @module
 */
import type { PublishResult } from "../tasks/publish.ts";
import { isEmptyDiff } from "../tarball/release_diff.ts";
import { renderDiff } from "./render_diff.ts";

/** Result lines: what was published where, with checksum, docs and the dry-run diff. */
export function renderPublish(result: PublishResult): string[] {
  const out: string[] = [];
  if (result.reverted) return out;
  for (const p of result.published) {
    if (p.dryRun) {
      out.push(
        `Dry run: ${p.name} ${p.version} would be published to ${p.repo} (checksum ${p.checksum})`,
      );
      if (p.diff) {
        const d = p.diff;
        out.push(`  Compared with ${p.name} ${d.against}:`);
        if (isEmptyDiff(d)) {
          out.push("    no changes");
        }
        out.push(...renderDiff(d, "    "));
      }
      for (const s of p.skippedChecks ?? []) out.push(`  not checked (offline?): ${s}`);
      continue;
    }
    out.push(`Published ${p.name} ${p.version}${p.replaced ? " (replaced)" : ""}`);
    if (p.url) out.push(`  ${p.url}`);
    out.push(`  Checksum: ${p.checksum}${p.verified ? " (verified on the server)" : ""}`);
    if (p.docs === "published") out.push(`Published docs for ${p.name} ${p.version}`);
  }
  return out;
}
