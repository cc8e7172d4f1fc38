/**
 * `hexpub serve` under failure and attack: a write whose registry rebuild
 * fails puts every file back (docs included); static files behind a symlinked
 * component are not served; the ETag cache hashes each file once and follows
 * replacements; the API's package answers and search read each tarball once
 * per version of the file, and search pages at 100.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Deps } from "../../src/ports.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { answer, publishAs, registryOf, req, setupRepo, tarball } from "./repo_fixtures.ts";

const docsTar = (text: string) =>
  gzipBytes(tarOfFiles([["index.html", new TextEncoder().encode(text)]]));

/** What {@link faulty} records and which writes it fails. */
interface Control {
  /** Atomic writes and removals of matching paths fail while set. */
  failing?: RegExp;
  /** Every path read with `readFile`. */
  reads: string[];
}

/** Real ports whose atomic writes and removals fail for paths matching `failing` while it is set. */
function faulty(control: Control) {
  const fail = (path: string) => Promise.reject(new Error(`injected failure writing ${path}`));
  return (d: Deps): Deps => ({
    ...d,
    out: { ...d.out, warn: () => {} },
    fs: {
      ...d.fs,
      readFile: (path) => {
        control.reads.push(path);
        return d.fs.readFile(path);
      },
      writeFileAtomic: (path, data, options) =>
        control.failing?.test(path) ? fail(path) : d.fs.writeFileAtomic(path, data, options),
      remove: (path) => control.failing?.test(path) ? fail(path) : d.fs.remove(path),
    },
  });
}

/** The tarballs among the paths read. */
const tarballReads = (control: Control) =>
  control.reads.filter((p) => /[/\\]tarballs[/\\]/.test(p));

Deno.test("a revert whose rebuild fails puts the tarball, the docs and the retirement back", async () => {
  const control: Control = { reads: [] };
  const { repo, keys, handler } = await setupRepo(faulty(control));
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.0.0")).status, 201);
  assert.equal(
    (await handler(
      req("POST", "/api/packages/alpha/releases/1.0.0/docs", keys.alice, docsTar("v1")),
    )).status,
    201,
  );
  assert.equal(
    (await handler(
      req("POST", "/api/packages/alpha/releases/1.0.0/retire", keys.alice, {
        reason: "security",
        message: "CVE-1",
      }),
    )).status,
    204,
  );
  const files = ["tarballs/alpha-1.0.0.tar", "docs/alpha-1.0.0.tar.gz", "retirements.json"];
  const before = await Promise.all(files.map((f) => Deno.readFile(join(repo.dir, f))));

  control.failing = /[/\\]names$/;
  const res = await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0", keys.alice));
  assert.equal(res.status, 500);
  await res.body?.cancel();
  control.failing = undefined;
  const after = await Promise.all(files.map((f) => Deno.readFile(join(repo.dir, f))));
  assert.deepEqual(after, before);
  const reg = await registryOf(repo, "alpha");
  assert.deepEqual(reg.pkg.releases.map((r) => [r.version, r.retired]), [
    ["1.0.0", { reason: 2, message: "CVE-1" }],
  ]);
  assert.equal((await handler(req("GET", "/docs/alpha-1.0.0.tar.gz"))).status, 200);

  // A retirement whose rebuild fails leaves the retirements as they were.
  control.failing = /[/\\]versions$/;
  const r = await handler(
    req("DELETE", "/api/packages/alpha/releases/1.0.0/retire", keys.alice),
  );
  assert.equal(r.status, 500);
  await r.body?.cancel();
  control.failing = undefined;
  assert.deepEqual(await Deno.readFile(join(repo.dir, "retirements.json")), before[2]);
  assert.deepEqual((await registryOf(repo, "alpha")).versions.packages[0].retired, [0]);
});

