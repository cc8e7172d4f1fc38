/**
 * Every command that has `--json`, run in-process (`runCli`, test ports with an
 * empty environment, `deps.fetch` bound to a FakeHex or a real `hexpub serve`
 * on 127.0.0.1): on success stdout is exactly one JSON document; on failure
 * too, the error as `{error, hint, where, problems, exitCode}` (or the result
 * the command printed before exiting 1: verify, outdated, audit), with the
 * reason in one line on stderr and the hint not repeated there. The command
 * list is read from the command tree: a command that runs with neither a case
 * here nor a reason in NO_JSON fails the first test.
 */
import { strict as assert } from "node:assert";
import { basename, join } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { rootCommand } from "../../src/commands/root.ts";
import { buildSeedTarball } from "../fakes/_hex_packages.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { type ServedRepo, withServedRepo } from "../support/http.ts";
import {
  fakeAt,
  type InProcessHexpub,
  inProcessHexpub,
  type RunResult,
} from "../support/in_process.ts";
import { git, makeProject } from "../support/project.ts";
import { trustHexpmKey } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

/** Whether a command runs (has an action), rather than only grouping subcommands. */
function runs(cmd: AnyCommand): boolean {
  // commander keeps the action in `_actionHandler` (null for a group).
  const handler = (cmd as unknown as { _actionHandler?: unknown })._actionHandler;
  assert.notEqual(handler, undefined, "commander no longer has _actionHandler: update runs()");
  return handler !== null;
}

/** Every command that runs, by path, and whether it has a `--json` flag. */
function commandPaths(cmd: AnyCommand, prefix: string[] = []): { path: string; json: boolean }[] {
  const own = prefix.length > 0 && runs(cmd)
    ? [{ path: prefix.join(" "), json: cmd.options.some((o) => o.long === "--json") }]
    : [];
  return [
    ...own,
    // Each group's `help [command...]` prints help text, as `--help` does.
    ...cmd.commands.filter((sub) => sub.name() !== "help").flatMap((sub) =>
      commandPaths(sub as AnyCommand, [...prefix, sub.name()])
    ),
  ];
}

/** The commands that print no data, and why they have no `--json` (README says so too). */
const NO_JSON: Record<string, string> = {
  serve: "runs until stopped; what it prints is a log (stderr), not a result",
  completions: "prints a shell script",
  "user reset_password": "asks for passwords at a terminal, or prints where to reset one",
};

/** A run's exit code and printed lines. */
interface Printed {
  code: number;
  stdout: string[];
  stderr: string[];
}

const printed = (r: RunResult): Printed => ({
  code: r.code,
  stdout: r.stdoutLines,
  stderr: r.stderrLines,
});

/** stdout as exactly one JSON document (a parse error names the command). */
function oneJson(r: Printed, what: string): unknown {
  const text = r.stdout.join("\n");
  assert.notEqual(text.trim(), "", `${what}: stdout is empty (stderr: ${r.stderr.join("\n")})`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new assert.AssertionError({
      message: `${what}: stdout is not one JSON document (${e}):\n${text}`,
    });
  }
}

/** The error document of `--json`. */
interface ErrorDoc {
  error: string;
  hint?: string;
  where?: { file: string; line?: number; column?: number };
  problems?: { level: string; message: string }[];
  exitCode: number;
}

/** The lines of stderr that start an error (`error: …`). */
const errorLines = (r: Printed) =>
  r.stderr.join("\n").split("\n").filter((l) => /^error: /.test(l));

/**
 * A failure: a non-zero exit (`code` when given), stdout the error document
 * with that exit code, stderr the reason in one line (not the hint again).
 */
function failed(r: Printed, what: string, code?: number): ErrorDoc {
  const err = r.stderr.join("\n");
  assert.notEqual(r.code, 0, `${what} should fail`);
  if (code !== undefined) assert.equal(r.code, code, `${what}: ${err}`);
  const doc = oneJson(r, what) as ErrorDoc;
  assert.equal(typeof doc.error, "string", `${what}: not an error document: ${r.stdout}`);
  assert.ok(doc.error.length > 0, what);
  assert.equal(doc.exitCode, r.code, `${what}: exitCode`);
  assert.ok(doc.hint === undefined || typeof doc.hint === "string", what);
  // Findings reported on the way are `error: …` lines too; the error itself is there once.
  const line = `error: ${doc.error.split("\n")[0]}`;
  assert.equal(errorLines(r).filter((l) => l === line).length, 1, `${what}: ${err}`);
  if (doc.hint) assert.ok(!err.includes(doc.hint), `${what}: the hint is repeated on stderr`);
  return doc;
}

