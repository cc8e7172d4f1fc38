/**
 * The core of a `RepositoryStore` (`store.ts`): its directory, its caches, and the
 * one way it writes — one write at a time, in this process in order and
 * across processes under the repository's file lock, after which the caches
 * start over — with the reads every operation shares and the ownership check
 * every user's write starts with (`owner_rules.ts`).
 *
 * The store's operations (`store_reads.ts`, `store_publish.ts`,
 * `store_owners.ts`) are functions of a core; only the store holds one.
 *
 * @module
 */
import type { Deps } from "../ports.ts";
import { type Access, access } from "./owner_rules.ts";
import { readStoredRelease, type ReleaseFacts } from "./release_reader.ts";
import { join } from "node:path";
import { repairRepository, type RepoDir, withRepoLock, WRITE_MARKER } from "./repository_dir.ts";
import { tarballPath, versionsOf } from "./repository_ops.ts";
import { type Owners, readOwners } from "./repository_state.ts";
import { readServeKeys } from "./server_keys.ts";
import { FactsCache, TagCache } from "./store_caches.ts";
import { isRefusal, type Refusal } from "./store_types.ts";

/** A serial lock: each task starts when the previous one has settled. */
function serialLock(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

/** A repository directory, its caches and its write lock (see the module comment). */
export class StoreCore {
  readonly #serial = serialLock();
  /** Release facts by tarball path. */
  readonly facts: FactsCache;
  /** Public files' ETags (and small files' bytes) by path. */
  readonly tags: TagCache;

  constructor(readonly deps: Deps, readonly repo: RepoDir) {
    this.facts = new FactsCache(deps);
    this.tags = new TagCache(deps);
  }

  /** The repository's directory. */
  get dir(): string {
    return this.repo.dir;
  }

  /**
   * Runs `task` as a write: after the writes before it in this process,
   * under the repository's file lock (shared with `repo build`, `publish -r
   * local`, another `serve`); afterwards the caches start over (see
   * `store_caches.ts`).
   *
   * A write first repairs what a writer that died left (see
   * `repairRepository`), then marks itself under way ({@link WRITE_MARKER})
   * until `task` has finished, so that a write killed half-way is repaired by
   * the next one. A `task` that fails keeps the mark: the next write rebuilds.
   *
   * @param signal Abandons the write, before the lock is taken or while
   *   waiting for it, when aborted (the client is gone): rejects with its reason.
   */
  write<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#serial(() => {
      signal?.throwIfAborted();
      return withRepoLock(this.deps, this.dir, async () => {
        try {
          signal?.throwIfAborted();
          await repairRepository(this.deps, this.repo);
          const marker = join(this.dir, WRITE_MARKER);
          await this.deps.fs.writeFile(marker, new Uint8Array());
          let result: T;
          try {
            result = await task();
          } catch (e) {
            // Abandoned for a client that is gone: the task wrote nothing, or put it back.
            if (signal?.aborted && e === signal.reason) await this.deps.fs.remove(marker);
            throw e;
          }
          await this.deps.fs.remove(marker);
          return result;
        } finally {
          this.facts.clear();
          this.tags.clear();
        }
      }, signal);
    });
  }

  /**
   * Repairs the repository as a write would before starting, and also when
   * its registry does not list exactly the tarballs (`hexpub serve` on start).
   */
  repair(): Promise<{ rebuilt: boolean; leftovers: number }> {
    return this.#serial(() =>
      withRepoLock(this.deps, this.dir, async () => {
        try {
          return await repairRepository(this.deps, this.repo, { check: true });
        } finally {
          this.facts.clear();
          this.tags.clear();
        }
      })
    );
  }

  /** Whether `path` is a regular file (not reached through a symlink). */
  async isFile(path: string): Promise<boolean> {
    return (await this.deps.fs.lstat(path))?.kind === "file";
  }

  /** The versions of package `name`, in ascending SemVer order. */
  versions(name: string): Promise<string[]> {
    return versionsOf(this.deps, this.dir, name);
  }

  /** The owners of every package. */
  owners(): Promise<Owners> {
    return readOwners(this.deps, this.dir);
  }

  /** The repository's users: the names of its API keys. */
  async users(): Promise<string[]> {
    return (await readServeKeys(this.deps, this.dir)).map((k) => k.name);
  }

  /**
   * The facts of release `name` `version`, read from its tarball once per
   * version of the file; `undefined` when there is no such release.
   *
   * @throws {Error} When the tarball cannot be read as a package.
   */
  releaseFacts(name: string, version: string): Promise<ReleaseFacts | undefined> {
    return this.facts.get(
      tarballPath(this.dir, name, version),
      async (bytes) => (await readStoredRelease(bytes, `${name}-${version}.tar`)).facts,
    );
  }

  /**
   * The versions of package `name`, once `as` may write to it with ownership
   * `need`: `not_found` for a user writing to an unknown package, `unowned`
   * or `forbidden` by the ownership rules. The administrator (no `as`)
   * passes.
   */
  async writable(
    name: string,
    as: string | undefined,
    need: "owner" | "full",
  ): Promise<string[] | Refusal> {
    const versions = await this.versions(name);
    if (as === undefined) return versions;
    if (versions.length === 0) return { refused: "not_found" };
    const who = accessRefusal(name, access(await this.owners(), name, as, need, false));
    return who ?? versions;
  }

  /**
   * Why `as` may not write to release `name` `version` as an owner (see
   * {@link StoreCore.writable}), or `not_found` when there is no such
   * release; `undefined` when it may.
   */
  async releaseRefusal(
    name: string,
    version: string,
    as: string | undefined,
  ): Promise<Refusal | undefined> {
    const versions = await this.writable(name, as, "owner");
    if (isRefusal(versions)) return versions;
    return versions.includes(version) ? undefined : { refused: "not_found" };
  }
}

/** The refusal an {@link access} decision on package `name` means, if any. */
export function accessRefusal(name: string, who: Access): Refusal | undefined {
  if (who === "unowned") return { refused: who, name };
  if (who === "forbidden") return { refused: who };
  return undefined;
}
