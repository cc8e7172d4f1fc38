/**
 * A Hex repository directory as a backend: the one place that publishes,
 * reverts, retires and changes owners in it, answers what it holds (releases,
 * their facts, owners, retirements, public files with their ETags) and keeps
 * the caches of those answers. `hexpub serve` (through the HTTP adapter in
 * `server.ts`), `repo build` and the built-in `local` repository all use it.
 *
 * Writes run one at a time: in this process in order, and across processes
 * under the repository's file lock (`withRepoLock`). Each snapshots the files
 * it touches, writes atomically, rebuilds the signed registry, and puts every
 * file back when a step fails. After each write the caches start over.
 *
 * A write names who makes it (`as`, a user: the name of one of the
 * repository's API keys), and then hex.pm's ownership rules apply (see
 * `owner_rules.ts`); without `as` it is the repository's administrator on
 * this machine (`publish -r local`, `hexpub serve owner add`), whom they do
 * not bind. Refusals are values ({@link Refusal}), for the caller to word.
 *
 * @module
 */
import { join } from "node:path";
import { PACKAGE_NAME_FORMAT } from "../rules/package_name.ts";
import { TarballError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { type Term, textOf } from "../erlang/term.ts";
import { parseVersion } from "../rules/version.ts";
import { unpackDocs, unpackPackage } from "../tarball/unpack_package.ts";
import { access, editOwners, type OwnerEdit } from "./owner_rules.ts";
import { describeRelease, readStoredRelease, type ReleaseFacts } from "./release_reader.ts";
import {
  buildRepository,
  type BuildSummary,
  initRepository,
  REPO_CONFIG,
  type RepoDir,
  withRepoLock,
} from "./repository_dir.ts";
import {
  docsPath,
  releasesByName,
  releaseWrite,
  revertRelease,
  setRetirements,
  tarballPath,
  versionsOf,
} from "./repository_ops.ts";
import {
  type OwnerLevel,
  type Owners,
  OWNERS_FILE,
  readOwners,
  readRetirements,
  type StoredOwner,
  type StoredRetirement,
  validateRetirement,
  withUndo,
  writeOwners,
} from "./repository_state.ts";
import { checkServeKey, readServeKeys } from "./server_keys.ts";
import { FactsCache, TagCache, type TaggedFile } from "./store_caches.ts";

/**
 * Why a store refused a request (nothing was written):
 * - `not_found`: no such package or release;
 * - `no_docs`: the release has no docs;
 * - `forbidden`: the user is not (enough of) an owner;
 * - `unowned`: package `name` has releases but no owners, so no user may write;
 * - `exists`: the release is there and `replace` was not given;
 * - `invalid`: hex.pm's per-field errors (`{tar: …}`, `{retirement: {…}}`);
 * - `unknown_user`: no API key has that name (`users` lists them).
 */
export type Refusal =
  | { refused: "not_found" | "no_docs" | "forbidden" | "exists" }
  | { refused: "unowned"; name: string }
  | { refused: "invalid"; errors: Record<string, unknown> }
  | { refused: "unknown_user"; users: string[] };

/** Whether a store's answer is a refusal. */
export function isRefusal(x: unknown): x is Refusal {
  return typeof x === "object" && x !== null && "refused" in x;
}

/** A release as the store knows it. */
export interface ReleaseInfo {
  name: string;
  version: string;
  facts: ReleaseFacts;
  hasDocs: boolean;
  retirement?: StoredRetirement;
}

/** A package as the store knows it. */
export interface PackageInfo {
  name: string;
  /** Its versions, in ascending SemVer order (not empty). */
  versions: string[];
  /** The facts of its latest version. */
  latest: ReleaseFacts;
  /** The versions that have docs. */
  docs: Set<string>;
  retirements: Map<string, StoredRetirement>;
  owners: StoredOwner[];
}

/** What {@link RepositoryStore.publish} did. */
export interface Published {
  outcome: "created" | "replaced";
  name: string;
  version: string;
  /** Where the tarball now is. */
  path: string;
  facts: ReleaseFacts;
}

/** What {@link RepositoryStore.grantOwner} did. */
export interface OwnerChange {
  outcome: "added" | "changed" | "unchanged";
  /** The package's owners afterwards. */
  owners: StoredOwner[];
}

/** What package answers share within one request, read once. */
interface PackageContext {
  owners: Owners;
  retirements: Map<string, Map<string, StoredRetirement>>;
  /** The file names in `docs/`. */
  docs: Set<string>;
}

/** A serial lock: each task starts when the previous one has settled. */
function serialLock(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

const metaText = (metadata: [string, Term][], key: string) => {
  const t = metadata.find(([k]) => k === key)?.[1];
  return (t ? textOf(t) : undefined) ?? "";
};

const tarError = (key: string, e: unknown): Refusal => {
  if (e instanceof TarballError) return { refused: "invalid", errors: { [key]: e.message } };
  throw e;
};

/** A repository directory as a backend (see the module comment). */
export class RepositoryStore {
  readonly #deps: Deps;
  readonly #serial = serialLock();
  readonly #facts: FactsCache;
  readonly #tags: TagCache;

  /** Use {@link RepositoryStore.open} unless `repo` comes from `initRepository`. */
  constructor(deps: Deps, readonly repo: RepoDir) {
    this.#deps = deps;
    this.#facts = new FactsCache(deps);
    this.#tags = new TagCache(deps);
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

  // Writes run in this process's order, under the repository's file lock
  // (shared with `repo build`, `publish -r local`, another `serve`); after
  // each the caches start over (see `store_caches.ts`).
  #write<T>(task: () => Promise<T>): Promise<T> {
    return this.#serial(() =>
      withRepoLock(this.#deps, this.dir, async () => {
        try {
          return await task();
        } finally {
          this.#facts.clear();
          this.#tags.clear();
        }
      })
    );
  }

  async #isFile(path: string): Promise<boolean> {
    return (await this.#deps.fs.lstat(path))?.kind === "file";
  }

  /**
   * The versions of package `name`, once `as` may write to it with ownership
   * `need`: `not_found` for a user writing to an unknown package, `unowned`
   * or `forbidden` by the ownership rules. The administrator passes.
   */
  async #writable(
    name: string,
    as: string | undefined,
    need: "owner" | "full",
  ): Promise<string[] | Refusal> {
    const versions = await versionsOf(this.#deps, this.dir, name);
    if (as === undefined) return versions;
    if (versions.length === 0) return { refused: "not_found" };
    const who = access(await this.owners(), name, as, need, false);
    if (who === "unowned") return { refused: who, name };
    if (who === "forbidden") return { refused: who };
    return versions;
  }

  // ---- reads ----

  /** The releases in `tarballs/`, by package name, each in ascending SemVer order. */
  releases(): Promise<Map<string, string[]>> {
    return releasesByName(this.#deps, this.dir);
  }

  /** The versions of package `name`, in ascending SemVer order. */
  versions(name: string): Promise<string[]> {
    return versionsOf(this.#deps, this.dir, name);
  }

  /** The owners of every package. */
  owners(): Promise<Owners> {
    return readOwners(this.#deps, this.dir);
  }

  /** The owners of package `name`, or `undefined` when it has no release. */
  async ownersOf(name: string): Promise<StoredOwner[] | undefined> {
    if ((await this.versions(name)).length === 0) return undefined;
    return (await this.owners()).get(name) ?? [];
  }

  /** The repository's users: the names of its API keys. */
  async users(): Promise<string[]> {
    return (await readServeKeys(this.#deps, this.dir)).map((k) => k.name);
  }

  /** The user whose API key is `secret`, or `undefined`. */
  authenticate(secret: string): Promise<string | undefined> {
    return checkServeKey(this.#deps, this.dir, secret);
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
    return this.#facts.get(
      this.tarballPath(name, version),
      async (bytes) => (await readStoredRelease(bytes, `${name}-${version}.tar`)).facts,
    );
  }

  /** Release `name` `version` (with `facts` when the caller has them), or `undefined`. */
  async release(
    name: string,
    version: string,
    facts?: ReleaseFacts,
  ): Promise<ReleaseInfo | undefined> {
    facts ??= await this.releaseFacts(name, version);
    if (!facts) return undefined;
    const retirement = (await readRetirements(this.#deps, this.dir)).get(name)?.get(version);
    return {
      name,
      version,
      facts,
      hasDocs: await this.#isFile(docsPath(this.dir, name, version)),
      ...(retirement ? { retirement } : {}),
    };
  }

  async #context(): Promise<PackageContext> {
    return {
      owners: await this.owners(),
      retirements: await readRetirements(this.#deps, this.dir),
      docs: new Set(
        await this.#deps.fs.readDir(join(this.dir, "docs")).catch(() => [] as string[]),
      ),
    };
  }

  async #package(
    name: string,
    versions: string[],
    ctx: PackageContext,
  ): Promise<PackageInfo | undefined> {
    if (versions.length === 0) return undefined;
    const latest = await this.releaseFacts(name, versions[versions.length - 1]);
    if (!latest) return undefined; // reverted since `tarballs/` was listed
    return {
      name,
      versions,
      latest,
      docs: new Set(versions.filter((v) => ctx.docs.has(`${name}-${v}.tar.gz`))),
      retirements: ctx.retirements.get(name) ?? new Map(),
      owners: ctx.owners.get(name) ?? [],
    };
  }

  /** Package `name`, or `undefined` when it has no release. */
  async package(name: string): Promise<PackageInfo | undefined> {
    const versions = await this.versions(name);
    if (versions.length === 0) return undefined;
    return await this.#package(name, versions, await this.#context());
  }

  /** The packages whose name holds `query`, by name, page `page` (from 1) of `perPage`. */
  async search(query: string, page: number, perPage: number): Promise<PackageInfo[]> {
    const all = await this.releases();
    const names = [...all.keys()].filter((n) => n.includes(query)).sort()
      .slice((page - 1) * perPage, page * perPage);
    if (names.length === 0) return [];
    const ctx = await this.#context();
    const out: PackageInfo[] = [];
    for (const n of names) {
      const pkg = await this.#package(n, all.get(n)!, ctx);
      if (pkg) out.push(pkg);
    }
    return out;
  }

  /**
   * A public file of the repository, by its path segments (already checked
   * to be plain names): `names`, `versions`, `public_key`, `packages/NAME`,
   * `tarballs/NAME-VSN.tar` or `docs/NAME-VSN.tar.gz`, with its ETag;
   * `undefined` for any other path, and for a file reached through a
   * symlink (a symlinked `tarballs/` could point anywhere).
   */
  async publicFile(parts: string[]): Promise<TaggedFile | undefined> {
    const ok = (parts.length === 1 && ["names", "versions", "public_key"].includes(parts[0])) ||
      (parts.length === 2 && parts[0] === "packages" && PACKAGE_NAME_FORMAT.test(parts[1])) ||
      (parts.length === 2 && parts[0] === "tarballs" && parts[1].endsWith(".tar")) ||
      (parts.length === 2 && parts[0] === "docs" && parts[1].endsWith(".tar.gz"));
    if (!ok) return undefined;
    if (
      parts.length === 2 && (await this.#deps.fs.lstat(join(this.dir, parts[0])))?.kind !== "dir"
    ) {
      return undefined;
    }
    const path = join(this.dir, ...parts);
    const info = await this.#deps.fs.lstat(path);
    if (info?.kind !== "file") return undefined;
    return await this.#tags.get(path, info);
  }

  // ---- writes ----

  /**
   * Publishes a package tarball (checked in full, as hex_core unpacks it),
   * and its docs when given, then rebuilds the registry. A user publishing a
   * brand-new package becomes its full owner.
   */
  async publish(input: {
    tarball: Uint8Array;
    replace: boolean;
    docs?: Uint8Array;
    as?: string;
  }): Promise<Published | Refusal> {
    let unpacked;
    try {
      unpacked = await unpackPackage(input.tarball);
    } catch (e) {
      return tarError("tar", e);
    }
    if (input.docs) {
      try {
        await unpackDocs(input.docs);
      } catch (e) {
        return tarError("docs", e);
      }
    }
    const name = metaText(unpacked.metadata, "name");
    const version = metaText(unpacked.metadata, "version");
    if (!PACKAGE_NAME_FORMAT.test(name)) {
      return { refused: "invalid", errors: { name: "has invalid format" } };
    }
    if (!parseVersion(version)) {
      return { refused: "invalid", errors: { version: "is invalid SemVer" } };
    }
    const { facts } = describeRelease(
      unpacked.metadata,
      unpacked.innerChecksum,
      unpacked.outerChecksum,
    )!;
    const { as } = input;
    const path = this.tarballPath(name, version);
    return await this.#write(async (): Promise<Published | Refusal> => {
      let claim = false;
      if (as !== undefined) {
        const isNew = (await this.versions(name)).length === 0;
        const who = access(await this.owners(), name, as, "owner", isNew);
        if (who === "unowned") return { refused: who, name };
        if (who === "forbidden") return { refused: who };
        claim = who === "claim";
      }
      const existed = await this.#isFile(path);
      if (existed && !input.replace) return { refused: "exists" };
      return await releaseWrite(this.#deps, this.repo, { name, version }, async () => {
        await this.#deps.fs.writeFileAtomic(path, input.tarball);
        if (input.docs) {
          await this.#deps.fs.writeFileAtomic(docsPath(this.dir, name, version), input.docs);
        }
        if (claim) await this.#claim(name, as!);
        await buildRepository(this.#deps, this.repo);
        return { outcome: existed ? "replaced" : "created", name, version, path, facts };
      });
    });
  }

  /** Makes `user` the full owner of a new package (written by the caller's write). */
  async #claim(name: string, user: string): Promise<void> {
    const owners = await this.owners();
    if (owners.get(name)?.length) return;
    owners.set(name, [{ username: user, level: "full" }]);
    await writeOwners(this.#deps, this.dir, owners);
  }

  /** Deletes a release (its tarball, docs and retirement) and rebuilds the registry. */
  async revert(
    input: { name: string; version: string; as?: string },
  ): Promise<"reverted" | Refusal> {
    const { name, version } = input;
    return await this.#write(async () => {
      const versions = await this.#writable(name, input.as, "owner");
      if (isRefusal(versions)) return versions;
      if (!versions.includes(version)) return { refused: "not_found" };
      await revertRelease(this.#deps, this.repo, { name, version });
      return "reverted";
    });
  }

  /** Puts (or replaces) the docs of a release, checked as hex_core unpacks them. */
  async putDocs(input: {
    name: string;
    version: string;
    docs: Uint8Array;
    as?: string;
  }): Promise<"published" | Refusal> {
    try {
      await unpackDocs(input.docs);
    } catch (e) {
      return tarError("tar", e);
    }
    const path = docsPath(this.dir, input.name, input.version);
    return await this.#write(async () => {
      const versions = await this.#writable(input.name, input.as, "owner");
      if (isRefusal(versions)) return versions;
      if (!versions.includes(input.version)) return { refused: "not_found" };
      await withUndo(this.#deps, [path], () => this.#deps.fs.writeFileAtomic(path, input.docs));
      return "published";
    });
  }

  /** Deletes the docs of a release. */
  async removeDocs(
    input: { name: string; version: string; as?: string },
  ): Promise<"removed" | Refusal> {
    const path = docsPath(this.dir, input.name, input.version);
    return await this.#write(async () => {
      const versions = await this.#writable(input.name, input.as, "owner");
      if (isRefusal(versions)) return versions;
      if (!versions.includes(input.version)) return { refused: "not_found" };
      if (!(await this.#isFile(path))) return { refused: "no_docs" };
      await withUndo(this.#deps, [path], () => this.#deps.fs.remove(path));
      return "removed";
    });
  }

  /**
   * Retires (with `retirement`: hex.pm's `{reason, message}` parameters) or
   * unretires release `version` of package `name`, or without `version` every
   * release (those already retired only with `replace`), then rebuilds the
   * registry when anything changed.
   *
   * @returns The versions whose retirement was set or cleared.
   */
  async retire(input: {
    name: string;
    version?: string;
    retirement?: Record<string, unknown>;
    replace?: boolean;
    as?: string;
  }): Promise<{ versions: string[] } | Refusal> {
    const { name, version } = input;
    return await this.#write(async () => {
      const versions = await this.#writable(name, input.as, "owner");
      if (isRefusal(versions)) return versions;
      if (version === undefined ? versions.length === 0 : !versions.includes(version)) {
        return { refused: "not_found" };
      }
      let retirement: StoredRetirement | undefined;
      if (input.retirement !== undefined) {
        const checked = validateRetirement(input.retirement);
        if ("errors" in checked) {
          return { refused: "invalid", errors: { retirement: checked.errors } };
        }
        retirement = checked.retirement;
      }
      const changes = new Map<string, StoredRetirement | undefined>();
      if (version !== undefined) changes.set(version, retirement);
      else {
        const current = (await readRetirements(this.#deps, this.dir)).get(name);
        for (const v of versions) {
          if (input.replace === true || !current?.has(v)) changes.set(v, retirement);
        }
      }
      await setRetirements(this.#deps, this.repo, name, changes);
      return { versions: [...changes.keys()] };
    });
  }

  /** Adds, changes or removes an owner of package `name`, as full owner `as` (hex.pm's rules). */
  async editOwner(name: string, edit: OwnerEdit, as: string): Promise<"changed" | Refusal> {
    return await this.#write(async () => {
      const versions = await this.#writable(name, as, "full");
      if (isRefusal(versions)) return versions;
      const current = (await this.owners()).get(name)!;
      const next = editOwners(current, edit, new Set(await this.users()));
      if (isRefusal(next)) return next;
      const path = join(this.dir, OWNERS_FILE);
      await withUndo(this.#deps, [path], async () => {
        const all = await this.owners();
        all.set(name, next);
        await writeOwners(this.#deps, this.dir, all);
      });
      return "changed";
    });
  }

  /**
   * The administrator's owner change (`hexpub serve owner add`): makes
   * `user` an owner of package `name` at `level`, or changes the level of an
   * existing owner, whatever its owners are (the only way to give an owner to
   * a package that has none).
   *
   * @returns What changed; `unknown_user` when no API key is named `user`,
   *   `not_found` when the package has no release.
   */
  async grantOwner(
    input: { name: string; user: string; level: OwnerLevel },
  ): Promise<OwnerChange | Refusal> {
    const { name, user, level } = input;
    return await this.#write(async () => {
      const users = await this.users();
      if (!users.includes(user)) return { refused: "unknown_user", users };
      if ((await this.versions(name)).length === 0) return { refused: "not_found" };
      const all = await this.owners();
      const current = all.get(name) ?? [];
      const existing = current.find((o) => o.username === user);
      if (existing?.level === level) return { outcome: "unchanged", owners: current };
      const next: StoredOwner[] = existing
        ? current.map((o) => o.username === user ? { username: user, level } : o)
        : [...current, { username: user, level }];
      all.set(name, next);
      await writeOwners(this.#deps, this.dir, all);
      return { outcome: existing ? "changed" : "added", owners: next };
    });
  }

  /** Rebuilds the signed registry from `tarballs/` (`hexpub repo build`). */
  build(): Promise<BuildSummary> {
    return this.#write(() => buildRepository(this.#deps, this.repo));
  }
}
