/**
 * The `organization` use cases: repository keys for `hexpm:ORG`, stored
 * encrypted (in plain text, saying so, when there is no terminal and no
 * HEXPUB_LOCAL_PASSWORD), and the organization's API keys.
 *
 * @module
 */
import { AuthError } from "../errors.ts";
import { sha256 } from "../tarball/checksum.ts";
import type { Deps } from "../ports.ts";
import { HexApiError } from "../hex/api_errors.ts";
import type { Key } from "../hex/key.ts";
import { send } from "../hex/send.ts";
import { buildTestAuthRequest, parseTestAuthResponse } from "../hex/user.ts";
import {
  getRepoKey,
  loadStore,
  removeRepo,
  repoNames,
  setRepoKey,
  updateStore,
} from "../config/credential_store.ts";
import { announcePlain, call, openSession, storeEntry, storeKey, unlockStore } from "./session.ts";
import { keyFromStdin } from "./secret_stdin.ts";
import { type AuditEntry, buildOrgAuditRequest, parseAuditResponse } from "../hex/audit.ts";
import { formatPermission } from "../hex/permissions.ts";
import { createKey, keyPermissions, listKeys, revokeAllKeys, revokeKey } from "./user.ts";

/**
 * `organization auth hexpm:ORG`: checks `--key` with the server and stores it,
 * or creates a `repository:ORG` key with the user's credentials and stores that.
 */
export async function orgAuth(
  deps: Deps,
  input: { org: string; key?: string; keyStdin?: boolean; keyName?: string; otp?: string },
): Promise<{ org: string; keyName?: string }> {
  const given = input.keyStdin
    ? await keyFromStdin(deps, `hexpub organization auth hexpm:${input.org}`, input.key)
    : input.key;
  const session = await openSession(deps, {
    repo: `hexpm:${input.org}`,
    otp: input.otp,
    command: "organization auth",
  });
  const store = await loadStore(deps, session.storePath);
  const skey = await storeKey(deps, store);
  let secret: string;
  let keyName: string | undefined;
  if (given !== undefined) {
    secret = given.trim();
    const req = buildTestAuthRequest(session.accountTarget, {
      domain: "repository",
      resource: input.org,
    }, {
      userAgent: session.userAgent,
      credential: { kind: "key", secret },
    });
    const check = await parseTestAuthResponse(await send(deps, req, { idempotent: true }), req)
      .catch((e) => {
        if (e instanceof HexApiError && (e.status === 401 || e.status === 403)) {
          throw new AuthError(`the server refused that key for organization "${input.org}"`, {
            hint: `The key needs the repository:${input.org} permission`,
            cause: e,
          });
        }
        throw e;
      });
    keyName = check.kind === "key" ? check.name : undefined;
  } else {
    const created = await createKey(deps, session, {
      name: input.keyName ?? `${deps.host.hostname}-repository-${input.org}`,
      permissions: [{ domain: "repository", resource: input.org }],
      org: input.org,
    });
    secret = created.secret!;
    keyName = created.name;
  }
  await updateStore(
    deps,
    session.storePath,
    (s) => setRepoKey(s, skey, session.entry, secret),
  );
  announcePlain(deps, skey, session.storePath);
  return { org: input.org, keyName };
}

/** `organization deauth hexpm:ORG`: forgets the stored key; the org name, or undefined if none. */
export async function orgDeauth(deps: Deps, input: { org: string }): Promise<string | undefined> {
  const session = await openSession(deps, {
    repo: `hexpm:${input.org}`,
    command: "organization deauth",
  });
  const name = session.entry;
  const store = await loadStore(deps, session.storePath);
  if (!store.repos[name]) return undefined;
  await updateStore(deps, session.storePath, (s) => removeRepo(s, name));
  return input.org;
}

/**
 * A short fingerprint of a repository key, to tell keys apart without showing
 * one: `SHA256:` and the first 16 bytes of its SHA-256, base64.
 */
export async function keyFingerprint(secret: string): Promise<string> {
  const digest = await sha256(new TextEncoder().encode(secret));
  return `SHA256:${btoa(String.fromCharCode(...digest.subarray(0, 16))).replace(/=+$/, "")}`;
}

/** `organization list`: the organizations hexpub holds a key for, with the key's fingerprint. */
export async function orgList(deps: Deps) {
  const session = await openSession(deps, { command: "organization list" });
  const store = await loadStore(deps, session.storePath);
  // Entries for organizations of the hexpm repository at the API in use.
  const orgOf = (n: string) => /^hexpm:([a-z0-9_]+)/.exec(n)?.[1];
  const names = repoNames(store).filter((n) => {
    const org = orgOf(n);
    return org !== undefined && store.repos[n].repoKey &&
      n === storeEntry(`hexpm:${org}`, session.repo.apiUrl);
  });
  if (names.length === 0) return [];
  const skey = await unlockStore(deps, store);
  const out = [];
  for (const n of names) {
    const org = orgOf(n)!;
    const secret = await getRepoKey(store, skey, n);
    out.push({
      name: org,
      url: `${session.repo.repoUrl}/repos/${org}`,
      fingerprint: secret ? await keyFingerprint(secret) : undefined,
    });
  }
  return out;
}

/** `organization key hexpm:ORG generate`: default permission repository:ORG. */
export async function orgKeyGenerate(
  deps: Deps,
  input: { org: string; name?: string; permissions: string[]; otp?: string },
): Promise<Key> {
  const permissions = keyPermissions(input.permissions, [{
    domain: "repository",
    resource: input.org,
  }]);
  // Hex recommends fetch-only keys for CI: say so when asked for more.
  const more = permissions.filter((p) =>
    !((p.domain === "repository" || p.domain === "docs") && p.resource === input.org)
  );
  if (more.length > 0) {
    deps.out.problem({
      level: "warning",
      field: "permissions",
      message: `this key can do more than fetch ${input.org}'s packages: ${
        more.map(formatPermission).join(", ")
      }`,
      hint: `A CI job that only fetches needs repository:${input.org} (the default)`,
    });
  }
  const session = await openSession(deps, { otp: input.otp, command: "organization key generate" });
  return await createKey(deps, session, {
    name: input.name ?? `${deps.host.hostname}-repository-${input.org}`,
    permissions,
    org: input.org,
  });
}

/** `organization audit ORG`: the organization's audit log. */
export async function orgAudit(
  deps: Deps,
  input: { org: string; page: number },
): Promise<AuditEntry[]> {
  const session = await openSession(deps, { command: "organization audit" });
  return await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildOrgAuditRequest(session.accountTarget, input.org, { page: input.page }, {
        userAgent: session.userAgent,
        credential,
      }),
    parse: parseAuditResponse,
  });
}

/** `organization key hexpm:ORG list`. */
export async function orgKeyList(deps: Deps, input: { org: string }): Promise<Key[]> {
  const session = await openSession(deps, { command: "organization key list" });
  return await listKeys(deps, session, input.org);
}

/** `organization key hexpm:ORG revoke NAME`. */
export async function orgKeyRevoke(
  deps: Deps,
  input: { org: string; name: string; otp?: string },
): Promise<string> {
  const session = await openSession(deps, { otp: input.otp, command: "organization key revoke" });
  return await revokeKey(deps, session, { name: input.name, org: input.org });
}

/** `organization key hexpm:ORG revoke --all`. */
export async function orgKeyRevokeAll(
  deps: Deps,
  input: { org: string; otp?: string },
): Promise<void> {
  const session = await openSession(deps, { otp: input.otp, command: "organization key revoke" });
  await revokeAllKeys(deps, session, input.org);
}
