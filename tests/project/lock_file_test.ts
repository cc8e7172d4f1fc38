import assert from "node:assert/strict";
import { printLockFile } from "../../src/project/lock_file.ts";

Deno.test("printLockFile() writes [].\\n for a project without dependencies", () => {
  assert.equal(printLockFile([]), "[].\n");
});

Deno.test("printLockFile() writes lager 3.9.2's rebar.lock as rebar3 3.19 wrote it", () => {
  // The lock rebar3 3.19 wrote for lager 3.9.2 (its one dependency, goldrush).
  const expected = `{"1.2.0",
[{<<"goldrush">>,{pkg,<<"goldrush">>,<<"0.1.9">>},0}]}.
[
{pkg_hash,[
 {<<"goldrush">>, <<"E1DE95F8C3197BC21F53D8413C8A3B59A400BBA58B7E5725702C46C738EDFCDC">>}]},
{pkg_hash_ext,[
 {<<"goldrush">>, <<"4E9630C9DC9B1B572F67D3BBA8CDA522C5BF4EBC2C3B733A842B3E502D644A5A">>}]}
].
`;
  assert.equal(
    printLockFile([{
      app: "goldrush",
      pkg: "goldrush",
      version: "0.1.9",
      level: 0,
      innerChecksum: "E1DE95F8C3197BC21F53D8413C8A3B59A400BBA58B7E5725702C46C738EDFCDC",
      outerChecksum: "4E9630C9DC9B1B572F67D3BBA8CDA522C5BF4EBC2C3B733A842B3E502D644A5A",
    }]),
    expected,
  );
});

Deno.test("printLockFile() sorts by app, breaks long entries, keeps renamed packages", () => {
  const h = (c: string) => c.repeat(64);
  const text = printLockFile([
    {
      app: "zeta",
      pkg: "zeta",
      version: "0.1.0",
      level: 0,
      innerChecksum: h("A"),
      outerChecksum: h("B"),
    },
    {
      app: "opentelemetry_semantic_conventions",
      pkg: "opentelemetry_semantic_conventions",
      version: "0.2.0",
      level: 1,
      innerChecksum: h("C"),
      outerChecksum: h("D"),
    },
    { app: "eta", pkg: "eta_pkg", version: "1.0.0-rc.1", level: 2, innerChecksum: h("E") },
  ]);
  assert.equal(
    text,
    `{"1.2.0",
[{<<"eta">>,{pkg,<<"eta_pkg">>,<<"1.0.0-rc.1">>},2},
 {<<"opentelemetry_semantic_conventions">>,
  {pkg,<<"opentelemetry_semantic_conventions">>,<<"0.2.0">>},
  1},
 {<<"zeta">>,{pkg,<<"zeta">>,<<"0.1.0">>},0}]}.
[
{pkg_hash,[
 {<<"eta">>, <<"${h("E")}">>},
 {<<"opentelemetry_semantic_conventions">>, <<"${h("C")}">>},
 {<<"zeta">>, <<"${h("A")}">>}]},
{pkg_hash_ext,[
 {<<"eta">>, undefined},
 {<<"opentelemetry_semantic_conventions">>, <<"${h("D")}">>},
 {<<"zeta">>, <<"${h("B")}">>}]}
].
`,
  );
});
