/**
 * `publish` and `search` end to end: the real CLI against the fake Hex server
 * on 127.0.0.1. The publish use case itself (replace, revert, dropped
 * connections, read-back, dry run, docs, the prompt) is tested in-process in
 * tests/tasks/publish_test.ts, owner and retire in tests/tasks/owner_test.ts and
 * retire_test.ts; these are the smoke tests of the process.
 */
import { strict as assert } from "node:assert";
import { hexEnv, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";
import { writeGlobalRepos } from "../support/registry.ts";

function app(version: string, extra: Record<string, string> = {}, deps = "[]") {
  return {
    "rebar.config": `{deps, ${deps}}.\n`,
    "rebar.lock": "[].\n",
    "src/widget.app.src": `{application, widget, [{description, "A widget"}, {vsn, "${version}"},
  {licenses, ["Apache-2.0"]}, {links, [{"GitHub", "https://github.com/x/widget"}]}]}.\n`,
    "src/widget.erl": "-module(widget).\n",
    "doc/index.html": "<p>docs</p>",
    ...extra,
  };
}

async function setup(fake: import("../fakes/fake_hex.ts").FakeHex) {
  fake.addUser({ username: "pat" });
  const key = fake.addKey({ owner: "pat" });
  return { home: await makeHome(), key: key.secret };
}

Deno.test("publish uploads the package and docs, verifies the checksum, and prints the URL", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.1.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    const r = await runHexpub(["publish", "--yes", "--doc-dir", "doc"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Publishing widget 0\.1\.0 to hexpm/);
    assert.match(r.stdout, /Published widget 0\.1\.0\n/);
    assert.match(r.stdout, /verified on the server/);
    assert.match(r.stdout, /Published docs for widget 0\.1\.0/);
    const rel = fake.release("widget", "0.1.0")!;
    assert.ok(rel.hasDocs);
    assert.match(r.stdout, new RegExp(`Checksum: ${rel.checksum}`));
    const q = fake.requestsTo("POST", "/publish")[0];
    assert.equal(q.query.get("replace"), "false", "replace is always explicit");
    fake.assertNoSecretIn(r.stdout + r.stderr);
  });
});

Deno.test("server refusals are readable: 422 with nested errors, 403 name taken", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    const missing = await makeProject(app("0.1.0", {
      "rebar.lock": `{"1.2.0",[{<<"nope_dep">>,{pkg,<<"nope_dep">>,<<"1.0.0">>},0}]}.\n`,
    }, `[{nope_dep, "~> 1.0"}]`));
    const r = await runHexpub(["publish", "package", "--yes"], { cwd: missing, home, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /422[\s\S]*requirements\.nope_dep: .*does not exist/);

    fake.addUser({ username: "other" });
    fake.addPackage(
      { name: "taken", owners: ["other"], releases: [{ version: "1.0.0" }] } as never,
    );
    const taken = await makeProject(app("0.1.0", {
      "src/widget.app.src": `{application, widget, [{description, "A widget"}, {vsn, "2.0.0"},
  {pkg_name, taken}, {licenses, ["MIT"]}]}.\n`,
    }));
    const t = await runHexpub(["publish", "package", "--yes"], { cwd: taken, home, env });
    assert.equal(t.code, 1);
    assert.match(t.stderr, /403/);
  });
});

Deno.test("OAuth writes need TOTP: without a terminal publish names HEX_OTP; with it, it publishes", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "tia", twoFactor: true });
    fake.autoApprove({ user: "tia", afterPolls: 1 });
    const home = await makeHome();
    const cwd = await makeProject(app("0.5.0"));
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await runHexpub(["user", "auth", "--device"], { cwd, home, env })).code, 0);
    const noOtp = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(noOtp.code, 4, noOtp.stderr);
    assert.match(noOtp.stderr, /HEX_OTP/);
    const ok = await runHexpub(["publish", "package", "--yes"], {
      cwd,
      home,
      env: { ...env, HEX_OTP: await fake.totp("tia") },
    });
    assert.equal(ok.code, 0, ok.stderr);
  }, { deviceInterval: 0 });
});

Deno.test("search needs no log-in and orders versions by SemVer", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "sam" });
    fake.addPackage({
      name: "cowboy_tools",
      owners: ["sam"],
      meta: { description: "Tools for cowboys and the herds they ride with on long trails" },
      releases: [{ version: "1.9.0" }, { version: "1.10.0" }, { version: "2.0.0-rc.1" }],
    } as never);
    const home = await makeHome();
    const cwd = await makeProject({ "README.md": "x" });
    const r = await runHexpub(["search", "cowboy", "--json"], { cwd, home, env: hexEnv(server) });
    assert.equal(r.code, 0, r.stderr);
    const [hit] = JSON.parse(r.stdout);
    assert.equal(hit.name, "cowboy_tools");
    assert.equal(hit.version, "1.10.0");
    const table = await runHexpub(["search", "cowboy"], { cwd, home, env: hexEnv(server) });
    assert.match(
      table.stdout,
      /cowboy_tools\s+1\.10\.0\s+Tools for cowboys and the herds they ride with on \.\.\./,
    );
    const none = await runHexpub(["search", "zzz"], { cwd, home, env: hexEnv(server) });
    assert.match(none.stdout, /No Results/);
  });
});

