/**
 * After a publish, hexpub reads the release back from the API and also checks
 * the package's signed registry entry (`/packages/NAME`), which is what
 * installers read: a release the API shows but the registry lacks is "not
 * visible to installers (yet)", an error, never "verified".
 */
import { strict as assert } from "node:assert";
import { publish, type PublishInput } from "../../src/tasks/publish.ts";
import { LiveReleaseError } from "../../src/tasks/publish_outcome.ts";
import { makeProject } from "../support/project.ts";
import { fakeWithKey, publishEnv, widget } from "./_publish_env.ts";

const base: PublishInput = { target: "package", yes: true, replace: false, dryRun: false };

Deno.test("a publish checks the registry entry too, and is verified when it lists the release", async () => {
  const { fake, key } = fakeWithKey();
  const { deps } = await publishEnv(await makeProject(widget("1.0.0")), {
    fake,
    env: { HEX_API_KEY: key },
  });
  const r = await publish(deps, base);
  assert.equal(r.published[0].verified, true);
  assert.ok(fake.requestsTo("GET", "/repo/packages/widget").length >= 1);
});

Deno.test("a release the API shows but a stale registry lacks is an error: not visible to installers", async () => {
  const { fake, key } = fakeWithKey();
  const first = await publishEnv(await makeProject(widget("1.0.0")), {
    fake,
    env: { HEX_API_KEY: key },
  });
  await publish(first.deps, base);
  // The registry stays as it was after 1.0.0: the server did not rebuild it.
  const stale = new Uint8Array(
    await (await fake.handler(new Request("http://fake.test/repo/packages/widget"))).arrayBuffer(),
  );
  const { deps } = await publishEnv(await makeProject(widget("1.1.0")), {
    fake,
    env: { HEX_API_KEY: key },
  });
  let staleReads = 0;
  deps.fetch = (req) => {
    if (new URL(req.url).pathname !== "/repo/packages/widget") return fake.handler(req);
    staleReads++;
    return Promise.resolve(new Response(stale, { status: 200 }));
  };
  const e = await publish(deps, base).then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof LiveReleaseError, `expected LiveReleaseError, got ${e}`);
  assert.equal(e.live, "yes");
  assert.equal(e.exitCode, 1);
  assert.match(e.message, /widget 1\.1\.0 is published on hexpm, but its registry entry/);
  assert.match(e.message, /not visible to installers/);
  assert.match(e.hint ?? "", /registry/);
  assert.ok(fake.release("widget", "1.1.0"), "the release is there");
  // Checked more than once before giving up, each wait over 1 s announced.
  assert.equal(staleReads, 3);
  assert.match(deps.stderr.join("\n"), /waiting 2 s/);
});
