/**
 * The HTTP face of a repository directory (`hexpub serve`): its static
 * registry files, each with a strong `ETag` and `If-None-Match` → 304 (rebar3
 * treats a tarball response without an ETag as a failed download), and the
 * subset of hex.pm's HTTP API that publishing needs, with hex.pm's statuses
 * and error bodies (`{status, message, errors?}`): publish, revert, docs,
 * retire/unretire, owners, package search and info, users.
 *
 * Users are the names of the repository's API keys (`hexpub serve key
 * generate --key-name NAME`). The first user to write to a package becomes
 * its full owner; after that, writes need an owner (owner changes a full
 * one), as on hex.pm. A package with no owners yet (a repository from before
 * owners existed) is open to any key until its first write claims it.
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
 * @module
 */
import { join } from "node:path";
import { TarballError } from "../errors.ts";
import type { Deps, FileInfo } from "../ports.ts";
import { type Term, textOf } from "../erlang/term.ts";
import { parseVersion } from "../hex/version.ts";
import { sha256Hex } from "../tarball/checksum.ts";
import { unpackDocs, unpackPackage } from "../tarball/unpack_package.ts";
import { decodeMetadata } from "../tarball/metadata_config.ts";
import { unpackTar } from "modern-tar";
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
  RETIREMENTS_FILE,
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
const forbidden = () => error(403, "account not authorized for this action");
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
async function readBody(req: Request, limit = MAX_UPLOAD): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return undefined;
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
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

/** Who may write to a package: its owners, or anyone (who then claims it) when it has none. */
function access(
  owners: Owners,
  name: string,
  user: string,
  need: "owner" | "full",
): "allowed" | "claim" | "forbidden" {
  const list = owners.get(name);
  if (!list || list.length === 0) return "claim";
  const me = list.find((o) => o.username === user);
  if (!me || (need === "full" && me.level !== "full")) return "forbidden";
  return "allowed";
}

