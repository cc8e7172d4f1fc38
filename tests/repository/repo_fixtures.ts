/**
 * Helpers for repository tests: real package tarballs, a repository directory
 * with API keys, and requests against `repositoryHandler`.
 */
import { join } from "node:path";
import { bin, list, type Term } from "../../src/erlang/term.ts";
import type { Deps } from "../../src/ports.ts";
import { readPackage, readVersions } from "../../src/registry/registry_files.ts";
import type { Package, Versions } from "../../src/registry/messages.ts";
import { initRepository, type RepoDir } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import { testDeps } from "../support/test_deps.ts";

const enc = new TextEncoder();
export const BASE = "http://repo.test";

/** A real package tarball of `name` `version`. */
export async function tarball(name: string, version: string, note = "") {
  const metadata: [string, Term][] = [
    ["name", bin(name)],
    ["version", bin(version)],
    ["app", bin(name)],
    ["description", bin(`The ${name} package`)],
    ["licenses", list([bin("MIT")])],
    ["build_tools", list([bin("rebar3")])],
    ["files", list([bin(`src/${name}.erl`)])],
    ["requirements", list([])],
  ];
  return await createPackageTarball({
    metadata,
    files: [{
      path: `src/${name}.erl`,
      kind: "file",
      mode: 0o644,
      size: 0,
      content: enc.encode(`-module(${name}).\n%% ${version}${note}\n`),
    }],
  });
}

/** A repository `mine` in a temporary directory, with keys for alice, bob and carol. */
export async function setupRepo(wrap: (d: Deps) => Deps = (d) => d) {
  const work = await Deno.makeTempDir({ prefix: "hexpub-serve-" });
  const deps = testDeps(work);
  const repo: RepoDir = await initRepository(deps, join(work, "repo"), "mine");
  const keys = {
    alice: await generateServeKey(deps, repo.dir, "alice"),
    bob: await generateServeKey(deps, repo.dir, "bob"),
    carol: await generateServeKey(deps, repo.dir, "carol"),
  };
  const handler = repositoryHandler(wrap(deps), repo);
  return { work, deps, repo, keys, handler };
}

/** A request with an optional API key and JSON body. */
export function req(
  method: string,
  path: string,
  key?: string,
  body?: unknown,
): Request {
  const headers: Record<string, string> = key ? { authorization: key } : {};
  let payload: BodyInit | undefined;
  if (body instanceof Uint8Array) payload = body as Uint8Array<ArrayBuffer>;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  return new Request(`${BASE}${path}`, { method, headers, body: payload });
}

/** `POST /api/publish?replace=false` of a fresh tarball. */
export async function publishAs(
  handler: (r: Request) => Promise<Response>,
  key: string,
  name: string,
  version: string,
): Promise<Response> {
  const t = await tarball(name, version);
  return await handler(req("POST", "/api/publish?replace=false", key, t.tarball));
}

/** The signed `packages/NAME` and `versions` files, verified and decoded. */
export async function registryOf(
  repo: RepoDir,
  name: string,
): Promise<{ pkg: Package; versions: Versions }> {
  const opts = { repository: repo.name, verify: true };
  return {
    pkg: await readPackage(
      await Deno.readFile(join(repo.dir, "packages", name)),
      repo.publicKeyPem,
      { ...opts, name },
    ),
    versions: await readVersions(
      await Deno.readFile(join(repo.dir, "versions")),
      repo.publicKeyPem,
      opts,
    ),
  };
}

/** The status and JSON body (or null) of a response. */
export async function answer(res: Response): Promise<{ status: number; body: unknown }> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
