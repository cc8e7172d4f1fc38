/**
 * A repository directory on this machine (the built-in `local` repository) as
 * a {@link PublishTarget}: no server and no credentials. A release and its
 * docs are written in one step, under the directory's lock, by
 * `publish_local.ts`; reading back is hashing the file that was written.
 *
 * @module
 */
import { join } from "node:path";
import { localRepoDir } from "../config/config_paths.ts";
import { sha256Hex } from "../tarball/checksum.ts";
import type { Deps } from "../ports.ts";
import { publishDocsToLocal, publishToLocal, revertLocal } from "./publish_local.ts";
import type { Session } from "./session.ts";
import type { CheckFindings, PublishTarget, ReleaseUpload, Uploaded } from "./publish_target.ts";

/** The local repository directory as a publish target. */
export function directoryTarget(deps: Deps, session: Session): PublishTarget {
  const dir = () => localRepoDir(deps.env, deps.host.platform);
  /** Where each release uploaded in this run was written. */
  const written = new Map<string, string>();
  const key = (name: string, version: string) => `${name}-${version}`;
  const pathOf = (name: string, version: string) =>
    written.get(key(name, version)) ?? join(dir(), "tarballs", `${name}-${version}.tar`);

  async function write(r: ReleaseUpload): Promise<Uploaded> {
    const local = await publishToLocal(deps, {
      name: r.name,
      version: r.version,
      tarball: r.tarball,
      docs: r.docs,
      replace: r.replace,
    });
    written.set(key(r.name, r.version), local.path);
    return { replaced: local.replaced, url: local.path, docsStored: r.docs !== undefined };
  }

  return {
    repo: session.repo,
    dryRunVerb: "written",
    ensureWritable: () => Promise.resolve(),
    async checkVersion(name, version, replace): Promise<CheckFindings> {
      const there = await deps.fs.lstat(pathOf(name, version));
      if (!there || replace) return { problems: [], skipped: [] };
      return {
        problems: [{
          level: "error",
          field: "version",
          message: `${name} ${version} is already in the local repository`,
          hint: "Bump the version, or pass --replace",
        }],
        skipped: [],
      };
    },
    // A dry run to a directory shows no difference from the latest release (not compared).
    latestRelease: () => Promise.resolve(undefined),
    uploadPackage: write,
    async readBack(name, version) {
      const path = pathOf(name, version);
      if (!(await deps.fs.lstat(path))) return undefined;
      return await sha256Hex(await deps.fs.readFile(path));
    },
    // Docs alone go onto the release already there (`publish docs -r local`).
    async uploadDocs(r) {
      if (!r.docs) return;
      await publishDocsToLocal(deps, { name: r.name, version: r.version, docs: r.docs });
    },
    async revert(name, version, what) {
      // No server, no edit window: the release (or its docs) leaves the directory.
      await revertLocal(deps, { name, version, docsOnly: what === "docs" });
    },
  };
}
