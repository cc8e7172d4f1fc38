/**
 * `cut` against real git: a temporary project whose `origin` is a bare
 * repository on disk. Failures are made real where git allows it (a failing
 * hook, a locked ref, a refusing remote) and faked at `deps.run` only for what
 * a local remote cannot do (refuse atomic pushes).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { HexpubError, UsageError, ValidationError } from "../../src/errors.ts";
import { checkPublishable } from "../../src/tasks/publish.ts";
import { LiveReleaseError } from "../../src/tasks/publish_outcome.ts";
import type { RunResult } from "../../src/ports.ts";
import {
  cut,
  type CutInput,
  type CutPublish,
  type CutPublishOptions,
  DeclinedError,
} from "../../src/tasks/cut.ts";
import { type Entry, git, makeProject } from "../support/project.ts";
import { type TestDeps, testDeps } from "../support/test_deps.ts";
import { relativizeText } from "../../src/ui/display_path.ts";

/** The identity and clock the `git` helper uses, and no user or system config. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: "Hexpub Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Hexpub Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
};

const APP_SRC = `%% -*- mode: erlang -*-
{application, demo,
 [{description, "A demo"},
  %% the version, bumped by cut
  {vsn,   "1.2.3"},   % keep this comment
  {registered, []},
  {applications, [kernel, stdlib]}]}.
`;

const FILES: Record<string, Entry> = {
  "rebar.config": "{deps, []}.\n",
  "src/demo.app.src": APP_SRC,
  "src/demo.erl": "-module(demo).\n",
  "README.md": "# demo\n",
};

interface Repo {
  dir: string;
  origin: string;
  branch: string;
  /** HEAD before the cut. */
  start: string;
}

/** A committed project pushed to a bare `origin`. */
async function setup(
  options: { files?: Record<string, Entry>; branch?: string; bytes?: Record<string, Uint8Array> } =
    {},
): Promise<Repo> {
  const branch = options.branch ?? "main";
  const dir = await makeProject(options.files ?? FILES);
  for (const [path, data] of Object.entries(options.bytes ?? {})) {
    await Deno.writeFile(join(dir, path), data);
  }
  const origin = await Deno.makeTempDir({ prefix: "hexpub-origin-" });
  await git(origin, "init", "-q", "--bare", "-b", branch);
  await git(dir, "init", "-q", "-b", branch);
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "Initial");
  await git(dir, "remote", "add", "origin", origin);
  await git(dir, "push", "-q", "origin", branch);
  return { dir, origin, branch, start: await rev(dir, "HEAD") };
}

async function rev(dir: string, ref: string): Promise<string> {
  return (await git(dir, "rev-parse", ref)).trim();
}

/** Every ref and what it points at, to compare before and after. */
async function refs(dir: string): Promise<string> {
  return await git(dir, "for-each-ref", "--format=%(refname) %(objectname)");
}

async function snapshot(repo: Repo) {
  return {
    refs: await refs(repo.dir),
    origin: await refs(repo.origin),
    head: await rev(repo.dir, "HEAD"),
    appSrc: await Deno.readFile(join(repo.dir, "src/demo.app.src")),
    status: await git(repo.dir, "status", "--porcelain"),
  };
}

function recorder(failure?: Error): { calls: CutPublishOptions[]; publish: CutPublish } {
  const calls: CutPublishOptions[] = [];
  return {
    calls,
    publish: (_deps, opts) => {
      calls.push(opts);
      return failure ? Promise.reject(failure) : Promise.resolve();
    },
  };
}

function deps(
  dir: string,
  options: { isTerminal?: boolean; answers?: string[] } = {},
): TestDeps {
  return testDeps(dir, { env: GIT_ENV, ...options });
}

function input(over: Partial<CutInput> = {}): CutInput {
  return { increment: "patch", prefixTag: true, yes: true, dryRun: false, ...over };
}

