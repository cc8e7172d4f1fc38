/**
 * Writing an unpacked package or docs tree for inspection (`build --unpack`,
 * `fetch --unpack`): into a temporary directory beside the target, then
 * renamed into place, so a failed write never leaves half a tree.
 *
 * The directory's marker file records every path hexpub wrote there, with the
 * SHA-256 of each file (and each link's target). A later unpack replaces the
 * directory only while its contents are exactly those: a file the user added,
 * edited or removed there, or a marker hexpub did not write, stops it.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { TarballError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { sha256Hex } from "../tarball/checksum.ts";
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

/** The marker's first line: what it is. The JSON record follows on the second. */
const MARKER_HEADER = "written by hexpub --unpack: it replaces this directory only while it holds" +
  " exactly these entries";

/** The largest marker read back (a marker larger than this was not written by hexpub). */
const MAX_MARKER_SIZE = 64 * 1024 * 1024;

/** One entry of a tree on disk: `path` (relative, `/`-separated) and what it is. */
type ListedEntry = [path: string, kind: "d" | "f" | "l" | "o", sha256OrTarget?: string];

/** Every entry under `dir` (the top-level marker left out), sorted by path; links not followed. */
async function listTree(deps: Deps, dir: string, prefix = ""): Promise<ListedEntry[]> {
  const out: ListedEntry[] = [];
  for (const name of await deps.fs.readDir(prefix ? join(dir, prefix) : dir)) {
    if (!prefix && name === UNPACK_MARKER) continue;
    const rel = prefix ? `${prefix}/${name}` : name;
    const abs = join(dir, rel);
    const info = await deps.fs.lstat(abs);
    if (info?.kind === "dir") {
      out.push([rel, "d"]);
      out.push(...await listTree(deps, dir, rel));
    } else if (info?.kind === "file") {
      out.push([rel, "f", await sha256Hex(await deps.fs.readFile(abs))]);
    } else if (info?.kind === "symlink") out.push([rel, "l", await deps.fs.readLink(abs)]);
    else out.push([rel, "o"]);
  }
  return out.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** The marker's text for a tree hexpub just wrote. */
function markerText(entries: ListedEntry[]): string {
  return `${MARKER_HEADER}\n${JSON.stringify({ entries })}\n`;
}

/** The entries a marker records, or `undefined` when hexpub did not write it. */
async function readMarker(deps: Deps, path: string): Promise<ListedEntry[] | undefined> {
  const info = await deps.fs.lstat(path);
  if (info?.kind !== "file" || info.size > MAX_MARKER_SIZE) return undefined;
  const text = new TextDecoder().decode(await deps.fs.readFile(path));
  const nl = text.indexOf("\n");
  if (nl < 0 || text.slice(0, nl) !== MARKER_HEADER) return undefined;
  try {
    const entries = (JSON.parse(text.slice(nl + 1)) as { entries?: unknown }).entries;
    const ok = Array.isArray(entries) &&
      entries.every((e) =>
        Array.isArray(e) && typeof e[0] === "string" && ["d", "f", "l", "o"].includes(e[1]) &&
        (e[2] === undefined || typeof e[2] === "string")
      );
    return ok ? entries as ListedEntry[] : undefined;
  } catch {
    return undefined;
  }
}

/** The first path (in order) where `actual` differs from `recorded`, and how. */
function firstChange(
  recorded: ListedEntry[],
  actual: ListedEntry[],
): { path: string; change: "added" | "changed" | "removed" } | undefined {
  const was = new Map(recorded.map((e) => [e[0], e]));
  const now = new Map(actual.map((e) => [e[0], e]));
  const paths = [...new Set([...was.keys(), ...now.keys()])].sort();
  for (const path of paths) {
    const a = was.get(path);
    const b = now.get(path);
    if (!a) return { path, change: "added" };
    if (!b) return { path, change: "removed" };
    if (a[1] !== b[1] || a[2] !== b[2]) return { path, change: "changed" };
  }
  return undefined;
}

/**
 * Refuses an existing `dir` unless it is an earlier unpack by hexpub whose
 * contents are exactly what its marker records.
 */
async function checkReplaceable(deps: Deps, dir: string): Promise<void> {
  const existing = await deps.fs.lstat(dir);
  if (!existing) return;
  const marker = join(dir, UNPACK_MARKER);
  const recorded = existing.kind === "dir" && (await deps.fs.lstat(marker))
    ? await readMarker(deps, marker)
    : undefined;
  if (!recorded) {
    throw new UsageError(`the output "${dir}" already exists and hexpub did not create it`, {
      hint: "Nothing was written. Pass -o with a path that does not exist yet; hexpub only " +
        `replaces its own earlier unpacks (a directory whose ${UNPACK_MARKER} it wrote)`,
    });
  }
  const diff = firstChange(recorded, await listTree(deps, dir));
  if (diff) {
    throw new UsageError(
      `the output "${dir}" is an earlier unpack that was changed since: ` +
        `${diff.path} was ${diff.change}`,
      {
        hint: `Nothing was replaced. Remove ${dir} yourself if the changes there can go, ` +
          "or pass -o with another directory",
      },
    );
  }
}

/**
 * Writes `tree` to `dir`, replacing an earlier hexpub unpack there, recognised
 * by its marker file and only while it holds exactly what the marker records.
 * Any other existing directory, empty or not, is refused: nothing the user
 * made or changed is ever deleted.
 *
 * @throws {UsageError} When `dir` exists and is not an unchanged earlier unpack.
 */
export async function writeUnpacked(deps: Deps, dir: string, tree: UnpackedTree): Promise<void> {
  await checkReplaceable(deps, dir);
  const existing = await deps.fs.lstat(dir);
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
    // hexpub's own file first, created exclusively; the marker last, listing everything.
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
    const written = markerText(await listTree(deps, tmp));
    if (!(await deps.fs.createNew(join(tmp, UNPACK_MARKER), enc.encode(written)))) {
      throw unsafe(`${UNPACK_MARKER} (a name hexpub writes itself)`);
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
