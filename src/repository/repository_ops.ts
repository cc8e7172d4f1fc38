/**
 * Writes to a repository directory shared by `hexpub serve` and the built-in
 * `local` repository: revert a release (or its docs) and retire or unretire
 * releases. Each one runs holding the repository's write lock (the caller
 * takes it), snapshots the files it touches, rebuilds the signed registry,
 * and puts every file back (and rebuilds again) when a step fails.
 *
 * Also the server-side owner commands (`hexpub serve owner add|list`), which
 * edit `owners.json` directly, under the lock they take themselves: the only
 * way to give an owner to a package that has none (one put in by `publish -r
 * local`, `repo build` or a copied tarball).
 *
 * @module
 */
import { join } from "node:path";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { compareVersions, parseVersion } from "../hex/version.ts";
import { buildRepository, REPO_CONFIG, type RepoDir, withRepoLock } from "./repository_dir.ts";
import {
  type OwnerLevel,
  OWNERS_FILE,
  readOwners,
  readRetirements,
  RETIREMENTS_FILE,
  type StoredOwner,
  type StoredRetirement,
  withUndo,
  writeOwners,
  writeRetirements,
} from "./repository_state.ts";
import { readServeKeys } from "./server_keys.ts";

/** Where the tarball of a release lives. */
export function tarballPath(dir: string, name: string, version: string): string {
  return join(dir, "tarballs", `${name}-${version}.tar`);
}

/** Where the docs of a release live. */
export function docsPath(dir: string, name: string, version: string): string {
  return join(dir, "docs", `${name}-${version}.tar.gz`);
}

/** Splits `NAME-VERSION.tar` (package names have no `-`). */
export function splitTarball(file: string): { name: string; version: string } | undefined {
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

/** What {@link revertRelease} did. */
export type RevertOutcome = "reverted" | "no_release" | "no_docs";

/**
 * Deletes a release (its tarball, docs and retirement) and rebuilds the
 * registry, or with `docsOnly` deletes only its docs. Call it holding the
 * repository's write lock; on failure every file is put back.
 */
export async function revertRelease(
  deps: Deps,
  repo: RepoDir,
  input: { name: string; version: string; docsOnly: boolean },
): Promise<RevertOutcome> {
  const tar = tarballPath(repo.dir, input.name, input.version);
  const docs = docsPath(repo.dir, input.name, input.version);
  if (input.docsOnly) {
    if (!(await isFile(deps, docs))) return "no_docs";
    await withUndo(deps, [docs], () => deps.fs.remove(docs));
    return "reverted";
  }
  if (!(await isFile(deps, tar))) return "no_release";
  await releaseWrite(deps, repo, input, async () => {
    await deps.fs.remove(tar);
    if (await isFile(deps, docs)) await deps.fs.remove(docs);
    const retirements = await readRetirements(deps, repo.dir);
    if (retirements.get(input.name)?.delete(input.version)) {
      await writeRetirements(deps, repo.dir, retirements);
    }
    // The build also drops the owners of a package whose last release this was.
    await buildRepository(deps, repo);
  });
  return "reverted";
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

const PACKAGE_NAME = /^[a-z][a-z0-9_]*$/;

/** Refuses a directory that is not a repository, and a malformed package name. */
async function checkOwnerTarget(deps: Deps, dir: string, name: string): Promise<void> {
  if ((await deps.fs.lstat(join(dir, REPO_CONFIG)))?.kind !== "file") {
    throw new HexpubError(`${dir} is not a repository directory (it has no ${REPO_CONFIG})`, {
      hint: "Give the directory `hexpub serve` serves, e.g. `hexpub serve owner add DIR PKG USER`",
    });
  }
  if (!PACKAGE_NAME.test(name)) {
    throw new UsageError(`invalid package name "${name}"`, {
      hint: "Package names are lower-case letters, digits and _, starting with a letter",
    });
  }
}

/** Refuses a package with no release in repository `dir`. */
async function checkPackage(deps: Deps, dir: string, name: string): Promise<void> {
  if ((await versionsOf(deps, dir, name)).length > 0) return;
  throw new HexpubError(`package ${name} is not in the repository at ${dir}`, {
    hint: `Only packages with a release in ${
      join(dir, "tarballs")
    } have owners; a new package is owned by whoever publishes it first`,
  });
}

/** What {@link addOwnerLocally} did. */
export interface OwnerChange {
  outcome: "added" | "changed" | "unchanged";
  /** The package's owners afterwards. */
  owners: StoredOwner[];
}

/**
 * Makes `user` an owner of package `name` at `level`, editing `owners.json`
 * of repository `dir` under its write lock (the server-side `hexpub serve
 * owner add`): adds the user, or changes the level of an existing owner.
 *
 * @throws {HexpubError} When `dir` is not a repository, the package has no
 *   release there, or `user` is not the name of one of its API keys.
 * @throws {UsageError} For a malformed package name or an unknown level.
 */
export async function addOwnerLocally(
  deps: Deps,
  dir: string,
  input: { name: string; user: string; level: string },
): Promise<OwnerChange> {
  const { name, user } = input;
  if (input.level !== "full" && input.level !== "maintainer") {
    throw new UsageError(`invalid owner level "${input.level}"`, {
      hint: "Use --level full or --level maintainer",
    });
  }
  const level: OwnerLevel = input.level;
  await checkOwnerTarget(deps, dir, name);
  return await withRepoLock(deps, dir, async () => {
    const users = (await readServeKeys(deps, dir)).map((k) => k.name);
    if (!users.includes(user)) {
      throw new HexpubError(`${user} is not a user of the repository at ${dir}`, {
        hint: `Users are the names of its API keys (${
          users.length ? users.join(", ") : "it has none yet"
        }); make one with \`hexpub serve key generate ${dir} --key-name ${user}\``,
      });
    }
    await checkPackage(deps, dir, name);
    const all = await readOwners(deps, dir);
    const current = all.get(name) ?? [];
    const existing = current.find((o) => o.username === user);
    if (existing?.level === level) return { outcome: "unchanged", owners: current };
    const next: StoredOwner[] = existing
      ? current.map((o) => o.username === user ? { username: user, level } : o)
      : [...current, { username: user, level }];
    all.set(name, next);
    await writeOwners(deps, dir, all);
    return { outcome: existing ? "changed" : "added", owners: next };
  });
}

/**
 * The owners of package `name` in repository `dir` (the server-side `hexpub
 * serve owner list`); an empty list for a package nobody owns yet.
 *
 * @throws {HexpubError} When `dir` is not a repository or the package has no release there.
 */
export async function ownersLocally(
  deps: Deps,
  dir: string,
  name: string,
): Promise<StoredOwner[]> {
  await checkOwnerTarget(deps, dir, name);
  await checkPackage(deps, dir, name);
  return (await readOwners(deps, dir)).get(name) ?? [];
}