async function hook(gitDir: string, name: string, script: string): Promise<void> {
  const path = join(gitDir, "hooks", name);
  await Deno.mkdir(join(gitDir, "hooks"), { recursive: true });
  await Deno.writeTextFile(path, `#!/bin/sh\n${script}\n`);
  await Deno.chmod(path, 0o755);
}

Deno.test("cut: bumps only the vsn, commits only the .app.src, tags, pushes and publishes", async () => {
  const repo = await setup();
  const d = deps(repo.dir);
  const pub = recorder();
  const result = await cut(d, input({ repo: "hexpm" }), pub.publish);

  const head = await rev(repo.dir, "HEAD");
  assert.deepEqual(result, {
    app: "demo",
    previousVersion: "1.2.3",
    version: "1.2.4",
    tag: "v1.2.4",
    vsnSource: "literal",
    commit: head,
    taggedCommit: head,
    branch: "main",
    remote: "origin",
    pushed: true,
    published: true,
    dryRun: false,
  });
  // Byte for byte the same file but for the vsn value.
  assert.equal(
    await Deno.readTextFile(join(repo.dir, "src/demo.app.src")),
    APP_SRC.replace('"1.2.3"', '"1.2.4"'),
  );
  // One commit, on top of the start, touching only the .app.src.
  assert.equal(await rev(repo.dir, "HEAD~1"), repo.start);
  assert.equal((await git(repo.dir, "log", "-1", "--format=%s")).trim(), "Bump to 1.2.4");
  assert.equal(
    (await git(repo.dir, "show", "--name-only", "--format=", "HEAD")).trim(),
    "src/demo.app.src",
  );
  assert.equal(await git(repo.dir, "status", "--porcelain"), "");
  // An annotated tag on the bump commit, locally and on origin; the branch pushed.
  assert.equal((await git(repo.dir, "cat-file", "-t", "v1.2.4")).trim(), "tag");
  assert.equal(await rev(repo.dir, "v1.2.4^{commit}"), head);
  assert.equal(await rev(repo.origin, "refs/tags/v1.2.4^{commit}"), head);
  assert.equal(await rev(repo.origin, "refs/heads/main"), head);
  assert.deepEqual(pub.calls, [
    { app: "demo", version: "1.2.4", yes: true, dryRun: false, repo: "hexpm" },
  ]);
  // Each step printed (the task names files by absolute path; as the CLI shows them here).
  const said = relativizeText(d.cwd, d.stderr.join("\n"));
  for (
    const line of [
      /Cutting demo 1\.2\.3 -> 1\.2\.4/,
      /Set vsn to "1\.2\.4" in src\/demo\.app\.src \(line 5\)/,
      /Committed [0-9a-f]{7} "Bump to 1\.2\.4" \(src\/demo\.app\.src only\)/,
      /Tagged [0-9a-f]{7} as v1\.2\.4/,
      /Pushed [0-9a-f]{7} to origin\/main and the tag v1\.2\.4/,
      /Publishing demo 1\.2\.4/,
    ]
  ) assert.match(said, line);
});

Deno.test("cut: a Latin-1 .app.src with CRLF lines stays Latin-1 and CRLF", async () => {
  const text = '%% coding: latin-1\r\n{application, demo,\r\n [{description, "Caf\xe9"},\r\n' +
    '  {vsn, "0.9.0"}]}.\r\n';
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  const repo = await setup({
    files: { "rebar.config": "{deps, []}.\n", "src/demo.erl": "-module(demo).\n" },
    bytes: { "src/demo.app.src": bytes },
  });
  const result = await cut(deps(repo.dir), input({ increment: "minor" }), recorder().publish);
  assert.equal(result.version, "0.10.0");
  const expected = Uint8Array.from(text.replace('"0.9.0"', '"0.10.0"'), (c) => c.charCodeAt(0));
  assert.deepEqual(await Deno.readFile(join(repo.dir, "src/demo.app.src")), expected);
});

