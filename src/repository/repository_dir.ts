/**
 * A file-backed Hex repository directory, as `mix hex.registry build` lays it
 * out: `tarballs/NAME-VERSION.tar`, `docs/`, and the signed registry files
 * `names`, `versions` and `packages/NAME`, plus `public_key`. The private key
 * lives beside the repository (`DIR.private_key.pem`, mode 0600), never inside
 * the served directory.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { compareVersions, parseVersion } from "../rules/version.ts";
import { generateRepoKeys, importPrivateKey, publicKeyPemOf } from "../registry/signing.ts";
import { withFileLock } from "../io/file_lock.ts";
import {
  encodeSignedNames,
  encodeSignedPackage,
  encodeSignedVersions,
} from "../registry/registry_files.ts";
import { type Release, retirementReasonCode } from "../registry/messages.ts";
import { readRelease } from "./release_reader.ts";
import { pruneState, readRetirements } from "./repository_state.ts";

/** The repository's settings file, inside the directory. */
export const REPO_CONFIG = "hexpub_repo.json";

/** Where the private key of repository `dir` is kept: beside it, not in it. */
export function privateKeyPath(dir: string): string {
  return join(dirname(dir), `${basename(dir)}.private_key.pem`);
}

/** A repository directory's settings. */
export interface RepoDir {
  dir: string;
  name: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * Creates a repository directory (or opens an existing one): its layout, its
 * name and, on first use, its key pair.
 *
 * @throws {UsageError} When the directory holds another repository's name.
 */
export async function initRepository(deps: Deps, dir: string, name?: string): Promise<RepoDir> {
  for (const sub of ["", "tarballs", "docs", "packages"]) await deps.fs.mkdir(join(dir, sub));
  const configPath = join(dir, REPO_CONFIG);
  let repoName = name;
  const existing = await deps.fs.lstat(configPath);
  if (existing) {
    const saved = JSON.parse(await deps.fs.readTextFile(configPath)) as { name?: string };
    if (name !== undefined && saved.name !== name) {
      throw new UsageError(`${dir} is the repository "${saved.name}", not "${name}"`, {
        hint: "Leave out --name, or use another directory",
      });
    }
    repoName = saved.name;
  }
  repoName ??= basename(dir);
  if (!/^[a-z0-9_][a-z0-9_.-]*$/i.test(repoName)) {
    throw new UsageError(`invalid repository name "${repoName}"`, {
      hint: "Use letters, digits, _, . and -",
    });
  }
  const enc = new TextEncoder();
  if (!existing) {
    await deps.fs.writeFileAtomic(
      configPath,
      enc.encode(JSON.stringify({ name: repoName }) + "\n"),
    );
  }
  const keyPath = privateKeyPath(dir);
  if (!(await deps.fs.lstat(keyPath))) {
    // Created exclusively: when two first runs race, one key wins and both use it.
    const fresh = await generateRepoKeys();
    await deps.fs.createNew(keyPath, enc.encode(fresh.privateKeyPem), { mode: 0o600 });
  }
  const privateKeyPem = await deps.fs.readTextFile(keyPath);
  // The public key is derived from the private one, so the two always match.
  const publicKeyPem = await publicKeyPemOf(privateKeyPem);
  const publicPath = join(dir, "public_key");
  if (
    !(await deps.fs.lstat(publicPath)) || (await deps.fs.readTextFile(publicPath)) !== publicKeyPem
  ) {
    await deps.fs.writeFileAtomic(publicPath, enc.encode(publicKeyPem));
  }
  return { dir, name: repoName, privateKeyPem, publicKeyPem };
}

/**
 * Runs `fn` holding the repository's write lock (a file beside the registry),
 * shared by `serve`, `repo build` and `publish -r local`, so no two writers
 * interleave reading `tarballs/` and writing the registry. Rebuilds of large
 * repositories take a while, so the lock is only considered abandoned after
 * ten minutes.
 */
export async function withRepoLock<T>(deps: Deps, dir: string, fn: () => Promise<T>): Promise<T> {
  return await withFileLock(deps.fs, join(dir, ".write.lock"), fn, {
    staleMs: 600_000,
    timeoutMs: 600_000,
  });
}

/** Package files signed and written at once by {@link buildRepository}. */
const SIGNING_CONCURRENCY = 8;

/** What `buildRepository` wrote. */
export interface BuildSummary {
  packages: number;
  releases: number;
}

/**
 * Rebuilds the signed registry (`names`, `versions`, `packages/NAME`) from the
 * tarballs in `tarballs/`, as `mix hex.registry build` does, plus the
 * retirements of `retirements.json` (on each `Release` and as the `retired`
 * indexes of `versions`). Each file is written to a temporary file and
 * renamed. Afterwards the state of releases that are gone is dropped (see
 * `pruneState`). Call it holding the repository's write lock.
 */
export async function buildRepository(deps: Deps, repo: RepoDir): Promise<BuildSummary> {
  const tarDir = join(repo.dir, "tarballs");
  const byName = new Map<string, Release[]>();
  const retirements = await readRetirements(deps, repo.dir);
  let releases = 0;
  for (const file of await deps.fs.readDir(tarDir)) {
    if (!file.endsWith(".tar")) continue;
    const { name, release } = await readRelease(await deps.fs.readFile(join(tarDir, file)), file);
    if (`${name}-${release.version}.tar` !== file) {
      throw new HexpubError(`tarballs/${file} holds ${name} ${release.version}`, {
        hint: `Rename it to ${name}-${release.version}.tar`,
      });
    }
    const retired = retirements.get(name)?.get(release.version);
    if (retired) {
      release.retired = retired.message === undefined
        ? { reason: retirementReasonCode(retired.reason) ?? 0 }
        : { reason: retirementReasonCode(retired.reason) ?? 0, message: retired.message };
    }
    byName.set(name, [...(byName.get(name) ?? []), release]);
    releases++;
  }
  const names = [...byName.keys()].sort();
  // A package whose last release is gone has no registry file any more.
  for (const file of await deps.fs.readDir(join(repo.dir, "packages"))) {
    if (!byName.has(file)) await deps.fs.remove(join(repo.dir, "packages", file));
  }
  // Import the signing key once, not once per file.
  const key = await importPrivateKey(repo.privateKeyPem);
  const order = (a: Release, b: Release) =>
    compareVersions(parseVersion(a.version)!, parseVersion(b.version)!);
  // RSA signing dominates a rebuild; a few in flight use the cores WebCrypto has.
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      const rels = byName.get(name)!.sort(order);
      await deps.fs.writeFileAtomic(
        join(repo.dir, "packages", name),
        await encodeSignedPackage({ name, repository: repo.name, releases: rels }, key),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIGNING_CONCURRENCY, names.length) }, worker));
  await deps.fs.writeFileAtomic(
    join(repo.dir, "names"),
    await encodeSignedNames(
      { repository: repo.name, packages: names.map((name) => ({ name })) },
      key,
    ),
  );
  await deps.fs.writeFileAtomic(
    join(repo.dir, "versions"),
    await encodeSignedVersions({
      repository: repo.name,
      packages: names.map((name) => {
        const rels = byName.get(name)!;
        return {
          name,
          versions: rels.map((r) => r.version),
          retired: rels.flatMap((r, i) => r.retired ? [i] : []),
        };
      }),
    }, key),
  );
  await pruneState(
    deps,
    repo.dir,
    new Map(names.map((name) => [name, new Set(byName.get(name)!.map((r) => r.version))])),
  );
  return { packages: names.length, releases };
}
