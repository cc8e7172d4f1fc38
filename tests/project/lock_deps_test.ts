import assert from "node:assert/strict";
import { readTerms } from "../../src/erlang/read_terms.ts";
import { depsOverrides, lockOptions, projectLockDeps } from "../../src/project/lock_deps.ts";

const consulted = (text: string, file = "rebar.config") => ({
  file,
  text,
  terms: readTerms(text, file),
  fromScript: false,
  encoding: "utf8" as const,
});

const brief = (text: string, apps: { name: string; text: string }[] = []) =>
  projectLockDeps(
    consulted(text),
    apps.map((a) => ({ name: a.name, config: consulted(a.text, `apps/${a.name}/rebar.config`) })),
  ).map((d) =>
    d.kind === "pkg"
      ? `pkg ${d.app}=${d.pkg}${d.requirement ? ` ${d.requirement}` : ""}${
        d.parent ? ` <${d.parent}` : ""
      }`
      : d.kind === "source"
      ? `source ${d.app} ${d.type}`
      : `bad ${d.app ?? "?"}`
  );

Deno.test("projectLockDeps() reads every dependency form as rebar3 parse_dep does", () => {
  assert.deepEqual(
    brief(`{deps, [cowboy, {jsx, "~> 3.1"}, {ranch, <<"2.1.0">>}, {gun, {pkg, gun_fork}},
      {meck, "0.9.2", {pkg, meck_fork}}, {lager, {git, "u", {tag, "3"}}},
      {rec, ".*", {hg, "u"}}, {old, {git, "u"}, [raw]}, {bad, 42}, "text"]}.`),
    [
      "bad ?",
      "bad bad",
      "pkg cowboy=cowboy",
      "pkg gun=gun_fork",
      "pkg jsx=jsx ~> 3.1",
      "source lager git",
      "pkg meck=meck_fork 0.9.2",
      "source old git",
      "pkg ranch=ranch 2.1.0",
      "source rec hg",
    ],
  );
});

Deno.test("projectLockDeps() keeps the first of a name, and adds umbrella apps' own deps", () => {
  assert.deepEqual(
    brief(`{deps, [{jsx, "3.0.0"}, cowboy, {jsx, "~> 3.1"}]}.`, [
      { name: "web", text: `{deps, [{jsx, "1.0.0"}, gun]}.` },
      { name: "api", text: `{deps, [gun, {ranch, "~> 2.0"}]}.` },
    ]),
    ["pkg cowboy=cowboy", "pkg jsx=jsx 3.0.0", "pkg gun=gun <api", "pkg ranch=ranch ~> 2.0 <api"],
  );
  assert.deepEqual(brief(`{erl_opts, []}.`), []);
});

Deno.test("lockOptions() and depsOverrides() read rebar.config", () => {
  assert.deepEqual(lockOptions(consulted(`{deps_allow_prerelease, true}.`)), {
    allowPrerelease: true,
    errorOnConflict: false,
    warnOnConflict: true,
  });
  assert.equal(
    depsOverrides(consulted(`{overrides, [{override, x, [{erl_opts, []}]}]}.`)).length,
    0,
  );
  assert.equal(
    depsOverrides(consulted(`{overrides, [{override, x, [{deps, []}]}, {add, [{deps, []}]}]}.`))
      .length,
    2,
  );
});
