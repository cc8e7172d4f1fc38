/**
 * Releases of a package (hexpm `lib/hexpm_web/controllers/api/release_controller.ex`, `package_controller.ex`; hex_core
 * `hex_api_release.erl`): publish a package tarball and its docs, revert either,
 * read a release back, and retire or unretire releases.
 *
 * Every path here is repository-scoped: for a `hexpm:ORG` target it goes under
 * `/repos/ORG` (`POST /api/repos/acme/publish`).
 *
 * Two 422 answers get their own error classes, because callers act on them rather
 * than just print them:
 * - {@link ReleaseExistsError}: the version is already published and the publish
 *   did not ask to replace it. Deno's `fetch` re-sends a POST whose keep-alive
 *   connection dropped before any response byte (§9), so after this error on a
 *   publish sent once, the caller fetches the release and compares checksums: the
 *   first copy may have landed.
 * - {@link EditWindowError}: hex.pm refuses to replace or revert a release outside
 *   its edit window.
 *
 * @module
 */

import type { ApiTarget } from "./api_config.ts";
import { checkRetirement } from "../rules/retirement.ts";
import {
  asArray,
  asObject,
  booleanField,
  decodeJson,
  HexApiError,
  type HexApiErrorInit,
  initOf,
  type JsonObject,
  optionalString,
  parseErrorResponse,
  renderErrors,
  stringField,
} from "./api_errors.ts";
import {
  buildApiRequest,
  buildRawUploadRequest,
  type CallOptions,
  pathSegment,
} from "./request.ts";

/** A release's retirement as the server describes it. */
export interface Retirement {
  /** One of {@link RETIRE_REASONS} (kept as sent, in case the server adds one). */
  reason: string;
  message?: string;
}

/** A dependency of a release. */
export interface ReleaseRequirement {
  /** The OTP application name, when it differs from the package name. */
  app?: string;
  /** The version requirement (`~> 1.0`). */
  requirement: string;
  optional: boolean;
}

/** A release, as `GET /packages/NAME/releases/VERSION` and publishing return it. */
export interface Release {
  /** The package name, when the server includes it. */
  name?: string;
  version: string;
  /** The outer checksum of the tarball, lowercase hex. */
  checksum: string;
  hasDocs: boolean;
  /** Set when the release is retired. */
  retirement?: Retirement;
  /** Dependencies by package name. */
  requirements: Record<string, ReleaseRequirement>;
  meta: {
    app?: string;
    /** `rebar3`, `mix`, `make`, … */
    buildTools?: string[];
  };
  /** Who published it. */
  publisher?: { username: string };
  insertedAt?: string;
  /** The API URL of the release. */
  url?: string;
  /** The release's page on the web site. */
  htmlUrl?: string;
  /** The release's documentation, when it has some. */
  docsHtmlUrl?: string;
  /** The API URL of the package. */
  packageUrl?: string;
}

/** What a publish did. */
export interface PublishResult {
  release: Release;
  /** `true` for a new release (201), `false` when an existing one was replaced (200). */
  created: boolean;
}

/** Input of {@link buildRetireRequest}. */
export interface RetireInput {
  /** One of {@link RETIRE_REASONS}. */
  reason: string;
  /** Why, for the users of the release: 3 to 140 characters. */
  message?: string;
}

/** Input of {@link buildRetireAllRequest}. */
export interface RetireAllInput extends RetireInput {
  /** Also overwrite the retirement of releases already retired (server default: no). */
  replace?: boolean;
}

/** The hint shared by the edit-window errors: hex.pm's rule, in full. */
const EDIT_WINDOW_RULE = "hex.pm lets a new version be replaced or reverted for one hour after " +
  "it is published, and every version of a new package for 24 hours; docs can be published or " +
  "reverted at any time, and releases in an organization's repository always";

/**
 * A publish without `replace` of a version that is already published: 422
 * `{"inserted_at": "must include the --replace flag to update an existing release"}`.
 *
 * After a publish sent once, this may be the answer to a copy `fetch` re-sent
 * (see the module doc): compare the published release's checksum with yours
 * before reporting it.
 */
export class ReleaseExistsError extends HexApiError {
  constructor(message: string, init: HexApiErrorInit) {
    super(message, init);
    this.name = "ReleaseExistsError";
  }
}

