/**
 * `hexpub completions`: the scripts loaded in real shells. `hexpub` is a small
 * wrapper on PATH running this checkout's `main.ts` (with a clean environment
 * and its own config directory), so the scripts call back
 * `hexpub completions --list-repos` as they would once installed. bash is
 * required; zsh and fish are checked when installed and skipped visibly
 * otherwise.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { emptyStore, saveStore, setUsername } from "../../src/config/credential_store.ts";
import { rootCommand } from "../../src/commands/root.ts";
import { completionTree } from "../../src/commands/completions.ts";
import { cleanEnv, configDirOf, HEXPUB_PERMISSIONS, makeHome, REPO_ROOT } from "../support/e2e.ts";
import { inProcessHexpub } from "../support/in_process.ts";
import { testDeps } from "../support/test_deps.ts";

const shq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * A home whose config knows the repository `team` (config.json), and whose
 * credential store holds `hexpm` (as `user auth` leaves it), `team` and the
 * organization `hexpm:acme` (as `organization auth` leaves it), and a bin
 * directory holding the `hexpub` wrapper.
 */
async function machine(): Promise<{ env: Record<string, string>; home: string }> {
  const home = await makeHome();
  const config = configDirOf(home);
  await Deno.mkdir(config, { recursive: true });
  await Deno.writeTextFile(
    join(config, "config.json"),
    JSON.stringify({
      repos: [{ name: "team", repo_url: "http://127.0.0.1:9/repo", api_url: "http://127.0.0.1:9" }],
    }),
  );
  const deps = testDeps(home);
  await saveStore(
    deps,
    join(config, "credentials.json"),
    setUsername(
      setUsername(setUsername(emptyStore(), "hexpm", "alice"), "team", "alice"),
      "hexpm:acme",
      "alice",
    ),
  );
  const bin = join(home, "bin");
  await Deno.mkdir(bin);
  const wrapper = join(bin, "hexpub");
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec ${shq(Deno.execPath())} run ${HEXPUB_PERMISSIONS.join(" ")} --config ${
      shq(join(REPO_ROOT, "deno.json"))
    } ${shq(join(REPO_ROOT, "main.ts"))} "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  const env = await cleanEnv(home);
  env.PATH = `${bin}:${env.PATH}`;
  return { env, home };
}

