/**
 * The registry client: where each kind of repository is read from, with which
 * key, credential and name, and how reads are retried. HTTP goes to the fake
 * hex.pm in process (`deps.fetch = fake.handler`), never to hex.pm.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../src/errors.ts";
import { HexApiError } from "../../src/hex/api_errors.ts";
import type { RepoConfig } from "../../src/config/repos.ts";
import { HEXPM_API_URL, HEXPM_REPO_URL } from "../../src/config/settings.ts";
import { credentialsPath } from "../../src/config/config_paths.ts";
import { createKey, loadStore, saveStore, setRepoKey } from "../../src/config/credential_store.ts";
import { HEXPM_PUBLIC_KEY } from "../../src/registry/hexpm_key.ts";
import { MAX_UNPACKED_REGISTRY_FILE, RegistryError } from "../../src/registry/signing.ts";
import { gzipBomb } from "../support/gzip_bomb.ts";
import { gunzipBytes } from "../../src/tarball/gzip.ts";
import { buildRepository, initRepository } from "../../src/repository/repository_dir.ts";
import {
  readPackageEntry,
  registrySource,
  requirePackageEntry,
  selectReadRepo,
} from "../../src/tasks/registry.ts";
import { buildSeedTarball } from "../fakes/_hex_packages.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { signedPackageFile } from "../support/registry.ts";
import { testDeps } from "../support/test_deps.ts";

const FAKE_REPO = "http://fake.test/repo";

async function setup(env: Record<string, string> = {}) {
  const fake = new FakeHex();
  fake.addRelease({ name: "widget", version: "1.0.0" });
  const home = await Deno.makeTempDir();
  const deps = testDeps(home, {
    env: {
      HOME: home,
      REBAR_GLOBAL_CONFIG_DIR: home,
      HEXPUB_CONFIG_DIR: join(home, "cfg"),
      HEX_MIRROR_URL: "",
      HEX_MIRROR: "",
      HEX_CDN: "",
      HEX_HTTP_TIMEOUT: "",
      HEX_UNSAFE_REGISTRY: "",
      HEX_NO_VERIFY_REPO_ORIGIN: "",
      REBAR_NO_VERIFY_REPO_ORIGIN: "",
      HEXPUB_LOCAL_REPO: join(home, "local"),
      ...env,
    },
  });
  deps.fetch = fake.handler;
  const slept: number[] = [];
  deps.sleep = (ms) => {
    slept.push(ms);
    return Promise.resolve();
  };
  const hexpm: RepoConfig = {
    name: "hexpm",
    apiUrl: "http://fake.test/api",
    repoUrl: FAKE_REPO,
    repoPublicKey: (await fake.registryKeys()).publicKeyPem,
    verify: true,
    verifyOrigin: true,
  };
  return { fake, deps, hexpm, slept, home };
}

Deno.test("readPackageEntry() reads and verifies packages/NAME; a missing package is undefined", async () => {
  const { fake, deps, hexpm } = await setup();
  const source = await registrySource(deps, hexpm);
  const pkg = await readPackageEntry(deps, source, "widget");
  assert.deepEqual(pkg?.releases.map((r) => r.version), ["1.0.0"]);
  assert.equal(await readPackageEntry(deps, source, "nothing"), undefined);
  await assert.rejects(
    requirePackageEntry(deps, source, "nothing"),
    /package "nothing" does not exist in repository "hexpm"/,
  );
  assert.equal(fake.requestsTo("GET", "/repo/packages/widget").length, 1);
});

Deno.test("readPackageEntry() accepts a body the transport already decompressed", async () => {
  const { fake, deps, hexpm } = await setup();
  const file = (await fake.registryFile("/packages/widget"))!;
  fake.setRegistryFile("/packages/widget", gunzipBytes(file));
  const pkg = await readPackageEntry(deps, await registrySource(deps, hexpm), "widget");
  assert.equal(pkg?.name, "widget");
});

Deno.test("readPackageEntry() retries 5xx like the API client, and a dry run tries once", async () => {
  const { fake, deps, hexpm, slept } = await setup();
  const source = await registrySource(deps, hexpm);
  fake.failNext(2, 503, { path: "/repo/packages/widget" });
  assert.equal((await readPackageEntry(deps, source, "widget"))?.name, "widget");
  assert.equal(fake.requestsTo("GET", "/repo/packages/widget").length, 3);
  assert.deepEqual(slept, [1000, 2000]);
  fake.failNext(1, 503, { path: "/repo/packages/widget" });
  await assert.rejects(
    readPackageEntry(deps, source, "widget", { retries: 0 }),
    (e: unknown) => e instanceof HexApiError && e.status === 503,
  );
});

Deno.test("registrySource() honours HEX_HTTP_TIMEOUT and refuses a bad one", async () => {
  const { hexpm } = await setup();
  const ok = (await setup({ HEX_HTTP_TIMEOUT: "7" })).deps;
  assert.equal((await registrySource(ok, hexpm)).timeoutMs, 7000);
  const bad = (await setup({ HEX_HTTP_TIMEOUT: "soon" })).deps;
  await assert.rejects(registrySource(bad, hexpm), UsageError);
});

Deno.test("registrySource() refuses a custom repository with verification on and no public key", async () => {
  const { deps } = await setup();
  const team: RepoConfig = {
    name: "team",
    apiUrl: "",
    repoUrl: "https://hex.example.com",
    verify: true,
    verifyOrigin: true,
  };
  await assert.rejects(
    registrySource(deps, team),
    (e: unknown) =>
      e instanceof RegistryError && e.reason === "missing_public_key" &&
      /repository "team"/.test(e.message) &&
      (e.hint ?? "").includes("hexpub repo add team https://hex.example.com --public-key FILE") &&
      (e.hint ?? "").includes("repo_public_key"),
  );
  // HEX_UNSAFE_REGISTRY (verify off) needs no key.
  assert.equal((await registrySource(deps, { ...team, verify: false })).publicKey, undefined);
  await assert.rejects(
    registrySource(deps, { ...team, repoUrl: "" }),
    (e: unknown) => e instanceof UsageError && /has no repo_url/.test(e.message),
  );
});

Deno.test("registrySource() signs names: hexpm, the organization for hexpm:ORG, what a mirror mirrors", async () => {
  const { deps } = await setup();
  const base = { apiUrl: "", repoUrl: "https://m.example", verify: true, verifyOrigin: true };
  const mirror = await registrySource(deps, { ...base, name: "corp", mirrorOf: "hexpm" });
  assert.equal(mirror.repository, "hexpm");
  assert.equal(mirror.publicKey, HEXPM_PUBLIC_KEY);
  const org = await registrySource(deps, {
    ...base,
    name: "team:acme",
    organization: "acme",
    parent: "team",
    repoPublicKey: HEXPM_PUBLIC_KEY,
  });
  assert.equal(org.repository, "acme");
});

Deno.test("the repository key goes to the configured URL, never to an untrusted HEX_MIRROR_URL", async () => {
  const { fake, deps, hexpm } = await setup();
  fake.addOrg({ name: "acme" });
  fake.addRelease({ name: "secret", version: "0.1.0", repository: "acme" });
  const key = fake.addKey({
    owner: { organization: "acme" },
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  const acme: RepoConfig = {
    ...hexpm,
    name: "hexpm:acme",
    organization: "acme",
    parent: "hexpm",
    repoKey: key.secret,
  };
  const source = await registrySource(deps, acme);
  assert.equal(source.repoKey, key.secret);
  assert.equal((await readPackageEntry(deps, source, "secret"))?.repository, "acme");
  assert.equal(fake.requests.at(-1)!.path, "/repo/repos/acme/packages/secret");
  assert.equal(fake.requests.at(-1)!.headers.get("authorization"), key.secret);

  const mirrored = (await setup({ HEX_MIRROR_URL: `${FAKE_REPO}/` })).deps;
  mirrored.fetch = fake.handler;
  const withheld = await registrySource(mirrored, acme);
  assert.equal(withheld.repoKey, undefined);
  assert.equal(withheld.keyWithheld, "mirror");
  await assert.rejects(
    readPackageEntry(mirrored, withheld, "secret"),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 401 && /HEX_MIRROR_URL/.test(e.hint ?? ""),
  );
  assert.equal(fake.requests.at(-1)!.headers.has("authorization"), false);
});

Deno.test("selectReadRepo() takes a repository without api_url, and the built-in local one", async () => {
  const { deps, home } = await setup();
  await Deno.mkdir(join(home, "cfg"), { recursive: true });
  await Deno.writeTextFile(
    join(home, "cfg", "config.json"),
    JSON.stringify({ repos: [{ name: "mirror", repo_url: "https://m.example" }] }),
  );
  const mirror = await selectReadRepo(deps, { repo: "mirror", command: "info" });
  assert.equal(mirror.repoUrl, "https://m.example");
  assert.equal(mirror.apiUrl, "");
  const local = await selectReadRepo(deps, { repo: "local", command: "info" });
  assert.equal(local.name, "local");
  const source = await registrySource(
    { ...deps, env: { ...deps.env, HEXPUB_LOCAL_REPO: join(home, "nowhere") } },
    local,
  );
  assert.equal(source.dir, join(home, "nowhere"));
  assert.equal(await readPackageEntry(deps, source, "widget"), undefined, "empty local repository");
  await assert.rejects(
    readPackageEntry(deps, source, "../etc"),
    (e: unknown) => e instanceof UsageError && /invalid package name/.test(e.message),
  );
  await assert.rejects(selectReadRepo(deps, { repo: "unknown", command: "info" }), UsageError);
});

/** Stores `secret` for `hexpm:acme` as `hexpub organization auth` does. */
async function storeOrgKey(deps: ReturnType<typeof testDeps>, secret: string) {
  const path = credentialsPath(deps.env, deps.host.platform);
  const key = await createKey("correct horse", { iterations: 1000 });
  await saveStore(
    deps,
    path,
    await setRepoKey(await loadStore(deps, path), key, "hexpm:acme", secret),
  );
}