Deno.test("a docs upload or delete that fails leaves the docs as they were", async () => {
  const control: Control = { reads: [] };
  const { repo, keys, handler } = await setupRepo(faulty(control));
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.0.0")).status, 201);
  assert.equal(
    (await handler(
      req("POST", "/api/packages/alpha/releases/1.0.0/docs", keys.alice, docsTar("v1")),
    )).status,
    201,
  );
  const docs = join(repo.dir, "docs", "alpha-1.0.0.tar.gz");
  const v1 = await Deno.readFile(docs);
  control.failing = /alpha-1\.0\.0\.tar\.gz$/;
  const up = await handler(
    req("POST", "/api/packages/alpha/releases/1.0.0/docs", keys.alice, docsTar("v2")),
  );
  assert.equal(up.status, 500);
  await up.body?.cancel();
  assert.deepEqual(await Deno.readFile(docs), v1, "the previous docs stay");
  const del = await handler(
    req("DELETE", "/api/packages/alpha/releases/1.0.0/docs", keys.alice),
  );
  assert.equal(del.status, 500);
  await del.body?.cancel();
  assert.deepEqual(await Deno.readFile(docs), v1, "the docs are still there");
  control.failing = undefined;
  assert.equal(
    (await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0/docs", keys.alice))).status,
    204,
  );
  assert.equal((await handler(req("GET", "/docs/alpha-1.0.0.tar.gz"))).status, 404);
  assert.equal(
    (await handler(req("DELETE", "/api/packages/alpha/releases/1.0.0/docs", keys.alice))).status,
    404,
  );
});

Deno.test("static files behind a symlinked directory or file are not served", async () => {
  const { repo, keys, handler, work } = await setupRepo();
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.0.0")).status, 201);
  const outside = join(work, "outside");
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(outside, "secret-1.0.0.tar"), "secret");
  await Deno.writeTextFile(join(outside, "secret"), "secret");

  // A symlinked file inside a real directory.
  await Deno.symlink(join(outside, "secret-1.0.0.tar"), join(repo.dir, "tarballs", "s-1.0.0.tar"));
  await Deno.symlink(join(outside, "secret"), join(repo.dir, "packages", "secret"));
  assert.equal((await handler(req("GET", "/tarballs/s-1.0.0.tar"))).status, 404);
  assert.equal((await handler(req("GET", "/packages/secret"))).status, 404);
  await Deno.remove(join(repo.dir, "tarballs", "s-1.0.0.tar"));

  // A symlinked directory: even the files it really holds are refused.
  await Deno.rename(join(repo.dir, "tarballs"), join(work, "real_tarballs"));
  await Deno.symlink(join(work, "real_tarballs"), join(repo.dir, "tarballs"));
  assert.equal((await handler(req("GET", "/tarballs/alpha-1.0.0.tar"))).status, 404);
  await Deno.remove(join(repo.dir, "docs"), { recursive: true });
  await Deno.symlink(outside, join(repo.dir, "docs"));
  await Deno.writeTextFile(join(outside, "x-1.0.0.tar.gz"), "secret");
  assert.equal((await handler(req("GET", "/docs/x-1.0.0.tar.gz"))).status, 404);
  // The real files next to them still are.
  assert.equal((await handler(req("GET", "/packages/alpha"))).status, 200);
  assert.equal((await handler(req("GET", "/names"))).status, 200);
});

Deno.test("the ETag is computed once per file version: 304s read nothing, a replaced file gets a new one", async () => {
  const control: Control = { reads: [] };
  const { keys, handler } = await setupRepo(faulty(control));
  assert.equal((await publishAs(handler, keys.alice, "alpha", "1.0.0")).status, 201);
  const path = "/tarballs/alpha-1.0.0.tar";
  const first = await handler(req("GET", path));
  const etag = first.headers.get("etag")!;
  const v1 = new Uint8Array(await first.arrayBuffer());
  assert.equal(etag, `"${await sha(v1)}"`);

  control.reads.length = 0;
  const cond = (tag: string) =>
    new Request(`http://repo.test${path}`, {
      headers: { "if-none-match": tag },
    });
  for (let i = 0; i < 3; i++) {
    const res = await handler(cond(etag));
    assert.equal(res.status, 304);
    assert.equal(res.headers.get("etag"), etag);
  }
  assert.deepEqual(control.reads, [], "a 304 from the cache reads no file");
  const again = await handler(req("GET", path));
  assert.equal(again.headers.get("etag"), etag);
  assert.deepEqual(new Uint8Array(await again.arrayBuffer()), v1);
  assert.equal(control.reads.length, 0, "a small file's cached 200 is served from memory");
  const head = await handler(new Request(`http://repo.test${path}`, { method: "HEAD" }));
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("etag"), etag);
  assert.equal(head.headers.get("content-length"), String(v1.length));
  assert.equal(await head.text(), "");

  // Replace the release: the next GET has the new bytes and their ETag, and the old one 200s.
  const t2 = await tarball("alpha", "1.0.0", " (fixed)");
  const rep = await handler(req("POST", "/api/publish?replace=true", keys.alice, t2.tarball));
  assert.equal(rep.status, 200, JSON.stringify(await answer(rep.clone())));
  const after = await handler(cond(etag));
  assert.equal(after.status, 200);
  const v2 = new Uint8Array(await after.arrayBuffer());
  assert.deepEqual(v2, t2.tarball);
  assert.equal(after.headers.get("etag"), `"${t2.outerChecksum}"`);

  // The registry files get new ETags as they change.
  const names1 = (await handler(req("GET", "/names"))).headers.get("etag");
  assert.equal((await publishAs(handler, keys.alice, "beta", "1.0.0")).status, 201);
  const names2 = await handler(req("GET", "/names"));
  assert.notEqual(names2.headers.get("etag"), names1);
  assert.equal(
    names2.headers.get("etag"),
    `"${await sha(new Uint8Array(await names2.arrayBuffer()))}"`,
  );
});

