/**
 * API keys (hexpm `lib/hexpm_web/controllers/api/key_controller.ex`; hex_core `hex_api_key.erl`): list, get,
 * create, revoke one, revoke all. Each works on the user's keys (`/keys…`) or, with
 * `org`, on an organization's keys (`/orgs/ORG/keys…`).
 *
 * Whose keys is an explicit option rather than following `ApiTarget.repo`, because
 * `user key …` run against `hexpm:acme` still means the user's own keys.
 *
 * @module
 */

import type { ApiTarget } from "./api_config.ts";
import {
  asArray,
  asObject,
  booleanField,
  decodeJson,
  expectStatus,
  type JsonObject,
  optionalString,
  stringField,
} from "./api_errors.ts";
import type { Permission } from "./permissions.ts";
import { buildApiRequest, type CallOptions, pathSegment } from "./request.ts";

/** An API key as the server describes it. */
export interface Key {
  /** The name, possibly renamed by the server on a collision (`NAME-2`). */
  name: string;
  /** What the key may do; `api` with no resource is the full API. */
  permissions: Permission[];
  /** The secret: only in the answer to a create, and never shown again. */
  secret?: string;
  /** Whether this is the key that authenticated the request (`authing_key`). */
  authing: boolean;
  /** When the key stops working (ISO 8601), if it expires. */
  revokeAt?: string;
  /** The key's last use. */
  lastUse?: { usedAt?: string; ip?: string; userAgent?: string };
  insertedAt?: string;
  updatedAt?: string;
  /** The API URL of the key. */
  url?: string;
}

/** Options of every key request besides the call options. */
export interface KeyScope {
  /** The organization whose keys these are (`/orgs/ORG/keys`); omit for the user's own. */
  org?: string;
}

/** Input of {@link buildCreateKeyRequest}. */
export interface NewKey {
  /** The key's name (the server appends `-2`, `-3`, … if it is taken). */
  name: string;
  /** Permissions; omitted means the server's default, the full API (`api`). */
  permissions?: Permission[];
  /** When the key should stop working (must be in the future). */
  revokeAt?: Date | string;
}

function keysPath(scope: KeyScope, name?: string): string {
  const base = scope.org === undefined ? "/keys" : `/orgs/${pathSegment(scope.org)}/keys`;
  return name === undefined ? base : `${base}/${pathSegment(name)}`;
}

/** Decodes a Key JSON object. */
function decodeKey(json: unknown): Key {
  const o = asObject(json, "the key");
  const permissions = o.permissions === undefined || o.permissions === null
    ? []
    : asArray(o.permissions, '"permissions"').map((item) => {
      const p = asObject(item, "a permission");
      const resource = optionalString(p, "resource");
      return resource === undefined
        ? { domain: stringField(p, "domain") }
        : { domain: stringField(p, "domain"), resource };
    });
  let lastUse: Key["lastUse"];
  if (o.last_use !== undefined && o.last_use !== null) {
    const use: JsonObject = asObject(o.last_use, '"last_use"');
    lastUse = {
      usedAt: optionalString(use, "used_at"),
      ip: optionalString(use, "ip"),
      userAgent: optionalString(use, "user_agent"),
    };
  }
  return {
    name: stringField(o, "name"),
    permissions,
    secret: optionalString(o, "secret"),
    authing: booleanField(o, "authing_key", false),
    revokeAt: optionalString(o, "revoke_at"),
    lastUse,
    insertedAt: optionalString(o, "inserted_at"),
    updatedAt: optionalString(o, "updated_at"),
    url: optionalString(o, "url"),
  };
}

function decodeKeys(json: unknown): Key[] {
  return asArray(json, "the body").map(decodeKey);
}

/**
 * `GET /keys` (or `/orgs/ORG/keys`): the keys that are not revoked, by name.
 *
 * @param target The API.
 * @param call User-Agent, credential (api:read) and `org`.
 */
export function buildListKeysRequest(target: ApiTarget, call: CallOptions & KeyScope): Request {
  return buildApiRequest(target, { ...call, method: "GET", path: keysPath(call) });
}

/**
 * Reads the answer to {@link buildListKeysRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The keys.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseListKeysResponse(res: Response, req?: Request): Promise<Key[]> {
  return decodeJson(res, req, [200], decodeKeys);
}

/**
 * `GET /keys/NAME` (or `/orgs/ORG/keys/NAME`).
 *
 * @param target The API.
 * @param name The key's name.
 * @param call User-Agent, credential and `org`.
 * @throws {UsageError} For a name that cannot be a path segment.
 */