/**
 * A failure after the command's own result (exit 1 of verify, outdated,
 * audit): that document only, no error document after it.
 */
function failedWithResult(r: Printed, what: string, code = 1): unknown {
  assert.equal(r.code, code, `${what}: ${r.stderr.join("\n")}`);
  const doc = oneJson(r, what) as Record<string, unknown>;
  assert.equal(doc.error, undefined, `${what}: the result, not an error document`);
  assert.equal(errorLines(r).length, 1, `${what}: says why on stderr`);
  return doc;
}

/** Success: exit 0 and one JSON document. */
function succeeded(r: Printed, what: string): unknown {
  assert.equal(r.code, 0, `${what}: ${r.stderr.join("\n")}`);
  return oneJson(r, what);
}

const APP_SRC = (name: string, vsn: string) =>
  `{application, ${name}, [{description, "The ${name} app"}, {vsn, "${vsn}"}, ` +
  `{applications, [kernel, stdlib]}, {licenses, ["Apache-2.0"]}, ` +
  `{links, [{"GitHub", "https://github.com/example/${name}"}]}]}.\n`;

/** A small rebar3 project `tiny` at `vsn`, with `deps` in rebar.config. */
function project(vsn = "0.1.0", deps = "[]", lock: string | null = "[].\n") {
  return makeProject({
    "rebar.config": `{deps, ${deps}}.\n`,
    ...(lock === null ? {} : { "rebar.lock": lock }),
    "src/tiny.app.src": APP_SRC("tiny", vsn),
    "src/tiny.erl": "-module(tiny).\n",
  });
}

/** A fake hex.pm with user pat (admin of acme, owner of widget 1.0.0) and pat's key. */
async function world(options: ConstructorParameters<typeof FakeHex>[0] = {}) {
  const fake = new FakeHex(options);
  fake.addUser({ username: "pat", orgs: { acme: "admin" } });
  const key = fake.addKey({ owner: "pat", name: "laptop" });
  fake.addRelease({ name: "widget", version: "1.0.0", owners: ["pat"] });
  const server = fakeAt(fake, "http://fake.test");
  const hex = await inProcessHexpub({ fakes: [server] });
  await trustHexpmKey(hex.home, (await fake.registryKeys()).publicKeyPem);
  const env = { HEX_API_URL: server.url, HEX_CDN: server.repoUrl, HEX_API_KEY: key.secret };
  const run = async (args: string[], o: { cwd?: string; env?: Record<string, string> } = {}) =>
    printed(await hex.run(args, { cwd: o.cwd ?? hex.home, env: { ...env, ...o.env } }));
  return { fake, key, hex, env, run };
}

/**
 * A real `hexpub serve` repository holding gadget 1.0.0 (published over HTTP
 * with the repository's key), for `fn`; then an in-process hexpub to run the
 * `serve` subcommands on its directory.
 */
async function withServedGadget(
  fn: (repo: ServedRepo, serve: InProcessHexpub) => Promise<void>,
): Promise<void> {
  await withServedRepo(async (repo) => {
    const seed = buildSeedTarball({ name: "gadget", version: "1.0.0", meta: {}, requirements: [] });
    const res = await fetch(`${repo.apiUrl}/publish`, {
      method: "POST",
      headers: { authorization: repo.key, "content-type": "application/octet-stream" },
      body: seed.tarball as Uint8Array<ArrayBuffer>,
    });
    assert.equal(res.status, 201, await res.text());
    await fn(repo, await inProcessHexpub());
  });
}

