/**
 * Publishing over real HTTP on 127.0.0.1 when the answer is damaged after the
 * server acted on the request: the 201's body cut off mid-way, or not JSON, or a
 * gateway's 504 instead.
 * Each must go through the same "did it land?" read-back as a dropped
 * connection, and `cut` must keep its tag when the release is live.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { cut, type CutPublish } from "../../src/tasks/cut.ts";
import { publish, type PublishInput } from "../../src/tasks/publish.ts";
import { type BodyFault, serveFaulty } from "../fakes/_faulty_http_server.ts";
import { writeGlobalRepos } from "../support/registry.ts";
import { git, makeProject } from "../support/project.ts";
import { fakeWithKey, publishEnv, widget } from "./_publish_env.ts";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Hexpub Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Hexpub Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
};

const base: PublishInput = { target: "package", yes: true, replace: false, dryRun: false };

/**
 * A FakeHex behind the faulty server, the publish's answer damaged by `fault`,
 * and ports that reach it over real HTTP.
 */
async function setup(
  version: string,
  fault: (body: number) => BodyFault | "not-json" | "gateway",
) {
  const { fake, key } = fakeWithKey();
  const server = serveFaulty(
    async (req) => {
      const res = await fake.handler(req);
      if (
        req.method === "POST" && new URL(req.url).pathname === "/api/publish" &&
        res.status === 201 && fault(0) === "not-json"
      ) {
        return new Response("<html>proxy error</html>", { status: 201, headers: res.headers });
      }
      if (
        req.method === "POST" && new URL(req.url).pathname === "/api/publish" &&
        res.status === 201 && fault(0) === "gateway"
      ) {
        // A proxy in front gave up waiting for the server's answer (the server acted).
        return new Response("<h1>504 Gateway Time-out</h1>", { status: 504 });
      }
      return res;
    },
    (req, res) => {
      if (req.method !== "POST" || new URL(req.url).pathname !== "/api/publish") return undefined;
      if (res.status !== 201) return undefined;
      const length = Number(res.headers.get("content-length") ?? "200");
      const how = fault(length);
      return how === "not-json" || how === "gateway" ? undefined : how;
    },
  );
  const cwd = await makeProject(widget(version));
  const env = await publishEnv(cwd, {
    fake,
    env: { HEX_API_KEY: key, HEX_API_URL: `${server.origin}/api`, ...GIT_ENV },
  });
  await writeGlobalRepos(env.home, [{
    name: "hexpm",
    repo_url: `${server.origin}/repo`,
    repo_public_key: (await fake.registryKeys()).publicKeyPem,
  }]);
  env.deps.fetch = (req) => fetch(req);
  return { fake, server, cwd, ...env };
}

Deno.test("a 201 whose body is cut off mid-way: the release landed, publish says so", async () => {
  const { fake, server, deps } = await setup("0.5.0", (length) => ({
    kind: "cut",
    bytes: Math.floor(length / 2),
  }));
  try {
    const r = await publish(deps, base);
    assert.equal(r.published[0].verified, true);
    assert.match(deps.stderr.join("\n"), /landed/);
    assert.ok(fake.release("widget", "0.5.0"));
    assert.equal(server.served.filter((l) => l === "POST /api/publish").length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("a 201 whose body is not JSON: the release landed, publish says so", async () => {
  const { fake, server, deps } = await setup("0.5.1", () => "not-json");
  try {
    const r = await publish(deps, base);
    assert.equal(r.published[0].verified, true);
    assert.match(deps.stderr.join("\n"), /landed/);
    assert.ok(fake.release("widget", "0.5.1"));
  } finally {
    await server.close();
  }
});

Deno.test("cut: a publish whose 201 is cut off keeps the tag here and on origin", async () => {
  const { fake, server, cwd, deps } = await setup("0.6.0", (length) => ({
    kind: "cut",
    bytes: Math.floor(length / 2),
  }));
  try {
    const origin = await Deno.makeTempDir({ prefix: "hexpub-origin-" });
    await git(origin, "init", "-q", "--bare", "-b", "main");
    await git(cwd, "init", "-q", "-b", "main");
    await git(cwd, "add", "-A");
    await git(cwd, "commit", "-q", "-m", "Initial");
    await git(cwd, "remote", "add", "origin", origin);
    await git(cwd, "push", "-q", "origin", "main");
    const doPublish: CutPublish = async (d, opts) => {
      await publish(d, {
        target: "all",
        app: opts.app,
        repo: opts.repo,
        yes: true,
        replace: false,
        dryRun: opts.dryRun,
        version: opts.version,
      });
    };
    const result = await cut(
      deps,
      { increment: "patch", prefixTag: true, yes: true, dryRun: false },
      doPublish,
    );
    assert.equal(result.published, true);
    assert.ok(fake.release("widget", "0.6.1"));
    assert.equal((await git(cwd, "tag", "-l")).trim(), "v0.6.1");
    assert.match(await git(origin, "tag", "-l"), /v0\.6\.1/);
    assert.doesNotMatch(deps.stderr.join("\n"), /Rolling back/);
    assert.match(await Deno.readTextFile(join(cwd, "src/widget.app.src")), /"0\.6\.1"/);
  } finally {
    await server.close();
  }
});

Deno.test("a 504 from a gateway after the server stored the release: publish says it landed", async () => {
  // Before: "POST /api/publish failed: 504 Gateway timeout", exit 1 (and cut
  // deleted its tag here and on origin) while the release was live.
  const { fake, server, deps } = await setup("0.5.2", () => "gateway");
  try {
    const r = await publish(deps, base);
    assert.equal(r.published[0].verified, true);
    assert.match(deps.stderr.join("\n"), /landed/);
    assert.ok(fake.release("widget", "0.5.2"));
  } finally {
    await server.close();
  }
});