export function buildGetKeyRequest(
  target: ApiTarget,
  name: string,
  call: CallOptions & KeyScope,
): Request {
  return buildApiRequest(target, { ...call, method: "GET", path: keysPath(call, name) });
}

/**
 * Reads the answer to {@link buildGetKeyRequest}.
 *
 * @param res The response (200 expected; 404 for an unknown key).
 * @param req The request, for error messages.
 * @returns The key.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseGetKeyResponse(res: Response, req?: Request): Promise<Key> {
  return decodeJson(res, req, [200], decodeKey);
}

/**
 * `POST /keys` (or `/orgs/ORG/keys`): creates a key. Needs `api:write` (with an
 * OAuth token, a TOTP code too).
 *
 * @param target The API.
 * @param key Name, permissions and expiry.
 * @param call User-Agent, credential, TOTP code and `org`.
 */
export function buildCreateKeyRequest(
  target: ApiTarget,
  key: NewKey,
  call: CallOptions & KeyScope,
): Request {
  const body: Record<string, unknown> = { name: key.name };
  if (key.permissions !== undefined) {
    body.permissions = key.permissions.map((p) => ({
      domain: p.domain,
      resource: p.resource ?? null,
    }));
  }
  if (key.revokeAt !== undefined) {
    body.revoke_at = key.revokeAt instanceof Date ? key.revokeAt.toISOString() : key.revokeAt;
  }
  return buildApiRequest(target, { ...call, method: "POST", path: keysPath(call), body });
}

/**
 * Reads the answer to {@link buildCreateKeyRequest}.
 *
 * @param res The response (201 expected).
 * @param req The request, for error messages.
 * @returns The new key, with its `secret` (show it once; store it or lose it).
 * @throws {HexApiError} For any other status, a malformed body, or a body without a
 * secret.
 */
export function parseCreateKeyResponse(
  res: Response,
  req?: Request,
): Promise<Key & { secret: string }> {
  return decodeJson(res, req, [201], (json) => {
    const key = decodeKey(json);
    if (key.secret === undefined || key.secret === "") {
      throw new TypeError('expected "secret" in the new key');
    }
    return { ...key, secret: key.secret };
  });
}

/**
 * `DELETE /keys/NAME` (or `/orgs/ORG/keys/NAME`): revokes one key. Needs `api:write`.
 *
 * @param target The API.
 * @param name The key's name.
 * @param call User-Agent, credential, TOTP code and `org`.
 * @throws {UsageError} For a name that cannot be a path segment.
 */
export function buildRevokeKeyRequest(
  target: ApiTarget,
  name: string,
  call: CallOptions & KeyScope,
): Request {
  return buildApiRequest(target, { ...call, method: "DELETE", path: keysPath(call, name) });
}

/**
 * Reads the answer to {@link buildRevokeKeyRequest}: hex.pm answers 200 with the
 * revoked key (older documentation: 204, no body); 404 when there is no such key.
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @returns The revoked key, or `undefined` after a 204 (or an empty 200).
 * @throws {HexApiError} For any status but 200 and 204, or a malformed 200 body.
 */
export function parseRevokeKeyResponse(res: Response, req?: Request): Promise<Key | undefined> {
  return parseRevoked(res, req);
}

/**
 * `DELETE /keys` (or `/orgs/ORG/keys`): revokes every key, the authenticating one
 * included. Needs `api:write`.
 *
 * @param target The API.
 * @param call User-Agent, credential, TOTP code and `org`.
 */
export function buildRevokeAllKeysRequest(
  target: ApiTarget,
  call: CallOptions & KeyScope,
): Request {
  return buildApiRequest(target, { ...call, method: "DELETE", path: keysPath(call) });
}

/**
 * Reads the answer to {@link buildRevokeAllKeysRequest}: 200 with the authenticating
 * key (or 204, no body).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @returns The authenticating key, or `undefined` after a 204 (or an empty 200).
 * @throws {HexApiError} For any status but 200 and 204, or a malformed 200 body.
 */
export function parseRevokeAllKeysResponse(
  res: Response,
  req?: Request,
): Promise<Key | undefined> {
  return parseRevoked(res, req);
}

async function parseRevoked(res: Response, req: Request | undefined): Promise<Key | undefined> {
  if (res.status === 204) {
    await res.body?.cancel();
    return undefined;
  }
  await expectStatus(res, req, [200]);
  const text = await res.text();
  if (text.trim() === "") return undefined;
  return decodeJson(new Response(text, { status: 200 }), req, [200], decodeKey);
}
