/** `hexpub cut` through the real CLI: a git repository with a bare origin, and the fake Hex server. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { hexEnv, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { git, makeProject } from "../support/project.ts";

async function repo(appSrc: string) {
  const cwd = await makeProject({
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "src/gizmo.app.src": appSrc,
    "src/gizmo.erl": "-module(gizmo).\n",
  });
  const origin = await Deno.makeTempDir({ prefix: "hexpub-origin-" });
  await git(origin, "init", "-q", "--bare", "-b", "trunk");
  await git(cwd, "init", "-q", "-b", "trunk");
  await git(cwd, "add", ".");
  await git(cwd, "commit", "-q", "-m", "first");
  await git(cwd, "remote", "add", "origin", origin);
  await git(cwd, "push", "-q", "origin", "trunk");
  return { cwd, origin };
}

const good = `%% gizmo
{application, gizmo, [{description, "Gizmos"}, {vsn, "0.1.0"}, {licenses, ["MIT"]}]}.\n`;

Deno.test("cut bumps, commits, tags, pushes the current branch and publishes the new version", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "pat" });
    const key = fake.addKey({ owner: "pat" });
    const { cwd, origin } = await repo(good);
    const env = { ...hexEnv(server), HEX_API_KEY: key.secret, GIT_CONFIG_GLOBAL: "/dev/null" };
    const gitEnv = {
      GIT_AUTHOR_NAME: "T",
      GIT_AUTHOR_EMAIL: "t@example.invalid",
      GIT_COMMITTER_NAME: "T",
      GIT_COMMITTER_EMAIL: "t@example.invalid",
    };
    const dry = await runHexpub(["cut", "-i", "minor", "--dry-run", "--yes"], {
      cwd,
      home: await makeHome(),
      env: { ...env, ...gitEnv },
    });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Publishing gizmo 0\.2\.0/);
    assert.equal(fake.requestsTo("POST", "/publish").length, 0);

    const r = await runHexpub(["cut", "-i", "minor", "--yes"], {
      cwd,
      home: await makeHome(),
      env: { ...env, ...gitEnv },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fake.release("gizmo", "0.2.0"));
    assert.equal(
      await Deno.readTextFile(join(cwd, "src/gizmo.app.src")),
      good.replace('"0.1.0"', '"0.2.0"'),
    );
    assert.match(await git(origin, "tag"), /v0\.2\.0/);
    assert.match(await git(origin, "log", "--oneline", "trunk"), /Bump to 0\.2\.0/);
  });
});

Deno.test("cut refuses before any git change when the package could not be published", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addUser({ username: "pat" });
    const key = fake.addKey({ owner: "pat" });
    const { cwd, origin } = await repo(
      good.replace('{licenses, ["MIT"]}', '{licenses, ["MIT"]}, {pkg_name, "Bad-Name"}'),
    );
    const before = await git(origin, "log", "--oneline", "trunk");
    const r = await runHexpub(["cut", "-i", "patch", "--yes"], {
      cwd,
      home: await makeHome(),
      env: { ...hexEnv(server), HEX_API_KEY: key.secret },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(await git(origin, "log", "--oneline", "trunk"), before, "nothing pushed");
    assert.equal((await git(cwd, "tag")).trim(), "", "no tag");
    assert.equal((await git(cwd, "status", "--porcelain")).trim(), "", "no change left behind");
  });
});
