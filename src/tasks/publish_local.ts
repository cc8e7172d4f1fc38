/**
 * Publishing into the built-in `local` repository: a directory on this
 * machine, no server and no credentials. The tarball goes into `tarballs/`,
 * docs into `docs/`, and the signed registry is rebuilt, all under a lock so
 * concurrent runs never lose each other's releases.
 *
 * @module
 */
import { join } from "node:path";
import { localRepoDir } from "../config/config_paths.ts";
import { HexpubError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { buildRepository, initRepository, withRepoLock } from "../repository/repository_dir.ts";

/** Where a release went. */
export interface LocalPublish {
  dir: string;
  path: string;
  replaced: boolean;
}

/**
 * Puts a package (and its docs) into the local repository and rebuilds its registry.
 *
 * @throws {HexpubError} When the version is there already and `replace` is false.
 */
export async function publishToLocal(
  deps: Deps,
  input: {
    name: string;
    version: string;
    tarball: Uint8Array;
    docs?: Uint8Array;
    replace: boolean;
  },
): Promise<LocalPublish> {
  const dir = localRepoDir(deps.env, deps.host.platform);
  const repo = await initRepository(deps, dir, "local");
  return await withRepoLock(deps, dir, async () => {
    const path = join(dir, "tarballs", `${input.name}-${input.version}.tar`);
    const docsPath = join(dir, "docs", `${input.name}-${input.version}.tar.gz`);
    const replaced = !!(await deps.fs.lstat(path));
    if (replaced && !input.replace) {
      throw new HexpubError(`${input.name} ${input.version} is already in the local repository`, {
        hint: "Bump the version, or pass --replace",
      });
    }
    // Keep what was there, to put it back if the rebuild fails.
    const before = replaced ? await deps.fs.readFile(path) : undefined;
    const docsBefore = (await deps.fs.lstat(docsPath))
      ? await deps.fs.readFile(docsPath)
      : undefined;
    try {
      await deps.fs.writeFileAtomic(path, input.tarball);
      if (input.docs) await deps.fs.writeFileAtomic(docsPath, input.docs);
      await buildRepository(deps, repo);
    } catch (e) {
      if (before) await deps.fs.writeFileAtomic(path, before);
      else await deps.fs.remove(path).catch(() => {});
      if (input.docs) {
        if (docsBefore) await deps.fs.writeFileAtomic(docsPath, docsBefore);
        else await deps.fs.remove(docsPath).catch(() => {});
      }
      throw e;
    }
    return { dir, path, replaced };
  });
}