Deno.test("--app all publishes every umbrella app in dependency order, without prompts", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const appSrc = (name: string, uses: string) =>
      `{application, ${name}, [{description, "The ${name} app"}, {vsn, "1.0.0"}, {licenses, ["MIT"]},\n  {applications, [kernel, stdlib${uses}]}]}.\n`;
    const cwd = await makeProject({
      "rebar.config": "{deps, []}.\n",
      "rebar.lock": "[].\n",
      "apps/zeta_core/src/zeta_core.app.src": appSrc("zeta_core", ""),
      "apps/alpha_web/src/alpha_web.app.src": appSrc("alpha_web", ", zeta_core"),
    });
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    const r = await runHexpub(["publish", "package", "--app", "all", "--yes"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    const order = fake.requestsTo("POST", "/publish").map((q) => q.status);
    assert.equal(order.length, 2);
    assert.ok(r.stdout.indexOf("Published zeta_core") < r.stdout.indexOf("Published alpha_web"));
    const menu = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(menu.code, 2);
    assert.match(menu.stderr, /--app all/);
  });
});

Deno.test("publishing to an organization verifies with credentials", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "pat", orgs: { acme: "admin" } });
    fake.addOrg({ name: "acme", members: { pat: "admin" } });
    const key = fake.addKey({ owner: "pat" });
    const home = await makeHome();
    const cwd = await makeProject(app("0.1.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key.secret };
    const r = await runHexpub(["publish", "package", "--yes", "-r", "hexpm:acme"], {
      cwd,
      home,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /verified on the server/);
    assert.ok(fake.release("widget", "0.1.0", "acme"));
  });
});

Deno.test("the dry run's diff sends an organization's repo_key to its repository, never to an untrusted HEX_MIRROR_URL", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "pat", orgs: { acme: "admin" } });
    fake.addOrg({ name: "acme", members: { pat: "admin" } });
    const key = fake.addKey({ owner: "pat" });
    const orgKey = fake.addKey({
      owner: { organization: "acme" },
      permissions: [{ domain: "repository", resource: "acme" }],
    });
    fake.addRelease({ name: "widget", version: "0.1.0", repository: "acme" });
    const home = await makeHome();
    const cwd = await makeProject(app("0.2.0"));
    const tarballs = () => fake.requestsTo("GET", "/repo/repos/acme/tarballs/widget-0.1.0.tar");

    await writeGlobalRepos(home, [{ name: "hexpm:acme", repo_key: orgKey.secret }]);
    const mirrored = await runHexpub(["publish", "package", "-r", "hexpm:acme", "--dry-run"], {
      cwd,
      home,
      env: { ...hexEnv(server), HEX_API_KEY: key.secret },
    });
    assert.equal(mirrored.code, 0, mirrored.stderr);
    assert.equal(tarballs().length, 1);
    assert.equal(tarballs()[0].headers.has("authorization"), false);
    assert.match(mirrored.stdout, /not checked \(offline\?\): the difference from 0\.1\.0/);

    // Its own repository (not a mirror) gets the key, and the diff is shown.
    await writeGlobalRepos(home, [
      { name: "hexpm", repo_url: server.repoUrl },
      { name: "hexpm:acme", repo_key: orgKey.secret },
    ]);
    const own = await runHexpub(["publish", "package", "-r", "hexpm:acme", "--dry-run"], {
      cwd,
      home,
      env: { HEX_API_URL: server.url, HEX_API_KEY: key.secret },
    });
    assert.equal(own.code, 0, own.stderr);
    assert.equal(tarballs().at(-1)!.headers.get("authorization"), orgKey.secret);
    assert.match(own.stdout, /Compared with widget 0\.1\.0/);
    fake.assertNoSecretIn(mirrored.stdout + mirrored.stderr + own.stdout + own.stderr);
  });
});

Deno.test("publish --dry-run --json: stdout of the real process is one JSON document", async () => {
  await withFakeHex(async (_fake, server) => {
    const cwd = await makeProject(app("0.1.0"));
    const r = await runHexpub(["publish", "--dry-run", "--json", "--doc-dir", "doc"], {
      cwd,
      env: hexEnv(server),
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.published[0].name, "widget");
    assert.equal(result.published[0].dryRun, true);
    assert.match(r.stderr, /Publishing widget 0\.1\.0 to hexpm/);
  });
});
