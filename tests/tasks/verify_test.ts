import assert from "node:assert/strict";
import { join } from "node:path";
import { HexpubError } from "../../src/errors.ts";
import { build } from "../../src/tasks/build.ts";
import { verifyRelease } from "../../src/tasks/verify.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { renderVerify } from "../../src/ui/render_verify.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { signedPackageFile, trustingDeps } from "../support/registry.ts";
import { makeProject } from "../support/project.ts";

const APP_SRC = (vsn: string, description: string) =>
  `{application, widget, [{description, "${description}"}, {vsn, "${vsn}"},
  {applications, [kernel, stdlib]}, {licenses, ["MIT"]},
  {links, [{"GitHub", "https://github.com/example/widget"}]}]}.\n`;

async function project(description = "A widget") {
  return await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "README.md": "# widget\n",
    "src/widget.app.src": APP_SRC("1.0.0", description),
    "src/widget.erl": "-module(widget).\n",
  });
}

/** The fake hex.pm, trusted by a fresh home, serving the release `cwd` builds. */
async function setup(cwd: string) {
  const fake = new FakeHex();
  const { deps } = await trustingDeps(fake, { cwd });
  return { fake, deps };
}

async function publishBuild(fake: FakeHex, dir: string) {
  const out = join(await Deno.makeTempDir(), "widget.tar");
  const { deps } = await setup(dir);
  await build(deps, {
    target: "package",
    output: out,
    unpack: false,
    repo: "hexpm",
    strict: false,
  });
  await fake.addReleaseFromTarball(await Deno.readFile(out));
}

Deno.test("verifyRelease() finds a release built from the same source identical", async () => {
  const dir = await project();
  const { fake, deps } = await setup(dir);
  await publishBuild(fake, dir);
  const r = await verifyRelease(deps, { strict: false });
  assert.equal(r.identical, true);
  assert.equal(r.built, r.published);
  assert.deepEqual(renderVerify(r), [
    `reproducible: identical to hexpm's widget 1.0.0 (checksum ${r.published})`,
  ]);
  // It reads the signed registry, then the tarball: never a write.
  assert.ok(fake.requestsTo("GET", /\/packages\/widget$/).length > 0);
  assert.equal(fake.requestsTo("GET", /\/tarballs\/widget-1\.0\.0\.tar$/).length, 1);
  assert.equal(fake.requests.filter((q) => q.method !== "GET").length, 0);
});

