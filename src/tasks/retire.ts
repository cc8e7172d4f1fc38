/**
 * `hexpub retire …`: mark releases as not to be used (or undo it).
 *
 * Two backends, picked by the session's kind: a Hex API (`api`), or the
 * built-in `local` directory repository (`local`), where the retirement is
 * recorded in the directory and its registry rebuilt, with no server and no
 * credentials.
 *
 * @module
 */
import type { Deps } from "../ports.ts";
import {
  buildRetireAllRequest,
  buildRetireRequest,
  buildUnretireRequest,
  parseRetireAllResponse,
  parseRetireResponse,
  parseUnretireResponse,
} from "../hex/release.ts";
import { checkRetirement } from "../rules/retirement.ts";
import { call, openSession, type RepoKind, type Session } from "./session.ts";
import { retireLocal } from "./publish_local.ts";

/** What to retire. */
export interface RetireInput {
  repo?: string;
  pkg: string;
  /** The version; undefined with `all`. */
  version?: string;
  reason?: string;
  message?: string;
  unretire: boolean;
  all: boolean;
  otp?: string;
}

/** Retires (or unretires) on one kind of repository; the input is already checked. */
type RetireBackend = (deps: Deps, session: Session, input: RetireInput) => Promise<void>;

/**
 * Retires one release, every release (`all`), or unretires one. The reason and
 * message are checked locally (five reasons, 3..140 characters) before any request.
 */
export async function retire(deps: Deps, input: RetireInput): Promise<void> {
  if (!input.unretire) checkRetirement(input.reason ?? "", input.message);
  const session = await openSession(deps, { repo: input.repo, otp: input.otp, command: "retire" });
  await BACKENDS[session.kind](deps, session, input);
}

/** The retirement through a Hex API: one write call, with the package scope it needs. */
const retireOverApi: RetireBackend = async (deps, session, input) => {
  const base = { userAgent: session.userAgent };
  await call(deps, session, {
    write: true,
    idempotent: true,
    build: (credential, otp) => {
      const c = { ...base, credential, otp };
      if (input.unretire) return buildUnretireRequest(session.target, input.pkg, input.version!, c);
      const body = { reason: input.reason!, message: input.message };
      return input.all
        ? buildRetireAllRequest(session.target, input.pkg, body, c)
        : buildRetireRequest(session.target, input.pkg, input.version!, body, c);
    },
    parse: input.unretire
      ? parseUnretireResponse
      : input.all
      ? parseRetireAllResponse
      : parseRetireResponse,
    need: { action: "write", pkg: `${session.repo.organization ?? "hexpm"}/${input.pkg}` },
  });
};

/** The retirement in the built-in directory repository: no server, no credentials. */
const retireInDirectory: RetireBackend = async (deps, _session, input) => {
  await retireLocal(deps, {
    name: input.pkg,
    version: input.version,
    all: input.all,
    reason: input.reason,
    message: input.message,
    unretire: input.unretire,
  });
};

const BACKENDS: Record<RepoKind, RetireBackend> = { api: retireOverApi, local: retireInDirectory };
