/** Resolution as rebar3 3.19 does it, over in-memory registry entries. */
import assert from "node:assert/strict";
import { ProjectError } from "../../src/errors.ts";
import {
  type DepRequest,
  isRebarRequirement,
  pickRelease,
  resolveLocks,
} from "../../src/project/lock_resolve.ts";
import type { Dependency, Package, Release } from "../../src/registry/messages.ts";

const sum = (n: number) => new Uint8Array(32).fill(n);

function rel(version: string, deps: Dependency[] = [], retired = false): Release {
  return {
    version,
    innerChecksum: sum(1),
    outerChecksum: sum(2),
    dependencies: deps,
    ...(retired ? { retired: { reason: 2, message: "bad" } } : {}),
  };
}

function pkg(name: string, releases: Release[]): Package {
  return { name, repository: "hexpm", releases };
}

const versions = (...vs: string[]) => pkg("p", vs.map((v) => rel(v)));
const pick = (p: Package, req: string | undefined, pre = false) =>
  pickRelease(p, req, pre)?.version;

Deno.test("pickRelease() takes what rebar_packages takes", () => {
  const p = versions("0.9.0", "1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0", "2.1.0+build.1");
  assert.equal(pick(p, undefined), "2.0.0", "no requirement: highest plain version");
  assert.equal(pick(p, "~> 1.0"), "1.1.0", "pre-releases only when asked for");
  assert.equal(pick(p, "~> 1.0", true), "1.2.0-rc.1", "deps_allow_prerelease");
  assert.equal(pick(p, "~> 1.2.0-rc.0"), "1.2.0-rc.1");
  assert.equal(pick(p, "~>1.0.0"), "1.0.0");
  assert.equal(pick(p, ">= 1.0.0"), "2.0.0");
  // rebar3's quirk (cmp_/4): with nothing above, it looks up the bound itself.
  assert.equal(pick(p, "> 2.0.0"), "2.0.0");
  assert.equal(pick(p, "> 3.0.0"), undefined);
  assert.equal(pick(p, "< 1.1.0"), "1.0.0");
  assert.equal(pick(p, "<= 1.1.0"), "1.1.0");
  assert.equal(pick(p, "1.2.0-rc.1"), "1.2.0-rc.1", "an exact version is always taken");
  assert.equal(pick(p, "==1.0.0"), "1.0.0");
  assert.equal(pick(p, "1.0"), undefined, "1.0 is not the key of 1.0.0");
  assert.equal(pick(p, "~> 3.0"), undefined);
  // The same quirk for `<` (cmpl_/4).
  assert.equal(pick(versions("1.0.0", "2.0.0"), "< 1.0.0"), "1.0.0");
});

Deno.test("isRebarRequirement() accepts rebar3's requirement grammar only", () => {
  for (const ok of ["1.0.0", "~> 1.0", ">= 0.0.0", "==1.0.0", "v1.2.3-rc.1+b.2", "<2.0.0"]) {
    assert.ok(isRebarRequirement(ok), ok);
  }
  for (const bad of [">= 1.0.0 and < 2.0.0", "~> 1.0 or ~> 2.0", "1", "1.0.0-RC1", "~> 1.0 "]) {
    assert.ok(!isRebarRequirement(bad), bad);
  }
});

function registry(entries: Record<string, Package>) {
  const asked: string[] = [];
  return {
    asked,
    lookup: (repo: string, name: string) => {
      asked.push(`${repo}/${name}`);
      return Promise.resolve(repo === "hexpm" ? entries[name] : undefined);
    },
  };
}

const dep = (pkg: string, requirement: string, app?: string): Dependency => ({
  package: pkg,
  requirement,
  ...(app ? { app } : {}),
});

