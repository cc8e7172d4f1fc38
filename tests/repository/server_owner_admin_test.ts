/**
 * Packages that have releases but no owners (a tarball copied into
 * `tarballs/` and the registry rebuilt, as `repo build` or `publish -r local`
 * leave them): `hexpub serve` refuses every write to them, naming the fix,
 * and `hexpub serve owner add|list`, run on the server, gives them owners.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Command } from "commander";
import { serveCommand } from "../../src/commands/serve.ts";
import { HexpubError, UsageError } from "../../src/errors.ts";
import { buildRepository } from "../../src/repository/repository_dir.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { answer, publishAs, registryOf, req, setupRepo, tarball } from "./repo_fixtures.ts";

/** A repository holding alpha 1.0.0, put into `tarballs/` by hand and rebuilt: nobody owns it. */
async function unownedRepo() {
  const setup = await setupRepo();
  const t = await tarball("alpha", "1.0.0");
  await Deno.writeFile(join(setup.repo.dir, "tarballs", "alpha-1.0.0.tar"), t.tarball);
  await buildRepository(setup.deps, setup.repo);
  return setup;
}

/** Runs `hexpub serve ARGS…` in-process; the error it throws, if any. */
async function serve(
  deps: Awaited<ReturnType<typeof setupRepo>>["deps"],
  args: string[],
): Promise<unknown> {
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    for (const sub of cmd.commands) quiet(sub as Command);
  };
  const command = serveCommand(deps) as unknown as Command;
  quiet(command);
  try {
    await command.parseAsync(args, { from: "user" });
    return undefined;
  } catch (e) {
    return e;
  }
}

Deno.test("an unowned package refuses publish, replace, revert, retire, docs and owner changes with a 403 naming the fix", async () => {
  const { repo, keys, handler } = await unownedRepo();
  const refusal = {
    status: 403,
    body: {
      status: 403,
      message: "account not authorized for this action",
      errors: {
        owners:
          "package alpha has no owners: on the server, run `hexpub serve owner add DIR alpha bob`",
      },
    },
  };
  const registryBefore = await Deno.readFile(join(repo.dir, "packages", "alpha"));
  assert.deepEqual(await answer(await publishAs(handler, keys.bob, "alpha", "1.1.0")), refusal);
  const again = await tarball("alpha", "1.0.0", " (replaced)");
  assert.deepEqual(
    await answer(await handler(req("POST", "/api/publish?replace=true", keys.bob, again.tarball))),
    refusal,
  );
  assert.deepEqual(
    await answer(await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0", keys.bob))),
    refusal,
  );
  assert.deepEqual(
    await answer(
      await handler(
        req("POST", "/api/packages/alpha/releases/1.0.0/retire", keys.bob, {
          reason: "security",
          message: "CVE-1",
        }),
      ),
    ),
    refusal,
  );
  assert.deepEqual(
    await answer(
      await handler(req("POST", "/api/packages/alpha/retire", keys.bob, {
        reason: "deprecated",
        message: "use beta",
      })),
    ),
    refusal,
  );
  assert.deepEqual(
    await answer(await handler(req("PUT", "/api/packages/alpha/owners/bob", keys.bob, {}))),
    refusal,
  );
  const docs = gzipBytes(tarOfFiles([["index.html", new TextEncoder().encode("docs")]]));
  assert.deepEqual(
    await answer(
      await handler(req("POST", "/api/packages/alpha/releases/1.0.0/docs", keys.bob, docs)),
    ),
    refusal,
  );
  // Without a key it is hex.pm's plain 403, and a wrong key a 401: nothing about owners.
  assert.deepEqual(
    await answer(await handler(req("POST", "/api/packages/alpha/retire", undefined, {}))),
    { status: 403, body: { status: 403, message: "account not authorized for this action" } },
  );
  assert.equal((await publishAs(handler, "0".repeat(32), "alpha", "1.1.0")).status, 401);

  // Nothing changed, and nobody claimed it.
  assert.deepEqual(await Deno.readFile(join(repo.dir, "packages", "alpha")), registryBefore);
  assert.deepEqual([...Deno.readDirSync(join(repo.dir, "tarballs"))].map((e) => e.name), [
    "alpha-1.0.0.tar",
  ]);
  assert.deepEqual([...Deno.readDirSync(join(repo.dir, "docs"))], []);
  assert.equal(await Deno.lstat(join(repo.dir, "owners.json")).catch(() => undefined), undefined);
  assert.equal(
    await Deno.lstat(join(repo.dir, "retirements.json")).catch(() => undefined),
    undefined,
  );

  // A brand-new package is still claimed by its first publisher.
  assert.equal((await publishAs(handler, keys.bob, "beta", "1.0.0")).status, 201);
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(join(repo.dir, "owners.json"))),
    { owners: { beta: [{ username: "bob", level: "full" }] } },
  );
});

