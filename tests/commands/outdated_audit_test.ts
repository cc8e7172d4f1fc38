/**
 * `hexpub outdated`, `hexpub audit` and the audit step of `publish --dry-run`,
 * in process against the fake hex.pm's signed registry (trusted through the
 * hexpm entry's `repo_public_key`, as a user would), with a hex.pm organization
 * read with the key `hexpub organization auth` stored. The projects are locked
 * by `hexpub lock` first; then newer releases, a retirement and an advisory
 * appear in the registry.
 */
import { strict as assert } from "node:assert";
import { makeHome } from "../support/e2e.ts";
import {
  type FakeAt,
  type InProcessHexpub,
  inProcessHexpub,
  withFakeHex,
} from "../support/in_process.ts";
import { makeProject } from "../support/project.ts";
import { writeGlobalRepos } from "../support/registry.ts";
import type { FakeHex } from "../fakes/fake_hex.ts";

const APP_SRC = (deps: string[]) =>
  `{application, tiny, [{description, "Tiny"}, {vsn, "0.1.0"}, {licenses, ["MIT"]}, ` +
  `{applications, [kernel, stdlib${deps.map((d) => `, ${d}`).join("")}]}]}.\n`;

/** The repositories rebar3 would use: the organization, then hexpm. */
const ORG_REPOS = `{hex, [{repos, [#{name => <<"hexpm:acme">>}]}]}.\n`;

interface World {
  fake: FakeHex;
  hexpub: InProcessHexpub;
  home: string;
  env: Record<string, string>;
  /** Depends on base, pinned, mid (which pulls leaf) and the organization's secret. */
  main: string;
  /** Depends on pinned only. */
  pinnedOnly: string;
}

/** Seeds the first releases, trusts the fake, stores the organization key, and locks both projects. */
async function world(fake: FakeHex, server: FakeAt): Promise<World> {
  fake.addUser({ username: "frank", orgs: { acme: "admin" } });
  fake.addRelease({ name: "base", version: "1.0.0" });
  fake.addRelease({ name: "pinned", version: "2.0.0" });
  fake.addRelease({ name: "leaf", version: "0.1.0" });
  fake.addRelease({ name: "mid", version: "0.3.0", requirements: { leaf: "~> 0.1" } });
  fake.addRelease({ name: "secret", version: "1.0.0", repository: "acme" });
  const orgKey = fake.addKey({
    owner: { organization: "acme" },
    permissions: [{ domain: "repository", resource: "acme" }],
  });
  const hexpub = await inProcessHexpub({ fakes: [server] });
  const home = await makeHome();
  const { publicKeyPem } = await fake.registryKeys();
  await writeGlobalRepos(home, [{
    name: "hexpm",
    // The organization inherits it: its stored key is filed under this API URL.
    api_url: server.url,
    repo_url: server.repoUrl,
    repo_public_key: publicKeyPem,
  }]);
  // The stored organization key goes to hex.pm's repository or HEX_CDN's only.
  const env = {
    HEX_API_URL: server.url,
    HEX_CDN: server.repoUrl,
    HEXPUB_LOCAL_PASSWORD: "correct horse",
  };
  const auth = await hexpub.run(["organization", "auth", "hexpm:acme", "--key", orgKey.secret], {
    home,
    env,
  });
  assert.equal(auth.code, 0, auth.stderr);
  const main = await makeProject({
    "rebar.config": `{deps, [{base, "~> 1.0"}, {pinned, "~> 2.0.0"}, mid, {secret, "~> 1.0"}]}.\n` +
      ORG_REPOS,
    "src/tiny.app.src": APP_SRC(["base", "pinned", "mid", "secret"]),
    "src/tiny.erl": "-module(tiny).\n",
  });
  const pinnedOnly = await makeProject({
    "rebar.config": `{deps, [{pinned, "~> 2.0.0"}]}.\n`,
    "src/tiny.app.src": APP_SRC(["pinned"]),
  });
  for (const cwd of [main, pinnedOnly]) {
    const lock = await hexpub.run(["lock"], { cwd, home, env });
    assert.equal(lock.code, 0, lock.stderr);
  }
  return { fake, hexpub, home, env, main, pinnedOnly };
}

