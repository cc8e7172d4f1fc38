/**
 * Path patterns as rebar3_hex expands them (`filelib:wildcard` against the app
 * directory): `*`, `?`, `[a-z]`, `[^…]`, `{a,b}` within a segment and `**` for any
 * number of directories.
 *
 * @module
 */
import type { Fs } from "../ports.ts";
import { join } from "node:path";

/** Whether a pattern segment needs matching rather than a plain lookup. */
function isWild(segment: string): boolean {
  return /[*?[{]/.test(segment);
}

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? "\\" + ch : ch;
}

/**
 * Compiles one path segment of a wildcard pattern to an anchored RegExp.
 *
 * @param segment A pattern without `/`.
 * @returns A RegExp matching whole file names.
 */
export function segmentRegExp(segment: string): RegExp {
  let re = "";
  let braces = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, close);
      if (body.startsWith("^") || body.startsWith("!")) body = "^" + body.slice(1);
      re += "[" + body.replace(/\\/g, "\\\\") + "]";
      i = close;
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) re += "|";
    else re += escapeRe(c);
  }
  if (braces > 0) return new RegExp("^" + escapeAll(segment) + "$");
  return new RegExp("^" + re + "$");
}

function escapeAll(s: string): string {
  return [...s].map(escapeRe).join("");
}

/**
 * Expands a pattern against a directory, as `filelib:wildcard(Pattern, Dir)`:
 * only existing paths come back, relative to `base`, sorted. Symlinked
 * directories are never descended into, by `**`, wildcards or literal segments.
 *
 * @param fs The file system.
 * @param base Absolute directory the pattern is relative to.
 * @param pattern The pattern (`/` separated).
 * @returns Matching relative paths.
 */
export async function expandGlob(fs: Fs, base: string, pattern: string): Promise<string[]> {
  const segments = pattern.split("/").filter((s) => s !== "" && s !== ".");
  const found = new Set<string>();

  async function isDir(rel: string): Promise<boolean> {
    return (await fs.lstat(join(base, rel)))?.kind === "dir";
  }

  async function walk(rel: string, i: number): Promise<void> {
    if (i === segments.length) {
      if (rel !== "") found.add(rel);
      return;
    }
    const seg = segments[i];
    const dirPath = rel === "" ? base : join(base, rel);
    if (seg === "**") {
      // A trailing ** matches everything below (not the directory itself); an
      // inner one matches zero or more directories.
      const last = i + 1 === segments.length;
      if (!last) await walk(rel, i + 1);
      if (rel !== "" && !(await isDir(rel))) return;
      for (const name of await fs.readDir(dirPath)) {
        const child = rel === "" ? name : `${rel}/${name}`;
        if (last) found.add(child);
        if (await isDir(child)) await walk(child, i);
      }
      return;
    }
    if (isWild(seg)) {
      if (rel !== "" && !(await isDir(rel))) return;
      const re = segmentRegExp(seg);
      for (const name of await fs.readDir(dirPath)) {
        if (re.test(name)) await walk(rel === "" ? name : `${rel}/${name}`, i + 1);
      }
      return;
    }
    const child = rel === "" ? seg : `${rel}/${seg}`;
    const info = await fs.lstat(join(base, child));
    // Never descend through a symlink (or a file): a path like priv/ext/x where
    // priv/ext links elsewhere would pack files from outside the app.
    if (!info || (i + 1 < segments.length && info.kind !== "dir")) return;
    await walk(child, i + 1);
  }

  await walk("", 0);
  return [...found].sort();
}