Deno.test("cut: pushes the current branch, whatever its name", async () => {
  const repo = await setup({ branch: "trunk" });
  await git(repo.dir, "branch", "master"); // a master that must not move
  const result = await cut(deps(repo.dir), input({ increment: "major" }), recorder().publish);
  assert.equal(result.branch, "trunk");
  assert.equal(result.version, "2.0.0");
  assert.equal(await rev(repo.origin, "refs/heads/trunk"), result.commit);
  assert.equal(await rev(repo.dir, "master"), repo.start);
  assert.ok(!(await refs(repo.origin)).includes("refs/heads/master"));
});

Deno.test("cut: detached HEAD needs --branch, which pushes HEAD to that branch", async () => {
  const repo = await setup();
  await git(repo.dir, "checkout", "-q", "--detach");
  const before = await snapshot(repo);
  await assert.rejects(
    cut(deps(repo.dir), input(), recorder().publish),
    (e: unknown) =>
      e instanceof UsageError && /detached/.test(e.message) && /--branch/.test(e.hint ?? ""),
  );
  assert.deepEqual(await snapshot(repo), before);

  const result = await cut(deps(repo.dir), input({ branch: "main" }), recorder().publish);
  assert.equal(result.branch, "main");
  assert.equal(await rev(repo.origin, "refs/heads/main"), result.commit);
});

Deno.test("cut: {vsn, git} is only tagged: no file change, no commit", async () => {
  const repo = await setup({
    files: {
      ...FILES,
      "src/demo.app.src": '{application, demo, [{description, "A demo"}, {vsn, git}]}.\n',
    },
  });
  await git(repo.dir, "tag", "v1.0.0");
  await Deno.writeTextFile(join(repo.dir, "src/demo.erl"), "-module(demo).\n-export([]).\n");
  await git(repo.dir, "commit", "-q", "-am", "Work");
  const head = await rev(repo.dir, "HEAD");
  const before = await Deno.readFile(join(repo.dir, "src/demo.app.src"));
  const pub = recorder();

  const result = await cut(deps(repo.dir), input({ increment: "minor" }), pub.publish);
  assert.equal(result.previousVersion.split("+")[0], "1.0.0");
  assert.equal(result.version, "1.1.0");
  assert.equal(result.vsnSource, "git");
  assert.equal(result.commit, undefined);
  assert.equal(result.taggedCommit, head);
  assert.equal(await rev(repo.dir, "HEAD"), head);
  assert.deepEqual(await Deno.readFile(join(repo.dir, "src/demo.app.src")), before);
  assert.equal(await rev(repo.dir, "v1.1.0^{commit}"), head);
  assert.equal(await rev(repo.origin, "refs/tags/v1.1.0^{commit}"), head);
  assert.equal(await rev(repo.origin, "refs/heads/main"), head);
  assert.deepEqual(pub.calls.map((c) => c.version), ["1.1.0"]);
});

Deno.test("cut: --prefix-tag false tags VSN, not vVSN", async () => {
  const repo = await setup();
  const result = await cut(deps(repo.dir), input({ prefixTag: false }), recorder().publish);
  assert.equal(result.tag, "1.2.4");
  assert.equal((await git(repo.dir, "tag", "-l")).trim(), "1.2.4");
  assert.equal(await rev(repo.origin, "refs/tags/1.2.4^{commit}"), result.commit);
});

Deno.test("cut: --dry-run prints every step and changes nothing; publish runs dry", async () => {
  const repo = await setup();
  const before = await snapshot(repo);
  const d = deps(repo.dir);
  const pub = recorder();
  const result = await cut(d, input({ dryRun: true, yes: false }), pub.publish);
  assert.equal(result.dryRun, true);
  assert.equal(result.pushed, false);
  assert.equal(result.published, false);
  assert.equal(result.commit, undefined);
  assert.deepEqual(await snapshot(repo), before);
  assert.deepEqual(pub.calls, [{ app: "demo", version: "1.2.4", yes: false, dryRun: true }]);
  const said = relativizeText(d.cwd, d.stderr.join("\n"));
  for (
    const line of [
      /dry run: nothing changes/,
      /Would set vsn to "1\.2\.4" in src\/demo\.app\.src/,
      /Would commit src\/demo\.app\.src alone as "Bump to 1\.2\.4"/,
      /Would tag that commit as v1\.2\.4/,
      /Would ask before pushing/,
      /Would push HEAD to origin\/main and the tag v1\.2\.4/,
      /Would publish demo 1\.2\.4/,
    ]
  ) assert.match(said, line);
});

