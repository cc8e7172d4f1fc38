/**
 * `info`, `fetch` and the registry client on every kind of repository: a custom
 * one served by `hexpub serve`'s handler, the built-in `local` directory, and a
 * hex.pm organization (under `/repos/ORG`, signed for `ORG`, with a key).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { buildRepository, initRepository } from "../../src/repository/repository_dir.ts";
import { repositoryHandler } from "../../src/repository/server.ts";
import { generateRepoKeys } from "../../src/registry/signing.ts";
import { sha256Hex } from "../../src/tarball/checksum.ts";
import { buildSeedTarball } from "../fakes/_hex_packages.ts";
import { configDirOf, makeHome } from "../support/e2e.ts";
import { serveHandler } from "../support/http.ts";
import { inProcessHexpub, withFakeHex } from "../support/in_process.ts";
import { makeProject } from "../support/project.ts";
import { flipPayloadByte, writeGlobalRepos } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";

const seedTar = (name: string, version: string) =>
  buildSeedTarball({ name, version, meta: {}, requirements: [] }).tarball;

/** A repository directory holding `gizmo` 0.1.0 and 0.2.0, its registry built. */
async function gizmoRepo(dir: string, name: string) {
  const deps = testDeps(dir);
  const repo = await initRepository(deps, dir, name);
  for (const v of ["0.1.0", "0.2.0"]) {
    await Deno.writeFile(join(dir, "tarballs", `gizmo-${v}.tar`), seedTar("gizmo", v));
  }
  await buildRepository(deps, repo);
  return { deps, repo };
}

async function writeHexpubConfig(home: string, repos: Record<string, string>[]) {
  await Deno.mkdir(configDirOf(home), { recursive: true });
  await Deno.writeTextFile(join(configDirOf(home), "config.json"), JSON.stringify({ repos }));
}

Deno.test("a custom repository (hexpub serve) is read with its configured key and name; no api_url needed", async () => {
  const work = await Deno.makeTempDir();
  const { deps, repo } = await gizmoRepo(join(work, "team"), "team");
  const server = serveHandler(repositoryHandler(deps, repo));
  const hexpub = await inProcessHexpub();
  try {
    const url = server.origin;
    const home = await makeHome();
    const cwd = await Deno.makeTempDir();
    const entry = { name: "team", repo_url: url, repo_public_key: repo.publicKeyPem };
    await writeHexpubConfig(home, [entry]);
    const info = await hexpub.run(["info", "gizmo", "-r", "team"], { cwd, home });
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /gizmo \(repository team\)[\s\S]*Latest stable version: 0\.2\.0/);
    const fetched = await hexpub.run(["fetch", "gizmo", "0.1.0", "-r", "team", "--json"], {
      cwd,
      home,
    });
    assert.equal(fetched.code, 0, fetched.stderr);
    const bytes = await Deno.readFile(join(cwd, "gizmo-0.1.0.tar"));
    assert.equal(JSON.parse(fetched.stdout).checksum, await sha256Hex(bytes));

    // No public key: refused before any request, naming how to configure one.
    await writeHexpubConfig(home, [{ name: "team", repo_url: url }]);
    const nokey = await hexpub.run(["info", "gizmo", "-r", "team"], { cwd, home });
    assert.equal(nokey.code, 1);
    assert.match(nokey.stderr, /no public key is configured for it/);
    assert.match(nokey.stderr, new RegExp(`hexpub repo add team ${url} --public-key FILE`));
    assert.match(nokey.stderr, /repo_public_key/);

    // Another key, or another repository's name: refused.
    const other = (await generateRepoKeys()).publicKeyPem;
    await writeHexpubConfig(home, [{ ...entry, repo_public_key: other }]);
    const wrongKey = await hexpub.run(["info", "gizmo", "-r", "team"], { cwd, home });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /signature does not match/);
    // Checks turned off: it is read, with one warning on stderr for the run.
    for (const args of [["info", "gizmo"], ["fetch", "gizmo", "0.2.0", "-o", "unsafe"]]) {
      const unsafe = await hexpub.run([...args, "-r", "team"], {
        cwd,
        home,
        env: { HEX_UNSAFE_REGISTRY: "true" },
      });
      assert.equal(unsafe.code, 0, unsafe.stderr);
      assert.equal(unsafe.stderr.match(/^warning: /gm)?.length, 1, unsafe.stderr);
      assert.match(
        unsafe.stderr,
        /registry signatures are not checked \(HEX_UNSAFE_REGISTRY is set\)/,
      );
    }
    await writeHexpubConfig(home, [{ ...entry, name: "crew" }]);
    const wrongName = await hexpub.run(["fetch", "gizmo", "-r", "crew"], { cwd, home });
    assert.equal(wrongName.code, 1);
    assert.match(wrongName.stderr, /signed for repository "team", expected "crew"/);
    // It names the repository the file is for, and how to add it under that name.
    assert.match(
      wrongName.stderr,
      new RegExp(`hexpub repo add team ${url} --public-key FILE\`[^\n]*rename the entry "crew"`),
    );
  } finally {
    await server.close();
  }
});

