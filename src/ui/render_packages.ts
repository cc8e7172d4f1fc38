/**
 * Tables for `search` and `owner`.
 *
 * @module
 */
import { renderTable } from "./table.ts";

/** Search results: Name, Version, Description (cut at 50 characters), URL. */
export function renderSearch(
  hits: { name: string; version?: string; description: string; url?: string }[],
): string[] {
  if (hits.length === 0) return ["No Results"];
  const cut = (d: string) => {
    const oneLine = d.replace(/\s+/g, " ").trim();
    return [...oneLine].length > 50 ? [...oneLine].slice(0, 50).join("") + "..." : oneLine;
  };
  return renderTable(
    ["Name", "Version", "Description", "URL"],
    hits.map((h) => [h.name, h.version ?? "", cut(h.description), h.url ?? ""]),
  );
}

/** Owners of a package. */
export function renderOwners(
  owners: { username: string; email?: string; level: string }[],
): string[] {
  return renderTable(
    ["Username", "Email", "Level"],
    owners.map((o) => [o.username, o.email ?? "", o.level]),
  );
}

/** Packages a user owns. */
export function renderOwned(
  packages: { name: string; repository?: string; url?: string }[],
): string[] {
  if (packages.length === 0) return ["No packages"];
  return renderTable(
    ["Name", "Repository", "URL"],
    packages.map((p) => [p.name, p.repository ?? "hexpm", p.url ?? ""]),
  );
}
