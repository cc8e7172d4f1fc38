/**
 * One API request to a served repository, as its handlers receive it.
 *
 * @module
 */
import type { RepositoryStore } from "../store.ts";

/** A request, its URL, the store it goes to and the server's base URL. */
export interface Call {
  store: RepositoryStore;
  req: Request;
  url: URL;
  /** The server's base URL, for the `url` fields of answers. */
  base: string;
  /** Told the name of the API key the request is authenticated with (for the access log). */
  identified?: (user: string) => void;
}

/** The user whose API key the request carries in `authorization`, or `undefined`. */
export async function authorize(call: Call): Promise<string | undefined> {
  const header = call.req.headers.get("authorization") ?? "";
  const user = await call.store.authenticate(header.trim());
  if (user !== undefined) call.identified?.(user);
  return user;
}
