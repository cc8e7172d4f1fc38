import { strict as assert } from "node:assert";
import { expandGlob, segmentRegExp } from "../../src/project/glob.ts";
import { denoFs } from "../../src/deno_deps.ts";
import { makeProject } from "../support/project.ts";

Deno.test("segmentRegExp() matches filelib:wildcard segment syntax", () => {
  const cases: [string, string, boolean][] = [
    ["README*", "README.md", true],
    ["README*", "XREADME", false],
    ["*.erl", ".hidden.erl", true],
    ["?.erl", "a.erl", true],
    ["?.erl", "ab.erl", false],
    ["[a-c]x", "bx", true],
    ["[^a-c]x", "bx", false],
    ["{src,priv}", "priv", true],
    ["{src,priv}", "include", false],
    ["a.b", "aXb", false],
  ];
  for (const [pattern, name, expected] of cases) {
    assert.equal(segmentRegExp(pattern).test(name), expected, `${pattern} ~ ${name}`);
  }
});

Deno.test("expandGlob() finds existing paths, dotfiles included, and walks **", async () => {
  const root = await makeProject({
    "README.md": "r",
    ".hidden": "h",
    "src/a.erl": "a",
    "src/.dot": "d",
    "src/sub/b.erl": "b",
    "priv/x.txt": "x",
  });
  const fs = denoFs(root);
  assert.deepEqual(await expandGlob(fs, root, "README*"), ["README.md"]);
  assert.deepEqual(await expandGlob(fs, root, "*"), [".hidden", "README.md", "priv", "src"]);
  assert.deepEqual(await expandGlob(fs, root, "src/**"), [
    "src/.dot",
    "src/a.erl",
    "src/sub",
    "src/sub/b.erl",
  ]);
  assert.deepEqual(await expandGlob(fs, root, "{src,priv}"), ["priv", "src"]);
  assert.deepEqual(await expandGlob(fs, root, "src/**/*.erl"), ["src/a.erl", "src/sub/b.erl"]);
  assert.deepEqual(await expandGlob(fs, root, "missing*"), []);
  assert.deepEqual(await expandGlob(fs, root, "./src/a.erl"), ["src/a.erl"]);
});
