/**
 * The Hex HTTP API as a {@link PublishTarget}: hex.pm, its organizations, a
 * self-hosted repository or `hexpub serve`. Writes go through the session
 * (credentials, OAuth refresh, TOTP); an upload whose answer was lost is
 * checked against what landed, by our own checksum.
 *
 * @module
 */
import { HexpubError, UsageError } from "../errors.ts";
import { RegistryError } from "../registry/signing.ts";
import { isHexpm } from "../config/repos.ts";
import { HEXPM_API_URL } from "../config/settings.ts";
import type { Deps } from "../ports.ts";
import type { Credential } from "../hex/api_config.ts";
import { HexApiError, HexNetworkError, safeUrl } from "../hex/api_errors.ts";
import { buildGetPackageRequest, parseGetPackageResponse } from "../hex/package.ts";
import {
  buildGetReleaseRequest,
  buildPublishDocsRequest,
  buildPublishRequest,
  buildRevertDocsRequest,
  buildRevertReleaseRequest,
  parseGetReleaseResponse,
  parsePublishDocsResponse,
  parsePublishResponse,
  parseRevertDocsResponse,
  parseRevertReleaseResponse,
  ReleaseExistsError,
} from "../hex/release.ts";
import { buildRepoTarballRequest, parseRepoTarballResponse } from "../hex/repo_tarball.ts";
import { send } from "../hex/send.ts";
import { parseVersion } from "../rules/version.ts";
import { formatBytes } from "./byte_size.ts";
import { LiveReleaseError } from "./publish_outcome.ts";
import { readPackageEntry, registrySource, repoCredential } from "./registry.ts";
import { call, resolveCredential, type Session } from "./session.ts";
import type {
  CheckFindings,
  LatestRelease,
  PublishTarget,
  RegistryListing,
  ReleaseUpload,
  Uploaded,
} from "./publish_target.ts";

const is404 = (e: unknown) => e instanceof HexApiError && e.status === 404;

/** Public hex.pm packages can be read without credentials; other repositories need them. */
const publicReads = (session: Session) => isHexpm(session.repo);

/**
 * A GET without credentials that is allowed to fail: dry-run checks work
 * offline, so they try once, briefly, instead of retrying with backoff.
 */
async function tryGet<T>(
  deps: Deps,
  session: Session,
  req: Request,
  parse: (res: Response, req: Request) => Promise<T>,
) {
  try {
    return {
      ok: true as const,
      value: await parse(
        await send(deps, req, {
          idempotent: true,
          retries: 0,
          timeoutMs: Math.min(session.timeoutMs ?? 10_000, 10_000),
        }),
        req,
      ),
    };
  } catch (e) {
    return { ok: false as const, error: e };
  }
}

/**
 * A read for the dry run: anonymous on hex.pm; elsewhere with an API key
 * already at hand (a dry run asks for no credentials), else anonymous too
 * (`hexpub serve` and many private servers answer reads without a key). An
 * anonymous answer outside hex.pm proves only what it finds: `anonymous` says
 * a 404 there may mean "cannot see it".
 */
async function dryRead<T>(
  deps: Deps,
  session: Session,
  build: (credential: Credential | undefined) => Request,
  parse: (res: Response, req: Request) => Promise<T>,
) {
  const credential = publicReads(session) || !session.repo.apiKey
    ? undefined
    : { kind: "key" as const, secret: session.repo.apiKey };
  const anonymous = !publicReads(session) && credential === undefined;
  return { ...(await tryGet(deps, session, build(credential), parse)), anonymous };
}

/** Time allowed for an upload (package or docs) to be answered: the request limit (at least 30 s), plus a second per 50 KB. */
function uploadTimeout(session: Session, size: number): number {
  return Math.max(session.timeoutMs ?? 30_000, 30_000) + Math.ceil(size / 50);
}

/** Uploads of this size or more show a progress bar where stderr is a terminal. */
export const PROGRESS_BAR_MIN_BYTES = 1024 * 1024;

/**
 * How an upload is shown: on a terminal, from {@link PROGRESS_BAR_MIN_BYTES}, a
 * bar (`Output.progress`) fed by the request's `progress`; otherwise one line
 * at the start (what, how big, where). Either way one line at the end, once it
 * has landed.
 */
function uploadDisplay(deps: Deps, what: string, size: number, url: string) {
  const bar = size >= PROGRESS_BAR_MIN_BYTES ? deps.out.progress?.bind(deps.out) : undefined;
  const label = `Uploading ${what}`;
  if (!bar) deps.out.info(`Uploading ${what} (${formatBytes(size)}) to ${url}`);
  const started = deps.now();
  return {
    progress: bar && ((sent: number, total: number) => bar({ label, done: sent, total })),
    /** Clears the bar; after a success, says how long it took. */
    end(ok: boolean) {
      bar?.({ label, done: size, total: size, finished: true });
      if (!ok) return;
      const seconds = ((deps.now() - started) / 1000).toFixed(1);
      deps.out.info(
        bar
          ? `Uploaded ${what} (${formatBytes(size)}) in ${seconds} s`
          : `Uploaded in ${seconds} s`,
      );
    },
  };
}