/** Newer releases (in and out of the requirements, a pre-release), a retirement, an advisory. */
function moveOn(fake: FakeHex): void {
  fake.addRelease({ name: "base", version: "1.1.0" });
  fake.addRelease({ name: "base", version: "1.2.0-rc.1" });
  fake.addRelease({ name: "base", version: "2.0.0" });
  fake.release("base", "1.0.0")!.retirement = { reason: "security", message: "Use 1.1.0" };
  fake.addRelease({ name: "pinned", version: "2.1.0" });
  fake.addRelease({ name: "leaf", version: "0.1.5" });
  fake.addRelease({ name: "secret", version: "1.1.0", repository: "acme" });
  fake.package("pinned")!.advisories = [{
    id: "GHSA-xxxx-yyyy-zzzz",
    summary: "Crash on long input",
    severity: "high",
    cvssScore: 7.5,
    aliases: ["CVE-2099-12345"],
    versions: ["2.0.0"],
  }];
}

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("outdated and audit: everything up to date and clean right after locking (exit 0)", async () => {
  await withFakeHex(async (fake, server) => {
    const w = await world(fake, server);
    const r = await w.hexpub.run(["outdated"], { cwd: w.main, home: w.home, env: w.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Dependency\s+Requirement\s+Current\s+Allowed\s+Latest\s+Status$/m);
    assert.match(r.stdout, /^base\s+~> 1\.0\s+1\.0\.0\s+1\.0\.0\s+1\.0\.0\s+Up-to-date$/m);
    assert.match(r.stdout, /^mid\s+any\s+0\.3\.0\s+0\.3\.0\s+0\.3\.0\s+Up-to-date$/m);
    assert.match(r.stdout, /Read from other repositories: secret \(hexpm:acme\)/);
    assert.doesNotMatch(r.stdout, /^leaf/m, "top-level only by default");
    const json = await w.hexpub.run(["outdated", "--json"], {
      cwd: w.main,
      home: w.home,
      env: w.env,
    });
    assert.equal(json.code, 0, json.stderr);
    const parsed: Json = JSON.parse(json.stdout);
    assert.equal(parsed.updatable, 0);
    assert.deepEqual(parsed.dependencies.map((d: Json) => [d.app, d.status]), [
      ["base", "up-to-date"],
      ["mid", "up-to-date"],
      ["pinned", "up-to-date"],
      ["secret", "up-to-date"],
    ]);

    const a = await w.hexpub.run(["audit"], { cwd: w.main, home: w.home, env: w.env });
    assert.equal(a.code, 0, a.stderr);
    assert.match(
      a.stdout,
      /No retired releases or security advisories among 5 locked dependencies/,
    );
    const aj = await w.hexpub.run(["audit", "--json"], { cwd: w.main, home: w.home, env: w.env });
    assert.equal(aj.code, 0, aj.stderr);
    assert.deepEqual(JSON.parse(aj.stdout), {
      checked: 5,
      findings: [],
      retired: 0,
      advisories: 0,
    });
  });
});

Deno.test("outdated: an update within the requirement exits 1; newer only outside it, or a pre-release, does not", async () => {
  await withFakeHex(async (fake, server) => {
    const w = await world(fake, server);
    moveOn(fake);
    const leafReads = fake.requestsTo("GET", "/repo/packages/leaf").length;
    const r = await w.hexpub.run(["outdated", "--json"], { cwd: w.main, home: w.home, env: w.env });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      fake.requestsTo("GET", "/repo/packages/leaf").length,
      leafReads,
      "without --all, transitive dependencies are not read",
    );
    const parsed: Json = JSON.parse(r.stdout);
    const by = (app: string) => parsed.dependencies.find((d: Json) => d.app === app);
    assert.deepEqual(by("base"), {
      app: "base",
      package: "base",
      repository: "hexpm",
      level: 0,
      requirement: "~> 1.0",
      requiredBy: "rebar.config",
      current: { version: "1.0.0", retired: { reason: "security", message: "Use 1.1.0" } },
      // The pre-release 1.2.0-rc.1 is not offered: the locked version is not one.
      allowed: { version: "1.1.0" },
      latest: { version: "2.0.0" },
      status: "update-possible",
    });
    assert.equal(by("pinned").status, "update-not-possible");
    assert.deepEqual([by("pinned").allowed, by("pinned").latest], [
      { version: "2.0.0" },
      { version: "2.1.0" },
    ]);
    // The organization's package, read with the stored organization key.
    assert.equal(by("secret").repository, "hexpm:acme");
    assert.deepEqual([by("secret").status, by("secret").allowed], [
      "update-possible",
      { version: "1.1.0" },
    ]);
    assert.equal(by("mid").status, "up-to-date");
    assert.equal(parsed.updatable, 2);
    assert.equal(by("leaf"), undefined);
    assert.match(r.stderr, /2 dependencies can be updated within their requirements: base, secret/);
    const orgReads = fake.requestsTo("GET", "/repo/repos/acme/packages/secret");
    assert.ok(orgReads.length > 0);
    assert.ok(
      orgReads.every((q) => q.headers.get("authorization")),
      "the organization key is sent",
    );
    assert.ok(
      fake.requestsTo("GET", /^\/repo\/packages\//).every((q) => !q.headers.has("authorization")),
      "no credentials go to hexpm's public registry",
    );
    assert.equal(fake.requests.filter((q) => q.path.startsWith("/api")).length > 0, true);

    const human = await w.hexpub.run(["outdated"], { cwd: w.main, home: w.home, env: w.env });
    assert.equal(human.code, 1);
    assert.match(
      human.stdout,
      /^base\s+~> 1\.0\s+1\.0\.0 \(retired\)\s+1\.1\.0\s+2\.0\.0\s+Update possible$/m,
    );
    assert.match(
      human.stdout,
      /^pinned\s+~> 2\.0\.0\s+2\.0\.0\s+2\.0\.0\s+2\.1\.0\s+Update not possible$/m,
    );
    assert.ok(
      human.stdout.includes("Retired releases:\n  base 1.0.0: security: Use 1.1.0\n"),
      human.stdout,
    );
    assert.match(human.stderr, /hint: Run `rebar3 upgrade base secret`/);
    assert.doesNotMatch(human.stdout, /Every dependency is at the newest/);

    const all = await w.hexpub.run(["outdated", "--all", "--json"], {
      cwd: w.main,
      home: w.home,
      env: w.env,
    });
    assert.equal(all.code, 1, all.stderr);
    const leaf = JSON.parse(all.stdout).dependencies.find((d: Json) => d.app === "leaf");
    assert.deepEqual(
      [leaf.level, leaf.requirement, leaf.requiredBy, leaf.allowed, leaf.status],
      [1, "~> 0.1", "mid", { version: "0.1.5" }, "update-possible"],
    );

    // Newer only outside the requirement: nothing to do within it, exit 0.
    const pinned = await w.hexpub.run(["outdated"], {
      cwd: w.pinnedOnly,
      home: w.home,
      env: w.env,
    });
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, /Update not possible/);
    assert.match(pinned.stdout, /Every dependency is at the newest version its requirement allows/);
  });
});

