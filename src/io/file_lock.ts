/**
 * An advisory lock file, so that concurrent hexpub runs serialise their
 * read-modify-write of a shared file (the credential store).
 *
 * The lock is a name beside the locked file, created with an operation that
 * fails when the name already exists:
 * - `fs.createNew` when the port offers it (a proposed addition to `Fs`, see
 *   {@link ExclusiveCreate});
 * - otherwise a symbolic link whose target text is the owner's token:
 *   `symlink(2)` is atomic and refuses an existing name on every POSIX system,
 *   which the current `Fs` port already exposes.
 *
 * The lock's token records its holder: pid, host and start mark (see
 * `process_probe.ts`). A holder that dies (`kill -9`) leaves its lock behind:
 * - a lock whose holder is gone (no such process, or its pid now names a
 *   process that started later) is broken at once;
 * - a lock whose holder still runs is never broken: waiting for it ends with
 *   an error naming the holder after `timeoutMs`;
 * - where liveness cannot be told (another host, no `/proc` and no signal 0,
 *   a token written by an older hexpub), a lock whose token is older than
 *   `staleMs` is broken.
 * Breaking renames the lock away (atomic, so one breaker wins), then removes it.
 *
 * Where neither operation works (Windows without `createNew`, where creating a
 * symlink needs a privilege), the lock degrades to none: callers still write
 * atomically, so the file is never corrupted, but two runs racing may lose
 * one update.
 *
 * @module
 */

import { HexpubError } from "../errors.ts";
import type { Fs } from "../ports.ts";
import {
  type ProcessId,
  type ProcessProbe,
  type ProcessState,
  systemProbe,
} from "./process_probe.ts";

/**
 * Proposed addition to the `Fs` port: create a file only when its name is free
 * (`Deno.writeFile(path, data, { createNew: true, mode })`, returning `false`
 * on `Deno.errors.AlreadyExists`).
 */
export interface ExclusiveCreate {
  /**
   * Creates `path` holding `data`, atomically refusing an existing name.
   *
   * @returns `true` when created, `false` when `path` already existed.
   */
  createNew(path: string, data: Uint8Array, options?: { mode?: number }): Promise<boolean>;
}

/** The file operations the lock needs. */
export type LockFs =
  & Pick<Fs, "lstat" | "readLink" | "readTextFile" | "remove" | "rename" | "symlink">
  & Partial<ExclusiveCreate>;

/** Timing of {@link withFileLock}. */
export interface LockOptions {
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Waits between attempts. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** A lock older than this (ms) belongs to a run that died, and is broken. Default 10 s. */
  staleMs?: number;
  /** Give up waiting after this long (ms). Default 15 s. */
  timeoutMs?: number;
  /** Pause between attempts (ms), plus up to as much again at random. Default 15 ms. */
  retryMs?: number;
  /** Who this process is and whether a holder still runs. Default: {@link systemProbe}. */
  probe?: ProcessProbe;
  /** Stops waiting (rejecting with the signal's reason, an `AbortError`) when aborted. */
  signal?: AbortSignal;
}

const PREFIX = "hexpub-lock";
/** How often (ms) the holder of a lock being waited for is judged again. */
const REJUDGE_MS = 1_000;

/** The token a lock holds: who owns it and since when. */
interface Token {
  text: string;
  created: number;
  /** The holder (absent from tokens of older hexpub versions). */
  holder?: ProcessId;
}

const field = (v: string | undefined) => v === undefined ? "-" : encodeURIComponent(v);
const unfield = (v: string) => v === "-" ? undefined : decodeURIComponent(v);

/** `hexpub-lock UUID CREATED PID HOST START` (HOST and START `-` when unknown). */
function newToken(now: number, self: ProcessId): Token {
  return {
    text: `${PREFIX} ${crypto.randomUUID()} ${now} ${self.pid} ${field(self.host)} ${
      field(self.start)
    }`,
    created: now,
    holder: self,
  };
}

function parseToken(text: string): Token | undefined {
  const m = /^hexpub-lock [0-9a-f-]+ (\d+)(?: (\d+) (\S+) (\S+))?$/.exec(text.trim());
  if (!m) return undefined;
  const token: Token = { text: text.trim(), created: Number(m[1]) };
  if (m[2] !== undefined) {
    try {
      token.holder = { pid: Number(m[2]), host: unfield(m[3]), start: unfield(m[4]) };
    } catch {
      // A malformed escape: judged by age like a token without a holder.
    }
  }
  return token;
}

/** The error of a wait that was abandoned through `signal`. */
function aborted(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The wait for the lock was aborted", "AbortError");
}

