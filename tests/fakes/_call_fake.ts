/**
 * Calling a {@link FakeHex} in process, as its own tests do: one request to
 * its handler, with the headers a client sends, and the answer read whole.
 */
import type { FakeHex } from "./fake_hex.ts";

/** What a request carries besides its method and path. */
export interface CallOptions {
  /** An API key, sent as `authorization`. */
  key?: string;
  /** An OAuth token, sent as `authorization: Bearer …`. */
  bearer?: string;
  /** The whole `authorization` header. */
  authorization?: string;
  /** A one-time password, sent as `x-hex-otp`. */
  otp?: string;
  /** A JSON body. */
  json?: unknown;
  /** A form body. */
  form?: Record<string, string>;
  /** A binary body (`application/octet-stream`). */
  body?: Uint8Array;
  /** The `user-agent` (default `hexpub-test/0`). */
  ua?: string;
  /** More headers, set before the ones above. */
  headers?: Record<string, string>;
}

/** The fake's answer. */
export interface Reply {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  text: string;
  /** The body parsed, when it is JSON; `null` otherwise. */
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** Calls the fake in process; paths starting `/repo/` are outside `/api`. */
export async function callFake(
  fake: FakeHex,
  method: string,
  path: string,
  o: CallOptions = {},
): Promise<Reply> {
  const headers = new Headers({
    "user-agent": o.ua ?? "hexpub-test/0",
    accept: "application/json",
  });
  for (const [k, v] of Object.entries(o.headers ?? {})) headers.set(k, v);
  if (o.key) headers.set("authorization", o.key);
  if (o.bearer) headers.set("authorization", `Bearer ${o.bearer}`);
  if (o.authorization) headers.set("authorization", o.authorization);
  if (o.otp) headers.set("x-hex-otp", o.otp);
  let body: BodyInit | undefined;
  if (o.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(o.json);
  } else if (o.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(o.form).toString();
  } else if (o.body) {
    headers.set("content-type", "application/octet-stream");
    body = o.body.slice();
  }
  const url = path.startsWith("/repo/") ? `http://hex.test${path}` : `http://hex.test/api${path}`;
  const res = await fake.handler(new Request(url, { method, headers, body }));
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const json = text !== "" && (res.headers.get("content-type") ?? "").includes("json");
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    text,
    body: json ? JSON.parse(text) : null,
  };
}
