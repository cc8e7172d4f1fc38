import assert from "node:assert/strict";
import { join } from "node:path";
import { bin, list, type Term, tuple } from "../../src/erlang/term.ts";
import { readNames, readPackage } from "../../src/registry/registry_files.ts";
import { initRepository, type RepoDir } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import {
  checkServeKey,
  generateServeKey,
  serveKeysPath,
} from "../../src/repository/server_keys.ts";
import { serveCommand } from "../../src/commands/serve.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { testDeps } from "../support/test_deps.ts";

const enc = new TextEncoder();
const BASE = "http://repo.test";

async function tarball(name: string, version: string, deps: [string, string][] = []) {
  const metadata: [string, Term][] = [
    ["name", bin(name)],
    ["version", bin(version)],
    ["app", bin(name)],
    ["description", bin(`The ${name} package`)],
    ["licenses", list([bin("MIT")])],
    ["build_tools", list([bin("rebar3")])],
    ["files", list([bin(`src/${name}.erl`)])],
    [
      "requirements",
      list(deps.map(([dep, req]) =>
        tuple(
          bin(dep),
          list([
            tuple(bin("app"), bin(dep)),
            tuple(bin("optional"), { kind: "atom", value: "false" }),
            tuple(bin("requirement"), bin(req)),
          ]),
        )
      )),
    ],
  ];
  return await createPackageTarball({
    metadata,
    files: [{
      path: `src/${name}.erl`,
      kind: "file",
      mode: 0o644,
      size: 0,
      content: enc.encode(`-module(${name}).\n%% ${version}\n`),
    }],
  });
}

async function setup(): Promise<
  { repo: RepoDir; handler: (r: Request) => Promise<Response>; key: string; work: string }
> {
  const work = await Deno.makeTempDir({ prefix: "hexpub-serve-" });
  const deps = testDeps(work);
  const repo = await initRepository(deps, join(work, "repo"), "mine");
  const key = await generateServeKey(deps, repo.dir, "alice");
  return { repo, handler: repositoryHandler(deps, repo), key, work };
}

function publish(key: string | undefined, body: Uint8Array, replace?: boolean): Request {
  return new Request(`${BASE}/api/publish${replace === undefined ? "" : `?replace=${replace}`}`, {
    method: "POST",
    headers: key ? { authorization: key } : {},
    body: body as Uint8Array<ArrayBuffer>,
  });
}

const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`${BASE}${path}`, { headers });

Deno.test("serve keys: 32 hex secret, only its hash stored (0600), checked by name", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  const dir = join(work, "r");
  const secret = await generateServeKey(deps, dir, "ci");
  assert.match(secret, /^[0-9a-f]{32}$/);
  const stored = await Deno.readTextFile(serveKeysPath(dir));
  assert.ok(!stored.includes(secret));
  assert.equal((await Deno.stat(serveKeysPath(dir))).mode! & 0o777, 0o600);
  assert.equal(await checkServeKey(deps, dir, secret), "ci");
  assert.equal(await checkServeKey(deps, dir, "0".repeat(32)), undefined);
  assert.equal(await checkServeKey(deps, dir, ""), undefined);
});

