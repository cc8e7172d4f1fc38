/**
 * A Hex repository directory as a backend: the one place that publishes,
 * reverts, retires and changes owners in it, answers what it holds (releases,
 * their facts, owners, retirements, public files with their ETags) and keeps
 * the caches of those answers. `hexpub serve` (through the HTTP adapter in
 * `server.ts`), `repo build` and the built-in `local` repository all use it.
 *
 * Writes run one at a time: in this process in order, and across processes
 * under the repository's file lock (`withRepoLock`; see `store_core.ts`).
 * Each snapshots the files it touches, writes atomically, rebuilds the signed
 * registry, and puts every file back when a step fails. After each write the
 * caches start over.
 *
 * A write names who makes it (`as`, a user: the name of one of the
 * repository's API keys), and then hex.pm's ownership rules apply (see
 * `owner_rules.ts`); without `as` it is the repository's administrator on
 * this machine (`publish -r local`, `hexpub serve owner add`), whom they do
 * not bind. Refusals are values ({@link Refusal}), for the caller to word.
 *
 * This class is the interface; the work is in `store_reads.ts`,
 * `store_publish.ts` and `store_owners.ts`, and the answers' shapes in
 * `store_types.ts`.
 *
 * @module
 */
import { join } from "node:path";
import type { Deps } from "../ports.ts";
import type { OwnerEdit } from "./owner_rules.ts";
import type { ReleaseFacts } from "./release_reader.ts";
import {
  buildRepository,
  type BuildSummary,
  initRepository,
  REPO_CONFIG,
  type RepoDir,
} from "./repository_dir.ts";
import { releasesByName, tarballPath } from "./repository_ops.ts";
import type { OwnerLevel, Owners, StoredOwner } from "./repository_state.ts";
import { checkServeKey } from "./server_keys.ts";
import type { TaggedFile } from "./store_caches.ts";
import { StoreCore } from "./store_core.ts";
import { editOwner, grantOwner, retire, type RetireInput } from "./store_owners.ts";
import {
  publish,
  type PublishInput,
  putDocs,
  type ReleaseInput,
  removeDocs,
  revert,
} from "./store_publish.ts";
import { packageInfo, publicFile, releaseInfo, searchPackages } from "./store_reads.ts";
import type { OwnerChange, PackageInfo, Published, Refusal, ReleaseInfo } from "./store_types.ts";

// What src/tasks imports from here (the answers' shapes are in `store_types.ts`).
export { isRefusal } from "./store_types.ts";
export type { OwnerChange, Refusal };

/** A repository directory as a backend (see the module comment). */
export class RepositoryStore {
  readonly #core: StoreCore;

  /** Use {@link RepositoryStore.open} unless `repo` comes from `initRepository`. */
  constructor(deps: Deps, readonly repo: RepoDir) {
    this.#core = new StoreCore(deps, repo);
  }

  /**
   * Creates the repository directory `dir` (layout, name, key pair) or opens
   * an existing one.
   *
   * @throws {UsageError} When the directory holds another repository's name.
   */
  static async open(deps: Deps, dir: string, name?: string): Promise<RepositoryStore> {
    return new RepositoryStore(deps, await initRepository(deps, dir, name));
  }

  /** Opens the repository in `dir`, or `undefined` when `dir` is not one (creating nothing). */
  static async openExisting(
    deps: Deps,
    dir: string,
    name?: string,
  ): Promise<RepositoryStore | undefined> {
    if ((await deps.fs.lstat(join(dir, REPO_CONFIG)))?.kind !== "file") return undefined;
    return await RepositoryStore.open(deps, dir, name);
  }

  /** The repository's directory. */
  get dir(): string {
    return this.repo.dir;
  }

  /** The repository's name. */
  get name(): string {
    return this.repo.name;
  }

  /** Where the tarball of a release is kept. */
  tarballPath(name: string, version: string): string {
    return tarballPath(this.dir, name, version);
  }

  // ---- reads ----