/** What a lock holds now: its text, or `undefined` when there is no lock. */
async function readLock(fs: LockFs, path: string): Promise<string | undefined> {
  // Other runs remove and re-create the lock all the time: a lock that vanishes (or turns from a
  // link into a file) between lstat and reading is simply looked at again.
  for (let attempt = 1;; attempt++) {
    const info = await fs.lstat(path);
    if (!info) return undefined;
    try {
      return info.kind === "symlink" ? await fs.readLink(path) : await fs.readTextFile(path);
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

type Attempt = "created" | "held" | "unsupported";

/** Whether an error says the name already exists (Deno's `AlreadyExists`, Node's `EEXIST`). */
function isAlreadyExists(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return e.name === "AlreadyExists" || (e as { code?: unknown }).code === "EEXIST";
}

/** One attempt to create the lock holding `text`. */
async function tryCreate(fs: LockFs, path: string, text: string): Promise<Attempt> {
  if (fs.createNew) {
    return await fs.createNew(path, new TextEncoder().encode(text), { mode: 0o600 })
      ? "created"
      : "held";
  }
  for (let attempt = 1;; attempt++) {
    try {
      await fs.symlink(text, path);
      return "created";
    } catch (e) {
      if (isAlreadyExists(e)) return "held";
      if (await fs.lstat(path).catch(() => undefined)) return "held";
      // Nothing is there, so the name was free and the link itself failed. A port whose errors
      // do not say "exists" could also get here when the holder released just before lstat:
      // only a failure that repeats means links are unsupported.
      if (attempt >= 3) return "unsupported";
    }
  }
}

/** Breaks a stale lock, unless it changed since it was seen. */
async function breakLock(fs: LockFs, path: string, seen: string): Promise<void> {
  const aside = `${path}.${crypto.randomUUID().slice(0, 8)}.stale`;
  try {
    await fs.rename(path, aside);
  } catch {
    return; // another run broke it first
  }
  const moved = await readLock(fs, aside).catch(() => undefined);
  if (moved !== undefined && moved.trim() !== seen.trim()) {
    // The stale lock was replaced by a live one between reading and renaming:
    // put the live one back if the name is still free.
    await tryCreate(fs, path, moved).catch(() => undefined);
  }
  await fs.remove(aside).catch(() => undefined);
}

/**
 * Takes the lock at `lockPath`, waiting for another holder to finish.
 *
 * @param fs The file operations.
 * @param lockPath The lock's path (by convention the locked file's path plus `.lock`).
 * @param options Timing.
 * @returns A function that releases the lock (only if it still holds this run's token).
 * @throws {HexpubError} When the lock stays held past `timeoutMs`.
 *
 * Exported for tests, which hold a lock across a crash (src uses `withFileLock`).
 */
export async function acquireLock(
  fs: LockFs,
  lockPath: string,
  options: LockOptions = {},
): Promise<() => Promise<void>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const staleMs = options.staleMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const retryMs = options.retryMs ?? 15;
  const probe = options.probe ?? systemProbe(fs);
  const self = await probe.self();
  const { signal } = options;
  const start = now();
  // When a lock's token cannot be read, its age is counted from when it was first seen.
  let firstSeen: { text: string; at: number } | undefined;
  let holder: { id: ProcessId; alive: boolean } | undefined;
  let judged: { text: string; at: number; state: ProcessState } | undefined;
  for (;;) {
    if (signal?.aborted) throw aborted(signal);
    const token = newToken(now(), self);
    const attempt = await tryCreate(fs, lockPath, token.text);
    if (attempt === "unsupported") return () => Promise.resolve();
    if (attempt === "created") {
      return async () => {
        const current = await readLock(fs, lockPath).catch(() => undefined);
        if (current?.trim() === token.text) await fs.remove(lockPath).catch(() => undefined);
      };
    }
    const held = await readLock(fs, lockPath);
    holder = undefined;
    if (held !== undefined) {
      const parsed = parseToken(held);
      if (!parsed && firstSeen?.text !== held) firstSeen = { text: held, at: now() };
      // A probe may run a program: a holder is judged again only once a second while waited for.
      if (judged?.text !== held || now() - judged.at >= REJUDGE_MS) {
        judged = {
          text: held,
          at: now(),
          state: parsed?.holder ? await probe.state(parsed.holder) : "unknown",
        };
      }
      const state = judged.state;
      if (parsed?.holder) holder = { id: parsed.holder, alive: state === "alive" };
      const created = parsed?.created ?? firstSeen!.at;
      if (state === "gone" || (state !== "alive" && now() - created > staleMs)) {
        await breakLock(fs, lockPath, held);
        continue;
      }
    }
    if (now() - start > timeoutMs) {
      const who = holder
        ? `process ${holder.id.pid}${holder.alive ? ", which is still running" : ""}`
        : "another hexpub run";
      throw new HexpubError(`the lock "${lockPath}" is held by ${who}`, {
        hint: holder?.alive
          ? `Wait for process ${holder.id.pid} to finish, or stop it`
          : `If no other hexpub is running, delete "${lockPath}" and try again`,
      });
    }
    await sleep(retryMs + Math.floor(Math.random() * retryMs));
  }
}

/**
 * Runs `fn` while holding the lock at `lockPath`, releasing it however `fn` ends.
 *
 * @param fs The file operations.
 * @param lockPath The lock's path.
 * @param fn The critical section.
 * @param options Timing.
 * @returns What `fn` returns.
 * @throws {HexpubError} As {@link acquireLock}, or whatever `fn` throws.
 */
export async function withFileLock<T>(
  fs: LockFs,
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const release = await acquireLock(fs, lockPath, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}
