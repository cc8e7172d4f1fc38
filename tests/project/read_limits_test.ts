/**
 * What hexpub reads from a project is bounded: term files and `{file, …}` versions by size,
 * `{cmd, …}` versions by time (HEXPUB_CMD_TIMEOUT) and by output, each with an error naming the
 * file or command and the limit.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { ProjectError, UsageError } from "../../src/errors.ts";
import { parseAppSrc } from "../../src/project/app_src.ts";
import { consultFile } from "../../src/project/consult.ts";
import { resolveVersion } from "../../src/project/resolve_version.ts";
import { makeProject } from "../support/project.ts";
import { testDeps } from "../support/test_deps.ts";

const MiB = 1024 * 1024;

/** A term file of about `bytes` bytes: one long env list. */
function bigAppSrc(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const s = `{k${i}, "value ${i}"},\n`;
    parts.push(s);
    size += s.length;
  }
  return `{application, big, [{vsn, "1.0.0"}, {env, [\n${parts.join("")}{last, 1}]}]}.\n`;
}

async function appWith(vsn: string, env: Record<string, string> = {}, extra = {}) {
  const root = await makeProject({
    "src/demo.app.src": `{application, demo,\n  [{description, "d"},\n   {vsn, ${vsn}}]}.\n`,
    ...extra,
  });
  const deps = testDeps(root, { env: { PATH: Deno.env.get("PATH") ?? "", ...env } });
  const app = parseAppSrc((await consultFile(deps, join(root, "src/demo.app.src")))!);
  return { root, deps, app };
}

Deno.test("a term file over 1 MiB is refused, naming it and the limit, before it is parsed", async () => {
  const root = await makeProject({
    "rebar.config": `%% padding\n${bigAppSrc(MiB + 10)}`,
    "src/big.app.src": bigAppSrc(MiB + 10),
    "src/ok.app.src": bigAppSrc(MiB - 4096),
  });
  const deps = testDeps(root);
  for (const file of ["rebar.config", "src/big.app.src"]) {
    await assert.rejects(
      consultFile(deps, join(root, file)),
      (e: unknown) =>
        e instanceof ProjectError && e.where?.file === join(root, file) &&
        e.message.includes(join(root, file)) && /larger than 1 MiB/.test(e.message),
    );
  }
  assert.equal((await consultFile(deps, join(root, "src/ok.app.src")))?.terms.length, 1);
});

Deno.test("a term file that is not a regular file (a FIFO) is refused, not waited on", async () => {
  const root = await makeProject({ "src/demo.app.src": "" });
  await Deno.remove(join(root, "src/demo.app.src"));
  const mk = await new Deno.Command("mkfifo", { args: [join(root, "rebar.config")] }).output();
  assert.equal(mk.code, 0);
  await assert.rejects(
    consultFile(testDeps(root), join(root, "rebar.config")),
    (e: unknown) => e instanceof ProjectError && /not a regular file/.test(e.message),
  );
});

Deno.test("a {file, …} version over 1 MiB is refused, naming the file", async () => {
  const t = await appWith(`{file, "VERSION"}`, {}, { VERSION: "1".repeat(MiB + 1) });
  await assert.rejects(
    resolveVersion(t.deps, t.app, t.root),
    (e: unknown) =>
      e instanceof ProjectError && e.message.includes(join(t.root, "VERSION")) &&
      /larger than 1 MiB/.test(e.message),
  );
});

Deno.test("a {cmd, …} version that does not finish in HEXPUB_CMD_TIMEOUT is stopped, naming the command", async () => {
  const t = await appWith(`{cmd, "sleep 3; echo 1.0.0"}`, { HEXPUB_CMD_TIMEOUT: "0.3" });
  await assert.rejects(
    resolveVersion(t.deps, t.app, t.root),
    (e: unknown) =>
      e instanceof ProjectError && e.where?.line === 3 &&
      /the vsn command "sleep 3; echo 1\.0\.0" did not finish within 0\.3 s/.test(e.message) &&
      /HEXPUB_CMD_TIMEOUT/.test(e.hint ?? ""),
  );
  // A malformed value is a usage error naming the variable.
  const bad = await appWith(`{cmd, "echo 1.0.0"}`, { HEXPUB_CMD_TIMEOUT: "soon" });
  await assert.rejects(
    resolveVersion(bad.deps, bad.app, bad.root),
    (e: unknown) => e instanceof UsageError && /HEXPUB_CMD_TIMEOUT/.test(e.message),
  );
  const ok = await appWith(`{cmd, "echo 1.0.0"}`, { HEXPUB_CMD_TIMEOUT: "30" });
  assert.equal((await resolveVersion(ok.deps, ok.app, ok.root)).version, "1.0.0");
});

Deno.test("a {cmd, …} version printing more than the cap is stopped, naming the command and the cap", async () => {
  const t = await appWith(`{cmd, "head -c 20000000 /dev/zero | tr '\\\\0' 1"}`);
  await assert.rejects(
    resolveVersion(t.deps, t.app, t.root),
    (e: unknown) =>
      e instanceof ProjectError &&
      /the vsn command "head -c 20000000 .*" printed more than 8 MiB on stdout/.test(
        e.message,
      ),
  );
  const err = await appWith(`{cmd, "head -c 20000000 /dev/zero >&2; echo 1.0.0"}`);
  await assert.rejects(
    resolveVersion(err.deps, err.app, err.root),
    (e: unknown) => e instanceof ProjectError && /more than 8 MiB on stderr/.test(e.message),
  );
});