/** Every command path with `--json` → its test (kept in step with the tree by the first test). */
const CASES: Record<string, { ignore?: boolean; fn: () => Promise<void> }> = {
  build: {
    fn: async () => {
      const cwd = await project();
      const { run } = await world();
      const ok = await run(["build", "--json", "-o", "out/tiny.tar"], { cwd });
      assert.equal((succeeded(ok, "build") as { package: { name: string } }).package.name, "tiny");
      const bad = await project("1.0");
      failed(await run(["build", "--json", "-o", "out/tiny.tar"], { cwd: bad }), "build 1.0", 1);
    },
  },
  publish: {
    fn: async () => {
      const cwd = await project("0.2.0");
      const { run } = await world();
      const dry = await run(["publish", "package", "--dry-run", "--json"], { cwd });
      succeeded(dry, "publish --dry-run");
      const ok = await run(["publish", "package", "--yes", "--json"], { cwd });
      succeeded(ok, "publish");
      await Deno.mkdir(join(cwd, "doc"));
      await Deno.writeTextFile(join(cwd, "doc/index.html"), "<p>docs</p>\n");
      const docs = await run(["publish", "docs", "--doc-dir", "doc", "--yes", "--json"], { cwd });
      const [d] = (succeeded(docs, "publish docs") as { published: Record<string, unknown>[] })
        .published;
      assert.deepEqual(
        Object.keys(d).sort(),
        ["docs", "docsOnly", "docsSize", "docsUrl", "dryRun", "name", "repo", "version"],
        "publish docs: docs fields only, no package checksum or size",
      );
      failed(await run(["publish", "package", "--dry-run", "--json"], { cwd }), "dry run again", 1);
      // The same version with other bytes needs --replace (the same bytes again count as landed).
      await Deno.writeTextFile(join(cwd, "src/tiny.erl"), "-module(tiny).\n-export([]).\n");
      failed(await run(["publish", "package", "--yes", "--json"], { cwd }), "publish again", 1);
      const reverted = await run(["publish", "--revert", "0.2.0", "--yes", "--json"], { cwd });
      assert.ok((succeeded(reverted, "publish --revert") as { reverted?: unknown }).reverted);
      failed(await run(["publish", "--revert", "0.2.0", "--yes", "--json"], { cwd }), "again");
    },
  },
  cut: {
    fn: async () => {
      const cwd = await project("0.3.0");
      const remote = await Deno.makeTempDir();
      await git(remote, "init", "-q", "--bare");
      for (
        const args of [
          ["init", "-q", "-b", "main"],
          ["add", "-A"],
          ["commit", "-q", "-m", "init"],
          ["tag", "v0.3.0"],
          ["remote", "add", "origin", remote],
          ["push", "-q", "origin", "main", "--tags"],
        ]
      ) await git(cwd, ...args);
      const { run } = await world();
      const gitEnv = {
        PATH: Deno.env.get("PATH") ?? "",
        GIT_AUTHOR_NAME: "T",
        GIT_AUTHOR_EMAIL: "t@example.invalid",
        GIT_COMMITTER_NAME: "T",
        GIT_COMMITTER_EMAIL: "t@example.invalid",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
      };
      const dry = await run(["cut", "-i", "minor", "--dry-run", "--json"], { cwd, env: gitEnv });
      assert.equal((succeeded(dry, "cut --dry-run") as { version: string }).version, "0.4.0");
      const ok = await run(["cut", "-i", "patch", "--yes", "--json"], { cwd, env: gitEnv });
      const cut = succeeded(ok, "cut") as { version: string; published: boolean; pushed: boolean };
      assert.deepEqual([cut.version, cut.published, cut.pushed], ["0.3.1", true, true]);
      // Nothing to cut on a dirty tree: the error document.
      await Deno.writeTextFile(join(cwd, "src/tiny.erl"), "-module(tiny).\n%% dirty\n");
      failed(await run(["cut", "-i", "patch", "--yes", "--json"], { cwd, env: gitEnv }), "dirty");
    },
  },
  lock: {
    fn: async () => {
      const { run } = await world();
      const cwd = await project("0.1.0", '[{widget, "1.0.0"}]', null);
      const ok = await run(["lock", "--json"], { cwd });
      succeeded(ok, "lock");
      const bad = await project("0.1.0", '[{nope_pkg, "1.0.0"}]', null);
      failed(await run(["lock", "--json"], { cwd: bad }), "lock nope_pkg", 1);
    },
  },
  outdated: {
    fn: async () => {
      const { fake, run } = await world();
      const cwd = await project("0.1.0", '[{widget, "~> 1.0"}]', null);
      assert.equal((await run(["lock"], { cwd })).code, 0);
      succeeded(await run(["outdated", "--json"], { cwd }), "outdated");
      fake.addRelease({ name: "widget", version: "1.1.0" });
      // Exit 1 (an update within the requirement) still prints the one document.
      const updatable = failedWithResult(
        await run(["outdated", "--all", "--json"], { cwd }),
        "outdated",
      );
      assert.equal((updatable as { updatable: number }).updatable, 1);
      failed(
        await run(["outdated", "--json"], { cwd: await project("0.1.0", "[]", null) }),
        "no lock",
      );
    },
  },
  audit: {
    fn: async () => {
      const { fake, run } = await world();
      const cwd = await project("0.1.0", '[{widget, "~> 1.0"}]', null);
      assert.equal((await run(["lock"], { cwd })).code, 0);
      succeeded(await run(["audit", "--json"], { cwd }), "audit");
      fake.release("widget", "1.0.0")!.retirement = { reason: "invalid", message: null };
      const found = failedWithResult(await run(["audit", "--json"], { cwd }), "audit retired");
      assert.equal((found as { retired: number }).retired, 1);
      failed(
        await run(["audit", "--json"], { cwd: await project("0.1.0", "[]", null) }),
        "no lock",
      );
    },
  },
  "owner list": {
    fn: async () => {
      const { run } = await world();
      const owners = succeeded(await run(["owner", "list", "widget", "--json"]), "owner list");
      assert.ok(Array.isArray(owners));
      succeeded(await run(["owner", "list", "packages", "--json"]), "owner list packages");
      failed(await run(["owner", "list", "nope_pkg", "--json"]), "owner list nope_pkg", 1);
    },
  },
  search: {
    fn: async () => {
      const { run } = await world();
      const found = succeeded(await run(["search", "widget", "--json"]), "search");
      assert.ok(Array.isArray(found) && found.length === 1);
      failed(await run(["search", "widget", "--limit", "0", "--json"]), "search --limit 0", 2);
    },
  },
  info: {
    fn: async () => {
      const { run } = await world();
      succeeded(await run(["info", "widget", "--json"]), "info");
      succeeded(await run(["info", "widget", "1.0.0", "--json"]), "info widget 1.0.0");
      failed(await run(["info", "nope_pkg", "--json"]), "info nope_pkg", 1);
    },
  },
  fetch: {
    fn: async () => {
      const { hex, run } = await world();
      const out = join(hex.home, "deps");
      const ok = await run(["fetch", "widget", "1.0.0", "-o", out, "--json"]);
      assert.equal((succeeded(ok, "fetch") as { version: string }).version, "1.0.0");
      failed(await run(["fetch", "widget", "9.9.9", "-o", out, "--json"]), "fetch 9.9.9", 1);
    },
  },
  verify: {
    fn: async () => {
      const { fake, run } = await world();
      const cwd = await project("0.4.0");
      const built = await run(["build", "package", "-o", "out/tiny.tar"], { cwd });
      assert.equal(built.code, 0, built.stderr.join("\n"));
      await fake.addReleaseFromTarball(await Deno.readFile(join(cwd, "out/tiny.tar")), {
        owners: ["pat"],
      });
      succeeded(await run(["verify", "--json"], { cwd }), "verify");
      const changed = await project("0.4.0");
      await Deno.writeTextFile(join(changed, "src/tiny.erl"), "-module(tiny).\n%% changed\n");
      failedWithResult(
        await run(["verify", "--json"], { cwd: changed }),
        "verify a changed source",
      );
    },
  },
  "repo add": {
    fn: async () => {
      await withServedRepo(async (repo) => {
        const { run } = await world();
        const ok = await run([
          "repo",
          "add",
          "team",
          repo.url,
          "--public-key",
          join(repo.dir, "public_key"),
          "--json",
        ]);
        succeeded(ok, "repo add");
        const again = await run(["repo", "add", "team", repo.url, "--no-api", "--json"]);
        failed(again, "repo add team again");
      });
    },
  },
  "repo list": {
    fn: async () => {
      const { run } = await world();
      const none = succeeded(await run(["repo", "list", "--json"]), "repo list");
      assert.ok(Array.isArray(none));
    },
  },
  "serve owner list": {
    fn: async () => {
      await withServedGadget(async (repo, serve) => {
        const r = printed(
          await serve.run(["serve", "owner", "list", repo.dir, "gadget", "--json"], {
            cwd: repo.work,
          }),
        );
        const owners = succeeded(r, "serve owner list") as { username: string }[];
        assert.deepEqual(owners.map((o) => o.username), [repo.keyName]);
        const missing = await serve.run(
          ["serve", "owner", "list", join(repo.work, "nowhere"), "gadget", "--json"],
          { cwd: repo.work },
        );
        failed(printed(missing), "serve owner list in no repository");
      });
    },
  },
  "user auth": {
    fn: async () => {
      const { fake, key, run } = await world({
        deviceInterval: 0,
        verificationUri: "https://hex.test/oauth/device",
      });
      const pw = { HEX_API_KEY: "", HEXPUB_LOCAL_PASSWORD: "correct horse" };
      succeeded(await run(["user", "auth", "--key", key.secret, "--json"], { env: pw }), "auth");
      fake.autoApprove({ user: "pat", scopes: ["api:read"] });
      const oauth = await run(["user", "auth", "--device", "-s", "api:read", "--json"], {
        env: pw,
      });
      succeeded(oauth, "user auth (device flow)");
      fake.assertNoSecretIn(oauth.stdout.join("\n") + oauth.stderr.join("\n"), "output");
      failed(
        await run(["user", "auth", "--key", "0".repeat(32), "--json"], { env: pw }),
        "user auth with an unknown key",
        4,
      );
    },
  },
  "user whoami": {
    fn: async () => {
      const { run } = await world();
      const me = succeeded(await run(["user", "whoami", "--json"]), "whoami");
      assert.equal((me as { username: string }).username, "pat");
      failed(await run(["user", "whoami", "--json"], { env: { HEX_API_KEY: "" } }), "whoami", 4);
    },
  },
  "user audit": {
    fn: async () => {
      const { run } = await world();
      succeeded(await run(["user", "audit", "--json"]), "user audit");
      failed(await run(["user", "audit", "--json"], { env: { HEX_API_KEY: "" } }), "audit", 4);
    },
  },
  "user key generate": {
    fn: async () => {
      const { fake, run } = await world();
      const made = await run(["user", "key", "generate", "-k", "ci", "--json"]);
      succeeded(made, "user key generate");
      assert.ok(fake.keys.some((k) => k.name === "ci"));
      const bad = await run(["user", "key", "generate", "-k", "x", "-p", "nope:x", "--json"]);
      failed(bad, "user key generate -p nope:x", 2);
    },
  },
  "user key list": {
    fn: async () => {
      const { run } = await world();
      const keys = succeeded(await run(["user", "key", "list", "--json"]), "user key list");
      assert.ok(Array.isArray(keys));
      failed(await run(["user", "key", "list", "--json"], { env: { HEX_API_KEY: "" } }), "list", 4);
    },
  },
  "user key fetch": {
    fn: async () => {
      const { run } = await world();
      succeeded(await run(["user", "key", "fetch", "laptop", "--json"]), "user key fetch");
      failed(await run(["user", "key", "fetch", "nope", "--json"]), "user key fetch nope", 1);
    },
  },
  "user key rotate": {
    fn: async () => {
      const { fake, run } = await world();
      fake.addKey({ owner: "pat", name: "ci" });
      succeeded(await run(["user", "key", "rotate", "ci", "--json"]), "user key rotate");
      failed(await run(["user", "key", "rotate", "nope", "--json"]), "user key rotate nope", 1);
      // The new key works but the old one cannot be revoked: the new secret is the document.
      fake.addKey({ owner: "pat", name: "ops" });
      fake.failNext(5, 500, { method: "DELETE", path: "/keys/ops" });
      const partial = failedWithResult(
        await run(["user", "key", "rotate", "ops", "--json"]),
        "ops",
      );
      assert.match((partial as { key: { secret: string } }).key.secret, /^[0-9a-f]{32}$/);
    },
  },
  "organization list": {
    fn: async () => {
      const { run } = await world();
      const orgs = succeeded(await run(["organization", "list", "--json"]), "organization list");
      assert.ok(Array.isArray(orgs));
    },
  },
  "organization audit": {
    fn: async () => {
      const { run } = await world();
      succeeded(await run(["organization", "audit", "hexpm:acme", "--json"]), "org audit");
      failed(await run(["organization", "audit", "hexpm:nope", "--json"]), "org audit nope");
    },
  },
  "owner add": {
    fn: async () => {
      const { fake, run } = await world();
      fake.addUser({ username: "sam" });
      const added = await run(["owner", "add", "widget", "sam", "-l", "maintainer", "--json"]);
      assert.deepEqual(succeeded(added, "owner add"), {
        package: "widget",
        user: "sam",
        level: "maintainer",
        transfer: false,
      });
      failed(await run(["owner", "add", "nope_pkg", "sam", "--json"]), "owner add nope_pkg", 1);
    },
  },
  "owner transfer": {
    fn: async () => {
      const { fake, run } = await world();
      fake.addUser({ username: "sam" });
      const moved = succeeded(
        await run(["owner", "transfer", "widget", "sam", "--json"]),
        "owner transfer",
      );
      assert.equal((moved as { transfer: boolean }).transfer, true);
      failed(await run(["owner", "transfer", "widget", "sam", "--json"]), "transfer again");
    },
  },
  "owner remove": {
    fn: async () => {
      const { fake, run } = await world();
      fake.addUser({ username: "sam" });
      assert.equal((await run(["owner", "add", "widget", "sam"])).code, 0);
      const removed = await run(["owner", "remove", "widget", "sam", "--json"]);
      assert.deepEqual(succeeded(removed, "owner remove"), {
        package: "widget",
        user: "sam",
        removed: true,
      });
      failed(await run(["owner", "remove", "nope_pkg", "sam", "--json"]), "remove nope_pkg", 1);
    },
  },
  retire: {
    fn: async () => {
      const { fake, run } = await world();
      const retired = await run(["retire", "widget", "1.0.0", "invalid", "-m", "bad", "--json"]);
      assert.deepEqual(succeeded(retired, "retire"), {
        package: "widget",
        version: "1.0.0",
        retired: true,
        reason: "invalid",
        message: "bad",
      });
      assert.equal(fake.release("widget", "1.0.0")!.retirement?.reason, "invalid");
      const back = await run(["retire", "widget", "1.0.0", "--unretire", "--json"]);
      assert.equal((succeeded(back, "unretire") as { retired: boolean }).retired, false);
      failed(await run(["retire", "widget", "1.0.0", "nonsense", "--json"]), "bad reason", 2);
      failed(await run(["retire", "widget", "9.9.9", "other", "-m", "x y", "--json"]), "9.9.9", 1);
    },
  },
  "repo init": {
    fn: async () => {
      const hex = await inProcessHexpub();
      const made = printed(await hex.run(["repo", "init", "team", "--json"]));
      assert.deepEqual(succeeded(made, "repo init"), {
        name: "team",
        dir: "team",
        publicKeyPath: join("team", "public_key"),
        privateKeyPath: "team.private_key.pem",
      });
      const bad = await hex.run(["repo", "init", "other", "--name", "Bad Name", "--json"]);
      failed(printed(bad), "repo init --name 'Bad Name'", 2);
    },
  },
  "repo build": {
    fn: async () => {
      await withServedGadget(async (repo, hex) => {
        const built = await hex.run(["repo", "build", repo.dir, "--json"], { cwd: repo.work });
        assert.deepEqual(succeeded(printed(built), "repo build"), {
          name: basename(repo.dir),
          packages: 1,
          releases: 1,
        });
        const file = join(repo.work, "a-file");
        await Deno.writeTextFile(file, "");
        failed(printed(await hex.run(["repo", "build", file, "--json"])), "repo build a file");
      });
    },
  },
  "repo remove": {
    fn: async () => {
      const hex = await inProcessHexpub();
      assert.equal((await hex.run(["repo", "init", "team"])).code, 0);
      const key = join(hex.cwd, "team", "public_key");
      const add = ["repo", "add", "team", "http://127.0.0.1:9/repo", "--no-api", "--public-key"];
      assert.equal((await hex.run([...add, key])).code, 0);
      const removed = printed(await hex.run(["repo", "remove", "team", "--json"]));
      assert.deepEqual(succeeded(removed, "repo remove"), { name: "team", removed: true });
      failed(printed(await hex.run(["repo", "remove", "team", "--json"])), "remove again", 2);
    },
  },
  "serve key generate": {
    fn: async () => {
      const hex = await inProcessHexpub();
      const made = printed(
        await hex.run(["serve", "key", "generate", "team", "--key-name", "ci", "--json"]),
      );
      const key = succeeded(made, "serve key generate") as Record<string, string>;
      assert.equal(key.repository, "team");
      assert.equal(key.name, "ci");
      assert.match(key.secret, /^[0-9a-f]{32}$/);
      const file = join(hex.cwd, "a-file");
      await Deno.writeTextFile(file, "");
      failed(printed(await hex.run(["serve", "key", "generate", file, "--json"])), "in a file");
    },
  },
  "serve owner add": {
    fn: async () => {
      await withServedGadget(async (repo, serve) => {
        const sam = ["serve", "key", "generate", repo.dir, "--key-name", "sam"];
        assert.equal((await serve.run(sam, { cwd: repo.work })).code, 0);
        const add = ["serve", "owner", "add", repo.dir, "gadget"];
        const r = await serve.run([...add, "sam", "-l", "maintainer", "--json"], {
          cwd: repo.work,
        });
        const change = succeeded(printed(r), "serve owner add") as {
          outcome: string;
          owners: { username: string; level: string }[];
        };
        assert.equal(change.outcome, "added");
        assert.deepEqual(change.owners.map((o) => o.username).sort(), [repo.keyName, "sam"].sort());
        const bad = await serve.run([...add, "sam", "-l", "boss", "--json"], { cwd: repo.work });
        failed(printed(bad), "serve owner add -l boss", 2);
      });
    },
  },
  "user deauth": {
    fn: async () => {
      const { key, run } = await world();
      const pw = { HEX_API_KEY: "", HEXPUB_LOCAL_PASSWORD: "correct horse" };
      assert.equal((await run(["user", "auth", "--key", key.secret], { env: pw })).code, 0);
      const out = succeeded(await run(["user", "deauth", "--json"], { env: pw }), "deauth");
      assert.equal((out as { forgot: boolean }).forgot, true);
      const again = succeeded(await run(["user", "deauth", "--json"], { env: pw }), "again");
      assert.equal((again as { forgot: boolean }).forgot, false);
      failed(await run(["user", "deauth", "-r", "nope", "--json"], { env: pw }), "deauth -r nope");
    },
  },
  "user register": {
    fn: async () => {
      const { run } = await world();
      const env = { HEX_API_KEY: "", HEXPUB_ACCOUNT_PASSWORD: "a long password" };
      const args = ["user", "register", "--username", "newbie", "--email", "n@example.invalid"];
      const r = await run([...args, "--json"], { env });
      assert.deepEqual(succeeded(r, "user register"), {
        username: "newbie",
        email: "n@example.invalid",
      });
      assert.match(r.stderr.join("\n"), /you accept all our policies/);
      failed(await run([...args, "--json"], { env }), "register newbie again", 1);
    },
  },
  "user key revoke": {
    fn: async () => {
      const { fake, run } = await world();
      fake.addKey({ owner: "pat", name: "ci" });
      const one = await run(["user", "key", "revoke", "ci", "--json"]);
      assert.deepEqual(succeeded(one, "user key revoke"), { revoked: "ci", all: false });
      failed(await run(["user", "key", "revoke", "ci", "--json"]), "revoke ci again", 1);
      const all = await run(["user", "key", "revoke", "--all", "--json"]);
      assert.deepEqual(succeeded(all, "user key revoke --all"), { revoked: null, all: true });
    },
  },
  "organization auth": {
    fn: async () => {
      const { fake, run } = await world();
      const orgKey = fake.addKey({
        owner: { organization: "acme" },
        name: "ci-fetch",
        permissions: [{ domain: "repository", resource: "acme" }],
      });
      const env = { HEX_API_KEY: "", HEXPUB_LOCAL_PASSWORD: "correct horse" };
      const args = ["organization", "auth", "hexpm:acme", "--key"];
      const r = await run([...args, orgKey.secret, "--json"], { env });
      assert.deepEqual(succeeded(r, "organization auth"), { org: "acme", keyName: "ci-fetch" });
      fake.assertNoSecretIn(r.stdout.join("\n") + r.stderr.join("\n"), "output");
      failed(await run([...args, "0".repeat(32), "--json"], { env }), "an unknown key", 4);
    },
  },
  "organization deauth": {
    fn: async () => {
      const { run } = await world();
      const none = await run(["organization", "deauth", "hexpm:acme", "--json"]);
      assert.deepEqual(succeeded(none, "organization deauth"), { org: "acme", forgot: false });
      failed(await run(["organization", "deauth", "Bad!", "--json"]), "deauth Bad!", 2);
    },
  },
  "organization key": {
    fn: async () => {
      const { run } = await world();
      const list = await run(["organization", "key", "hexpm:acme", "list", "--json"]);
      assert.ok(Array.isArray(succeeded(list, "organization key list")));
      const made = await run([
        "organization",
        "key",
        "hexpm:acme",
        "generate",
        "--key-name",
        "ci",
        "--json",
      ]);
      succeeded(made, "organization key generate");
      const revoke = ["organization", "key", "hexpm:acme", "revoke"];
      const revoked = await run([...revoke, "ci", "--json"]);
      assert.deepEqual(succeeded(revoked, "org key revoke"), { revoked: "ci", all: false });
      failed(await run([...revoke, "ci", "--json"]), "organization key revoke ci again", 1);
      const all = await run([...revoke, "--all", "--json"]);
      assert.deepEqual(succeeded(all, "org key revoke --all"), { revoked: null, all: true });
      failed(
        await run(["organization", "key", "hexpm:nope", "list", "--json"]),
        "organization key list in no organization",
      );
    },
  },
};

