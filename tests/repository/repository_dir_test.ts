import { strict as assert } from "node:assert";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { readNames, readPackage, readVersions } from "../../src/registry/registry_files.ts";
import { privateKeyPath } from "../../src/repository/repository_dir.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";

const app = (version: string, deps = "[]", lock = "[].") => ({
  "rebar.config": `{deps, ${deps}}.\n`,
  "rebar.lock": `${lock}\n`,
  "src/gadget.app.src":
    `{application, gadget, [{description, "Gadgets"}, {vsn, "${version}"}, {licenses, ["MIT"]}]}.\n`,
  "src/gadget.erl": "-module(gadget).\n",
});

Deno.test("repo init makes the layout and 0600 keys beside the directory; repo build signs the registry", async () => {
  const work = await Deno.makeTempDir();
  const dir = join(work, "myrepo");
  const deps = testDeps(work);
  assert.equal(await runCli(["repo", "init", "myrepo", "--name", "mine"], deps), 0);
  assert.equal((await Deno.stat(privateKeyPath(dir))).mode! & 0o777, 0o600);
  const publicKey = await Deno.readTextFile(join(dir, "public_key"));
  assert.match(publicKey, /BEGIN PUBLIC KEY/);

  for (
    const [v, lock] of [["0.1.0", "[]."], [
      "0.10.0",
      `{"1.2.0",[{<<"jsx">>,{pkg,<<"jsx">>,<<"3.1.0">>},0}]}.`,
    ]] as const
  ) {
    const project = await makeProject(app(v, v === "0.1.0" ? "[]" : '[{jsx, "~> 3.1"}]', lock));
    const d = testDeps(project);
    assert.equal(
      await runCli(["build", "package", "-o", join(dir, "tarballs", `gadget-${v}.tar`)], d),
      0,
      d.stderr.join("\n"),
    );
  }
  assert.equal(await runCli(["repo", "build", "myrepo"], deps), 0, deps.stderr.join("\n"));
  assert.match(deps.stdout.join("\n"), /1 packages, 2 releases/);

  const opts = { repository: "mine", verify: true };
  const names = await readNames(await Deno.readFile(join(dir, "names")), publicKey, opts);
  assert.deepEqual(names.packages.map((p) => p.name), ["gadget"]);
  const versions = await readVersions(await Deno.readFile(join(dir, "versions")), publicKey, opts);
  assert.deepEqual(versions.packages[0].versions, ["0.1.0", "0.10.0"], "SemVer order");
  const pkg = await readPackage(await Deno.readFile(join(dir, "packages", "gadget")), publicKey, {
    ...opts,
    name: "gadget",
  });
  assert.deepEqual(pkg.releases[1].dependencies, [{ package: "jsx", requirement: "~> 3.1" }]);
  const tar = await Deno.readFile(join(dir, "tarballs", "gadget-0.10.0.tar"));
  const sha = new Uint8Array(await crypto.subtle.digest("SHA-256", tar));
  assert.deepEqual(pkg.releases[1].outerChecksum, sha);
  await assert.rejects(
    readNames(await Deno.readFile(join(dir, "names")), publicKey, {
      repository: "other",
      verify: true,
    }),
  );
});

Deno.test("repo init refuses to rename an existing repository; a misnamed tarball is reported", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  assert.equal(await runCli(["repo", "init", "r", "--name", "one"], deps), 0);
  assert.equal(await runCli(["repo", "init", "r", "--name", "two"], deps), 2);
  const project = await makeProject(app("1.0.0"));
  assert.equal(
    await runCli(
      ["build", "package", "-o", join(work, "r", "tarballs", "wrong.tar")],
      testDeps(project),
    ),
    0,
  );
  const d = testDeps(work);
  assert.equal(await runCli(["repo", "build", "r"], d), 1);
  assert.match(
    d.stderr.join("\n"),
    /wrong\.tar holds gadget 1\.0\.0[\s\S]*Rename it to gadget-1\.0\.0\.tar/,
  );
});

Deno.test("repo build of a directory that does not exist is refused (exit 2) and creates nothing", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  assert.equal(await runCli(["repo", "build", "typo", "--json"], deps), 2);
  const doc = JSON.parse(deps.stdout.join("\n"));
  assert.match(doc.error, /typo/);
  assert.match(doc.hint, /repo init/);
  assert.deepEqual([...Deno.readDirSync(work)], [], "no directory, no key");
});