Deno.test("cut: without -i and without a terminal it is a usage error naming -i", async () => {
  const repo = await setup();
  const before = await snapshot(repo);
  await assert.rejects(
    cut(deps(repo.dir), input({ increment: undefined }), recorder().publish),
    (e: unknown) =>
      e instanceof UsageError && e.exitCode === 2 && /-i\/--increment/.test(e.message),
  );
  assert.deepEqual(await snapshot(repo), before);
});

Deno.test("cut: without --yes and without a terminal it is a usage error naming --yes", async () => {
  const repo = await setup();
  const before = await snapshot(repo);
  await assert.rejects(
    cut(deps(repo.dir), input({ yes: false }), recorder().publish),
    (e: unknown) => e instanceof UsageError && /--yes/.test(e.hint ?? ""),
  );
  assert.deepEqual(await snapshot(repo), before);
});

Deno.test("cut: with neither --yes nor -i and no terminal, one error names both", async () => {
  const repo = await setup();
  await assert.rejects(
    cut(deps(repo.dir), input({ yes: false, increment: undefined }), recorder().publish),
    (e: unknown) =>
      e instanceof UsageError && /--yes/.test(e.hint ?? "") && /-i patch/.test(e.hint ?? ""),
  );
});

Deno.test("cut: on a terminal it asks rebar3_hex's menu, then before pushing", async () => {
  const repo = await setup();
  const d = deps(repo.dir, { isTerminal: true, answers: ["minor", "y"] });
  const result = await cut(d, input({ increment: undefined, yes: false }), recorder().publish);
  assert.equal(result.version, "1.3.0");
  assert.equal(d.asked[0], "Select semver increment or other (Current 1.2.3):");
  assert.match(d.asked[1], /^Push main and v1\.3\.0 to origin, then publish demo 1\.3\.0\?$/);
  assert.equal(await rev(repo.origin, "refs/tags/v1.3.0^{commit}"), result.commit);
});

Deno.test("cut: 'other' asks for a version again until it is valid and greater", async () => {
  const repo = await setup();
  const d = deps(repo.dir, { isTerminal: true, answers: ["other", "1.0.0", "v2", "2.0.0-rc.1"] });
  const result = await cut(d, input({ increment: undefined }), recorder().publish);
  assert.equal(result.version, "2.0.0-rc.1");
  assert.deepEqual(d.asked.slice(1), ["New Version > ", "New Version > ", "New Version > "]);
  assert.match(d.stderr.join("\n"), /the new version "1\.0\.0" is not greater.*try again/);
});

Deno.test("cut: uncommitted changes in the app are a usage error naming them", async () => {
  const repo = await setup();
  await Deno.writeTextFile(join(repo.dir, "src/demo.erl"), "-module(demo). % edited\n");
  await Deno.writeTextFile(join(repo.dir, "src/new.erl"), "-module(new).\n");
  const before = await snapshot(repo);
  await assert.rejects(
    cut(deps(repo.dir), input(), recorder().publish),
    (e: unknown) =>
      e instanceof UsageError && /uncommitted changes/.test(e.message) &&
      e.message.includes("src/demo.erl") && e.message.includes("src/new.erl"),
  );
  assert.deepEqual(await snapshot(repo), before);
});

Deno.test("cut: outside a git work tree, or with no such remote, it is a usage error", async () => {
  const plain = await makeProject(FILES);
  await assert.rejects(
    cut(deps(plain), input(), recorder().publish),
    (e: unknown) => e instanceof UsageError && /not inside a git work tree/.test(e.message),
  );
  const repo = await setup();
  await assert.rejects(
    cut(deps(repo.dir), input({ remote: "upstream" }), recorder().publish),
    (e: unknown) =>
      e instanceof UsageError && /no git remote named "upstream"/.test(e.message) &&
      /origin/.test(e.hint ?? ""),
  );
});

