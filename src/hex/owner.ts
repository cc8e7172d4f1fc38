/**
 * Package owners (hexpm `lib/hexpm_web/controllers/api/owner_controller.ex`; hex_core `hex_api_package_owner.erl`):
 * list, add or change level, transfer, remove.
 *
 * Every path here is repository-scoped: for a `hexpm:ORG` target it goes under
 * `/repos/ORG`. Owners are named by username or email (`/owners/alice%40example.com`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ApiTarget } from "./api_config.ts";
import {
  asArray,
  asObject,
  decodeJson,
  expectStatus,
  optionalString,
  stringField,
} from "./api_errors.ts";
import { buildApiRequest, type CallOptions, pathSegment } from "./request.ts";

/**
 * Ownership levels: a `maintainer` can publish, revert and retire; only a `full`
 * owner can manage owners.
 *
 * Exported for tests, which check the levels hex.pm accepts.
 */
export const OWNER_LEVELS = ["full", "maintainer"] as const;

/** One of {@link OWNER_LEVELS}. */
export type OwnerLevel = typeof OWNER_LEVELS[number];

/** An owner of a package. */
export interface Owner {
  username: string;
  /** The public email, when the user has one. */
  email?: string;
  level: OwnerLevel;
  /** The API URL of the user. */
  url?: string;
}

/** Input of {@link buildAddOwnerRequest}. */
export interface AddOwnerInput {
  /** The level to give (or change to). */
  level: OwnerLevel;
  /**
   * Make this user (or organization) the only owner, removing all others. A transfer
   * gives full ownership.
   */
  transfer?: boolean;
}

/**
 * Checks an ownership level before any request.
 *
 * @param level The level as the user typed it.
 * @returns The level, typed.
 * @throws {UsageError} For anything but `full` and `maintainer`.
 */
export function checkLevel(level: string): OwnerLevel {
  if (!(OWNER_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(
      `unknown ownership level ${JSON.stringify(level)}: expected one of ${
        OWNER_LEVELS.join(", ")
      }`,
      { hint: "Pass --level full (manages owners too) or --level maintainer" },
    );
  }
  return level as OwnerLevel;
}

/**
 * Decodes an owner JSON object (a user with `level`; hex.pm's default level is `full`).
 *
 * @throws {TypeError} For a wrong shape or an unknown level.
 */
function decodeOwner(json: unknown): Owner {
  const o = asObject(json, "an owner");
  const level = optionalString(o, "level") ?? "full";
  if (!(OWNER_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(`expected "level" to be one of ${OWNER_LEVELS.join(", ")}`);
  }
  return {
    username: stringField(o, "username"),
    email: optionalString(o, "email"),
    level: level as OwnerLevel,
    url: optionalString(o, "url"),
  };
}

function ownersPath(pkg: string, user?: string): string {
  const base = `/packages/${pathSegment(pkg)}/owners`;
  return user === undefined ? base : `${base}/${pathSegment(user)}`;
}

async function expectNoContent(res: Response, req: Request | undefined): Promise<void> {
  await expectStatus(res, req, [204]);
  await res.body?.cancel();
}

/**
 * `GET /packages/PKG/owners`.
 *
 * @param target The API.
 * @param pkg The package.
 * @param call User-Agent and optional credential (needed for organizations).
 * @throws {UsageError} For a name that cannot be a path segment.
 */
export function buildListOwnersRequest(target: ApiTarget, pkg: string, call: CallOptions): Request {
  return buildApiRequest(target, { ...call, method: "GET", path: ownersPath(pkg), scope: "repo" });
}

/**
 * Reads the answer to {@link buildListOwnersRequest}.
 *
 * @param res The response (200 expected; 404 for an unknown package).
 * @param req The request, for error messages.
 * @returns The owners.
 * @throws {HexApiError} For any other status or a malformed body.
 */
export function parseListOwnersResponse(res: Response, req?: Request): Promise<Owner[]> {
  return decodeJson(res, req, [200], (json) => asArray(json, "the body").map(decodeOwner));
}

/**
 * `PUT /packages/PKG/owners/USER` with `{level}` (and `"transfer": true` for a
 * transfer): adds an owner, changes an owner's level, or transfers the package.
 * Needs a full owner's credential.
 *
 * @param target The API.
 * @param pkg The package.
 * @param userOrEmail The user (or organization) to add, by username or email.
 * @param input Level, and whether to transfer.
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For an unknown level, a transfer at `maintainer` level, or a
 * name that cannot be a path segment.
 */
export function buildAddOwnerRequest(
  target: ApiTarget,
  pkg: string,
  userOrEmail: string,
  input: AddOwnerInput,
  call: CallOptions,
): Request {
  const level = checkLevel(input.level);
  const body: Record<string, unknown> = { level };
  if (input.transfer === true) {
    if (level !== "full") {
      throw new UsageError("a transfer gives full ownership: it cannot be at maintainer level", {
        hint: "Drop --level maintainer, or add the owner without --transfer",
      });
    }
    body.transfer = true;
  }
  return buildApiRequest(target, {
    ...call,
    method: "PUT",
    path: ownersPath(pkg, userOrEmail),
    body,
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildAddOwnerRequest} (204).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {HexApiError} For any other status (422 with the server's reason, such as
 * "cannot demote the last full owner of a package").
 */
export function parseAddOwnerResponse(res: Response, req?: Request): Promise<void> {
  return expectNoContent(res, req);
}

/**
 * `DELETE /packages/PKG/owners/USER`. Needs a full owner's credential.
 *
 * @param target The API.
 * @param pkg The package.
 * @param userOrEmail The owner to remove, by username or email.
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For a name that cannot be a path segment.
 */
export function buildRemoveOwnerRequest(
  target: ApiTarget,
  pkg: string,
  userOrEmail: string,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "DELETE",
    path: ownersPath(pkg, userOrEmail),
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildRemoveOwnerRequest} (204).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {HexApiError} For any other status (422 "cannot remove last owner of
 * package", …).
 */
export function parseRemoveOwnerResponse(res: Response, req?: Request): Promise<void> {
  return expectNoContent(res, req);
}
