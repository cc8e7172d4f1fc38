/**
 * What a repository store answers about its packages: a release with its
 * docs and retirement, a package with its versions, owners and retirements,
 * a search by name, and its public files with their ETags. Functions of a
 * {@link StoreCore}; `RepositoryStore` (`store.ts`) is their interface.
 *
 * @module
 */
import { join } from "node:path";
import { PACKAGE_NAME_FORMAT } from "../rules/package_name.ts";
import type { ReleaseFacts } from "./release_reader.ts";
import { docsPath, releasesByName } from "./repository_ops.ts";
import { type Owners, readRetirements, type StoredRetirement } from "./repository_state.ts";
import type { TaggedFile } from "./store_caches.ts";
import type { StoreCore } from "./store_core.ts";
import type { PackageInfo, ReleaseInfo } from "./store_types.ts";

/** Release `name` `version` (with `facts` when the caller has them), or `undefined`. */
export async function releaseInfo(
  core: StoreCore,
  name: string,
  version: string,
  facts?: ReleaseFacts,
): Promise<ReleaseInfo | undefined> {
  facts ??= await core.releaseFacts(name, version);
  if (!facts) return undefined;
  const retirement = (await readRetirements(core.deps, core.dir)).get(name)?.get(version);
  return {
    name,
    version,
    facts,
    hasDocs: await core.isFile(docsPath(core.dir, name, version)),
    ...(retirement ? { retirement } : {}),
  };
}

/** What package answers share within one request, read once. */
interface PackageContext {
  owners: Owners;
  retirements: Map<string, Map<string, StoredRetirement>>;
  /** The file names in `docs/`. */
  docs: Set<string>;
}

async function packageContext(core: StoreCore): Promise<PackageContext> {
  return {
    owners: await core.owners(),
    retirements: await readRetirements(core.deps, core.dir),
    docs: new Set(await core.deps.fs.readDir(join(core.dir, "docs")).catch(() => [] as string[])),
  };
}

/** Package `name` with `versions` (none: `undefined`), as `ctx` tells. */
async function packageOf(
  core: StoreCore,
  name: string,
  versions: string[],
  ctx: PackageContext,
): Promise<PackageInfo | undefined> {
  if (versions.length === 0) return undefined;
  const latest = await core.releaseFacts(name, versions[versions.length - 1]);
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
export async function packageInfo(core: StoreCore, name: string): Promise<PackageInfo | undefined> {
  const versions = await core.versions(name);
  if (versions.length === 0) return undefined;
  return await packageOf(core, name, versions, await packageContext(core));
}

/** The packages whose name holds `query`, by name, page `page` (from 1) of `perPage`. */
export async function searchPackages(
  core: StoreCore,
  query: string,
  page: number,
  perPage: number,
): Promise<PackageInfo[]> {
  const all = await releasesByName(core.deps, core.dir);
  const names = [...all.keys()].filter((n) => n.includes(query)).sort()
    .slice((page - 1) * perPage, page * perPage);
  if (names.length === 0) return [];
  const ctx = await packageContext(core);
  const out: PackageInfo[] = [];
  for (const n of names) {
    const pkg = await packageOf(core, n, all.get(n)!, ctx);
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
export async function publicFile(
  core: StoreCore,
  parts: string[],
): Promise<TaggedFile | undefined> {
  const ok = (parts.length === 1 && ["names", "versions", "public_key"].includes(parts[0])) ||
    (parts.length === 2 && parts[0] === "packages" && PACKAGE_NAME_FORMAT.test(parts[1])) ||
    (parts.length === 2 && parts[0] === "tarballs" && parts[1].endsWith(".tar")) ||
    (parts.length === 2 && parts[0] === "docs" && parts[1].endsWith(".tar.gz"));
  if (!ok) return undefined;
  const { fs } = core.deps;
  if (parts.length === 2 && (await fs.lstat(join(core.dir, parts[0])))?.kind !== "dir") {
    return undefined;
  }
  const path = join(core.dir, ...parts);
  const info = await fs.lstat(path);
  if (info?.kind !== "file") return undefined;
  return await core.tags.get(path, info);
}
