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

Deno.test("validatePackage() reports errors hex.pm would refuse", () => {
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
    "error:links.Docs",
    "error:build_tools",
    "error:files",
    "error:requirements.a",
    "error:requirements.b",
  ]);
  assert.ok(ps.every((p) => p.hint), "every problem has a hint");
  assert.equal(ps[1].where?.line, 3, "version points at vsn");
});

Deno.test("validatePackage() refuses build metadata in the version", () => {
  const [p] = validatePackage(meta({ version: "1.4.0+build.2.refabc" }), ctx());
  assert.equal(p.field, "version");
  assert.match(p.message, /build metadata/);
});

Deno.test("validatePackage() is strict on hexpm and lenient on other repositories", () => {
  const m = meta({ description: "", licenses: ["apache 2"] });
  assert.deepEqual(fields(validatePackage(m, ctx())), ["error:description", "error:licenses"]);
  assert.deepEqual(fields(validatePackage(m, ctx({ repo: "hexpm:acme" }))), [
    "warning:description",
    "warning:licenses",
  ]);
  assert.match(validatePackage(m, ctx())[1].hint!, /did you mean "Apache-2\.0"/);
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
