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

/** Runs a program (the `Run` port's shape). */
export type ProbeRun = (
  cmd: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * Reports on process `$1` (this process, the shell's parent, when empty), one
 * fact a line, with shell builtins only where possible: `/proc` on Linux
 * (Deno reads `/proc` only with --allow-all, a shell needs no permission),
 * else `kill -0` and `ps -o lstart=`.
 */
const IDENTIFY = `p=\${1:-$PPID}
echo "pid $p"
if [ -r /proc/self/stat ]; then
  if read -r s < "/proc/$p/stat" 2>/dev/null; then echo "stat $s"; else echo gone; fi
  read -r b < /proc/sys/kernel/random/boot_id 2>/dev/null && echo "boot $b"
  read -r h < /proc/sys/kernel/hostname 2>/dev/null && echo "host $h"
else
  if out=$(kill -0 "$p" 2>&1); then echo alive
  else case "$out" in *"o such process"*) echo gone;; *) echo alive;; esac
  fi
  s=$(ps -o lstart= -p "$p" 2>/dev/null) && [ -n "$s" ] && echo "lstart $s"
  h=$(uname -n 2>/dev/null) && echo "host $h"
fi
`;

/**
 * Process `pid` (this process when `undefined`) as {@link IDENTIFY} reports
 * it, or `gone`; `undefined` when that cannot be told.
 *
 * Exported for tests, which identify a process they then kill.
 */
export async function identify(
  run: ProbeRun,
  pid: number | undefined,
): Promise<ProcessId | "gone" | undefined> {
  let out;
  try {
    out = await run("sh", ["-c", IDENTIFY, "sh", pid === undefined ? "" : String(pid)], {
      cwd: "/",
      env: { LC_ALL: "C" },
    });
  } catch {
    return undefined; // no sh (Windows), or not permitted
  }
  if (out.code !== 0) return undefined;
  const facts = new Map<string, string>();
  for (const line of out.stdout.split("\n")) {
    const space = line.indexOf(" ");
    facts.set(space < 0 ? line : line.slice(0, space), space < 0 ? "" : line.slice(space + 1));
  }
  const found = Number(facts.get("pid"));
  if (!Number.isInteger(found) || found <= 0) return undefined;
  if (facts.has("gone")) return "gone";
  const host = facts.get("host")?.trim() || undefined;
  const stat = facts.get("stat");
  const ticks = stat === undefined ? undefined : startTicksOf(stat);
  const boot = facts.get("boot")?.trim();
  const lstart = facts.get("lstart")?.trim().replace(/\s+/g, "_");
  const start = boot && ticks ? `${boot}:${ticks}` : lstart ? `lstart:${lstart}` : undefined;
  return { pid: found, host, start };
}

/**
 * A probe that asks `sh` (see {@link IDENTIFY}): usable wherever hexpub may
 * run `sh` (the compiled binary's `--allow-run` names it), and where Deno
 * itself may neither read `/proc` nor signal. This process's identity is
 * asked once.
 */
export function shellProbe(run: ProbeRun): ProcessProbe {
  let self: Promise<ProcessId> | undefined;
  return {
    self: () =>
      self ??= identify(run, undefined).then((id) =>
        id === undefined || id === "gone" ? { pid: process.pid } : id
      ),
    async state(id) {
      const now = await identify(run, id.pid);
      if (now === undefined) return "unknown";
      if (now === "gone") return "gone";
      if (id.host !== undefined && now.host !== undefined && id.host !== now.host) {
        return "unknown";
      }
      if (id.start === undefined || now.start === undefined) return "unverified";
      const bootOf = (s: string) => s.slice(0, s.indexOf(":"));
      if (bootOf(id.start) !== bootOf(now.start)) return "unknown"; // another boot, or kind of mark
      return id.start === now.start ? "alive" : "gone";
    },
  };
}
