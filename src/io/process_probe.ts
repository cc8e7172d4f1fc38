/**
 * Who holds a lock, and whether that process still runs: the identity a lock
 * file records (`file_lock.ts`) and the check that lets a lock left by a
 * killed process be taken over at once.
 *
 * A process is named by its pid plus a mark of when it started, so that a pid
 * the system has since given to another process counts as gone:
 * - on Linux the mark is the boot id (`/proc/sys/kernel/random/boot_id`) and
 *   field 22 of `/proc/PID/stat` (start time in clock ticks since boot), and
 *   the host name (`/proc/sys/kernel/hostname`, per UTS namespace) names the
 *   machine, so that a lock on a directory shared with another machine or
 *   container is never judged by this machine's pids (a mark from another
 *   boot is not judged either);
 * - elsewhere there is no start mark: a pid is probed with signal 0 (`kill -0`
 *   semantics, Node's `process.kill(pid, 0)`): "no such process" means gone;
 *   a pid in use cannot be told from a reused one, so the caller falls back
 *   to its age rule. Where even that probe is not permitted (a binary whose
 *   `--allow-run` names programs), liveness is unknown.
 *
 * @module
 */
import process from "node:process";

/** The file reads a probe needs (the `Fs` port's `readTextFile`). */
export interface ProbeFs {
  readTextFile(path: string): Promise<string>;
}

/** A process as a lock records it. */
export interface ProcessId {
  pid: number;
  /** Where it runs, when known (compared only when both sides know it). */
  host?: string;
  /** When it started (opaque; equal marks mean the same process), when known. */
  start?: string;
}

/**
 * What became of a recorded process:
 * - `alive`: the same process still runs (pid and start mark match);
 * - `gone`: it ended (no such pid, or the pid now names a process started later);
 * - `unverified`: the pid is in use but whether by the same process cannot be told;
 * - `unknown`: this system cannot tell (another host, no way to probe).
 */
export type ProcessState = "alive" | "gone" | "unverified" | "unknown";

/** Identifies this process and judges recorded ones. */
export interface ProcessProbe {
  /** This process. */
  self(): Promise<ProcessId>;
  /** What became of process `id`. */
  state(id: ProcessId): Promise<ProcessState>;
}

const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
  try {
    return await p;
  } catch {
    return undefined;
  }
};

/** Field 22 of a `/proc/PID/stat` line (counted after the parenthesised command name). */
export function startTicksOf(stat: string): string | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  // Fields 3 onwards follow ") ": field 22 is the 20th of them.
  const ticks = stat.slice(close + 2).split(" ")[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}

/** Signal 0 to `pid`: `true` when it exists, `false` when not, `undefined` when not permitted. */
function signalZero(pid: number): boolean | undefined {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true; // it exists, owned by another user
    return undefined;
  }
}

/**
 * The system's probe: `/proc` where there is one (Linux), signal 0 elsewhere
 * (see the module comment).
 *
 * @param fs Reads `/proc` files.
 */
export function systemProbe(fs: ProbeFs): ProcessProbe {
  let mine: Promise<{ boot?: string; host?: string; selfStart?: string }> | undefined;
  const machine = () =>
    mine ??= (async () => {
      const boot = (await orUndefined(fs.readTextFile("/proc/sys/kernel/random/boot_id")))?.trim();
      const host = (await orUndefined(fs.readTextFile("/proc/sys/kernel/hostname")))?.trim();
      const stat = await orUndefined(fs.readTextFile(`/proc/${process.pid}/stat`));
      const ticks = stat === undefined ? undefined : startTicksOf(stat);
      return { boot, host, selfStart: boot && ticks ? `${boot}:${ticks}` : undefined };
    })();
  return {
    async self() {
      const { host, selfStart } = await machine();
      return { pid: process.pid, host, start: selfStart };
    },
    async state(id) {
      const { boot, host, selfStart } = await machine();
      if (id.host !== undefined && host !== undefined && id.host !== host) return "unknown";
      if (selfStart !== undefined) {
        // /proc works here: it alone decides.
        if (id.start === undefined) {
          return (await orUndefined(fs.readTextFile(`/proc/${id.pid}/stat`))) === undefined
            ? "gone"
            : "unverified";
        }
        // A mark from another boot: a restart, or another machine of the same name sharing the
        // directory; only the latter matters, and it cannot be told apart.
        if (!id.start.startsWith(`${boot}:`)) return "unknown";
        const stat = await orUndefined(fs.readTextFile(`/proc/${id.pid}/stat`));
        const ticks = stat === undefined ? undefined : startTicksOf(stat);
        return ticks !== undefined && `${boot}:${ticks}` === id.start ? "alive" : "gone";
      }
      const exists = signalZero(id.pid);
      if (exists === undefined) return "unknown";
      return exists ? "unverified" : "gone";
    },
  };
}