const commands = commandPaths(rootCommand(testDeps(Deno.cwd())) as unknown as AnyCommand);

Deno.test("every command has --json and a case here, or a reason in NO_JSON", () => {
  const json = commands.filter((c) => c.json).map((c) => c.path).sort();
  const none = commands.filter((c) => !c.json).map((c) => c.path).sort();
  assert.deepEqual(json, Object.keys(CASES).sort(), "commands with --json vs cases");
  assert.deepEqual(none, Object.keys(NO_JSON).sort(), "commands without --json vs NO_JSON");
});

for (const [path, c] of Object.entries(CASES)) {
  Deno.test({
    name: `hexpub ${path} --json prints one JSON document on stdout`,
    ignore: c.ignore ?? false,
    fn: c.fn,
  });
}

Deno.test("a usage error found by the parser is a JSON document under --json, exit 2", async () => {
  const hex = await inProcessHexpub();
  const unknown = printed(await hex.run(["search", "widget", "--json", "--nope"]));
  assert.match(failed(unknown, "search --nope", 2).error, /^unknown option '--nope'/);
  const missing = printed(await hex.run(["info", "--json"]));
  assert.equal(
    failed(missing, "info without a package", 2).error,
    "missing required argument 'package'",
  );
  // Asked for JSON of a command that has none: the error is still JSON.
  const none = printed(await hex.run(["completions", "bash", "--json"]));
  assert.equal(failed(none, "completions --json", 2).error, "unknown option '--json'");
});

