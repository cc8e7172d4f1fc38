/**
 * Where `publish` sends a release: one interface, two implementations. The
 * Hex HTTP API (hex.pm, its organizations, a self-hosted or `hexpub serve`
 * repository) is in `publish_target_hex.ts`; a directory on this machine (the
 * built-in `local` repository) is in `publish_target_dir.ts`. The publish
 * stages only talk to this interface, so neither kind is a special case there;
 * `publishTarget()` in `publish_plan.ts` picks one.
 *
 * @module
 */
import type { Problem } from "../errors.ts";
import type { RepoConfig } from "../config/repos.ts";

/** A release to upload. */
export interface ReleaseUpload {
  name: string;
  version: string;
  /** The outer package tarball. */
  tarball: Uint8Array;
  /** Lower-case hex SHA-256 of `tarball`. */
  checksum: string;
  replace: boolean;
  /** The docs tarball, for a target that stores a release and its docs in one step. */
  docs?: Uint8Array;
}

/** What an upload did. */
export interface Uploaded {
  /** True when the release replaced an existing one. */
  replaced: boolean;
  /** The release's page, or where it was written. */
  url?: string;
  /** A line for the user about how the upload went (an earlier attempt had landed). */
  note?: string;
  /** True when the docs were stored together with the package. */
  docsStored: boolean;
}

/**
 * What the registry installers read says of a release: listed (with its outer
 * checksum, lower-case hex, when the entry carries one), not listed, or
 * `undefined` when it was not checked (no key for the registry at hand, or no
 * registry configured).
 */
export type RegistryListing = { listed: true; checksum?: string } | { listed: false } | undefined;

/** The latest published release, for the dry run's diff. */
export type LatestRelease =
  | { version: string; tarball: Uint8Array }
  /** Not compared: why, for the "not checked" list. */
  | { skipped: string }
  /** Nothing to compare with (no earlier release, or the target keeps none to diff). */
  | undefined;

/** A dry-run check's findings. */
export interface CheckFindings {
  problems: Problem[];
  /** Checks that could not run (offline, no credentials at hand). */
  skipped: string[];
}

/** A repository `publish` can upload to, revert from, and read a release back from. */
export interface PublishTarget {
  /** The repository. */
  readonly repo: RepoConfig;
  /** What a dry run says it did not do: `uploaded`, `written`. */
  readonly dryRunVerb: string;
  /** Makes sure write credentials are at hand (may ask for them), before anything changes. */
  ensureWritable(): Promise<void>;
  /** Dry run: whether this version is already there (an error unless `replace`). */
  checkVersion(name: string, version: string, replace: boolean): Promise<CheckFindings>;
  /** Dry run: the latest release, to show what changed since. */
  latestRelease(name: string): Promise<LatestRelease>;
  /**
   * Uploads the package (with its docs where the target stores both at once).
   *
   * @throws {HexpubError} When it was refused or did not land.
   */
  uploadPackage(release: ReleaseUpload): Promise<Uploaded>;
  /** Reads the release back: the checksum it holds, or undefined when it is not there. */
  readBack(name: string, version: string): Promise<string | undefined>;
  /**
   * For a target whose installers read a registry apart from its API: what the
   * package's registry entry lists for the release.
   *
   * @throws {RegistryError} When the registry entry is refused (bad signature, wrong repository).
   * @throws {HexpubError} When it cannot be read.
   */
  readRegistry?(name: string, version: string): Promise<RegistryListing>;
  /**
   * Uploads the docs of a release (the package tarball goes along where the
   * target needs it); returns where the repository says they are, when it says.
   */
  uploadDocs(release: ReleaseUpload & { docs: Uint8Array }): Promise<{ url?: string } | void>;
  /** Deletes a release, or only its docs. */
  revert(name: string, version: string, what: "package" | "docs"): Promise<void>;
}
