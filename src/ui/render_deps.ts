/**
 * What `hexpub outdated` and `hexpub audit` print (without `--json`).
 *
 * @module
 */
import { cleanRegistryText as clean } from "../registry/registry_text.ts";
import type { AuditFinding, AuditResult } from "../tasks/deps_audit.ts";
import type { OutdatedResult, OutdatedStatus, OutdatedVersion } from "../tasks/outdated.ts";
import { renderTable } from "./table.ts";

/** mix hex.outdated's words for each status. */
const STATUS: Record<OutdatedStatus, string> = {
  "up-to-date": "Up-to-date",
  "update-possible": "Update possible",
  "update-not-possible": "Update not possible",
};

function cell(v: OutdatedVersion | null): string {
  if (!v) return "-";
  return `${clean(v.version)}${v.retired ? " (retired)" : ""}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The `outdated` table (Dependency, Current, Allowed, Latest, Status), then the
 * retirements it marks and what to do.
 */
export function renderOutdated(result: OutdatedResult, options: { all?: boolean } = {}): string[] {
  const deps = result.dependencies;
  if (deps.length === 0) return ["No Hex dependencies in rebar.lock"];
  const transitive = options.all && deps.some((d) => d.level > 0);
  const headers = [
    "Dependency",
    ...(transitive ? ["Level"] : []),
    "Requirement",
    "Current",
    "Allowed",
    "Latest",
    "Status",
  ];
  const rows = deps.map((d) => [
    clean(d.app),
    ...(transitive ? [String(d.level)] : []),
    d.requirement === null ? "any" : clean(d.requirement),
    cell(d.current),
    cell(d.allowed),
    cell(d.latest),
    STATUS[d.status],
  ]);
  const lines = renderTable(headers, rows);
  const retired = new Map<string, string>();
  for (const d of deps) {
    for (const v of [d.current, d.allowed, d.latest]) {
      if (!v?.retired) continue;
      retired.set(
        `${d.package} ${v.version}`,
        `  ${clean(d.package)} ${clean(v.version)}: ${clean(v.retired.reason)}${
          v.retired.message ? `: ${clean(v.retired.message)}` : ""
        }`,
      );
    }
  }
  if (retired.size > 0) lines.push("", "Retired releases:", ...retired.values());
  const foreign = deps.filter((d) => d.repository !== "hexpm");
  if (foreign.length > 0) {
    lines.push(
      "",
      `Read from other repositories: ${
        foreign.map((d) => `${clean(d.app)} (${clean(d.repository)})`).join(", ")
      }`,
    );
  }
  lines.push("");
  // What can be updated is the error line on stderr (exit 1); here, the all-clear.
  if (!deps.some((d) => d.status === "update-possible")) {
    lines.push("Every dependency is at the newest version its requirement allows");
  }
  if (deps.some((d) => d.status === "update-not-possible")) {
    lines.push(
      '"Update not possible": a newer release exists, but the requirement excludes it; ' +
        "change the requirement in rebar.config to take it",
    );
  }
  if (!options.all) {
    lines.push("Top-level dependencies only; --all shows every locked dependency");
  }
  return lines;
}

function findingLines(f: AuditFinding): string[] {
  const name = `${clean(f.app)} ${clean(f.version)}${
    f.package !== f.app ? ` (package ${clean(f.package)})` : ""
  }${f.repository !== "hexpm" ? ` from ${clean(f.repository)}` : ""}${
    f.level > 0 ? `, level ${f.level}` : ""
  }`;
  const lines = [name];
  if (f.retired) {
    lines.push(
      `  retired (${clean(f.retired.reason)})${
        f.retired.message ? `: ${clean(f.retired.message)}` : ""
      }`,
    );
  }
  for (const a of f.advisories) {
    const grade = [a.severity, a.cvssScore !== undefined ? `CVSS ${a.cvssScore}` : undefined]
      .filter(Boolean).join(", ");
    const aka = a.aliases.length > 0 ? ` (also ${a.aliases.join(", ")})` : "";
    lines.push(`  advisory ${a.id}${aka}${grade ? ` [${grade}]` : ""}: ${a.summary}`);
    lines.push(`    ${a.url}`);
  }
  return lines;
}

/** The `audit` report: each dependency with what was found, then a summary line. */
export function renderAudit(result: AuditResult): string[] {
  const checked = plural(result.checked, "locked dependency", "locked dependencies");
  if (result.findings.length === 0) {
    return [`No retired releases or security advisories among ${checked}`];
  }
  const lines = result.findings.flatMap((f) => [...findingLines(f), ""]);
  lines.push(
    `Found ${plural(result.retired, "retired release")} and ` +
      `${plural(result.advisories, "security advisory", "security advisories")} among ${checked}`,
  );
  return lines;
}
