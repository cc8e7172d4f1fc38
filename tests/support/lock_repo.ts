/**
 * A real `hexpub serve` repository on 127.0.0.1 holding small Erlang packages
 * with a dependency graph, for the lock tests: packages are published through
 * the API as real tarballs (each a valid rebar3 app rebar3 can fetch) and
 * releases retired through the API, so the signed registry is the server's own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { atom, bin, list, type Term, tuple } from "../../src/erlang/term.ts";
import { initRepository } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";
import { serveHandler } from "./http.ts";
import { replaceRepos } from "./registry.ts";
import { testDeps } from "./test_deps.ts";

/** One dependency of a published release. */
export interface SpecDep {
  /** The dependency's package name. */
  pkg: string;
  requirement: string;
  /** Its application name, when it differs from the package name. */
  app?: string;
  optional?: boolean;
}

/** One release to publish. */
export interface SpecRelease {
  name: string;
  version: string;
  /** The application name inside, when it differs from the package name. */
  app?: string;
  deps?: SpecDep[];
  /** Retire it after publishing, with this reason. */
  retired?: "other" | "invalid" | "security" | "deprecated" | "renamed";
}

const enc = new TextEncoder();

function file(path: string, text: string): PackageFile {
  const content = enc.encode(text);
  return { path, kind: "file", mode: 0o644, size: content.length, content };
}

/** A package tarball whose contents are a minimal rebar3 app (also used by tests/interop/serve_crash_test.ts). */
export async function tarball(r: SpecRelease): Promise<Uint8Array> {
  const app = r.app ?? r.name;
  const deps = r.deps ?? [];
  const apps = ["kernel", "stdlib", ...deps.map((d) => d.app ?? d.pkg)].join(", ");
  const files = [
    file(
      `src/${app}.app.src`,
      `{application, ${app}, [{description, "${app}"}, {vsn, "${r.version}"}, ` +
        `{applications, [${apps}]}, {licenses, ["MIT"]}]}.\n`,
    ),
    file(`src/${app}.erl`, `-module(${app}).\n-export([hello/0]).\nhello() -> ${app}.\n`),
    file("rebar.config", "{erl_opts, [debug_info]}.\n"),
  ];
  const metadata: [string, Term][] = [
    ["name", bin(r.name)],
    ["version", bin(r.version)],
    ["app", bin(app)],
    ["description", bin(app)],
    ["licenses", list([bin("MIT")])],
    ["build_tools", list([bin("rebar3")])],
    ["files", list(files.map((f) => bin(f.path)))],
    [
      "requirements",
      list(deps.map((d) =>
        tuple(
          bin(d.pkg),
          list([
            tuple(bin("app"), bin(d.app ?? d.pkg)),
            tuple(bin("optional"), atom(d.optional ? "true" : "false")),
            tuple(bin("requirement"), bin(d.requirement)),
          ]),
        )
      )),
    ],
  ];
  return (await createPackageTarball({ metadata, files })).tarball;
}

/** A running repository. */
export interface LockRepo {
  /** The repository's name (what its registry is signed for). */
  name: string;
  url: string;
  publicKeyPem: string;
  /** Every request as `METHOD PATH STATUS`. */
  seen: string[];
  /** A `{hex, [{repos, replace, [...]}]}` term naming only this repository. */
  reposConfig: string;
  close(): Promise<void>;
}

/** Starts a repository in `work/repo` and publishes `releases` in order. */
export async function startLockRepo(
  work: string,
  releases: SpecRelease[],
  name = "hexpub_local",
): Promise<LockRepo> {
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "repo"), name);
  const key = await generateServeKey(deps, repo.dir, "tester");
  const server = serveHandler(repositoryHandler(deps, repo));
  const url = server.origin;
  try {
    for (const r of releases) {
      const res = await fetch(`${url}/api/publish`, {
        method: "POST",
        headers: { authorization: key, "content-type": "application/octet-stream" },
        body: (await tarball(r)) as Uint8Array<ArrayBuffer>,
      });
      assert.equal(res.status, 201, await res.text());
    }
    for (const r of releases.filter((r) => r.retired)) {
      const res = await fetch(`${url}/api/packages/${r.name}/releases/${r.version}/retire`, {
        method: "POST",
        headers: { authorization: key, "content-type": "application/json" },
        body: JSON.stringify({ reason: r.retired, message: "do not use" }),
      });
      assert.equal(res.status, 204, await res.text());
    }
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    name,
    url,
    publicKeyPem: repo.publicKeyPem,
    seen: server.seen,
    reposConfig: replaceRepos({ name, url, publicKeyPem: repo.publicKeyPem }),
    close: () => server.close(),
  };
}
