/**
 * `-o` never replaces what is not a regular file hexpub may replace (a symlink, FIFO, device),
 * and `--unpack` replaces only a directory that still holds exactly what hexpub wrote there.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { UsageError } from "../../src/errors.ts";
import { build, type BuildInput } from "../../src/tasks/build.ts";
import { fetchPackage } from "../../src/tasks/fetch.ts";
import { UNPACK_MARKER } from "../../src/tasks/write_unpacked.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { makeProject } from "../support/project.ts";
import { trustingDeps } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";

const APP = {
  "rebar.config": "{deps, []}.\n",
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

async function mkfifo(path: string) {
  assert.equal((await new Deno.Command("mkfifo", { args: [path] }).output()).code, 0);
}

const refused = (path: string, what: RegExp) => (e: unknown) =>
  e instanceof UsageError && e.message.includes(path) && what.test(e.message) &&
  /remove it|another/i.test(e.hint ?? "");

Deno.test("build -o refuses an existing symlink or FIFO, leaving it and its target alone", async () => {
  const root = await makeProject({ ...APP, "target.txt": "keep me" });
  const deps = testDeps(root);
  await Deno.symlink(join(root, "target.txt"), join(root, "link.tar"));
  await mkfifo(join(root, "fifo.tar"));
  await assert.rejects(
    build(deps, input({ output: "link.tar" })),
    refused(join(root, "link.tar"), /is a symbolic link/),
  );
  await assert.rejects(
    build(deps, input({ output: "fifo.tar" })),
    refused(join(root, "fifo.tar"), /not a regular file/),
  );
  // `build` (package and docs) checks the docs path too: OUT-docs.tar.
  await mkfifo(join(root, "both-docs.tar"));
  await assert.rejects(
    build(deps, input({ target: "all", output: "both.tar", docDir: "src" })),
    refused(join(root, "both-docs.tar"), /not a regular file/),
  );
  assert.ok((await Deno.lstat(join(root, "link.tar"))).isSymlink);
  assert.equal(await Deno.readTextFile(join(root, "target.txt")), "keep me");
  const fifo = await Deno.lstat(join(root, "fifo.tar"));
  assert.ok(!fifo.isFile && !fifo.isSymlink && !fifo.isDirectory);
  // A regular file is replaced, as before.
  await Deno.writeTextFile(join(root, "old.tar"), "old");
  await build(deps, input({ output: "old.tar" }));
  assert.notEqual(await Deno.readTextFile(join(root, "old.tar")), "old");
});

Deno.test("fetch -o refuses a symlink or FIFO where the tarball goes", async () => {
  const fake = new FakeHex();
  fake.addRelease({ name: "widget", version: "1.0.0" });
  const { deps, cwd } = await trustingDeps(fake);
  await Deno.writeTextFile(join(cwd, "target"), "keep me");
  await Deno.mkdir(join(cwd, "a"));
  await Deno.symlink(join(cwd, "target"), join(cwd, "a/widget-1.0.0.tar"));
  await Deno.mkdir(join(cwd, "b"));
  await mkfifo(join(cwd, "b/widget-1.0.0.tar"));
  await assert.rejects(
    fetchPackage(deps, { name: "widget", spec: "1.0.0", unpack: false, output: "a" }),
    refused(join(cwd, "a/widget-1.0.0.tar"), /is a symbolic link/),
  );
  await assert.rejects(
    fetchPackage(deps, { name: "widget", spec: "1.0.0", unpack: false, output: "b" }),
    refused(join(cwd, "b/widget-1.0.0.tar"), /not a regular file/),
  );
  assert.ok((await Deno.lstat(join(cwd, "a/widget-1.0.0.tar"))).isSymlink);
  assert.equal(await Deno.readTextFile(join(cwd, "target")), "keep me");
  assert.ok(!(await Deno.lstat(join(cwd, "b/widget-1.0.0.tar"))).isFile);
});

Deno.test("--unpack refuses to replace an unpack the user changed, naming the first change", async () => {
  const root = await makeProject(APP);
  const deps = testDeps(root);
  const out = join(root, "out");
  await build(deps, input({ unpack: true, output: "out" }));
  // Unchanged: replaced.
  await build(deps, input({ unpack: true, output: "out" }));
  const changes: [string, () => Promise<void>, RegExp][] = [
    ["added", () => Deno.writeTextFile(join(out, "src/notes.txt"), "mine"), /src\/notes\.txt/],
    ["changed", () => Deno.writeTextFile(join(out, "src/tiny.erl"), "-module(x).\n"), /tiny\.erl/],
    ["removed", () => Deno.remove(join(out, "rebar.config")), /rebar\.config/],
  ];
  for (const [what, change, path] of changes) {
    await Deno.remove(out, { recursive: true });
    await build(deps, input({ unpack: true, output: "out" }));
    await change();
    const before = await snapshot(out);
    await assert.rejects(
      build(deps, input({ unpack: true, output: "out" })),
      (e: unknown) =>
        e instanceof UsageError && e.message.includes(out) && path.test(e.message) &&
        e.message.includes(`was ${what}`) && /remove|another/i.test(e.hint ?? ""),
      what,
    );
    assert.deepEqual(await snapshot(out), before, `${what}: nothing was touched`);
  }
});

Deno.test("--unpack refuses a directory whose marker hexpub did not write (an empty one)", async () => {
  const root = await makeProject({ ...APP, [`out/${UNPACK_MARKER}`]: "", "out/mine.txt": "mine" });
  const deps = testDeps(root);
  await assert.rejects(
    build(deps, input({ unpack: true, output: "out" })),
    (e: unknown) => e instanceof UsageError && e.message.includes(join(root, "out")),
  );
  assert.equal(await Deno.readTextFile(join(root, "out/mine.txt")), "mine");
});

/** Every path under `dir` with its content (files) or kind. */
async function snapshot(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) Object.assign(out, { [rel]: "dir" }, await snapshot(dir, rel));
    else if (e.isFile) out[rel] = await Deno.readTextFile(join(dir, rel));
    else out[rel] = "other";
  }
  return out;
}
