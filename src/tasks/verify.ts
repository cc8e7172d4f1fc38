/**
 * `hexpub verify`: is the release in the repository reproducible from this
 * source? Builds the current project at its version, exactly as `build` does,
 * and compares the tarball with the release of that name and version, read
 * through the repository's signed registry (its checksum checked first, as
 * `fetch` does).
 *
 * @module
 */
import type { Problem } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { chooseApp, discoverProject } from "../project/discover.ts";
import { createPackageTarball } from "../tarball/create_package.ts";
import { diffReleases, isEmptyDiff, type ReleaseDiff } from "../tarball/release_diff.ts";
import { unpackPackage } from "../tarball/unpack_package.ts";
import { judge } from "./build.ts";
import { verifyTarball } from "./fetch.ts";
import { unknownVersion } from "./info.ts";
import { type ModePolicy, preparePackage } from "./prepare_package.ts";
import { readTarball, registrySource, requirePackageEntry, selectReadRepo } from "./registry.ts";

/** What to verify. */
export interface VerifyInput {
  /** `--app`, in an umbrella. */
  app?: string;
  /** `-r`: the repository holding the release (default hexpm). */
  repo?: string;
  /** `--strict`: warnings about the project fail the command. */
  strict: boolean;
}

/** The verdict. */
export interface VerifyResult {
  name: string;
  version: string;
  /** The repository's configured name (`hexpm`, `hexpm:acme`, …). */
  repository: string;
  identical: boolean;
  /** Outer checksum of the local build, lower-case hex. */
  built: string;
  /** Outer checksum of the release, lower-case hex, as the signed registry records it. */
  published: string;
  /** What differs, when not identical. */
  diff?: ReleaseDiff;
  /**
   * Byte-level differences the file diff does not show (metadata.config layout, file modes,
   * compression), when not identical.
   */
  notes: string[];
  /** Project findings that did not stop the build. */
  warnings: Problem[];
  /**
   * When the files as checked out here differ from the release only in their modes, and
   * a checkout under another umask reproduces it: that umask (`0o002` for 0664/0775).
   */
  umask?: number;
}

/** The umasks a release is also tried with when only file modes differ. */
const UMASKS = [0o022, 0o002];

async function byteNotes(published: Uint8Array, built: Uint8Array): Promise<string[]> {
  const [a, b] = [await unpackPackage(published), await unpackPackage(built)];
  const notes: string[] = [];
  if (a.metadataConfig !== b.metadataConfig) {
    notes.push("metadata.config is laid out differently");
  }
  const modes = new Map(a.files.map((f) => [f.path, f.mode]));
  const modeChanges = b.files.filter((f) => modes.has(f.path) && modes.get(f.path) !== f.mode);
  for (const f of modeChanges.slice(0, 10)) {
    notes.push(
      `mode of ${f.path}: ${modes.get(f.path)!.toString(8)} published, ${f.mode.toString(8)} built`,
    );
  }
  if (modeChanges.length > 10) notes.push(`… and ${modeChanges.length - 10} more mode changes`);
  if (notes.length === 0) {
    notes.push(
      "the files and metadata are the same; the tarball bytes differ (tar headers or compression)",
    );
  }
  return notes;
}

/**
 * Builds the project's package and compares it with the published release.
 *
 * @returns The verdict (identical or not): callers decide the exit code.
 * @throws {ValidationError} When the package cannot be built.
 * @throws {HexpubError} When the package or version is not in the repository, or the
 *   downloaded tarball does not match the signed registry.
 * @throws {RegistryError} When a registry file is refused.
 */
export async function verifyRelease(deps: Deps, input: VerifyInput): Promise<VerifyResult> {
  const project = await discoverProject(deps, deps.cwd);
  const app = await chooseApp(deps, project, input.app);
  const repo = await selectReadRepo(deps, { repo: input.repo, command: "verify" });
  const build = async (modes: ModePolicy) => {
    const prepared = await preparePackage(deps, project, app, { repo: repo.name, modes });
    const tar = await createPackageTarball({ metadata: prepared.metadata, files: prepared.files });
    return { prepared, tar };
  };
  const { prepared, tar } = await build("disk");
  const warnings = judge(prepared.problems, input.strict);
  for (const w of warnings) deps.out.problem(w);
  const { name, version } = prepared.meta;

  const source = await registrySource(deps, repo, { storedCredentials: true });
  const pkg = await requirePackageEntry(deps, source, name);
  const release = pkg.releases.find((r) => r.version === version);
  if (!release) throw unknownVersion(pkg, repo.name, version);
  const tarball = await readTarball(deps, source, name, version);
  const published = await verifyTarball(tarball, release, { name, repo: repo.name });

  const built = tar.outerChecksum.toLowerCase();
  const result: VerifyResult = {
    name,
    version,
    repository: repo.name,
    identical: built === published,
    built,
    published,
    notes: [],
    warnings,
  };
  if (result.identical) return result;
  result.diff = await diffReleases(version, tarball, tar.tarball);
  if (!isEmptyDiff(result.diff)) return result;
  result.notes = await byteNotes(tarball, tar.tarball);
  // hex_core packs modes as they are on disk, so a release built from a checkout
  // made under another umask differs from this one only there.
  if (result.notes.some((n) => n.startsWith("mode of "))) {
    for (const umask of UMASKS) {
      const again = await build({ umask });
      if (again.tar.outerChecksum.toLowerCase() === published) {
        return { ...result, identical: true, built: published, diff: undefined, notes: [], umask };
      }
    }
  }
  return result;
}
