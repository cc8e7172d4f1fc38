/**
 * Writes to a repository directory shared by `hexpub serve` and the built-in
 * `local` repository: revert a release and retire or unretire releases. Each one runs holding the repository's write lock (the caller
 * takes it), snapshots the files it touches, rebuilds the signed registry,
 * and puts every file back (and rebuilds again) when a step fails.
 *
 * These are the store's building blocks (`store.ts`); other callers go
 * through the store.
 *
 * @module
 */
import { join } from "node:path";
import type { Deps } from "../ports.ts";
import { compareVersions, parseVersion } from "../rules/version.ts";
import { buildRepository, type RepoDir } from "./repository_dir.ts";
import {
  OWNERS_FILE,
  readRetirements,
  RETIREMENTS_FILE,
  type StoredRetirement,
  withUndo,
  writeRetirements,
} from "./repository_state.ts";

/** Where the tarball of a release lives. */
export function tarballPath(dir: string, name: string, version: string): string {
  return join(dir, "tarballs", `${name}-${version}.tar`);
}

/** Where the docs of a release live. */
export function docsPath(dir: string, name: string, version: string): string {
  return join(dir, "docs", `${name}-${version}.tar.gz`);
}

/** Splits `NAME-VERSION.tar` (package names have no `-`). */
function splitTarball(file: string): { name: string; version: string } | undefined {
  const m = /^([a-z][a-z0-9_]*)-(.+)\.tar$/.exec(file);
  return m && parseVersion(m[2]) ? { name: m[1], version: m[2] } : undefined;
}

/** The releases in `tarballs/`, by package name, each list in ascending SemVer order. */
export async function releasesByName(deps: Deps, dir: string): Promise<Map<string, string[]>> {
  const files = await deps.fs.readDir(join(dir, "tarballs")).catch(() => [] as string[]);
  const out = new Map<string, string[]>();
  for (const f of files) {
    const t = splitTarball(f);
    if (t) out.set(t.name, [...(out.get(t.name) ?? []), t.version]);
  }
  for (const versions of out.values()) {
    versions.sort((a, b) => compareVersions(parseVersion(a)!, parseVersion(b)!));
  }
  return out;
}

/** The versions of package `name` in `tarballs/`, in ascending SemVer order. */
export async function versionsOf(deps: Deps, dir: string, name: string): Promise<string[]> {
  return (await releasesByName(deps, dir)).get(name) ?? [];
}

const isFile = async (deps: Deps, path: string) => (await deps.fs.lstat(path))?.kind === "file";

/** The files any write may touch for one release; snapshotted before it. */
function touched(dir: string, name: string, version: string): string[] {
  return [
    tarballPath(dir, name, version),
    docsPath(dir, name, version),
    join(dir, RETIREMENTS_FILE),
    join(dir, OWNERS_FILE),
  ];
}

/**
 * Runs `work` holding a snapshot of the files a write to release `name
 * version` may touch (its tarball and docs, the retirements and the owners);
 * when `work` throws, they are put back and the registry is rebuilt. Call it
 * holding the repository's write lock.
 */
export function releaseWrite<T>(
  deps: Deps,
  repo: RepoDir,
  release: { name: string; version: string },
  work: () => Promise<T>,
): Promise<T> {
  return withUndo(
    deps,
    touched(repo.dir, release.name, release.version),
    work,
    () => buildRepository(deps, repo),
  );
}

/**
 * Deletes release `name` `version` (its tarball, docs and retirement) and
 * rebuilds the registry. Call it holding the repository's write lock, once
 * the release is known to be there; on failure every file is put back.
 */
export async function revertRelease(
  deps: Deps,
  repo: RepoDir,
  release: { name: string; version: string },
): Promise<void> {
  const tar = tarballPath(repo.dir, release.name, release.version);
  const docs = docsPath(repo.dir, release.name, release.version);
  await releaseWrite(deps, repo, release, async () => {
    await deps.fs.remove(tar);
    if (await isFile(deps, docs)) await deps.fs.remove(docs);
    const retirements = await readRetirements(deps, repo.dir);
    if (retirements.get(release.name)?.delete(release.version)) {
      await writeRetirements(deps, repo.dir, retirements);
    }
    // Owners stay, even after the last release (see `pruneState`).
    await buildRepository(deps, repo);
  });
}

/**
 * Sets (or with `undefined`, clears) the retirement of each listed version of
 * package `name`, then rebuilds the registry when anything changed. Call it
 * holding the repository's write lock; on failure every file is put back.
 *
 * @returns Whether anything changed.
 */
export async function setRetirements(
  deps: Deps,
  repo: RepoDir,
  name: string,
  changes: Map<string, StoredRetirement | undefined>,
): Promise<boolean> {
  const path = join(repo.dir, RETIREMENTS_FILE);
  return await withUndo(deps, [path], async () => {
    const all = await readRetirements(deps, repo.dir);
    const mine = all.get(name) ?? new Map<string, StoredRetirement>();
    let changed = false;
    for (const [version, r] of changes) {
      const before = mine.get(version);
      if (r === undefined) {
        changed = mine.delete(version) || changed;
      } else if (before?.reason !== r.reason || before?.message !== r.message) {
        mine.set(version, r);
        changed = true;
      }
    }
    if (!changed) return false;
    all.set(name, mine);
    await writeRetirements(deps, repo.dir, all);
    await buildRepository(deps, repo);
    return true;
  }, () => buildRepository(deps, repo));
}
