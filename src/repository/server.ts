/**
 * The HTTP face of a repository directory (`hexpub serve`): its static
 * registry files, each with a strong `ETag` and `If-None-Match` → 304 (rebar3
 * treats a tarball response without an ETag as a failed download), and the
 * subset of hex.pm's HTTP API that publishing needs, with hex.pm's statuses
 * and error bodies (`{status, message, errors?}`): publish, revert, docs,
 * retire/unretire, owners, package search and info, users.
 *
 * Users are the names of the repository's API keys (`hexpub serve key
 * generate --key-name NAME`). Publishing a brand-new package (no release of
 * that name) makes the publisher its full owner; after that, writes need an
 * owner (owner changes a full one), as on hex.pm. A package that has releases
 * but no owners (put in by `publish -r local`, `repo build` or a copied
 * tarball) is claimed by nobody over HTTP: every write to it is a 403 whose
 * `errors` names the fix, `hexpub serve owner add DIR PKG USER` on the server.
 *
 * Writes run one at a time (a promise chain in this process plus the
 * repository's file lock shared with other processes); each snapshots the
 * files it touches, writes atomically and rebuilds the signed registry, and
 * puts every file back when a step fails, so concurrent publishes never
 * corrupt the repository.
 *
 * Static files are served only from the repository's own directories: a path
 * with a symlinked component is a 404. Their ETag (the SHA-256 of the file)
 * is cached per path and recomputed only when the file's size, mtime or inode
 * changes, so a GET reads the file once and hashes nothing.
 *
 * The API's package and release answers (search included) take what they
 * need from a tarball (checksum, metadata, dependencies) from a cache kept
 * the same way, so anonymous readers never make the server unpack a tarball
 * twice; search answers at most 100 packages a page, as hex.pm does.
 *
 * @module
 */
import { join } from "node:path";
import { readBodyUpTo } from "../hex/read_capped.ts";
import { TarballError } from "../errors.ts";
import type { Deps, FileInfo } from "../ports.ts";
import { type Term, textOf } from "../erlang/term.ts";
import { parseVersion } from "../hex/version.ts";
import { sha256Hex } from "../tarball/checksum.ts";
import { unpackDocs, unpackPackage } from "../tarball/unpack_package.ts";
import { decodeMetadata } from "../tarball/metadata_config.ts";
import { unpackTar } from "modern-tar";
import type { Dependency } from "../registry/messages.ts";
import { buildRepository, readRelease, type RepoDir, withRepoLock } from "./repository_dir.ts";
import {
  docsPath,
  releasesByName,
  releaseWrite,
  revertRelease,
  setRetirements,
  tarballPath,
  versionsOf,
} from "./repository_ops.ts";
import {
  type OwnerLevel,
  type Owners,
  OWNERS_FILE,
  readOwners,
  readRetirements,
  type Retirements,
  type StoredOwner,
  type StoredRetirement,
  validateRetirement,
  withUndo,
  writeOwners,
} from "./repository_state.ts";
import { checkServeKey, readServeKeys } from "./server_keys.ts";

const PACKAGE_NAME = /^[a-z][a-z0-9_]*$/;
const SEGMENT = /^[A-Za-z0-9_.+@-]+$/;

/** Options of {@link repositoryHandler}. */
export interface HandlerOptions {
  /** The server's own base URL, for the `url` fields of API answers. */
  baseUrl?: string;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: status === 204 ? headers : { "content-type": "application/json", ...headers },
  });
}

function error(status: number, message: string, errors?: unknown): Response {
  const headers: Record<string, string> = status === 401
    ? { "www-authenticate": "Basic realm=hex" }
    : {};
  return json(
    status,
    errors === undefined ? { status, message } : { status, message, errors },
    headers,
  );
}

const notFound = () => error(404, "Page not found");
const noContent = () => json(204, null);
/** hex.pm's answer to a write by someone who is not (enough of) an owner. */
const FORBIDDEN = "account not authorized for this action";
const forbidden = () => error(403, FORBIDDEN);
/**
 * hex.pm's 403, for a write to a package that has releases but no owners,
 * with the fix in `errors` (hexpub and mix show it under the message).
 */
const unowned = (name: string, user: string) =>
  error(403, FORBIDDEN, {
    owners:
      `package ${name} has no owners: on the server, run \`hexpub serve owner add DIR ${name} ${user}\``,
  });
