/**
 * Writing an unpacked package or docs tree for inspection (`build --unpack`):
 * into a temporary directory beside the target, then renamed into place, so a
 * failed write never leaves half a tree.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { TarballError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { isSafeArchivePath, normalizeArchivePath, throughSymlink } from "../tarball/safe_path.ts";

/** One unpacked entry. */
export interface UnpackedEntry {
  path: string;
  kind: "file" | "dir" | "symlink" | "other";
  mode: number;
  target?: string;
  data?: Uint8Array;
}

/** A tree to write. */
export interface UnpackedTree {
  files: UnpackedEntry[];
  /** Written as `hex_metadata.config` beside the files (packages only). */
  metadataConfig?: string;
}

/** The file hexpub leaves in every directory it unpacks into; only such a directory is replaced. */
export const UNPACK_MARKER = ".hexpub-unpack";

/**
 * Writes `tree` to `dir`, replacing an earlier hexpub unpack there (recognised
 * by its marker file). Any other existing directory, empty or not, is refused:
 * nothing the user made is ever deleted.
 *
 * @throws {UsageError} When `dir` exists and is not an earlier unpack.
 */
export async function writeUnpacked(deps: Deps, dir: string, tree: UnpackedTree): Promise<void> {
  const existing = await deps.fs.lstat(dir);
  if (existing) {
    const ours = existing.kind === "dir" && (await deps.fs.readDir(dir)).includes(UNPACK_MARKER);
    if (!ours) {
      throw new UsageError(`the output "${dir}" already exists and hexpub did not create it`, {
        hint:
          "Pass -o with a path that does not exist yet; hexpub only replaces its own earlier unpacks",
      });
    }
  }
  // Defence in depth (unpacking refuses these already): nothing is written
  // through a link of the tree, and nothing at all once the first link exists.
  const through = throughSymlink(tree.files);
  const unsafe = (why: string) =>
    new TarballError("unsafe_symlink", `unsafe entry in tarball: ${why}`, {
      hint: "Nothing was written. The package is unsafe to unpack; tell its publisher",
    });
  if (through) throw unsafe(`${through.path} (${through.why})`);
  for (const f of tree.files) {
    if (f.path.includes("\\") || f.target?.includes("\\")) {
      throw unsafe(`${f.path} (a backslash in a name or link target)`);
    }
    const top = normalizeArchivePath(f.path).normalize("NFC").toLowerCase();
    if (top === UNPACK_MARKER || top === "hex_metadata.config") {
      throw unsafe(`${f.path} (a name hexpub writes itself)`);
    }
  }
  const safe = tree.files.filter((f) => isSafeArchivePath(f.path));
  const collision = collidingEntry(safe);
  if (collision) {
    throw new TarballError("conflicting_entries", `conflicting entries in tarball: ${collision}`, {
      hint: "Nothing was written. The package's entries cannot all be unpacked as one " +
        "tree: tell its publisher (the tarball itself can still be fetched without --unpack)",
    });
  }
  const parent = dirname(dir);
  await deps.fs.mkdir(parent);
  const tmp = await deps.fs.makeTempDir({ dir: parent, prefix: `.${basename(dir)}-` });
  try {
    const enc = new TextEncoder();
    // hexpub's own files first, created exclusively.
    await deps.fs.createNew(join(tmp, UNPACK_MARKER), enc.encode("written by hexpub --unpack\n"));
    if (tree.metadataConfig !== undefined) {
      await deps.fs.createNew(join(tmp, "hex_metadata.config"), enc.encode(tree.metadataConfig));
    }
    // Every directory, then every file, then the links.
    for (const f of safe) {
      await deps.fs.mkdir(join(tmp, f.kind === "dir" ? f.path : dirname(f.path)));
    }
    for (const f of safe) {
      if (f.kind !== "file") continue;
      const path = join(tmp, f.path);
      await deps.fs.writeFile(path, f.data ?? new Uint8Array(), { mode: f.mode & 0o777 });
    }
    for (const f of safe) {
      if (f.kind === "symlink" && f.target !== undefined) {
        await deps.fs.symlink(f.target, join(tmp, f.path));
      }
    }
    await deps.fs.chmod(tmp, 0o755);
    if (existing) await deps.fs.remove(dir);
    await deps.fs.rename(tmp, dir);
  } catch (e) {
    await deps.fs.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Two entries that cannot both be written: the same path twice (other than a
 * directory listed again), or a file or link where another entry needs a
 * directory. Such a tarball is wrong data, not a problem with `-o`.
 *
 * @returns A sentence naming the paths, or `undefined`.
 */
function collidingEntry(files: readonly UnpackedEntry[]): string | undefined {
  const kinds = new Map<string, UnpackedEntry["kind"]>();
  // Every directory some entry is inside, and that entry.
  const parents = new Map<string, string>();
  for (const f of files) {
    const path = normalizeArchivePath(f.path);
    const before = kinds.get(path);
    if (before !== undefined) {
      if (before === "dir" && f.kind === "dir") continue;
      if (before === f.kind) return `"${path}" appears twice`;
      return `"${path}" is a ${before === "dir" ? "directory" : before} and also a ${
        f.kind === "dir" ? "directory" : f.kind
      }`;
    }
    kinds.set(path, f.kind);
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join("/");
      if (!parents.has(dir)) parents.set(dir, path);
    }
  }
  for (const [path, kind] of kinds) {
    const inside = parents.get(path);
    if (kind !== "dir" && inside !== undefined) {
      return `"${path}" is a ${kind} and also the directory of "${inside}"`;
    }
  }
  return undefined;
}
