import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  formatPermission,
  parsePermission,
  parsePermissions,
  PERMISSION_FORMS,
} from "../../src/hex/permissions.ts";

Deno.test("parsePermission() reads every form hex.pm defines", () => {
  const cases: [string, { domain: string; resource?: string }][] = [
    ["api", { domain: "api" }],
    ["api:read", { domain: "api", resource: "read" }],
    ["api:write", { domain: "api", resource: "write" }],
    ["repositories", { domain: "repositories" }],
    ["repository:acme", { domain: "repository", resource: "acme" }],
    ["repository:hexpm:acme", { domain: "repository", resource: "acme" }],
    ["package:cowboy", { domain: "package", resource: "hexpm/cowboy" }],
    ["package:acme/secret_lib", { domain: "package", resource: "acme/secret_lib" }],
    ["package:hexpm/jsx", { domain: "package", resource: "hexpm/jsx" }],
    ["docs:acme", { domain: "docs", resource: "acme" }],
    ["  api:read ", { domain: "api", resource: "read" }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parsePermission(text), expected, text);
});

Deno.test("parsePermission() refuses malformed permissions and lists the valid forms", () => {
  const cases: [string, string][] = [
    ["", 'invalid permission "": it is empty'],
    ["admin", 'invalid permission "admin": unknown domain "admin"'],
    ["API", 'invalid permission "API": unknown domain "API"'],
    ["api:admin", 'invalid permission "api:admin": the api permission takes read or write'],
    ["api:", 'invalid permission "api:": the api permission takes read or write'],
    [
      "repositories:acme",
      'invalid permission "repositories:acme": repositories takes no organization ' +
      "(use repository:ORG for one)",
    ],
    ["repository", 'invalid permission "repository": repository needs an organization'],
    ["repository:", 'invalid permission "repository:": the organization name is missing'],
    [
      "repository:Acme",
      'invalid permission "repository:Acme": "Acme" is not an organization name ' +
      "(lowercase letters, digits, _)",
    ],
    ["docs", 'invalid permission "docs": docs needs an organization'],
    ["package", 'invalid permission "package": package needs a package name'],
    ["package:1abc", 'invalid permission "package:1abc": "1abc" is not a package name'],
    ["package:acme/", 'invalid permission "package:acme/": "" is not a package name'],
    ["package:a-b/foo", 'invalid permission "package:a-b/foo": "a-b" is not a repository name'],
    ["package:a/b/c", 'invalid permission "package:a/b/c": "b/c" is not a package name'],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parsePermission(text),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === 2 && e.message === message &&
        e.hint === `Use one of: ${PERMISSION_FORMS.join(", ")}`,
      text,
    );
  }
});

Deno.test("PERMISSION_FORMS lists every accepted form", () => {
  assert.deepEqual(PERMISSION_FORMS, [
    "api",
    "api:read",
    "api:write",
    "repositories",
    "repository:ORG",
    "package:NAME",
    "package:REPO/NAME",
    "docs:ORG",
  ]);
});

Deno.test("formatPermission() is the inverse of parsePermission()", () => {
  for (
    const text of [
      "api",
      "api:read",
      "api:write",
      "repositories",
      "repository:acme",
      "package:hexpm/cowboy",
      "docs:acme",
    ]
  ) {
    assert.equal(formatPermission(parsePermission(text)), text);
  }
  assert.equal(formatPermission({ domain: "api", resource: "" }), "api");
});

Deno.test("parsePermissions() parses in order and drops duplicates", () => {
  assert.deepEqual(parsePermissions(["api:read", "package:foo", "api:read", "package:hexpm/foo"]), [
    { domain: "api", resource: "read" },
    { domain: "package", resource: "hexpm/foo" },
  ]);
  assert.throws(() => parsePermissions(["api", "nope"]), UsageError);
});
