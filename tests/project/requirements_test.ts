import { strict as assert } from "node:assert";
import { ProjectError } from "../../src/errors.ts";
import { readTerms } from "../../src/erlang/read_terms.ts";
import { computeRequirements, configDeps, parseLock } from "../../src/project/requirements.ts";

const consulted = (text: string, file = "rebar.lock") => ({
  file,
  text,
  terms: readTerms(text, file),
  fromScript: false,
  encoding: "utf8" as const,
});

const LOCK = `{"1.2.0",
[{<<"cowboy">>,{pkg,<<"cowboy">>,<<"2.9.0">>},0},
 {<<"cowlib">>,{pkg,<<"cowlib">>,<<"2.11.0">>},1},
 {<<"my_jsx">>,{pkg,<<"jsx">>,<<"3.1.0">>},0},
 {<<"ranch">>,{pkg,<<"ranch">>,<<"1.8.0-rc.1">>},0}]}.
[{pkg_hash,[{<<"cowboy">>, <<"AB">>}]}].
`;

Deno.test("parseLock() reads the current format and the old bare list", () => {
  const entries = parseLock(consulted(LOCK));
  assert.deepEqual(entries[0], {
    app: "cowboy",
    level: 0,
    type: "pkg",
    pkg: "cowboy",
    version: "2.9.0",
  });
  assert.equal(entries.length, 4);
  const old = parseLock(consulted(`[{<<"x">>,{git,"https://g/x",{ref,"abc"}},0}].`));
  assert.deepEqual(old, [{ app: "x", level: 0, type: "git" }]);
  assert.deepEqual(parseLock(consulted("[].")), []);
  assert.throws(() => parseLock(consulted("{deps, []}.")), ProjectError);
});

Deno.test("computeRequirements() copies pinned texts and writes ~> plus the lock otherwise", () => {
  const config = consulted(
    `{deps, [{cowboy, "~> 2.9"}, {my_jsx, "~> 3.0", {pkg, jsx}}, ranch]}.`,
    "rebar.config",
  );
  const { requirements, leftOut } = computeRequirements({
    lock: parseLock(consulted(LOCK)),
    appDeps: configDeps(config),
  });
  assert.deepEqual(leftOut, []);
  assert.deepEqual(
    requirements.map((r) => [r.name, r.app, r.requirement, r.optional]),
    [
      ["cowboy", "cowboy", "~> 2.9", false],
      ["jsx", "my_jsx", "~>3.1.0", false],
      ["ranch", "ranch", "~>1.8.0-rc.1", false],
    ],
  );
  assert.equal(requirements[0].where?.file, "rebar.config");
});

Deno.test("computeRequirements() keeps only an umbrella app's own deps and names the rest", () => {
  const { requirements, leftOut } = computeRequirements({
    lock: parseLock(consulted(LOCK)),
    appDeps: [],
    allowed: new Set(["cowboy"]),
  });
  assert.deepEqual(requirements.map((r) => r.name), ["cowboy"]);
  assert.deepEqual(leftOut, ["my_jsx", "ranch"]);
});

Deno.test("computeRequirements() refuses non-Hex top-level deps, listing them", () => {
  const lock = parseLock(consulted(`{"1.2.0",[
    {<<"a">>,{git,"https://x/a.git",{ref,"1"}},0},
    {<<"b">>,{pkg,<<"b">>,<<"1.0.0">>},0},
    {<<"c">>,{hg,"https://x/c",{ref,"1"}},0},
    {<<"d">>,{git,"https://x/d.git",{ref,"1"}},1}]}.`));
  assert.throws(
    () => computeRequirements({ lock, appDeps: [] }),
    (e: unknown) => e instanceof ProjectError && /only Hex packages.*: a, c$/.test(e.message),
  );
});
