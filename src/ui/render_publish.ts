/**
 * What `hexpub publish` prints after the summary.
 *
 * @module
 */
import type { PublishResult } from "../tasks/publish.ts";

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
        if (!d.added.length && !d.removed.length && !d.changed.length && !d.metadata.length) {
          out.push("    no changes");
        }
        for (const f of d.added) out.push(`    + ${f}`);
        for (const f of d.removed) out.push(`    - ${f}`);
        for (const f of d.changed) out.push(`    ~ ${f}`);
        for (const m of d.metadata) {
          out.push(
            `    metadata ${m.key}: ${JSON.stringify(m.before)} -> ${JSON.stringify(m.after)}`,
          );
        }
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