Deno.test("search and package info read each tarball once per file version; search pages at 100", async () => {
  const control: Control = { reads: [] };
  const { keys, handler } = await setupRepo(faulty(control));
  for (const [name, version] of [["alpha", "1.0.0"], ["alpha", "1.1.0"], ["beta", "0.1.0"]]) {
    assert.equal((await publishAs(handler, keys.alice, name, version)).status, 201);
  }
  const search = async (query = "") => {
    const res = await handler(req("GET", `/api/packages?search=${query}`));
    assert.equal(res.status, 200);
    return await res.json() as {
      name: string;
      latest_version: string;
      meta: { description: string };
    }[];
  };

  control.reads.length = 0;
  const first = await search();
  assert.deepEqual(first.map((p) => [p.name, p.latest_version, p.meta.description]), [
    ["alpha", "1.1.0", "The alpha package"],
    ["beta", "0.1.0", "The beta package"],
  ]);
  assert.equal(tarballReads(control).length, 2, "one read per latest release");
  control.reads.length = 0;
  assert.deepEqual(await search(), first);
  assert.deepEqual(await search("alp"), [first[0]]);
  const info = await handler(req("GET", "/api/packages/alpha"));
  assert.deepEqual(await info.json(), first[0]);
  const release = await handler(req("GET", "/api/packages/alpha/releases/1.1.0"));
  assert.equal(release.status, 200);
  const rel = await release.json();
  assert.equal(rel.meta.app, "alpha");
  assert.equal(rel.checksum.length, 64);
  assert.deepEqual(tarballReads(control), [], "answered from the cache: no tarball read");
  // The release info also comes from the cache the second time.
  await (await handler(req("GET", "/api/packages/alpha/releases/1.1.0"))).body?.cancel();
  assert.deepEqual(tarballReads(control), []);

  // After a write of its own the server's caches start over: each tarball is
  // read again once (not twice), and the replaced one's new metadata shows.
  const t = await tarball("beta", "0.1.0", " (fixed)");
  const rep = await handler(req("POST", "/api/publish?replace=true", keys.alice, t.tarball));
  assert.equal(rep.status, 200);
  await rep.body?.cancel();
  control.reads.length = 0;
  await search();
  await search();
  assert.equal(
    tarballReads(control).filter((p) => p.endsWith("beta-0.1.0.tar")).length,
    1,
    "the replaced tarball is read once",
  );
  assert.equal(tarballReads(control).length, 2, "alpha and beta, once each");
  const beta = await (await handler(req("GET", "/api/packages/beta/releases/0.1.0"))).json();
  assert.equal(beta.checksum, t.outerChecksum);

  // Concurrent cold searches share one read per tarball.
  const cold = await setupRepo(faulty(control));
  for (const name of ["gamma", "delta"]) {
    assert.equal((await publishAs(cold.handler, cold.keys.alice, name, "1.0.0")).status, 201);
  }
  control.reads.length = 0;
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => cold.handler(req("GET", "/api/packages?search="))),
  );
  for (const a of answers) assert.equal((await a.json()).length, 2);
  assert.equal(tarballReads(control).length, 2);
});

Deno.test("search pages: at most 100 packages, page and per_page honoured, past the end empty", async () => {
  const { repo, deps } = await setupRepo();
  // 105 packages put straight into tarballs/ (one publish each would take long).
  const names = Array.from({ length: 105 }, (_, i) => `p${String(i).padStart(3, "0")}`);
  for (const name of names) {
    const t = await tarball(name, "1.0.0");
    await Deno.writeFile(join(repo.dir, "tarballs", `${name}-1.0.0.tar`), t.tarball);
  }
  const handler = repositoryHandler(deps, repo);
  const page = async (query: string) => {
    const res = await handler(req("GET", `/api/packages?search=p${query}`));
    assert.equal(res.status, 200);
    return ((await res.json()) as { name: string }[]).map((p) => p.name);
  };
  assert.deepEqual(await page(""), names.slice(0, 100));
  assert.deepEqual(await page("&page=1"), names.slice(0, 100));
  assert.deepEqual(await page("&page=2"), names.slice(100));
  assert.deepEqual(await page("&page=3"), []);
  assert.deepEqual(await page("&per_page=10&page=3"), names.slice(20, 30));
  assert.deepEqual(await page("&per_page=1000"), names.slice(0, 100), "per_page is capped at 100");
  assert.deepEqual(await page("&page=0"), names.slice(0, 100), "a bad page is the first");
  assert.deepEqual(await page("&page=x"), names.slice(0, 100));
  assert.deepEqual(await page("10&per_page=3"), ["p100", "p101", "p102"]);
});

async function sha(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
