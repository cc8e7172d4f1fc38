/**
 * A small snapshot check: each snapshot is a text file,
 * `tests/__snapshots__/GROUP/NAME.txt`, compared byte for byte. Run the tests
 * with `UPDATE_SNAPSHOTS=1` (or `UPDATE=1`) to write them instead, then review
 * the diff in git. (`@std/testing`'s `assertSnapshot` would do, but it is on
 * JSR, which this project does not resolve.)
 *
 * @module
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the snapshot files live. */
export const SNAPSHOT_ROOT: string = fileURLToPath(new URL("../__snapshots__/", import.meta.url));

/** Whether this run writes snapshots instead of checking them. */
export function updatingSnapshots(): boolean {
  const on = (v: string | undefined) => v !== undefined && v !== "" && v !== "0";
  return on(Deno.env.get("UPDATE_SNAPSHOTS")) || on(Deno.env.get("UPDATE"));
}

/** The file name a snapshot is stored under: `name` with anything unusual as `_`. */
export function snapshotFile(group: string, name: string): string {
  const slug = name.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[._]+|_+$/g, "") || "_";
  return join(SNAPSHOT_ROOT, group, `${slug}.txt`);
}

/**
 * Checks `actual` against the stored snapshot `group/name` (a missing one fails),
 * or stores it when updating.
 */
export async function assertSnapshot(group: string, name: string, actual: string): Promise<void> {
  const path = snapshotFile(group, name);
  const text = actual.endsWith("\n") ? actual : `${actual}\n`;
  if (updatingSnapshots()) {
    await Deno.mkdir(join(SNAPSHOT_ROOT, group), { recursive: true });
    await Deno.writeTextFile(path, text);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new assert.AssertionError({
      message: `no snapshot ${group}/${name} at ${path}: run with UPDATE_SNAPSHOTS=1 to write it`,
    });
  }
  assert.equal(
    text,
    expected,
    `snapshot ${group}/${name} differs (UPDATE_SNAPSHOTS=1 rewrites it)`,
  );
}

/**
 * Fails when `group` holds a snapshot file none of `names` maps to (a command or case
 * that went away); when updating, deletes those files instead.
 */
export async function assertNoStaleSnapshots(
  group: string,
  names: Iterable<string>,
): Promise<void> {
  const wanted = new Set([...names].map((n) => snapshotFile(group, n)));
  const dir = join(SNAPSHOT_ROOT, group);
  const stale: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isFile && !wanted.has(path)) stale.push(path);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (updatingSnapshots()) {
    for (const path of stale) await Deno.remove(path);
    return;
  }
  assert.deepEqual(stale, [], "stale snapshots (UPDATE_SNAPSHOTS=1 deletes them)");
}