/**
 * A replace or revert outside hex.pm's edit window: 422 `{"inserted_at": "can only
 * modify a release up to one hour after publication"}` (replace) or `"can only
 * delete a release up to one hour after publication"` (revert).
 *
 * Exported for tests and for callers that catch it by class; src words it through `HexpubError`.
 */
export class EditWindowError extends HexApiError {
  /** `modify` for a replace, `delete` for a revert. */
  readonly operation: "modify" | "delete";

  constructor(message: string, operation: "modify" | "delete", init: HexApiErrorInit) {
    super(message, init);
    this.name = "EditWindowError";
    this.operation = operation;
  }
}

/** The length of a text as Elixir's `String.length/1` counts it. */

function releasePath(name: string, version: string): string {
  return `/packages/${pathSegment(name)}/releases/${pathSegment(version)}`;
}

/**
 * Decodes a retirement (`{reason, message}`); `null` and absence mean not retired.
 *
 * @throws {TypeError} For a wrong shape.
 */
export function decodeRetirement(json: unknown, what = '"retirement"'): Retirement | undefined {
  if (json === undefined || json === null) return undefined;
  const o: JsonObject = asObject(json, what);
  return { reason: stringField(o, "reason"), message: optionalString(o, "message") };
}

/**
 * Decodes a Release JSON object.
 *
 * @throws {TypeError} For a wrong shape.
 */
function decodeRelease(json: unknown): Release {
  const o = asObject(json, "the release");
  const requirements: [string, ReleaseRequirement][] = [];
  if (o.requirements !== undefined && o.requirements !== null) {
    const reqs = asObject(o.requirements, '"requirements"');
    for (const [dep, value] of Object.entries(reqs)) {
      const r = asObject(value, `the requirement on "${dep}"`);
      requirements.push([dep, {
        app: optionalString(r, "app"),
        requirement: stringField(r, "requirement"),
        optional: booleanField(r, "optional", false),
      }]);
    }
  }
  let meta: Release["meta"] = { app: undefined, buildTools: undefined };
  if (o.meta !== undefined && o.meta !== null) {
    const m = asObject(o.meta, '"meta"');
    meta = {
      app: optionalString(m, "app"),
      buildTools: m.build_tools === undefined || m.build_tools === null
        ? undefined
        : asArray(m.build_tools, '"build_tools"').map((tool) => {
          if (typeof tool !== "string") throw new TypeError('expected "build_tools" of strings');
          return tool;
        }),
    };
  }
  let publisher: Release["publisher"];
  if (o.publisher !== undefined && o.publisher !== null) {
    publisher = { username: stringField(asObject(o.publisher, '"publisher"'), "username") };
  }
  return {
    name: optionalString(o, "name"),
    version: stringField(o, "version"),
    checksum: stringField(o, "checksum"),
    hasDocs: booleanField(o, "has_docs", false),
    retirement: decodeRetirement(o.retirement),
    // fromEntries defines own properties, so a dependency named `__proto__` stays data.
    requirements: Object.fromEntries(requirements),
    meta,
    publisher,
    insertedAt: optionalString(o, "inserted_at"),
    url: optionalString(o, "url"),
    htmlUrl: optionalString(o, "html_url"),
    docsHtmlUrl: optionalString(o, "docs_html_url"),
    packageUrl: optionalString(o, "package_url"),
  };
}

/**
 * Reads a failed write's response, turning the two 422s callers act on into
 * {@link ReleaseExistsError} and {@link EditWindowError}.
 */
async function releaseError(res: Response, req: Request | undefined): Promise<HexApiError> {
  const err = await parseErrorResponse(res, req);
  if (err.status !== 422) return err;
  const lines = renderErrors(err.errors);
  if (lines.some((line) => line.includes("must include the --replace flag"))) {
    return new ReleaseExistsError(
      err.message,
      initOf(
        err,
        "This version is already published: pass --replace to overwrite it, or publish a " +
          `new version (${EDIT_WINDOW_RULE})`,
      ),
    );
  }
  const window = lines
    .map((line) => /can only (modify|delete) a release up to/.exec(line))
    .find((m) => m !== null);
  if (window) {
    const operation = window[1] as "modify" | "delete";
    return new EditWindowError(
      err.message,
      operation,
      initOf(
        err,
        `The edit window has passed: ${EDIT_WINDOW_RULE}. Publish a new version instead, ` +
          "and retire this one if it must not be used",
      ),
    );
  }
  return err;
}