  /** The releases in `tarballs/`, by package name, each in ascending SemVer order. */
  releases(): Promise<Map<string, string[]>> {
    return releasesByName(this.#core.deps, this.dir);
  }

  /** The versions of package `name`, in ascending SemVer order. */
  versions(name: string): Promise<string[]> {
    return this.#core.versions(name);
  }

  /** The owners of every package. */
  owners(): Promise<Owners> {
    return this.#core.owners();
  }

  /** The owners of package `name`, or `undefined` when it has no release. */
  async ownersOf(name: string): Promise<StoredOwner[] | undefined> {
    if ((await this.versions(name)).length === 0) return undefined;
    return (await this.owners()).get(name) ?? [];
  }

  /** The repository's users: the names of its API keys. */
  users(): Promise<string[]> {
    return this.#core.users();
  }

  /** The user whose API key is `secret`, or `undefined`. */
  authenticate(secret: string): Promise<string | undefined> {
    return checkServeKey(this.#core.deps, this.dir, secret);
  }

  /** The packages `user` owns, by name. */
  async packagesOf(user: string): Promise<string[]> {
    return [...(await this.owners())]
      .filter(([, list]) => list.some((o) => o.username === user))
      .map(([pkg]) => pkg)
      .sort();
  }

  /**
   * The facts of release `name` `version`, read from its tarball once per
   * version of the file; `undefined` when there is no such release.
   *
   * @throws {Error} When the tarball cannot be read as a package.
   */
  releaseFacts(name: string, version: string): Promise<ReleaseFacts | undefined> {
    return this.#core.releaseFacts(name, version);
  }

  /** Release `name` `version` (with `facts` when the caller has them), or `undefined`. */
  release(name: string, version: string, facts?: ReleaseFacts): Promise<ReleaseInfo | undefined> {
    return releaseInfo(this.#core, name, version, facts);
  }

  /** Package `name`, or `undefined` when it has no release. */
  package(name: string): Promise<PackageInfo | undefined> {
    return packageInfo(this.#core, name);
  }

  /** The packages whose name holds `query`, by name, page `page` (from 1) of `perPage`. */
  search(query: string, page: number, perPage: number): Promise<PackageInfo[]> {
    return searchPackages(this.#core, query, page, perPage);
  }

  /**
   * A public file of the repository by its path segments (already checked to
   * be plain names), with its ETag; `undefined` for a path that is not one
   * or a file reached through a symlink (see `store_reads.ts`).
   */
  publicFile(parts: string[]): Promise<TaggedFile | undefined> {
    return publicFile(this.#core, parts);
  }

  // ---- writes ----

  /**
   * Publishes a package tarball (checked in full, as hex_core unpacks it),
   * and its docs when given, then rebuilds the registry. A user publishing a
   * brand-new package becomes its full owner.
   */
  publish(input: PublishInput): Promise<Published | Refusal> {
    return publish(this.#core, input);
  }

  /** Deletes a release (its tarball, docs and retirement) and rebuilds the registry. */
  revert(input: ReleaseInput): Promise<"reverted" | Refusal> {
    return revert(this.#core, input);
  }

  /** Puts (or replaces) the docs of a release, checked as hex_core unpacks them. */
  putDocs(input: ReleaseInput & { docs: Uint8Array }): Promise<"published" | Refusal> {
    return putDocs(this.#core, input);
  }

  /** Deletes the docs of a release. */
  removeDocs(input: ReleaseInput): Promise<"removed" | Refusal> {
    return removeDocs(this.#core, input);
  }

  /**
   * Retires (with `retirement`: hex.pm's `{reason, message}` parameters) or
   * unretires release `version` of package `name`, or without `version` every
   * release (those already retired only with `replace`), then rebuilds the
   * registry when anything changed.
   *
   * @returns The versions whose retirement was set or cleared.
   */
  retire(input: RetireInput): Promise<{ versions: string[] } | Refusal> {
    return retire(this.#core, input);
  }

  /** Adds, changes or removes an owner of package `name`, as full owner `as` (hex.pm's rules). */
  editOwner(name: string, edit: OwnerEdit, as: string): Promise<"changed" | Refusal> {
    return editOwner(this.#core, name, edit, as);
  }

  /**
   * The administrator's owner change (`hexpub serve owner add`): makes
   * `user` an owner of package `name` at `level`, or changes the level of an
   * existing owner, whatever its owners are.
   *
   * @returns What changed; `unknown_user` when no API key is named `user`,
   *   `not_found` when the package has no release.
   */
  grantOwner(
    input: { name: string; user: string; level: OwnerLevel },
  ): Promise<OwnerChange | Refusal> {
    return grantOwner(this.#core, input);
  }

  /**
   * Repairs what a writer that died left (`hexpub serve` on start): removes
   * half-written temporary files and, when a write was under way or the
   * registry does not list exactly the tarballs, rebuilds it (see
   * `repairRepository`).
   */
  repair(): Promise<{ rebuilt: boolean; leftovers: number }> {
    return this.#core.repair();
  }

  /** Rebuilds the signed registry from `tarballs/` (`hexpub repo build`). */
  build(): Promise<BuildSummary> {
    return this.#core.write(() => buildRepository(this.#core.deps, this.repo));
  }
}
