/**
 * `hexpub serve` and its server-side commands, over a {@link RepositoryStore}:
 * serve a repository directory over HTTP, make an API key for it, and give
 * owners to its packages directly on the server (the only way to give one to
 * a package that has none: one put in by `publish -r local`, `repo build` or
 * a copied tarball).
 *
 * @module
 */
import { join } from "node:path";
import { PACKAGE_NAME_FORMAT } from "../rules/package_name.ts";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps, ServeLimits } from "../ports.ts";
import { REPO_CONFIG } from "../repository/repository_dir.ts";
import type { OwnerLevel, StoredOwner } from "../repository/repository_state.ts";
import { storeHandler } from "../repository/server.ts";
import { accessLogLine } from "../repository/http/access_log.ts";
import { publicKeyFingerprint } from "../registry/fingerprint.ts";
import { generateServeKey, serveKeysPath } from "../repository/server_keys.ts";
import { isRefusal, type OwnerChange, RepositoryStore } from "../repository/store.ts";

export type { OwnerChange } from "../repository/store.ts";

/** A repository being served. */
export interface Serving {
  /** The repository's name. */
  name: string;
  /** Its directory. */
  dir: string;
  /** Its public key file (`DIR/public_key`). */
  publicKeyPath: string;
  /**
   * The public key's fingerprint (`SHA256:…`, as `repo add --fetch-public-key`
   * takes it); undefined when `DIR/public_key` is missing or not an RSA key.
   */
  fingerprint?: string;
  /** The port it listens on. */
  port: number;
  /** The connection and time limits in force. */
  limits: ServeLimits;
  /** The process's open-file limit, when known. */
  fileLimit?: number;
  /** Settles when the server stops. */
  finished: Promise<void>;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Serves repository directory `dir` (created with its keys on first use,
 * named `name` then) on `hostname`:`port` through `deps.listen`. Unless
 * `quiet`, each request is logged with `deps.out.info` (stderr), one line in
 * the format of `repository/http/access_log.ts`; errors are reported either way.
 *
 * @throws {UsageError} When the directory holds another repository's name.
 */
export async function serveRepository(
  deps: Deps,
  input: {
    dir: string;
    name?: string;
    hostname: string;
    port: number;
    limits?: Partial<ServeLimits>;
    /** No access log. */
    quiet?: boolean;
  },
): Promise<Serving> {
  const store = await RepositoryStore.open(deps, input.dir, input.name);
  // A serve (or any writer) killed mid-write leaves a registry to repair before anything is served.
  await store.repair();
  const publicKeyPath = join(store.dir, "public_key");
  // Undefined when the file is gone or no RSA key (then registry answers cannot be checked anyway).
  const fingerprint = await deps.fs.readTextFile(publicKeyPath).then(publicKeyFingerprint)
    .catch(() => undefined);
  // The key name each authenticated request carried, until its line is written.
  const users = new WeakMap<Request, string>();
  const handler = storeHandler(
    deps,
    store,
    input.quiet ? {} : { identified: (req, user) => users.set(req, user) },
  );
  const listener = await deps.listen(handler, {
    hostname: input.hostname,
    port: input.port,
    limits: input.limits,
    onAnswered: input.quiet
      ? undefined
      : (entry) => deps.out.info(accessLogLine(entry, entry.request && users.get(entry.request))),
  });
  return {
    name: store.name,
    dir: store.dir,
    publicKeyPath,
    fingerprint,
    port: listener.port,
    limits: listener.limits,
    fileLimit: listener.fileLimit,
    finished: listener.finished,
    close: () => listener.close(),
  };
}

/** A new API key of a served repository. */
export interface NewServeKey {
  /** The repository's name. */
  repository: string;
  /** The file holding the keys' hashes. */
  keysPath: string;
  /** The secret: it is not stored and cannot be shown again. */
  secret: string;
}

/**
 * Makes an API key named `keyName` for repository `dir` (created on first
 * use), replacing a key of that name.
 *
 * @throws {UsageError} For a bad key name.
 */
export async function generateKey(
  deps: Deps,
  input: { dir: string; keyName: string },
): Promise<NewServeKey> {
  const store = await RepositoryStore.open(deps, input.dir);
  const secret = await generateServeKey(deps, store.dir, input.keyName);
  return { repository: store.name, keysPath: serveKeysPath(store.dir), secret };
}

/** Opens repository `dir` for an owner command, refusing a non-repository and a bad name. */
async function ownerTarget(deps: Deps, dir: string, name: string): Promise<RepositoryStore> {
  const notRepo = () =>
    new HexpubError(`${dir} is not a repository directory (it has no ${REPO_CONFIG})`, {
      hint: "Give the directory `hexpub serve` serves, e.g. `hexpub serve owner add DIR PKG USER`",
    });
  if ((await deps.fs.lstat(join(dir, REPO_CONFIG)))?.kind !== "file") throw notRepo();
  if (!PACKAGE_NAME_FORMAT.test(name)) {
    throw new UsageError(`invalid package name "${name}"`, {
      hint: "Package names are lower-case letters, digits and _, starting with a letter",
    });
  }
  const store = await RepositoryStore.openExisting(deps, dir);
  if (!store) throw notRepo();
  return store;
}

/** The error for a package with no release in repository `dir`. */
function noPackage(dir: string, name: string): HexpubError {
  return new HexpubError(`package ${name} is not in the repository at ${dir}`, {
    hint: `Only packages with a release in ${
      join(dir, "tarballs")
    } have owners; a new package is owned by whoever publishes it first`,
  });
}

/**
 * `hexpub serve owner add`: makes `user` an owner of package `name` at
 * `level` in repository `dir`, or changes the level of an existing owner.
 *
 * @throws {HexpubError} When `dir` is not a repository, the package has no
 *   release there, or `user` is not the name of one of its API keys.
 * @throws {UsageError} For a malformed package name or an unknown level.
 */
export async function addServeOwner(
  deps: Deps,
  input: { dir: string; name: string; user: string; level: string },
): Promise<OwnerChange> {
  const { dir, name, user } = input;
  if (input.level !== "full" && input.level !== "maintainer") {
    throw new UsageError(`invalid owner level "${input.level}"`, {
      hint: "Use --level full or --level maintainer",
    });
  }
  const level: OwnerLevel = input.level;
  const store = await ownerTarget(deps, dir, name);
  const change = await store.grantOwner({ name, user, level });
  if (!isRefusal(change)) return change;
  if (change.refused === "unknown_user") {
    throw new HexpubError(`${user} is not a user of the repository at ${dir}`, {
      hint: `Users are the names of its API keys (${
        change.users.length ? change.users.join(", ") : "it has none yet"
      }); make one with \`hexpub serve key generate ${dir} --key-name ${user}\``,
    });
  }
  throw noPackage(dir, name);
}

/**
 * `hexpub serve owner list`: the owners of package `name` in repository
 * `dir`; an empty list for a package nobody owns yet.
 *
 * @throws {HexpubError} When `dir` is not a repository or the package has no release there.
 */
export async function listServeOwners(
  deps: Deps,
  input: { dir: string; name: string },
): Promise<StoredOwner[]> {
  const store = await ownerTarget(deps, input.dir, input.name);
  const owners = await store.ownersOf(input.name);
  if (!owners) throw noPackage(input.dir, input.name);
  return owners;
}