Deno.test("verifyRelease() lists the files and metadata that differ", async () => {
  const published = await project("A widget");
  const { fake } = await setup(published);
  await publishBuild(fake, published);
  const dir = await project("A better widget");
  await Deno.writeTextFile(join(dir, "src/extra.erl"), "-module(extra).\n");
  await Deno.writeTextFile(join(dir, "src/widget.erl"), "-module(widget).\n-export([]).\n");
  const { deps } = await setup(dir);
  deps.fetch = fake.handler;
  const r = await verifyRelease(deps, { strict: false });
  assert.equal(r.identical, false);
  assert.notEqual(r.built, r.published);
  assert.deepEqual(r.diff?.added, ["src/extra.erl"]);
  assert.deepEqual(r.diff?.removed, []);
  assert.deepEqual(r.diff?.changed, ["src/widget.app.src", "src/widget.erl"]);
  assert.deepEqual(r.diff?.metadata.map((m) => m.key), ["description"]);
  const text = renderVerify(r).join("\n");
  assert.match(text, /^not reproducible: widget 1\.0\.0 built here differs from hexpm's release/);
  assert.match(text, /\+ src\/extra\.erl/);
  assert.match(text, /~ src\/widget\.erl/);
  assert.match(text, /metadata description: "A widget" -> "A better widget"/);
});

Deno.test("verifyRelease() names the versions that exist when this version was never published", async () => {
  const dir = await project();
  const { fake, deps } = await setup(dir);
  fake.addRelease({ name: "widget", version: "0.9.0" });
  await assert.rejects(
    verifyRelease(deps, { strict: false }),
    (e: unknown) =>
      e instanceof HexpubError &&
      /has no version "1\.0\.0" in repository "hexpm"/.test(e.message) &&
      /0\.9\.0/.test(e.hint ?? ""),
  );
});

Deno.test("verifyRelease() refuses a tarball that does not match the signed registry", async () => {
  const dir = await project();
  const { fake, deps } = await setup(dir);
  await publishBuild(fake, dir);
  const { privateKeyPem } = await fake.registryKeys();
  fake.setRegistryFile(
    "/packages/widget",
    await signedPackageFile({
      name: "widget",
      repository: "hexpm",
      releases: [{
        version: "1.0.0",
        innerChecksum: new Uint8Array(32),
        outerChecksum: new Uint8Array(32),
        dependencies: [],
      }],
    }, privateKeyPem),
  );
  await assert.rejects(
    verifyRelease(deps, { strict: false }),
    (e: unknown) => e instanceof HexpubError && /signed registry says 0{64}/.test(e.message),
  );
});

Deno.test("verifyRelease() reproduces a release built from a checkout under umask 002", async () => {
  // The release was built where files are 0664 (hex_core packs modes as they are).
  const there = await project();
  for (
    const f of ["rebar.config", "rebar.lock", "README.md", "src/widget.app.src", "src/widget.erl"]
  ) {
    await Deno.chmod(join(there, f), 0o664);
  }
  await Deno.chmod(join(there, "src"), 0o775);
  const { fake } = await setup(there);
  await publishBuild(fake, there);
  // Here the same commit is checked out under umask 022.
  const here = await project();
  const { deps } = await setup(here);
  deps.fetch = fake.handler;
  const r = await verifyRelease(deps, { strict: false });
  assert.equal(r.identical, true);
  assert.equal(r.umask, 0o002);
  assert.match(renderVerify(r).join("\n"), /when checked out under umask 002 \(files 664/);
  // A real content change is still a difference, whatever the umask.
  await Deno.writeTextFile(join(here, "README.md"), "# changed\n");
  const changed = await verifyRelease(deps, { strict: false });
  assert.equal(changed.identical, false);
  assert.deepEqual(changed.diff?.changed, ["README.md"]);
});

Deno.test("build packs file modes as they are on disk, as hex_core does", async () => {
  const dir = await project();
  await Deno.chmod(join(dir, "README.md"), 0o664);
  const out = join(await Deno.makeTempDir(), "widget.tar");
  const { deps } = await setup(dir);
  await build(deps, {
    target: "package",
    output: out,
    unpack: false,
    repo: "hexpm",
    strict: false,
  });
  const files = (await unpackPackage(await Deno.readFile(out))).files;
  assert.equal(files.find((f) => f.path === "README.md")?.mode, 0o664);
  assert.equal(files.find((f) => f.path === "src/widget.erl")?.mode, 0o644);
});

Deno.test("build warns that a map of more than 32 keys makes the checksum differ from rebar3_hex's", async () => {
  const dir = await project();
  const env = Array.from({ length: 33 }, (_, i) => `k${i} => ${i}`).join(", ");
  await Deno.writeTextFile(
    join(dir, "src/widget.app.src"),
    `{application, widget, [{description, "A widget"}, {vsn, "1.0.0"}, {licenses, ["MIT"]},
  {env, [{big, #{${env}}}]}]}.\n`,
  );
  const out = join(await Deno.makeTempDir(), "widget.tar");
  const { deps } = await setup(dir);
  const r = await build(deps, {
    target: "package",
    output: out,
    unpack: false,
    repo: "hexpm",
    strict: false,
  });
  const w = r.warnings.find((p) => p.field === "checksum");
  assert.match(w?.message ?? "", /a map of 33 keys in the \.app\.src/);
  // 32 keys is still a flat, sorted map: no warning.
  const env32 = Array.from({ length: 32 }, (_, i) => `k${i} => ${i}`).join(", ");
  await Deno.writeTextFile(
    join(dir, "src/widget.app.src"),
    `{application, widget, [{description, "A widget"}, {vsn, "1.0.0"}, {licenses, ["MIT"]},
  {env, [{big, #{${env32}}}]}]}.\n`,
  );
  const r32 = await build(deps, {
    target: "package",
    output: out,
    unpack: false,
    repo: "hexpm",
    strict: false,
  });
  assert.equal(r32.warnings.find((p) => p.field === "checksum"), undefined);
});
