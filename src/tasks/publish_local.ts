/**
 * The built-in `local` repository: a directory on this machine, no server and
 * no credentials. Publishing puts the tarball into `tarballs/` and docs into
 * `docs/`; reverting takes them out; retiring records the retirement in
 * `retirements.json`. Each rebuilds the signed registry, all under the
 * repository's lock, so concurrent runs never lose each other's changes, and
 * a failed step puts every file back.
 *
 * @module
 */
import { join } from "node:path";
import { localRepoDir } from "../config/config_paths.ts";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import {
  buildRepository,
  initRepository,
  REPO_CONFIG,
  type RepoDir,
  withRepoLock,
} from "../repository/repository_dir.ts";
import {
  docsPath,
  releaseWrite,
  revertRelease,
  setRetirements,
  tarballPath,
  versionsOf,
} from "../repository/repository_ops.ts";
import {
  readRetirements,
  type StoredRetirement,
  validateRetirement,
} from "../repository/repository_state.ts";

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
    const path = tarballPath(dir, input.name, input.version);
    const replaced = !!(await deps.fs.lstat(path));
    if (replaced && !input.replace) {
      throw new HexpubError(`${input.name} ${input.version} is already in the local repository`, {
        hint: "Bump the version, or pass --replace",
      });
    }
    // Every file touched is put back if a step (the rebuild) fails.
    await releaseWrite(deps, repo, input, async () => {
      await deps.fs.writeFileAtomic(path, input.tarball);
      if (input.docs) {
        await deps.fs.writeFileAtomic(docsPath(dir, input.name, input.version), input.docs);
      }
      await buildRepository(deps, repo);
    });
    return { dir, path, replaced };
  });
}

/** The local repository, or `undefined` when nothing was ever published to it. */
async function openLocal(deps: Deps): Promise<RepoDir | undefined> {
  const dir = localRepoDir(deps.env, deps.host.platform);
  if ((await deps.fs.lstat(join(dir, REPO_CONFIG)))?.kind !== "file") return undefined;
  return await initRepository(deps, dir, "local");
}

/** The error for a release that is not in the local repository. */
function notThere(name: string, version: string, versions: string[], dir: string): HexpubError {
  const what = version ? `${name} ${version}` : name;
  return new HexpubError(`${what} is not in the local repository (${dir})`, {
    hint: versions.length > 0
      ? `It has ${name} ${versions.join(", ")}`
      : `It has no release of ${name}: publish one with \`hexpub publish -r local\``,
  });
}

/** What {@link revertLocal} removed. */
export interface LocalRevert {
  /** The local repository's directory. */
  dir: string;
  /** `package` (tarball, docs and retirement) or `docs`. */
  what: "package" | "docs";
}

/**
 * `publish --revert VERSION -r local`: deletes a release from the local
 * repository (its tarball, docs and retirement) and rebuilds the registry, or
 * with `docsOnly` deletes only its docs.
 *
 * @throws {HexpubError} When the release (or its docs) is not there.
 */
export async function revertLocal(
  deps: Deps,
  input: { name: string; version: string; docsOnly: boolean },
): Promise<LocalRevert> {
  const dir = localRepoDir(deps.env, deps.host.platform);
  const repo = await openLocal(deps);
  if (!repo) throw notThere(input.name, input.version, [], dir);
  const outcome = await withRepoLock(deps, dir, () => revertRelease(deps, repo, input));
  if (outcome === "no_release") {
    throw notThere(input.name, input.version, await versionsOf(deps, dir, input.name), dir);
  }
  if (outcome === "no_docs") {
    const hasRelease = (await deps.fs.lstat(tarballPath(dir, input.name, input.version)))
      ?.kind === "file";
    if (!hasRelease) {
      throw notThere(input.name, input.version, await versionsOf(deps, dir, input.name), dir);
    }
    throw new HexpubError(`${input.name} ${input.version} has no docs in the local repository`, {
      hint: "Nothing to revert: publish them with `hexpub publish docs -r local`",
    });
  }
  return { dir, what: input.docsOnly ? "docs" : "package" };
}

/** Input of {@link retireLocal}. */
export interface LocalRetireInput {
  name: string;
  /** The release; undefined with `all`. */
  version?: string;
  /** Retire every release (those already retired only with `replace`). */
  all: boolean;
  /** One of the five reasons (checked by the caller with `checkRetirement`). */
  reason?: string;
  message?: string;
  unretire: boolean;
  replace?: boolean;
}

/**
 * `retire -r local` and `retire --unretire -r local`: records (or clears) the
 * retirement of releases of the local repository and rebuilds its registry.
 *
 * @returns The directory and the versions whose retirement changed.
 * @throws {HexpubError} When the release (or, with `all`, the package) is not there.
 */
export async function retireLocal(
  deps: Deps,
  input: LocalRetireInput,
): Promise<{ dir: string; versions: string[] }> {
  const dir = localRepoDir(deps.env, deps.host.platform);
  const repo = await openLocal(deps);
  if (!repo) throw notThere(input.name, input.version ?? "", [], dir);
  return await withRepoLock(deps, dir, async () => {
    const versions = await versionsOf(deps, dir, input.name);
    if (input.all ? versions.length === 0 : !versions.includes(input.version ?? "")) {
      throw notThere(input.name, input.version ?? "", versions, dir);
    }
    let retirement: StoredRetirement | undefined;
    if (!input.unretire) {
      const checked = validateRetirement({ reason: input.reason, message: input.message });
      if ("errors" in checked) {
        throw new UsageError(
          `invalid retirement: ${
            Object.entries(checked.errors).map(([k, v]) => `${k} ${v}`).join(", ")
          }`,
          { hint: "Give one of other, invalid, security, deprecated, renamed and a message" },
        );
      }
      retirement = checked.retirement;
    }
    const current = (await readRetirements(deps, dir)).get(input.name);
    const changes = new Map<string, StoredRetirement | undefined>();
    if (input.all) {
      for (const v of versions) {
        if (input.replace || !current?.has(v)) changes.set(v, retirement);
      }
    } else {
      changes.set(input.version!, retirement);
    }
    await setRetirements(deps, repo, input.name, changes);
    return { dir, versions: [...changes.keys()] };
  });
}
