/**
 * The built-in `local` repository: a directory on this machine, no server and
 * no credentials, written through its {@link RepositoryStore} as its
 * administrator (no ownership rules). Publishing puts the tarball into
 * `tarballs/` and docs into `docs/`; reverting takes them out; retiring
 * records the retirement in `retirements.json`. Each rebuilds the signed
 * registry, all under the repository's lock, so concurrent runs never lose
 * each other's changes, and a failed step puts every file back.
 *
 * @module
 */
import { localRepoDir } from "../config/config_paths.ts";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { isRefusal, type Refusal, RepositoryStore } from "../repository/store.ts";

/** Where a release went. */
export interface LocalPublish {
  dir: string;
  path: string;
  replaced: boolean;
}

/** The words of hex.pm's per-field errors (`tar: …, name: …`). */
const errorText = (errors: Record<string, unknown>) =>
  Object.entries(errors).map(([k, v]) => `${k} ${v}`).join(", ");

/**
 * Puts a package (and its docs) into the local repository and rebuilds its registry.
 *
 * @throws {HexpubError} When the version is there already and `replace` is
 *   false, or the tarball (or docs) is not a valid Hex tarball.
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
  const store = await RepositoryStore.open(deps, dir, "local");
  const done = await store.publish({
    tarball: input.tarball,
    docs: input.docs,
    replace: input.replace,
  });
  if (isRefusal(done)) {
    if (done.refused === "exists") {
      throw new HexpubError(`${input.name} ${input.version} is already in the local repository`, {
        hint: "Bump the version, or pass --replace",
      });
    }
    throw new HexpubError(
      `${input.name} ${input.version} cannot go into the local repository: ${
        done.refused === "invalid" ? errorText(done.errors) : done.refused
      }`,
      { hint: "Rebuild the package with `hexpub build`" },
    );
  }
  return { dir, path: done.path, replaced: done.outcome === "replaced" };
}

/**
 * Puts docs on a release already in the local repository (`publish docs -r local`).
 *
 * @throws {HexpubError} When the release is not there, or the docs are not a valid docs tarball.
 */
export async function publishDocsToLocal(
  deps: Deps,
  input: { name: string; version: string; docs: Uint8Array },
): Promise<void> {
  const dir = localRepoDir(deps.env, deps.host.platform);
  const store = await RepositoryStore.open(deps, dir, "local");
  const done = await store.putDocs(input);
  if (!isRefusal(done)) return;
  if (done.refused === "not_found") throw await notThere(store, input.name, input.version, dir);
  throw new HexpubError(
    `the docs of ${input.name} ${input.version} cannot go into the local repository: ${
      done.refused === "invalid" ? errorText(done.errors) : done.refused
    }`,
    { hint: "Rebuild the docs with `hexpub build docs`" },
  );
}

/** The local repository, or `undefined` when nothing was ever published to it. */
function openLocal(deps: Deps): Promise<RepositoryStore | undefined> {
  return RepositoryStore.openExisting(deps, localRepoDir(deps.env, deps.host.platform), "local");
}

/** The error for a release that is not in the local repository. */
async function notThere(
  store: RepositoryStore | undefined,
  name: string,
  version: string,
  dir: string,
): Promise<HexpubError> {
  const versions = store ? await store.versions(name) : [];
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
  const store = await openLocal(deps);
  if (!store) throw await notThere(store, input.name, input.version, dir);
  const done: string | Refusal = input.docsOnly
    ? await store.removeDocs(input)
    : await store.revert(input);
  if (isRefusal(done)) {
    if (done.refused === "no_docs") {
      throw new HexpubError(`${input.name} ${input.version} has no docs in the local repository`, {
        hint: "Nothing to revert: publish them with `hexpub publish docs -r local`",
      });
    }
    throw await notThere(store, input.name, input.version, dir);
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
 * @throws {UsageError} For a retirement hex.pm would refuse.
 */
export async function retireLocal(
  deps: Deps,
  input: LocalRetireInput,
): Promise<{ dir: string; versions: string[] }> {
  const dir = localRepoDir(deps.env, deps.host.platform);
  const store = await openLocal(deps);
  if (!store) throw await notThere(store, input.name, input.version ?? "", dir);
  const done = await store.retire({
    name: input.name,
    version: input.all ? undefined : input.version ?? "",
    retirement: input.unretire ? undefined : { reason: input.reason, message: input.message },
    replace: input.replace === true,
  });
  if (isRefusal(done)) {
    if (done.refused === "invalid") {
      throw new UsageError(
        `invalid retirement: ${errorText(done.errors.retirement as Record<string, unknown>)}`,
        { hint: "Give one of other, invalid, security, deprecated, renamed and a message" },
      );
    }
    throw await notThere(store, input.name, input.version ?? "", dir);
  }
  return { dir, versions: done.versions };
}
