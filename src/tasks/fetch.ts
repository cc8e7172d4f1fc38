/**
 * `hexpub fetch PKG [VERSION|REQUIREMENT]`: downloads a release's tarball from
 * any repository (hex.pm, an organization, a custom repository, `local`),
 * checks it against the verified registry's checksum, and writes it (or its
 * unpacked contents). A tarball that does not match is refused and nothing is
 * written.
 *
 * Without a version it takes the newest stable release that is not retired;
 * a requirement (`~> 1.2`) takes the newest matching release that is not
 * retired (a retired one only when nothing else matches, with a warning).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { matchesRequirement, parseRequirement } from "../rules/requirement.ts";
import { parseVersion } from "../rules/version.ts";
import type { Package, Release } from "../registry/messages.ts";
import { hexOf, sha256Hex } from "../tarball/checksum.ts";
import { cleanRegistryText } from "../registry/registry_text.ts";
import { encodeMetadata } from "../tarball/metadata_config.ts";
import { unpackPackage } from "../tarball/unpack_package.ts";
import {
  type InfoRetirement,
  latestStableRelease,
  newestFirst,
  retirementOf,
  unknownVersion,
} from "./info.ts";
import {
  checkLookupName,
  readTarball,
  registrySource,
  requirePackageEntry,
  selectReadRepo,
} from "./registry.ts";
import { checkOutputFile } from "./output_file.ts";
import { writeUnpacked } from "./write_unpacked.ts";

/** What to fetch and where to. */
export interface FetchInput {
  name: string;
  /** A version, or a requirement such as `~> 1.2`; newest stable when absent. */
  spec?: string;
  repo?: string;
  /** `-o`: the directory to write into (default the working directory). */
  output?: string;
  /** Write `DIR/NAME-VERSION/` (contents plus `hex_metadata.config`) instead of the tarball. */
  unpack: boolean;
}

/** What was fetched. */
export interface FetchResult {
  name: string;
  version: string;
  repository: string;
  /** The outer checksum, lower-case hex, as verified. */
  checksum: string;
  /** The file (or, with `--unpack`, the directory) written. */
  path: string;
  unpacked: boolean;
  size: number;
  retired?: InfoRetirement;
}

/** Registry versions, printable, for messages. */
function listed(releases: readonly Release[], count = 6): string {
  return releases.slice(0, count).map((r) => cleanRegistryText(r.version)).join(", ");
}

/**
 * The release `spec` names: a version, a requirement, or (none) the newest stable
 * release that is not retired.
 *
 * @param pkg The verified registry entry.
 * @param repo The repository's configured name, for messages.
 * @param spec The version or requirement.
 * @returns The release and, when a retired one had to be taken, a warning.
 * @throws {HexpubError} When nothing fits, naming what exists.
 * @throws {UsageError} When `spec` is neither a version nor a requirement.
 */
export function chooseRelease(
  pkg: Package,
  repo: string,
  spec: string | undefined,
): { release: Release; warning?: string } {
  const all = newestFirst(pkg.releases);
  if (spec === undefined) {
    const latest = latestStableRelease(pkg);
    if (latest) return { release: latest };
    throw new HexpubError(
      `package "${
        cleanRegistryText(pkg.name)
      }" has no stable release that is not retired in repository "${repo}"`,
      {
        hint: all.length ? `Name a version: ${listed(all)}` : "It has no releases at all",
      },
    );
  }
  const exact = pkg.releases.find((r) => r.version === spec.trim());
  if (exact) return { release: exact };
  if (parseVersion(spec.trim())) throw unknownVersion(pkg, repo, spec.trim());
  let req;
  try {
    req = parseRequirement(spec.trim());
  } catch (cause) {
    throw new UsageError(
      `"${spec}" is neither a version nor a requirement: ${(cause as Error).message}`,
      { hint: 'Pass a version (1.2.0) or a requirement ("~> 1.2"), or leave it out', cause },
    );
  }
  const matching = all.filter((r) => {
    const v = parseVersion(r.version);
    return v !== undefined && matchesRequirement(v, req);
  });
  const live = matching.find((r) => !r.retired);
  if (live) return { release: live };
  if (matching.length > 0) {
    const r = matching[0];
    return {
      release: r,
      warning: `every version of ${
        cleanRegistryText(pkg.name)
      } matching "${spec}" is retired; taking ${cleanRegistryText(r.version)}`,
    };
  }
  throw new HexpubError(
    `no version of package "${
      cleanRegistryText(pkg.name)
    }" in repository "${repo}" matches "${spec}"`,
    {
      hint: all.length ? `Its newest versions: ${listed(all)}` : "It has no releases at all",
    },
  );
}

