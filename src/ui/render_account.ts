/**
 * Human output of the account commands (`user`, `organization`).
 *
 * @module
 */
import { renderTable } from "./table.ts";

/** What `user whoami` shows. */
export interface WhoamiView {
  repo: string;
  username: string;
  email?: string;
  fullName?: string;
  organizations: { name: string; role: string }[];
}

/** `user whoami`: the table rebar3_hex prints, plus organizations. */
export function renderWhoami(w: WhoamiView): string[] {
  const lines = renderTable(
    ["Repo", "User Name", "Full Name", "Email"],
    [[w.repo, w.username, w.fullName ?? "", w.email ?? "private"]],
  );
  if (w.organizations.length > 0) {
    lines.push(
      "",
      ...renderTable(["Organization", "Role"], w.organizations.map((o) => [o.name, o.role])),
    );
  }
  return lines;
}

/** A key as listed. */
export interface KeyView {
  name: string;
  permissions: { domain: string; resource?: string | null }[];
  insertedAt?: string;
  updatedAt?: string;
  revokeAt?: string | null;
  lastUse?: { usedAt?: string; ip?: string; userAgent?: string } | null;
}

const perms = (k: KeyView) =>
  k.permissions.map((p) => (p.resource ? `${p.domain}:${p.resource}` : p.domain)).join(" ");

/** A new key: its name, then its secret alone on a line (shown only this once). */
export function renderCreatedKey(k: { name: string; secret?: string }): string[] {
  return [`Key ${k.name} successfully created. Its secret, shown only this once:`, k.secret ?? ""];
}

/** `key list`: Name, Permissions, Created. */
export function renderKeys(keys: KeyView[]): string[] {
  if (keys.length === 0) return ["No keys"];
  return renderTable(
    ["Name", "Permissions", "Created"],
    keys.map((k) => [k.name, perms(k), k.insertedAt ?? ""]),
  );
}

/** `key fetch`: rebar3_hex's columns. */
export function renderKey(k: KeyView): string[] {
  return renderTable(
    ["Name", "Permissions", "Created", "Updated", "LastUsed", "LastUsedBy"],
    [[
      k.name,
      perms(k),
      k.insertedAt ?? "",
      k.updatedAt ?? "",
      k.lastUse?.usedAt ?? "never",
      k.lastUse ? `${k.lastUse.ip ?? ""} ${k.lastUse.userAgent ?? ""}`.trim() || "n/a" : "n/a",
    ]],
  );
}

/** An organization you are authenticated to. */
export interface OrganizationView {
  name: string;
  url: string;
  fingerprint?: string;
}

/** `organization list`: Name, URL and the stored key's fingerprint. */
export function renderOrganizations(orgs: OrganizationView[]): string[] {
  if (orgs.length === 0) return ["No organizations: run `hexpub organization auth hexpm:ORG`"];
  return renderTable(
    ["Name", "URL", "Key fingerprint"],
    orgs.map((o) => [`hexpm:${o.name}`, o.url, o.fingerprint ?? ""]),
  );
}
