/**
 * The publish use case in-process, through the ports: `deps.fetch` bound to
 * the fake hex.pm (or refusing, for "nothing was sent"), the `local`
 * repository in a fresh home, and an empty environment. The task returns
 * values and prints no summary: stdout stays empty here; the CLI renders.
 */
import { strict as assert } from "node:assert";
import { formatError } from "../../src/ui/format_error.ts";
import { join } from "node:path";
import { DeclinedError, type HexpubError, UsageError } from "../../src/errors.ts";
import { carryOut, planPublish, publish, type PublishInput } from "../../src/tasks/publish.ts";
import { renderPlan, renderPublish } from "../../src/ui/render_publish.ts";
import { formatBytes } from "../../src/ui/progress.ts";
import type { ProgressEvent } from "../../src/ports.ts";
import { makeProject } from "../support/project.ts";
import { fakeWithKey, publishEnv, widget } from "./_publish_env.ts";

const base: PublishInput = { target: "package", yes: true, replace: false, dryRun: false };

/** The error a promise rejects with (fails when it resolves). */
async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof Error, `expected an error, got ${e}`);
  return e;
}

Deno.test("plan: a Plan value with the app, its tarball and the target; the summary is rendered from it", async () => {
  const cwd = await makeProject(widget("0.1.0"));
  const { deps, sent } = await publishEnv(cwd);
  const plan = await planPublish(deps, { ...base, target: "all", docDir: "doc" });
  assert.deepEqual(plan.apps.map((a) => `${a.prepared.meta.name} ${a.prepared.meta.version}`), [
    "widget 0.1.0",
  ]);
  assert.equal(plan.target.repo.name, "hexpm");
  assert.match(plan.apps[0].checksum, /^[0-9a-f]{64}$/);
  assert.ok(plan.apps[0].docs && plan.apps[0].docs.length > 0);
  const lines = renderPlan(plan);
  assert.equal(lines[0], "Publishing widget 0.1.0 to hexpm");
  assert.ok(lines.includes(
    `  Tarball: ${formatBytes(plan.apps[0].tarball.length)}, ` +
      `checksum ${plan.apps[0].checksum}`,
  ));
  assert.deepEqual(renderPlan({ ...plan, input: { ...plan.input, target: "docs" } }), [
    `Publishing the docs of widget 0.1.0 to hexpm (docs tarball: ${
      formatBytes(plan.apps[0].docs!.length)
    })`,
  ], "publish docs: the docs alone");
  assert.deepEqual(deps.stdout, [], "planning prints nothing");
  assert.deepEqual(sent, [], "planning sends nothing");
});

Deno.test("publish to hex.pm uploads package and docs, reads the release back, and prints nothing", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.1.0"));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  const r = await publish(deps, { ...base, target: "all", docDir: "doc" });
  const [p] = r.published;
  const rel = fake.release("widget", "0.1.0")!;
  assert.equal(p.checksum, rel.checksum);
  assert.equal(p.verified, true);
  assert.equal(p.docs, "published");
  assert.ok(rel.hasDocs);
  assert.equal(fake.requestsTo("POST", "/publish")[0].query.get("replace"), "false");
  assert.deepEqual(deps.stdout, [], "the task prints no summary");
  assert.match(deps.stderr.join("\n"), /Uploading widget-0\.1\.0\.tar/);
  assert.match(renderPublish(r).join("\n"), /Checksum: [0-9a-f]{64} \(verified on the server\)/);
  fake.assertNoSecretIn(deps.stdout.join("\n") + deps.stderr.join("\n"));
  fake.verify();
});

Deno.test("an existing version needs --replace; past the edit window, hex.pm's rule refuses both replace and revert", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.1.0"));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  await publish(deps, base);
  await Deno.writeTextFile(join(cwd, "src/extra.erl"), "-module(extra).\n");
  const again = await failure(publish(deps, base));
  assert.match(`${again.message} ${(again as HexpubError).hint ?? ""}`, /--replace/);
  const replaced = await publish(deps, { ...base, replace: true });
  assert.equal(replaced.published[0].replaced, true);
  assert.match(renderPublish(replaced)[0], /\(replaced\)/);
  fake.advanceClock(26 * 3600_000);
  await Deno.writeTextFile(join(cwd, "src/more.erl"), "-module(more).\n");
  const late = await failure(publish(deps, { ...base, replace: true }));
  assert.match(late.message, /one hour/);
  const revert = await failure(publish(deps, { ...base, revert: "0.1.0" }));
  assert.match(revert.message, /one hour/);
  assert.ok((revert as HexpubError).hint);
});

