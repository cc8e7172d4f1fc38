/**
 * Refreshing the OAuth tokens kept in hexpub's store, under the store lock.
 *
 * @module
 */
import { AuthError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import { HexApiError } from "../../hex/api_errors.ts";
import { buildRefreshRequest, parseTokenResponse } from "../../hex/oauth.ts";
import { send } from "../../hex/send.ts";
import {
  getAccessToken,
  getOAuth,
  loadStore,
  setOAuth,
  updateStore,
} from "../../config/credential_store.ts";
import { unlockStore } from "./local_password.ts";
import { redact } from "./redact.ts";
import type { Session } from "./select_repo.ts";

/** Refresh OAuth access tokens this long before they expire. */
export const REFRESH_MARGIN_S = 300;

/**
 * Refreshes the stored OAuth tokens of `name` under the store lock: when another
 * run refreshed them meanwhile (the access token is no longer `stale`), its
 * token is used instead of refreshing again with a rotated-away refresh token.
 *
 * @returns The fresh access token.
 * @throws {AuthError} When there is no refresh token, or the server refuses it.
 */
export async function refreshOAuth(
  deps: Deps,
  session: Session,
  name: string,
  stale: string,
): Promise<string> {
  const key = await unlockStore(deps, await loadStore(deps, session.storePath));
  let token = "";
  await updateStore(deps, session.storePath, async (current) => {
    const now = getAccessToken(current, name);
    if (now && now.accessToken !== stale && now.expiresAt - deps.now() / 1000 > REFRESH_MARGIN_S) {
      token = now.accessToken;
      return current;
    }
    const tokens = await getOAuth(current, key, name);
    if (!tokens?.refreshToken) {
      throw new AuthError(`the login to ${name} has expired`, { hint: "Run `hexpub user auth`" });
    }
    const req = buildRefreshRequest(session.accountTarget.apiUrl, {
      clientId: tokens.clientId,
      refreshToken: tokens.refreshToken,
      userAgent: session.userAgent,
    });
    let fresh;
    try {
      fresh = await parseTokenResponse(
        await send(deps, req, { idempotent: false, timeoutMs: session.timeoutMs }),
        req,
      );
    } catch (e) {
      redact(e, [tokens.refreshToken]);
      if (e instanceof HexApiError && e.status < 500) {
        throw new AuthError(`the login to ${name} has expired or was revoked`, {
          hint: "Run `hexpub user auth` to log in again",
          cause: e,
        });
      }
      throw e;
    }
    token = fresh.accessToken;
    return await setOAuth(current, key, name, {
      accessToken: fresh.accessToken,
      expiresAt: Math.floor(deps.now() / 1000) + fresh.expiresIn,
      refreshToken: fresh.refreshToken ?? tokens.refreshToken,
      scope: fresh.scope || tokens.scope,
      clientId: tokens.clientId,
    });
  });
  return token;
}
