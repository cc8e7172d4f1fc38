import { strict as assert } from "node:assert";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { ProjectError, TarballError, UsageError } from "../../src/errors.ts";
import { build, type BuildInput } from "../../src/tasks/build.ts";
import { UNPACK_MARKER } from "../../src/tasks/write_unpacked.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";

const APP = {
  "rebar.config": "{deps, []}.\n",
  "rebar.lock": "[].\n",
  "src/tiny.app.src":
    `{application, tiny, [{description, "Tiny"}, {vsn, "0.1.0"}, {licenses, ["MIT"]}]}.\n`,
  "src/tiny.erl": "-module(tiny).\n",
};
const input = (extra: Partial<BuildInput> = {}): BuildInput => ({
  target: "package",
  unpack: false,
  repo: "hexpm",
  strict: false,
  ...extra,
});

Deno.test("build --unpack writes contents, hex_metadata.config and its marker", async () => {
  const root = await makeProject(APP);
  const deps = testDeps(root);
  await build(deps, input({ unpack: true, output: "out" }));
  const names = [...Deno.readDirSync(join(root, "out"))].map((e) => e.name).sort();
  assert.deepEqual(names, [
    UNPACK_MARKER,
    "hex_metadata.config",
    "rebar.config",
    "rebar.lock",
    "src",
  ]);
  assert.match(
    await Deno.readTextFile(join(root, "out/hex_metadata.config")),
    /\{<<"name">>,<<"tiny">>\}\./,
  );
  assert.equal((await Deno.stat(join(root, "out"))).mode! & 0o777, 0o755);
  // An earlier unpack (marked) is replaced.
  await build(deps, input({ unpack: true, output: "out" }));
  assert.ok((await Deno.stat(join(root, "out/src/tiny.erl"))).isFile);
});

Deno.test("build --unpack never deletes a directory hexpub did not make", async () => {
  const root = await makeProject({
    ...APP,
    "site/index.html": "<p>mine</p>",
    "site/keep.txt": "k",
  });
  const deps = testDeps(root);
  for (const output of ["site", ".", "src"]) {
    await assert.rejects(build(deps, input({ unpack: true, output })), UsageError);
  }
  assert.equal(await Deno.readTextFile(join(root, "site/keep.txt")), "k");
  assert.ok((await Deno.stat(join(root, "rebar.config"))).isFile);
  assert.ok(!(await Deno.stat(join(root, "hex_metadata.config")).catch(() => undefined)));
});

Deno.test("-o naming an existing directory is a usage error (exit 2), not an internal one", async () => {
  const root = await makeProject({ ...APP, "out/.keep": "" });
  const deps = testDeps(root);
  assert.equal(await runCli(["build", "package", "-o", "out"], deps), 2);
  assert.match(deps.stderr.join("\n"), /-o "out" is a directory, not a tarball path\n\s+hint: /);
  const d2 = testDeps(root);
  assert.equal(await runCli(["build", "package", "-o", "rebar.config/x.tar"], d2), 2);
  assert.match(d2.stderr.join("\n"), /cannot write the output/);
});

Deno.test("a file reached through a symlinked directory outside the app is not packed", async () => {
  const outside = await makeProject({ "secret.txt": "TOPSECRET" });
  const root = await makeProject({
    ...APP,
    "src/tiny.app.src":
      `{application, tiny, [{description, "T"}, {vsn, "0.1.0"}, {licenses, ["MIT"]},\n {files, ["src", "priv/ext/secret.txt"]}]}.\n`,
    "priv/ext": { symlink: outside },
  });
  const result = await build(testDeps(root), input({ output: "t.tar" }));
  assert.ok(!result.package!.files.some((f) => f.includes("secret")), result.package!.files.join());
  const un = await unpackPackage(await Deno.readFile(join(root, "t.tar")));
  assert.ok(
    !un.files.some((f) => f.data && new TextDecoder().decode(f.data).includes("TOPSECRET")),
  );
});

Deno.test("non-ASCII names with spaces are refused; ASCII names with spaces pack", async () => {
  const bad = await makeProject({ ...APP, "priv/ünï x.txt": "x" });
  await assert.rejects(
    build(testDeps(bad), input({ output: "t.tar" })),
    (e: unknown) => e instanceof TarballError && e.reason === "unsafe_path" && !!e.hint,
  );
  const ok = await makeProject({ ...APP, "priv/a b.txt": "x", "priv/ünï.txt": "y" });
  const r = await build(testDeps(ok), input({ output: "t.tar" }));
  assert.ok(r.package!.files.includes("priv/a b.txt") && r.package!.files.includes("priv/ünï.txt"));
});

Deno.test("an application named differently from its file is refused", async () => {
  const root = await makeProject({
    ...APP,
    "src/tiny.app.src": `{application, other, [{vsn, "0.1.0"}]}.\n`,
  });
  await assert.rejects(
    build(testDeps(root), input()),
    (e: unknown) =>
      e instanceof ProjectError && /defines application "other"/.test(e.message) &&
      e.where?.file === join(root, "src", "tiny.app.src"),
  );
});

Deno.test("a Latin-1 .app.src is read as Latin-1 and packed re-printed in UTF-8", async () => {
  const root = await makeProject(APP);
  const bytes = Uint8Array.from(
    `%% coding: latin-1\n{application, tiny, [{description, "caf\xe9"}, {vsn, "0.1.0"}, {licenses, ["MIT"]}]}.\n`,
    (c) => c.charCodeAt(0),
  );
  await Deno.writeFile(join(root, "src/tiny.app.src"), bytes);
  const r = await build(testDeps(root), input({ output: "t.tar" }));
  assert.equal(r.package!.description, "café");
  const un = await unpackPackage(await Deno.readFile(join(root, "t.tar")));
  // As OTP 25 prints it: file:consult/1, then io_lib:format("~tp.~n") to UTF-8.
  assert.equal(
    new TextDecoder("utf-8", { fatal: true }).decode(
      un.files.find((f) => f.path === "src/tiny.app.src")!.data,
    ),
    '{application,tiny,[{description,"café"},{vsn,"0.1.0"},{licenses,["MIT"]}]}.\n',
  );
});

Deno.test("--strict also fails when docs could not be built", async () => {
  const root = await makeProject(APP);
  await assert.rejects(
    build(testDeps(root), input({ target: "all", strict: true })),
    /No doc provider/,
  );
  const r = await build(testDeps(root), input({ target: "all" }));
  assert.match(r.docsSkipped ?? "", /No doc provider/);
});

Deno.test("deprecated path keys are used only when their successor is absent", async () => {
  const root = await makeProject({
    ...APP,
    "src/tiny.app.src":
      `{application, tiny, [{description, "T"}, {vsn, "0.1.0"}, {licenses, ["MIT"]},\n {exclude_paths, ["priv/a.txt"]}, {exclude_files, ["priv/b.txt"]}]}.\n`,
    "priv/a.txt": "a",
    "priv/b.txt": "b",
  });
  const r = await build(testDeps(root), input({ output: "t.tar" }));
  assert.ok(!r.package!.files.includes("priv/a.txt"));
  assert.ok(
    r.package!.files.includes("priv/b.txt"),
    "exclude_files ignored when exclude_paths is set",
  );
});
