/**
 * Operating-system failures (a port in use, a path that cannot be read or
 * written) come out as a plain message naming the port or the path, with a
 * hint and exit 1, never as "report it if it looks like a bug".
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("hexpub serve on a port in use names the port and how to pick another", async () => {
  const dir = await Deno.makeTempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const deps = testDeps(dir);
    const code = await runCli(["serve", join(dir, "repo"), "--port", String(port)], deps);
    const err = deps.stderr.join("\n");
    assert.equal(code, 1, err);
    assert.match(err, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    assert.match(err, /hint: .*--port/);
    assert.doesNotMatch(err, /report it|os error/);
  } finally {
    busy.close();
  }
});

Deno.test("a path that is not a directory, or a missing file, is named with a hint", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "file"), "x");
  // -o under a regular file: the parent "directory" is a file.
  const deps = testDeps(dir);
  const code = await runCli(["serve", join(dir, "file", "repo"), "--port", "0"], deps);
  const err = deps.stderr.join("\n");
  assert.equal(code, 1, err);
  assert.match(err, /file\/repo/);
  assert.match(err, /not a directory/);
  assert.match(err, /hint: /);
  assert.doesNotMatch(err, /report it|os error/);
});
