/**
 * The read side of a served repository: its public files (strong ETags,
 * `If-None-Match` → 304, HEAD) and the API's package, release, search,
 * owner and user answers. Anonymous, except `GET /api/users/me` and
 * `GET /api/auth`.
 *
 * @module
 */
import { authorize, type Call } from "./call.ts";
import { badKey, intParam, json, notAllowed, notFound } from "./respond.ts";
import { ownerJson, packageJson, releaseJson, userJson, userUrl } from "./views.ts";

/** Search answers at most this many packages a page (hex.pm's page size). */
const SEARCH_PAGE = 100;

/**
 * `GET|HEAD /names`, `/versions`, `/public_key`, `/packages/NAME`,
 * `/tarballs/NAME-VSN.tar`, `/docs/NAME-VSN.tar.gz`: the file, with its
 * ETag (rebar3 treats a tarball answer without one as a failed download).
 */
export async function staticFile(call: Call, parts: string[]): Promise<Response> {
  const { req } = call;
  if (req.method !== "GET" && req.method !== "HEAD") return notAllowed();
  const file = await call.store.publicFile(parts);
  if (!file) return notFound();
  let { etag, bytes } = file;
  const inm = req.headers.get("if-none-match");
  if (
    inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*")
  ) {
    return new Response(null, { status: 304, headers: { etag } });
  }
  if (req.method === "GET" && !bytes) ({ bytes, etag } = await file.read());
  return new Response(req.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: {
      etag,
      "cache-control": "public, max-age=60",
      "content-type": parts[0] === "public_key" ? "text/plain" : "application/octet-stream",
      "content-length": String(bytes?.length ?? file.size),
    },
  });
}

/**
 * `GET /packages?search=TEXT&page=N&per_page=N`: packages whose name holds
 * TEXT, by name, a page at a time (at most 100 a page, as on hex.pm).
 */
export async function search(call: Call): Promise<Response> {
  const { url, store } = call;
  const q = url.searchParams.get("search") ?? "";
  const perPage = Math.min(intParam(url, "per_page", SEARCH_PAGE), SEARCH_PAGE);
  const page = intParam(url, "page", 1);
  const found = await store.search(q, page, perPage);
  return json(200, found.map((p) => packageJson(call.base, store.name, p)));
}

/** `GET /packages/NAME`. */
export async function packageInfo(call: Call, name: string): Promise<Response> {
  const pkg = await call.store.package(name);
  return pkg ? json(200, packageJson(call.base, call.store.name, pkg)) : notFound();
}

/** `GET /packages/NAME/releases/VSN`. */
export async function releaseInfo(call: Call, name: string, version: string): Promise<Response> {
  const rel = await call.store.release(name, version);
  return rel ? json(200, releaseJson(call.base, rel)) : notFound();
}

/** `GET /packages/NAME/owners[/USER]`. */
export async function listOwners(call: Call, name: string, target?: string): Promise<Response> {
  const list = await call.store.ownersOf(name);
  if (!list) return notFound();
  if (target === undefined) return json(200, list.map((o) => ownerJson(call.base, o)));
  const one = list.find((o) => o.username === target);
  return one ? json(200, ownerJson(call.base, one)) : notFound();
}

/** `GET /users/me` (the key's user) and `GET /users/NAME` (with the packages they own). */
export async function users(call: Call, name: string): Promise<Response> {
  if (name === "me") {
    const user = await authorize(call);
    if (!user) return badKey();
    return json(200, {
      username: user,
      full_name: null,
      email: null,
      organizations: [],
      url: userUrl(call.base, user),
    });
  }
  if (!(await call.store.users()).includes(name)) return notFound();
  return json(200, userJson(call.base, call.store.name, name, await call.store.packagesOf(name)));
}

/**
 * `GET /auth`: `hexpub user auth --key` checks a key here. A served
 * repository's keys are full keys of the user they are named after.
 */
export async function auth(call: Call): Promise<Response> {
  const user = await authorize(call);
  if (!user) return badKey();
  return json(200, { key: { name: user, owner: { type: "user", name: user } } });
}
