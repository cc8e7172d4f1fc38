/** Custom repositories from hexpub's config.json and from a project's rebar.config. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { configDirOf, makeHome } from "../support/e2e.ts";
import { inProcessHexpub, withFakeHex } from "../support/in_process.ts";
import { makeProject } from "../support/project.ts";

Deno.test("-r picks a repository from hexpub's config.json or the project's rebar.config", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addUser({ username: "kim" });
    const key = fake.addKey({ owner: "kim" });
    const home = await makeHome();
    await Deno.mkdir(configDirOf(home), { recursive: true });
    await Deno.writeTextFile(
      join(configDirOf(home), "config.json"),
      JSON.stringify({ repos: [{ name: "mine", api_url: server.url, api_key: key.secret }] }),
    );
    const cwd = await makeProject({
      "rebar.config":
        `{hex, [{repos, [#{name => <<"corp">>, api_url => <<"${server.url}">>}]}]}.\n`,
    });
    const mine = await hexpub.run(["user", "whoami", "-r", "mine"], { cwd, home });
    assert.equal(mine.code, 0, mine.stderr);
    assert.match(mine.stdout, /^mine\s+kim/m);
    // HEX_API_KEY is a hex.pm key: not sent to a custom repository on another API...
    const corpNoKey = await hexpub.run(["user", "whoami", "-r", "corp"], {
      cwd,
      home,
      env: { HEX_API_KEY: key.secret },
    });
    assert.equal(corpNoKey.code, 4, corpNoKey.stderr);
    // ...unless HEX_API_URL says that API is where it goes.
    const corp = await hexpub.run(["user", "whoami", "-r", "corp"], {
      cwd,
      home,
      env: { HEX_API_KEY: key.secret, HEX_API_URL: server.url },
    });
    assert.equal(corp.code, 0, corp.stderr);
    assert.match(corp.stdout, /^corp\s+kim/m);
    const unknown = await hexpub.run(["user", "whoami", "-r", "nope"], { cwd, home });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no configuration for repository "nope"[\s\S]*hint:/);
    await Deno.writeTextFile(join(configDirOf(home), "config.json"), "{ nope");
    const broken = await hexpub.run(["user", "whoami"], { cwd, home });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /config\.json: not valid JSON/);
  });
});

Deno.test("credentials stay with the API they came from: a rebar.config cannot redirect them", async () => {
  await withFakeHex(async (a, serverA) => {
    await withFakeHex(async (b, serverB) => {
      const hexpub = await inProcessHexpub({ fakes: [serverA, serverB] });
      a.addUser({ username: "olga" });
      const key = a.addKey({ owner: "olga" });
      const home = await makeHome();
      const plain = await makeProject({ "README.md": "x" });
      const env = { HEXPUB_LOCAL_PASSWORD: "pw" };
      const auth = await hexpub.run(["user", "auth", "--key", key.secret], {
        cwd: plain,
        home,
        env: { ...env, HEX_API_URL: serverA.url },
      });
      assert.equal(auth.code, 0, auth.stderr);
      // A project that points hexpm at another server gets nothing to send there.
      const evil = await makeProject({
        "rebar.config":
          `{hex, [{repos, [#{name => <<"hexpm">>, api_url => <<"${serverB.url}">>}]}]}.\n`,
      });
      const r = await hexpub.run(["user", "whoami"], { cwd: evil, home, env });
      assert.equal(r.code, 4, r.stderr);
      assert.equal(b.requests.length, 0, "nothing reached the other server");
      // rebar3's hex.pm OAuth token is not sent to a custom repository either.
      await Deno.mkdir(join(home, ".config", "rebar3"), { recursive: true });
      await Deno.writeTextFile(
        join(home, ".config", "rebar3", "hex.config"),
        `%% coding: utf-8\n#{<<"$oauth">> => #{access_token => <<"rebar3-hexpm-token">>, expires_at => ${
          Math.floor(Date.now() / 1000) + 3600
        }}}.\n`,
      );
      const custom = await makeProject({
        "rebar.config":
          `{hex, [{repos, [#{name => <<"other">>, api_url => <<"${serverB.url}">>}]}]}.\n`,
      });
      const r2 = await hexpub.run(["user", "whoami", "-r", "other"], { cwd: custom, home, env });
      assert.equal(r2.code, 4, r2.stderr);
      assert.equal(b.requests.length, 0, "no token reached the custom repository");
    }, { origin: "http://127.0.0.1:8" });
  });
});
