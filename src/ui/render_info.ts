/**
 * What `hexpub info` and `hexpub fetch` print.
 *
 * @module
 */
import type { FetchResult } from "../tasks/fetch.ts";
import { cleanRegistryText as clean } from "../registry/registry_text.ts";
import type { InfoResult, InfoRetirement, PackageInfo, ReleaseInfo } from "../tasks/info.ts";
import { renderTable } from "./table.ts";

function retirementText(r: InfoRetirement): string {
  return `retired (${clean(r.reason)})${r.message ? `: ${clean(r.message)}` : ""}`;
}

function where(repository: string): string {
  return `repository ${repository}`;
}

function renderPackage(p: PackageInfo): string[] {
  const lines = [`${clean(p.name)} (${where(p.repository)})`];
  lines.push(
    `Latest stable version: ${
      p.latestStable ? clean(p.latestStable) : "none (no stable release that is not retired)"
    }`,
  );
  if (p.versions.length === 0) return [...lines, "No releases"];
  lines.push("");
  const withDates = p.versions.some((v) => v.publishedAt);
  const headers = ["Version", "Dependencies", ...(withDates ? ["Published"] : []), "Status"];
  const rows = p.versions.map((v) => [
    clean(v.version),
    String(v.dependencies),
    ...(withDates ? [v.publishedAt?.slice(0, 10) ?? ""] : []),
    [v.prerelease ? "pre-release" : "", v.retired ? retirementText(v.retired) : ""]
      .filter(Boolean).join(", "),
  ]);
  lines.push(...renderTable(headers, rows));
  lines.push("");
  lines.push(
    `Run \`hexpub info ${clean(p.name)} VERSION${
      p.repository === "hexpm" ? "" : ` -r ${p.repository}`
    }\` for a release's checksum and dependencies.`,
  );
  return lines;
}

function renderRelease(r: ReleaseInfo): string[] {
  const lines = [`${clean(r.name)} ${clean(r.version)} (${where(r.repository)})`];
  if (r.retired) lines.push(`R${retirementText(r.retired).slice(1)}`);
  lines.push(`Checksum: ${r.checksum ?? "not in the registry (an old release)"}`);
  lines.push(`Inner checksum: ${r.innerChecksum}`);
  if (r.publishedAt) lines.push(`Published: ${r.publishedAt}`);
  if (r.dependencies.length === 0) {
    lines.push("Dependencies: none");
    return lines;
  }
  lines.push("Dependencies:");
  const rows = r.dependencies.map((d) => [
    clean(d.package),
    clean(d.requirement),
    [
      d.optional ? "optional" : "",
      d.app ? `app ${clean(d.app)}` : "",
      d.repository ? `repository ${clean(d.repository)}` : "",
    ].filter(Boolean).join(", "),
  ]);
  lines.push(...renderTable(["Name", "Requirement", "Notes"], rows).map((l) => `  ${l}`.trimEnd()));
  return lines;
}

/** The text of an `info` result. */
export function renderInfo(result: InfoResult): string[] {
  return result.kind === "package" ? renderPackage(result) : renderRelease(result);
}

/** The text of a `fetch` result. */
export function renderFetch(result: FetchResult, display: (path: string) => string): string[] {
  return [
    `Fetched ${result.name} ${result.version} from ${where(result.repository)}`,
    `  ${result.unpacked ? "Unpacked to" : "Saved to"}: ${display(result.path)}`,
    `  Checksum: ${result.checksum} (matches the signed registry)`,
  ];
}
