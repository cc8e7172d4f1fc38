/**
 * The user resource of the Hex API (hexpm `lib/hexpm_web/controllers/api/user_controller.ex`, `auth_controller.ex`; hex_core
 * `hex_api_user.erl`, `hex_api_auth.erl`): who am I, a user's public profile,
 * registration, and checking what a credential may do.
 *
 * Users are not repository-scoped: these paths never get a `/repos/ORG` prefix.
 *
 * @module
 */

import type { ApiTarget } from "./api_config.ts";
import {
  asArray,
  asObject,
  decodeJson,
  expectStatus,
  type JsonObject,
  optionalString,
  stringField,
} from "./api_errors.ts";
import { buildApiRequest, type CallOptions, pathSegment } from "./request.ts";

/** An organization the user belongs to, with the user's role in it. */
export interface UserOrganization {
  name: string;
  /** `admin`, `write` or `read`. */
  role: string;
}

/** A package the user owns. */
export interface UserPackage {
  name: string;
  /** `hexpm` or the organization's name. */
  repository: string;
  url?: string;
  htmlUrl?: string;
}

/** A Hex user, as `GET /users/me` (with organizations) or `GET /users/NAME` returns it. */
export interface User {
  username: string;
  /** The email: the primary one for `/users/me`, the public one (if any) otherwise. */
  email?: string;
  fullName?: string;
  /** The API URL of the user. */
  url?: string;
  /** The user's organizations (only `/users/me` lists them; empty otherwise). */
  organizations: UserOrganization[];
  /** The packages the user owns (empty when the server does not say). */
  packages: UserPackage[];
  insertedAt?: string;
  updatedAt?: string;
}

/** What `GET /auth` says about the credential that made the request. */
export type AuthCheck =
  /** An API key: hex.pm answers 200 with its name and owner. */
  | { kind: "key"; name?: string; owner?: { type: string; name: string } }
  /** An OAuth access token: hex.pm answers 204. */
  | { kind: "oauth" };

/** Input of {@link buildCreateUserRequest}. */
export interface NewUser {
  username: string;
  email: string;
  password: string;
}

/** Input of {@link buildTestAuthRequest}: the permission to check. */
export interface AuthQuery {
  /** `api`, `repository`, `repositories`, `package`, `docs`. */
  domain: string;
  /** `read`/`write`, `ORG` or `REPO/NAME`, depending on the domain. */
  resource?: string;
}

/** Decodes a User JSON object. */
function decodeUser(json: unknown): User {
  const o = asObject(json, "the user");
  const organizations = o.organizations === undefined || o.organizations === null
    ? []
    : asArray(o.organizations, '"organizations"').map((item) => {
      const org = asObject(item, "an organization");
      return { name: stringField(org, "name"), role: stringField(org, "role") };
    });
  const packages = o.packages === undefined || o.packages === null
    ? []
    : asArray(o.packages, '"packages"').map((item) => decodePackage(asObject(item, "a package")));
  return {
    username: stringField(o, "username"),
    email: optionalString(o, "email"),
    fullName: optionalString(o, "full_name"),
    url: optionalString(o, "url"),
    organizations,
    packages,
    insertedAt: optionalString(o, "inserted_at"),
    updatedAt: optionalString(o, "updated_at"),
  };
}

function decodePackage(o: JsonObject): UserPackage {
  return {
    name: stringField(o, "name"),
    repository: optionalString(o, "repository") ?? "hexpm",
    url: optionalString(o, "url"),
    htmlUrl: optionalString(o, "html_url"),
  };
}

/**
 * `GET /users/me`: the user the credential belongs to, with their organizations.
 * Needs `api:read`.
 *
 * @param target The API.
 * @param call User-Agent and credential.
 */
export function buildWhoamiRequest(target: ApiTarget, call: CallOptions): Request {
  return buildApiRequest(target, { ...call, method: "GET", path: "/users/me" });
}

/**
 * Reads the answer to {@link buildWhoamiRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The user.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseWhoamiResponse(res: Response, req?: Request): Promise<User> {
  return decodeJson(res, req, [200], decodeUser);
}

/**
 * `GET /users/NAME_OR_EMAIL`: a user's public profile (no credential needed).
 *
 * @param target The API.
 * @param nameOrEmail The username or email.
 * @param call User-Agent and optional credential.
 * @throws {UsageError} For a name that cannot be a path segment (`..`).
 */
export function buildGetUserRequest(
  target: ApiTarget,
  nameOrEmail: string,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "GET",
    path: `/users/${pathSegment(nameOrEmail)}`,
  });
}

/**
 * Reads the answer to {@link buildGetUserRequest}.
 *
 * @param res The response (200 expected; 404 for an unknown user).
 * @param req The request, for error messages.
 * @returns The user.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseGetUserResponse(res: Response, req?: Request): Promise<User> {
  return decodeJson(res, req, [200], decodeUser);
}

/**
 * `POST /users`: registers a new account. The caller must show the user hex.pm's
 * terms of service first. hex.pm lower-cases the username and requires
 * `^[a-z0-9_\-.]+$`, 3 characters or more, and a password of 8 or more.
 *
 * @param target The API.
 * @param user Username, email and password (sent in the JSON body only).
 * @param call User-Agent.
 */
export function buildCreateUserRequest(
  target: ApiTarget,
  user: NewUser,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "POST",
    path: "/users",
    body: { username: user.username, email: user.email, password: user.password },
  });
}

/**
 * Reads the answer to {@link buildCreateUserRequest}.
 *
 * @param res The response (201 expected; 422 with `errors` such as
 * `{"username":"has already been taken"}`).
 * @param req The request, for error messages.
 * @returns The new user.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseCreateUserResponse(res: Response, req?: Request): Promise<User> {
  return decodeJson(res, req, [201], decodeUser);
}

/**
 * `GET /auth?domain=D&resource=R`: whether the credential grants a permission, and
 * what kind of credential it is. Used to check an API key before storing it.
 *
 * @param target The API.
 * @param query The permission to check.
 * @param call User-Agent and the credential to check.
 */
export function buildTestAuthRequest(
  target: ApiTarget,
  query: AuthQuery,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "GET",
    path: "/auth",
    query: { domain: query.domain, resource: query.resource },
  });
}

/**
 * Reads the answer to {@link buildTestAuthRequest}.
 *
 * @param res The response: 200 with `{"key": {"name", "owner": {"type", "name"}}}` for
 * an API key, 204 for an OAuth token; a 401 means the credential is invalid or lacks
 * the permission.
 * @param req The request, for error messages.
 * @returns What the credential is.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export async function parseTestAuthResponse(res: Response, req?: Request): Promise<AuthCheck> {
  if (res.status === 204) {
    await res.body?.cancel();
    return { kind: "oauth" };
  }
  await expectStatus(res, req, [200]);
  const text = await res.text();
  if (text.trim() === "") return { kind: "key" };
  return decodeJson(new Response(text, { status: 200 }), req, [200], (json) => {
    const o = asObject(json, "the body");
    if (o.key === undefined || o.key === null) return { kind: "key" };
    const key = asObject(o.key, '"key"');
    const owner = key.owner === undefined || key.owner === null
      ? undefined
      : asObject(key.owner, '"owner"');
    return {
      kind: "key",
      name: optionalString(key, "name"),
      owner: owner && { type: stringField(owner, "type"), name: stringField(owner, "name") },
    };
  });
}