Deno.test("audit: a retired locked release and a security advisory exit 1, with reason, message and link", async () => {
  await withFakeHex(async (fake, server) => {
    const w = await world(fake, server);
    moveOn(fake);
    const r = await w.hexpub.run(["audit", "--json"], { cwd: w.main, home: w.home, env: w.env });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      checked: 5,
      findings: [
        {
          app: "base",
          package: "base",
          version: "1.0.0",
          repository: "hexpm",
          level: 0,
          retired: { reason: "security", message: "Use 1.1.0" },
          advisories: [],
        },
        {
          app: "pinned",
          package: "pinned",
          version: "2.0.0",
          repository: "hexpm",
          level: 0,
          advisories: [{
            id: "GHSA-xxxx-yyyy-zzzz",
            summary: "Crash on long input",
            severity: "high",
            cvssScore: 7.5,
            url: "https://osv.dev/vulnerability/GHSA-xxxx-yyyy-zzzz",
            aliases: ["CVE-2099-12345"],
          }],
        },
      ],
      retired: 1,
      advisories: 1,
    });
    assert.match(r.stderr, /2 locked dependencies are retired or affected by security advisories/);

    const human = await w.hexpub.run(["audit"], { cwd: w.main, home: w.home, env: w.env });
    assert.equal(human.code, 1);
    assert.ok(
      human.stdout.startsWith("base 1.0.0\n  retired (security): Use 1.1.0\n"),
      human.stdout,
    );
    assert.ok(
      human.stdout.includes(
        "\n  advisory GHSA-xxxx-yyyy-zzzz (also CVE-2099-12345) [high, CVSS 7.5]: Crash on long " +
          "input\n    https://osv.dev/vulnerability/GHSA-xxxx-yyyy-zzzz\n",
      ),
      human.stdout,
    );
    assert.match(human.stdout, /Found 1 retired release and 1 security advisory among 5 locked/);

    // A project whose only dependency is affected by the advisory alone.
    const pinned = await w.hexpub.run(["audit"], { cwd: w.pinnedOnly, home: w.home, env: w.env });
    assert.equal(pinned.code, 1);
    assert.doesNotMatch(pinned.stdout, /retired \(/);
  });
});

