/**
 * Retirements and owners kept in a repository directory: validation as
 * hex.pm's changeset does it, the registry build putting retirements into the
 * signed files (kept by `repo build`, dropped with their release), refusal of
 * a malformed state file, and the undo of a failed write.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { HexpubError } from "../../src/errors.ts";
import { buildRepository, initRepository } from "../../src/repository/repository_dir.ts";
import {
  readOwners,
  readRetirements,
  validateRetirement,
  withUndo,
  writeOwners,
  writeRetirements,
} from "../../src/repository/repository_state.ts";
import { testDeps } from "../support/test_deps.ts";
import { registryOf, tarball } from "./repo_fixtures.ts";

Deno.test("validateRetirement follows hex.pm's changeset", () => {
  assert.deepEqual(validateRetirement({ reason: "security", message: "CVE-1" }), {
    retirement: { reason: "security", message: "CVE-1" },
  });
  assert.deepEqual(validateRetirement({ reason: "other", message: "" }), {
    retirement: { reason: "other" },
  });
  assert.deepEqual(validateRetirement({ reason: "renamed", message: null }), {
    retirement: { reason: "renamed" },
  });
  // Characters are graphemes, as Elixir counts them: three flags are 3, not 12.
  assert.ok("retirement" in validateRetirement({ reason: "other", message: "🇫🇷🇩🇪🇮🇹" }));
  assert.deepEqual(validateRetirement({ reason: "other", message: "🇫🇷🇩🇪" }), {
    errors: { message: "should be at least 3 character(s)" },
  });
  assert.deepEqual(validateRetirement({}), { errors: { reason: "can't be blank" } });
  assert.deepEqual(validateRetirement({ reason: "  " }), { errors: { reason: "can't be blank" } });
  assert.deepEqual(validateRetirement({ reason: "Security", message: ["x"] }), {
    errors: { reason: "is invalid", message: "is invalid" },
  });
});

Deno.test("the registry build puts retirements in packages/NAME and versions; repo build keeps them; a removed release drops its own", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "r"), "r");
  for (const v of ["0.9.0", "1.0.0", "1.1.0-rc.1"]) {
    await Deno.writeFile(
      join(repo.dir, "tarballs", `gizmo-${v}.tar`),
      (await tarball("gizmo", v)).tarball,
    );
  }
  await Deno.writeFile(
    join(repo.dir, "tarballs", "other-1.0.0.tar"),
    (await tarball("other", "1.0.0")).tarball,
  );
  await writeRetirements(
    deps,
    repo.dir,
    new Map([
      [
        "gizmo",
        new Map([
          ["0.9.0", { reason: "deprecated", message: "use 1.x" }],
          ["1.1.0-rc.1", { reason: "invalid" }],
        ]),
      ],
      ["gone", new Map([["1.0.0", { reason: "other" }]])],
    ]),
  );
  await writeOwners(deps, repo.dir, new Map([["gone", [{ username: "x", level: "full" }]]]));

  // `repo build` (the CLI) keeps them.
  assert.equal(await runCli(["repo", "build", "r"], deps), 0, deps.stderr.join("\n"));
  let reg = await registryOf(repo, "gizmo");
  assert.deepEqual(reg.pkg.releases.map((r) => [r.version, r.retired]), [
    ["0.9.0", { reason: 3, message: "use 1.x" }],
    ["1.0.0", undefined],
    ["1.1.0-rc.1", { reason: 1 }],
  ]);
  assert.deepEqual(reg.versions.packages, [
    { name: "gizmo", versions: ["0.9.0", "1.0.0", "1.1.0-rc.1"], retired: [0, 2] },
    { name: "other", versions: ["1.0.0"], retired: [] },
  ]);
  // Retirements of releases that are gone were dropped by the build; owners
  // stay (a name with no release left keeps its owners).
  assert.deepEqual([...(await readRetirements(deps, repo.dir)).keys()], ["gizmo"]);
  assert.deepEqual([...(await readOwners(deps, repo.dir)).keys()], ["gone"]);

  // A tarball removed by hand: its retirement goes with the next build, the other stays.
  await Deno.remove(join(repo.dir, "tarballs", "gizmo-0.9.0.tar"));
  await buildRepository(deps, repo);
  reg = await registryOf(repo, "gizmo");
  assert.deepEqual(reg.versions.packages[0], {
    name: "gizmo",
    versions: ["1.0.0", "1.1.0-rc.1"],
    retired: [1],
  });
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(repo.dir, "retirements.json"))), {
    retirements: { gizmo: { "1.1.0-rc.1": { reason: "invalid" } } },
  });
  // Put back, it is not retired any more.
  await Deno.writeFile(
    join(repo.dir, "tarballs", "gizmo-0.9.0.tar"),
    (await tarball("gizmo", "0.9.0")).tarball,
  );
  await buildRepository(deps, repo);
  assert.deepEqual((await registryOf(repo, "gizmo")).versions.packages[0].retired, [2]);
});

Deno.test("a malformed state file is refused, naming it, and nothing is rebuilt", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "r"), "r");
  const path = join(repo.dir, "retirements.json");
  for (
    const [text, pattern] of [
      ["{", /retirements\.json is not valid JSON/],
      ['{"retirements": []}', /retirements\.json: expected/],
      ['{"retirements": {"a": {"1.0.0": {"reason": "oops"}}}}', /a 1\.0\.0 is not/],
    ] as const
  ) {
    await Deno.writeTextFile(path, text);
    await assert.rejects(buildRepository(deps, repo), (e: Error) => {
      assert.ok(e instanceof HexpubError);
      assert.match(e.message, pattern);
      return true;
    });
  }
  assert.equal(await Deno.lstat(join(repo.dir, "names")).catch(() => undefined), undefined);
  await Deno.writeTextFile(join(repo.dir, "owners.json"), '{"owners": {"a": [{"username": 1}]}}');
  await assert.rejects(readOwners(deps, repo.dir), /owners\.json: an owner of a/);
});

Deno.test("withUndo puts back changed files, removes new ones, and runs the rebuild", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const a = join(work, "a");
  const b = join(work, "b");
  await Deno.writeTextFile(a, "before");
  let rebuilt = 0;
  await assert.rejects(
    withUndo(deps, [a, b], async () => {
      await Deno.writeTextFile(a, "after");
      await Deno.writeTextFile(b, "new");
      throw new Error("boom");
    }, () => Promise.resolve(rebuilt++)),
    /boom/,
  );
  assert.equal(await Deno.readTextFile(a), "before");
  assert.equal(await Deno.lstat(b).catch(() => undefined), undefined);
  assert.equal(rebuilt, 1);
  assert.equal(await withUndo(deps, [a], () => Promise.resolve(7)), 7);
  assert.equal(rebuilt, 1);
});