/** Runs an upload under {@link uploadDisplay}. */
async function showUpload<T>(
  deps: Deps,
  what: string,
  size: number,
  url: string,
  upload: (progress: ((sent: number, total: number) => void) | undefined) => Promise<T>,
): Promise<T> {
  const display = uploadDisplay(deps, what, size, url);
  let ok = false;
  try {
    const result = await upload(display.progress);
    ok = true;
    return result;
  } finally {
    display.end(ok);
  }
}

/**
 * Where a release is, for when the server's answer did not say: its hex.pm page
 * when the API is hex.pm's own, else the release in the repository's own API
 * (a self-hosted Hex, `hexpub serve`, or hexpm with `HEX_API_URL` set elsewhere).
 */
function releasePageUrl(session: Session, name: string, version: string): string {
  const api = safeUrl(session.target.apiUrl).replace(/\/+$/, "");
  const org = session.target.repo;
  if (api === HEXPM_API_URL) {
    return `https://hex.pm/packages/${org ? `${org}/` : ""}${name}/${version}`;
  }
  return `${api}${org ? `/repos/${encodeURIComponent(org)}` : ""}/packages/${
    encodeURIComponent(name)
  }/releases/${encodeURIComponent(version)}`;
}

/** The Hex HTTP API of the session's repository as a publish target. */
export function hexApiTarget(deps: Deps, session: Session): PublishTarget {
  const userAgent = session.userAgent;
  const writeNeed = (name: string) => ({
    action: "write" as const,
    pkg: `${session.repo.organization ?? "hexpm"}/${name}`,
  });

  /** Fetches the release back (retried; with credentials outside hex.pm). */
  async function readBack(name: string, version: string): Promise<string | undefined> {
    try {
      const release = await call(deps, session, {
        write: false,
        idempotent: true,
        anonymous: publicReads(session),
        build: (credential) =>
          buildGetReleaseRequest(session.target, name, version, { userAgent, credential }),
        parse: parseGetReleaseResponse,
      });
      return release.checksum.toLowerCase();
    } catch (e) {
      if (is404(e)) return undefined;
      throw e;
    }
  }

  async function uploadPackage(r: ReleaseUpload): Promise<Uploaded> {
    const { name, version, tarball, checksum, replace } = r;
    try {
      const res = await showUpload(
        deps,
        `${name}-${version}.tar`,
        tarball.length,
        safeUrl(session.target.apiUrl),
        (progress) =>
          call(deps, session, {
            write: true,
            idempotent: false,
            build: (credential, otp) =>
              buildPublishRequest(session.target, tarball, { replace, userAgent, credential, otp }),
            parse: parsePublishResponse,
            need: writeNeed(name),
            timeoutMs: uploadTimeout(session, tarball.length),
            progress,
          }),
      );
      return {
        replaced: !res.created,
        url: res.release.htmlUrl ?? res.release.url ?? releasePageUrl(session, name, version),
        docsStored: false,
      };
    } catch (e) {
      const landed = () => ({
        url: releasePageUrl(session, name, version),
        docsStored: false,
      });
      // Deno re-sends a POST whose connection dropped; the first copy may have
      // landed (hex-protocol §9). Our own checksum tells whether it did.
      if (e instanceof ReleaseExistsError && !replace) {
        if ((await readBack(name, version)) === checksum) {
          return {
            ...landed(),
            replaced: false,
            note: "the release already holds exactly this tarball (an earlier attempt landed)",
          };
        }
        throw e;
      }
      // Any failure after the request went out (the connection dropped, the answer was cut
      // off, timed out, or is not a release, or a gateway in front gave up waiting for it:
      // 502, 504) leaves the question open: ask the server.
      const lostAnswer = e instanceof HexNetworkError ||
        (e instanceof HexApiError &&
          ((e.status >= 200 && e.status < 300) || e.status === 502 || e.status === 504));
      if (lostAnswer) {
        const there = await readBack(name, version).catch(() => "unknown");
        if (there === checksum) {
          return {
            ...landed(),
            replaced: replace,
            note: e instanceof HexNetworkError
              ? "the connection failed, but the release landed with this exact tarball"
              : "the server's answer could not be read, but the release landed with this exact tarball",
          };
        }
        const what = e instanceof HexNetworkError ? "failed" : "got an answer hexpub cannot read";
        if (there === "unknown") {
          throw new LiveReleaseError(
            "unknown",
            `the upload of ${name} ${version} ${what}, and hexpub could not check whether it landed: ${e.message}`,
            {
              hint:
                `Check with \`hexpub info ${name} ${version}\`; running the same command again is safe`,
              cause: e,
            },
          );
        }
        throw new HexpubError(
          `the upload of ${name} ${version} has not landed (yet): ${e.message}`,
          { hint: "Running the same command again is safe", cause: e },
        );
      }
      throw e;
    }
  }

  return {
    repo: session.repo,
    dryRunVerb: "uploaded",
    async ensureWritable() {
      await resolveCredential(deps, session, { write: true });
    },
    async checkVersion(name, version, replace): Promise<CheckFindings> {
      const existing = await dryRead(
        deps,
        session,
        (credential) =>
          buildGetReleaseRequest(session.target, name, version, { userAgent, credential }),
        parseGetReleaseResponse,
      );
      if (existing.ok && !replace) {
        return {
          problems: [{
            level: "error",
            field: "version",
            message: `${name} ${version} is already published`,
            hint:
              "Bump the version, or pass --replace (hex.pm allows it within one hour of publishing)",
          }],
          skipped: [],
        };
      }
      // Outside hex.pm a 404 may only mean "cannot see it".
      if (!existing.ok && (!is404(existing.error) || !publicReads(session))) {
        return { problems: [], skipped: ["whether this version is already published"] };
      }
      return { problems: [], skipped: [] };
    },
    async latestRelease(name): Promise<LatestRelease> {
      const pkg = await dryRead(
        deps,
        session,
        (credential) => buildGetPackageRequest(session.target, name, { userAgent, credential }),
        parseGetPackageResponse,
      );
      if (!pkg.ok) {
        return is404(pkg.error) && !pkg.anonymous
          ? undefined
          : { skipped: "the difference from the latest published version" };
      }
      const latest = pkg.value.latestVersion ?? pkg.value.releases[0]?.version;
      if (!latest || !session.repo.repoUrl) return undefined;
      if (!parseVersion(latest)) {
        return {
          skipped: "the difference from the latest published version (not a valid version)",
        };
      }
      // The same rule as every registry read: no key to an untrusted mirror.
      const { repoKey } = await repoCredential(deps, session.repo);
      const tarReq = buildRepoTarballRequest(
        session.repo.repoUrl,
        session.repo.organization,
        name,
        latest,
        { userAgent, repoKey },
      );
      const old = await tryGet(deps, session, tarReq, parseRepoTarballResponse);
      if (!old.ok) return { skipped: `the difference from ${latest}` };
      return { version: latest, tarball: old.value };
    },
    uploadPackage,
    readBack,
    async readRegistry(name, version): Promise<RegistryListing> {
      if (!session.repo.repoUrl) return undefined;
      // A mirror (HEX_MIRROR_URL) copies the repository some time later: not the place to check.
      const mirror = (deps.env.HEX_MIRROR_URL?.trim() || deps.env.HEX_MIRROR?.trim())
        ?.replace(/\/+$/, "");
      if (mirror && session.repo.repoUrl.replace(/\/+$/, "") === mirror) return undefined;
      let source;
      try {
        source = await registrySource(deps, session.repo);
      } catch (e) {
        // No public key or no repo_url configured: nothing an installer could check either.
        if (e instanceof RegistryError || e instanceof UsageError) return undefined;
        throw e;
      }
      // An organization's registry needs its repository key; without one at hand, not checked.
      if (session.repo.organization && !source.repoKey) return undefined;
      const pkg = await readPackageEntry(deps, source, name, { retries: 1 });
      const release = pkg?.releases.find((r) => r.version === version);
      if (!release) return { listed: false };
      const checksum = release.outerChecksum &&
        Array.from(release.outerChecksum, (b) => b.toString(16).padStart(2, "0")).join("");
      return { listed: true, checksum };
    },
    async uploadDocs(r) {
      const res = await showUpload(
        deps,
        `the docs of ${r.name} ${r.version}`,
        r.docs.length,
        safeUrl(session.target.apiUrl),
        (progress) =>
          call(deps, session, {
            write: true,
            idempotent: false,
            build: (credential, otp) =>
              buildPublishDocsRequest(session.target, r.name, r.version, r.docs, {
                userAgent,
                credential,
                otp,
              }),
            parse: parsePublishDocsResponse,
            need: writeNeed(r.name),
            timeoutMs: uploadTimeout(session, r.docs.length),
            progress,
          }),
      );
      return { url: res.location };
    },
    async revert(name, version, what) {
      // An EditWindowError (hex.pm's one hour / 24 hours rule) carries its own explanation.
      await call(deps, session, {
        write: true,
        idempotent: true,
        build: (credential, otp) =>
          (what === "docs" ? buildRevertDocsRequest : buildRevertReleaseRequest)(
            session.target,
            name,
            version,
            { userAgent, credential, otp },
          ),
        parse: what === "docs" ? parseRevertDocsResponse : parseRevertReleaseResponse,
        need: writeNeed(name),
      });
    },
  };
}
