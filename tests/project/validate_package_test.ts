import { strict as assert } from "node:assert";
import type { PackageMeta } from "../../src/project/package_metadata.ts";
import { validatePackage, type ValidationContext } from "../../src/project/validate_package.ts";

const meta = (extra: Partial<PackageMeta> = {}): PackageMeta => ({
  name: "good_pkg",
  version: "1.2.3",
  app: "good_pkg",
  description: "Does a thing",
  files: ["src", "src/good_pkg.erl"],
  licenses: ["Apache-2.0"],
  links: [["GitHub", "https://github.com/x/y"]],
  buildTools: ["rebar3"],
  requirements: [{ name: "cowboy", app: "cowboy", requirement: "~> 2.9", optional: false }],
  ...extra,
});
const ctx = (extra: Partial<ValidationContext> = {}): ValidationContext => ({
  repo: "hexpm",
  whereOf: (key) => ({ file: "src/good_pkg.app.src", line: key.length }),
  appSrcKeys: new Set(["vsn", "description"]),
  lock: [],
  ...extra,
});
const fields = (ps: { level: string; field: string }[]) => ps.map((p) => `${p.level}:${p.field}`);

Deno.test("validatePackage() accepts a good package", () => {
  assert.deepEqual(validatePackage(meta(), ctx()), []);
});

Deno.test("validatePackage() reports what makes a package invalid anywhere as errors", () => {
  const ps = validatePackage(
    meta({
      name: "Bad-Name",
      version: "1.0",
      links: [["Docs", "ftp://x"]],
      buildTools: [],
      files: [],
      requirements: [
        { name: "a", app: "a", requirement: "~> nope", optional: false },
        { name: "b", app: "b", requirement: "!= 1.0.0", optional: false },
      ],
    }),
    ctx(),
  );
  assert.deepEqual(fields(ps), [
    "error:name",
    "error:version",
    "warning:links.Docs",
    "error:build_tools",
    "error:files",
    "error:requirements.a",
    "error:requirements.b",
  ]);
  assert.ok(ps.every((p) => p.hint), "every problem has a hint");
  assert.equal(ps[1].where?.line, 3, "version points at vsn");
  assert.equal(ps[2].refusedBy, "hexpm", "a bad link is hex.pm's rule, refused at publish");
  assert.equal(ps[0].refusedBy, undefined);
});

Deno.test("validatePackage() refuses build metadata in the version", () => {
  const [p] = validatePackage(meta({ version: "1.4.0+build.2.refabc" }), ctx());
  assert.equal(p.field, "version");
  assert.match(p.message, /build metadata/);
});

Deno.test("validatePackage() marks hex.pm's rules as warnings the target repository refuses", () => {
  const m = meta({ description: "", licenses: ["apache 2"], links: [["Home", "ftp://x"]] });
  const refused = (repo: string) =>
    validatePackage(m, ctx({ repo })).map((p) => `${p.level}:${p.field}:${p.refusedBy ?? "-"}`);
  // Public hex.pm requires a description and SPDX licences, and checks links.
  assert.deepEqual(refused("hexpm"), [
    "warning:description:hexpm",
    "warning:licenses:hexpm",
    "warning:links.Home:hexpm",
  ]);
  // Its organizations check only links; local and self-hosted repositories nothing.
  assert.deepEqual(refused("hexpm:acme"), [
    "warning:description:-",
    "warning:licenses:-",
    "warning:links.Home:hexpm:acme",
  ]);
  assert.deepEqual(refused("local"), [
    "warning:description:-",
    "warning:licenses:-",
    "warning:links.Home:-",
  ]);
  const [desc, lic] = validatePackage(m, ctx());
  assert.match(desc.message, /^hex\.pm will refuse this release: missing or empty description/);
  assert.match(lic.hint!, /did you mean "Apache-2\.0"/);
  const [, local] = validatePackage(m, ctx({ repo: "local" }));
  assert.match(local.message, /"apache 2" \(public hex\.pm would refuse it\)$/);
});

Deno.test("validatePackage(): no licences and a reserved name are hex.pm's rules too", () => {
  const m = meta({ name: "http", licenses: [] });
  const out = (repo: string) =>
    validatePackage(m, ctx({ repo })).map((p) => `${p.level}:${p.field}:${p.refusedBy ?? "-"}`);
  assert.deepEqual(out("hexpm"), ["warning:name:hexpm", "warning:licenses:hexpm"]);
  assert.deepEqual(out("hexpm:acme"), ["warning:name:hexpm:acme", "warning:licenses:-"]);
  assert.deepEqual(out("mine"), ["warning:name:-", "warning:licenses:-"]);
  // A malformed name is no package name anywhere.
  assert.deepEqual(fields(validatePackage(meta({ name: "Http" }), ctx({ repo: "mine" }))), [
    "error:name",
  ]);
});

Deno.test("validatePackage() warns about long descriptions, no licences, deprecated keys, pre-releases", () => {
  const ps = validatePackage(
    meta({ description: "x".repeat(301), licenses: [] }),
    ctx({
      appSrcKeys: new Set(["maintainers", "contributors"]),
      lock: [{ app: "ranch", level: 1, type: "pkg", pkg: "ranch", version: "2.0.0-rc.1" }],
    }),
  );
  assert.deepEqual(fields(ps), [
    "warning:description",
    "warning:licenses",
    "warning:maintainers",
    "warning:contributors",
    "warning:requirements",
  ]);
  assert.match(ps[4].message, /ranch 2\.0\.0-rc\.1/);
});