Deno.test("revert deletes the release by pkg_name; a dry run deletes nothing; a bad version is a usage error", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.2.0", {
    "src/widget.app.src": `{application, widget, [{description, "A widget"}, {vsn, "0.2.0"},
  {pkg_name, widget_pkg}, {licenses, ["MIT"]}]}.\n`,
  }));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  await publish(deps, base);
  const dry = await publish(deps, { ...base, revert: "0.2.0", dryRun: true });
  assert.deepEqual(renderPublish(dry), [
    "Dry run: would delete package widget_pkg 0.2.0 from hexpm",
  ]);
  assert.ok(fake.release("widget_pkg", "0.2.0"), "still there");
  assert.equal(fake.requestsTo("DELETE", /releases/).length, 0);
  const r = await publish(deps, { ...base, revert: "0.2.0" });
  assert.deepEqual(renderPublish(r), ["Successfully deleted package widget_pkg 0.2.0"]);
  assert.equal(fake.release("widget_pkg", "0.2.0"), undefined);
  assert.ok(await failure(publish(deps, { ...base, revert: "1.0" })) instanceof UsageError);
  assert.deepEqual(deps.stdout, []);
});

Deno.test("a 503 on the upload is an error, sent once; running again publishes", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.3.0"));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  fake.failNext(1, 503, { method: "POST", path: "/publish" });
  assert.match((await failure(publish(deps, base))).message, /503/);
  assert.equal(fake.requestsTo("POST", "/publish").length, 1, "a write is not retried blindly");
  assert.equal((await publish(deps, base)).published[0].verified, true);
});

Deno.test("a dropped connection: landed after the server stored it, 'has not landed' before", async () => {
  const { fake, key } = fakeWithKey();
  const { deps } = await publishEnv(await makeProject(widget("0.4.0")), {
    fake,
    env: { HEX_API_KEY: key },
  });
  fake.dropConnectionNext(1, { method: "POST", path: "/publish", afterHandling: true });
  const r = await publish(deps, base);
  assert.equal(r.published[0].verified, true);
  assert.match(deps.stderr.join("\n"), /landed/);
  assert.equal(
    r.published[0].url,
    "http://fake.test/api/packages/widget/releases/0.4.0",
    "with no answer to take it from, the link is the repository's own API, not hex.pm",
  );

  const before = await publishEnv(await makeProject(widget("0.4.1")), {
    fake,
    env: { HEX_API_KEY: key },
  });
  fake.dropConnectionNext(1, { method: "POST", path: "/publish" });
  const e = await failure(publish(before.deps, base));
  assert.match(`${e.message} ${(e as HexpubError).hint}`, /has not landed[\s\S]*again is safe/);
  assert.equal(fake.release("widget", "0.4.1"), undefined);
  assert.equal((await publish(before.deps, base)).published[0].verified, true);
});

Deno.test("a failed read-back after a successful upload is a warning, and the release is not verified", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.7.0"));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  fake.failNext(4, 503, { method: "GET", path: /releases\/0\.7\.0$/ });
  const r = await publish(deps, base);
  assert.equal(r.published[0].verified, false);
  assert.ok(fake.release("widget", "0.7.0"));
  assert.match(deps.stderr.join("\n"), /was published, but reading it back failed/);
  assert.match(renderPublish(r)[0], /^Published widget 0\.7\.0$/);
});

Deno.test("the dry run needs no credentials, shows the diff from the latest release, and refuses a taken version", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.1.0"));
  await publish((await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } })).deps, base);
  await Deno.writeTextFile(
    join(cwd, "src/widget.app.src"),
    `{application, widget, [{description, "A better widget"}, {vsn, "0.2.0"},
  {licenses, ["Apache-2.0"]}, {links, [{"GitHub", "https://github.com/x/widget"}]}]}.\n`,
  );
  await Deno.writeTextFile(join(cwd, "src/new.erl"), "-module(new).\n");
  const { deps } = await publishEnv(cwd, { fake });
  const r = await publish(deps, { ...base, dryRun: true });
  const [p] = r.published;
  assert.equal(p.dryRun, true);
  assert.equal(p.diff?.against, "0.1.0");
  const shown = renderPublish(r).join("\n");
  assert.match(shown, /Compared with widget 0\.1\.0:/);
  assert.match(shown, /\+ src\/new\.erl/);
  assert.match(shown, /metadata description: "A widget" -> "A better widget"/);
  assert.deepEqual(p.skippedChecks, []);
  assert.equal(fake.requestsTo("POST", "/publish").length, 1, "the dry run uploaded nothing");
  assert.match(deps.stderr.join("\n"), /--dry-run: nothing was uploaded/);

  const same = await publishEnv(await makeProject(widget("0.1.0")), { fake });
  const e = await failure(publish(same.deps, { ...base, dryRun: true }));
  assert.match(e.message, /would be refused by hexpm/);
  // The findings travel in the error (its document under --json lists them).
  assert.match(formatError(e).text, /already published[\s\S]*--replace/);
});

