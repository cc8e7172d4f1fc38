/**
 * The state of a repository directory that its tarballs do not carry:
 * retirements (`retirements.json`, read by every registry build, so `repo
 * build` keeps them) and package owners (`owners.json`, used by `hexpub
 * serve`). Both live inside the directory but are never served (the static
 * routes serve only registry files, tarballs, docs and `public_key`), and both
 * are written atomically by the writer holding the repository's lock.
 *
 * Retirement reasons are kept by name (`security`), as the HTTP API spells
 * them; the registry build turns them into `RetirementReason` codes.
 *
 * @module
 */
import { join } from "node:path";
import { HexpubError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { RETIREMENT_REASON_NAMES } from "../registry/messages.ts";

/** The retirements file, inside the repository directory. */
export const RETIREMENTS_FILE = "retirements.json";
/** The owners file, inside the repository directory. */
export const OWNERS_FILE = "owners.json";

/** The shortest and longest retirement message hex.pm accepts (in characters). */
const MESSAGE_MIN = 3;
const MESSAGE_MAX = 140;

/** A stored retirement: one of the five reasons, and an optional message. */
export interface StoredRetirement {
  reason: string;
  message?: string;
}

/** Retirements by package name, then version. */
export type Retirements = Map<string, Map<string, StoredRetirement>>;

/** Ownership levels, as hex.pm has them: `maintainer` cannot manage owners. */
export type OwnerLevel = "full" | "maintainer";

/** One owner of a package (a user of a served repository is an API key name). */
export interface StoredOwner {
  username: string;
  level: OwnerLevel;
}

/**
 * Owners by package name. A package with releases but no entry (put in by
 * `publish -r local`, `repo build` or a copied tarball) is writable by no key
 * until `hexpub serve owner add` gives it an owner.
 */
export type Owners = Map<string, StoredOwner[]>;

/** The length of a text as Elixir's `String.length/1` counts it (graphemes). */
function graphemes(text: string): number {
  let n = 0;
  for (const _ of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) n++;
  return n;
}

/**
 * Checks a retirement as hex.pm's changeset does (reason required and one of
 * the five; message, when not empty, 3 to 140 characters).
 *
 * @returns The retirement, or hex.pm's per-field errors (`{reason: "is invalid"}`).
 */
export function validateRetirement(
  params: Record<string, unknown>,
): { retirement: StoredRetirement } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const reason = params.reason;
  const message = params.message === "" || params.message === null ? undefined : params.message;
  if (reason === undefined || reason === null || (typeof reason === "string" && !reason.trim())) {
    errors.reason = "can't be blank";
  } else if (typeof reason !== "string" || !RETIREMENT_REASON_NAMES.includes(reason)) {
    errors.reason = "is invalid";
  }
  if (message !== undefined) {
    if (typeof message !== "string") errors.message = "is invalid";
    else if (graphemes(message) < MESSAGE_MIN) {
      errors.message = `should be at least ${MESSAGE_MIN} character(s)`;
    } else if (graphemes(message) > MESSAGE_MAX) {
      errors.message = `should be at most ${MESSAGE_MAX} character(s)`;
    }
  }
  if (Object.keys(errors).length > 0) return { errors };
  return {
    retirement: message === undefined
      ? { reason: reason as string }
      : { reason: reason as string, message: message as string },
  };
}

async function readJson(deps: Deps, path: string): Promise<unknown> {
  if ((await deps.fs.lstat(path))?.kind !== "file") return undefined;
  try {
    return JSON.parse(await deps.fs.readTextFile(path));
  } catch (cause) {
    throw new HexpubError(`${path} is not valid JSON`, {
      cause,
      hint: "Fix the file by hand, or restore it from a backup",
    });
  }
}

