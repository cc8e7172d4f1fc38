import { strict as assert } from "node:assert";
import { denoFs } from "../../src/deno_deps.ts";
import { join } from "node:path";
import { type Problem, ProjectError } from "../../src/errors.ts";
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
    (e: unknown) =>
      e instanceof ProjectError && /exclude pattern "\(unclosed": \( at position 1/.test(e.message),
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

const noRules = { includePaths: [], excludePaths: [], excludePatterns: [] };

Deno.test("selectFiles() keeps exclude_patterns' PCRE forms: \\x{74} and \\p{Ll} exclude the secret", async () => {
  const root = await makeProject({
    "src/app.erl": "a",
    "priv/secret.txt": "s3cret",
    "priv/Public.TXT": "p",
  });
  const kept = async (pattern: string) =>
    (await selectFiles(denoFs(root), root, {
      ...noRules,
      files: { values: ["src", "priv"] },
      excludePatterns: [{ values: [pattern] }],
    })).map((f) => f.path);
  // \x{74} is "t" in PCRE; JavaScript reads it as "x" repeated 74 times.
  assert.deepEqual(await kept("secre\\x{74}"), ["priv", "priv/Public.TXT", "src", "src/app.erl"]);
  // \p{Ll} is a lowercase letter in PCRE; JavaScript (without u) reads "p{Ll}".
  assert.deepEqual(await kept("^priv/\\p{Ll}+\\."), [
    "priv",
    "priv/Public.TXT",
    "src",
    "src/app.erl",
  ]);
});

Deno.test("selectFiles() refuses a PCRE form it cannot translate, naming the pattern, form and position", async () => {
  const root = await makeProject({ "src/app.erl": "a" });
  const where = { file: "src/app.app.src", line: 9 };
  await assert.rejects(
    selectFiles(denoFs(root), root, {
      ...noRules,
      excludePatterns: [{ values: ["(a)\\1"], where }],
    }),
    (e: unknown) =>
      e instanceof ProjectError && e.where?.line === 9 && /"\(a\)\\1"/.test(e.message) &&
      /\\1/.test(e.message) && /position 4/.test(e.message) && !!e.hint,
  );
});

Deno.test("selectFiles() refuses a file whose name is not UTF-8, naming it", async () => {
  const root = await makeProject({ "src/app.erl": "a" });
  // Deno cannot create such a name; python3 (or the shell) can.
  const made = await new Deno.Command("python3", {
    args: [
      "-c",
      "import os,sys; open(os.path.join(sys.argv[1].encode(), b'src/bad\\xffname.erl'), 'w').write('x')",
      root,
    ],
  }).output();
  assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
  await assert.rejects(
    selectFiles(denoFs(root), root, noRules),
    (e: unknown) =>
      e instanceof ProjectError && e.message.includes("src/bad\\x??name.erl") &&
      /UTF-8/.test(e.message) && /rename/i.test(e.hint ?? ""),
  );
  // Excluded, it is no longer in the way.
  const files = await selectFiles(denoFs(root), root, {
    ...noRules,
    excludePatterns: [{ values: ["bad"] }],
  });
  assert.deepEqual(files.map((f) => f.path), ["src", "src/app.erl"]);
});

Deno.test("selectFiles() refuses symlink loops, naming the link", async () => {
  for (
    const [name, links] of [
      ["a cycle", { "priv/loop_a": { symlink: "loop_b" }, "priv/loop_b": { symlink: "loop_a" } }],
      ["a link to itself", { "priv/loop_a": { symlink: "loop_a" } }],
      ["a link to its parent", { "priv/loop_a": { symlink: ".." } }],
      ["a link to its own directory", { "priv/loop_a": { symlink: "." } }],
    ] as const
  ) {
    const root = await makeProject({ "src/app.erl": "a", ...links });
    await assert.rejects(
      selectFiles(denoFs(root), root, noRules),
      (e: unknown) =>
        e instanceof ProjectError && e.message.includes("priv/loop_a") && /loop/.test(e.message),
      name,
    );
  }
});

Deno.test("selectFiles() warns on a symlink that leaves the app on disk, naming it", async () => {
  const outside = await Deno.makeTempDir();
  await Deno.writeTextFile(join(outside, "data"), "d");
  const root = await makeProject({
    "src/app.erl": "a",
    "vendor": { symlink: outside },
    "priv/data": { symlink: "../vendor/data" },
    "priv/inside": { symlink: "../src/app.erl" },
  });
  const warnings: Problem[] = [];
  const files = await selectFiles(denoFs(root), root, {
    ...noRules,
    warn: (p) => warnings.push(p),
  });
  assert.deepEqual(files.map((f) => f.path), [
    "priv",
    "priv/data",
    "priv/inside",
    "src",
    "src/app.erl",
  ]);
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.equal(warnings[0].level, "warning");
  assert.match(warnings[0].message, /priv\/data/);
  assert.match(warnings[0].message, /outside the app/);
});
