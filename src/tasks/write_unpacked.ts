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
import { isSafeArchivePath, throughSymlink } from "../tarball/safe_path.ts";

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
  // through a link of the tree, and links are made last.
  const through = throughSymlink(tree.files);
  if (through) {
    throw new TarballError(
      "unsafe_symlink",
      `unsafe entry in tarball: ${through.path} (${through.why})`,
      { hint: "Nothing was written. The package is unsafe to unpack; tell its publisher" },
    );
  }
  const ordered = [
    ...tree.files.filter((f) => f.kind !== "symlink"),
    ...tree.files.filter((f) => f.kind === "symlink"),
  ];
  const parent = dirname(dir);
  await deps.fs.mkdir(parent);
  const tmp = await deps.fs.makeTempDir({ dir: parent, prefix: `.${basename(dir)}-` });
  try {
    const enc = new TextEncoder();
    for (const f of ordered) {
      if (!isSafeArchivePath(f.path)) continue;
      const path = join(tmp, f.path);
      await deps.fs.mkdir(f.kind === "dir" ? path : dirname(path));
      if (f.kind === "file") {
        await deps.fs.writeFile(path, f.data ?? new Uint8Array(), { mode: f.mode & 0o777 });
      } else if (f.kind === "symlink" && f.target !== undefined) {
        await deps.fs.symlink(f.target, path);
      }
    }
    if (tree.metadataConfig !== undefined) {
      await deps.fs.writeFile(join(tmp, "hex_metadata.config"), enc.encode(tree.metadataConfig));
    }
    await deps.fs.writeFile(
      join(tmp, UNPACK_MARKER),
      enc.encode("written by hexpub build --unpack\n"),
    );
    await deps.fs.chmod(tmp, 0o755);
    if (existing) await deps.fs.remove(dir);
    await deps.fs.rename(tmp, dir);
  } catch (e) {
    await deps.fs.remove(tmp).catch(() => {});
    throw e;
  }
}
