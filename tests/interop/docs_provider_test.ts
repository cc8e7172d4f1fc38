import { strict as assert } from "node:assert";
import { build } from "../../src/tasks/build.ts";
import { unpackDocs } from "../../src/tarball/unpack_package.ts";
import { makeProject } from "../support/project.ts";
import { hostPath, testDeps } from "../support/test_deps.ts";
import { interopTest } from "./erlang.ts";

const APP = {
  "rebar.config": "{erl_opts, [debug_info]}.\n{deps, []}.\n{hex, [{doc, edoc}]}.\n",
  "rebar.lock": "[].\n",
  "src/docme.app.src":
    `{application, docme, [{description, "Docs via edoc"}, {vsn, "0.2.0"}, {licenses, ["MIT"]}, {applications, [kernel, stdlib]}]}.\n`,
  "src/docme.erl":
    "%% @doc A documented module.\n-module(docme).\n-export([hi/0]).\n\n%% @doc Says hi.\nhi() -> hi.\n",
};

interopTest("build docs runs the configured edoc provider through real rebar3", async () => {
  const root = await makeProject(APP);
  const deps = testDeps(root, {
    env: { ...hostPath(), HOME: root, REBAR_GLOBAL_CONFIG_DIR: root },
  });
  const result = await build(deps, {
    target: "docs",
    unpack: false,
    repo: "hexpm",
    strict: false,
    output: `${root}/out/docme-docs.tar`,
  });
  assert.ok(result.docs, "docs were built");
  assert.ok(deps.stderr.some((l) => /Running rebar3 edoc/.test(l)));
  const docs = await unpackDocs(await Deno.readFile(`${root}/out/docme-docs.tar`));
  const names = docs.files.map((f) => f.path);
  assert.ok(names.includes("index.html"), names.join(", "));
  assert.ok(names.includes("docme.html"), names.join(", "));
});

Deno.test("a .app.src.script is refused with a clear error when escript is not on PATH", async () => {
  const root = await makeProject({
    ...APP,
    "src/docme.app.src.script": "CONFIG.\n",
  });
  const deps = testDeps(root, { env: { PATH: "" } });
  await assert.rejects(
    build(deps, { target: "package", unpack: false, repo: "hexpm", strict: false }),
    (e: unknown) =>
      e instanceof Error && /needs Erlang to evaluate: escript is not on PATH/.test(e.message),
  );
});

interopTest("a rebar.config.script that prints to stdout still evaluates", async () => {
  const root = await makeProject({
    ...APP,
    "rebar.config.script": `io:format("noise on stdout~n"),\n[{deps, []} | CONFIG].\n`,
  });
  const result = await build(testDeps(root, { env: hostPath() }), {
    target: "package",
    unpack: false,
    repo: "hexpm",
    strict: false,
    output: `${root}/out/docme.tar`,
  });
  assert.ok(result.package?.files.includes("rebar.config.script"));
});
