/** Custom repositories from hexpub's config.json and from a project's rebar.config. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { configDirOf, makeHome, runHexpub, withFakeHex } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";

Deno.test("-r picks a repository from hexpub's config.json or the project's rebar.config", async () => {
  await withFakeHex(async (fake, server) => {
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
    const mine = await runHexpub(["user", "whoami", "-r", "mine"], { cwd, home });
    assert.equal(mine.code, 0, mine.stderr);
    assert.match(mine.stdout, /^mine\s+kim/m);
    const corp = await runHexpub(["user", "whoami", "-r", "corp"], {
      cwd,
      home,
      env: { HEX_API_KEY: key.secret },
    });
    assert.equal(corp.code, 0, corp.stderr);
    assert.match(corp.stdout, /^corp\s+kim/m);
    const unknown = await runHexpub(["user", "whoami", "-r", "nope"], { cwd, home });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no configuration for repository "nope"[\s\S]*hint:/);
    await Deno.writeTextFile(join(configDirOf(home), "config.json"), "{ nope");
    const broken = await runHexpub(["user", "whoami"], { cwd, home });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /config\.json: not valid JSON/);
  });
});