Deno.test("publish, then registry files with ETag/304 verify with the repository key", async () => {
  const { repo, handler, key } = await setup();
  const a = await tarball("alpha", "1.0.0");
  const res = await handler(publish(key, a.tarball));
  assert.equal(res.status, 201);
  const rel = await res.json();
  assert.equal(rel.checksum, a.outerChecksum);
  assert.equal(rel.version, "1.0.0");
  assert.equal(rel.publisher.username, "alice");
  assert.match(res.headers.get("location")!, /\/api\/packages\/alpha\/releases\/1.0.0$/);

  const names = await handler(get("/names"));
  assert.equal(names.status, 200);
  const etag = names.headers.get("etag")!;
  assert.match(etag, /^"[0-9a-f]{64}"$/);
  const namesBody = new Uint8Array(await names.arrayBuffer());
  const opts = { repository: "mine", verify: true };
  assert.deepEqual(
    (await readNames(namesBody, repo.publicKeyPem, opts)).packages.map((p) => p.name),
    ["alpha"],
  );
  const again = await handler(get("/names", { "if-none-match": etag }));
  assert.equal(again.status, 304);
  assert.equal(again.headers.get("etag"), etag);

  const pkgRes = await handler(get("/packages/alpha"));
  assert.equal(pkgRes.status, 200);
  const pkg = await readPackage(
    new Uint8Array(await pkgRes.arrayBuffer()),
    repo.publicKeyPem,
    { ...opts, name: "alpha" },
  );
  assert.deepEqual(pkg.releases.map((r) => r.version), ["1.0.0"]);

  const tar = await handler(get("/tarballs/alpha-1.0.0.tar"));
  assert.equal(tar.status, 200);
  const tarEtag = tar.headers.get("etag")!;
  assert.equal(tarEtag, `"${a.outerChecksum}"`);
  assert.deepEqual(new Uint8Array(await tar.arrayBuffer()), a.tarball);
  assert.equal(
    (await handler(get("/tarballs/alpha-1.0.0.tar", { "if-none-match": tarEtag })))
      .status,
    304,
  );
  assert.equal((await handler(get("/public_key"))).status, 200);
  assert.equal(await (await handler(get("/public_key"))).text(), repo.publicKeyPem);
  assert.equal((await handler(get("/tarballs/nope-1.0.0.tar"))).status, 404);
  assert.equal((await handler(get("/hexpub_repo.json"))).status, 404);

  const info = await (await handler(get("/api/packages/alpha"))).json();
  assert.equal(info.name, "alpha");
  assert.equal(info.repository, "mine");
  assert.deepEqual(info.releases.map((r: { version: string }) => r.version), ["1.0.0"]);
  assert.deepEqual(info.meta.licenses, ["MIT"]);
  const relInfo = await (await handler(get("/api/packages/alpha/releases/1.0.0"))).json();
  assert.equal(relInfo.checksum, a.outerChecksum);
  assert.equal((await handler(get("/api/packages/alpha/releases/9.9.9"))).status, 404);
  assert.equal((await handler(get("/api/packages/zeta"))).status, 404);
  const search = await (await handler(get("/api/packages?search=lph"))).json();
  assert.deepEqual(search.map((p: { name: string }) => p.name), ["alpha"]);
  assert.deepEqual(await (await handler(get("/api/packages?search=zz"))).json(), []);
  const me = await handler(get("/api/users/me", { authorization: key }));
  assert.equal((await me.json()).username, "alice");
  const auth = await handler(get("/api/auth", { authorization: key }));
  assert.deepEqual(await auth.json(), {
    key: { name: "alice", owner: { type: "user", name: "alice" } },
  });
  assert.equal((await handler(get("/api/auth", { authorization: "nope" }))).status, 401);
  assert.equal((await handler(get("/api/repos/mine/packages/alpha"))).status, 200);
});

Deno.test("replace rules, docs, revert and auth refusals", async () => {
  const { repo, handler, key } = await setup();
  const v1 = await tarball("beta", "0.1.0");
  assert.equal((await handler(publish(key, v1.tarball))).status, 201);
  const v1b = await tarball("beta", "0.1.0", [["alpha", "~> 1.0"]]);
  const dup = await handler(publish(key, v1b.tarball));
  assert.equal(dup.status, 422);
  assert.deepEqual(await dup.json(), {
    status: 422,
    message: "Validation error(s)",
    errors: { inserted_at: "must include the --replace flag to update an existing release" },
  });
  assert.equal((await handler(publish(key, v1b.tarball, false))).status, 422);
  const rep = await handler(publish(key, v1b.tarball, true));
  assert.equal(rep.status, 200);
  const repJson = await rep.json();
  assert.equal(repJson.checksum, v1b.outerChecksum);
  assert.deepEqual(repJson.requirements, {
    alpha: { app: "alpha", requirement: "~> 1.0", optional: false },
  });
  const pkg = await readPackage(
    await Deno.readFile(join(repo.dir, "packages", "beta")),
    repo.publicKeyPem,
    { repository: "mine", verify: true, name: "beta" },
  );
  assert.deepEqual(pkg.releases[0].dependencies, [{ package: "alpha", requirement: "~> 1.0" }]);

  // The key is checked before the body is read (an anonymous client cannot make
  // the server hold an upload); with a key, a bad tarball is a 422 {tar}.
  const anon = await handler(publish(undefined, enc.encode("not a tarball")));
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const bad = await handler(publish(key, enc.encode("not a tarball")));
  assert.equal(bad.status, 422);
  assert.ok((await bad.json()).errors.tar);
  const huge = await handler(publish(key, new Uint8Array(16 * 1024 * 1024 + 1)));
  assert.equal(huge.status, 413);
  await huge.body?.cancel();
  // Auth refusals.
  for (const k of [undefined, "0".repeat(32)]) {
    const r = await handler(publish(k, (await tarball("gamma", "1.0.0")).tarball));
    assert.equal(r.status, 401);
    assert.deepEqual(await r.json(), { status: 401, message: "invalid API key" });
    const del = await handler(
      new Request(`${BASE}/api/packages/beta/releases/0.1.0`, {
        method: "DELETE",
        headers: k ? { authorization: k } : {},
      }),
    );
    assert.equal(del.status, 401);
  }
  assert.equal((await handler(get("/api/users/me"))).status, 401);
  assert.equal((await handler(get("/tarballs/gamma-1.0.0.tar"))).status, 404);

  // Docs.
  const docs = gzipBytes(
    tarOfFiles([["index.html", enc.encode("<p/>")]]),
  );
  const docsReq = (k: string | undefined, body: Uint8Array) =>
    new Request(`${BASE}/api/packages/beta/releases/0.1.0/docs`, {
      method: "POST",
      headers: k ? { authorization: k } : {},
      body: body as Uint8Array<ArrayBuffer>,
    });
  assert.equal((await handler(docsReq(undefined, docs))).status, 401);
  assert.equal((await handler(docsReq(key, enc.encode("plain")))).status, 422);
  assert.equal((await handler(docsReq(key, docs))).status, 201);
  assert.equal((await handler(get("/docs/beta-0.1.0.tar.gz"))).status, 200);
  assert.equal(
    (await (await handler(get("/api/packages/beta/releases/0.1.0"))).json()).has_docs,
    true,
  );

  // Revert.
  const del = await handler(
    new Request(`${BASE}/api/packages/beta/releases/0.1.0`, {
      method: "DELETE",
      headers: { authorization: key },
    }),
  );
  assert.equal(del.status, 204);
  assert.equal((await handler(get("/tarballs/beta-0.1.0.tar"))).status, 404);
  assert.equal((await handler(get("/docs/beta-0.1.0.tar.gz"))).status, 404);
  assert.equal((await handler(get("/packages/beta"))).status, 404);
  const names = await readNames(await Deno.readFile(join(repo.dir, "names")), repo.publicKeyPem, {
    repository: "mine",
    verify: true,
  });
  assert.deepEqual(names.packages, []);
  const again = await handler(
    new Request(`${BASE}/api/packages/beta/releases/0.1.0`, {
      method: "DELETE",
      headers: { authorization: key },
    }),
  );
  assert.equal(again.status, 404);
});

