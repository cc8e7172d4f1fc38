/**
 * Reading a response body with a size limit, so a server (or a man in the
 * middle) cannot make hexpub hold an unbounded download in memory.
 *
 * @module
 */
import { HexApiError } from "./api_errors.ts";

/**
 * The whole body of `res`, refusing it once it passes `max` bytes (by its
 * `content-length` before reading, or while reading).
 *
 * @param res The response.
 * @param req The request, for the error.
 * @param max The largest body accepted, in bytes.
 * @param what What the body is, for the error ("the registry file", "the tarball").
 * @throws {HexApiError} When the body is larger than `max`.
 */
export async function readCapped(
  res: Response,
  req: Request | undefined,
  max: number,
  what: string,
): Promise<Uint8Array> {
  const tooBig = () =>
    new HexApiError(
      `${req?.method ?? "GET"} ${req?.url ?? res.url} failed: ${what} is larger than ${
        max / 1024 / 1024
      } MiB`,
      {
        status: res.status,
        method: req?.method ?? "GET",
        url: req?.url ?? res.url,
        serverMessage: `${what} too large`,
        hint: "Check that the repository's repo_url points at a Hex repository",
      },
    );
  const body = await readBodyUpTo(res, max);
  if (body === undefined) throw tooBig();
  return body;
}

/**
 * The whole body of a request or response, or `undefined` as soon as it is
 * known to be larger than `max` bytes (by `content-length`, or while
 * reading: nothing more is read then).
 */
export async function readBodyUpTo(
  message: Request | Response,
  max: number,
): Promise<Uint8Array | undefined> {
  if (Number(message.headers.get("content-length") ?? "0") > max) {
    await message.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!message.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of message.body) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
