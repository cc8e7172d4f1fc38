/**
 * A real `hexpub serve` (the serve task over the system's ports) that kills
 * itself with SIGKILL at one step of the writes it makes once it listens: for
 * tests/interop/serve_crash_test.ts.
 *
 * usage: deno run -A _serve_crash_worker.ts DIR KILL_AT
 *
 * Every file change the server makes after it listens is a step, counted
 * from 1 and reported on stderr as `STEP n what path`; at step KILL_AT (0:
 * never) the process kills itself before making the change. An atomic write is
 * two steps, as the system port makes it: the temporary file beside the
 * target (named as `deno_deps.ts` names it), then its rename over the target.
 * Prints `PORT n` on stdout once listening.
 */
import { dirname, join } from "node:path";
import { denoDeps } from "../../src/deno_deps.ts";
import { withSettings } from "../../src/commands/_shared.ts";
import type { Deps, Fs } from "../../src/ports.ts";
import { serveRepository } from "../../src/tasks/serve.ts";

const [dir, killAtText] = Deno.args;
const killAt = Number(killAtText);
let armed = false;
let step = 0;

function point(what: string, path: string): void {
  if (!armed) return;
  step++;
  Deno.stderr.writeSync(new TextEncoder().encode(`STEP ${step} ${what} ${path}\n`));
  if (step === killAt) Deno.kill(Deno.pid, "SIGKILL");
}

const base = denoDeps();
const fs: Fs = {
  ...base.fs,
  writeFileAtomic: async (path, data, options) => {
    const tmp = join(dirname(path), `.${crypto.randomUUID().slice(0, 8)}.hexpub-tmp`);
    point("temp", path);
    await base.fs.writeFile(tmp, data, options);
    point("rename", path);
    await base.fs.rename(tmp, path);
  },
  writeFile: (path, data, options) => {
    point("write", path);
    return base.fs.writeFile(path, data, options);
  },
  createNew: (path, data, options) => {
    point("create", path);
    return base.fs.createNew(path, data, options);
  },
  rename: (from, to) => {
    point("rename", to);
    return base.fs.rename(from, to);
  },
  remove: (path) => {
    point("remove", path);
    return base.fs.remove(path);
  },
  symlink: (target, path) => {
    point("symlink", path);
    return base.fs.symlink(target, path);
  },
};
const deps: Deps = withSettings({ ...base, fs });
const serving = await serveRepository(deps, { dir, hostname: "127.0.0.1", port: 0 });
armed = true;
Deno.stdout.writeSync(new TextEncoder().encode(`PORT ${serving.port}\n`));
await serving.finished;
