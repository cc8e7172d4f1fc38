/**
 * Real rebar3 installs from `hexpub serve`: two packages published through the
 * API (b depends on a), then `rebar3 compile` in a project that replaces the
 * hexpm repository with ours on 127.0.0.1. HOME and REBAR_CACHE_DIR are temp
 * directories, so rebar3 sees no other configuration and no cached packages;
 * `repos, replace` drops hexpm, so the only server rebar3 talks to is ours.
 * (Setting http_proxy to a dead port to enforce that does not work: rebar3
 * 3.19 sends 127.0.0.1 requests through the proxy too, ignoring no_proxy.)
 * Skips visibly without Erlang (see ./erlang.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bin, list, type Term, tuple } from "../../src/erlang/term.ts";
import { initRepository } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";
import { testDeps } from "../support/test_deps.ts";
import { erlangTools, interopTest } from "./erlang.ts";

const enc = new TextEncoder();

function file(path: string, text: string): PackageFile {
  const content = enc.encode(text);
  return { path, kind: "file", mode: 0o644, size: content.length, content };
}

async function erlangPackage(name: string, version: string, deps: [string, string][]) {
  const apps = ["kernel", "stdlib", ...deps.map(([d]) => d)].join(", ");
  const files = [
    file(
      `src/${name}.app.src`,
      `{application, ${name}, [{description, "${name}"}, {vsn, "${version}"}, ` +
        `{applications, [${apps}]}, {licenses, ["MIT"]}]}.\n`,
    ),
    file(
      `src/${name}.erl`,
      deps.length === 0
        ? `-module(${name}).\n-export([hello/0]).\nhello() -> ${name}.\n`
        : `-module(${name}).\n-export([hello/0]).\nhello() -> {${name}, ${deps[0][0]}:hello()}.\n`,
    ),
    file("rebar.config", `{deps, [${deps.map(([d]) => d).join(", ")}]}.\n`),
  ];
  const metadata: [string, Term][] = [
    ["name", bin(name)],
    ["version", bin(version)],
    ["app", bin(name)],
    ["description", bin(name)],
    ["licenses", list([bin("MIT")])],
    ["build_tools", list([bin("rebar3")])],
    ["files", list(files.map((f) => bin(f.path)))],
    [
      "requirements",
      list(deps.map(([dep, req]) =>
        tuple(
          bin(dep),
          list([
            tuple(bin("app"), bin(dep)),
            tuple(bin("optional"), { kind: "atom", value: "false" }),
            tuple(bin("requirement"), bin(req)),
          ]),
        )
      )),
    ],
  ];
  return (await createPackageTarball({ metadata, files })).tarball;
}

interopTest("rebar3 compile fetches a package and its dependency from hexpub serve", async () => {
  const work = await Deno.makeTempDir({ prefix: "hexpub-rebar3-fetch-" });
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "repo"), "hexpub_local");
  const key = await generateServeKey(deps, repo.dir, "tester");
  const seen: string[] = [];
  const handler = repositoryHandler(deps, repo);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const res = await handler(req);
    seen.push(`${req.method} ${new URL(req.url).pathname} ${res.status}`);
    return res;
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    for (
      const tar of [
        await erlangPackage("a", "1.0.0", []),
        await erlangPackage("b", "0.2.0", [["a", "~> 1.0"]]),
      ]
    ) {
      const res = await fetch(`${url}/api/publish`, {
        method: "POST",
        headers: { authorization: key, "content-type": "application/octet-stream" },
        body: tar as Uint8Array<ArrayBuffer>,
      });
      assert.equal(res.status, 201, await res.text());
    }

    const project = join(work, "app");
    const home = join(work, "home");
    const cache = join(work, "cache");
    await Deno.mkdir(join(project, "src"), { recursive: true });
    await Deno.mkdir(home);
    await Deno.writeTextFile(
      join(project, "rebar.config"),
      `{deps, [b]}.\n{hex, [{repos, replace, [#{name => <<"hexpub_local">>, ` +
        `repo_url => <<"${url}">>, repo_public_key => <<"${repo.publicKeyPem}">>}]}]}.\n`,
    );
    await Deno.writeTextFile(
      join(project, "src", "app.app.src"),
      `{application, app, [{vsn, "0.1.0"}, {applications, [kernel, stdlib, b]}]}.\n`,
    );
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      REBAR_CACHE_DIR: cache,
      REBAR_GLOBAL_CONFIG_DIR: home,
    };
    const run = async () => {
      const out = await new Deno.Command(erlangTools!.rebar3, {
        args: ["compile"],
        cwd: project,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, log: dec.decode(out.stdout) + dec.decode(out.stderr) };
    };
    const first = await run();
    assert.equal(first.code, 0, first.log + seen.join("\n"));
    for (const app of ["a", "b"]) {
      const ebin = join(project, "_build", "default", "lib", app, "ebin");
      assert.ok((await Deno.stat(join(ebin, `${app}.beam`))).isFile, first.log);
      assert.ok((await Deno.stat(join(ebin, `${app}.app`))).isFile, first.log);
    }
    const lock = await Deno.readTextFile(join(project, "rebar.lock"));
    assert.match(lock, /<<"a">>,\{pkg,<<"a">>,<<"1\.0\.0">>\}/);
    assert.match(lock, /<<"b">>,\{pkg,<<"b">>,<<"0\.2\.0">>\}/);
    for (
      const r of ["/packages/a", "/packages/b", "/tarballs/a-1.0.0.tar", "/tarballs/b-0.2.0.tar"]
    ) {
      assert.ok(seen.includes(`GET ${r} 200`), seen.join("\n"));
    }
    seen.length = 0;

    // A second run from a clean build reuses the cache and gets 304s.
    await Deno.remove(join(project, "_build"), { recursive: true });
    const second = await run();
    assert.equal(second.code, 0, second.log);
    // rebar3 sends If-None-Match with the cached tarballs' ETags and accepts 304.
    assert.deepEqual(seen.sort(), [
      "GET /tarballs/a-1.0.0.tar 304",
      "GET /tarballs/b-0.2.0.tar 304",
    ]);
  } finally {
    await server.shutdown();
  }
});