async function expectRelease(
  res: Response,
  req: Request | undefined,
  expected: readonly number[],
): Promise<void> {
  if (!expected.includes(res.status)) throw await releaseError(res, req);
}

async function expectNoContent(res: Response, req: Request | undefined): Promise<void> {
  await expectRelease(res, req, [204]);
  await res.body?.cancel();
}

/**
 * `POST /publish?replace=BOOL` (`/repos/ORG/publish` for an organization): uploads
 * a package tarball. `replace` is always sent, because hex.pm's default when it is
 * absent is to replace.
 *
 * @param target The API.
 * @param tarball The package tarball (sent with a `Content-Length`).
 * @param call Whether to replace an existing release, User-Agent, credential
 * (api:write or the package's permission) and TOTP code.
 */
export function buildPublishRequest(
  target: ApiTarget,
  tarball: Uint8Array,
  call: { replace: boolean } & CallOptions,
): Request {
  return buildRawUploadRequest(target, {
    ...call,
    path: "/publish",
    query: { replace: call.replace === true },
    body: tarball,
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildPublishRequest}.
 *
 * @param res The response: 201 for a new release, 200 for a replaced one.
 * @param req The request, for error messages.
 * @returns The release and whether it is new.
 * @throws {ReleaseExistsError} For the 422 saying the version exists and `replace`
 * was not asked.
 * @throws {EditWindowError} For the 422 saying the release can no longer be replaced.
 * @throws {HexApiError} For any other status (a 403 usually means the name belongs to
 * someone else) or a malformed body.
 */
export async function parsePublishResponse(res: Response, req?: Request): Promise<PublishResult> {
  await expectRelease(res, req, [200, 201]);
  const release = await decodeJson(res, req, [200, 201], decodeRelease);
  return { release, created: res.status === 201 };
}

/**
 * `POST /packages/NAME/releases/VERSION/docs`: uploads the docs tarball of a
 * published release.
 *
 * @param target The API.
 * @param name The package.
 * @param version The release.
 * @param tarball The docs tarball (`.tar.gz`).
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For a name or version that cannot be a path segment.
 */
export function buildPublishDocsRequest(
  target: ApiTarget,
  name: string,
  version: string,
  tarball: Uint8Array,
  call: CallOptions,
): Request {
  return buildRawUploadRequest(target, {
    ...call,
    path: `${releasePath(name, version)}/docs`,
    body: tarball,
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildPublishDocsRequest}: 201 with an empty body.
 *
 * @param res The response (404 when the release does not exist).
 * @param req The request, for error messages.
 * @returns The docs tarball's URL from `Location`, when sent.
 * @throws {HexApiError} For any other status.
 */
export async function parsePublishDocsResponse(
  res: Response,
  req?: Request,
): Promise<{ location?: string }> {
  await expectRelease(res, req, [201]);
  await res.body?.cancel();
  return { location: res.headers.get("location") ?? undefined };
}

/**
 * `DELETE /packages/NAME/releases/VERSION`: reverts a release (the package too, when
 * it is the only release).
 *
 * @param target The API.
 * @param name The package.
 * @param version The release.
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For a name or version that cannot be a path segment.
 */
export function buildRevertReleaseRequest(
  target: ApiTarget,
  name: string,
  version: string,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "DELETE",
    path: releasePath(name, version),
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildRevertReleaseRequest} (204).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {EditWindowError} When the release is too old to revert.
 * @throws {HexApiError} For any other status (422 when other packages depend on the
 * last release).
 */
export function parseRevertReleaseResponse(res: Response, req?: Request): Promise<void> {
  return expectNoContent(res, req);
}

/**
 * `DELETE /packages/NAME/releases/VERSION/docs`: removes a release's docs.
 *
 * @param target The API.
 * @param name The package.
 * @param version The release.
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For a name or version that cannot be a path segment.
 */
export function buildRevertDocsRequest(
  target: ApiTarget,
  name: string,
  version: string,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "DELETE",
    path: `${releasePath(name, version)}/docs`,
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildRevertDocsRequest} (204).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {HexApiError} For any other status.
 */
export function parseRevertDocsResponse(res: Response, req?: Request): Promise<void> {
  return expectNoContent(res, req);
}

/**
 * `GET /packages/NAME/releases/VERSION`.
 *
 * @param target The API.
 * @param name The package.
 * @param version The release.
 * @param call User-Agent and optional credential (needed for organizations).
 * @throws {UsageError} For a name or version that cannot be a path segment.
 */
export function buildGetReleaseRequest(
  target: ApiTarget,
  name: string,
  version: string,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "GET",
    path: releasePath(name, version),
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildGetReleaseRequest}.
 *
 * @param res The response (200 expected).
 * @param req The request, for error messages.
 * @returns The release.
 * @throws {HexApiError} For any other status — `status` 404 when there is no such
 * release (or it cannot be seen) — or a malformed body.
 */
export function parseGetReleaseResponse(res: Response, req?: Request): Promise<Release> {
  return decodeJson(res, req, [200], decodeRelease);
}

/**
 * `POST /packages/NAME/releases/VERSION/retire`: marks a release retired.
 *
 * @param target The API.
 * @param name The package.
 * @param version The release.
 * @param retirement Reason and message, checked with {@link checkRetirement}.
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For a retirement hex.pm would refuse, or a name or version that
 * cannot be a path segment.
 */
export function buildRetireRequest(
  target: ApiTarget,
  name: string,
  version: string,
  retirement: RetireInput,
  call: CallOptions,
): Request {
  const checked = checkRetirement(retirement.reason, retirement.message);
  return buildApiRequest(target, {
    ...call,
    method: "POST",
    path: `${releasePath(name, version)}/retire`,
    body: retireBody(checked),
    scope: "repo",
  });
}

function retireBody(r: { reason: string; message?: string }): Record<string, unknown> {
  return r.message === undefined ? { reason: r.reason } : { reason: r.reason, message: r.message };
}

/**
 * Reads the answer to {@link buildRetireRequest} (204).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {HexApiError} For any other status.
 */
export function parseRetireResponse(res: Response, req?: Request): Promise<void> {
  return expectNoContent(res, req);
}

/**
 * `DELETE /packages/NAME/releases/VERSION/retire`: unretires a release.
 *
 * @param target The API.
 * @param name The package.
 * @param version The release.
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For a name or version that cannot be a path segment.
 */
export function buildUnretireRequest(
  target: ApiTarget,
  name: string,
  version: string,
  call: CallOptions,
): Request {
  return buildApiRequest(target, {
    ...call,
    method: "DELETE",
    path: `${releasePath(name, version)}/retire`,
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildUnretireRequest} (204).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {HexApiError} For any other status.
 */
export function parseUnretireResponse(res: Response, req?: Request): Promise<void> {
  return expectNoContent(res, req);
}

/**
 * `POST /packages/NAME/retire`: retires every release of a package.
 *
 * @param target The API.
 * @param name The package.
 * @param retirement Reason and message (checked with {@link checkRetirement}), and
 * `replace` to overwrite existing retirements too (sent only when given).
 * @param call User-Agent, credential and TOTP code.
 * @throws {UsageError} For a retirement hex.pm would refuse, or a name that cannot be
 * a path segment.
 */
export function buildRetireAllRequest(
  target: ApiTarget,
  name: string,
  retirement: RetireAllInput,
  call: CallOptions,
): Request {
  const checked = checkRetirement(retirement.reason, retirement.message);
  const body = retireBody(checked);
  if (retirement.replace !== undefined) body.replace = retirement.replace === true;
  return buildApiRequest(target, {
    ...call,
    method: "POST",
    path: `/packages/${pathSegment(name)}/retire`,
    body,
    scope: "repo",
  });
}

/**
 * Reads the answer to {@link buildRetireAllRequest} (204).
 *
 * @param res The response.
 * @param req The request, for error messages.
 * @throws {HexApiError} For any other status.
 */
export function parseRetireAllResponse(res: Response, req?: Request): Promise<void> {
  return expectNoContent(res, req);
}