const invalid = (errors: unknown) => error(422, "Validation error(s)", errors);

/** Path segments of a URL path, decoded; `undefined` when one is unsafe. */
function segments(pathname: string): string[] | undefined {
  if (pathname.includes("\\")) return undefined;
  const raw = pathname.split("/").slice(1);
  const out: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return undefined;
    }
    if (s === "" || s === "." || s === ".." || !SEGMENT.test(s)) return undefined;
    out.push(s);
  }
  return out;
}

/** Hex's largest tarball (16 MiB); bigger uploads are refused with 413. */
export const MAX_UPLOAD = 16 * 1024 * 1024;
/** The largest JSON body (retire, owners) read. */
const MAX_JSON = 64 * 1024;

/** The request body, or undefined when it is larger than `limit` (read no further). */
function readBody(req: Request, limit = MAX_UPLOAD): Promise<Uint8Array | undefined> {
  return readBodyUpTo(req, limit);
}

/** A JSON object body: the object, or the error response to send. */
async function readJsonBody(req: Request): Promise<Record<string, unknown> | Response> {
  const body = await readBody(req, MAX_JSON);
  if (!body) return error(413, "Payload too large");
  const text = new TextDecoder().decode(body).trim();
  if (!text) return {};
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // below
  }
  return error(400, "Bad request");
}

