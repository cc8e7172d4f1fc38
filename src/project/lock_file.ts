/**
 * `rebar.lock` text, byte for byte as rebar3 3.19 writes it
 * (`rebar_config:write_lock_file/2`):
 *
 * - no package locks: the locks list alone, `~p` then `.` and a newline
 *   (`[].\n` for a project without dependencies);
 * - otherwise `{"1.2.0",` newline, the locks list laid out by `~p` (see
 *   `../erlang/pretty_term.ts`) and `}.`, then the attribute list: `[`,
 *   `{pkg_hash,[` with one ` {<<"app">>, <<"HASH">>}` line per package, `]}`,
 *   then `{pkg_hash_ext,[…]}` the same way, then `].`. Hash lines are sorted
 *   by app name; each lock is `{<<"app">>,{pkg,<<"pkg">>,<<"vsn">>},Level}`,
 *   the list sorted by app name.
 *
 * @module
 */
import { prettyTerm } from "../erlang/pretty_term.ts";
import { atom, bin, int, list, type Term, tuple } from "../erlang/term.ts";

/** rebar3 writes the lock with `~p` (rebar3 src/rebar_config.erl, write_lock_file/2). */
const LATIN1 = { encoding: "latin1" } as const;

/** One package lock, as the file records it. */
export interface LockLine {
  app: string;
  pkg: string;
  version: string;
  level: number;
  /** Inner checksum, upper-case hex (`pkg_hash`). */
  innerChecksum: string;
  /** Outer checksum, upper-case hex (`pkg_hash_ext`); written as `undefined` when absent. */
  outerChecksum?: string;
}

/** The lock file format version rebar3 3.19 writes. */
const LOCK_VERSION = "1.2.0";

function byApp<T extends { app: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
}

/**
 * The text of `rebar.lock` for these locks.
 *
 * @param locks The package locks (any order).
 * @returns The file's text (ASCII).
 */
export function printLockFile(locks: LockLine[]): string {
  if (locks.length === 0) return "[].\n";
  const sorted = byApp(locks);
  const terms: Term = list(
    sorted.map((l) =>
      tuple(bin(l.app), tuple(atom("pkg"), bin(l.pkg), bin(l.version)), int(l.level))
    ),
  );
  const hashes = (pick: (l: LockLine) => string | undefined) =>
    sorted.map((l) => {
      const h = pick(l);
      return ` {${prettyTerm(bin(l.app), LATIN1)}, ${
        h === undefined ? "undefined" : prettyTerm(bin(h), LATIN1)
      }}`;
    }).join(",\n");
  return `{"${LOCK_VERSION}",\n${prettyTerm(terms, { column: 1, ...LATIN1 })}}.\n` +
    `[\n{pkg_hash,[\n${hashes((l) => l.innerChecksum)}]},\n` +
    `{pkg_hash_ext,[\n${hashes((l) => l.outerChecksum)}]}\n].\n`;
}