Deno.test("a key stored by organization auth goes only to hex.pm's repository or HEX_CDN, not to a repo_url the project set", async () => {
  const { fake, deps, hexpm } = await setup({ HEXPUB_LOCAL_PASSWORD: "correct horse" });
  fake.addOrg({ name: "acme" });
  fake.addRelease({ name: "secret", version: "0.1.0", repository: "acme" });
  const key = fake.addKey({
    owner: { organization: "acme" },
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  await storeOrgKey(deps, key.secret);
  // The store entry of hex.pm's organization is keyed by hex.pm's API URL.
  const acme: RepoConfig = {
    ...hexpm,
    apiUrl: HEXPM_API_URL,
    name: "hexpm:acme",
    organization: "acme",
    parent: "hexpm",
  };
  const stored = { storedCredentials: true };
  const atHexpm = { ...acme, repoUrl: `${HEXPM_REPO_URL}/` };
  assert.equal((await registrySource(deps, atHexpm, stored)).repoKey, key.secret);
  assert.equal((await registrySource(deps, atHexpm)).repoKey, undefined, "only when asked for");

  // A repo_url (or rebar_packages_cdn) from a cloned project's rebar.config: withheld.
  const elsewhere = await registrySource(deps, acme, stored);
  assert.equal(elsewhere.repoKey, undefined);
  assert.equal(elsewhere.keyWithheld, "repo_url");
  await assert.rejects(
    readPackageEntry(deps, elsewhere, "secret"),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 401 &&
      (e.hint ?? "").includes("hexpub organization auth") &&
      (e.hint ?? "").includes(`HEX_CDN=${FAKE_REPO}`),
  );
  assert.equal(fake.requests.at(-1)!.headers.has("authorization"), false);

  // HEX_CDN names it: the user's own choice, so the key goes there.
  const cdn = (await setup({ HEXPUB_LOCAL_PASSWORD: "correct horse", HEX_CDN: FAKE_REPO })).deps;
  cdn.fetch = fake.handler;
  await storeOrgKey(cdn, key.secret);
  const named = await registrySource(cdn, acme, stored);
  assert.equal(named.repoKey, key.secret);
  assert.equal((await readPackageEntry(cdn, named, "secret"))?.name, "secret");
  assert.equal(fake.requests.at(-1)!.headers.get("authorization"), key.secret);
});

Deno.test("a refused file signed for another repository names it and how to add it under that name", async () => {
  const { fake, deps, hexpm } = await setup();
  const { privateKeyPem } = await fake.registryKeys();
  const crew: RepoConfig = { ...hexpm, name: "crew", apiUrl: "" };
  const file = (repository: string) =>
    signedPackageFile({ name: "widget", repository, releases: [] }, privateKeyPem);
  fake.setRegistryFile("/packages/widget", await file("team"));
  await assert.rejects(
    readPackageEntry(deps, await registrySource(deps, crew), "widget"),
    (e: unknown) =>
      e instanceof RegistryError && e.reason === "wrong_repository" &&
      /signed for repository "team", expected "crew"/.test(e.message) &&
      (e.hint ?? "").includes(`\`hexpub repo add team ${FAKE_REPO} --public-key FILE\``) &&
      (e.hint ?? "").includes('rename the entry "crew"'),
  );
  // A name no repository can have is shown cleaned, and put in no command.
  fake.setRegistryFile("/packages/widget", await file("te\x1b[2Jam"));
  await assert.rejects(
    readPackageEntry(deps, await registrySource(deps, crew), "widget"),
    (e: unknown) =>
      // deno-lint-ignore no-control-regex
      e instanceof RegistryError && !/\x1b/.test(e.message + e.hint) &&
      /signed for repository "te \[2Jam"/.test(e.message) && !/repo add/.test(e.hint ?? ""),
  );
});

Deno.test("a registry file that is a gzip bomb is refused naming the size limit, not as 'not a gzip file'", async () => {
  const { deps, fake, hexpm } = await setup();
  fake.setRegistryFile("/packages/widget", gzipBomb(MAX_UNPACKED_REGISTRY_FILE / 1024 / 1024 + 1));
  await assert.rejects(
    readPackageEntry(deps, await registrySource(deps, hexpm), "widget"),
    (e: unknown) =>
      e instanceof RegistryError &&
      /it unpacks to more than 256 MiB, the limit for a registry file/.test(e.message) &&
      !/gzip/.test(e.message),
  );
});

Deno.test("the local repository: another repository's directory, and a missing public_key, say what to do", async () => {
  const { deps, home } = await setup();
  const dir = join(home, "local");
  const repo = await initRepository(deps, dir, "team");
  await Deno.writeFile(
    join(dir, "tarballs", "gizmo-0.1.0.tar"),
    buildSeedTarball({ name: "gizmo", version: "0.1.0", meta: {}, requirements: [] }).tarball,
  );
  await buildRepository(deps, repo);
  const local = await selectReadRepo(deps, { repo: "local", command: "info" });
  await assert.rejects(
    readPackageEntry(deps, await registrySource(deps, local), "gizmo"),
    (e: unknown) =>
      e instanceof RegistryError &&
      /signed for repository "team", expected "local"/.test(e.message) &&
      (e.hint ?? "").includes(`hexpub repo add team URL --public-key ${join(dir, "public_key")}`),
  );
  await Deno.remove(join(dir, "public_key"));
  await assert.rejects(
    readPackageEntry(deps, await registrySource(deps, local), "gizmo"),
    (e: unknown) =>
      e instanceof RegistryError && e.reason === "missing_public_key" &&
      e.message.includes(`${join(dir, "public_key")} is missing`) &&
      (e.hint ?? "").includes(`hexpub repo build ${dir}`) && !/repo add/.test(e.hint ?? ""),
  );
});

Deno.test("reading with checks off warns once per run, naming why", async () => {
  const unsafe = await setup({ HEX_UNSAFE_REGISTRY: "true" });
  const off = { ...unsafe.hexpm, verify: false };
  await registrySource(unsafe.deps, off);
  await registrySource(unsafe.deps, { ...off, name: "team", apiUrl: "" });
  await registrySource({ ...unsafe.deps, env: { ...unsafe.deps.env } }, off);
  assert.equal(unsafe.deps.stderr.length, 1, unsafe.deps.stderr.join("\n"));
  assert.match(
    unsafe.deps.stderr[0],
    /^warning: registry signatures are not checked \(HEX_UNSAFE_REGISTRY is set\)/,
  );

  const config = await setup();
  await registrySource(config.deps, { ...config.hexpm, verify: false });
  await registrySource(config.deps, { ...config.hexpm, verifyOrigin: false, name: "team" });
  await registrySource(config.deps, config.hexpm);
  assert.deepEqual(config.deps.stderr.map((l) => l.replace(/\).*$/, ")")), [
    'warning: registry signatures are not checked (repo_verify is false for repository "hexpm")',
    'warning: registry files are not checked to be repository "team"\'s (repo_verify_origin is false for repository "team")',
  ]);

  const origin = await setup({ REBAR_NO_VERIFY_REPO_ORIGIN: "1" });
  await registrySource(origin.deps, { ...origin.hexpm, verifyOrigin: false });
  assert.match(origin.deps.stderr.join("\n"), /REBAR_NO_VERIFY_REPO_ORIGIN is set/);
  const checked = await setup();
  await registrySource(checked.deps, checked.hexpm);
  assert.deepEqual(checked.deps.stderr, [], "no warning when everything is checked");
});
