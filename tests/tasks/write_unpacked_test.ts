/** The unpack writer refuses on its own what unpacking refuses, and the names hexpub writes. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { writeUnpacked } from "../../src/tasks/write_unpacked.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("the unpack writer itself refuses what unpacking refuses, and hexpub's own names", async () => {
  const base = await Deno.makeTempDir();
  const deps = testDeps(base);
  const entry = (path: string, target: string) => ({
    path,
    kind: "symlink" as const,
    mode: 0o777,
    target,
  });
  for (
    const [files, pattern] of [
      [[entry(".hexpub-unpack", "../../x")], /a name hexpub writes itself/],
      [[entry("HEX_METADATA.config", "../x")], /a name hexpub writes itself/],
      [[entry("a\\b", "c")], /a backslash/],
      [[entry("d/B", ".."), entry("x", "d/b/../..")], /passes through the symlink d\/b/],
    ] as const
  ) {
    await assert.rejects(
      () => writeUnpacked(deps, join(base, "out"), { files: [...files] }),
      pattern,
    );
  }
  const left: string[] = [];
  for await (const e of Deno.readDir(base)) left.push(e.name);
  assert.deepEqual(left, []);
});