Deno.test("cut: an existing tag, here or on origin, stops it before any change", async () => {
  const repo = await setup();
  await git(repo.dir, "tag", "v1.2.4");
  let before = await snapshot(repo);
  await assert.rejects(
    cut(deps(repo.dir), input(), recorder().publish),
    (e: unknown) => e instanceof UsageError && /tag v1\.2\.4 already exists$/.test(e.message),
  );
  assert.deepEqual(await snapshot(repo), before);

  await git(repo.dir, "push", "-q", "origin", "v1.2.4");
  await git(repo.dir, "tag", "-d", "v1.2.4");
  before = await snapshot(repo);
  await assert.rejects(
    cut(deps(repo.dir), input(), recorder().publish),
    (e: unknown) => e instanceof UsageError && /already exists on origin/.test(e.message),
  );
  assert.deepEqual(await snapshot(repo), before);
});

Deno.test("cut: a failing commit (pre-commit hook) restores the .app.src", async () => {
  const repo = await setup();
  await hook(join(repo.dir, ".git"), "pre-commit", 'echo "lint failed" >&2; exit 1');
  const before = await snapshot(repo);
  const d = deps(repo.dir);
  const pub = recorder();
  await assert.rejects(
    cut(d, input(), pub.publish),
    (e: unknown) =>
      e instanceof HexpubError &&
      /committing src\/demo\.app\.src failed/.test(relativizeText(d.cwd, e.message)) &&
      /lint failed/.test(e.message),
  );
  assert.deepEqual(await snapshot(repo), before);
  assert.equal(pub.calls.length, 0);
  const said = relativizeText(d.cwd, d.stderr.join("\n"));
  assert.match(said, /Rolling back/);
  assert.match(said, /Restored src\/demo\.app\.src \(vsn "1\.2\.3"\)/);
  assert.match(said, /Nothing of the cut remains/);
});

Deno.test("cut: a failing tag undoes the bump commit", async () => {
  const repo = await setup();
  // A stale ref lock: git cannot create the tag.
  await Deno.mkdir(join(repo.dir, ".git/refs/tags"), { recursive: true });
  await Deno.writeTextFile(join(repo.dir, ".git/refs/tags/v1.2.4.lock"), "");
  const before = await snapshot(repo);
  const d = deps(repo.dir);
  await assert.rejects(
    cut(d, input(), recorder().publish),
    (e: unknown) => e instanceof HexpubError && /tagging v1\.2\.4 failed/.test(e.message),
  );
  assert.deepEqual(await snapshot(repo), before);
  assert.match(d.stderr.join("\n"), /Undid the commit [0-9a-f]{7}: HEAD is back at/);
});

Deno.test("cut: a refused push undoes the tag and the commit, keeping other work", async () => {
  const repo = await setup({
    files: {
      "rebar.config": "{deps, []}.\n",
      "apps/demo/src/demo.app.src": APP_SRC,
      "apps/other/src/other.app.src": '{application, other, [{vsn, "0.1.0"}]}.\n',
      "apps/other/src/other.erl": "-module(other).\n",
    },
  });
  await hook(repo.origin, "pre-receive", 'echo "push refused" >&2; exit 1');
  // Uncommitted work in another app does not stop the cut, and survives the rollback.
  await Deno.writeTextFile(join(repo.dir, "apps/other/src/other.erl"), "-module(other). % wip\n");
  const head = await rev(repo.dir, "HEAD");
  const originBefore = await refs(repo.origin);
  const appSrcBefore = await Deno.readFile(join(repo.dir, "apps/demo/src/demo.app.src"));
  const d = deps(repo.dir);
  await assert.rejects(
    cut(d, input({ app: "demo" }), recorder().publish),
    (e: unknown) =>
      e instanceof HexpubError && /pushing to origin failed/.test(e.message) &&
      /push refused/.test(e.message),
  );
  assert.equal(await rev(repo.dir, "HEAD"), head);
  assert.equal((await git(repo.dir, "tag", "-l")).trim(), "");
  assert.equal(await refs(repo.origin), originBefore);
  assert.deepEqual(await Deno.readFile(join(repo.dir, "apps/demo/src/demo.app.src")), appSrcBefore);
  assert.equal(
    await Deno.readTextFile(join(repo.dir, "apps/other/src/other.erl")),
    "-module(other). % wip\n",
  );
  const said = d.stderr.join("\n");
  assert.match(said, /Deleted the tag v1\.2\.4\n/);
  assert.match(said, /Undid the commit/);
  assert.doesNotMatch(said, /from origin/);
});