Deno.test("the prompt: declining uploads nothing (DeclinedError); no terminal and no --yes is a usage error", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.6.0"));
  const tty = await publishEnv(cwd, {
    fake,
    env: { HEX_API_KEY: key },
    isTerminal: true,
    answers: ["n"],
  });
  const plan = await planPublish(tty.deps, { ...base, yes: false });
  assert.ok(await failure(carryOut(tty.deps, plan)) instanceof DeclinedError);
  assert.deepEqual(tty.deps.asked, ["Proceed?"]);
  const noTty = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  const e = await failure(publish(noTty.deps, { ...base, yes: false }));
  assert.ok(e instanceof UsageError);
  assert.equal(fake.requestsTo("POST", "/publish").length, 0);
});

Deno.test("publish docs alone, then publish docs --revert keeps the package", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await makeProject(widget("0.8.0"));
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  await publish(deps, base);
  const docs = await publish(deps, { ...base, target: "docs", docDir: "doc" });
  assert.equal(docs.published[0].docs, "published");
  assert.equal(fake.requestsTo("POST", "/publish").length, 1, "the package is not sent again");
  assert.ok(fake.release("widget", "0.8.0")!.hasDocs);
  assert.equal(docs.published[0].docsOnly, true);
  assert.deepEqual(
    Object.keys(docs.published[0]).filter((k) => k === "checksum" || k === "size"),
    [],
    "publish docs: no package checksum or size (the package is not sent)",
  );
  assert.deepEqual(renderPublish(docs), [
    "Published docs for widget 0.8.0",
    "  http://fake.test/repo/docs/widget-0.8.0.tar.gz",
  ], "no package line; the docs' URL as the repository gives it (Location)");
  const dry = await publish(deps, { ...base, target: "docs", docDir: "doc", dryRun: true });
  assert.deepEqual(renderPublish(dry), [
    `Dry run: the docs of widget 0.8.0 (${
      formatBytes(dry.published[0].docsSize!)
    }) would be published to hexpm`,
  ], "the dry run of publish docs: no package line, no package checks");
  assert.ok(!deps.stderr.some((l) => /already published/.test(l)));
  const rev = await publish(deps, { ...base, target: "docs", revert: "0.8.0" });
  assert.deepEqual(renderPublish(rev), ["Successfully deleted docs for widget 0.8.0"]);
  assert.ok(!fake.release("widget", "0.8.0")!.hasDocs);
  assert.ok(fake.release("widget", "0.8.0"), "the package stays");
});

Deno.test("--app all uploads nothing when any app is invalid", async () => {
  const { fake, key } = fakeWithKey();
  const appSrc = (name: string, vsn: string) =>
    `{application, ${name}, [{description, "The ${name} app"}, {vsn, "${vsn}"}, {licenses, ["MIT"]}]}.\n`;
  const cwd = await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "apps/aaa/src/aaa.app.src": appSrc("aaa", "1.0.0"),
    "apps/bbb/src/bbb.app.src": appSrc("bbb", "1.0"),
  });
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  await failure(publish(deps, { ...base, app: "all" }));
  assert.equal(fake.requestsTo("POST", "/publish").length, 0);
});

Deno.test("the local directory: publish with docs, read back, refuse a taken version, revert", async () => {
  const cwd = await makeProject(widget("1.0.0"));
  const { deps, home, sent } = await publishEnv(cwd);
  const dir = join(home, ".local", "share", "hexpub", "local");
  const r = await publish(deps, { ...base, target: "all", repo: "local", docDir: "doc" });
  const [p] = r.published;
  assert.equal(p.verified, true);
  assert.equal(p.docs, "published");
  assert.equal(p.url, join(dir, "tarballs", "widget-1.0.0.tar"));
  assert.ok((await Deno.stat(join(dir, "docs", "widget-1.0.0.tar.gz"))).isFile);

  const dry = await failure(publish(deps, { ...base, repo: "local", dryRun: true }));
  assert.match(dry.message, /would be refused by local/);
  assert.match(formatError(dry).text, /already in the local repository[\s\S]*--replace/);
  const taken = await failure(publish(deps, { ...base, repo: "local" }));
  assert.match(taken.message, /already in the local repository/);

  // Docs alone go onto the release that is there (the package is not written again).
  await Deno.remove(join(dir, "docs", "widget-1.0.0.tar.gz"));
  const docs = await publish(deps, { ...base, target: "docs", repo: "local", docDir: "doc" });
  assert.equal(docs.published[0].docs, "published");
  assert.ok((await Deno.stat(join(dir, "docs", "widget-1.0.0.tar.gz"))).isFile);

  const rev = await publish(deps, { ...base, repo: "local", revert: "1.0.0" });
  assert.equal(rev.reverted?.repo, "local");
  for (const f of ["tarballs/widget-1.0.0.tar", "docs/widget-1.0.0.tar.gz", "packages/widget"]) {
    assert.equal(await Deno.lstat(join(dir, f)).catch(() => undefined), undefined, f);
  }
  const gone = await failure(publish(deps, { ...base, repo: "local", revert: "1.0.0" }));
  assert.match(gone.message, /widget 1\.0\.0 is not in the local repository/);
  assert.deepEqual(sent, [], "the directory needs no server");
  assert.deepEqual(deps.stdout, []);
});

