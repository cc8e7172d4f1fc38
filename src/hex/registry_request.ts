/**
 * Reading a repository's signed registry over HTTP (hexpm/specifications `registry-v2.md`; hex_core
 * `hex_repo:get_names/1`, `get_versions/1`, `get_package/2`): `GET {repo_url}/names`,
 * `/versions` and `/packages/NAME`, or `{repo_url}/repos/ORG/…` for an organization's
 * repository. The answer is the file as stored, gzip(Signed(…)); verifying it is
 * `src/registry/registry_files.ts`' job.
 *
 * Whether repo.hex.pm's CDN also sets `Content-Encoding: gzip` (so that `fetch`
 * would already have decompressed the body) is not known, so the parser looks at the
 * bytes: a body that does not start with the gzip magic `1f 8b` is taken as already
 * decompressed and wrapped again, and readers always get the stored form.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { gzipBytes } from "../tarball/gzip.ts";
import { readCapped } from "./read_capped.ts";
import { HexApiError, initOf, parseErrorResponse } from "./api_errors.ts";
import { pathSegment } from "./request.ts";

/** A registry resource. */
export type RegistryResource =
  | { kind: "names" }
  | { kind: "versions" }
  | { kind: "package"; name: string };

/** What {@link buildRegistryRequest} needs besides the resource. */
export interface RegistryCallOptions {
  /** The `User-Agent` (see `userAgent()`). */
  userAgent: string;
  /**
   * The `authorization` value for a private repository: a repository key (sent raw,
   * as hex_core does) or `Bearer TOKEN`.
   */
  authorization?: string;
}

/**
 * The largest registry file accepted (hex.pm's whole `versions` file is a few MB).
 *
 * Exported for tests, which check the cap.
 */
export const MAX_REGISTRY_FILE = 64 * 1024 * 1024;

/**
 * The path of a resource under the repository URL.
 *
 * @param org The organization of a `hexpm:ORG` repository, or `undefined`.
 * @param resource Which file.
 * @returns E.g. `/packages/cowboy` or `/repos/acme/names`.
 * @throws {UsageError} For a name or organization that cannot be a path segment.
 *
 * Exported for tests, which check each resource's path.
 */
export function registryPath(org: string | undefined, resource: RegistryResource): string {
  const prefix = org === undefined ? "" : `/repos/${pathSegment(org)}`;
  const file = resource.kind === "package"
    ? `/packages/${pathSegment(resource.name)}`
    : `/${resource.kind}`;
  return prefix + file;
}

function authorizationHeader(value: string): string {
  const trimmed = value.trim();
  const hint = "Check the repository key for stray spaces or line breaks";
  if (trimmed === "") throw new UsageError("the repository key is empty", { hint });
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)?$/.test(trimmed)) {
    throw new UsageError(
      "the repository key contains characters that cannot be sent in an HTTP header",
      { hint },
    );
  }
  return trimmed;
}

/**
 * `GET {repoUrl}[/repos/ORG]/names|versions|packages/NAME`.
 *
 * Redirects are followed only without credentials: with a key, a redirect reaches
 * the parser as an error, so the key never goes to another host.
 *
 * @param repoUrl The repository base, e.g. `https://repo.hex.pm` (a trailing `/` is
 * ignored).
 * @param org The organization of a `hexpm:ORG` repository, or `undefined`.
 * @param resource Which file.
 * @param call User-Agent and optional credential.
 * @returns The request.
 * @throws {UsageError} For a repository URL that does not parse, a name that cannot
 * be a path segment, or a credential a header cannot carry (never echoed).
 */
export function buildRegistryRequest(
  repoUrl: string,
  org: string | undefined,
  resource: RegistryResource,
  call: RegistryCallOptions,
): Request {
  const base = repoUrl.replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(base + registryPath(org, resource));
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("not http(s)");
  } catch (cause) {
    if (cause instanceof UsageError) throw cause;
    throw new UsageError(`invalid repository URL ${JSON.stringify(repoUrl)}`, {
      hint: "Set the repository's repo_url to a URL like https://repo.hex.pm",
      cause,
    });
  }
  const headers = new Headers({ "user-agent": call.userAgent, accept: "application/octet-stream" });
  if (call.authorization !== undefined) {
    headers.set("authorization", authorizationHeader(call.authorization));
  }
  return new Request(url, {
    method: "GET",
    headers,
    redirect: call.authorization === undefined ? "follow" : "manual",
  });
}

/** The outcome of a registry read: the stored file, or "no such file". */
export type RegistryResponse =
  | { found: true; file: Uint8Array }
  | { found: false };

/**
 * The stored form of a registry body: the bytes as they are when they start with the
 * gzip magic, else (a body `fetch` already decompressed) gzip'd again.
 *
 * @param body The response body.
 * @returns gzip(Signed(…)).
 *
 * Exported for tests, which check what is kept of a response.
 */
export function storedRegistryFile(body: Uint8Array): Uint8Array {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b ? body : gzipBytes(body, 1);
}

/**
 * Reads the answer to {@link buildRegistryRequest}.
 *
 * @param res The response: 200 (the file) or 404 (no such file).
 * @param req The request, for error messages.
 * @returns The file (always gzip, see {@link storedRegistryFile}), or `found: false`.
 * @throws {HexApiError} For any other status (401/403: the repository needs a key the
 * request did not carry; a redirect when a key was on board), or a body over
 * {@link MAX_REGISTRY_FILE}.
 */
export async function parseRegistryResponse(
  res: Response,
  req?: Request,
): Promise<RegistryResponse> {
  if (res.status === 404) {
    await res.body?.cancel().catch(() => {});
    return { found: false };
  }
  if (res.status !== 200) throw registryError(await parseErrorResponse(res, req), req);
  return {
    found: true,
    file: storedRegistryFile(await readCapped(res, req, MAX_REGISTRY_FILE, "the registry file")),
  };
}

/** The API's error with a hint about the repository where the API's would mislead. */
function registryError(err: HexApiError, req: Request | undefined): HexApiError {
  const withKey = req?.headers.has("authorization") ?? false;
  let hint: string | undefined;
  if (err.status >= 300 && err.status < 400) {
    hint = withKey
      ? "The repository redirected a request carrying the repository key, which is not " +
        "followed so the key goes nowhere else: check the repository's repo_url"
      : "The repository answered with a redirect that could not be followed: check the " +
        "repository's repo_url";
  } else if (err.status < 300) {
    hint = "Check that the repository's repo_url points at a Hex repository";
  } else if (err.status === 401 || err.status === 403) {
    hint = withKey
      ? "The repository refused the key: check repo_key in the repository's entry, or run " +
        "`hexpub organization auth hexpm:ORG --key KEY` again with a key allowing repository:ORG"
      : "This repository is private: set repo_key in its entry, or for a hex.pm organization " +
        "run `hexpub organization auth hexpm:ORG --key KEY`";
  }
  if (hint === undefined) return err;
  return new HexApiError(err.message, initOf(err, hint));
}