Deno.test("cut: without atomic pushes, a failed tag push keeps the pushed commit and says how to finish", async () => {
  const repo = await setup();
  const d = deps(repo.dir);
  const realRun = d.run;
  d.run = (cmd, args, options): Promise<RunResult> => {
    if (cmd === "git" && args[0] === "push" && args.includes("--atomic")) {
      return Promise.resolve({
        code: 128,
        stdout: "",
        stderr: "fatal: the receiving end does not support --atomic push\n",
      });
    }
    if (cmd === "git" && args[0] === "push" && args[args.length - 1] === "refs/tags/v1.2.4") {
      return Promise.resolve({ code: 1, stdout: "", stderr: "error: tag push rejected\n" });
    }
    return realRun(cmd, args, options);
  };
  const pub = recorder();
  await assert.rejects(
    cut(d, input(), pub.publish),
    (e: unknown) => e instanceof HexpubError && /tag push rejected/.test(e.message),
  );
  const head = await rev(repo.dir, "HEAD");
  assert.notEqual(head, repo.start); // kept: it is on origin
  assert.equal(await rev(repo.origin, "refs/heads/main"), head);
  assert.equal((await git(repo.dir, "tag", "-l")).trim(), "");
  assert.ok(!(await refs(repo.origin)).includes("refs/tags/"));
  assert.equal(pub.calls.length, 0);
  const said = d.stderr.join("\n");
  assert.match(said, /Kept the commit [0-9a-f]{7} "Bump to 1\.2\.4": it is on origin\/main/);
  assert.match(said, /git tag -a v1\.2\.4 .* && git push origin v1\.2\.4 && hexpub publish/);
  assert.match(said, /git revert [0-9a-f]{7} && git push origin HEAD:main/);
});

Deno.test("cut: a failing publish removes the tag here and on origin; the pushed commit stays", async () => {
  const repo = await setup();
  const d = deps(repo.dir);
  const failure = new HexpubError("upload failed: 500");
  const pub = recorder(failure);
  await assert.rejects(cut(d, input(), pub.publish), (e: unknown) => e === failure);
  assert.equal(pub.calls.length, 1);
  const head = await rev(repo.dir, "HEAD");
  assert.equal(await rev(repo.dir, "HEAD~1"), repo.start);
  assert.equal(await rev(repo.origin, "refs/heads/main"), head);
  assert.equal((await git(repo.dir, "tag", "-l")).trim(), "");
  assert.ok(!(await refs(repo.origin)).includes("refs/tags/"));
  const said = d.stderr.join("\n");
  assert.match(said, /Rolling back \(upload failed: 500\)/);
  assert.match(said, /Deleted the tag v1\.2\.4 from origin/);
  assert.match(said, /Deleted the tag v1\.2\.4\n/);
  assert.match(said, /Kept the commit/);
});

