/**
 * `hexpub serve` added with `repo add` under a name of the user's choosing (not
 * the one its registry is signed for), then used by following the commands
 * `repo add` prints, word for word with only the placeholders filled in:
 * in process, against a real `hexpub serve` on 127.0.0.1.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { repoAddHints } from "../../src/commands/repo.ts";
import { withServedRepo } from "../support/http.ts";
import { inProcessHexpub } from "../support/in_process.ts";
import { makeProject } from "../support/project.ts";

/** The `hexpub …` commands quoted in backticks in `lines`, as argument lists. */
function suggested(lines: string[]): string[][] {
  return lines.flatMap((l) => [...l.matchAll(/`hexpub ([^`]+)`/g)].map((m) => m[1].split(" ")));
}

Deno.test("repo add names a served repository anything; its printed commands work as printed", async () => {
  await withServedRepo(async (repo) => {
    const user = await inProcessHexpub({ env: { HEXPUB_LOCAL_PASSWORD: "pw" } });
    // What `hexpub serve` printed at start, run from where it ran.
    const [serveKeygen, serveAdd] = suggested(repo.output.stderr);
    assert.deepEqual(serveKeygen.slice(0, 3), ["serve", "key", "generate"]);
    assert.deepEqual(serveAdd.slice(0, 2), ["repo", "add"]);
    const added = await user.run(serveAdd.map((a) => a === "NAME" ? "mine" : a), {
      cwd: repo.work,
    });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /registry signed as: team \(kept as mirror_of\)/);
    const config = JSON.parse(await Deno.readTextFile(join(user.configDir, "config.json")));
    assert.equal(config.repos[0].mirror_of, "team");

    const commands = suggested(added.stderrLines);
    assert.deepEqual(commands.map((c) => c.slice(0, 2).join(" ")), [
      "user auth",
      "serve key",
      "publish -r",
      "info -r",
      "fetch -r",
    ]);
    const fill = (args: string[], values: Record<string, string>) =>
      args.map((a) => values[a] ?? a);
    const [auth, keygen, publish, info, fetch] = commands;

    const fromServe = await user.run(serveKeygen, { cwd: repo.work });
    assert.equal(fromServe.code, 0, fromServe.stderr);
    assert.match(
      fromServe.stderr,
      /for team /,
      "serve's hint makes a key for the served repository",
    );
    assert.ok(auth.includes("--key-stdin"), "the key stays out of the process list");
    const stale = await user.run(auth, { stdin: "0".repeat(32) });
    assert.equal(stale.code, 4);
    assert.match(stale.stderr, /hexpub serve key generate DIR/);
    assert.doesNotMatch(stale.stderr, /hex\.pm/, "a refused key is not sent to hex.pm's dashboard");
    // The same key name again: it replaces the one serve's hint made.
    const key = await user.run(fill(keygen, { DIR: repo.dir }));
    assert.equal(key.code, 0, key.stderr);
    const secret = key.stdoutLines.at(-1)!;
    const login = await user.run(auth, { stdin: secret });
    assert.equal(login.code, 0, login.stderr);

    const cwd = await makeProject({
      "rebar.config": "{deps, []}.\n",
      "rebar.lock": "[].\n",
      "src/gadget.app.src":
        `{application, gadget, [{description, "A gadget"}, {vsn, "1.0.0"}, {licenses, ["MIT"]}]}.\n`,
      "src/gadget.erl": "-module(gadget).\n",
    });
    // No terminal to confirm at: --yes, as the prompt-less run says.
    const published = await user.run([...publish, "--yes"], { cwd });
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /Published gadget 1\.0\.0/);
    assert.match(published.stdout, /verified on the server/);
    assert.ok(
      published.stdout.includes(`${repo.apiUrl}/packages/gadget/releases/1.0.0`),
      "the link is the served repository's own",
    );
    assert.doesNotMatch(published.stdout + published.stderr, /hex\.pm/);

    const shown = await user.run(fill(info, { PACKAGE: "gadget" }));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /1\.0\.0/);
    const out = await Deno.makeTempDir({ dir: user.home });
    const fetched = await user.run(fill(fetch, { PACKAGE: "gadget" }), { cwd: out });
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.ok((await Deno.stat(join(out, "gadget-1.0.0.tar"))).isFile);
  });
});

Deno.test("repoAddHints: a fetch-only repository gets only the read commands", () => {
  assert.deepEqual(repoAddHints("mirror", false), [
    "Read from it with `hexpub info -r mirror PACKAGE` and `hexpub fetch -r mirror PACKAGE`",
  ]);
  assert.equal(repoAddHints("team", true).length, 3);
});
