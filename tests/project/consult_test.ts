import assert from "node:assert/strict";
import { join } from "node:path";
import { consultFile } from "../../src/project/consult.ts";
import { printTerm } from "../../src/erlang/print_term.ts";
import { interopTest } from "../interop/erlang.ts";
import { makeProject } from "../support/project.ts";
import { hostPath, testDeps } from "../support/test_deps.ts";

interopTest(
  "consultFile() evaluates rebar.config.script as rebar3 would: the module rebar3 is loaded",
  async () => {
    // lager's script: a hex dependency under rebar3, a git one under rebar 2.
    const dir = await makeProject({
      "rebar.config": '{deps, [{goldrush, "0.1.9"}]}.\n',
      "rebar.config.script": `case erlang:function_exported(rebar3, main, 1) of
    true -> CONFIG;
    false -> [{deps, [{goldrush, ".*", {git, "https://example.com/goldrush.git", {tag, "0.1.9"}}}]}]
end.
`,
    });
    const consulted = await consultFile(
      testDeps(dir, { env: hostPath() }),
      join(dir, "rebar.config"),
    );
    assert.equal(consulted?.fromScript, true);
    assert.deepEqual(consulted?.terms.map(printTerm), ['{deps,[{goldrush,"0.1.9"}]}']);
  },
);

interopTest(
  "consultFile() evaluates an app's .app.src.script in the project root, as rebar3 does",
  async () => {
    // src/APP.app.src.script reading ./VERSION works under rebar3, whose working directory is the
    // project root, not src/.
    const dir = await makeProject({
      "VERSION": "3.7.7\n",
      "src/vsnd.app.src": '{application, vsnd, [{vsn, "0.0.0"}]}.\n',
      "src/vsnd.app.src.script": `{ok, V} = file:read_file("VERSION"),
[{application, vsnd, Props}] = CONFIG,
[{application, vsnd, lists:keystore(vsn, 1, Props, {vsn, binary_to_list(string:trim(V))})}].
`,
    });
    const consulted = await consultFile(
      testDeps(dir, { env: hostPath() }),
      join(dir, "src", "vsnd.app.src"),
    );
    assert.deepEqual(consulted?.terms.map(printTerm), ['{application,vsnd,[{vsn,"3.7.7"}]}']);
  },
);