Deno.test("after `hexpub serve owner add` the same key may publish, retire and revert", async () => {
  const { repo, keys, handler, deps } = await unownedRepo();
  assert.equal((await publishAs(handler, keys.bob, "alpha", "1.1.0")).status, 403);

  assert.equal(await serve(deps, ["owner", "list", repo.dir, "alpha"]), undefined);
  assert.equal(deps.stdout.at(-1), "package alpha has no owners");
  assert.match(deps.stderr.at(-1)!, /hexpub serve owner add .*alpha USER/);

  assert.equal(await serve(deps, ["owner", "add", repo.dir, "alpha", "bob"]), undefined);
  assert.equal(deps.stdout.at(-1), "Added bob as full owner of package alpha");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(repo.dir, "owners.json"))), {
    owners: { alpha: [{ username: "bob", level: "full" }] },
  });

  assert.equal((await publishAs(handler, keys.bob, "alpha", "1.1.0")).status, 201);
  assert.equal(
    (await handler(
      req("POST", "/api/packages/alpha/releases/1.0.0/retire", keys.bob, {
        reason: "security",
        message: "CVE-1",
      }),
    )).status,
    204,
  );
  assert.equal(
    (await handler(req("DELETE", "/api/packages/alpha/releases/1.1.0", keys.bob))).status,
    204,
  );
  const reg = await registryOf(repo, "alpha");
  assert.deepEqual(reg.pkg.releases.map((r) => [r.version, r.retired?.message]), [
    ["1.0.0", "CVE-1"],
  ]);
  // Other keys are still refused, now with hex.pm's plain answer.
  assert.deepEqual(await answer(await publishAs(handler, keys.carol, "alpha", "1.2.0")), {
    status: 403,
    body: { status: 403, message: "account not authorized for this action" },
  });

  // A second owner as maintainer, a level change, and the list.
  assert.equal(
    await serve(deps, ["owner", "add", repo.dir, "alpha", "carol", "--level", "maintainer"]),
    undefined,
  );
  assert.equal(deps.stdout.at(-1), "Added carol as maintainer owner of package alpha");
  assert.equal((await publishAs(handler, keys.carol, "alpha", "1.2.0")).status, 201);
  assert.equal(
    (await handler(req("PUT", "/api/packages/alpha/owners/alice", keys.carol, {}))).status,
    403,
    "a maintainer cannot manage owners",
  );
  assert.equal(await serve(deps, ["owner", "add", repo.dir, "alpha", "carol"]), undefined);
  assert.equal(deps.stdout.at(-1), "carol is now a full owner of package alpha");
  assert.equal(await serve(deps, ["owner", "add", repo.dir, "alpha", "carol"]), undefined);
  assert.equal(deps.stdout.at(-1), "carol already is a full owner of package alpha");
  deps.stdout.length = 0;
  assert.equal(await serve(deps, ["owner", "list", repo.dir, "alpha"]), undefined);
  assert.deepEqual(deps.stdout, ["Username  Level", "", "bob       full", "carol     full"]);
  assert.equal(await serve(deps, ["owner", "list", repo.dir, "alpha", "--json"]), undefined);
  assert.deepEqual(JSON.parse(deps.stdout.at(-1)!), [
    { username: "bob", level: "full" },
    { username: "carol", level: "full" },
  ]);
});

Deno.test("serve owner add refuses unknown users, unknown packages, bad levels and non-repositories, writing nothing", async () => {
  const { repo, deps, work } = await unownedRepo();
  const refused = async (args: string[], type: typeof HexpubError, message: RegExp) => {
    const e = await serve(deps, args);
    assert.ok(e instanceof type, `${args.join(" ")}: ${e}`);
    assert.match((e as HexpubError).message, message);
    return e as HexpubError;
  };
  let e = await refused(
    ["owner", "add", repo.dir, "alpha", "dave"],
    HexpubError,
    /dave is not a user of the repository at/,
  );
  assert.match(e.hint!, /alice, bob, carol/);
  assert.match(e.hint!, /hexpub serve key generate .* --key-name dave/);
  e = await refused(
    ["owner", "add", repo.dir, "nope", "bob"],
    HexpubError,
    /package nope is not in the repository at/,
  );
  assert.match(e.hint!, /tarballs/);
  await refused(["owner", "list", repo.dir, "nope"], HexpubError, /package nope is not in/);
  await refused(
    ["owner", "add", repo.dir, "alpha", "bob", "--level", "boss"],
    UsageError,
    /invalid owner level "boss"/,
  );
  await refused(["owner", "add", repo.dir, "Alpha", "bob"], UsageError, /invalid package name/);
  await Deno.mkdir(join(work, "empty"));
  e = await refused(
    ["owner", "add", join(work, "empty"), "alpha", "bob"],
    HexpubError,
    /is not a repository directory/,
  );
  assert.deepEqual([...Deno.readDirSync(join(work, "empty"))], [], "nothing created there");
  await refused(["owner", "add", "a", "b", "c", "d"], UsageError, /expected add \[DIR\] PKG USER/);
  assert.match(String(await serve(deps, ["owner", "list"])), /missing required argument/);
  assert.equal(await Deno.lstat(join(repo.dir, "owners.json")).catch(() => undefined), undefined);
});

Deno.test("serve owner add without DIR uses the default repository directory", async () => {
  const { repo, deps } = await unownedRepo();
  await serveCommand(deps, { defaultDir: () => repo.dir }).parseAsync(
    ["owner", "add", "alpha", "alice", "--level", "maintainer"],
    { from: "user" },
  );
  assert.equal(deps.stdout.at(-1), "Added alice as maintainer owner of package alpha");
  assert.match(deps.stderr.at(-1)!, /alpha has no full owner/);
  deps.stdout.length = 0;
  await serveCommand(deps, { defaultDir: () => repo.dir }).parseAsync(["owner", "list", "alpha"], {
    from: "user",
  });
  assert.deepEqual(deps.stdout, ["Username  Level", "", "alice     maintainer"]);
  // Without a default, DIR is required.
  await assert.rejects(
    serveCommand(deps).parseAsync(["owner", "add", "alpha", "alice"], { from: "user" }),
    /no repository directory given/,
  );
});