async function shell(
  program: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(program, { args, env, clearEnv: true, cwd, stdin: "null" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

async function has(program: string): Promise<boolean> {
  try {
    return (await new Deno.Command(program, { args: ["-c", "exit 0"], stdin: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/**
 * A test that needs `program`: without it, registered as ignored with a name
 * saying so (skipped visibly).
 */
function shellTest(program: string, name: string, fn: () => Promise<void>) {
  const there = hasShell[program];
  Deno.test({
    name: `${program}: ${name}${there ? "" : ` (skipped: ${program} not on PATH)`}`,
    ignore: !there,
    fn,
  });
}

const hasShell: Record<string, boolean> = {
  zsh: await has("zsh"),
  fish: await has("fish"),
};

/** Completion results, one case per `== NAME` block of the output. */
function blocks(stdout: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = "";
  for (const line of stdout.split("\n")) {
    if (line.startsWith("== ")) out[current = line.slice(3)] = [];
    else if (current && line !== "") out[current].push(line);
  }
  return out;
}

Deno.test("bash: the script completes a command, a flag, a repository name and a flag's values", async () => {
  const { env, home } = await machine();
  // Each case sets the words as bash would split them (':' and '=' are word breaks).
  const cases: [string, number, string[]][] = [
    ["command", 1, ["hexpub", "pu"]],
    ["subcommand", 3, ["hexpub", "user", "key", "r"]],
    ["flag", 2, ["hexpub", "publish", "--d"]],
    ["repo", 3, ["hexpub", "publish", "-r", ""]],
    ["repo prefix", 3, ["hexpub", "info", "--repo", "t"]],
    ["repo after =", 3, ["hexpub", "publish", "--repo", "="]],
    ["org after :", 5, ["hexpub", "fetch", "-r", "hexpm", ":", "a"]],
    ["org argument", 3, ["hexpub", "organization", "auth", "hex"]],
    ["org argument of deauth", 3, ["hexpub", "organization", "deauth", ""]],
    ["org argument of key", 3, ["hexpub", "organization", "key", ""]],
    ["repo remove", 3, ["hexpub", "repo", "remove", ""]],
    ["increment", 3, ["hexpub", "cut", "-i", "m"]],
    ["after a value", 4, ["hexpub", "build", "-r", "team", ""]],
    ["shell", 2, ["hexpub", "completions", "f"]],
    ["help", 2, ["hexpub", "help", "se"]],
  ];
  const script = [
    "set -u",
    `eval "$(hexpub completions bash)" || exit 9`,
    "complete -p hexpub",
    ...cases.map(([name, cword, words]) =>
      `echo ${shq(`== ${name}`)}; COMP_WORDS=(${words.map(shq).join(" ")}); COMP_CWORD=${cword}; ` +
      `COMPREPLY=(); _hexpub; printf '%s\\n' "\${COMPREPLY[@]}"`
    ),
  ].join("\n");
  const r = await shell("bash", ["-c", script], env, home);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /^complete .*-F _hexpub hexpub$/m);
  const got = blocks(r.stdout);
  assert.deepEqual(got["command"], ["publish"]);
  assert.deepEqual(got["subcommand"], ["rotate", "revoke"]);
  assert.deepEqual(got["flag"], ["--dry-run", "--doc-dir"]);
  assert.deepEqual(got["repo"], ["hexpm", "hexpm:acme", "local", "team"]);
  assert.deepEqual(got["repo prefix"], ["team"]);
  assert.deepEqual(got["repo after ="], ["hexpm", "hexpm:acme", "local", "team"]);
  // bash replaces only what follows the ':', so the candidate is given from there.
  assert.deepEqual(got["org after :"], ["acme"]);
  // Only organizations: not hexpm, team or local.
  assert.deepEqual(got["org argument"], ["hexpm:acme"]);
  assert.deepEqual(got["org argument of deauth"], ["hexpm:acme"]);
  assert.deepEqual(got["org argument of key"], ["hexpm:acme"]);
  // hexpm and local are built in: only what `repo add` added can be removed.
  assert.deepEqual(got["repo remove"], ["team"]);
  assert.deepEqual(got["increment"], ["minor", "major"]);
  assert.deepEqual(got["after a value"], ["package", "docs"]);
  assert.deepEqual(got["shell"], ["fish"]);
  assert.deepEqual(got["help"], ["search", "serve"]);
});

shellTest(
  "zsh",
  "the script parses and completes a command, a flag and a repository name",
  async () => {
    const { env, home } = await machine();
    const file = join(home, "_hexpub");
    const gen = await shell("sh", ["-c", `hexpub completions zsh > ${shq(file)}`], env, home);
    assert.equal(gen.code, 0, gen.stderr);
    const syntax = await shell("zsh", ["-n", file], env, home);
    assert.equal(syntax.code, 0, syntax.stderr);
    // Outside a completion widget: compadd and _describe are stood in for by
    // functions printing what they are given (unfiltered).
    const cases: [string, string[]][] = [
      ["command", ["hexpub", ""]],
      ["flag", ["hexpub", "publish", "--"]],
      ["repo", ["hexpub", "publish", "-r", ""]],
      ["repo =", ["hexpub", "publish", "--repo="]],
      ["repo remove", ["hexpub", "repo", "remove", ""]],
      ["org", ["hexpub", "organization", "key", ""]],
    ];
    const script = [
      "compdef() { print -r -- compdef $@; }",
      "compadd() { if [[ $1 == -a ]]; then print -rl -- ${(P)2}; else shift; print -rl -- $@; fi; }",
      "_describe() { print -rl -- ${(P)4}; }",
      "compset() { PREFIX=${PREFIX#*=}; }",
      `source ${shq(file)}`,
      ...cases.map(([name, w]) =>
        `print -r -- ${shq(`== ${name}`)}; words=(${w.map(shq).join(" ")}); CURRENT=${w.length}; ` +
        `PREFIX=\${words[CURRENT]}; _hexpub`
      ),
    ].join("\n");
    const r = await shell("zsh", ["-f", "-c", script], env, home);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^compdef _hexpub hexpub$/m);
    const got = blocks(r.stdout);
    assert.ok(
      got["command"].includes("publish:Publish the package (and its docs) to a Hex repository"),
    );
    assert.ok(
      got["command"].includes(
        "completions:Print a shell completion script (bash, zsh or fish); see README for install",
      ),
    );
    assert.ok(
      got["flag"].includes("--dry-run:check everything, upload nothing (no credentials needed)"),
    );
    assert.deepEqual(got["repo"], ["hexpm", "hexpm:acme", "local", "team"]);
    assert.deepEqual(got["repo ="], ["hexpm", "hexpm:acme", "local", "team"]);
    assert.deepEqual(got["repo remove"], ["team"]);
    assert.deepEqual(got["org"], ["hexpm:acme"]);
  },
);

shellTest(
  "fish",
  "the script parses and completes a command, a flag and a repository name",
  async () => {
    const { env, home } = await machine();
    const file = join(home, "hexpub.fish");
    const gen = await shell("sh", ["-c", `hexpub completions fish > ${shq(file)}`], env, home);
    assert.equal(gen.code, 0, gen.stderr);
    const syntax = await shell("fish", ["--no-config", "-n", file], env, home);
    assert.equal(syntax.code, 0, syntax.stderr);
    const cases = [
      "hexpub pu",
      "hexpub publish --d",
      "hexpub publish -r ",
      "hexpub info --repo=t",
      "hexpub repo remove ",
      "hexpub organization deauth ",
    ];
    const script = [
      `source ${shq(file)}`,
      ...cases.map((line) => `echo ${shq(`== ${line}`)}; complete -C ${shq(line)}`),
    ].join("\n");
    const r = await shell("fish", ["--no-config", "-c", script], env, home);
    assert.equal(r.code, 0, r.stderr);
    const got = blocks(r.stdout);
    assert.deepEqual(got["hexpub pu"], [
      "publish\tPublish the package (and its docs) to a Hex repository",
    ]);
    assert.deepEqual(got["hexpub publish --d"].map((l) => l.split("\t")[0]), [
      "--doc-dir",
      "--dry-run",
    ]);
    assert.deepEqual(got["hexpub publish -r "], ["hexpm", "hexpm:acme", "local", "team"]);
    assert.deepEqual(got["hexpub info --repo=t"], ["--repo=team"]);
    assert.deepEqual(got["hexpub repo remove "], ["team"]);
    assert.deepEqual(got["hexpub organization deauth "], ["hexpm:acme"]);
  },
);

Deno.test("completions --list-repos reads local files only and never fails on a broken store", async () => {
  const user = await inProcessHexpub({ fetch: () => Promise.reject(new Error("no network")) });
  await Deno.mkdir(user.configDir, { recursive: true });
  await Deno.writeTextFile(join(user.configDir, "credentials.json"), "{not json");
  const r = await user.run(["completions", "--list-repos"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdoutLines, ["hexpm", "local"]);
  // A store entry for another API URL (NAME@URL) completes as its name.
  await saveStore(
    user.deps(),
    join(user.configDir, "credentials.json"),
    setUsername(emptyStore(), "mirror@http://127.0.0.1:9/api", "bob"),
  );
  assert.deepEqual((await user.run(["completions", "--list-repos"])).stdoutLines, [
    "hexpm",
    "local",
    "mirror",
  ]);
  // What `repo remove` takes (config.json only) and what `organization …` takes (hexpm:ORG only).
  await Deno.writeTextFile(
    join(user.configDir, "config.json"),
    JSON.stringify({ repos: [{ name: "team", repo_url: "http://127.0.0.1:9/repo" }] }),
  );
  await saveStore(
    user.deps(),
    join(user.configDir, "credentials.json"),
    setUsername(
      setUsername(
        setUsername(emptyStore(), "hexpm", "bob"),
        "hexpm:acme@http://127.0.0.1:9/api",
        "bob",
      ),
      "mirror@http://127.0.0.1:9/api",
      "bob",
    ),
  );
  const list = async (...args: string[]) =>
    (await user.run(["completions", "--list-repos", ...args])).stdoutLines;
  assert.deepEqual(await list("all"), ["hexpm", "hexpm:acme", "local", "mirror", "team"]);
  assert.deepEqual(await list("removable"), ["team"]);
  assert.deepEqual(await list("orgs"), ["hexpm:acme"]);
  const bad = await user.run(["completions", "--list-repos", "some"]);
  assert.equal(bad.code, 2);
});

Deno.test("completions without a shell, or with an unknown one, is a usage error", async () => {
  const user = await inProcessHexpub();
  const none = await user.run(["completions"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name the shell/);
  const bad = await user.run(["completions", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bash, zsh, fish/);
});

Deno.test("completionTree() follows the command tree: every command, its flags and hidden ones left out", () => {
  const tree = completionTree(rootCommand(testDeps(Deno.cwd())));
  const names = tree.commands.map((c) => c.name);
  for (const n of ["build", "publish", "cut", "user", "repo", "completions", "help"]) {
    assert.ok(names.includes(n), n);
  }
  const publish = tree.commands.find((c) => c.name === "publish")!;
  const repo = publish.options.find((o) => o.flags.includes("--repo"))!;
  assert.deepEqual(repo.flags, ["-r", "--repo"]);
  assert.deepEqual(repo.value, { kind: "repo" });
  assert.equal(publish.options.find((o) => o.flags.includes("--yes"))!.value, undefined);
  const completions = tree.commands.find((c) => c.name === "completions")!;
  assert.ok(!completions.options.some((o) => o.flags.includes("--list-repos")));
  const userKey = tree.commands.find((c) => c.name === "user")!.commands.find((c) =>
    c.name === "key"
  )!;
  assert.ok(userKey.commands.some((c) => c.name === "rotate"));
});
