/**
 * `publish`, `owner`, `retire` and `search` end to end: the real CLI against
 * the fake Hex server on 127.0.0.1.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { hexEnv, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";
import { writeGlobalRepos } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";

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

Deno.test("publishing an existing version needs --replace; outside the edit window it is refused with hex.pm's rule", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.1.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    assert.equal((await runHexpub(["publish", "package", "--yes"], { cwd, home, env })).code, 0);
    await Deno.writeTextFile(join(cwd, "src/extra.erl"), "-module(extra).\n");
    const again = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /--replace/);
    const replaced = await runHexpub(["publish", "package", "--yes", "--replace"], {
      cwd,
      home,
      env,
    });
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /\(replaced\)/);
    fake.advanceClock(2 * 3600_000);
    fake.advanceClock(24 * 3600_000);
    await Deno.writeTextFile(join(cwd, "src/more.erl"), "-module(more).\n");
    const late = await runHexpub(["publish", "package", "--yes", "--replace"], { cwd, home, env });
    assert.equal(late.code, 1);
    assert.match(late.stderr, /one hour/);
    const revert = await runHexpub(["publish", "--revert", "0.1.0", "--yes"], { cwd, home, env });
    assert.equal(revert.code, 1);
    assert.match(revert.stderr, /one hour[\s\S]*hint:/);
  });
});

Deno.test("revert inside the window deletes the release (by pkg_name)", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.2.0", {
      "src/widget.app.src": `{application, widget, [{description, "A widget"}, {vsn, "0.2.0"},
  {pkg_name, widget_pkg}, {licenses, ["MIT"]}]}.\n`,
    }));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    assert.equal((await runHexpub(["publish", "package", "--yes"], { cwd, home, env })).code, 0);
    const r = await runHexpub(["publish", "--revert", "0.2.0", "--yes"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Successfully deleted package widget_pkg 0\.2\.0/);
    assert.equal(fake.release("widget_pkg", "0.2.0"), undefined);
    const bad = await runHexpub(["publish", "--revert", "1.0", "--yes"], { cwd, home, env });
    assert.equal(bad.code, 2);
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

Deno.test("a 503 on publish is an error (never 'Published'); re-running then succeeds", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.3.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    fake.failNext(1, 503, { method: "POST", path: "/publish" });
    const r = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /^Published/m);
    assert.match(r.stderr, /503/);
    assert.equal(fake.requestsTo("POST", "/publish").length, 1, "a write is not retried blindly");
    const again = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(again.code, 0, again.stderr);
  });
});

Deno.test("a connection dropped after the server stored the release: hexpub finds it landed", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.4.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    fake.dropConnectionNext(1, { method: "POST", path: "/publish", afterHandling: true });
    const r = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /landed/);
    assert.ok(fake.release("widget", "0.4.0"));
  });
});

Deno.test("OAuth writes need TOTP: without a terminal publish names HEX_OTP; with it, it publishes", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "tia", twoFactor: true });
    fake.autoApprove({ user: "tia", afterPolls: 1 });
    const home = await makeHome();
    const cwd = await makeProject(app("0.5.0"));
    const env = { ...hexEnv(server), HEXPUB_LOCAL_PASSWORD: "pw" };
    assert.equal((await runHexpub(["user", "auth"], { cwd, home, env })).code, 0);
    const noOtp = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(noOtp.code, 2, noOtp.stderr);
    assert.match(noOtp.stderr, /HEX_OTP/);
    const ok = await runHexpub(["publish", "package", "--yes"], {
      cwd,
      home,
      env: { ...env, HEX_OTP: await fake.totp("tia") },
    });
    assert.equal(ok.code, 0, ok.stderr);
  }, { deviceInterval: 0 });
});

Deno.test("declining the prompt exits 3 and uploads nothing; no terminal and no --yes exits 2", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.6.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key, HOME: home };
    const deps = testDeps(cwd, { isTerminal: true, answers: ["n"], env });
    assert.equal(await runCli(["publish", "package"], deps), 3);
    assert.ok(deps.asked.some((q) => /Proceed/.test(q)));
    const noTty = testDeps(cwd, { env });
    assert.equal(await runCli(["publish", "package"], noTty), 2);
    assert.equal(fake.requestsTo("POST", "/publish").length, 0);
  });
});

Deno.test("--dry-run needs no credentials and shows the difference from the latest release", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.1.0"));
    const env = hexEnv(server);
    assert.equal(
      (await runHexpub(["publish", "package", "--yes"], {
        cwd,
        home,
        env: { ...env, HEX_API_KEY: key },
      })).code,
      0,
    );
    await Deno.writeTextFile(
      join(cwd, "src/widget.app.src"),
      `{application, widget, [{description, "A better widget"}, {vsn, "0.2.0"},
  {licenses, ["Apache-2.0"]}, {links, [{"GitHub", "https://github.com/x/widget"}]}]}.\n`,
    );
    await Deno.writeTextFile(join(cwd, "src/new.erl"), "-module(new).\n");
    await Deno.writeTextFile(join(cwd, "src/widget.erl"), "-module(widget).\n-export([]).\n");
    const dry = await runHexpub(["publish", "package", "--dry-run"], { cwd, home, env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Compared with widget 0\.1\.0:/);
    assert.match(dry.stdout, /\+ src\/new\.erl/);
    assert.match(dry.stdout, /~ src\/widget\.erl/);
    assert.match(dry.stdout, /metadata description: "A widget" -> "A better widget"/);
    assert.equal(fake.requestsTo("POST", "/publish").length, 1, "the dry run uploaded nothing");
    const same = await makeProject(app("0.1.0"));
    const dup = await runHexpub(["publish", "package", "--dry-run"], { cwd: same, home, env });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already published[\s\S]*--replace/);
  });
});

Deno.test("owner add/list/transfer/remove and owner list packages", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    fake.addUser({ username: "quinn", email: "quinn@example.com" });
    const cwd = await makeProject(app("0.1.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    assert.equal((await runHexpub(["publish", "package", "--yes"], { cwd, home, env })).code, 0);
    const add = await runHexpub(["owner", "add", "widget", "quinn", "--level", "maintainer"], {
      cwd,
      home,
      env,
    });
    assert.equal(add.code, 0, add.stderr);
    const list = await runHexpub(["owner", "list", "widget", "--json"], {
      cwd,
      home,
      env: hexEnv(server),
    });
    assert.deepEqual(
      JSON.parse(list.stdout).map((o: { username: string; level: string }) =>
        `${o.username}:${o.level}`
      ).sort(),
      ["pat:full", "quinn:maintainer"],
    );
    const mine = await runHexpub(["owner", "list", "packages"], { cwd, home, env });
    assert.match(mine.stdout, /^widget\s+hexpm/m);
    const bad = await runHexpub(["owner", "add", "widget", "quinn", "--level", "boss"], {
      cwd,
      home,
      env,
    });
    assert.equal(bad.code, 2);
    const rm = await runHexpub(["owner", "remove", "widget", "quinn"], { cwd, home, env });
    assert.equal(rm.code, 0, rm.stderr);
    const tr = await runHexpub(["owner", "transfer", "widget", "quinn"], { cwd, home, env });
    assert.equal(tr.code, 0, tr.stderr);
    const after = await runHexpub(["owner", "list", "widget", "--json"], {
      cwd,
      home,
      env: hexEnv(server),
    });
    assert.deepEqual(JSON.parse(after.stdout).map((o: { username: string }) => o.username), [
      "quinn",
    ]);
  });
});

Deno.test("retire checks reason and message locally; retire, unretire and --all reach the server", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.1.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    assert.equal((await runHexpub(["publish", "package", "--yes"], { cwd, home, env })).code, 0);
    const before = fake.requests.length;
    for (
      const args of [["widget", "0.1.0", "broken", "-m", "nope"], [
        "widget",
        "0.1.0",
        "security",
        "-m",
        "no",
      ]]
    ) {
      const r = await runHexpub(["retire", ...args], { cwd, home, env });
      assert.equal(r.code, 2, r.stderr);
    }
    assert.equal(fake.requests.length, before, "refused before any request");
    const r = await runHexpub(["retire", "widget", "0.1.0", "security", "-m", "CVE-2026-0001"], {
      cwd,
      home,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.release("widget", "0.1.0")!.retirement?.reason, "security");
    const un = await runHexpub(["retire", "widget", "0.1.0", "--unretire"], { cwd, home, env });
    assert.equal(un.code, 0, un.stderr);
    assert.ok(!fake.release("widget", "0.1.0")!.retirement);
    const all = await runHexpub(["retire", "widget", "--all", "deprecated", "-m", "use gadget"], {
      cwd,
      home,
      env,
    });
    assert.equal(all.code, 0, all.stderr);
    assert.equal(fake.release("widget", "0.1.0")!.retirement?.reason, "deprecated");
  });
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

Deno.test("a connection dropped before the server stored anything: 'has not landed', and re-running works", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.4.1"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    fake.dropConnectionNext(1, { method: "POST", path: "/publish" });
    const r = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has not landed[\s\S]*again is safe/);
    assert.equal(fake.release("widget", "0.4.1"), undefined);
    assert.equal((await runHexpub(["publish", "package", "--yes"], { cwd, home, env })).code, 0);
  });
});

Deno.test("--revert with --dry-run deletes nothing", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.1.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    assert.equal((await runHexpub(["publish", "package", "--yes"], { cwd, home, env })).code, 0);
    const r = await runHexpub(["publish", "--revert", "0.1.0", "--dry-run", "--yes"], {
      cwd,
      home,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Dry run: would delete package widget 0\.1\.0/);
    assert.ok(fake.release("widget", "0.1.0"), "still there");
    assert.equal(fake.requestsTo("DELETE", /releases/).length, 0);
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

Deno.test("a failed read-back after a successful upload is a warning, not a failure", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.7.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    fake.failNext(4, 503, { method: "GET", path: /releases\/0\.7\.0$/ });
    const r = await runHexpub(["publish", "package", "--yes"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /was published, but reading it back failed/);
    assert.match(r.stdout, /^Published widget 0\.7\.0/m);
  });
});

Deno.test("--app all uploads nothing when any app is invalid", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const appSrc = (name: string, vsn: string) =>
      `{application, ${name}, [{description, "The ${name} app"}, {vsn, "${vsn}"}, {licenses, ["MIT"]}]}.\n`;
    const cwd = await makeProject({
      "rebar.config": "{deps, []}.\n",
      "rebar.lock": "[].\n",
      "apps/aaa/src/aaa.app.src": appSrc("aaa", "1.0.0"),
      "apps/bbb/src/bbb.app.src": appSrc("bbb", "1.0"),
    });
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    const r = await runHexpub(["publish", "package", "--app", "all"], { cwd, home, env });
    assert.equal(r.code, 1);
    assert.equal(fake.requestsTo("POST", "/publish").length, 0);
  });
});

Deno.test("publish docs alone, then publish docs --revert", async () => {
  await withFakeHex(async (fake, server) => {
    const { home, key } = await setup(fake);
    const cwd = await makeProject(app("0.8.0"));
    const env = { ...hexEnv(server), HEX_API_KEY: key };
    assert.equal((await runHexpub(["publish", "package", "--yes"], { cwd, home, env })).code, 0);
    assert.ok(!fake.release("widget", "0.8.0")!.hasDocs);
    const docs = await runHexpub(["publish", "docs", "--yes", "--doc-dir", "doc"], {
      cwd,
      home,
      env,
    });
    assert.equal(docs.code, 0, docs.stderr);
    assert.match(docs.stdout, /Published docs for widget 0\.8\.0/);
    assert.ok(fake.release("widget", "0.8.0")!.hasDocs);
    const rev = await runHexpub(["publish", "docs", "--revert", "0.8.0", "--yes"], {
      cwd,
      home,
      env,
    });
    assert.equal(rev.code, 0, rev.stderr);
    assert.match(rev.stdout, /Successfully deleted docs for widget 0\.8\.0/);
    assert.ok(!fake.release("widget", "0.8.0")!.hasDocs);
    assert.ok(fake.release("widget", "0.8.0"), "the package stays");
  });
});
