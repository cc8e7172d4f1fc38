/**
 * `user key rotate NAME`: replace a key without ever leaving the account with
 * no working key.
 *
 * @module
 */
import { HexpubError } from "../../errors.ts";
import type { Deps } from "../../ports.ts";
import { buildGetKeyRequest, type Key, parseGetKeyResponse } from "../../hex/key.ts";
import { buildTestAuthRequest, parseTestAuthResponse } from "../../hex/user.ts";
import { send } from "../../hex/send.ts";
import { call, openSession } from "../session.ts";
import { createKey, revokeKey } from "./keys.ts";

/** A rotated key: the replacement (with its secret) and the name of the key it replaced. */
export interface Rotation {
  key: Key;
  replaced: string;
}

/**
 * `user key rotate NAME`: a replacement with the same permissions and expiry
 * policy, checked with `GET /auth`, then the old key revoked. Any failure
 * leaves the old key valid (a replacement that does not work is revoked).
 */
export async function keyRotate(
  deps: Deps,
  input: {
    repo?: string;
    name: string;
    otp?: string;
    /** Shows the replacement (its secret) before the old key is revoked. */
    announce?: (key: Key) => void;
  },
): Promise<Rotation> {
  const session = await openSession(deps, {
    repo: input.repo,
    otp: input.otp,
    command: "user key rotate",
  });
  const keep = (what: string, e: unknown) =>
    new HexpubError(`${what}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: `The key "${input.name}" is unchanged and still valid`,
      cause: e,
    });
  let old: Key;
  try {
    old = await call(deps, session, {
      write: false,
      idempotent: true,
      build: (credential) =>
        buildGetKeyRequest(session.accountTarget, input.name, {
          userAgent: session.userAgent,
          credential,
        }),
      parse: parseGetKeyResponse,
    });
  } catch (e) {
    throw keep(`could not read the key "${input.name}"`, e);
  }
  // Same expiry policy: as long from now as the old key was given from its creation.
  let revokeAt: Date | undefined;
  if (old.revokeAt && old.insertedAt) {
    const lifetime = Date.parse(old.revokeAt) - Date.parse(old.insertedAt);
    if (lifetime > 0) revokeAt = new Date(deps.now() + lifetime);
  }
  const base = old.name.replace(/-\d{8}(-\d+)?$/, "");
  const stamp = new Date(deps.now()).toISOString().slice(0, 10).replaceAll("-", "");
  let fresh: Key;
  try {
    fresh = await createKey(deps, session, {
      name: `${base}-${stamp}`,
      permissions: old.permissions,
      revokeAt,
    });
  } catch (e) {
    throw keep("could not create the replacement key", e);
  }
  // Does the replacement work? Ask the server with it.
  const [first] = old.permissions.length ? old.permissions : [{ domain: "api" }];
  const check = buildTestAuthRequest(
    session.accountTarget,
    { domain: first.domain, resource: first.resource },
    { userAgent: session.userAgent, credential: { kind: "key", secret: fresh.secret! } },
  );
  try {
    await parseTestAuthResponse(
      await send(deps, check, { idempotent: true, timeoutMs: session.timeoutMs }),
      check,
    );
  } catch (e) {
    const cleaned = await revokeKey(deps, session, { name: fresh.name }).then(
      () => true,
      () => false,
    );
    throw keep(
      cleaned
        ? `the replacement key "${fresh.name}" did not work, so it was revoked again`
        : `the replacement key "${fresh.name}" did not work, and revoking it failed too: revoke it with \`hexpub user key revoke ${fresh.name}\``,
      e,
    );
  }
  // The replacement works: show it before the old key goes, so it is never lost.
  input.announce?.(fresh);
  try {
    await revokeKey(deps, session, { name: old.name });
  } catch (e) {
    const err = new HexpubError(
      `the replacement "${fresh.name}" works, but revoking "${old.name}" failed: ${
        e instanceof Error ? e.message : String(e)
      }`,
      {
        hint:
          `Both keys are valid now: revoke the old one with \`hexpub user key revoke ${old.name}\``,
        cause: e,
      },
    );
    // The new secret must not be lost: it is printed with the error.
    (err as HexpubError & { rotation?: Rotation }).rotation = { key: fresh, replaced: old.name };
    throw err;
  }
  return { key: fresh, replaced: old.name };
}
