/**
 * The caches of a {@link RepositoryStore}, keyed by file path and valid while
 * the file keeps its size, mtime and inode: the ETag (and, for small files,
 * the bytes) of each public file, and the facts of each release tarball. A
 * miss reads the file once; concurrent misses of the same file version share
 * one read. Each cache starts over when it grows past its limits, and the
 * store empties both after each of its own writes (a stat stamp cannot tell a
 * same-size file replaced within the file system's mtime resolution, with a
 * reused inode, from the one it was made from).
 *
 * @module
 */
import type { Deps, FileInfo } from "../ports.ts";
import { sha256Hex } from "../tarball/checksum.ts";
import type { ReleaseFacts } from "./release_reader.ts";

/** The stat a cache entry was made from: it holds while the file keeps all three. */
interface StatStamp {
  size: number;
  mtime: number;
  ino: number | undefined;
}

/** Whether cache entry `c` still describes the file `info` stats. */
const fresh = <T extends StatStamp>(c: T | undefined, info: FileInfo): c is T =>
  c !== undefined && info.mtime !== undefined && c.size === info.size &&
  c.mtime === info.mtime && c.ino === info.ino;

/** At most this many tarballs' facts are cached… */
const FACTS_CACHE_LIMIT = 20_000;
/** …holding about this much text in all (then the cache starts over). */
const FACTS_CACHE_WEIGHT = 32 * 1024 * 1024;

/** At most this many ETags are cached (then the cache starts over). */
const ETAG_CACHE_LIMIT = 20_000;
/** Files up to this size are kept in memory with their ETag… */
const BYTES_CACHE_FILE = 256 * 1024;
/** …up to this much in all (then the cache starts over). */
const BYTES_CACHE_TOTAL = 64 * 1024 * 1024;

/** What the facts cache knows about one tarball: its facts, or why it could not be read. */
interface CachedFacts extends StatStamp {
  facts?: ReleaseFacts;
  failure?: string;
  /** Roughly the memory it holds, in characters. */
  weight: number;
}

/** Release facts by tarball path (see the module comment). */
export class FactsCache {
  #entries = new Map<string, CachedFacts>();
  #pending = new Map<string, Promise<ReleaseFacts>>();
  #weight = 0;

  constructor(private readonly deps: Deps) {}

  /**
   * The facts of the tarball at `path`, read with `read` once per version of
   * the file (a failure is remembered too); `undefined` when there is no such
   * file.
   *
   * @throws An `Error` with the message of the read's failure.
   */
  async get(
    path: string,
    read: (bytes: Uint8Array) => Promise<ReleaseFacts>,
  ): Promise<ReleaseFacts | undefined> {
    const info = await this.deps.fs.lstat(path);
    if (info?.kind !== "file") return undefined;
    const cached = this.#entries.get(path);
    if (fresh(cached, info)) {
      if (cached.failure !== undefined) throw new Error(cached.failure);
      return cached.facts;
    }
    // Concurrent misses for the same file version share one read.
    const key = `${path}\0${info.size}\0${info.mtime}\0${info.ino}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#load(path, info, read).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return await pending;
  }

  async #load(
    path: string,
    info: FileInfo,
    read: (bytes: Uint8Array) => Promise<ReleaseFacts>,
  ): Promise<ReleaseFacts> {
    const bytes = await this.deps.fs.readFile(path);
    // Cache only what the stat describes (the file may have changed in between).
    const cacheable = bytes.length === info.size && info.mtime !== undefined;
    const entry: CachedFacts = {
      size: info.size,
      mtime: info.mtime ?? NaN,
      ino: info.ino,
      weight: 0,
    };
    try {
      entry.facts = await read(bytes);
    } catch (e) {
      entry.failure = e instanceof Error ? e.message : String(e);
    }
    entry.weight = 200 + (entry.failure?.length ?? JSON.stringify(entry.facts).length);
    if (cacheable) {
      if (
        this.#entries.size >= FACTS_CACHE_LIMIT ||
        this.#weight + entry.weight > FACTS_CACHE_WEIGHT
      ) {
        this.clear();
      }
      const old = this.#entries.get(path);
      if (old) this.#weight -= old.weight;
      this.#entries.set(path, entry);
      this.#weight += entry.weight;
    }
    if (entry.failure !== undefined) throw new Error(entry.failure);
    return entry.facts!;
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }
}

/** What the ETag cache knows about one file. */
interface CachedTag extends StatStamp {
  etag: string;
  /** The file itself, for small files (registry files, most tarballs). */
  bytes?: Uint8Array;
}

/** A public file as {@link TagCache.get} finds it. */
export interface TaggedFile {
  /** The strong ETag, `"SHA-256 hex"`. */
  etag: string;
  /** The size the file had when stat'ed. */
  size: number;
  /** The bytes, when they were read or kept in memory. */
  bytes?: Uint8Array;
  /**
   * The bytes, read now when not held, with their ETag (a new one when the
   * file was replaced since the stat).
   */
  read(): Promise<{ bytes: Uint8Array; etag: string }>;
}

/** ETags (and small files' bytes) by path (see the module comment). */
export class TagCache {
  #entries = new Map<string, CachedTag>();
  #bytes = 0;

  constructor(private readonly deps: Deps) {}

  /** The ETag of the regular file at `path` stat'ed as `info`, hashing it only on a miss. */
  async get(path: string, info: FileInfo): Promise<TaggedFile> {
    let cached = this.#entries.get(path);
    let bytes: Uint8Array | undefined;
    if (!fresh(cached, info)) {
      bytes = await this.deps.fs.readFile(path);
      cached = {
        size: bytes.length,
        mtime: info.mtime ?? NaN,
        ino: info.ino,
        etag: `"${await sha256Hex(bytes)}"`,
      };
      // Cache only what the stat describes (the file may have changed in between).
      if (bytes.length === info.size && info.mtime !== undefined) {
        if (
          this.#entries.size >= ETAG_CACHE_LIMIT || this.#bytes + bytes.length > BYTES_CACHE_TOTAL
        ) {
          this.clear();
        }
        if (bytes.length <= BYTES_CACHE_FILE) {
          cached.bytes = bytes;
          this.#bytes += bytes.length;
        }
        this.#entries.set(path, cached);
      }
    } else bytes = cached.bytes;
    const etag = cached.etag;
    return {
      etag,
      size: info.size,
      bytes,
      read: async () => {
        if (bytes) return { bytes, etag };
        const now = await this.deps.fs.readFile(path);
        if (now.length === info.size) return { bytes: now, etag };
        // Replaced since the stat: send it with its own ETag.
        this.#entries.delete(path);
        return { bytes: now, etag: `"${await sha256Hex(now)}"` };
      },
    };
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
