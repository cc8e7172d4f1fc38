/**
 * Which validation findings stop `publish` (and `cut`'s check), by target
 * repository: what only hex.pm refuses (a licence that is not SPDX, no
 * description, a link that is not http(s)) is a warning for `build`, stops a
 * publish or dry run to hex.pm before any request, and stays a warning for an
 * organization, `local` or a self-hosted repository; `--strict` stops on every
 * warning. Requests go to a recording `fetch` that fails, so "nothing was sent"
 * is checked, not assumed.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { ValidationError } from "../../src/errors.ts";
import { build } from "../../src/tasks/build.ts";
import { checkPublishable, publish, type PublishInput } from "../../src/tasks/publish.ts";
import { makeProject } from "../support/project.ts";
import { type TestDeps, testDeps } from "../support/test_deps.ts";

const APP_SRC = (licence: string) =>
  `{application, widget, [{description, "A widget"}, {vsn, "1.0.0"},\n` +
  `  {licenses, ["${licence}"]}, {links, [{"GitHub", "https://github.com/x/widget"}]}]}.\n`;

async function project(licence = "Apache 2.0") {
  return await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "src/widget.app.src": APP_SRC(licence),
    "src/widget.erl": "-module(widget).\n",
  });
}

/** Ports with a private home and local repository, and a fetch that records and fails. */
async function isolated(cwd: string): Promise<{ deps: TestDeps; sent: string[]; local: string }> {
  const home = await Deno.makeTempDir({ prefix: "hexpub-home-" });
  const local = join(home, "local-repo");
  const deps = testDeps(cwd, {
    env: {
      HOME: home,
      HEXPUB_CONFIG_DIR: join(home, "config"),
      REBAR_GLOBAL_CONFIG_DIR: join(home, "rebar3"),
      HEXPUB_LOCAL_REPO: local,
      HEX_API_KEY: "not-a-real-key",
      HEX_API_URL: "",
      HEX_MIRROR_URL: "",
      HEX_CDN: "",
    },
  });
  const sent: string[] = [];
  deps.fetch = (req) => {
    sent.push(`${req.method} ${req.url}`);
    return Promise.reject(new TypeError("offline (test)"));
  };
  return { deps, sent, local };
}

const base: PublishInput = {
  target: "package",
  yes: true,
  replace: false,
  dryRun: false,
};

async function refusal(p: Promise<unknown>): Promise<ValidationError> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${e}`);
  return e;
}

Deno.test("build -r hexpm warns that hex.pm will refuse an invalid licence, and writes the tarball", async () => {
  const cwd = await project();
  const { deps } = await isolated(cwd);
  const r = await build(deps, {
    target: "package",
    unpack: false,
    repo: "hexpm",
    strict: false,
    output: join(cwd, "out.tar"),
  });
  assert.deepEqual(r.warnings.map((w) => `${w.field}:${w.refusedBy}`), ["licenses:hexpm"]);
  assert.ok((await Deno.stat(join(cwd, "out.tar"))).size > 0);
  assert.match(
    deps.stderr.join("\n"),
    /warning: .*hex\.pm will refuse this release: invalid license type detected: "Apache 2\.0"\n\s+hint: did you mean "Apache-2\.0"/,
  );
});

for (const dryRun of [false, true]) {
  Deno.test(`publish${dryRun ? " --dry-run" : ""} to hexpm refuses an invalid licence before any request (exit 1)`, async () => {
    const cwd = await project();
    const { deps, sent } = await isolated(cwd);
    const e = await refusal(publish(deps, { ...base, dryRun }));
    assert.equal(e.exitCode, 1);
    assert.match(e.message, /^hexpm would refuse this release: 1 problem$/);
    assert.match(e.hint!, /Nothing was uploaded/);
    assert.deepEqual(e.problems.map((p) => `${p.level}:${p.field}`), ["error:licenses"]);
    assert.match(e.problems[0].hint!, /did you mean "Apache-2\.0"/);
    assert.deepEqual(sent, [], "no request was sent");
  });
}

Deno.test("publish to hexpm refuses a missing description and a bad link too, listing both", async () => {
  const cwd = await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "src/widget.app.src": `{application, widget, [{vsn, "1.0.0"}, {licenses, ["MIT"]},\n` +
      `  {links, [{"Mirror", "ftp://example.com/widget"}]}]}.\n`,
    "src/widget.erl": "-module(widget).\n",
  });
  const { deps, sent } = await isolated(cwd);
  const e = await refusal(publish(deps, { ...base, dryRun: true }));
  assert.deepEqual(e.problems.map((p) => `${p.level}:${p.field}`), [
    "error:description",
    "error:links.Mirror",
  ]);
  assert.deepEqual(sent, []);
});

Deno.test("publish to local warns about hex.pm's rules and publishes", async () => {
  const cwd = await project();
  const { deps, sent, local } = await isolated(cwd);
  const r = await publish(deps, { ...base, repo: "local" });
  assert.deepEqual(r.warnings.map((w) => `${w.field}:${w.refusedBy ?? "-"}`), ["licenses:-"]);
  assert.match(
    deps.stderr.join("\n"),
    /warning: .*"Apache 2\.0" \(public hex\.pm would refuse it\)/,
  );
  assert.equal(r.published[0].verified, true);
  assert.ok((await Deno.stat(join(local, "tarballs", "widget-1.0.0.tar"))).isFile);
  assert.deepEqual(sent, []);
});

Deno.test("publish --dry-run to an organization keeps a licence a warning (only public hex.pm checks it)", async () => {
  const cwd = await project();
  const { deps } = await isolated(cwd);
  const r = await publish(deps, { ...base, repo: "hexpm:acme", dryRun: true });
  assert.deepEqual(r.warnings.map((w) => w.field), ["licenses"]);
  assert.equal(r.published[0].dryRun, true);
});

Deno.test("publish --strict stops on any warning, before anything is written", async () => {
  const cwd = await project();
  const { deps, local } = await isolated(cwd);
  const e = await refusal(publish(deps, { ...base, repo: "local", strict: true }));
  assert.match(e.message, /--strict turns warnings into errors/);
  assert.deepEqual(e.problems.map((p) => `${p.level}:${p.field}`), ["warning:licenses"]);
  assert.equal(await Deno.stat(local).catch(() => undefined), undefined, "nothing written");
  // A clean package passes --strict.
  const clean = await isolated(await project("Apache-2.0"));
  const ok = await publish(clean.deps, { ...base, repo: "local", strict: true });
  assert.equal(ok.published[0].verified, true);
});

Deno.test("cut's check before committing: refused to hexpm, accepted to local unless --strict", async () => {
  const cwd = await project();
  const { deps, sent } = await isolated(cwd);
  const e = await refusal(checkPublishable(deps, { version: "1.0.1" }));
  assert.deepEqual(e.problems.map((p) => `${p.level}:${p.field}`), ["error:licenses"]);
  assert.deepEqual(sent, []);
  await checkPublishable(deps, { version: "1.0.1", repo: "local" });
  const strict = await refusal(
    checkPublishable(deps, { version: "1.0.1", repo: "local", strict: true }),
  );
  assert.deepEqual(strict.problems.map((p) => p.field), ["licenses"]);
});