/** A serial lock: each task starts when the previous one has settled. */
function serialLock(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

function metaGet(metadata: [string, Term][], key: string): Term | undefined {
  return metadata.find(([k]) => k === key)?.[1];
}

function textList(t: Term | undefined): string[] {
  return t?.kind === "list" ? t.items.map(textOf).filter((s): s is string => !!s) : [];
}

/**
 * Who may write to a package: its owners. A package with no owners is
 * claimed by the publisher of its first release (`isNew`: no release of that
 * name exists); one that has releases is `unowned`, open to no key.
 */
function access(
  owners: Owners,
  name: string,
  user: string,
  need: "owner" | "full",
  isNew: boolean,
): "allowed" | "claim" | "unowned" | "forbidden" {
  const list = owners.get(name);
  if (!list || list.length === 0) return isNew ? "claim" : "unowned";
  const me = list.find((o) => o.username === user);
  if (!me || (need === "full" && me.level !== "full")) return "forbidden";
  return "allowed";
}

/** The stat a cache entry was made from: it holds while the file keeps all three. */
interface StatStamp {
  size: number;
  mtime: number;
  ino: number | undefined;
}

/** Whether cache entry `c` still describes the file `info` stats. */
const fresh = <T extends StatStamp>(c: T | undefined, info: FileInfo): c is T =>
  c !== undefined && info.mtime !== undefined && c.size === info.size &&
  c.mtime === info.mtime && c.ino === info.ino;

/** What the ETag cache knows about one static file. */
interface CachedTag extends StatStamp {
  etag: string;
  /** The file itself, for small files (registry files, most tarballs). */
  bytes?: Uint8Array;
}

/** What the API answers take from a release tarball (see {@link CachedFacts}). */
interface TarballFacts {
  /** The SHA-256 of the tarball, lower hex. */
  checksum: string;
  dependencies: Dependency[];
  app: string;
  buildTools: string[];
  description: string;
  licenses: string[];
  links: Record<string, string>;
}

/** What the facts cache knows about one tarball: its facts, or why it could not be read. */
interface CachedFacts extends StatStamp {
  facts?: TarballFacts;
  failure?: string;
  /** Roughly the memory it holds, in characters. */
  weight: number;
}

/** At most this many tarballs' facts are cached… */
const FACTS_CACHE_LIMIT = 20_000;
/** …holding about this much text in all (then the cache starts over). */
const FACTS_CACHE_WEIGHT = 32 * 1024 * 1024;
/** Search answers at most this many packages a page (hex.pm's page size). */
const SEARCH_PAGE = 100;

/** At most this many ETags are cached (then the cache starts over). */
const ETAG_CACHE_LIMIT = 20_000;
/** Files up to this size are kept in memory with their ETag… */
const BYTES_CACHE_FILE = 256 * 1024;
/** …up to this much in all (then the cache starts over). */
const BYTES_CACHE_TOTAL = 64 * 1024 * 1024;

/**
 * A request handler serving repository `repo`.
 *
 * Static: `GET /names`, `/versions`, `/packages/NAME`, `/tarballs/NAME-VSN.tar`,
 * `/docs/FILE`, `/public_key`. API (also under `/api/repos/REPO/`):
 * `POST /api/publish?replace=`, `GET /api/packages?search=`,
 * `GET /api/packages/NAME`, `GET|DELETE /api/packages/NAME/releases/VSN`,
 * `POST|DELETE /api/packages/NAME/releases/VSN/docs`,
 * `POST|DELETE /api/packages/NAME/releases/VSN/retire`, `POST /api/packages/NAME/retire`,
 * `GET /api/packages/NAME/owners[/USER]`, `PUT|DELETE /api/packages/NAME/owners/USER`,
 * `GET /api/users/me`, `GET /api/users/NAME`, `GET /api/auth` (checks a key).
 * Writes and `/api/users/me` need an API key of `hexpub serve key generate`
 * in `authorization`.
 */
export function repositoryHandler(
  deps: Deps,
  repo: RepoDir,
  options: HandlerOptions = {},
): (req: Request) => Promise<Response> {
  // In-process order, plus the repository's file lock shared with other
  // processes (`repo build`, `publish -r local`, another `serve`).
  const serial = serialLock();
  // After each of our own writes the caches start over: their stat stamps
  // cannot tell a same-size file replaced within the file system's mtime
  // resolution (and a reused inode) from the one they were made from.
  const lock = <T>(task: () => Promise<T>) =>
    serial(() =>
      withRepoLock(deps, repo.dir, async () => {
        try {
          return await task();
        } finally {
          forgetCaches();
        }
      })
    );
  const tarPath = (name: string, version: string) => tarballPath(repo.dir, name, version);
  const docsOf = (name: string, version: string) => docsPath(repo.dir, name, version);
  const ownersPath = join(repo.dir, OWNERS_FILE);
  const exists = async (path: string) => (await deps.fs.lstat(path))?.kind === "file";

  const base = (req: Request) => options.baseUrl ?? new URL(req.url).origin;
  const userUrl = (req: Request, user: string) =>
    `${base(req)}/api/users/${encodeURIComponent(user)}`;

  async function metadataOf(bytes: Uint8Array): Promise<[string, Term][]> {
    const entries = await unpackTar(bytes);
    const meta = entries.find((e) => e.header.name === "metadata.config")?.data;
    return meta ? decodeMetadata(new TextDecoder().decode(meta)) : [];
  }

  /** What the API needs from the tarball `bytes` of `name` `version`. */
  async function factsOf(
    bytes: Uint8Array,
    name: string,
    version: string,
    metadata?: [string, Term][],
  ): Promise<TarballFacts> {
    const { release } = await readRelease(bytes, `${name}-${version}.tar`);
    const md = metadata ?? await metadataOf(bytes);
    const links: Record<string, string> = {};
    const l = metaGet(md, "links");
    if (l?.kind === "list") {
      for (const item of l.items) {
        if (item.kind !== "tuple" || item.items.length !== 2) continue;
        const [k, v] = item.items.map(textOf);
        if (k && v) links[k] = v;
      }
    }
    const text = (key: string) => textOf(metaGet(md, key) ?? { kind: "atom", value: "" }) ?? "";
    return {
      checksum: await sha256Hex(bytes),
      dependencies: release.dependencies,
      app: text("app") || name,
      buildTools: textList(metaGet(md, "build_tools")),
      description: text("description"),
      licenses: textList(metaGet(md, "licenses")),
      links,
    };
  }

  // Tarball facts, by path, valid while the file's size, mtime and inode stay.
  const factsCache = new Map<string, CachedFacts>();
  const factsPending = new Map<string, Promise<TarballFacts>>();
  let factsWeight = 0;

  /**
   * The facts of release `name` `version` in `tarballs/`, read and unpacked
   * once per version of the file (a failure is remembered too); `undefined`
   * when there is no such file.
   */
  async function releaseFacts(name: string, version: string): Promise<TarballFacts | undefined> {
    const path = tarPath(name, version);
    const info = await deps.fs.lstat(path);
    if (info?.kind !== "file") return undefined;
    const cached = factsCache.get(path);
    if (fresh(cached, info)) {
      if (cached.failure !== undefined) throw new Error(cached.failure);
      return cached.facts;
    }
    // Concurrent misses for the same file version share one read.
    const key = `${path}\0${info.size}\0${info.mtime}\0${info.ino}`;
    let pending = factsPending.get(key);
    if (!pending) {
      pending = (async () => {
        const bytes = await deps.fs.readFile(path);
        // Cache only what the stat describes (the file may have changed in between).
        const cacheable = bytes.length === info.size && info.mtime !== undefined;
        const entry: CachedFacts = {
          size: info.size,
          mtime: info.mtime ?? NaN,
          ino: info.ino,
          weight: 0,
        };
        try {
          entry.facts = await factsOf(bytes, name, version);
        } catch (e) {
          entry.failure = e instanceof Error ? e.message : String(e);
        }
        entry.weight = 200 + (entry.failure?.length ?? JSON.stringify(entry.facts).length);
        if (cacheable) {
          if (
            factsCache.size >= FACTS_CACHE_LIMIT || factsWeight + entry.weight > FACTS_CACHE_WEIGHT
          ) {
            factsCache.clear();
            factsWeight = 0;
          }
          const old = factsCache.get(path);
          if (old) factsWeight -= old.weight;
          factsCache.set(path, entry);
          factsWeight += entry.weight;
        }
        if (entry.failure !== undefined) throw new Error(entry.failure);
        return entry.facts!;
      })().finally(() => factsPending.delete(key));
      factsPending.set(key, pending);
    }
    return await pending;
  }

  const retirementJson = (r: StoredRetirement | undefined) =>
    r ? { reason: r.reason, message: r.message ?? null } : null;

  async function releaseJson(req: Request, name: string, version: string, facts: TarballFacts) {
    const requirements: Record<string, unknown> = {};
    for (const d of facts.dependencies) {
      requirements[d.package] = {
        app: d.app ?? d.package,
        requirement: d.requirement,
        optional: d.optional ?? false,
      };
    }
    const retired = (await readRetirements(deps, repo.dir)).get(name)?.get(version);
    const url = `${base(req)}/api/packages/${name}/releases/${version}`;
    return {
      name,
      version,
      checksum: facts.checksum,
      has_docs: await exists(docsOf(name, version)),
      meta: { app: facts.app, build_tools: facts.buildTools },
      requirements,
      retirement: retirementJson(retired),
      inserted_at: null,
      url,
      html_url: url,
      package_url: `${base(req)}/api/packages/${name}`,
      docs_html_url: null,
    };
  }

  /** What package answers share within one request, read once. */
  interface PackageContext {
    owners: Owners;
    retirements: Retirements;
    /** The file names in `docs/`. */
    docs: Set<string>;
  }

  async function packageContext(): Promise<PackageContext> {
    return {
      owners: await readOwners(deps, repo.dir),
      retirements: await readRetirements(deps, repo.dir),
      docs: new Set(await deps.fs.readDir(join(repo.dir, "docs")).catch(() => [] as string[])),
    };
  }

  async function packageJson(req: Request, name: string, versions: string[], ctx: PackageContext) {
    if (versions.length === 0) return undefined;
    const latest = versions[versions.length - 1];
    const facts = await releaseFacts(name, latest);
    if (!facts) return undefined; // reverted since `tarballs/` was listed
    const stable = versions.filter((v) => parseVersion(v)!.pre.length === 0);
    const hasDocs = (v: string) => ctx.docs.has(`${name}-${v}.tar.gz`);
    const releases = [...versions].reverse().map((v) => ({
      version: v,
      has_docs: hasDocs(v),
      inserted_at: null,
      url: `${base(req)}/api/packages/${name}/releases/${v}`,
    }));
    const retirements: Record<string, unknown> = {};
    const retired = ctx.retirements.get(name) ?? new Map();
    for (const v of versions) {
      if (retired.has(v)) retirements[v] = retirementJson(retired.get(v));
    }
    return {
      name,
      repository: repo.name,
      releases,
      retirements,
      owners: (ctx.owners.get(name) ?? []).map((o) => ({
        username: o.username,
        url: userUrl(req, o.username),
      })),
      latest_version: latest,
      latest_stable_version: stable[stable.length - 1] ?? null,
      meta: {
        description: facts.description || null,
        licenses: facts.licenses,
        links: facts.links,
      },
      downloads: {},
      url: `${base(req)}/api/packages/${name}`,
      html_url: `${base(req)}/api/packages/${name}`,
      docs_html_url: null,
    };
  }

  const ownerJson = (req: Request, o: StoredOwner) => ({
    username: o.username,
    full_name: null,
    level: o.level,
    url: userUrl(req, o.username),
  });

  async function authorize(req: Request): Promise<string | undefined> {
    const header = req.headers.get("authorization") ?? "";
    return await checkServeKey(deps, repo.dir, header.trim());
  }

  /**
   * The user of a write to a package's retirements or owners. As on hex.pm,
   * a request without credentials is a 403 and an unknown key a 401.
   */
  async function packageWriter(req: Request): Promise<string | Response> {
    if (!(req.headers.get("authorization") ?? "").trim()) return forbidden();
    return (await authorize(req)) ?? error(401, "invalid API key");
  }

  /** Makes `user` the full owner of a new package (written by the caller's write). */
  async function claim(name: string, user: string): Promise<void> {
    const owners = await readOwners(deps, repo.dir);
    if (owners.get(name)?.length) return;
    owners.set(name, [{ username: user, level: "full" }]);
    await writeOwners(deps, repo.dir, owners);
  }

  async function publish(req: Request, url: URL): Promise<Response> {
    // Unlike hex.pm, check the key before reading a body, and cap its size:
    // an anonymous client must not make the server hold large uploads.
    const user = await authorize(req);
    if (!user) return error(401, "invalid API key");
    const body = await readBody(req);
    if (!body) return error(413, "Payload too large");
    let unpacked;
    try {
      unpacked = await unpackPackage(body);
    } catch (e) {
      if (e instanceof TarballError) return invalid({ tar: e.message });
      throw e;
    }
    const name = textOf(metaGet(unpacked.metadata, "name") ?? { kind: "atom", value: "" }) ?? "";
    const version = textOf(metaGet(unpacked.metadata, "version") ?? { kind: "atom", value: "" }) ??
      "";
    if (!PACKAGE_NAME.test(name)) return invalid({ name: "has invalid format" });
    if (!parseVersion(version)) return invalid({ version: "is invalid SemVer" });
    const replace = url.searchParams.get("replace") === "true";
    const path = tarPath(name, version);
    const result = await lock(async () => {
      const isNew = (await versionsOf(deps, repo.dir, name)).length === 0;
      const who = access(await readOwners(deps, repo.dir), name, user, "owner", isNew);
      if (who === "forbidden" || who === "unowned") return who;
      const existed = await exists(path);
      if (existed && !replace) return "exists" as const;
      return await releaseWrite(deps, repo, { name, version }, async () => {
        await deps.fs.writeFileAtomic(path, body);
        if (who === "claim") await claim(name, user);
        await buildRepository(deps, repo);
        return existed ? "replaced" as const : "created" as const;
      });
    });
    if (result === "forbidden") return forbidden();
    if (result === "unowned") return unowned(name, user);
    if (result === "exists") {
      return invalid({
        inserted_at: "must include the --replace flag to update an existing release",
      });
    }
    const facts = await factsOf(body, name, version, unpacked.metadata);
    const rel = await releaseJson(req, name, version, facts);
    return result === "created"
      ? json(201, { ...rel, publisher: { username: user } }, { location: rel.url })
      : json(200, { ...rel, publisher: { username: user } });
  }

  /**
   * Runs a write to package `name` under the lock, once the package exists
   * and `user` may write to it: 404 for an unknown package, 403 for someone
   * who is not (enough of) an owner, and for everyone when the package has
   * no owners. `work` gets the package's versions and owners.
   */
  function packageWrite(
    name: string,
    user: string,
    need: "owner" | "full",
    work: (versions: string[], owners: Owners) => Promise<Response>,
  ): Promise<Response> {
    return lock(async () => {
      const versions = await versionsOf(deps, repo.dir, name);
      if (versions.length === 0) return notFound();
      const owners = await readOwners(deps, repo.dir);
      const who = access(owners, name, user, need, false);
      if (who === "unowned") return unowned(name, user);
      if (who !== "allowed") return forbidden();
      return await work(versions, owners);
    });
  }

  async function revert(user: string, name: string, version: string): Promise<Response> {
    return await packageWrite(name, user, "owner", async (versions) => {
      if (!versions.includes(version)) return notFound();
      await releaseWrite(deps, repo, { name, version }, async () => {
        await revertRelease(deps, repo, { name, version, docsOnly: false });
      });
      return noContent();
    });
  }

  async function docs(req: Request, user: string, name: string, version: string) {
    const path = docsOf(name, version);
    if (req.method === "DELETE") {
      return await packageWrite(name, user, "owner", async (versions) => {
        if (!versions.includes(version) || !(await exists(path))) return notFound();
        await withUndo(deps, [path], () => deps.fs.remove(path));
        return noContent();
      });
    }
    const body = await readBody(req);
    if (!body) return error(413, "Payload too large");
    try {
      await unpackDocs(body);
    } catch (err) {
      if (err instanceof TarballError) return invalid({ tar: err.message });
      throw err;
    }
    return await packageWrite(name, user, "owner", async (versions) => {
      if (!versions.includes(version)) return notFound();
      await withUndo(deps, [path], () => deps.fs.writeFileAtomic(path, body));
      const loc = `${base(req)}/api/packages/${name}/releases/${version}/docs`;
      return json(201, { url: loc }, { location: loc });
    });
  }

  /** `POST|DELETE …/releases/VSN/retire`, and `POST /packages/NAME/retire` (every release). */
  async function retire(req: Request, name: string, version: string | undefined) {
    const user = await packageWriter(req);
    if (user instanceof Response) return user;
    const params = req.method === "POST" ? await readJsonBody(req) : {};
    if (params instanceof Response) return params;
    return await packageWrite(name, user, "owner", async (versions) => {
      if (version !== undefined && !versions.includes(version)) return notFound();
      const changes = new Map<string, StoredRetirement | undefined>();
      if (req.method === "DELETE") {
        changes.set(version!, undefined);
      } else {
        const checked = validateRetirement(params);
        if ("errors" in checked) return invalid({ retirement: checked.errors });
        if (version !== undefined) changes.set(version, checked.retirement);
        else {
          // Every release; already retired ones only with `replace`.
          const current = (await readRetirements(deps, repo.dir)).get(name);
          for (const v of versions) {
            if (params.replace === true || !current?.has(v)) changes.set(v, checked.retirement);
          }
        }
      }
      await setRetirements(deps, repo, name, changes);
      return noContent();
    });
  }

  /** `PUT|DELETE /packages/NAME/owners/USER`. */
  async function changeOwner(req: Request, name: string, target: string): Promise<Response> {
    const user = await packageWriter(req);
    if (user instanceof Response) return user;
    const params = req.method === "PUT" ? await readJsonBody(req) : {};
    if (params instanceof Response) return params;
    return await packageWrite(name, user, "full", async (_versions, owners) => {
      const users = new Set((await readServeKeys(deps, repo.dir)).map((k) => k.name));
      const current: StoredOwner[] = owners.get(name)!;
      const existing = current.find((o) => o.username === target);
      let next: StoredOwner[];
      if (req.method === "PUT") {
        if (!users.has(target)) return notFound();
        const level = params.level ?? "full";
        if (level !== "full" && level !== "maintainer") return invalid({ level: "is invalid" });
        if (params.transfer === true) {
          if (level !== "full") {
            return invalid({ level: 'ownership level is required to be "full" for a transfer' });
          }
          next = [{ username: target, level: "full" }];
        } else {
          const fulls = current.filter((o) => o.level === "full" && o.username !== target);
          if (existing?.level === "full" && level === "maintainer" && fulls.length === 0) {
            return invalid({ level: "cannot demote the last full owner of a package" });
          }
          next = existing
            ? current.map((o) => o.username === target ? { username: target, level } : o)
            : [...current, { username: target, level: level as OwnerLevel }];
        }
      } else {
        if (!existing) {
          return users.has(target)
            ? invalid({ username: "user is not an owner of package" })
            : notFound();
        }
        next = current.filter((o) => o.username !== target);
        if (next.length === 0) return invalid({ username: "cannot remove last owner of package" });
        if (existing.level === "full" && !next.some((o) => o.level === "full")) {
          return invalid({ username: "cannot remove the last full owner of package" });
        }
      }
      await withUndo(deps, [ownersPath], async () => {
        const all = await readOwners(deps, repo.dir);
        all.set(name, next);
        await writeOwners(deps, repo.dir, all);
      });
      return noContent();
    });
  }

  async function owners(req: Request, parts: string[]): Promise<Response> {
    const [, name, , target] = parts;
    if (parts.length === 4 && (req.method === "PUT" || req.method === "DELETE")) {
      return await changeOwner(req, name, target);
    }
    if (req.method !== "GET") return error(405, "Method not allowed");
    if ((await versionsOf(deps, repo.dir, name)).length === 0) return notFound();
    const list = (await readOwners(deps, repo.dir)).get(name) ?? [];
    if (parts.length === 3) return json(200, list.map((o) => ownerJson(req, o)));
    const one = list.find((o) => o.username === target);
    return one ? json(200, ownerJson(req, one)) : notFound();
  }

  async function users(req: Request, name: string): Promise<Response> {
    if (name === "me") {
      const user = await authorize(req);
      if (!user) return error(401, "invalid API key");
      return json(200, {
        username: user,
        full_name: null,
        email: null,
        organizations: [],
        url: userUrl(req, user),
      });
    }
    if (!(await readServeKeys(deps, repo.dir)).some((k) => k.name === name)) return notFound();
    const owned = [...(await readOwners(deps, repo.dir))]
      .filter(([, list]) => list.some((o) => o.username === name))
      .map(([pkg]) => pkg)
      .sort();
    return json(200, {
      username: name,
      full_name: null,
      url: userUrl(req, name),
      packages: owned.map((pkg) => ({
        name: pkg,
        repository: repo.name,
        url: `${base(req)}/api/packages/${pkg}`,
        html_url: `${base(req)}/api/packages/${pkg}`,
      })),
    });
  }

  /** A whole number from a query parameter, or `fallback` when absent or malformed. */
  const intParam = (url: URL, key: string, fallback: number) => {
    const v = url.searchParams.get(key);
    return v !== null && /^\d{1,9}$/.test(v) && Number(v) >= 1 ? Number(v) : fallback;
  };

  /**
   * `GET /packages?search=TEXT&page=N&per_page=N`: packages whose name holds
   * TEXT, by name, a page at a time (at most 100 a page, as on hex.pm).
   */
  async function search(req: Request, url: URL): Promise<Response> {
    const q = url.searchParams.get("search") ?? "";
    const perPage = Math.min(intParam(url, "per_page", SEARCH_PAGE), SEARCH_PAGE);
    const page = intParam(url, "page", 1);
    const all = await releasesByName(deps, repo.dir);
    const names = [...all.keys()].filter((n) => n.includes(q)).sort()
      .slice((page - 1) * perPage, page * perPage);
    if (names.length === 0) return json(200, []);
    const ctx = await packageContext();
    const out = [];
    for (const n of names) {
      const pkg = await packageJson(req, n, all.get(n)!, ctx);
      if (pkg) out.push(pkg);
    }
    return json(200, out);
  }

  async function api(req: Request, parts: string[], url: URL): Promise<Response> {
    const method = req.method;
    if (parts[0] === "repos") {
      if (parts[1] !== repo.name) return notFound();
      parts = parts.slice(2);
    }
    const [a, name, c, version, e] = parts;
    if (a === "publish" && parts.length === 1) {
      return method === "POST" ? await publish(req, url) : error(405, "Method not allowed");
    }
    if (a === "users" && parts.length === 2 && method === "GET") return await users(req, name);
    if (a === "auth" && parts.length === 1 && method === "GET") {
      // `hexpub user auth --key` checks a key here. A served repository's keys
      // are full keys of the user they are named after.
      const user = await authorize(req);
      if (!user) return error(401, "invalid API key");
      return json(200, { key: { name: user, owner: { type: "user", name: user } } });
    }
    if (a !== "packages") return notFound();
    if (parts.length === 1 && method === "GET") return await search(req, url);
    if (!name || !PACKAGE_NAME.test(name)) return notFound();
    if (parts.length === 2 && method === "GET") {
      const versions = await versionsOf(deps, repo.dir, name);
      if (versions.length === 0) return notFound();
      const pkg = await packageJson(req, name, versions, await packageContext());
      return pkg ? json(200, pkg) : notFound();
    }
    if (c === "owners" && (parts.length === 3 || parts.length === 4)) {
      return await owners(req, parts);
    }
    if (c === "retire" && parts.length === 3) {
      return method === "POST"
        ? await retire(req, name, undefined)
        : error(405, "Method not allowed");
    }
    if (c !== "releases" || !version) return notFound();
    if (!parseVersion(version)) return error(400, `invalid version: ${version}`);
    if (parts.length === 4 && method === "GET") {
      const facts = await releaseFacts(name, version);
      return facts ? json(200, await releaseJson(req, name, version, facts)) : notFound();
    }
    if (parts.length === 5 && e === "retire" && (method === "POST" || method === "DELETE")) {
      return await retire(req, name, version);
    }
    if (method === "GET") return notFound();
    const user = await authorize(req);
    if (!user) return error(401, "invalid API key");
    if (parts.length === 4 && method === "DELETE") return await revert(user, name, version);
    if (parts.length === 5 && e === "docs" && (method === "POST" || method === "DELETE")) {
      return await docs(req, user, name, version);
    }
    return error(405, "Method not allowed");
  }

  // ETags of static files, by path, valid while the file's size, mtime and inode stay.
  const etags = new Map<string, CachedTag>();
  function forgetCaches(): void {
    etags.clear();
    cachedBytes = 0;
    factsCache.clear();
  }
  let cachedBytes = 0;

  async function staticFile(req: Request, parts: string[]): Promise<Response> {
    if (req.method !== "GET" && req.method !== "HEAD") return error(405, "Method not allowed");
    const ok = (parts.length === 1 && ["names", "versions", "public_key"].includes(parts[0])) ||
      (parts.length === 2 && parts[0] === "packages" && PACKAGE_NAME.test(parts[1])) ||
      (parts.length === 2 && parts[0] === "tarballs" && parts[1].endsWith(".tar")) ||
      (parts.length === 2 && parts[0] === "docs" && parts[1].endsWith(".tar.gz"));
    if (!ok) return notFound();
    // Every component below the repository directory must be a real directory
    // or file: a symlinked `tarballs/` (or file) could point anywhere.
    if (parts.length === 2 && (await deps.fs.lstat(join(repo.dir, parts[0])))?.kind !== "dir") {
      return notFound();
    }
    const path = join(repo.dir, ...parts);
    const info = await deps.fs.lstat(path);
    if (info?.kind !== "file") return notFound();
    let cached = etags.get(path);
    let bytes: Uint8Array | undefined;
    if (!fresh(cached, info)) {
      bytes = await deps.fs.readFile(path);
      cached = {
        size: bytes.length,
        mtime: info.mtime ?? NaN,
        ino: info.ino,
        etag: `"${await sha256Hex(bytes)}"`,
      };
      // Cache only what the stat describes (the file may have changed in between).
      if (bytes.length === info.size && info.mtime !== undefined) {
        if (etags.size >= ETAG_CACHE_LIMIT || cachedBytes + bytes.length > BYTES_CACHE_TOTAL) {
          etags.clear();
          cachedBytes = 0;
        }
        if (bytes.length <= BYTES_CACHE_FILE) {
          cached.bytes = bytes;
          cachedBytes += bytes.length;
        }
        etags.set(path, cached);
      }
    } else bytes = cached.bytes;
    let etag = cached.etag;
    const inm = req.headers.get("if-none-match");
    if (
      inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*")
    ) {
      return new Response(null, { status: 304, headers: { etag } });
    }
    if (req.method === "GET" && !bytes) {
      bytes = await deps.fs.readFile(path);
      // Replaced since the stat: send it with its own ETag.
      if (bytes.length !== info.size) {
        etags.delete(path);
        etag = `"${await sha256Hex(bytes)}"`;
      }
    }
    return new Response(req.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        etag,
        "cache-control": "public, max-age=60",
        "content-type": parts[0] === "public_key" ? "text/plain" : "application/octet-stream",
        "content-length": String(bytes?.length ?? info.size),
      },
    });
  }

  return async (req: Request): Promise<Response> => {
    try {
      const url = new URL(req.url);
      const raw = url.pathname;
      if (raw.includes("%00")) return error(400, "Bad request");
      const parts = segments(raw === "/" ? "" : raw.replace(/\/$/, ""));
      if (!parts) return notFound();
      if (parts[0] === "api") return await api(req, parts.slice(1), url);
      return await staticFile(req, parts);
    } catch (e) {
      deps.out.warn(`serve: ${req.method} ${req.url}: ${e instanceof Error ? e.message : e}`);
      return error(500, "Internal server error");
    }
  };
}
