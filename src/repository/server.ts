/**
 * The HTTP face of a repository directory (`hexpub serve`): a router over
 * the {@link RepositoryStore}, which does all the work. It serves the static
 * registry files (each with a strong `ETag` and `If-None-Match` → 304) and
 * the subset of hex.pm's HTTP API that publishing needs, with hex.pm's
 * statuses and error bodies (`{status, message, errors?}`): publish, revert,
 * docs, retire/unretire, owners, package search and info, users.
 *
 * Users are the names of the repository's API keys (`hexpub serve key
 * generate --key-name NAME`); the ownership rules are the store's. Handlers
 * live in `http/`: `reads.ts` (files and answers), `writes.ts` (writes),
 * `respond.ts` (hex.pm's statuses and bodies), `views.ts` (its JSON shapes).
 *
 * Paths are decoded segment by segment and refused (404) when a segment is
 * empty, `.`/`..`, or holds anything but `[A-Za-z0-9_.+@-]`; a NUL is a 400.
 * An unexpected failure is a 500, reported with `deps.out.warn`.
 *
 * Uploads (publish, docs) are handled one at a time ({@link UNPACKING}): an
 * upload is held whole and unpacked in memory (up to 16 MiB that may inflate
 * to 128 MiB), so eight concurrent decompression bombs cost one bomb's
 * memory, not eight. The others wait unread, their clients held back by TCP.
 *
 * @module
 */
import { Semaphore } from "../io/semaphore.ts";
import type { Deps } from "../ports.ts";
import { PACKAGE_NAME_FORMAT } from "../rules/package_name.ts";
import { parseVersion } from "../rules/version.ts";
import type { RepoDir } from "./repository_dir.ts";
import { RepositoryStore } from "./store.ts";
import { authorize, type Call } from "./http/call.ts";
import {
  auth,
  listOwners,
  packageInfo,
  releaseInfo,
  search,
  staticFile,
  users,
} from "./http/reads.ts";
import { changeOwner, docs, publish, retire, revert } from "./http/writes.ts";
import { badKey, error, notAllowed, notFound, segments } from "./http/respond.ts";

/** Options of {@link repositoryHandler}. */
export interface HandlerOptions {
  /** The server's own base URL, for the `url` fields of API answers. */
  baseUrl?: string;
  /** Told the name of the API key a request is authenticated with (for the access log). */
  identified?: (request: Request, user: string) => void;
}

/** How many uploads a handler reads and unpacks at once. */
const UNPACKING = 1;

/**
 * Routes `/api/…` (also under `/api/repos/REPO/`):
 * `POST /publish?replace=`, `GET /packages?search=`, `GET /packages/NAME`,
 * `GET|DELETE /packages/NAME/releases/VSN`,
 * `POST|DELETE /packages/NAME/releases/VSN/docs`,
 * `POST|DELETE /packages/NAME/releases/VSN/retire`, `POST /packages/NAME/retire`,
 * `GET /packages/NAME/owners[/USER]`, `PUT|DELETE /packages/NAME/owners/USER`,
 * `GET /users/me`, `GET /users/NAME`, `GET /auth` (checks a key).
 */
async function api(call: Call, parts: string[], uploads: Semaphore): Promise<Response> {
  const method = call.req.method;
  if (parts[0] === "repos") {
    if (parts[1] !== call.store.name) return notFound();
    parts = parts.slice(2);
  }
  const [a, name, c, version, e] = parts;
  const n = parts.length;
  if (a === "publish" && n === 1) {
    return method === "POST" ? await uploads.with(() => publish(call)) : notAllowed();
  }
  if (a === "users" && n === 2 && method === "GET") return await users(call, name);
  if (a === "auth" && n === 1 && method === "GET") return await auth(call);
  if (a !== "packages") return notFound();
  if (n === 1 && method === "GET") return await search(call);
  if (!name || !PACKAGE_NAME_FORMAT.test(name)) return notFound();
  if (n === 2 && method === "GET") return await packageInfo(call, name);
  if (c === "owners" && (n === 3 || n === 4)) {
    if (n === 4 && (method === "PUT" || method === "DELETE")) {
      return await changeOwner(call, name, version);
    }
    return method === "GET" ? await listOwners(call, name, version) : notAllowed();
  }
  if (c === "retire" && n === 3) {
    return method === "POST" ? await retire(call, name, undefined) : notAllowed();
  }
  if (c !== "releases" || !version) return notFound();
  if (!parseVersion(version)) return error(400, `invalid version: ${version}`);
  if (n === 4 && method === "GET") return await releaseInfo(call, name, version);
  if (n === 5 && e === "retire" && (method === "POST" || method === "DELETE")) {
    return await retire(call, name, version);
  }
  if (method === "GET") return notFound();
  const user = await authorize(call);
  if (!user) return badKey();
  if (n === 4 && method === "DELETE") return await revert(call, user, name, version);
  if (n === 5 && e === "docs" && method === "POST") {
    return await uploads.with(() => docs(call, user, name, version));
  }
  if (n === 5 && e === "docs" && method === "DELETE") return await docs(call, user, name, version);
  return notAllowed();
}

/**
 * A request handler serving `store`: the static files and the API (see
 * {@link api}). Writes and `/api/users/me` need an API key of `hexpub serve
 * key generate` in `authorization`.
 */
export function storeHandler(
  deps: Deps,
  store: RepositoryStore,
  options: HandlerOptions = {},
): (req: Request) => Promise<Response> {
  const uploads = new Semaphore(UNPACKING);
  return async (req: Request): Promise<Response> => {
    try {
      const url = new URL(req.url);
      const raw = url.pathname;
      if (raw.includes("%00")) return error(400, "Bad request");
      const parts = segments(raw === "/" ? "" : raw.replace(/\/$/, ""));
      if (!parts) return notFound();
      const { identified } = options;
      const call: Call = {
        store,
        req,
        url,
        base: options.baseUrl ?? url.origin,
        identified: identified && ((user) => identified(req, user)),
      };
      if (parts[0] === "api") return await api(call, parts.slice(1), uploads);
      return await staticFile(call, parts);
    } catch (e) {
      // The path only: a query could carry a secret.
      const path = URL.parse(req.url)?.pathname ?? "-";
      deps.out.warn(`serve: ${req.method} ${path}: ${e instanceof Error ? e.message : e}`);
      return error(500, "Internal server error");
    }
  };
}

/**
 * A request handler serving repository `repo` (see {@link storeHandler}).
 *
 * Exported for tests (src goes through `storeHandler` with a store it holds): a handler over a repository directory in one call.
 */
export function repositoryHandler(
  deps: Deps,
  repo: RepoDir,
  options: HandlerOptions = {},
): (req: Request) => Promise<Response> {
  return storeHandler(deps, new RepositoryStore(deps, repo), options);
}
