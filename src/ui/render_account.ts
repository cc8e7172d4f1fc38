/**
 * Human output of the account commands (`user`, `organization`).
 *
 * @module
 */
import { type AuditEntry, describeAudit } from "../hex/audit.ts";
import { describePermissions } from "../hex/scopes.ts";
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

/** A new key: its name, its secret alone on a line (shown only this once), then what it can do. */
export function renderCreatedKey(k: KeyView & { secret?: string }): string[] {
  const lines = [
    `Key ${k.name} successfully created. Its secret, shown only this once:`,
    k.secret ?? "",
  ];
  if (k.permissions.length > 0) {
    lines.push(
      `It can: ${
        describePermissions(
          k.permissions.map((p) => ({ domain: p.domain, resource: p.resource ?? undefined })),
        )
      }` +
        (k.revokeAt ? `; it expires ${k.revokeAt}` : "; it does not expire"),
    );
  }
  return lines;
}

const when = (iso: string | undefined | null) => (iso ? iso.replace(/\.\d+Z$/, "Z") : "");

/**
 * `key list`: name, what it can do, created, last used (when, from where, by
 * what), expiry. `stale` is `--stale`'s age, for what an empty list means.
 */
export function renderKeys(keys: KeyView[], options: { stale?: string } = {}): string[] {
  if (keys.length === 0) {
    return [options.stale ? `No key unused for ${options.stale}` : "No keys"];
  }
  return renderTable(
    ["Name", "Can", "Created", "Last used", "Expires"],
    keys.map((k) => [
      k.name,
      describePermissions(
        k.permissions.map((p) => ({ domain: p.domain, resource: p.resource ?? undefined })),
      ),
      when(k.insertedAt),
      k.lastUse?.usedAt
        ? `${when(k.lastUse.usedAt)} from ${k.lastUse.ip ?? "?"} by ${k.lastUse.userAgent ?? "?"}`
        : "never",
      k.revokeAt ? when(k.revokeAt) : "never",
    ]),
  );
}

/** `key fetch`: rebar3_hex's columns. */
export function renderKey(k: KeyView): string[] {
  return renderTable(
    ["Name", "Permissions", "Created", "Updated", "LastUsed", "LastUsedBy", "Expires"],
    [[
      k.name,
      perms(k),
      k.insertedAt ?? "",
      k.updatedAt ?? "",
      k.lastUse?.usedAt ?? "never",
      k.lastUse ? `${k.lastUse.ip ?? ""} ${k.lastUse.userAgent ?? ""}`.trim() || "n/a" : "n/a",
      k.revokeAt ?? "never",
    ]],
  );
}

/** An audit log: when, then what happened in words. */
export function renderAudit(entries: AuditEntry[]): string[] {
  if (entries.length === 0) return ["No entries"];
  return renderTable(
    ["When", "What", "Client"],
    entries.map((e) => [when(e.insertedAt), describeAudit(e), e.userAgent ?? ""]),
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