/** A widget with 1.2 MiB of bytes gzip cannot shrink, so its tarball passes 1 MiB. */
async function bigWidget(version: string): Promise<string> {
  const cwd = await makeProject(widget(version));
  await Deno.mkdir(join(cwd, "priv"), { recursive: true });
  const noise = new Uint8Array(1.2 * 1024 * 1024);
  for (let at = 0; at < noise.length; at += 65536) {
    crypto.getRandomValues(noise.subarray(at, at + 65536));
  }
  await Deno.writeFile(join(cwd, "priv/noise.bin"), noise);
  return cwd;
}

Deno.test("progress: a bar where Output.progress is there (1 MiB or more), else start and end lines", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await bigWidget("0.1.0");
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  const events: ProgressEvent[] = [];
  deps.out = { ...deps.out, progress: (e) => events.push(e) };
  const r = await publish(deps, { ...base, target: "all", docDir: "doc" });
  const size = r.published[0].size!;
  assert.ok(size >= 1024 * 1024, `the tarball is ${size} bytes`);
  const bar = events.filter((e) => e.label === "Uploading widget-0.1.0.tar");
  assert.deepEqual(bar[0], { label: "Uploading widget-0.1.0.tar", done: 0, total: size });
  assert.ok(bar.length >= 10, `${bar.length} events`);
  assert.deepEqual(bar.at(-1), { ...bar[0], done: size, finished: true });
  assert.ok(bar.some((e) => e.done > 0 && e.done < size), "steps between");
  assert.ok(events.every((e) => e.label === "Uploading widget-0.1.0.tar"), "small docs: no bar");
  const stderr = deps.stderr.join("\n");
  assert.doesNotMatch(stderr, /Uploading widget-0\.1\.0\.tar \(/, "no start line under a bar");
  assert.match(stderr, /^Uploaded widget-0\.1\.0\.tar \(1\.\d MiB\) in \d+\.\d s$/m);
  assert.match(
    stderr,
    /^Uploading the docs of widget 0\.1\.0 \(\d+ B\) to http:\/\/fake\.test\/api$/m,
  );
  assert.equal(fake.release("widget", "0.1.0")?.checksum, r.published[0].checksum);

  const plain = await publishEnv(await bigWidget("0.2.0"), { fake, env: { HEX_API_KEY: key } });
  await publish(plain.deps, base);
  const lines = plain.deps.stderr.filter((l) => /^Upload/.test(l));
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(
    lines[0],
    /^Uploading widget-0\.2\.0\.tar \(1\.\d MiB\) to http:\/\/fake\.test\/api$/,
  );
  assert.match(lines[1], /^Uploaded in \d+\.\d s$/);
  const shown = lines[0].match(/ \((.+)\) to /)![1];
  const plan = await planPublish(plain.deps, { ...base, dryRun: true });
  assert.ok(
    renderPlan(plan).includes(`  Tarball: ${shown}, checksum ${plan.apps[0].checksum}`),
    `the summary says the size as the upload line does (${shown})`,
  );
});

Deno.test("progress: a failed upload clears the bar and prints no end line", async () => {
  const { fake, key } = fakeWithKey();
  const cwd = await bigWidget("0.1.0");
  const { deps } = await publishEnv(cwd, { fake, env: { HEX_API_KEY: key } });
  const events: ProgressEvent[] = [];
  deps.out = { ...deps.out, progress: (e) => events.push(e) };
  fake.failNext(1, 403, { method: "POST", path: "/publish" });
  await failure(publish(deps, base));
  assert.equal(events.at(-1)?.finished, true);
  assert.doesNotMatch(deps.stderr.join("\n"), /Uploaded/);
});
