/**
 * An umbrella whose app `b_web` uses its sibling `a_core`, published with the
 * real CLI to a repository served by `hexpub serve`'s handler on 127.0.0.1,
 * then installed by real rebar3 in a fresh project that depends only on
 * b_web: rebar3 must find a_core through b_web's requirement (rebar3_hex
 * leaves it out), fetch both and compile them, and the code must run.
 * Publishing b_web alone first is refused, naming a_core. HOME and
 * REBAR_CACHE_DIR are temporary; `repos, replace` keeps rebar3 off hex.pm.
 * Skips visibly without Erlang (see ./erlang.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initRepository } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { generateServeKey } from "../../src/repository/server_keys.ts";
import { makeHome, runHexpub } from "../support/e2e.ts";
import { serveHandler } from "../support/http.ts";
import { makeProject } from "../support/project.ts";
import { replaceRepos, writeGlobalRepos } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";
import {
  erlangTools,
  interopTest,
  rebar3Env,
  runClean,
  runRebar3,
  writeRebarApp,
} from "./erlang.ts";

const LIC = `{description, "Part of an umbrella"}, {licenses, ["MIT"]}`;

interopTest(
  "rebar3 installs an umbrella app and, through its requirement, its sibling from hexpub serve",
  async () => {
    const work = await Deno.makeTempDir({ prefix: "hexpub-umbrella-rebar3-" });
    const deps = testDeps(work);
    const repo = await initRepository(deps, join(work, "repo"), "mine");
    const key = await generateServeKey(deps, repo.dir, "tester");
    const server = serveHandler(repositoryHandler(deps, repo));
    try {
      const url = server.origin;
      const umbrella = await makeProject({
        "rebar.config": "{erl_opts, [debug_info]}.\n",
        "rebar.lock": "[].\n",
        "apps/a_core/src/a_core.app.src":
          `{application, a_core, [{vsn, "0.4.0"}, ${LIC}, {applications, [kernel, stdlib]}]}.\n`,
        "apps/a_core/src/a_core.erl": "-module(a_core).\n-export([hello/0]).\nhello() -> a_core.\n",
        "apps/b_web/src/b_web.app.src":
          `{application, b_web, [{vsn, "1.2.0"}, ${LIC}, {applications, [kernel, stdlib, a_core]}]}.\n`,
        "apps/b_web/src/b_web.erl":
          "-module(b_web).\n-export([hello/0]).\nhello() -> {b_web, a_core:hello()}.\n",
      });
      const home = await makeHome();
      await writeGlobalRepos(home, [{
        name: "mine",
        api_url: `${url}/api`,
        repo_url: url,
        api_key: key,
        repo_public_key: repo.publicKeyPem,
      }]);

      const alone = await runHexpub(["publish", "--app", "b_web", "-r", "mine", "--yes"], {
        cwd: umbrella,
        home,
      });
      assert.equal(alone.code, 1, alone.stdout + alone.stderr);
      assert.match(alone.stderr, /sibling app "a_core" \(a_core ~>0\.4\.0\)/);
      assert.match(alone.stderr, /hexpub publish --app a_core -r mine/);

      const all = await runHexpub(["publish", "--app", "all", "-r", "mine", "--yes"], {
        cwd: umbrella,
        home,
      });
      assert.equal(all.code, 0, all.stdout + all.stderr);
      assert.match(all.stdout, /Published a_core 0\.4\.0[\s\S]*Published b_web 1\.2\.0/);

      // A fresh project that knows only b_web.
      const project = join(work, "app");
      const repos = replaceRepos({ name: "mine", url, publicKeyPem: repo.publicKeyPem });
      await writeRebarApp(project, `{deps, [{b_web, "~> 1.2"}]}.\n${repos}`, ["b_web"]);
      const env = await rebar3Env(work);
      const { code, log } = await runRebar3(project, ["compile"], env);
      assert.equal(code, 0, log);
      const lib = join(project, "_build", "default", "lib");
      for (const app of ["a_core", "b_web"]) {
        assert.ok((await Deno.stat(join(lib, app, "ebin", `${app}.beam`))).isFile, log);
      }
      const lock = await Deno.readTextFile(join(project, "rebar.lock"));
      assert.match(lock, /<<"a_core">>,\{pkg,<<"a_core">>,<<"0\.4\.0">>\},1\}/);
      assert.match(lock, /<<"b_web">>,\{pkg,<<"b_web">>,<<"1\.2\.0">>\},0\}/);

      const erl = join(erlangTools!.escript, "..", "erl");
      const ran = await runClean(erl, [
        "-noshell",
        "-pa",
        join(lib, "a_core", "ebin"),
        "-pa",
        join(lib, "b_web", "ebin"),
        "-eval",
        'io:format("~p~n", [b_web:hello()]), halt().',
      ], env);
      assert.equal(ran.stdout.trim(), "{b_web,a_core}", ran.stderr);
    } finally {
      await server.close();
    }
  },
);
