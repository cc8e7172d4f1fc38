import { strict as assert } from "node:assert";
import { runCli } from "../src/cli.ts";
import { VERSION } from "../src/commands/root.ts";
import { makeProject } from "./support/project.ts";
import { testDeps } from "./support/test_deps.ts";

const APP = {
  "rebar.config": "{deps, []}.\n",
  "rebar.lock": "[].\n",
  "src/tiny.app.src":
    `{application, tiny, [{description, "Tiny"}, {vsn, "0.1.0"}, {licenses, ["MIT"]}]}.\n`,
  "src/tiny.erl": "-module(tiny).\n",
};

Deno.test("hexpub --version prints deno.json's version", async () => {
  const deps = testDeps(Deno.cwd());
  assert.equal(await runCli(["--version"], deps), 0);
  assert.deepEqual(deps.stdout, [VERSION]);
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(denoJson.version, VERSION);
});

Deno.test("hexpub --help and build --help list every build flag", async () => {
  const deps = testDeps(Deno.cwd());
  assert.equal(await runCli(["--help"], deps), 0);
  assert.match(deps.stdout.join("\n"), /build \[options\] \[what\]/);
  const b = testDeps(Deno.cwd());
  assert.equal(await runCli(["build", "--help"], b), 0);
  const help = b.stdout.join("\n");
  for (
    const flag of [
      "-r, --repo",
      "-a, --app",
      "-o, --output",
      "-u, --unpack",
      "--doc-dir",
      "--strict",
      "--json",
    ]
  ) assert.ok(help.includes(flag), `help lists ${flag}`);
  assert.match(help, /Exit codes/);
});

Deno.test("unknown commands, flags and targets exit 2 with a message", async () => {
  let deps = testDeps(Deno.cwd());
  assert.equal(await runCli(["biuld"], deps), 2);
  assert.match(deps.stderr.join("\n"), /unknown command 'biuld'[\s\S]*build/);
  deps = testDeps(Deno.cwd());
  assert.equal(await runCli(["build", "--nope"], deps), 2);
  assert.match(deps.stderr.join("\n"), /unknown option '--nope'/);
  const root = await makeProject(APP);
  deps = testDeps(root);
  assert.equal(await runCli(["build", "tarball"], deps), 2);
  assert.match(deps.stderr.join("\n"), /unknown build target "tarball"[\s\S]*hint:/);
});

