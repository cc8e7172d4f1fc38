/**
 * A repository's public key, `GET {repo_url}/public_key` (hexpm/specifications `registry-v2.md`),
 * as `mix hex.repo add --fetch-public-key` reads it. Sans-IO.
 *
 * @module
 */
import { HexpubError } from "../errors.ts";
import { parseErrorResponse } from "./api_errors.ts";

/**
 * `GET {repoUrl}/public_key`.
 *
 * @param repoUrl The repository base URL (no trailing slash needed).
 * @param userAgent The `User-Agent`.
 */
export function buildPublicKeyRequest(repoUrl: string, userAgent: string): Request {
  return new Request(`${repoUrl.replace(/\/+$/, "")}/public_key`, {
    headers: { "user-agent": userAgent },
    redirect: "manual",
  });
}

/**
 * The PEM text of a `/public_key` answer.
 *
 * @throws {HexApiError} For a status other than 200.
 * @throws {HexpubError} For a body with no PEM public key.
 */
export async function parsePublicKeyResponse(res: Response, req: Request): Promise<string> {
  if (res.status !== 200) throw await parseErrorResponse(res, req);
  const text = await res.text();
  const m = /-----BEGIN (RSA )?PUBLIC KEY-----[\s\S]*?-----END (RSA )?PUBLIC KEY-----/.exec(text);
  if (!m) {
    throw new HexpubError(`${req.url} did not answer with a public key`, {
      hint: "Check the repository URL, or give the key with --public-key FILE",
    });
  }
  return m[0] + "\n";
}
