/**
 * The HTTP face of a repository directory (`hexpub serve`): its static
 * registry files, each with a strong `ETag` and `If-None-Match` → 304 (rebar3
 * treats a tarball response without an ETag as a failed download), and the
 * subset of hex.pm's HTTP API that publishing needs, with hex.pm's statuses
 * and error bodies (`{status, message, errors?}`).
 *
 * Writes (publish, revert, docs) run one at a time through a promise-chain
 * lock; each writes its file atomically and rebuilds the signed registry, so
 * concurrent publishes never corrupt it.
 *
 * @module
 */
import { join } from "node:path";
import { TarballError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { type Term, textOf } from "../erlang/term.ts";
import { compareVersions, parseVersion } from "../hex/version.ts";
import { sha256Hex } from "../tarball/checksum.ts";
import { unpackDocs, unpackPackage } from "../tarball/unpack_package.ts";
import { decodeMetadata } from "../tarball/metadata_config.ts";
import { unpackTar } from "modern-tar";
import { buildRepository, readRelease, type RepoDir, withRepoLock } from "./repository_dir.ts";
import { checkServeKey } from "./server_keys.ts";

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

/** The request body, or undefined when it is larger than MAX_UPLOAD (read no further). */
async function readBody(req: Request): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_UPLOAD) return undefined;
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > MAX_UPLOAD) return undefined;
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