/** What the ETag cache knows about one static file. */
interface CachedTag {
  size: number;
  mtime: number;
  ino: number | undefined;
  etag: string;
  /** The file itself, for small files (registry files, most tarballs). */
  bytes?: Uint8Array;
}

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
  const lock = <T>(task: () => Promise<T>) => serial(() => withRepoLock(deps, repo.dir, task));
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

  const retirementJson = (r: StoredRetirement | undefined) =>
    r ? { reason: r.reason, message: r.message ?? null } : null;

  async function releaseJson(
    req: Request,
    name: string,
    version: string,
    bytes: Uint8Array,
    metadata?: [string, Term][],
  ) {
    const { release } = await readRelease(bytes, `${name}-${version}.tar`);
    const md = metadata ?? await metadataOf(bytes);
    const app = textOf(metaGet(md, "app") ?? { kind: "atom", value: "" }) || name;
    const requirements: Record<string, unknown> = {};
    for (const d of release.dependencies) {
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
      checksum: await sha256Hex(bytes),
      has_docs: await exists(docsOf(name, version)),
      meta: { app, build_tools: textList(metaGet(md, "build_tools")) },
      requirements,
      retirement: retirementJson(retired),
      inserted_at: null,
      url,
      html_url: url,
      package_url: `${base(req)}/api/packages/${name}`,
      docs_html_url: null,
    };
  }

  async function packageJson(req: Request, name: string, versions: string[], owners: Owners) {
    if (versions.length === 0) return undefined;
    const latest = versions[versions.length - 1];
    const md = await metadataOf(await deps.fs.readFile(tarPath(name, latest)));
    const stable = versions.filter((v) => parseVersion(v)!.pre.length === 0);
    const links: Record<string, string> = {};
    const l = metaGet(md, "links");
    if (l?.kind === "list") {
      for (const item of l.items) {
        if (item.kind !== "tuple" || item.items.length !== 2) continue;
        const [k, v] = item.items.map(textOf);
        if (k && v) links[k] = v;
      }
    }
    const releases = [];
    for (const v of [...versions].reverse()) {
      releases.push({
        version: v,
        has_docs: await exists(docsOf(name, v)),
        inserted_at: null,
        url: `${base(req)}/api/packages/${name}/releases/${v}`,
      });
    }
    const retirements: Record<string, unknown> = {};
    const retired = (await readRetirements(deps, repo.dir)).get(name) ?? new Map();
    for (const v of versions) {
      if (retired.has(v)) retirements[v] = retirementJson(retired.get(v));
    }
    const description = textOf(metaGet(md, "description") ?? { kind: "atom", value: "" });
    return {
      name,
      repository: repo.name,
      releases,
      retirements,
      owners: (owners.get(name) ?? []).map((o) => ({
        username: o.username,
        url: userUrl(req, o.username),
      })),
      latest_version: latest,
      latest_stable_version: stable[stable.length - 1] ?? null,
      meta: {
        description: description || null,
        licenses: textList(metaGet(md, "licenses")),
        links,
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

  /** Makes `user` the full owner of an unowned package (written by the caller's write). */
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
      const who = access(await readOwners(deps, repo.dir), name, user, "owner");
      if (who === "forbidden") return "forbidden" as const;
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
    if (result === "exists") {
      return invalid({
        inserted_at: "must include the --replace flag to update an existing release",
      });
    }
    const rel = await releaseJson(req, name, version, body, unpacked.metadata);
    return result === "created"
      ? json(201, { ...rel, publisher: { username: user } }, { location: rel.url })
      : json(200, { ...rel, publisher: { username: user } });
  }

  /**
   * Runs a write to package `name` under the lock, once the package exists
   * and `user` may write to it: 404 for an unknown package, 403 for someone
   * who is not (enough of) an owner. `work` gets the package's versions and
   * whether the write claims the package for `user`.
   */
  function packageWrite(
    name: string,
    user: string,
    need: "owner" | "full",
    work: (versions: string[], claims: boolean, owners: Owners) => Promise<Response>,
  ): Promise<Response> {
    return lock(async () => {
      const versions = await versionsOf(deps, repo.dir, name);
      if (versions.length === 0) return notFound();
      const owners = await readOwners(deps, repo.dir);
      const who = access(owners, name, user, need);
      if (who === "forbidden") return forbidden();
      return await work(versions, who === "claim", owners);
    });
  }

  async function revert(user: string, name: string, version: string): Promise<Response> {
    return await packageWrite(name, user, "owner", async (versions, claims) => {
      if (!versions.includes(version)) return notFound();
      await releaseWrite(deps, repo, { name, version }, async () => {
        if (claims) await claim(name, user);
        await revertRelease(deps, repo, { name, version, docsOnly: false });
      });
      return noContent();
    });
  }

  async function docs(req: Request, user: string, name: string, version: string) {
    const path = docsOf(name, version);
    const files = [path, ownersPath];
    if (req.method === "DELETE") {
      return await packageWrite(name, user, "owner", async (versions, claims) => {
        if (!versions.includes(version) || !(await exists(path))) return notFound();
        await withUndo(deps, files, async () => {
          if (claims) await claim(name, user);
          await deps.fs.remove(path);
        });
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
    return await packageWrite(name, user, "owner", async (versions, claims) => {
      if (!versions.includes(version)) return notFound();
      await withUndo(deps, files, async () => {
        await deps.fs.writeFileAtomic(path, body);
        if (claims) await claim(name, user);
      });
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
    return await packageWrite(name, user, "owner", async (versions, claims) => {
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
      const state = [join(repo.dir, RETIREMENTS_FILE), ownersPath];
      await withUndo(deps, state, async () => {
        if (claims) await claim(name, user);
        await setRetirements(deps, repo, name, changes);
      }, () => buildRepository(deps, repo));
      return noContent();
    });
  }

  /** `PUT|DELETE /packages/NAME/owners/USER`. */
  async function changeOwner(req: Request, name: string, target: string): Promise<Response> {
    const user = await packageWriter(req);
    if (user instanceof Response) return user;
    const params = req.method === "PUT" ? await readJsonBody(req) : {};
    if (params instanceof Response) return params;
    return await packageWrite(name, user, "full", async (_versions, claims, owners) => {
      const users = new Set((await readServeKeys(deps, repo.dir)).map((k) => k.name));
      const current: StoredOwner[] = claims
        ? [{ username: user, level: "full" }]
        : owners.get(name)!;
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
    if (parts.length === 1 && method === "GET") {
      const q = url.searchParams.get("search") ?? "";
      const all = await releasesByName(deps, repo.dir);
      const owners = await readOwners(deps, repo.dir);
      const out = [];
      for (const n of [...all.keys()].filter((n) => n.includes(q)).sort()) {
        out.push(await packageJson(req, n, all.get(n)!, owners));
      }
      return json(200, out.filter((p) => p));
    }
    if (!name || !PACKAGE_NAME.test(name)) return notFound();
    if (parts.length === 2 && method === "GET") {
      const pkg = await packageJson(
        req,
        name,
        await versionsOf(deps, repo.dir, name),
        await readOwners(deps, repo.dir),
      );
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
    const path = tarPath(name, version);
    if (parts.length === 4 && method === "GET") {
      if (!(await exists(path))) return notFound();
      return json(200, await releaseJson(req, name, version, await deps.fs.readFile(path)));
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
  let cachedBytes = 0;
  const fresh = (c: CachedTag | undefined, info: FileInfo): c is CachedTag =>
    c !== undefined && info.mtime !== undefined && c.size === info.size &&
    c.mtime === info.mtime && c.ino === info.ino;

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
