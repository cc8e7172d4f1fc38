/**
 * `hexpub owner …`: who may publish a package.
 *
 * Owners live on a Hex API only: `openSession` refuses the built-in `local`
 * repository (a directory with no users) for every `owner` command.
 *
 * @module
 */
import type { Deps } from "../ports.ts";
import { whoami } from "./user/account.ts";
import { isHexpm } from "../config/repos.ts";
import {
  buildAddOwnerRequest,
  buildListOwnersRequest,
  buildRemoveOwnerRequest,
  checkLevel,
  type Owner,
  parseAddOwnerResponse,
  parseListOwnersResponse,
  parseRemoveOwnerResponse,
} from "../hex/owner.ts";
import { buildGetUserRequest, parseGetUserResponse } from "../hex/user.ts";
import { call, openSession, type Session } from "./session.ts";

/** Public hexpm packages can be read without credentials; organization ones cannot. */
const anonymousReads = (s: Session) => isHexpm(s.repo);

/** `owner add PKG USER [--level] [--transfer]` and `owner transfer PKG USER`. */
export async function ownerAdd(
  deps: Deps,
  input: {
    repo?: string;
    pkg: string;
    user: string;
    level: string;
    transfer: boolean;
    otp?: string;
  },
): Promise<void> {
  const level = checkLevel(input.level);
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "owner add",
  });
  await call(deps, session, {
    write: true,
    idempotent: true,
    build: (credential, otp) =>
      buildAddOwnerRequest(session.target, input.pkg, input.user, {
        level,
        transfer: input.transfer,
      }, {
        userAgent: session.userAgent,
        credential,
        otp,
      }),
    parse: parseAddOwnerResponse,
    need: { action: "write", pkg: `${session.repo.organization ?? "hexpm"}/${input.pkg}` },
  });
}

/** `owner remove PKG USER`. */
export async function ownerRemove(
  deps: Deps,
  input: { repo?: string; pkg: string; user: string; otp?: string },
): Promise<void> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "owner remove",
  });
  await call(deps, session, {
    write: true,
    idempotent: true,
    build: (credential, otp) =>
      buildRemoveOwnerRequest(session.target, input.pkg, input.user, {
        userAgent: session.userAgent,
        credential,
        otp,
      }),
    parse: parseRemoveOwnerResponse,
    need: { action: "write", pkg: `${session.repo.organization ?? "hexpm"}/${input.pkg}` },
  });
}

/** `owner list PKG`. */
export async function ownerList(
  deps: Deps,
  input: { repo?: string; pkg: string },
): Promise<Owner[]> {
  const session = await openSession(deps, { repo: input.repo, command: "owner list" });
  return await call(deps, session, {
    write: false,
    idempotent: true,
    anonymous: anonymousReads(session),
    build: (credential) =>
      buildListOwnersRequest(session.target, input.pkg, {
        userAgent: session.userAgent,
        credential,
      }),
    parse: parseListOwnersResponse,
  });
}

/** `owner list packages`: the packages the authenticated user owns (rebar3_hex bug 6, fixed). */
export async function ownedPackages(deps: Deps, input: { repo?: string }) {
  const session = await openSession(deps, { repo: input.repo, command: "owner list packages" });
  const me = await whoami(deps, session);
  const user = await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildGetUserRequest(session.accountTarget, me.username, {
        userAgent: session.userAgent,
        credential,
      }),
    parse: parseGetUserResponse,
  });
  return user.packages;
}
