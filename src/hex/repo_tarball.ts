/**
 * Downloading a package tarball from a repository (hexpm/specifications `registry-v2.md`; hex_core
 * `hex_repo:get_tarball/3`): `GET {repo_url}/tarballs/NAME-VERSION.tar`, or
 * `{repo_url}/repos/ORG/tarballs/…` for an organization's repository on hex.pm.
 *
 * A repository is not the API: its base is the repository URL (`https://repo.hex.pm`),
 * and an organization's repository is read with a repository key, sent raw in
 * `authorization`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { HexApiError, initOf, parseErrorResponse } from "./api_errors.ts";
import { pathSegment } from "./request.ts";
import { readCapped } from "./read_capped.ts";
import { MAX_TARBALL_SIZE } from "../tarball/limits.ts";

/** What {@link buildRepoTarballRequest} needs besides the tarball's name. */
export interface RepoCallOptions {
  /** The `User-Agent` (see `userAgent()`). */
  userAgent: string;
  /** A repository key (or API key with repository access) for a private repository. */
  repoKey?: string;
}

function repoKeyHeader(key: string): string {
  const trimmed = key.trim();
  const hint = "Check the repository key for stray spaces or line breaks";
  if (trimmed === "") throw new UsageError("the repository key is empty", { hint });
  if (!/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new UsageError(
      "the repository key contains characters that cannot be sent in an HTTP header",
      { hint },
    );
  }
  return trimmed;
}

/**
 * `GET {repoUrl}/tarballs/NAME-VERSION.tar` (`{repoUrl}/repos/ORG/tarballs/…` with `org`).
 *
 * Redirects are followed only without a repository key: with one, a redirect
 * reaches the parser as an error, so the key is never sent anywhere else.
 *
 * @param repoUrl The repository base, e.g. `https://repo.hex.pm` (a trailing `/` is
 * ignored).
 * @param org The organization of a `hexpm:ORG` repository, or `undefined`.
 * @param name The package.
 * @param version The release.
 * @param call User-Agent and optional repository key.
 * @returns The request.
 * @throws {UsageError} For a repository URL that does not parse, a name or version that
 * cannot be a path segment, or a key a header cannot carry.
 */
export function buildRepoTarballRequest(
  repoUrl: string,
  org: string | undefined,
  name: string,
  version: string,
  call: RepoCallOptions,
): Request {
  const base = repoUrl.replace(/\/+$/, "");
  const prefix = org === undefined ? "" : `/repos/${pathSegment(org)}`;
  const file = pathSegment(`${name}-${version}.tar`);
  let url: URL;
  try {
    url = new URL(`${base}${prefix}/tarballs/${file}`);
  } catch (cause) {
    throw new UsageError(`invalid repository URL ${JSON.stringify(repoUrl)}`, {
      hint: "Set the repository's repo_url to a URL like https://repo.hex.pm",
      cause,
    });
  }
  const headers = new Headers({ "user-agent": call.userAgent });
  if (call.repoKey !== undefined) headers.set("authorization", repoKeyHeader(call.repoKey));
  return new Request(url, {
    method: "GET",
    headers,
    redirect: call.repoKey === undefined ? "follow" : "manual",
  });
}

/**
 * Reads the answer to {@link buildRepoTarballRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The tarball's bytes (check them against the registry's checksum).
 * @throws {HexApiError} For any other status — `status` 404 when there is no such
 * release, or the key cannot see it.
 */
export async function parseRepoTarballResponse(res: Response, req?: Request): Promise<Uint8Array> {
  if (res.status !== 200) throw repoError(await parseErrorResponse(res, req), req);
  return await readCapped(res, req, MAX_TARBALL_SIZE, "the tarball");
}

/** The error with a hint about the repository where the API's would mislead. */
function repoError(err: HexApiError, req: Request | undefined): HexApiError {
  let hint: string | undefined;
  if (err.status >= 300 && err.status < 400) {
    hint = req?.headers.has("authorization")
      ? "The repository redirected a request carrying the repository key, which is not " +
        "followed so the key goes nowhere else: check the repository's repo_url"
      : "The repository answered with a redirect that could not be followed: check the " +
        "repository's repo_url";
  } else if (err.status < 300) {
    hint = "Check that the repository's repo_url points at a Hex repository";
  }
  if (hint === undefined) return err;
  return new HexApiError(err.message, initOf(err, hint));
}