/**
 * Checks a downloaded tarball against the registry: its SHA-256 against the outer
 * checksum, or (very old releases without one) its inner checksum.
 *
 * @returns The outer checksum (lower-case hex).
 * @throws {HexpubError} On a mismatch, saying nothing was written.
 */
export async function verifyTarball(
  tarball: Uint8Array,
  release: Release,
  what: { name: string; repo: string },
): Promise<string> {
  const actual = await sha256Hex(tarball);
  const label = `${what.name} ${release.version} from repository "${what.repo}"`;
  const refuse = (expected: string, got: string, kind: string) =>
    new HexpubError(
      `refused the tarball of ${label}: its ${kind} checksum is ${got}, the signed registry ` +
        `says ${expected}; it may have been tampered with, and nothing was written`,
      {
        hint: "Try again later; if it persists, report it to the repository's owner " +
          "(or, for your own repository, rebuild its registry)",
      },
    );
  if (release.outerChecksum) {
    const expected = hexOf(release.outerChecksum);
    if (expected !== actual) throw refuse(expected, actual, "SHA-256");
    return actual;
  }
  const expected = hexOf(release.innerChecksum).toUpperCase();
  let inner: string;
  try {
    inner = (await unpackPackage(tarball)).innerChecksum;
  } catch (cause) {
    throw new HexpubError(
      `refused the tarball of ${label}: ${(cause as Error).message}; nothing was written`,
      { cause },
    );
  }
  if (inner !== expected) throw refuse(expected, inner, "inner");
  return actual;
}

/**
 * Fetches, verifies and writes a release.
 *
 * @throws {UsageError} Bad name, spec, `-r`, or an output that cannot be written.
 * @throws {HexpubError} Package or version missing; tarball refused.
 * @throws {RegistryError} Registry file refused.
 */
export async function fetchPackage(deps: Deps, input: FetchInput): Promise<FetchResult> {
  checkLookupName(input.name);
  const repo = await selectReadRepo(deps, { repo: input.repo, command: "fetch" });
  const source = await registrySource(deps, repo, { storedCredentials: true });
  const pkg = await requirePackageEntry(deps, source, input.name);
  const { release, warning } = chooseRelease(pkg, repo.name, input.spec);
  if (warning) deps.out.warn(`warning: ${warning}`);
  // The version becomes part of a URL and a file name: a registry (one with
  // checks off, or a hostile one signing its own files) must not choose "../x".
  if (!parseVersion(release.version)) {
    throw new HexpubError(
      `refused release "${cleanRegistryText(release.version)}" of package "${input.name}" ` +
        `from repository "${repo.name}": its version is not a valid version, and nothing was written`,
      { hint: "Report it to the repository's owner" },
    );
  }
  const retired = retirementOf(release);
  if (retired && !warning) {
    deps.out.warn(
      `warning: ${input.name} ${release.version} is retired (${
        cleanRegistryText(retired.reason)
      })` +
        (retired.message ? `: ${cleanRegistryText(retired.message)}` : ""),
    );
  }

  const tarball = await readTarball(deps, source, input.name, release.version);
  const checksum = await verifyTarball(tarball, release, { name: input.name, repo: repo.name });

  const dir = resolve(deps.cwd, input.output ?? ".");
  const base = `${input.name}-${release.version}`;
  const path = join(dir, input.unpack ? base : `${base}.tar`);
  try {
    if (input.unpack) {
      const un = await unpackPackage(tarball);
      await writeUnpacked(deps, path, {
        files: un.files,
        metadataConfig: encodeMetadata(un.metadata),
      });
    } else {
      if ((await deps.fs.lstat(path))?.kind === "dir") {
        throw new UsageError(`"${path}" is a directory`, {
          hint: "Remove it, or pass -o with another directory",
        });
      }
      await checkOutputFile(deps, path, "where -o puts the tarball");
      await deps.fs.mkdir(dir);
      await deps.fs.writeFileAtomic(path, tarball);
    }
  } catch (e) {
    if (e instanceof HexpubError) throw e;
    throw new UsageError(
      `cannot write "${path}": ${(e as Error).message}`,
      { hint: "Pass -o with a directory you can write to", cause: e },
    );
  }
  const out: FetchResult = {
    name: input.name,
    version: release.version,
    repository: repo.name,
    checksum,
    path,
    unpacked: input.unpack,
    size: tarball.length,
  };
  if (retired) out.retired = retired;
  return out;
}
