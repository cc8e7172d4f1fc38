/**
 * What differs between two package tarballs: files added, removed and changed
 * (content, kind or link target), and metadata keys whose values differ. The
 * dry run of `publish` compares a build with the latest release; `verify`
 * compares it with the release of the same version.
 *
 * @module
 */
import { sha256Hex } from "./checksum.ts";
import { metadataToJson } from "./metadata_config.ts";
import { type UnpackedPackage, unpackPackage } from "./unpack_package.ts";

/** The difference between a release and a new build. */
export interface ReleaseDiff {
  /** The version compared against. */
  against: string;
  /** Paths only in the new build. */
  added: string[];
  /** Paths only in the release. */
  removed: string[];
  /** Paths in both whose content, kind or link target differ. */
  changed: string[];
  /** Metadata keys (other than `files`) whose values differ, as JSON. */
  metadata: { key: string; before: unknown; after: unknown }[];
}

/**
 * JSON with object keys sorted: maps are unordered, and Erlang lists a map of
 * more than 32 keys in hash order, so the same requirements can be written in
 * two orders.
 */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

/** True when the two sides hold the same files and metadata. */
export function isEmptyDiff(d: ReleaseDiff): boolean {
  return !d.added.length && !d.removed.length && !d.changed.length && !d.metadata.length;
}

async function fingerprints(p: UnpackedPackage): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of p.files) {
    if (f.kind === "dir") continue;
    m.set(f.path, `${f.kind}:${f.target ?? ""}:${await sha256Hex(f.data ?? new Uint8Array())}`);
  }
  return m;
}

/**
 * Compares two package tarballs.
 *
 * @param against The version of `before`, for the result.
 * @param before The published tarball.
 * @param after The new build.
 * @returns Paths and metadata keys that differ, each list sorted.
 * @throws {TarballError} When either tarball cannot be read.
 */
export async function diffReleases(
  against: string,
  before: Uint8Array,
  after: Uint8Array,
): Promise<ReleaseDiff> {
  const [a, b] = [await unpackPackage(before), await unpackPackage(after)];
  const [ha, hb] = [await fingerprints(a), await fingerprints(b)];
  const added = [...hb.keys()].filter((k) => !ha.has(k)).sort();
  const removed = [...ha.keys()].filter((k) => !hb.has(k)).sort();
  const changed = [...hb.keys()].filter((k) => ha.has(k) && ha.get(k) !== hb.get(k)).sort();
  const ma = metadataToJson(a.metadata);
  const mb = metadataToJson(b.metadata);
  const metadata = [...new Set([...Object.keys(ma), ...Object.keys(mb)])]
    .filter((k) => k !== "files" && canonical(ma[k]) !== canonical(mb[k]))
    .sort()
    .map((key) => ({ key, before: ma[key], after: mb[key] }));
  return { against, added, removed, changed, metadata };
}
