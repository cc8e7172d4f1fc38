import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import type { Permission } from "../../src/hex/permissions.ts";
import {
  describePermission,
  describePermissions,
  missingScopeHint,
  parseDuration,
  parseExpiry,
  parseScopes,
  purposePermissions,
  SCOPE_FORMS,
  scopeAllows,
  type ScopeNeed,
  scopesFor,
  splitScopeString,
} from "../../src/hex/scopes.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-09-01T12:00:00Z");

function usage(fn: () => unknown, ...patterns: RegExp[]): UsageError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError, got ${caught}`);
  const text = `${caught.message}\n${caught.hint ?? ""}`;
  for (const p of patterns) assert.match(text, p);
  return caught;
}

Deno.test("describePermission puts every domain in plain words", () => {
  const cases: [Permission, string][] = [
    [{ domain: "api" }, "read and write the whole API (publish, manage keys and owners)"],
    [{ domain: "api", resource: "read" }, "read the API (no changes)"],
    [{ domain: "api", resource: "write" }, "read and write the API"],
    [{ domain: "repositories" }, "fetch packages from every organization you can access"],
    [{ domain: "repository", resource: "acme" }, "fetch packages from organization acme"],
    [
      { domain: "package", resource: "hexpm/foo" },
      "publish and manage package foo (in hexpm) only",
    ],
    [{ domain: "package", resource: "acme/bar" }, "publish and manage package bar (in acme) only"],
    [{ domain: "package", resource: "baz" }, "publish and manage package baz (in hexpm) only"],
    [{ domain: "docs", resource: "acme" }, "read the private docs of organization acme"],
    [{ domain: "api", resource: "admin" }, "api:admin (a permission hexpub does not know)"],
    [{ domain: "future", resource: "x" }, "future:x (a permission hexpub does not know)"],
    [{ domain: "repository" }, "repository (a permission hexpub does not know)"],
  ];
  for (const [p, want] of cases) assert.equal(describePermission(p), want, JSON.stringify(p));
});

Deno.test("describePermissions joins, and names an empty list", () => {
  assert.equal(describePermissions([]), "no permissions");
  assert.equal(
    describePermissions([{ domain: "api", resource: "read" }, {
      domain: "repository",
      resource: "acme",
    }]),
    "read the API (no changes); fetch packages from organization acme",
  );
});

Deno.test("purposePermissions picks the narrowest set", () => {
  const cases: [string, string | undefined, string, Permission[]][] = [
    ["ci-publish", "foo", "hexpm", [{ domain: "package", resource: "hexpm/foo" }]],
    ["ci-publish", "bar", "acme", [{ domain: "package", resource: "acme/bar" }]],
    ["ci-fetch-private", "acme", "hexpm", [{ domain: "repository", resource: "acme" }]],
    ["read-only", undefined, "hexpm", [{ domain: "api", resource: "read" }]],
    ["read-only", "", "hexpm", [{ domain: "api", resource: "read" }]],
  ];
  for (const [purpose, arg, repo, want] of cases) {
    assert.deepEqual(purposePermissions(purpose, arg, repo), want, `${purpose} ${arg}`);
  }
});

Deno.test("purposePermissions refuses unknown purposes and wrong arguments, listing them", () => {
  const list = /ci-publish PACKAGE, ci-fetch-private ORG, read-only/;
  const cases: [string, string | undefined, RegExp][] = [
    ["deploy", undefined, /unknown purpose "deploy"/],
    ["ci-publish", undefined, /ci-publish needs PACKAGE/],
    ["ci-fetch-private", "  ", /ci-fetch-private needs ORG/],
    ["read-only", "foo", /read-only takes no argument/],
    ["ci-publish", "Foo-Bar", /invalid PACKAGE for ci-publish/],
    ["ci-fetch-private", "Acme!", /invalid ORG for ci-fetch-private/],
  ];
  for (const [purpose, arg, pattern] of cases) {
    usage(() => purposePermissions(purpose, arg, "hexpm"), pattern, list);
  }
});

Deno.test("parseDuration reads hours, days and weeks, at least 1", () => {
  const cases: [string, number][] = [
    ["1h", 3_600_000],
    ["1d", DAY],
    ["90d", 90 * DAY],
    ["2w", 14 * DAY],
    [" 3d ", 3 * DAY],
  ];
  for (const [text, want] of cases) assert.equal(parseDuration(text), want, text);
  for (
    const bad of ["0d", "0h", "", "d", "90", "1.5d", "-1d", "1m", "1y", "1D", "99999999999999999w"]
  ) {
    usage(() => parseDuration(bad), /--stale/, /12h, 90d, 4w/);
  }
  usage(() => parseDuration("x", "--older-than"), /--older-than/);
});

Deno.test("parseExpiry: durations from now and future ISO dates", () => {
  const cases: [string, string][] = [
    ["1d", "2026-09-02T12:00:00.000Z"],
    ["30d", "2026-10-01T12:00:00.000Z"],
    ["12h", "2026-09-02T00:00:00.000Z"],
    ["1w", "2026-09-08T12:00:00.000Z"],
    ["2026-09-02", "2026-09-02T00:00:00.000Z"],
    ["2027-01-31", "2027-01-31T00:00:00.000Z"],
    ["2026-09-01T12:00:01Z", "2026-09-01T12:00:01.000Z"],
    ["2026-09-01T13:00", "2026-09-01T13:00:00.000Z"],
    ["2026-09-01T15:00:00+02:00", "2026-09-01T13:00:00.000Z"],
    ["2026-09-01t12:30:00.250z", "2026-09-01T12:30:00.250Z"],
    ["2028-02-29", "2028-02-29T00:00:00.000Z"],
  ];
  for (const [text, want] of cases) {
    assert.equal(parseExpiry(text, NOW).toISOString(), want, text);
  }
});

Deno.test("parseExpiry refuses zero, the past, now and malformed text, naming --expires", () => {
  const cases: [string, RegExp][] = [
    ["0d", /at least 1/],
    ["0h", /at least 1/],
    ["2026-09-01", /not in the future/],
    ["2026-09-01T12:00:00Z", /not in the future/],
    ["2020-01-01", /not in the future/],
    ["2026-09-01T14:00:00+02:00", /not in the future/],
    ["2027-02-30", /expected a duration or an ISO 8601 date/],
    ["2027-13-01", /expected a duration or an ISO 8601 date/],
    ["2027-01-01T24:00:00Z", /expected a duration or an ISO 8601 date/],
    ["tomorrow", /expected a duration or an ISO 8601 date/],
    ["", /expected a duration or an ISO 8601 date/],
    ["30 days", /expected a duration or an ISO 8601 date/],
    ["-1d", /expected a duration or an ISO 8601 date/],
    ["01/02/2027", /expected a duration or an ISO 8601 date/],
  ];
  for (const [text, pattern] of cases) {
    usage(() => parseExpiry(text, NOW), /^invalid --expires/, pattern, /30d/, /2027-01-31/);
  }
});

Deno.test("parseScopes canonicalizes, splits and deduplicates; refuses bad and empty", () => {
  assert.deepEqual(parseScopes(["api", "repositories"]), ["api", "repositories"]);
  assert.deepEqual(parseScopes(["api:read repository:acme", "package:foo,api:read"]), [
    "api:read",
    "repository:acme",
    "package:hexpm/foo",
  ]);
  usage(() => parseScopes(["api:admin"]), /invalid permission/, /api:write/);
  usage(() => parseScopes([]), /--scope needs at least one scope/, /repository:ORG/);
  usage(() => parseScopes(["  "]), /--scope needs at least one scope/);
  assert.ok(SCOPE_FORMS.includes("package:REPO/NAME"));
  assert.deepEqual(splitScopeString(" api:read  repository:acme "), [
    "api:read",
    "repository:acme",
  ]);
  assert.deepEqual(splitScopeString(""), []);
});

Deno.test("scopeAllows follows hex.pm's containment rules", () => {
  const read: ScopeNeed = { action: "read" };
  const write: ScopeNeed = { action: "write" };
  const writeFoo: ScopeNeed = { action: "write", pkg: "hexpm/foo" };
  const writeFooShort: ScopeNeed = { action: "write", pkg: "foo" };
  const fetchAcme: ScopeNeed = { action: "fetch", org: "acme" };
  const docsAcme: ScopeNeed = { action: "docs", org: "acme" };
  const cases: [string[], ScopeNeed, boolean][] = [
    [["api"], read, true],
    [["api"], write, true],
    [["api"], writeFoo, true],
    [["api:write"], read, true],
    [["api:write"], writeFoo, true],
    [["api:read"], read, true],
    [["api:read"], write, false],
    [["api:read"], writeFoo, false],
    [["package:hexpm/foo"], writeFoo, true],
    [["package:foo"], writeFooShort, true],
    [["package:hexpm/foo"], { action: "write", pkg: "hexpm/bar" }, false],
    [["package:hexpm/foo"], { action: "write", pkg: "acme/foo" }, false],
    [["package:hexpm/foo"], write, false],
    [["package:hexpm/foo"], read, true],
    [["repositories"], fetchAcme, true],
    [["repository:acme"], fetchAcme, true],
    [["repository:other"], fetchAcme, false],
    [["api"], fetchAcme, false],
    [["repositories"], read, false],
    [["docs:acme"], docsAcme, true],
    [["repository:acme"], docsAcme, false],
    [["docs:other"], docsAcme, false],
    [[], read, false],
    [["garbage", "api:admin"], read, false],
    [["garbage", "api:read"], read, true],
    [["repository:acme", "package:hexpm/foo"], writeFoo, true],
  ];
  for (const [granted, need, want] of cases) {
    assert.equal(
      scopeAllows(granted, need),
      want,
      `${granted.join(" ")} ⊇ ${JSON.stringify(need)}`,
    );
  }
});

Deno.test("scopesFor and missingScopeHint name the scope to request", () => {
  const cases: [ScopeNeed, string[], string][] = [
    [{ action: "read" }, ["api:read"], "hexpub user auth --scope api:read"],
    [{ action: "write" }, ["api:write"], "hexpub user auth --scope api:write"],
    [
      { action: "write", pkg: "foo" },
      ["package:hexpm/foo", "api:write"],
      "hexpub user auth --scope package:hexpm/foo (or --scope api:write for every package)",
    ],
    [
      { action: "fetch", org: "acme" },
      ["repository:acme", "repositories"],
      "hexpub user auth --scope repository:acme (or --scope repositories for every organization)",
    ],
    [{ action: "docs", org: "acme" }, ["docs:acme"], "hexpub user auth --scope docs:acme"],
  ];
  for (const [need, scopes, hint] of cases) {
    assert.deepEqual(scopesFor(need), scopes);
    const text = missingScopeHint(need);
    assert.ok(text.endsWith(hint), text);
    // Every suggested scope does satisfy the need.
    for (const s of scopes) assert.ok(scopeAllows([s], need), s);
  }
});
