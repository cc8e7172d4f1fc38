/**
 * Organizations (hexpm `lib/hexpm_web/controllers/api/organization_controller.ex`; hex_core
 * `hex_api_organization.erl`): the organizations the user belongs to, and one
 * organization's details. Organization keys live in `key.ts` (`org` option).
 *
 * @module
 */

import type { ApiTarget } from "./api_config.ts";
import {
  asArray,
  asObject,
  booleanField,
  decodeJson,
  optionalString,
  stringField,
} from "./api_errors.ts";
import { buildApiRequest, type CallOptions, pathSegment } from "./request.ts";

/** An organization as `GET /orgs` and `GET /orgs/ORG` describe it. */
export interface Organization {
  name: string;
  /** Whether its billing is active (publishing to its repository needs it). */
  billingActive: boolean;
  /** Paid seats: only in `GET /orgs/ORG`. */
  seats?: number;
  insertedAt?: string;
  updatedAt?: string;
}

/** Decodes an organization JSON object. */
export function decodeOrganization(json: unknown): Organization {
  const o = asObject(json, "the organization");
  const seats = o.seats;
  if (seats !== undefined && seats !== null && typeof seats !== "number") {
    throw new TypeError('expected "seats" to be a number');
  }
  return {
    name: stringField(o, "name"),
    billingActive: booleanField(o, "billing_active", false),
    seats: typeof seats === "number" ? seats : undefined,
    insertedAt: optionalString(o, "inserted_at"),
    updatedAt: optionalString(o, "updated_at"),
  };
}

/**
 * `GET /orgs`: the organizations the credential's user belongs to. Needs `api:read`.
 *
 * @param target The API.
 * @param call User-Agent and credential.
 */
export function buildListOrgsRequest(target: ApiTarget, call: CallOptions): Request {
  return buildApiRequest(target, { ...call, method: "GET", path: "/orgs" });
}

/**
 * Reads the answer to {@link buildListOrgsRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The organizations.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseListOrgsResponse(res: Response, req?: Request): Promise<Organization[]> {
  return decodeJson(res, req, [200], (json) => asArray(json, "the body").map(decodeOrganization));
}

/**
 * `GET /orgs/ORG`: one organization. Needs `api:read` and membership.
 *
 * @param target The API.
 * @param org The organization's name (`acme`, not `hexpm:acme`).
 * @param call User-Agent and credential.
 * @throws {UsageError} For a name that cannot be a path segment.
 */
export function buildGetOrgRequest(target: ApiTarget, org: string, call: CallOptions): Request {
  return buildApiRequest(target, { ...call, method: "GET", path: `/orgs/${pathSegment(org)}` });
}

/**
 * Reads the answer to {@link buildGetOrgRequest}.
 *
 * @param res The response (200 expected; 404 for an unknown organization or one the
 * user is not a member of).
 * @param req The request, for error messages.
 * @returns The organization.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseGetOrgResponse(res: Response, req?: Request): Promise<Organization> {
  return decodeJson(res, req, [200], decodeOrganization);
}