Deno.test("--json given as an option's value does not switch to JSON", async () => {
  const { run } = await world();
  const r = await run(["retire", "widget", "1.0.0", "nonsense", "-m", "--json"]);
  assert.equal(r.code, 2, r.stderr.join("\n"));
  assert.deepEqual(r.stdout, []);
  assert.match(r.stderr.join("\n"), /^error: .*\n {2}hint: /m);
});

Deno.test("without --json an error stays human, on stderr only; HEXPUB_DEBUG keeps it whole", async () => {
  const cwd = await project("1.0");
  const { run } = await world();
  const human = await run(["build", "-o", "out/tiny.tar"], { cwd });
  assert.equal(human.code, 1);
  assert.deepEqual(human.stdout, []);
  const text = human.stderr.join("\n");
  assert.match(text, /^error: the package is not valid/m);
  assert.match(text, /hint: Hex versions are MAJOR\.MINOR\.PATCH/);
  // The document carries the findings and where they are.
  const json = await run(["build", "--json", "-o", "out/tiny.tar"], { cwd });
  const doc = failed(json, "build 1.0", 1);
  const version = doc.problems!.find((p) => p.level === "error")!;
  assert.match(version.message, /non-semantic version number "1\.0"/);
  assert.equal((version as { where?: { file: string } }).where?.file, join("src", "tiny.app.src"));
  // HEXPUB_DEBUG: the whole human error on stderr, the document on stdout.
  const debug = await run(["build", "--json", "-o", "out/tiny.tar"], {
    cwd,
    env: { HEXPUB_DEBUG: "1" },
  });
  assert.equal(debug.code, 1);
  assert.equal((oneJson(debug, "debug") as ErrorDoc).exitCode, 1);
  assert.match(debug.stderr.join("\n"), /^ {2}error: src\/tiny\.app\.src:1:\d+: non-semantic/m);
});

Deno.test("an error with a place in a file gives it as where", async () => {
  const cwd = await makeProject({
    "rebar.config": "{deps, [}.\n",
    "src/tiny.app.src": APP_SRC("tiny", "0.1.0"),
  });
  const { run } = await world();
  const doc = failed(await run(["build", "--json"], { cwd }), "a broken rebar.config", 1);
  assert.deepEqual(doc.where, { file: "rebar.config", line: 1, column: 9 });
});