/** A serial lock: each task starts when the previous one has settled. */
function serialLock(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

/** Splits `NAME-VERSION.tar` (package names have no `-`). */
function splitTarball(file: string): { name: string; version: string } | undefined {
  const m = /^([a-z][a-z0-9_]*)-(.+)\.tar$/.exec(file);
  return m && parseVersion(m[2]) ? { name: m[1], version: m[2] } : undefined;
}

function metaGet(metadata: [string, Term][], key: string): Term | undefined {
  return metadata.find(([k]) => k === key)?.[1];
}

function textList(t: Term | undefined): string[] {
  return t?.kind === "list" ? t.items.map(textOf).filter((s): s is string => !!s) : [];
}

/**
 * A request handler serving repository `repo`.
 *
 * Static: `GET /names`, `/versions`, `/packages/NAME`, `/tarballs/NAME-VSN.tar`,
 * `/docs/FILE`, `/public_key`. API (also under `/api/repos/REPO/`):
 * `POST /api/publish?replace=`, `GET /api/packages?search=`,
 * `GET /api/packages/NAME`, `GET|DELETE /api/packages/NAME/releases/VSN`,
 * `POST|DELETE /api/packages/NAME/releases/VSN/docs`, `GET /api/users/me`.
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
  const tarPath = (name: string, version: string) =>
    join(repo.dir, "tarballs", `${name}-${version}.tar`);
  const docsPath = (name: string, version: string) =>
    join(repo.dir, "docs", `${name}-${version}.tar.gz`);
  const exists = async (path: string) => (await deps.fs.lstat(path))?.kind === "file";

  const base = (req: Request) => options.baseUrl ?? new URL(req.url).origin;

  async function versionsOf(name: string): Promise<string[]> {
    const files = await deps.fs.readDir(join(repo.dir, "tarballs")).catch(() => [] as string[]);
    return files.map(splitTarball)
      .filter((t): t is { name: string; version: string } => !!t && t.name === name)
      .map((t) => t.version)
      .sort((a, b) => compareVersions(parseVersion(a)!, parseVersion(b)!));
  }

  /** Rebuilds the registry, and drops `packages/NAME` files of packages with no release left. */
  async function rebuild(): Promise<void> {
    await buildRepository(deps, repo);
    const files = await deps.fs.readDir(join(repo.dir, "tarballs")).catch(() => [] as string[]);
    const live = new Set(files.map(splitTarball).map((t) => t?.name));
    for (const pkg of await deps.fs.readDir(join(repo.dir, "packages")).catch(() => [])) {
      if (PACKAGE_NAME.test(pkg) && !live.has(pkg)) {
        await deps.fs.remove(join(repo.dir, "packages", pkg));
      }
    }
  }

  async function metadataOf(bytes: Uint8Array): Promise<[string, Term][]> {
    const entries = await unpackTar(bytes);
    const meta = entries.find((e) => e.header.name === "metadata.config")?.data;
    return meta ? decodeMetadata(new TextDecoder().decode(meta)) : [];
  }

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
    const url = `${base(req)}/api/packages/${name}/releases/${version}`;
    return {
      name,
      version,
      checksum: await sha256Hex(bytes),
      has_docs: await exists(docsPath(name, version)),
      meta: { app, build_tools: textList(metaGet(md, "build_tools")) },
      requirements,
      retirement: null,
      inserted_at: null,
      url,
      html_url: url,
      package_url: `${base(req)}/api/packages/${name}`,
      docs_html_url: null,
    };
  }

  async function packageJson(req: Request, name: string) {
    const versions = await versionsOf(name);
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
        has_docs: await exists(docsPath(name, v)),
        inserted_at: null,
        url: `${base(req)}/api/packages/${name}/releases/${v}`,
      });
    }
    const description = textOf(metaGet(md, "description") ?? { kind: "atom", value: "" });
    return {
      name,
      repository: repo.name,
      releases,
      retirements: {},
      owners: [],
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

  async function authorize(req: Request): Promise<string | undefined> {
    const header = req.headers.get("authorization") ?? "";
    return await checkServeKey(deps, repo.dir, header.trim());
  }

  /** Runs `write` under the lock; if the rebuild fails, `undo` puts the files back. */
  function write<T>(work: () => Promise<T>, undo: () => Promise<void>): Promise<T> {
    return lock(async () => {
      try {
        return await work();
      } catch (e) {
        await undo().catch(() => {});
        await rebuild().catch(() => {});
        throw e;
      }
    });
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
      if (e instanceof TarballError) return error(422, "Validation error(s)", { tar: e.message });
      throw e;
    }
    const name = textOf(metaGet(unpacked.metadata, "name") ?? { kind: "atom", value: "" }) ?? "";
    const version = textOf(metaGet(unpacked.metadata, "version") ?? { kind: "atom", value: "" }) ??
      "";
    if (!PACKAGE_NAME.test(name)) {
      return error(422, "Validation error(s)", { name: "has invalid format" });
    }
    if (!parseVersion(version)) {
      return error(422, "Validation error(s)", { version: "is invalid SemVer" });
    }
    const replace = url.searchParams.get("replace") === "true";
    const path = tarPath(name, version);
    let previous: Uint8Array | undefined;
    const result = await write(async () => {
      if (await exists(path)) {
        if (!replace) return "exists" as const;
        previous = await deps.fs.readFile(path);
      }
      await deps.fs.writeFileAtomic(path, body);
      await rebuild();
      return previous ? "replaced" as const : "created" as const;
    }, async () => {
      if (previous) await deps.fs.writeFileAtomic(path, previous);
      else await deps.fs.remove(path);
    });
    if (result === "exists") {
      return error(422, "Validation error(s)", {
        inserted_at: "must include the --replace flag to update an existing release",
      });
    }
    const rel = await releaseJson(req, name, version, body, unpacked.metadata);
    return result === "created"
      ? json(201, { ...rel, publisher: { username: user } }, { location: rel.url })
      : json(200, { ...rel, publisher: { username: user } });
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
    if (a === "users" && name === "me" && parts.length === 2 && method === "GET") {
      const user = await authorize(req);
      if (!user) return error(401, "invalid API key");
      return json(200, {
        username: user,
        full_name: null,
        email: null,
        organizations: [],
        url: `${base(req)}/api/users/${user}`,
      });
    }
    if (a !== "packages") return notFound();
    if (parts.length === 1 && method === "GET") {
      const q = url.searchParams.get("search") ?? "";
      const files = await deps.fs.readDir(join(repo.dir, "tarballs")).catch(() => [] as string[]);
      const names = [...new Set(files.map(splitTarball).filter((t) => !!t).map((t) => t!.name))]
        .filter((n) => n.includes(q)).sort();
      const out = [];
      for (const n of names) out.push(await packageJson(req, n));
      return json(200, out.filter((p) => p));
    }
    if (!name || !PACKAGE_NAME.test(name)) return notFound();
    if (parts.length === 2 && method === "GET") {
      const pkg = await packageJson(req, name);
      return pkg ? json(200, pkg) : notFound();
    }
    if (c !== "releases" || !version) return notFound();
    if (!parseVersion(version)) return error(400, `invalid version: ${version}`);
    const path = tarPath(name, version);
    if (parts.length === 4 && method === "GET") {
      if (!(await exists(path))) return notFound();
      return json(200, await releaseJson(req, name, version, await deps.fs.readFile(path)));
    }
    if (method === "GET") return notFound();
    const user = await authorize(req);
    if (!user) return error(401, "invalid API key");
    if (parts.length === 4 && method === "DELETE") {
      const docs = docsPath(name, version);
      let removed: Uint8Array | undefined;
      const gone = await write(async () => {
        if (!(await exists(path))) return false;
        removed = await deps.fs.readFile(path);
        await deps.fs.remove(path);
        if (await exists(docs)) await deps.fs.remove(docs);
        await rebuild();
        return true;
      }, async () => {
        if (removed) await deps.fs.writeFileAtomic(path, removed);
      });
      return gone ? json(204, null) : notFound();
    }
    if (parts.length === 5 && e === "docs" && (method === "POST" || method === "DELETE")) {
      const docs = docsPath(name, version);
      if (method === "DELETE") {
        const gone = await lock(async () => {
          if (!(await exists(docs))) return false;
          await deps.fs.remove(docs);
          return true;
        });
        return gone ? json(204, null) : notFound();
      }
      const body = await readBody(req);
      if (!body) return error(413, "Payload too large");
      try {
        await unpackDocs(body);
      } catch (err) {
        if (err instanceof TarballError) {
          return error(422, "Validation error(s)", { tar: err.message });
        }
        throw err;
      }
      const ok = await lock(async () => {
        if (!(await exists(path))) return false;
        await deps.fs.writeFileAtomic(docs, body);
        return true;
      });
      if (!ok) return notFound();
      const loc = `${base(req)}/api/packages/${name}/releases/${version}/docs`;
      return json(201, { url: loc }, { location: loc });
    }
    return error(405, "Method not allowed");
  }

  async function staticFile(req: Request, parts: string[]): Promise<Response> {
    if (req.method !== "GET" && req.method !== "HEAD") return error(405, "Method not allowed");
    const ok = (parts.length === 1 && ["names", "versions", "public_key"].includes(parts[0])) ||
      (parts.length === 2 && parts[0] === "packages" && PACKAGE_NAME.test(parts[1])) ||
      (parts.length === 2 && parts[0] === "tarballs" && parts[1].endsWith(".tar")) ||
      (parts.length === 2 && parts[0] === "docs" && parts[1].endsWith(".tar.gz"));
    if (!ok) return notFound();
    const path = join(repo.dir, ...parts);
    if ((await deps.fs.lstat(path))?.kind !== "file") return notFound();
    const bytes = await deps.fs.readFile(path);
    const etag = `"${await sha256Hex(bytes)}"`;
    const headers: Record<string, string> = {
      etag,
      "cache-control": "public, max-age=60",
      "content-type": parts[0] === "public_key" ? "text/plain" : "application/octet-stream",
    };
    const inm = req.headers.get("if-none-match");
    if (
      inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*")
    ) {
      return new Response(null, { status: 304, headers: { etag } });
    }
    headers["content-length"] = String(bytes.length);
    return new Response(req.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers,
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
