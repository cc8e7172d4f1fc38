/**
 * The built-in `local` repository beyond publishing: revert (a release, or its
 * docs) and retire/unretire, through the task functions, on a real directory,
 * with the signed registry read back. `owner` refuses it clearly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HexpubError, UsageError } from "../../src/errors.ts";
import { readPackage, readVersions } from "../../src/registry/registry_files.ts";
import { ownerAdd, ownerList } from "../../src/tasks/owner.ts";
import { publishToLocal, retireLocal, revertLocal } from "../../src/tasks/publish_local.ts";
import { retire } from "../../src/tasks/retire.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { tarball } from "../repository/repo_fixtures.ts";
import { testDeps } from "../support/test_deps.ts";

async function localRepo() {
  const work = await Deno.makeTempDir({ prefix: "hexpub-local-" });
  const dir = join(work, "local");
  const deps = testDeps(work, { env: { HEXPUB_LOCAL_REPO: dir, HEXPUB_CONFIG_DIR: work } });
  const registry = async () => {
    const key = await Deno.readTextFile(join(dir, "public_key"));
    const opts = { repository: "local", verify: true };
    return {
      pkg: await Deno.readFile(join(dir, "packages", "solo")).then(
        (file) => readPackage(file, key, { ...opts, name: "solo" }),
        () => undefined,
      ),
      versions: await readVersions(await Deno.readFile(join(dir, "versions")), key, opts),
    };
  };
  return { work, dir, deps, registry };
}

const docs = gzipBytes(tarOfFiles([["index.html", new TextEncoder().encode("<p/>")]]));

Deno.test("retire, retire --all and unretire on the local repository rebuild its signed registry", async () => {
  const { dir, deps, registry } = await localRepo();
  for (const v of ["1.0.0", "1.1.0"]) {
    await publishToLocal(deps, {
      name: "solo",
      version: v,
      tarball: (await tarball("solo", v)).tarball,
      replace: false,
    });
  }
  // Through the `retire` task, as `hexpub retire -r local` runs it.
  await retire(deps, {
    repo: "local",
    pkg: "solo",
    version: "1.0.0",
    reason: "security",
    message: "CVE-1",
    unretire: false,
    all: false,
  });
  let reg = await registry();
  assert.deepEqual(reg.pkg!.releases.map((r) => r.retired), [
    { reason: 2, message: "CVE-1" },
    undefined,
  ]);
  assert.deepEqual(reg.versions.packages[0].retired, [0]);

  // All releases: the one already retired keeps its reason.
  const all = await retireLocal(deps, {
    name: "solo",
    all: true,
    reason: "deprecated",
    message: "use solo2",
    unretire: false,
  });
  assert.deepEqual(all, { dir, versions: ["1.1.0"] });
  reg = await registry();
  assert.deepEqual(reg.pkg!.releases.map((r) => r.retired?.reason), [2, 3]);

  await retire(deps, {
    repo: "local",
    pkg: "solo",
    version: "1.0.0",
    unretire: true,
    all: false,
  });
  reg = await registry();
  assert.deepEqual(reg.pkg!.releases.map((r) => r.retired?.reason), [undefined, 3]);
  assert.deepEqual(reg.versions.packages[0].retired, [1]);

  // Refusals: an unknown release, an unknown package, a bad reason (before any change).
  await assert.rejects(
    retireLocal(deps, { name: "solo", version: "9.9.9", all: false, unretire: true }),
    (e: Error) => {
      assert.ok(e instanceof HexpubError);
      assert.match(e.message, /solo 9\.9\.9 is not in the local repository/);
      assert.match(e.hint ?? "", /It has solo 1\.0\.0, 1\.1\.0/);
      return true;
    },
  );
  await assert.rejects(
    retireLocal(deps, { name: "nope", all: true, reason: "other", unretire: false }),
    /: nope is not in the local repository/,
  );
  await assert.rejects(
    retire(deps, {
      repo: "local",
      pkg: "solo",
      version: "1.1.0",
      reason: "obsolete",
      unretire: false,
      all: false,
    }),
    UsageError,
  );
  assert.deepEqual((await registry()).versions.packages[0].retired, [1]);
});

Deno.test("revertLocal deletes a release (tarball, docs, retirement) or only its docs", async () => {
  const { dir, deps, registry } = await localRepo();
  // Nothing published yet: a clear error, and no repository is created.
  await assert.rejects(
    revertLocal(deps, { name: "solo", version: "1.0.0", docsOnly: false }),
    /solo 1\.0\.0 is not in the local repository/,
  );
  assert.equal(await Deno.lstat(dir).catch(() => undefined), undefined);

  for (const v of ["1.0.0", "1.1.0"]) {
    await publishToLocal(deps, {
      name: "solo",
      version: v,
      tarball: (await tarball("solo", v)).tarball,
      docs,
      replace: false,
    });
  }
  await retireLocal(deps, {
    name: "solo",
    version: "1.1.0",
    all: false,
    reason: "invalid",
    unretire: false,
  });

  assert.deepEqual(await revertLocal(deps, { name: "solo", version: "1.0.0", docsOnly: true }), {
    dir,
    what: "docs",
  });
  assert.equal(
    await Deno.lstat(join(dir, "docs", "solo-1.0.0.tar.gz")).catch(() => undefined),
    undefined,
  );
  assert.ok(await Deno.lstat(join(dir, "tarballs", "solo-1.0.0.tar")));
  await assert.rejects(
    revertLocal(deps, { name: "solo", version: "1.0.0", docsOnly: true }),
    /solo 1\.0\.0 has no docs in the local repository/,
  );

  assert.deepEqual(await revertLocal(deps, { name: "solo", version: "1.1.0", docsOnly: false }), {
    dir,
    what: "package",
  });
  for (const f of ["tarballs/solo-1.1.0.tar", "docs/solo-1.1.0.tar.gz"]) {
    assert.equal(await Deno.lstat(join(dir, f)).catch(() => undefined), undefined, f);
  }
  let reg = await registry();
  assert.deepEqual(reg.pkg!.releases.map((r) => r.version), ["1.0.0"]);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "retirements.json"))), {
    retirements: {},
  });
  await assert.rejects(
    revertLocal(deps, { name: "solo", version: "1.1.0", docsOnly: false }),
    /solo 1\.1\.0 is not in the local repository[\s\S]*/,
  );

  // The last release: the package leaves the registry.
  await revertLocal(deps, { name: "solo", version: "1.0.0", docsOnly: false });
  reg = await registry();
  assert.equal(reg.pkg, undefined);
  assert.deepEqual(reg.versions.packages, []);
});

Deno.test("owner commands on the local repository say it has no owners", async () => {
  const { deps } = await localRepo();
  await assert.rejects(ownerList(deps, { repo: "local", pkg: "solo" }), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, "the local repository has no owners");
    return true;
  });
  await assert.rejects(
    ownerAdd(deps, { repo: "local", pkg: "solo", user: "bob", level: "full", transfer: false }),
    /the local repository has no owners/,
  );
});
