import { strict as assert } from "node:assert";
import { denoFs } from "../../src/deno_deps.ts";
import { ProjectError } from "../../src/errors.ts";
import { selectFiles } from "../../src/project/select_files.ts";
import { makeProject } from "../support/project.ts";

const tree = {
  "src/app.erl": "a",
  "src/app.erl~": "backup",
  "src/notes.swp": "swap",
  "c_src/nif.c": "c",
  "c_src/nif.o": "obj",
  "priv/app.so": "so",
  "priv/data.txt": "d",
  "priv/secret/key.pem": "k",
  "test/app_SUITE.erl": "t",
  "README.md": "r",
  "LICENSE": "l",
  "Makefile": "m",
  "rebar.config": "{deps, []}.",
  "rebar.lock": "[].",
};

Deno.test("selectFiles() uses the default list and built-in excludes", async () => {
  const root = await makeProject(tree);
  const files = await selectFiles(denoFs(root), root, {
    includePaths: [],
    excludePaths: [],
    excludePatterns: [],
  });
  assert.deepEqual(files.map((f) => f.path), [
    "LICENSE",
    "README.md",
    "c_src",
    "c_src/nif.c",
    "priv",
    "priv/data.txt",
    "priv/secret",
    "priv/secret/key.pem",
    "rebar.config",
    "rebar.lock",
    "src",
    "src/app.erl",
  ]);
  assert.equal(files.find((f) => f.path === "src")?.info.kind, "dir");
});

Deno.test("selectFiles() applies files, exclude_paths, exclude_patterns, then include_paths", async () => {
  const root = await makeProject(tree);
  const files = await selectFiles(denoFs(root), root, {
    files: { values: ["src", "priv", "test", "Makefile"] },
    excludePaths: [{ values: ["test"] }],
    excludePatterns: [{ values: ["^priv/secret"] }],
    includePaths: [{ values: ["priv/app.so"] }],
  });
  assert.deepEqual(files.map((f) => f.path), [
    "Makefile",
    "priv",
    "priv/app.so",
    "priv/data.txt",
    "src",
    "src/app.erl",
  ]);
});

Deno.test("selectFiles() matches exclude_patterns against absolute paths too", async () => {
  const root = await makeProject(tree);
  const files = await selectFiles(denoFs(root), root, {
    includePaths: [],
    excludePaths: [],
    excludePatterns: [{ values: ["/priv/"] }],
  });
  assert.ok(!files.some((f) => f.path.startsWith("priv/")));
});

Deno.test("selectFiles() refuses paths outside the app and bad regexes, naming where", async () => {
  const root = await makeProject(tree);
  const where = { file: "src/app.app.src", line: 7 };
  await assert.rejects(
    selectFiles(denoFs(root), root, {
      files: { values: ["../LICENSE"], where },
      includePaths: [],
      excludePaths: [],
      excludePatterns: [],
    }),
    (e: unknown) => e instanceof ProjectError && e.where?.line === 7 && /outside/.test(e.message),
  );
  await assert.rejects(
    selectFiles(denoFs(root), root, {
      includePaths: [],
      excludePaths: [],
      excludePatterns: [{ values: ["(unclosed"], where }],
    }),
    (e: unknown) => e instanceof ProjectError && /invalid exclude pattern/.test(e.message),
  );
});

Deno.test("selectFiles() records symlinks without following them", async () => {
  const root = await makeProject({
    "src/app.erl": "a",
    "src/alias.erl": { symlink: "app.erl" },
    "src/linked_dir": { symlink: "../priv" },
    "priv/x": "x",
  });
  const files = await selectFiles(denoFs(root), root, {
    files: { values: ["src"] },
    includePaths: [],
    excludePaths: [],
    excludePatterns: [],
  });
  assert.deepEqual(files.map((f) => [f.path, f.info.kind]), [
    ["src", "dir"],
    ["src/alias.erl", "symlink"],
    ["src/app.erl", "file"],
    ["src/linked_dir", "symlink"],
  ]);
});