Deno.test("hexpub build --json prints one object with both checksums", async () => {
  const root = await makeProject(APP);
  const deps = testDeps(root);
  assert.equal(await runCli(["build", "--json", "-o", "out/tiny.tar"], deps), 0);
  assert.equal(deps.stdout.length, 1);
  const obj = JSON.parse(deps.stdout[0]);
  assert.equal(obj.package.name, "tiny");
  assert.match(obj.package.innerChecksum, /^[0-9A-F]{64}$/);
  assert.match(obj.package.outerChecksum, /^[0-9a-f]{64}$/);
  const bytes = await Deno.readFile(`${root}/out/tiny.tar`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  assert.equal(
    [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
    obj.package.outerChecksum,
  );
  assert.equal(obj.docs, null);
  assert.match(obj.docsSkipped, /No doc provider/);
});

Deno.test("hexpub build prints rebar3_hex's summary and where the tarball went", async () => {
  const root = await makeProject(APP);
  const deps = testDeps(root);
  assert.equal(await runCli(["build", "package"], deps), 0);
  const out = deps.stdout.join("\n");
  assert.match(out, /^Building tiny 0\.1\.0$/m);
  assert.match(out, /Included files:\n( {4}.*\n)* {4}src\/tiny\.erl/);
  assert.match(out, /Licenses: MIT/);
  assert.match(
    out,
    /Your package tarball is available at _build\/default\/lib\/tiny\/hex\/tiny-0\.1\.0\.tar/,
  );
  assert.ok((await Deno.stat(`${root}/_build/default/lib/tiny/hex/tiny-0.1.0.tar`)).isFile);
});

Deno.test("errors name the file and line, give a hint, exit 1 and show no stack", async () => {
  const root = await makeProject({
    ...APP,
    "src/tiny.app.src": `{application, tiny, [{vsn, "1.0"}\n  {description, "x"}]}.\n`,
  });
  const deps = testDeps(root);
  assert.equal(await runCli(["build"], deps), 1);
  const err = deps.stderr.join("\n");
  assert.match(err, /^error: /m);
  assert.match(err, /src\/tiny\.app\.src:2:3/);
  assert.doesNotMatch(err, /at .*\.ts:\d+/);
});

Deno.test("validation errors list every problem with its hint; hex.pm's rules are warnings", async () => {
  const root = await makeProject({
    ...APP,
    "src/tiny.app.src": `{application, tiny,\n [{vsn, "1.0"},\n  {licenses, ["apache 2"]}]}.\n`,
  });
  const deps = testDeps(root);
  assert.equal(await runCli(["build"], deps), 1);
  const err = deps.stderr.join("\n");
  assert.match(err, /error: the package is not valid: 1 problem\n/);
  assert.match(err, /error: src\/tiny\.app\.src:2:\d+: non-semantic version number "1\.0" found/);
  assert.match(err, /warning: .*hex\.pm will refuse this release: missing or empty description/);
  assert.match(
    err,
    /warning: .*invalid license type detected: "apache 2"\n\s+hint: did you mean "Apache-2\.0"/,
  );
  assert.ok(!(await Deno.stat(`${root}/_build`).catch(() => undefined)), "nothing written");
});

Deno.test("a closed stdout (EPIPE) ends quietly: the command finishes, exit 0, nothing on stderr", async () => {
  const root = await makeProject(APP);
  const deps = testDeps(root);
  let printed = 0;
  // stdout whose reader went away after the first line, as `hexpub build | head -1`.
  deps.out.print = (line) => {
    if (printed++ > 0) throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    deps.stdout.push(line);
  };
  assert.equal(await runCli(["build", "-o", "out/tiny.tar"], deps), 0);
  assert.deepEqual(deps.stdout, ["Building tiny 0.1.0"]);
  assert.doesNotMatch(deps.stderr.join("\n"), /Broken pipe|report it|error/);
  // The build was not cut short: the tarball is there.
  assert.ok((await Deno.stat(`${root}/out/tiny.tar`)).isFile);
  // Help goes through the same output.
  const help = testDeps(root);
  help.out.print = () => {
    throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
  };
  assert.equal(await runCli(["--help"], help), 0);
  assert.deepEqual(help.stderr, []);
});

Deno.test("escape sequences in a local description and file name never reach the terminal", async () => {
  const root = await makeProject({
    ...APP,
    "src/tiny.app.src": `{application, tiny, [{description, "Tiny\x1b]0;owned\x07\x1b[2J"}, ` +
      `{vsn, "0.1.0"}, {licenses, ["MIT\x1b[31m"]}]}.\n`,
    "src/evil\x1b[1m\x07.erl": "-module(evil).\n",
  });
  const deps = testDeps(root);
  assert.equal(
    await runCli(["build", "package", "-o", "out/tiny.tar"], deps),
    0,
    deps.stderr.join("\n"),
  );
  const all = deps.stdout.join("\n") + deps.stderr.join("\n");
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(all, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  assert.match(all, /Description: Tiny$/m);
  assert.match(all, /^\s+src\/evil\.erl$/m);
});

Deno.test("rebar3's coloured output in a hint comes without escape sequences", async () => {
  const root = await makeProject({
    ...APP,
    "rebar.config": "{deps, []}.\n{hex, [{doc, edoc}]}.\n",
  });
  const bin = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${bin}/rebar3`,
    "#!/bin/sh\nprintf '\\033[0;32m===> Running edoc\\033[0m\\n\\033[0;31m===> edoc: bad tag\\033[0m\\n'\nexit 1\n",
  );
  await Deno.chmod(`${bin}/rebar3`, 0o755);
  const deps = testDeps(root, { env: { PATH: `${bin}:/usr/bin:/bin` } });
  assert.equal(await runCli(["build", "docs"], deps), 1);
  const err = deps.stderr.join("\n");
  assert.match(err, /hint: ===> Running edoc\n===> edoc: bad tag/);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(err, /\x1b|\[0;3\dm|\[0m/);
});