async function resolve(deps: DepRequest[], entries: Record<string, Package>, extra = {}) {
  const warnings: string[] = [];
  const reg = registry(entries);
  const { locks } = await resolveLocks({
    deps,
    projectApps: ["me"],
    repos: ["mirror", "hexpm"],
    allowPrerelease: false,
    errorOnConflict: false,
    warnOnConflict: true,
    lookup: reg.lookup,
    warn: (m) => warnings.push(m),
    ...extra,
  });
  return { locks: locks.map((l) => `${l.app}:${l.pkg}:${l.version}:${l.level}`), warnings, reg };
}

const GRAPH = {
  a: pkg("a", [rel("1.0.0", [dep("c", "~> 1.0"), dep("me", "~> 0.1")])]),
  b: pkg("b", [rel("1.0.0", [dep("c", "~> 2.0"), dep("d_pkg", "~> 1.0", "d")])]),
  c: pkg("c", [rel("1.0.0"), rel("1.5.0", [], true), rel("2.0.0")]),
  d_pkg: pkg("d_pkg", [rel("1.0.0", [dep("a", "~> 1.0")])]),
};

Deno.test("resolveLocks() goes level by level; the first of a name wins, in parent order", async () => {
  const r = await resolve([{ app: "b", pkg: "b" }, { app: "a", pkg: "a" }], GRAPH);
  assert.deepEqual(r.locks, ["a:a:1.0.0:0", "b:b:1.0.0:0", "c:c:1.5.0:1", "d:d_pkg:1.0.0:1"]);
  assert.deepEqual(r.warnings, [
    "warning: package c 1.5.0 (from hexpm) is retired: (security) bad",
    "warning: skipping c 2.0.0 (required by b): c 1.5.0 was already chosen at level 1",
  ]);
  // Project apps are never looked up; every repository is tried in order.
  assert.ok(!r.reg.asked.some((a) => a.endsWith("/me")));
  assert.deepEqual(r.reg.asked.slice(0, 2), ["mirror/b", "hexpm/b"]);
});

Deno.test("resolveLocks() keeps a shallower dependency over a deeper one", async () => {
  const r = await resolve(
    [{ app: "a", pkg: "a" }, { app: "c", pkg: "c", requirement: "2.0.0" }],
    GRAPH,
  );
  assert.deepEqual(r.locks, ["a:a:1.0.0:0", "c:c:2.0.0:0"]);
  assert.match(r.warnings.join("\n"), /skipping c 1\.5\.0 \(required by a\)/);
});

Deno.test("resolveLocks() honours deps_error_on_conflict and deps_warning_on_conflict", async () => {
  const deps = [{ app: "b", pkg: "b" }, { app: "a", pkg: "a" }];
  await assert.rejects(() => resolve(deps, GRAPH, { errorOnConflict: true }), /conflicting/);
  const quiet = await resolve(deps, GRAPH, { warnOnConflict: false });
  assert.ok(!quiet.warnings.some((w) => w.includes("skipping")));
});

Deno.test("resolveLocks() names what it cannot find, and refuses requirements rebar3 refuses", async () => {
  await assert.rejects(
    () => resolve([{ app: "c", pkg: "c", requirement: "~> 9.0" }], GRAPH),
    (e: unknown) =>
      e instanceof ProjectError && /package c ~> 9\.0, required by rebar\.config/.test(e.message) &&
      /1\.0\.0, 1\.5\.0, 2\.0\.0/.test(e.hint ?? ""),
  );
  await assert.rejects(() => resolve([{ app: "zz", pkg: "zz" }], GRAPH), /package zz/);
  await assert.rejects(
    () => resolve([{ app: "c", pkg: "c", requirement: ">= 1.0.0 and < 2.0.0" }], GRAPH),
    /requirement rebar3 cannot read/,
  );
});

Deno.test("resolveLocks() refuses dependency cycles", async () => {
  const cyclic = {
    x: pkg("x", [rel("1.0.0", [dep("y", "~> 1.0")])]),
    y: pkg("y", [rel("1.0.0", [dep("x", "~> 1.0")])]),
  };
  await assert.rejects(() => resolve([{ app: "x", pkg: "x" }], cyclic), /cycle: x, y/);
});
