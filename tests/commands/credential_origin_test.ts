/**
 * A key set in the global rebar.config is not sent to a URL a project's
 * rebar.config sets for the same repository (a cloned project must not be able
 * to collect it); a key set next to its URL is.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { makeHome } from "../support/e2e.ts";
import { inProcessHexpub } from "../support/in_process.ts";
import { serveHandler } from "../support/http.ts";
import { writeGlobalRepos } from "../support/registry.ts";

const SECRET = "global-acme-repo-key-0123456789";

/** Serves 404 on 127.0.0.1 and records each request's path and authorization header. */
function recordingServer() {
  const seen: { path: string; authorization: string | null }[] = [];
  const server = serveHandler((req) => {
    seen.push({
      path: new URL(req.url).pathname,
      authorization: req.headers.get("authorization"),
    });
    return new Response("not found", { status: 404 });
  });
  return { seen, server, url: server.origin };
}

const hexpub = await inProcessHexpub();

async function projectWith(entry: string): Promise<string> {
  const cwd = await Deno.makeTempDir({ prefix: "hexpub-project-" });
  await Deno.writeTextFile(join(cwd, "rebar.config"), `{hex, [{repos, [${entry}]}]}.\n`);
  return cwd;
}

Deno.test("info -r hexpm:acme sends the global repo_key to no repo_url a project sets", async () => {
  const { seen, server, url } = recordingServer();
  try {
    const home = await makeHome();
    await writeGlobalRepos(home, [{ name: "hexpm:acme", repo_key: SECRET }]);
    const env = { REBAR_GLOBAL_CONFIG_DIR: home };

    const cwd = await projectWith(`#{name => <<"hexpm:acme">>, repo_url => <<"${url}">>}`);
    const r = await hexpub.run(["info", "foo", "-r", "hexpm:acme"], { cwd, home, env });
    assert.ok(seen.length > 0, `the project's repo_url was not read: ${r.stderr}`);
    assert.deepEqual(seen.map((s) => s.authorization), seen.map(() => null));
    assert.ok(seen.every((s) => s.path.startsWith("/repos/acme/")), JSON.stringify(seen));
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
    assert.match(
      r.stderr,
      /warning: repo_key of repository "hexpm:acme" from .* is not sent to the repo_url set in/,
    );

    // The control: the same key set next to that URL, in the project's file, is sent.
    seen.length = 0;
    const trusted = await projectWith(
      `#{name => <<"hexpm:acme">>, repo_url => <<"${url}">>, repo_key => <<"${SECRET}">>}`,
    );
    await hexpub.run(["info", "foo", "-r", "hexpm:acme"], { cwd: trusted, home, env });
    assert.ok(seen.length > 0);
    assert.ok(seen.every((s) => s.authorization === SECRET), JSON.stringify(seen));
  } finally {
    await server.close();
  }
});
