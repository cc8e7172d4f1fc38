import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readTerms } from "../../src/erlang/read_terms.ts";
import { parseAppSrc } from "../../src/project/app_src.ts";
import { discoverProject } from "../../src/project/discover.ts";
import { configDeps } from "../../src/project/requirements.ts";
import {
  appDependencies,
  siblingNames,
  siblingRequirements,
  siblingsUsed,
} from "../../src/project/umbrella.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";

const consulted = (text: string, file: string) => ({
  file,
  text,
  terms: readTerms(text, file),
  fromScript: false,
  encoding: "utf8" as const,
});

const appSrc = (text: string) => parseAppSrc(consulted(text, "apps/web/src/web.app.src"));

Deno.test("appDependencies() reads applications, included_applications and optional_applications", () => {
  const app = appSrc(`{application, web, [{applications, [kernel, stdlib, core]},
    {included_applications, [jobs]}, {optional_applications, [telemetry]}]}.`);
  assert.deepEqual([...appDependencies(app)], ["kernel", "stdlib", "core", "jobs", "telemetry"]);
});

Deno.test("siblingsUsed() finds siblings named in rebar.config deps or in the .app.src lists", () => {
  const app = appSrc(`{application, web,
  [{applications, [kernel, stdlib, core, web]},
   {included_applications, [jobs]},
   {optional_applications, [metrics]}]}.`);
  const deps = configDeps(
    consulted(`{deps, [cowboy, {store, "~> 0.3"}]}.`, "apps/web/rebar.config"),
  );
  const used = siblingsUsed(app, deps, ["core", "jobs", "metrics", "store", "unused", "web"]);
  assert.deepEqual(used.map((u) => [u.app, u.requirement, u.where.file, u.where.line]), [
    ["core", undefined, "apps/web/src/web.app.src", 2],
    ["jobs", undefined, "apps/web/src/web.app.src", 3],
    ["metrics", undefined, "apps/web/src/web.app.src", 4],
    ["store", "~> 0.3", "apps/web/rebar.config", 1],
  ]);
  // Itself and apps outside the project are not siblings.
  assert.deepEqual(siblingsUsed(app, [], ["web"]), []);
});

Deno.test("siblingRequirements(): the sibling's pkg_name and ~>version; an organization names its repository", async () => {
  const root = await makeProject({
    "rebar.config": "{erl_opts, [debug_info]}.\n",
    "apps/core/src/core.app.src":
      `{application, core, [{vsn, "0.4.1"}, {pkg_name, acme_core}, {applications, [kernel]}]}.\n`,
    "apps/store/src/store.app.src": `{application, store, [{vsn, "1.0.0-rc.2"}]}.\n`,
    "apps/web/rebar.config": `{deps, [{store, ">= 1.0.0-rc.1"}]}.\n`,
    "apps/web/src/web.app.src":
      `{application, web, [{vsn, "2.0.0"}, {applications, [kernel, core, store]}]}.\n`,
  });
  const deps = testDeps(root);
  const project = await discoverProject(deps, root);
  const web = project.apps.find((a) => a.name === "web")!;
  assert.deepEqual(await siblingNames(deps, project, web), ["core", "store"]);
  const core = project.apps.find((a) => a.name === "core")!;
  assert.deepEqual(await siblingNames(deps, project, core), []);

  const src = parseAppSrc(
    consulted(await Deno.readTextFile(join(root, web.relDir, "src/web.app.src")), "web.app.src"),
  );
  const own = configDeps(
    consulted(await Deno.readTextFile(join(root, "apps/web/rebar.config")), "rebar.config"),
  );
  const uses = siblingsUsed(src, own, project.apps.map((a) => a.name));
  const show = (rs: Awaited<ReturnType<typeof siblingRequirements>>) =>
    rs.map((r) => [r.name, r.app, r.requirement, r.optional, r.repository, r.sibling?.version]);
  assert.deepEqual(show(await siblingRequirements(deps, project, uses, "hexpm")), [
    ["acme_core", "core", "~>0.4.1", false, undefined, "0.4.1"],
    ["store", "store", ">= 1.0.0-rc.1", false, undefined, "1.0.0-rc.2"],
  ]);
  assert.deepEqual(
    (await siblingRequirements(deps, project, uses, "hexpm:acme")).map((r) => r.repository),
    ["acme", "acme"],
  );
  assert.deepEqual(
    (await siblingRequirements(deps, project, uses, "local")).map((r) => r.repository),
    [undefined, undefined],
  );
});