function malformed(path: string, what: string): HexpubError {
  return new HexpubError(`${path}: ${what}`, {
    hint: "Fix the file by hand, or restore it from a backup",
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The retirements of repository `dir` (none when the file does not exist).
 *
 * @throws {HexpubError} For a file that is not JSON or holds an unknown reason.
 */
export async function readRetirements(deps: Deps, dir: string): Promise<Retirements> {
  const path = join(dir, RETIREMENTS_FILE);
  const json = await readJson(deps, path);
  const out: Retirements = new Map();
  if (json === undefined) return out;
  const all = isObject(json) ? json.retirements : undefined;
  if (!isObject(all)) throw malformed(path, 'expected {"retirements": {NAME: {VERSION: …}}}');
  for (const [name, versions] of Object.entries(all)) {
    if (!isObject(versions)) throw malformed(path, `the entry of ${name} is not an object`);
    const byVersion = new Map<string, StoredRetirement>();
    for (const [version, r] of Object.entries(versions)) {
      const checked = isObject(r) ? validateRetirement(r) : undefined;
      if (!checked || "errors" in checked) {
        throw malformed(
          path,
          `the retirement of ${name} ${version} is not {"reason": ${
            RETIREMENT_REASON_NAMES.map((n) => JSON.stringify(n)).join(" | ")
          }, "message"?: 3 to 140 characters}`,
        );
      }
      byVersion.set(version, checked.retirement);
    }
    if (byVersion.size > 0) out.set(name, byVersion);
  }
  return out;
}

const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a < b ? -1 : 1);

/** Writes the retirements of repository `dir` atomically (sorted, so the file is stable). */
export async function writeRetirements(deps: Deps, dir: string, r: Retirements): Promise<void> {
  const json: Record<string, Record<string, StoredRetirement>> = {};
  for (const [name, versions] of byKey(r)) {
    if (versions.size === 0) continue;
    json[name] = Object.fromEntries(byKey(versions));
  }
  await deps.fs.writeFileAtomic(
    join(dir, RETIREMENTS_FILE),
    new TextEncoder().encode(JSON.stringify({ retirements: json }, null, 2) + "\n"),
  );
}

/**
 * The owners of repository `dir`'s packages (none when the file does not exist).
 *
 * @throws {HexpubError} For a file that is not JSON or has the wrong shape.
 */
export async function readOwners(deps: Deps, dir: string): Promise<Owners> {
  const path = join(dir, OWNERS_FILE);
  const json = await readJson(deps, path);
  const out: Owners = new Map();
  if (json === undefined) return out;
  const all = isObject(json) ? json.owners : undefined;
  if (!isObject(all)) throw malformed(path, 'expected {"owners": {NAME: [{username, level}]}}');
  for (const [name, list] of Object.entries(all)) {
    if (!Array.isArray(list)) throw malformed(path, `the owners of ${name} are not a list`);
    const owners: StoredOwner[] = [];
    for (const o of list) {
      if (
        !isObject(o) || typeof o.username !== "string" ||
        (o.level !== "full" && o.level !== "maintainer")
      ) {
        throw malformed(path, `an owner of ${name} is not {"username", "level": full|maintainer}`);
      }
      owners.push({ username: o.username, level: o.level });
    }
    if (owners.length > 0) out.set(name, owners);
  }
  return out;
}

/** Writes the owners of repository `dir` atomically. */
export async function writeOwners(deps: Deps, dir: string, owners: Owners): Promise<void> {
  const json: Record<string, StoredOwner[]> = {};
  for (const [name, list] of byKey(owners)) if (list.length > 0) json[name] = list;
  await deps.fs.writeFileAtomic(
    join(dir, OWNERS_FILE),
    new TextEncoder().encode(JSON.stringify({ owners: json }, null, 2) + "\n"),
  );
}

/**
 * Drops the state of releases that are gone: retirements of versions with no
 * tarball. Owners stay, even when a package has no release left: otherwise a
 * maintainer could revert every release and publish the name again as its
 * only full owner. The file is rewritten only when something changed.
 *
 * @param live The versions present, by package name.
 */
export async function pruneState(
  deps: Deps,
  dir: string,
  live: Map<string, Set<string>>,
): Promise<void> {
  const retirements = await readRetirements(deps, dir);
  let changed = false;
  for (const [name, versions] of retirements) {
    for (const version of versions.keys()) {
      if (!live.get(name)?.has(version)) {
        versions.delete(version);
        changed = true;
      }
    }
    if (versions.size === 0) retirements.delete(name);
  }
  if (changed) await writeRetirements(deps, dir, retirements);
}

/**
 * Runs `work`, which changes some of `paths`; when it throws, every one of
 * `paths` is put back as it was (rewritten, or removed when it did not exist)
 * and `afterUndo` runs (a registry rebuild). Call it holding the repository's
 * write lock.
 *
 * @throws What `work` threw; a file that could not be put back is reported with `deps.out.warn`.
 */
export async function withUndo<T>(
  deps: Deps,
  paths: string[],
  work: () => Promise<T>,
  afterUndo?: () => Promise<unknown>,
): Promise<T> {
  const saved = new Map<string, Uint8Array | undefined>();
  for (const p of paths) {
    saved.set(p, (await deps.fs.lstat(p))?.kind === "file" ? await deps.fs.readFile(p) : undefined);
  }
  try {
    return await work();
  } catch (e) {
    for (const [p, bytes] of saved) {
      try {
        if (bytes) await deps.fs.writeFileAtomic(p, bytes);
        else if (await deps.fs.lstat(p)) await deps.fs.remove(p);
      } catch (undoError) {
        deps.out.warn(
          `could not put ${p} back after a failed write: ${
            undoError instanceof Error ? undoError.message : undoError
          }`,
        );
      }
    }
    if (afterUndo) {
      await afterUndo().catch((rebuildError) =>
        deps.out.warn(
          `could not rebuild the registry after a failed write: ${
            rebuildError instanceof Error ? rebuildError.message : rebuildError
          }`,
        )
      );
    }
    throw e;
  }
}
