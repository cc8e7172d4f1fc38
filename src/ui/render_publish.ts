/**
 * What `hexpub publish` shows: the plan (the summary rebar3_hex prints before
 * publishing, and in a dry run), then the result.
 *
 * @module
 */
import type { Plan, PublishResult } from "../tasks/publish.ts";
import type { PreparedPackage } from "../tasks/prepare_package.ts";
import { isEmptyDiff } from "../tarball/release_diff.ts";
import { formatBytes } from "./progress.ts";
import { renderDiff } from "./render_diff.ts";

/** The rebar3_hex summary of one package, printed before publishing (and in a dry run). */
function renderSummary(
  p: PreparedPackage,
  repo: string,
  tarball: { size: number; checksum: string },
): string[] {
  const m = p.meta;
  const lines = [
    `Publishing ${m.name} ${m.version} to ${repo}`,
    `  Description: ${m.description}`,
    "  Dependencies:",
    ...m.requirements.map((r) => `    ${r.name} ${r.requirement}`),
    "  Included files:",
    ...m.files.map((f) => `    ${f}`),
    `  Licenses: ${m.licenses.join(", ")}`,
    "  Links:",
    ...m.links.map(([k, v]) => `    ${k}: ${v}`),
    `  Build tools: ${m.buildTools.join(", ")}`,
    `  Tarball: ${formatBytes(tarball.size)}, checksum ${tarball.checksum}`,
  ];
  if (repo === "hexpm") lines.push("Be aware, you are publishing to the public Hexpm repository.");
  if (repo === "hexpm" || repo.startsWith("hexpm:")) {
    lines.push("Before publishing, please read Hex CoC: https://hex.pm/policies/codeofconduct");
  }
  return lines;
}

/**
 * The summary of every package of a plan; for `publish docs`, one line per
 * app naming its docs only.
 */
export function renderPlan(plan: Plan): string[] {
  if (plan.input.target === "docs") {
    return plan.apps.map((a) =>
      `Publishing the docs of ${a.prepared.meta.name} ${a.prepared.meta.version} to ${plan.target.repo.name}` +
      (a.docs ? ` (docs tarball: ${formatBytes(a.docs.length)})` : "")
    );
  }
  return plan.apps.flatMap((a) =>
    renderSummary(a.prepared, plan.target.repo.name, {
      size: a.tarball.length,
      checksum: a.checksum,
    })
  );
}

/** Result lines: what was published where, with checksum, docs and the dry-run diff. */
export function renderPublish(result: PublishResult): string[] {
  const out: string[] = [];
  const r = result.reverted;
  if (r) {
    const what = r.what === "docs" ? "the docs of " : "package ";
    out.push(
      r.dryRun
        ? `Dry run: would delete ${what}${r.name} ${r.version} from ${r.repo}`
        : `Successfully deleted ${
          r.what === "docs" ? "docs for " : "package "
        }${r.name} ${r.version}`,
    );
    return out;
  }
  for (const p of result.published) {
    if (p.docsOnly) {
      if (p.dryRun) {
        out.push(
          `Dry run: the docs of ${p.name} ${p.version}${
            p.docsSize !== undefined ? ` (${formatBytes(p.docsSize)})` : ""
          } would be published to ${p.repo}`,
        );
      } else if (p.docs === "published") out.push(...docsLines(p));
      continue;
    }
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
    if (p.docs === "published") out.push(...docsLines(p));
  }
  return out;
}

/** "Published docs for …", with where the repository says they are. */
function docsLines(p: PublishResult["published"][number]): string[] {
  return [`Published docs for ${p.name} ${p.version}`, ...(p.docsUrl ? [`  ${p.docsUrl}`] : [])];
}
