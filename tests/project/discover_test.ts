import assert from "node:assert/strict";
import { ProjectError } from "../../src/errors.ts";
import { discoverProject } from "../../src/project/discover.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("discoverProject() finds the root app and umbrella apps, sorted by name", async () => {
  const dir = await makeProject({
    "rebar.config": "{deps, []}.\n",
    "apps/zeta/src/zeta.app.src": '{application, zeta, [{vsn, "1.0.0"}]}.\n',
    "apps/alpha/src/alpha.app.src": '{application, alpha, [{vsn, "1.0.0"}]}.\n',
  });
  const project = await discoverProject(testDeps(dir), dir);
  assert.deepEqual(project.apps.map((a) => a.name), ["alpha", "zeta"]);
});

Deno.test("discoverProject() says an erlang.mk project is not a rebar3 project", async () => {
  const dir = await makeProject({
    "erlang.mk": "# erlang.mk\n",
    "Makefile": "PROJECT = cowlib\ninclude erlang.mk\n",
    "ebin/cowlib.app": '{application, cowlib, [{vsn, "2.18.0"}]}.\n',
    "src/cow_http.erl": "-module(cow_http).\n",
  });
  await assert.rejects(
    discoverProject(testDeps(dir), dir),
    (e: unknown) =>
      e instanceof ProjectError && /no rebar3 app found/.test(e.message) &&
      /erlang\.mk project/.test(e.hint ?? ""),
  );
  const plain = await makeProject({ "README.md": "hi\n" });
  await assert.rejects(
    discoverProject(testDeps(plain), plain),
    (e: unknown) => e instanceof ProjectError && !/erlang\.mk/.test(e.hint ?? ""),
  );
});