Deno.test("the local repository is read from its directory and verified with its public_key", async () => {
  const hexpub = await inProcessHexpub();
  const home = await makeHome();
  const dir = join(home, "local-repo");
  await gizmoRepo(dir, "local");
  const cwd = await Deno.makeTempDir();
  const env = { HEXPUB_LOCAL_REPO: dir };
  const info = await hexpub.run(["info", "gizmo", "0.2.0", "-r", "local"], { cwd, home, env });
  assert.equal(info.code, 0, info.stderr);
  const checksum = await sha256Hex(await Deno.readFile(join(dir, "tarballs", "gizmo-0.2.0.tar")));
  assert.match(info.stdout, new RegExp(`Checksum: ${checksum}`));
  const fetched = await hexpub.run(["fetch", "gizmo", "-r", "local", "-u"], { cwd, home, env });
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.ok((await Deno.stat(join(cwd, "gizmo-0.2.0", "src", "gizmo.erl"))).isFile);

  const missing = await hexpub.run(["info", "nothing", "-r", "local"], { cwd, home, env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /package "nothing" does not exist in repository "local"/);

  const file = join(dir, "packages", "gizmo");
  await Deno.writeFile(file, flipPayloadByte(await Deno.readFile(file)));
  const tampered = await hexpub.run(["fetch", "gizmo", "-r", "local", "-o", "again"], {
    cwd,
    home,
    env,
  });
  assert.equal(tampered.code, 1);
  assert.match(
    tampered.stderr,
    /refused the registry entry of package "gizmo" from repository "local"/,
  );
  assert.match(tampered.stderr, new RegExp(`${file.replaceAll("/", "\\/")}`));
  assert.equal(await Deno.lstat(join(cwd, "again")).then(() => true, () => false), false);

  // No public_key: `repo build` writes it again (`local` cannot be `repo add`-ed).
  await Deno.remove(join(dir, "public_key"));
  const nokey = await hexpub.run(["info", "gizmo", "-r", "local"], { cwd, home, env });
  assert.equal(nokey.code, 1);
  assert.ok(nokey.stderr.includes(`${join(dir, "public_key")} is missing`), nokey.stderr);
  assert.ok(nokey.stderr.includes(`hexpub repo build ${dir}`), nokey.stderr);
  assert.doesNotMatch(nokey.stderr, /repo add/);
});

Deno.test("a hex.pm organization is read under /repos/ORG, signed for ORG, with its repository key only", async () => {
  await withFakeHex(async (fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    fake.addUser({ username: "frank", orgs: { acme: "admin" } });
    fake.addRelease({ name: "secret", version: "1.0.0", repository: "acme" });
    const orgKey = fake.addKey({
      owner: { organization: "acme" },
      permissions: [{ domain: "repository", resource: "acme" }],
    });
    const { publicKeyPem } = await fake.registryKeys();
    const home = await makeHome();
    const cwd = await Deno.makeTempDir();
    // hexpm's repo_url from the config (trusted), unlike HEX_MIRROR_URL (untrusted).
    const hexpm = { name: "hexpm", repo_url: server.repoUrl, repo_public_key: publicKeyPem };
    const env = { HEX_API_URL: server.url, HEXPUB_LOCAL_PASSWORD: "correct horse" };

    await writeGlobalRepos(home, [hexpm]);
    const anonymous = await hexpub.run(["info", "secret", "-r", "hexpm:acme"], { cwd, home, env });
    assert.equal(anonymous.code, 4, anonymous.stderr);
    assert.match(anonymous.stderr, /401[\s\S]*hexpub organization auth hexpm:ORG --key KEY/);

    await writeGlobalRepos(home, [hexpm, { name: "hexpm:acme", repo_key: orgKey.secret }]);
    const r = await hexpub.run(["fetch", "secret", "-r", "hexpm:acme"], { cwd, home, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await sha256Hex(await Deno.readFile(join(cwd, "secret-1.0.0.tar"))),
      fake.release("secret", "1.0.0", "acme")!.checksum,
    );
    const reads = fake.requestsTo("GET", "/repo/repos/acme/packages/secret");
    assert.equal(reads.at(-1)!.headers.get("authorization"), orgKey.secret);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(orgKey.secret));

    // An untrusted mirror gets no key, and the error says why.
    const mirrored = await hexpub.run(["info", "secret", "-r", "hexpm:acme"], {
      cwd,
      home,
      env: { ...env, HEX_MIRROR_URL: server.repoUrl },
    });
    assert.equal(mirrored.code, 4);
    assert.match(mirrored.stderr, /HEX_MIRROR_URL names an untrusted mirror/);
    assert.equal(
      fake.requestsTo("GET", /\/repo\/repos\/acme\//).at(-1)!.headers.has("authorization"),
      false,
    );

    // The key `organization auth` stored is used when no repo_key is configured,
    // but only at hex.pm's repository or the URL HEX_CDN names: a repo_url (or
    // rebar_packages_cdn) from a rebar.config could point anywhere.
    await writeGlobalRepos(home, [hexpm]);
    const auth = await hexpub.run(["organization", "auth", "hexpm:acme", "--key", orgKey.secret], {
      cwd,
      home,
      env,
    });
    assert.equal(auth.code, 0, auth.stderr);
    const configured = await hexpub.run(["info", "secret", "-r", "hexpm:acme"], { cwd, home, env });
    assert.equal(configured.code, 4, configured.stderr);
    assert.ok(configured.stderr.includes(`run with HEX_CDN=${server.repoUrl}`), configured.stderr);
    assert.equal(
      fake.requestsTo("GET", /\/repo\/repos\/acme\//).at(-1)!.headers.has("authorization"),
      false,
    );
    const projectCdn = await makeProject({
      "rebar.config": `{rebar_packages_cdn, "${server.repoUrl}"}.\n`,
    });
    await writeGlobalRepos(home, [{ name: "hexpm", repo_public_key: publicKeyPem }]);
    const cloned = await hexpub.run(["fetch", "secret", "-r", "hexpm:acme"], {
      cwd: projectCdn,
      home,
      env,
    });
    assert.equal(cloned.code, 4, cloned.stderr);
    assert.match(cloned.stderr, /rebar_packages_cdn/);
    assert.equal(
      fake.requestsTo("GET", /\/repo\/repos\/acme\//).at(-1)!.headers.has("authorization"),
      false,
    );
    await writeGlobalRepos(home, [hexpm]);
    const cdnEnv = { ...env, HEX_CDN: server.repoUrl };
    const stored = await hexpub.run(["info", "secret", "1.0.0", "-r", "hexpm:acme"], {
      cwd,
      home,
      env: cdnEnv,
    });
    assert.equal(stored.code, 0, stored.stderr);
    assert.match(stored.stdout, /secret 1\.0\.0 \(repository hexpm:acme\)/);
    assert.equal(
      fake.requestsTo("GET", /\/repo\/repos\/acme\//).at(-1)!.headers.get("authorization"),
      orgKey.secret,
    );
    const storedMirror = await hexpub.run(["info", "secret", "-r", "hexpm:acme"], {
      cwd,
      home,
      env: { ...env, HEX_MIRROR_URL: server.repoUrl },
    });
    assert.equal(storedMirror.code, 4);
    assert.match(storedMirror.stderr, /HEX_MIRROR_URL names an untrusted mirror/);

    // A file signed for hexpm instead of acme is another repository's.
    const { privateKeyPem } = await fake.registryKeys();
    const { encodeSignedPackage } = await import("../../src/registry/registry_files.ts");
    fake.setRegistryFile(
      "/repos/acme/packages/secret",
      await encodeSignedPackage(
        { name: "secret", repository: "hexpm", releases: [] },
        privateKeyPem,
      ),
    );
    const foreign = await hexpub.run(["info", "secret", "-r", "hexpm:acme"], {
      cwd,
      home,
      env: cdnEnv,
    });
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /signed for repository "hexpm", expected "acme"/);
    assert.match(foreign.stderr, /read it with `-r hexpm`/);
  });
});
