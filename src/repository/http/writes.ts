/**
 * The write side of a served repository's API: publish, revert, docs,
 * retire/unretire and owner changes, each a call to the store made as the
 * user of the request's API key, with the store's refusals answered as
 * hex.pm answers them.
 *
 * Bodies are capped (16 MiB for tarballs, 64 KiB for JSON), and a publish
 * checks the key before reading its body, so an anonymous client cannot make
 * the server hold large uploads.
 *
 * @module
 */
import { isRefusal } from "../store_types.ts";
import { authorize, type Call } from "./call.ts";
import {
  badKey,
  forbidden,
  json,
  noContent,
  readBody,
  readJsonBody,
  refusal,
  tooLarge,
} from "./respond.ts";
import { releaseJson } from "./views.ts";

/**
 * The user of a write to a package's retirements or owners. As on hex.pm,
 * a request without credentials is a 403 and an unknown key a 401.
 */
async function packageWriter(call: Call): Promise<string | Response> {
  if (!(call.req.headers.get("authorization") ?? "").trim()) return forbidden();
  return (await authorize(call)) ?? badKey();
}

/**
 * How long a publish may wait (for the writes before it and the write lock)
 * before its tarball lands, counted from when its body was read: 20 s,
 * shorter than a Hex client's default time limit (30 s for hexpub, 60 s for
 * mix), so that the client gets the answer rather than the server applying
 * an upload the client gave up on.
 *
 * Exported for tests, which shorten it.
 */
export const publishTiming = { deadlineMs: 20_000 };

/**
 * `POST /publish?replace=BOOL`: 201 for a new release, 200 for a replaced one.
 *
 * A publish is abandoned, nothing of it written, when before its tarball
 * lands (see `store_publish.ts`):
 * - its client disconnects (`Request.signal` aborts: Deno.serve without the
 *   legacy abort, see deno.json's `unstable`; Deno notices a disconnect
 *   while the handler runs only for small bodies, hence also)
 * - it waited longer than `publishTiming.deadlineMs`: 503 with `retry-after`.
 */
export async function publish(call: Call): Promise<Response> {
  // Unlike hex.pm, check the key before reading a body, and cap its size.
  const user = await authorize(call);
  if (!user) return badKey();
  const body = await readBody(call.req);
  if (!body) return tooLarge();
  const replace = call.url.searchParams.get("replace") === "true";
  const gone = call.req.signal;
  const late = AbortSignal.timeout(publishTiming.deadlineMs);
  const signal = AbortSignal.any([gone, late]);
  let done;
  try {
    done = await call.store.publish({ tarball: body, replace, as: user, signal });
  } catch (e) {
    if (!signal.aborted || e !== signal.reason) throw e;
    // Nobody reads the answer to a request whose client is gone: nginx's 499.
    if (gone.aborted) return new Response(null, { status: 499 });
    const message = `the repository is busy: the publish waited over ${
      publishTiming.deadlineMs / 1000
    } s for other writes and was not applied; try again`;
    return json(503, { status: 503, message }, { "retry-after": "5" });
  }
  if (isRefusal(done)) return refusal(done, user);
  const rel = releaseJson(
    call.base,
    (await call.store.release(done.name, done.version, done.facts))!,
  );
  return done.outcome === "created"
    ? json(201, { ...rel, publisher: { username: user } }, { location: rel.url })
    : json(200, { ...rel, publisher: { username: user } });
}

/** `DELETE /packages/NAME/releases/VSN`. */
export async function revert(
  call: Call,
  user: string,
  name: string,
  version: string,
): Promise<Response> {
  const done = await call.store.revert({ name, version, as: user });
  return isRefusal(done) ? refusal(done, user) : noContent();
}

/** `POST|DELETE /packages/NAME/releases/VSN/docs`. */
export async function docs(
  call: Call,
  user: string,
  name: string,
  version: string,
): Promise<Response> {
  if (call.req.method === "DELETE") {
    const done = await call.store.removeDocs({ name, version, as: user });
    return isRefusal(done) ? refusal(done, user) : noContent();
  }
  const body = await readBody(call.req);
  if (!body) return tooLarge();
  const done = await call.store.putDocs({ name, version, docs: body, as: user });
  if (isRefusal(done)) return refusal(done, user);
  const loc = `${call.base}/api/packages/${name}/releases/${version}/docs`;
  return json(201, { url: loc }, { location: loc });
}

/**
 * `POST|DELETE /packages/NAME/releases/VSN/retire`, and `POST
 * /packages/NAME/retire` (every release; already retired ones only with
 * `replace`).
 */
export async function retire(
  call: Call,
  name: string,
  version: string | undefined,
): Promise<Response> {
  const user = await packageWriter(call);
  if (user instanceof Response) return user;
  const params = call.req.method === "POST" ? await readJsonBody(call.req) : {};
  if (params instanceof Response) return params;
  const done = await call.store.retire({
    name,
    version,
    retirement: call.req.method === "DELETE" ? undefined : params,
    replace: params.replace === true,
    as: user,
  });
  return isRefusal(done) ? refusal(done, user) : noContent();
}

/** `PUT|DELETE /packages/NAME/owners/USER` (`{level, transfer}` for a PUT). */
export async function changeOwner(call: Call, name: string, target: string): Promise<Response> {
  const user = await packageWriter(call);
  if (user instanceof Response) return user;
  const put = call.req.method === "PUT";
  const params = put ? await readJsonBody(call.req) : {};
  if (params instanceof Response) return params;
  const done = await call.store.editOwner(
    name,
    put
      ? { op: "put", target, level: params.level, transfer: params.transfer }
      : { op: "remove", target },
    user,
  );
  return isRefusal(done) ? refusal(done, user) : noContent();
}
