/**
 * Which files go into a package, by rebar3_hex's rules (rebar3_hex `src/rebar3_hex_build.erl`, `include_files/3`):
 * the `files` list (or the default list), each entry globbed and walked, minus
 * `exclude_paths` and the exclusion regexes, plus `include_paths`, sorted.
 *
 * @module
 */
import { join, normalize } from "node:path";
import { ProjectError, type Where } from "../errors.ts";
import type { FileInfo, Fs } from "../ports.ts";
import { erlangRegExp } from "./erlang_regex.ts";
import { expandGlob } from "./glob.ts";

/** rebar3_hex's default `files` list. */
export const DEFAULT_FILES: readonly string[] = [
  "src",
  "c_src",
  "include",
  "rebar.config.script",
  "priv",
  "rebar.config",
  "rebar.lock",
  "CHANGELOG*",
  "changelog*",
  "README*",
  "readme*",
  "LICENSE*",
  "license*",
  "NOTICE",
];

/** Files rebar3_hex never packs unless included explicitly: editor backups, C objects, NIFs, vim swap files. */
export const BUILT_IN_EXCLUDES: readonly string[] = ["~$", "\\.o$", "\\.so$", "\\.swp$"];

/** A path list or pattern list from the `.app.src`, with where it was written. */
export interface PathList {
  values: string[];
  where?: Where;
}

/** The selection rules of one app. */
export interface SelectionRules {
  /** `files`: replaces the default list when given. */
  files?: PathList;
  /** `include_paths` (and the deprecated `include_files`). */
  includePaths: PathList[];
  /** `exclude_paths` (and the deprecated `exclude_files`). */
  excludePaths: PathList[];
  /** `exclude_patterns` (and the deprecated `exclude_regexps`): regular expressions. */
  excludePatterns: PathList[];
}

/** One selected path. */
export interface SelectedFile {
  /** Path relative to the app directory, `/`-separated. */
  path: string;
  /** Absolute path on disk. */
  abs: string;
  info: FileInfo;
}

/** lstat results by relative path, so each path is looked at once. */
type InfoCache = Map<string, Promise<FileInfo | undefined>>;

/** At most this many file system calls of one walk are in flight at once. */
const FS_CONCURRENCY = 32;

/** Each walk's count of calls in flight and the calls waiting for a turn. */
const slots = new WeakMap<InfoCache, { active: number; waiting: (() => void)[] }>();

/** Runs `call` when fewer than FS_CONCURRENCY calls of this walk are in flight. */
async function limited<T>(cache: InfoCache, call: () => Promise<T>): Promise<T> {
  let slot = slots.get(cache);
  if (!slot) slots.set(cache, slot = { active: 0, waiting: [] });
  while (slot.active >= FS_CONCURRENCY) await new Promise<void>((go) => slot.waiting.push(go));
  slot.active++;
  try {
    return await call();
  } finally {
    slot.active--;
    slot.waiting.shift()?.();
  }
}

function cachedLstat(fs: Fs, appDir: string, rel: string, cache: InfoCache) {
  let info = cache.get(rel);
  if (!info) cache.set(rel, info = limited(cache, () => fs.lstat(join(appDir, rel))));
  return info;
}

async function expandAll(
  fs: Fs,
  appDir: string,
  lists: PathList[],
  cache: InfoCache,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const list of lists) {
    for (const pattern of list.values) {
      const norm = normalize(pattern).replaceAll("\\", "/");
      if (pattern.startsWith("/") || norm === ".." || norm.startsWith("../")) {
        throw new ProjectError(
          `files entry "${pattern}" points outside the app directory`,
          {
            where: list.where,
            hint: "Package paths are relative to the app directory; copy the file into it",
          },
        );
      }
      for (const rel of await expandGlob(fs, appDir, pattern)) {
        await walkInto(fs, appDir, rel, out, cache);
      }
    }
  }
  return out;
}

async function walkInto(
  fs: Fs,
  appDir: string,
  rel: string,
  out: Set<string>,
  cache: InfoCache,
): Promise<void> {
  if (out.has(rel)) return;
  out.add(rel);
  const info = await cachedLstat(fs, appDir, rel, cache);
  if (info?.kind !== "dir") return;
  const names = await limited(cache, () => fs.readDir(join(appDir, rel)));
  // Siblings are walked concurrently (at most FS_CONCURRENCY calls in flight), so
  // a tree of thousands of files is not listed one round trip at a time
  // (measured on 5,000 files in 425 directories: 0.43 s down to under 0.1 s).
  // The order does not matter: callers sort.
  await Promise.all(names.map((name) => walkInto(fs, appDir, `${rel}/${name}`, out, cache)));
}

function compilePatterns(lists: PathList[]): RegExp[] {
  const out: RegExp[] = BUILT_IN_EXCLUDES.map((p) => new RegExp(p));
  for (const list of lists) {
    for (const p of list.values) {
      try {
        out.push(erlangRegExp(p));
      } catch (e) {
        throw new ProjectError(`invalid exclude pattern "${p}": ${(e as Error).message}`, {
          where: list.where,
          hint: 'exclude_patterns holds Erlang (PCRE) regular expressions such as "\\\\.bak$"; ' +
            "hexpub reads the common subset that JavaScript shares",
        });
      }
    }
  }
  return out;
}

/**
 * Selects an app's package files.
 *
 * Exclusion regexes are matched against the absolute path, as rebar3_hex does,
 * and also against the path relative to the app directory, so that `^priv/`
 * works as users expect (rebar3_hex bug 11: fixed by matching both).
 *
 * @param fs The file system.
 * @param appDir Absolute app directory.
 * @param rules The app's selection rules.
 * @returns The selected paths, sorted, each with its `lstat` info.
 * @throws {ProjectError} On a path outside the app or an invalid regex.
 */
export async function selectFiles(
  fs: Fs,
  appDir: string,
  rules: SelectionRules,
): Promise<SelectedFile[]> {
  const base = rules.files ?? { values: [...DEFAULT_FILES] };
  const cache: InfoCache = new Map();
  const all = await expandAll(fs, appDir, [base], cache);
  const excluded = await expandAll(fs, appDir, rules.excludePaths, cache);
  const included = await expandAll(fs, appDir, rules.includePaths, cache);
  const patterns = compilePatterns(rules.excludePatterns);

  const keep = new Set<string>();
  for (const rel of all) {
    if (excluded.has(rel)) continue;
    const abs = join(appDir, rel);
    if (patterns.some((re) => re.test(abs) || re.test(rel))) continue;
    keep.add(rel);
  }
  for (const rel of included) keep.add(rel);

  const out: SelectedFile[] = [];
  for (const rel of [...keep].sort()) {
    const abs = join(appDir, rel);
    const info = await cachedLstat(fs, appDir, rel, cache);
    if (info) out.push({ path: rel, abs, info });
  }
  return out;
}

/**
 * Every path below `root` (not following symlinks), sorted, with its info: the
 * walk used for doc directories.
 */
export async function listTree(fs: Fs, root: string): Promise<SelectedFile[]> {
  const cache: InfoCache = new Map();
  const seen = new Set<string>();
  for (const name of await fs.readDir(root)) await walkInto(fs, root, name, seen, cache);
  const out: SelectedFile[] = [];
  for (const rel of [...seen].sort()) {
    const info = await cache.get(rel);
    if (info) out.push({ path: rel, abs: join(root, rel), info });
  }
  return out;
}
