/**
 * The account itself: `user whoami`, `user register`, `user audit`, and where
 * an account password is reset.
 *
 * @module
 */
import { UsageError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import { type AuditEntry, buildUserAuditRequest, parseAuditResponse } from "../../hex/audit.ts";
import {
  buildCreateUserRequest,
  buildWhoamiRequest,
  parseCreateUserResponse,
  parseWhoamiResponse,
} from "../../hex/user.ts";
import { call, openSession, type Session } from "../session.ts";

/** The account a session's credential belongs to (`GET /users/me`). */
export function whoami(deps: Deps, session: Session) {
  return call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildWhoamiRequest(session.accountTarget, { userAgent: session.userAgent, credential }),
    parse: parseWhoamiResponse,
  });
}

/** `user whoami`. */
export async function userWhoami(deps: Deps, input: { repo?: string }) {
  const session = await openSession(deps, { repo: input.repo, command: "user whoami" });
  const me = await whoami(deps, session);
  return {
    repo: session.repo.name,
    username: me.username,
    email: me.email,
    fullName: me.fullName,
    organizations: me.organizations,
  };
}

/** Reads a value from a flag, else a prompt, else fails naming the flag. */
async function ask(deps: Deps, given: string | undefined, message: string, flag: string) {
  if (given) return given;
  if (!deps.isTerminal) {
    throw new UsageError(`${flag} is needed and there is no terminal to ask for it`, {
      hint: `Pass ${flag}`,
    });
  }
  return (await deps.prompt.input(message)).trim();
}

/** `user register`: creates a hex.pm account. */
export async function userRegister(
  deps: Deps,
  input: { repo?: string; username?: string; email?: string },
): Promise<{ username: string; email: string }> {
  const session = await openSession(deps, { repo: input.repo, command: "user register" });
  const username = await ask(deps, input.username, "Username:", "--username");
  const email = await ask(deps, input.email, "Email:", "--email");
  let password = deps.env.HEXPUB_ACCOUNT_PASSWORD;
  if (!password) {
    if (!deps.isTerminal) {
      throw new UsageError(
        "the account password is needed and there is no terminal to ask for it",
        {
          hint: "Set HEXPUB_ACCOUNT_PASSWORD",
        },
      );
    }
    password = await deps.prompt.password("Account password:");
    if (password !== await deps.prompt.password("Account password (confirm):")) {
      throw new UsageError("the passwords do not match", { hint: "Run the command again" });
    }
  }
  deps.out.info("Registering...");
  const user = await call(deps, session, {
    write: true,
    idempotent: false,
    anonymous: true,
    build: () =>
      buildCreateUserRequest(session.accountTarget, { username, email, password: password! }, {
        userAgent: session.userAgent,
      }),
    parse: parseCreateUserResponse,
    secrets: [password!],
  });
  return { username: user.username, email: user.email ?? email };
}

/** `user audit [--page N]`: the account's audit log. */
export async function userAudit(
  deps: Deps,
  input: { repo?: string; page: number },
): Promise<AuditEntry[]> {
  const session = await openSession(deps, { repo: input.repo, command: "user audit" });
  return await call(deps, session, {
    write: false,
    idempotent: true,
    build: (credential) =>
      buildUserAuditRequest(session.accountTarget, { page: input.page }, {
        userAgent: session.userAgent,
        credential,
      }),
    parse: parseAuditResponse,
  });
}

/** `user reset_password account`: where that happens now. */
export function accountPasswordHelp(): string[] {
  return [
    "hex.pm account passwords are reset on the website, not through the API:",
    "  https://hex.pm/password/reset",
    "hexpub logs in with OAuth (`hexpub user auth`) or an API key, so it never needs that password.",
  ];
}
