/**
 * A repository store's release writes: publish a package (and its docs),
 * revert a release, put or remove a release's docs. Each is one write of a
 * {@link StoreCore} (see `store_core.ts`): it checks the tarball first, then
 * under the write lock the ownership rules for a user (`as`), snapshots the
 * files it touches and rebuilds the signed registry where the registry
 * changes. `RepositoryStore` (`store.ts`) is their interface.
 *
 * @module
 */
import { TarballError } from "../errors.ts";
import { type Term, textOf } from "../erlang/term.ts";
import { PACKAGE_NAME_FORMAT } from "../rules/package_name.ts";
import { parseVersion } from "../rules/version.ts";
import { unpackDocs, unpackPackage } from "../tarball/unpack_package.ts";
import { access } from "./owner_rules.ts";
import { describeRelease, uploadErrors } from "./release_reader.ts";
import { buildRepository } from "./repository_dir.ts";
import { docsPath, releaseWrite, revertRelease, tarballPath } from "./repository_ops.ts";
import { withUndo, writeOwners } from "./repository_state.ts";
import { accessRefusal, type StoreCore } from "./store_core.ts";
import { isRefusal, type Published, type Refusal } from "./store_types.ts";

const metaText = (metadata: [string, Term][], key: string) => {
  const t = metadata.find(([k]) => k === key)?.[1];
  return (t ? textOf(t) : undefined) ?? "";
};

/** Unpacks `bytes` with `unpack`: a bad tarball is refused as hex.pm words it, under `key`. */
async function checked<T>(
  key: string,
  unpack: (bytes: Uint8Array) => Promise<T>,
  bytes: Uint8Array,
): Promise<T | Refusal> {
  try {
    return await unpack(bytes);
  } catch (e) {
    if (e instanceof TarballError) return { refused: "invalid", errors: { [key]: e.message } };
    throw e;
  }
}

/** What {@link publish} takes: a package tarball, its docs, and who publishes it. */
export interface PublishInput {
  tarball: Uint8Array;
  replace: boolean;
  docs?: Uint8Array;
  as?: string;
  /**
   * Abandons the publish when aborted (the client is gone): checked before
   * the lock is taken, once it is, and just before the tarball lands (the
   * rename that makes the release visible). It then rejects with the
   * signal's reason, and nothing it wrote stays.
   */
  signal?: AbortSignal;
}

/**
 * Publishes a package tarball (checked in full, as hex_core unpacks it),
 * and its docs when given, then rebuilds the registry. A user publishing a
 * brand-new package becomes its full owner.
 */
export async function publish(core: StoreCore, input: PublishInput): Promise<Published | Refusal> {
  input.signal?.throwIfAborted();
  const unpacked = await checked("tar", unpackPackage, input.tarball);
  if (isRefusal(unpacked)) return unpacked;
  if (input.docs) {
    const docs = await checked("docs", unpackDocs, input.docs);
    if (isRefusal(docs)) return docs;
  }
  const name = metaText(unpacked.metadata, "name");
  const version = metaText(unpacked.metadata, "version");
  // What rebar3 could not install or hex.pm would refuse is never signed.
  const errors = await uploadErrors(input.tarball, unpacked, core.repo.name);
  if (errors) return { refused: "invalid", errors };
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
  const { deps, repo } = core;
  const path = tarballPath(core.dir, name, version);
  return await core.write(async (): Promise<Published | Refusal> => {
    let claim = false;
    if (as !== undefined) {
      const isNew = (await core.versions(name)).length === 0;
      const who = access(await core.owners(), name, as, "owner", isNew);
      const refusal = accessRefusal(name, who);
      if (refusal) return refusal;
      claim = who === "claim";
    }
    const existed = await core.isFile(path);
    if (existed && !input.replace) return { refused: "exists" };
    return await releaseWrite(deps, repo, { name, version }, async () => {
      // The tarball last: until it lands, a writer killed here leaves no release (see
      // `repairRepository` for what else it leaves).
      if (claim) await claimPackage(core, name, as!);
      if (input.docs) {
        await deps.fs.writeFileAtomic(docsPath(core.dir, name, version), input.docs);
      }
      input.signal?.throwIfAborted();
      await deps.fs.writeFileAtomic(path, input.tarball);
      await buildRepository(deps, repo);
      return { outcome: existed ? "replaced" : "created", name, version, path, facts };
    });
  }, input.signal);
}

/** Makes `user` the full owner of a new package (written by the caller's write). */
async function claimPackage(core: StoreCore, name: string, user: string): Promise<void> {
  const owners = await core.owners();
  if (owners.get(name)?.length) return;
  owners.set(name, [{ username: user, level: "full" }]);
  await writeOwners(core.deps, core.dir, owners);
}

/** A release of a package, written by user `as` (none: the administrator). */
export interface ReleaseInput {
  name: string;
  version: string;
  as?: string;
}

/** Deletes a release (its tarball, docs and retirement) and rebuilds the registry. */
export function revert(core: StoreCore, input: ReleaseInput): Promise<"reverted" | Refusal> {
  const { name, version } = input;
  return core.write(async () => {
    const refusal = await core.releaseRefusal(name, version, input.as);
    if (refusal) return refusal;
    await revertRelease(core.deps, core.repo, { name, version });
    return "reverted";
  });
}

/** Puts (or replaces) the docs of a release, checked as hex_core unpacks them. */
export async function putDocs(
  core: StoreCore,
  input: ReleaseInput & { docs: Uint8Array },
): Promise<"published" | Refusal> {
  const docs = await checked("tar", unpackDocs, input.docs);
  if (isRefusal(docs)) return docs;
  const path = docsPath(core.dir, input.name, input.version);
  return await core.write(async () => {
    const refusal = await core.releaseRefusal(input.name, input.version, input.as);
    if (refusal) return refusal;
    await withUndo(core.deps, [path], () => core.deps.fs.writeFileAtomic(path, input.docs));
    return "published";
  });
}

/** Deletes the docs of a release. */
export function removeDocs(core: StoreCore, input: ReleaseInput): Promise<"removed" | Refusal> {
  const path = docsPath(core.dir, input.name, input.version);
  return core.write(async () => {
    const refusal = await core.releaseRefusal(input.name, input.version, input.as);
    if (refusal) return refusal;
    if (!(await core.isFile(path))) return { refused: "no_docs" };
    await withUndo(core.deps, [path], () => core.deps.fs.remove(path));
    return "removed";
  });
}