Deno.test("directory traversal is refused", async () => {
  const { handler, work } = await setup();
  await Deno.writeTextFile(join(work, "secret.txt"), "s");
  for (
    const path of [
      "/../secret.txt",
      "/tarballs/..%2f..%2fsecret.txt",
      "/tarballs/%2e%2e",
      "/packages/..%5c..%5csecret.txt",
      "/docs/..%2frepo.private_key.pem",
      "//etc/passwd",
      "/tarballs/%2Fetc%2Fpasswd.tar",
      "/packages\\..\\secret.txt",
    ]
  ) {
    const res = await handler(new Request(`${BASE}${path}`));
    assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
  }
  // Raw `..` in a URL is normalised by the URL parser; a handler called with
  // such a request still only sees paths inside the repository.
  assert.equal((await handler(new Request(`${BASE}/tarballs/../../secret.txt`))).status, 404);
});

Deno.test("concurrent publishes all land in the registry", async () => {
  const { repo, handler, key } = await setup();
  const names = ["p1", "p2", "p3", "p4", "p5"];
  const tars = await Promise.all(names.map((n) => tarball(n, "1.0.0")));
  const results = await Promise.all(tars.map((t) => handler(publish(key, t.tarball))));
  assert.deepEqual(results.map((r) => r.status), [201, 201, 201, 201, 201]);
  const decoded = await readNames(
    await Deno.readFile(join(repo.dir, "names")),
    repo.publicKeyPem,
    { repository: "mine", verify: true },
  );
  assert.deepEqual(decoded.packages.map((p) => p.name), names);
  // Same version twice at once: exactly one wins.
  const t = await tarball("dup", "1.0.0");
  const two = await Promise.all([
    handler(publish(key, t.tarball)),
    handler(publish(key, t.tarball)),
  ]);
  assert.deepEqual(two.map((r) => r.status).sort(), [201, 422]);
});

Deno.test("serve key generate prints the secret; serve listens and serves the registry", async () => {
  const work = await Deno.makeTempDir();
  const deps = testDeps(work);
  await serveCommand(deps).parseAsync(["key", "generate", "r", "--key-name", "bob"], {
    from: "user",
  });
  const secret = deps.stdout.at(-1)!;
  assert.match(secret, /^[0-9a-f]{32}$/);
  assert.equal(await checkServeKey(deps, join(work, "r"), secret), "bob");

  let close: () => Promise<void> = () => Promise.resolve();
  let port = 0;
  const serving = serveCommand({
    ...deps,
    listen: async (h, o) => {
      const l = await deps.listen(h, o);
      close = l.close;
      port = l.port;
      return l;
    },
  }).parseAsync(["r", "--port", "0"], { from: "user" });
  while (port === 0) await new Promise((r) => setTimeout(r, 10));
  assert.ok(deps.stdout.some((l) => l.includes(`http://127.0.0.1:${port}`)));
  assert.ok(deps.stdout.some((l) => l.includes("public_key")));
  const res = await fetch(`http://127.0.0.1:${port}/public_key`);
  assert.match(await res.text(), /BEGIN PUBLIC KEY/);
  await close();
  await serving;
});
