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
import { type ProcessProbe, shellProbe } from "../io/process_probe.ts";
import {
  encodeSignedNames,
  encodeSignedPackage,
  encodeSignedVersions,
  readVersions,
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

const probes = new WeakMap<Deps["run"], ProcessProbe>();

/** One probe per `run` port: this process's identity is asked once. */
function repoProbe(deps: Deps): ProcessProbe {
  let probe = probes.get(deps.run);
  if (!probe) probes.set(deps.run, probe = shellProbe(deps.run));
  return probe;
}

/**
 * Runs `fn` holding the repository's write lock (a file beside the registry),
 * shared by `serve`, `repo build` and `publish -r local`, so no two writers
 * interleave reading `tarballs/` and writing the registry. A lock whose
 * holder is gone (killed) is taken over at once (see `io/file_lock.ts`);
 * where that cannot be told, rebuilds of large repositories take a while, so
 * the lock is only considered abandoned after ten minutes.
 *
 * @param signal Stops waiting for the lock when aborted (the client is gone).
 */
export async function withRepoLock<T>(
  deps: Deps,
  dir: string,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return await withFileLock(deps.fs, join(dir, ".write.lock"), fn, {
    staleMs: 600_000,
    timeoutMs: 600_000,
    probe: repoProbe(deps),
    signal,
  });
}

/**
 * The marker of a write under way, inside the directory (never served): a
 * writer creates it before changing anything and removes it once the
 * registry matches the tarballs again. Found by the next writer, it means the
 * last one died mid-write, and the repository is repaired first.
 */
export const WRITE_MARKER = ".write.pending";

/** Where a repair moves tarballs it cannot read as releases (not served). */
export const REJECTED_DIR = "rejected";

/**
 * The temporary files of the `Fs` port's `writeFileAtomic` (`.XXXXXXXX.hexpub-tmp`
 * beside the target, see `deno_deps.ts`), and the lock's own leftovers
 * (`.write.lock.XXXXXXXX.stale`, see `io/file_lock.ts`).
 */
const LEFTOVER = /^\..*\.hexpub-tmp$|^\.write\.lock\.[0-9a-f]{8}\.stale$/;

/** Removes what dead writers left half-written. Call it holding the write lock. */
async function removeLeftovers(deps: Deps, dir: string): Promise<number> {
  let removed = 0;
  for (const sub of ["", "tarballs", "docs", "packages"]) {
    const files = await deps.fs.readDir(join(dir, sub)).catch(() => [] as string[]);
    for (const f of files) {
      if (!LEFTOVER.test(f)) continue;
      await deps.fs.remove(join(dir, sub, f));
      removed++;
    }
  }
  return removed;
}

/** Removes docs whose release has no tarball (a publish killed before its tarball landed). */
async function removeOrphanDocs(deps: Deps, dir: string): Promise<void> {
  const docs = await deps.fs.readDir(join(dir, "docs")).catch(() => [] as string[]);
  for (const f of docs) {
    const m = /^(.+)\.tar\.gz$/.exec(f);
    if (!m || (await deps.fs.lstat(join(dir, "tarballs", `${m[1]}.tar`)))?.kind === "file") {
      continue;
    }
    await deps.fs.remove(join(dir, "docs", f));
  }
}

/**
 * Whether the signed `versions` file and `packages/` list exactly the
 * releases named in `tarballs/` (a cheap check: it reads no tarball).
 */
async function registryListsTarballs(deps: Deps, repo: RepoDir): Promise<boolean> {
  const onDisk = new Map<string, string[]>();
  for (const f of await deps.fs.readDir(join(repo.dir, "tarballs"))) {
    const m = /^([a-z][a-z0-9_]*)-(.+)\.tar$/.exec(f);
    if (!m) {
      if (f.endsWith(".tar")) return false; // misnamed: the repair moves it aside
      continue;
    }
    onDisk.set(m[1], [...(onDisk.get(m[1]) ?? []), m[2]]);
  }
  let listed;
  try {
    listed = await readVersions(
      await deps.fs.readFile(join(repo.dir, "versions")),
      repo.publicKeyPem,
      { repository: repo.name, verify: true },
    );
  } catch {
    return false;
  }
  if (listed.packages.length !== onDisk.size) return false;
  for (const p of listed.packages) {
    const files = onDisk.get(p.name);
    if (!files || [...files].sort().join(" ") !== [...p.versions].sort().join(" ")) return false;
  }
  const packageFiles = await deps.fs.readDir(join(repo.dir, "packages"));
  return packageFiles.length === onDisk.size && packageFiles.every((n) => onDisk.has(n));
}

/** What {@link repairRepository} did. */
export interface RepairSummary {
  /** Whether the registry was rebuilt. */
  rebuilt: boolean;
  /** Temporary files removed. */
  leftovers: number;
}

/**
 * Repairs what a writer that died (`kill -9`, power loss) left: removes
 * half-written temporary files; then, when a write was under way (its
 * {@link WRITE_MARKER} is there), when `check` finds the registry not listing
 * exactly the tarballs, or always with `force`, removes docs without a
 * release and rebuilds the signed registry from the tarballs, moving any that
 * cannot be read as a release into `rejected/` (with a warning). Call it
 * holding the repository's write lock.
 */
export async function repairRepository(
  deps: Deps,
  repo: RepoDir,
  options: { check?: boolean; force?: boolean } = {},
): Promise<RepairSummary> {
  const marker = join(repo.dir, WRITE_MARKER);
  const leftovers = await removeLeftovers(deps, repo.dir);
  const interrupted = (await deps.fs.lstat(marker)) !== undefined;
  const rebuild = options.force || interrupted ||
    (options.check === true && !(await registryListsTarballs(deps, repo)));
  if (rebuild) {
    await removeOrphanDocs(deps, repo.dir);
    await buildRepository(deps, repo, { rejectUnreadable: true });
  }
  if (interrupted) await deps.fs.remove(marker);
  return { rebuilt: rebuild, leftovers };
}

/** Package files signed and written at once by {@link buildRepository}. */
const SIGNING_CONCURRENCY = 8;

/** What `buildRepository` wrote. */
export interface BuildSummary {
  packages: number;
  releases: number;
}

/** Reads tarball `file` of `tarDir` as a release named as the file says. */
async function readNamedRelease(
  deps: Deps,
  tarDir: string,
  file: string,
): Promise<{ name: string; release: Release }> {
  const { name, release } = await readRelease(await deps.fs.readFile(join(tarDir, file)), file);
  if (`${name}-${release.version}.tar` !== file) {
    throw new HexpubError(`tarballs/${file} holds ${name} ${release.version}`, {
      hint: `Rename it to ${name}-${release.version}.tar`,
    });
  }
  return { name, release };
}

/**
 * Rebuilds the signed registry (`names`, `versions`, `packages/NAME`) from the
 * tarballs in `tarballs/`, as `mix hex.registry build` does, plus the
 * retirements of `retirements.json` (on each `Release` and as the `retired`
 * indexes of `versions`). Each file is written to a temporary file and
 * renamed. Afterwards the state of releases that are gone is dropped (see
 * `pruneState`). Call it holding the repository's write lock.
 *
 * @param options.rejectUnreadable Move a tarball that cannot be read as the
 *   release its name says into `rejected/` (with a warning) instead of failing.
 * @throws {HexpubError} For such a tarball, unless `rejectUnreadable`.
 */
export async function buildRepository(
  deps: Deps,
  repo: RepoDir,
  options: { rejectUnreadable?: boolean } = {},
): Promise<BuildSummary> {
  const tarDir = join(repo.dir, "tarballs");
  const byName = new Map<string, Release[]>();
  const retirements = await readRetirements(deps, repo.dir);
  let releases = 0;
  for (const file of await deps.fs.readDir(tarDir)) {
    if (!file.endsWith(".tar")) continue;
    let read;
    try {
      read = await readNamedRelease(deps, tarDir, file);
    } catch (e) {
      if (!options.rejectUnreadable || !(e instanceof HexpubError)) throw e;
      const aside = join(repo.dir, REJECTED_DIR);
      await deps.fs.mkdir(aside);
      await deps.fs.rename(join(tarDir, file), join(aside, file));
      deps.out.warn(`${e.message}; moved it out of the registry into ${aside}`);
      continue;
    }
    const { name, release } = read;
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
