/** The HTTP test helpers themselves: a served handler, and a real `hexpub serve` repository. */
import { strict as assert } from "node:assert";
import { readNames } from "../../src/registry/registry_files.ts";
import { buildSeedTarball } from "../fakes/_hex_packages.ts";
import { serveHandler, withServed, withServedRepo } from "./http.ts";

Deno.test("serveHandler answers on 127.0.0.1, records requests and stops on close", async () => {
  const served = serveHandler((req) => new Response(`hi ${new URL(req.url).pathname}`));
  assert.match(served.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(await (await fetch(`${served.origin}/x`)).text(), "hi /x");
  assert.deepEqual(served.seen, ["GET /x 200"]);
  await served.close();
  await served.close(); // twice is fine
  await assert.rejects(fetch(`${served.origin}/x`));
});

Deno.test("withServed stops the server when the body throws", async () => {
  let origin = "";
  await assert.rejects(
    withServed(() => new Response("ok"), (served) => {
      origin = served.origin;
      return Promise.reject(new Error("boom"));
    }),
    /boom/,
  );
  await assert.rejects(fetch(`${origin}/`));
});

Deno.test("withServedRepo serves a real repository with a working key, then removes it", async () => {
  let work = "";
  let url = "";
  await withServedRepo(async (repo) => {
    ({ work, url } = repo);
    assert.equal(repo.name, "team");
    assert.match(repo.publicKeyPem, /BEGIN PUBLIC KEY/);
    const seed = buildSeedTarball({ name: "gadget", version: "1.0.0", meta: {}, requirements: [] });
    const publish = (key: string) =>
      fetch(`${repo.apiUrl}/publish`, {
        method: "POST",
        headers: { authorization: key, "content-type": "application/octet-stream" },
        body: seed.tarball.slice() as Uint8Array<ArrayBuffer>,
      });
    const refused = await publish("0".repeat(32));
    await refused.body?.cancel();
    assert.equal(refused.status, 401);
    const res = await publish(repo.key);
    assert.equal(res.status, 201, await res.text());
    const names = await readNames(
      new Uint8Array(await (await fetch(`${repo.url}/names`)).arrayBuffer()),
      repo.publicKeyPem,
      { repository: "team", verify: true },
    );
    assert.deepEqual(names.packages.map((p) => p.name), ["gadget"]);
    assert.deepEqual(repo.seen, [
      "POST /api/publish 401",
      "POST /api/publish 201",
      "GET /names 200",
    ]);
    const env = await repo.env(work);
    assert.equal(env.HEXPUB_CONFIG_DIR, `${work}/hexpub-config`);
    const config = JSON.parse(await Deno.readTextFile(`${work}/hexpub-config/config.json`));
    assert.deepEqual(config.repos, [repo.configEntry()]);
  });
  await assert.rejects(Deno.stat(work), Deno.errors.NotFound);
  await assert.rejects(fetch(`${url}/names`));
});