Deno.test("publish --dry-run audits rebar.lock: retired and advised dependencies are warnings, not errors", async () => {
  await withFakeHex(async (fake, server) => {
    const w = await world(fake, server);
    moveOn(fake);
    const r = await w.hexpub.run(["publish", "package", "--dry-run"], {
      cwd: w.pinnedOnly,
      home: w.home,
      env: w.env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: locked dependency pinned 2\.0\.0 is affected by security advisory GHSA-xxxx-yyyy-zzzz \(high\): Crash on long input/,
    );
    assert.match(r.stderr, /hint: Update it \(`rebar3 upgrade pinned`.*osv\.dev/);
    assert.match(r.stdout, /Dry run: tiny 0\.1\.0 would be published/);
    assert.equal(fake.requestsTo("POST", "/publish").length, 0);
  });
});

Deno.test("outdated and audit without rebar.lock say how to make one (exit 1)", async () => {
  await withFakeHex(async (_fake, server) => {
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const cwd = await makeProject({
      "rebar.config": "{deps, []}.\n",
      "src/tiny.app.src": APP_SRC([]),
    });
    for (const command of ["outdated", "audit"]) {
      const r = await hexpub.run([command], { cwd });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /rebar\.lock does not exist/);
      assert.match(r.stderr, /hexpub lock/);
    }
  });
});

Deno.test("outdated offers pre-releases when the locked version is one", async () => {
  await withFakeHex(async (fake, server) => {
    fake.addRelease({ name: "rc", version: "1.0.0-rc.1" });
    const hexpub = await inProcessHexpub({ fakes: [server] });
    const home = await makeHome();
    const { publicKeyPem } = await fake.registryKeys();
    await writeGlobalRepos(home, [{
      name: "hexpm",
      repo_url: server.repoUrl,
      repo_public_key: publicKeyPem,
    }]);
    const cwd = await makeProject({
      "rebar.config": `{deps, [{rc, "~> 1.0.0-rc.1"}]}.\n`,
      "src/tiny.app.src": APP_SRC(["rc"]),
    });
    assert.equal((await hexpub.run(["lock"], { cwd, home })).code, 0);
    fake.addRelease({ name: "rc", version: "1.0.0-rc.2" });
    const r = await hexpub.run(["outdated", "--json"], { cwd, home });
    assert.equal(r.code, 1, r.stderr);
    const [dep] = JSON.parse(r.stdout).dependencies;
    assert.deepEqual([dep.current, dep.allowed, dep.latest], [
      { version: "1.0.0-rc.1" },
      { version: "1.0.0-rc.2" },
      { version: "1.0.0-rc.2" },
    ]);
  });
});
