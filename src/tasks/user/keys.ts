/**
 * The API keys of a user (or, given `org`, of an organization): the calls
 * `organization` shares, and the `user key …` use cases.
 *
 * @module
 */
import { UsageError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import {
  buildCreateKeyRequest,
  buildGetKeyRequest,
  buildListKeysRequest,
  buildRevokeAllKeysRequest,
  buildRevokeKeyRequest,
  type Key,
  parseCreateKeyResponse,
  parseGetKeyResponse,
  parseListKeysResponse,
  parseRevokeAllKeysResponse,
  parseRevokeKeyResponse,
} from "../../hex/key.ts";
import { parsePermissions, type Permission } from "../../hex/permissions.ts";
import { parseDuration, parseExpiry, purposePermissions } from "../../hex/scopes.ts";
import { call, openSession, type Session } from "../session.ts";

/** The permissions of a new key: the given ones (validated before any request), else full API. */
export function keyPermissions(given: string[], fallback: Permission[]): Permission[] {
  return given.length > 0 ? parsePermissions(given) : fallback;
}

/** Key operations for the user (`org` undefined) or an organization. */
export async function createKey(
  deps: Deps,
  session: Session,
  input: { name: string; permissions: Permission[]; org?: string; revokeAt?: Date },
): Promise<Key> {
  return await call(deps, session, {
    write: true,
    idempotent: false,
    build: (credential, otp) =>
      buildCreateKeyRequest(session.accountTarget, {
        name: input.name,
        permissions: input.permissions,
        ...(input.revokeAt ? { revokeAt: input.revokeAt } : {}),
      }, { userAgent: session.userAgent, credential, otp, org: input.org }),
    parse: parseCreateKeyResponse,
  });
}

/** Lists keys (of the user, or of `org`). */
export async function listKeys(deps: Deps, session: Session, org?: string): Promise<Key[]> {
  return await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildListKeysRequest(session.accountTarget, {
        userAgent: session.userAgent,
        credential,
        org,
      }),
    parse: parseListKeysResponse,
  });
}

/** Revokes one key by name; returns its name. */
export async function revokeKey(
  deps: Deps,
  session: Session,
  input: { name: string; org?: string },
): Promise<string> {
  await call(deps, session, {
    write: true,
    idempotent: true,
    build: (credential, otp) =>
      buildRevokeKeyRequest(session.accountTarget, input.name, {
        userAgent: session.userAgent,
        credential,
        otp,
        org: input.org,
      }),
    parse: parseRevokeKeyResponse,
  });
  return input.name;
}

/** Revokes every key (of the user, or of `org`). */
export async function revokeAllKeys(deps: Deps, session: Session, org?: string): Promise<void> {
  await call(deps, session, {
    write: true,
    idempotent: true,
    build: (credential, otp) =>
      buildRevokeAllKeysRequest(session.accountTarget, {
        userAgent: session.userAgent,
        credential,
        otp,
        org,
      }),
    parse: parseRevokeAllKeysResponse,
  });
}

/** The permissions of a new key: a named purpose, the given ones, or the fallback. */
export function chooseKeyPermissions(
  input: { permissions: string[]; purpose?: string[] },
  repo: string,
  fallback: Permission[],
): Permission[] {
  if (input.purpose?.length) {
    if (input.permissions.length > 0) {
      throw new UsageError("--for and --permission cannot be combined", {
        hint: "--for picks the permissions for you; pass one or the other",
      });
    }
    const [purpose, ...args] = input.purpose;
    if (args.length > 1) {
      throw new UsageError(`--for ${purpose} takes at most one argument, got ${args.length}`);
    }
    return purposePermissions(purpose, args[0], repo);
  }
  return keyPermissions(input.permissions, fallback);
}

/** `user key generate`: the new key, with its secret (shown once). */
export async function keyGenerate(
  deps: Deps,
  input: {
    repo?: string;
    name?: string;
    permissions: string[];
    purpose?: string[];
    expires?: string;
    otp?: string;
  },
): Promise<Key> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key generate",
  });
  const repoName = session.repo.organization ?? "hexpm";
  const permissions = chooseKeyPermissions(input, repoName, [{ domain: "api" }]);
  const revokeAt = input.expires === undefined ? undefined : parseExpiry(input.expires, deps.now());
  return await createKey(deps, session, {
    name: input.name ?? deps.host.hostname,
    permissions,
    revokeAt,
  });
}

/** `user key list`. */
export async function keyList(
  deps: Deps,
  input: { repo?: string; stale?: string },
): Promise<Key[]> {
  const maxAge = input.stale === undefined ? undefined : parseDuration(input.stale);
  const keys = await listKeys(
    deps,
    await openSession(deps, { repo: input.repo, command: "user key list" }),
  );
  if (maxAge === undefined) return keys;
  const cutoff = deps.now() - maxAge;
  return keys.filter((k) => {
    const last = k.lastUse?.usedAt ?? k.insertedAt;
    return last === undefined || Date.parse(last) < cutoff;
  });
}

/** `user key fetch NAME`. */
export async function keyFetch(deps: Deps, input: { repo?: string; name: string }): Promise<Key> {
  const session = await openSession(deps, { repo: input.repo, command: "user key fetch" });
  return await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildGetKeyRequest(session.accountTarget, input.name, {
        userAgent: session.userAgent,
        credential,
      }),
    parse: parseGetKeyResponse,
  });
}

/** `user key revoke NAME`. */
export async function keyRevoke(
  deps: Deps,
  input: { repo?: string; name: string; otp?: string },
): Promise<string> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key revoke",
  });
  return await revokeKey(deps, session, { name: input.name });
}

/** `user key revoke --all`. */
export async function keyRevokeAll(
  deps: Deps,
  input: { repo?: string; otp?: string },
): Promise<void> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key revoke",
  });
  await revokeAllKeys(deps, session);
}