Deno.test("cut: a publish whose release is or may be live keeps the tag and the commit", async () => {
  for (const live of ["yes", "unknown"] as const) {
    const repo = await setup();
    const d = deps(repo.dir);
    const failure = new LiveReleaseError(live, "demo 1.2.4 is not visible to installers yet");
    const pub = recorder(failure);
    await assert.rejects(cut(d, input(), pub.publish), (e: unknown) => e === failure);
    assert.equal((await git(repo.dir, "tag", "-l")).trim(), "v1.2.4");
    assert.match(await refs(repo.origin), /refs\/tags\/v1\.2\.4/);
    assert.equal(await rev(repo.origin, "refs/heads/main"), await rev(repo.dir, "HEAD"));
    const said = d.stderr.join("\n");
    assert.doesNotMatch(said, /Rolling back|Deleted the tag/);
    assert.match(said, live === "yes" ? /is on hexpm/ : /may be on hexpm/);
    assert.match(said, /Kept the tag v1\.2\.4/);
  }
});

Deno.test("cut: declining before the push exits 3 and rolls everything back", async () => {
  const repo = await setup();
  const before = await snapshot(repo);
  const d = deps(repo.dir, { isTerminal: true, answers: ["n"] });
  const pub = recorder();
  await assert.rejects(
    cut(d, input({ yes: false }), pub.publish),
    (e: unknown) => e instanceof DeclinedError && e.exitCode === 3,
  );
  assert.deepEqual(await snapshot(repo), before);
  assert.equal(pub.calls.length, 0);
  const said = d.stderr.join("\n");
  assert.match(said, /Rolling back \(declined\)/);
  assert.match(said, /Deleted the tag v1\.2\.4/);
  assert.match(said, /Undid the commit/);
});

Deno.test("cut: to hexpm, a licence hex.pm refuses stops it before any change; --strict reaches the check", async () => {
  const files = {
    ...FILES,
    "rebar.lock": "[].\n",
    "src/demo.app.src": APP_SRC.replace(
      "{registered, []},",
      '{registered, []}, {licenses, ["Apache 2.0"]},',
    ),
  };
  const repo = await setup({ files });
  const before = await snapshot(repo);
  const home = await Deno.makeTempDir();
  const d = testDeps(repo.dir, { env: { ...GIT_ENV, HOME: home } });
  const pub = recorder();
  const check: CutPublish = (dd, o) => checkPublishable(dd, o);
  await assert.rejects(
    cut(d, input(), pub.publish, check),
    (e: unknown) =>
      e instanceof ValidationError && e.exitCode === 1 &&
      /hexpm would refuse this release/.test(e.message) &&
      e.problems.map((p) => `${p.level}:${p.field}`).join() === "error:licenses",
  );
  assert.deepEqual(await snapshot(repo), before, "nothing committed, tagged or pushed");
  assert.equal(pub.calls.length, 0);

  // To local it is a warning, so the cut goes on; --strict turns it into an error.
  await assert.rejects(
    cut(d, input({ repo: "local", strict: true }), pub.publish, (dd, o) => {
      assert.equal(o.strict, true);
      return checkPublishable(dd, o);
    }),
    (e: unknown) => e instanceof ValidationError && /--strict/.test(e.message),
  );
  assert.deepEqual(await snapshot(repo), before);
});

Deno.test("cut: --doc-dir, --otp and --replace reach the publish; the finishing command keeps all but the code", async () => {
  const repo = await setup();
  const d = deps(repo.dir);
  const pub = recorder();
  await cut(
    d,
    input({ docDir: "my docs", otp: "123456", replace: true, repo: "team" }),
    pub.publish,
  );
  assert.equal(pub.calls.length, 1);
  assert.equal(pub.calls[0].docDir, "my docs");
  assert.equal(pub.calls[0].otp, "123456");
  assert.equal(pub.calls[0].replace, true);
  assert.equal(pub.calls[0].repo, "team");

  const again = await setup();
  const d2 = deps(again.dir);
  const live = recorder(new LiveReleaseError("unknown", "the upload of demo 1.2.4 failed"));
  await assert.rejects(
    cut(d2, input({ docDir: "my docs", otp: "123456", replace: true }), live.publish),
  );
  const said = d2.stderr.join("\n");
  assert.match(
    said,
    /To finish: `hexpub publish --app demo --doc-dir 'my docs' --replace` \(safe to run again/,
  );
  assert.doesNotMatch(said, /123456/, "a TOTP code is not repeated");
});
