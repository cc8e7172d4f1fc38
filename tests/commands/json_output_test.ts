/**
 * Every command that has `--json`, run in-process (`runCli`, test ports with an
 * empty environment, `deps.fetch` bound to a FakeHex or a real `hexpub serve`
 * on 127.0.0.1): on success stdout is exactly one JSON document; on failure
 * stdout holds one JSON document or nothing, never human text. The command
 * list is read from the command tree, and a command with `--json` but no case
 * here fails the first test.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { rootCommand } from "../../src/commands/root.ts";
import { buildSeedTarball } from "../fakes/_hex_packages.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { withServedRepo } from "../support/http.ts";
import { fakeAt, inProcessHexpub, type RunResult } from "../support/in_process.ts";
import { git, makeProject } from "../support/project.ts";
import { trustHexpmKey } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

/** The paths of every command with a `--json` flag. */
function jsonCommands(cmd: AnyCommand, prefix: string[] = []): string[] {
  const own = cmd.options.some((o) => o.long === "--json") ? [prefix.join(" ")] : [];
  return [
    ...own,
    ...cmd.commands.flatMap((sub) => jsonCommands(sub as AnyCommand, [...prefix, sub.name()])),
  ];
}

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

/** A failure: a non-zero exit, and stdout one JSON document or nothing. */
function failed(r: Printed, what: string, code?: number): unknown {
  assert.notEqual(r.code, 0, `${what} should fail`);
  if (code !== undefined) assert.equal(r.code, code, `${what}: ${r.stderr.join("\n")}`);
  assert.notEqual(r.stderr.join("\n").trim(), "", `${what}: says why on stderr`);
  return r.stdout.length === 0 ? undefined : oneJson(r, what);
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
      failed(await run(["publish", "package", "--dry-run", "--json"], { cwd }), "dry run again", 1);
      // The same version with other bytes needs --replace (the same bytes again count as landed).
      await Deno.writeTextFile(join(cwd, "src/tiny.erl"), "-module(tiny).\n-export([]).\n");
      failed(await run(["publish", "package", "--yes", "--json"], { cwd }), "publish again", 1);
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
      const ok = await run(["cut", "-i", "patch", "--yes", "--json"], { cwd, env: gitEnv });
      succeeded(ok, "cut");
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
      const updatable = failed(await run(["outdated", "--all", "--json"], { cwd }), "outdated", 1);
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
      const found = failed(await run(["audit", "--json"], { cwd }), "audit retired", 1);
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
      failed(await run(["verify", "--json"], { cwd: changed }), "verify a changed source", 1);
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
      await withServedRepo(async (repo) => {
        const seed = buildSeedTarball({
          name: "gadget",
          version: "1.0.0",
          meta: {},
          requirements: [],
        });
        const res = await fetch(`${repo.apiUrl}/publish`, {
          method: "POST",
          headers: { authorization: repo.key, "content-type": "application/octet-stream" },
          body: seed.tarball as Uint8Array<ArrayBuffer>,
        });
        assert.equal(res.status, 201, await res.text());
        const serve = await inProcessHexpub();
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
      const oauth = await run(["user", "auth", "-s", "api:read", "--json"], { env: pw });
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
      failed(
        await run(["organization", "key", "hexpm:nope", "list", "--json"]),
        "organization key list in no organization",
      );
    },
  },
};

const commands = jsonCommands(rootCommand(testDeps(Deno.cwd())) as unknown as AnyCommand);

Deno.test("every command with --json has a case here, and every case a command", () => {
  assert.deepEqual([...commands].sort(), Object.keys(CASES).sort());
});

for (const [path, c] of Object.entries(CASES)) {
  Deno.test({
    name: `hexpub ${path} --json prints one JSON document on stdout`,
    ignore: c.ignore ?? false,
    fn: c.fn,
  });
}
