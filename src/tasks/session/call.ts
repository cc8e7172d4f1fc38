/**
 * One authenticated API call: the credential is checked against the scope the
 * call needs before anything is sent; an OAuth token is refreshed once on a
 * 401; a TOTP challenge is answered with `--otp`/`HEX_OTP` or a prompt.
 *
 * @module
 */
import { AuthError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import type { Credential } from "../../hex/api_config.ts";
import { HexApiError, TotpRequiredError } from "../../hex/api_errors.ts";
import { missingScopeHint, scopeAllows, type ScopeNeed, scopesFor } from "../../hex/scopes.ts";
import { send } from "../../hex/send.ts";
import { resolveCredential, type ResolvedCredential } from "./credentials.ts";
import { redact } from "./redact.ts";
import type { Session } from "./select_repo.ts";

/** One API call: how to build it and how to read its response. */
export interface Call<T> {
  /** Whether it writes (needs write credentials and, with OAuth, TOTP). */
  write: boolean;
  /** Whether repeating it is harmless (then 429/5xx are retried). */
  idempotent: boolean;
  build(credential: Credential | undefined, otp: string | undefined): Request;
  parse(res: Response, req: Request): Promise<T>;
  /** Calls that need no credential at all. */
  anonymous?: boolean;
  /** Secrets sent in the body, kept out of any error. */
  secrets?: string[];
  /** A time limit for this call instead of the session's (large uploads). */
  timeoutMs?: number;
  /** The scope it needs (default: read or write by `write`), checked before sending. */
  need?: ScopeNeed;
  /** Called as the body goes out (uploads): see `SendOptions.progress`. */
  progress?: (sent: number, total: number) => void;
}

/**
 * Makes an authenticated call: refreshes an OAuth token once on a 401, and on a
 * TOTP challenge asks for the code (or takes --otp/HEX_OTP), three tries.
 *
 * @throws {AuthError} No credential, or one without the scope the call needs; a TOTP
 *   code is needed (or was refused) and there is no terminal to ask for one (exit 4).
 * @throws {HexApiError} What the server answered otherwise.
 */
export async function call<T>(deps: Deps, session: Session, c: Call<T>): Promise<T> {
  // The credential is chosen for the URL the call goes to (the repository's
  // API or the account's), so it never reaches another API.
  const url = c.anonymous ? undefined : c.build(undefined, session.otp).url;
  let resolved = c.anonymous
    ? undefined
    : await resolveCredential(deps, session, { write: c.write, url });
  if (resolved) checkScope(resolved, c);
  let otp = session.otp;
  let refreshed = false;
  for (let otpTries = 0;;) {
    const req = c.build(resolved?.credential, otp);
    const res = await send(deps, req, {
      idempotent: c.idempotent,
      timeoutMs: c.timeoutMs ?? session.timeoutMs,
      progress: c.progress,
    });
    try {
      return await c.parse(res, req);
    } catch (e) {
      redact(e, c.secrets ?? []);
      if (e instanceof TotpRequiredError && resolved?.credential.kind === "oauth") {
        if (++otpTries > 3) throw e;
        otp = await askOtp(deps, e.reason);
        continue;
      }
      if (
        e instanceof HexApiError && e.status === 401 && resolved?.oauthRepo && !refreshed
      ) {
        refreshed = true;
        resolved = await resolveCredential(deps, session, {
          write: c.write,
          forceRefresh: true,
          url,
        });
        continue;
      }
      throw e;
    }
  }
}

/** A login narrowed with --scope is refused here, before any request is sent. */
function checkScope(resolved: ResolvedCredential, c: Call<unknown>): void {
  if (!resolved.granted?.length) return;
  const need: ScopeNeed = c.need ?? (c.write ? { action: "write" } : { action: "read" });
  if (scopeAllows(resolved.granted, need)) return;
  throw new AuthError(
    `your login does not have the scope this needs (${scopesFor(need).join(" or ")}); ` +
      `it has: ${resolved.granted.join(" ")}`,
    { hint: missingScopeHint(need) },
  );
}

/**
 * Asks for a TOTP code, or explains how to give one without a terminal. A
 * missing or refused code is an authentication failure (exit 4), as README's
 * exit codes say, not bad usage.
 */
async function askOtp(deps: Deps, reason: "totp_required" | "invalid_totp"): Promise<string> {
  if (!deps.isTerminal) {
    throw new AuthError(
      reason === "invalid_totp"
        ? "the TOTP code was refused"
        : "this write needs a TOTP code (you are logged in with OAuth)",
      { hint: "Pass --otp CODE or set HEX_OTP to the code from your authenticator app" },
    );
  }
  if (reason === "invalid_totp") deps.out.info("That code was refused.");
  return (await deps.prompt.input("TOTP code:")).trim();
}
