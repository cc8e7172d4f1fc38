import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError } from "../../src/hex/api_errors.ts";
import {
  type AuditEntry,
  buildOrgAuditRequest,
  buildUserAuditRequest,
  describeAudit,
  parseAuditResponse,
} from "../../src/hex/audit.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const ACME = { apiUrl: "https://hex.pm/api/", repo: "acme" };
const KEY = "0123456789abcdef0123456789abcdef";
const call = { userAgent: UA, credential: { kind: "key" as const, secret: KEY } };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

Deno.test("audit builders: GET /users/me/audit-logs and /orgs/ORG/audit-logs with ?page", () => {
  const cases: [Request, string][] = [
    [buildUserAuditRequest(HEXPM, {}, call), "https://hex.pm/api/users/me/audit-logs?page=1"],
    [
      buildUserAuditRequest(HEXPM, { page: 3 }, call),
      "https://hex.pm/api/users/me/audit-logs?page=3",
    ],
    // The user's log stays the user's even against hexpm:acme.
    [
      buildUserAuditRequest(ACME, { page: 2 }, call),
      "https://hex.pm/api/users/me/audit-logs?page=2",
    ],
    [
      buildOrgAuditRequest(HEXPM, "acme", {}, call),
      "https://hex.pm/api/orgs/acme/audit-logs?page=1",
    ],
    [
      buildOrgAuditRequest(ACME, "other", { page: 4 }, call),
      "https://hex.pm/api/orgs/other/audit-logs?page=4",
    ],
    [
      buildOrgAuditRequest(HEXPM, "a/b", { page: 1 }, call),
      "https://hex.pm/api/orgs/a%2Fb/audit-logs?page=1",
    ],
  ];
  for (const [req, url] of cases) {
    assert.equal(req.method, "GET");
    assert.equal(req.url, url);
    assert.equal(req.headers.get("user-agent"), UA);
    assert.ok(req.headers.get("authorization"), "credential sent");
    assert.equal(req.body, null);
  }
});

Deno.test("audit builders refuse bad pages and org names", () => {
  for (const page of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => buildUserAuditRequest(HEXPM, { page }, call), UsageError);
    assert.throws(() => buildOrgAuditRequest(HEXPM, "acme", { page }, call), UsageError);
  }
  for (const org of ["", ".", ".."]) {
    assert.throws(() => buildOrgAuditRequest(HEXPM, org, {}, call), UsageError);
  }
});

Deno.test("parseAuditResponse decodes entries", async () => {
  const req = buildUserAuditRequest(HEXPM, {}, call);
  const entries = await parseAuditResponse(
    json(200, [
      {
        action: "key.generate",
        params: { key: { name: "ci", permissions: [{ domain: "api", resource: "read" }] } },
        user_agent: UA,
        inserted_at: "2026-09-01T10:00:00Z",
      },
      { action: "user.update", params: null, user_agent: null, inserted_at: null },
      { action: "security.update" },
    ]),
    req,
  );
  assert.deepEqual(entries, [
    {
      action: "key.generate",
      params: { key: { name: "ci", permissions: [{ domain: "api", resource: "read" }] } },
      userAgent: UA,
      insertedAt: "2026-09-01T10:00:00Z",
    },
    { action: "user.update", params: {}, userAgent: undefined, insertedAt: undefined },
    { action: "security.update", params: {}, userAgent: undefined, insertedAt: undefined },
  ]);
  assert.deepEqual(await parseAuditResponse(json(200, []), req), []);
});

Deno.test("parseAuditResponse refuses other statuses and malformed bodies", async () => {
  const req = buildOrgAuditRequest(HEXPM, "acme", {}, call);
  const cases: [Response, number, RegExp][] = [
    [json(401, { status: 401, message: "invalid API key" }), 401, /invalid API key/],
    [json(403, { status: 403, message: "account not authorized" }), 403, /not authorized/],
    [json(404, { status: 404, message: "Page not found" }), 404, /not found/],
    [new Response(null, { status: 204 }), 204, /./],
    [json(201, []), 201, /./],
    [json(500, { status: 500, message: "oops" }), 500, /oops/],
    [json(200, { action: "x" }), 200, /expected the body to be a list/],
    [json(200, [{ params: {} }]), 200, /"action"/],
    [json(200, [{ action: "x", params: [1] }]), 200, /"params"/],
    [json(200, [{ action: "x", user_agent: 5 }]), 200, /"user_agent"/],
    [new Response("<html>", { status: 200 }), 200, /not JSON/],
  ];
  for (const [res, status, pattern] of cases) {
    await assert.rejects(parseAuditResponse(res, req), (e: unknown) => {
      assert.ok(e instanceof HexApiError, `${e}`);
      assert.equal(e.status, status);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes(KEY));
      return true;
    });
  }
});

Deno.test("describeAudit gives one readable line per action", () => {
  const pkg = { name: "foo", repository: { name: "hexpm" } };
  const cases: [AuditEntry, string][] = [
    [{ action: "key.generate", params: { key: { name: "ci" } } }, 'created key "ci"'],
    [{ action: "key.remove", params: { key: { name: "old" } } }, 'revoked key "old"'],
    [
      {
        action: "release.publish",
        params: { package: { name: "foo" }, release: { version: "1.2.0" } },
      },
      "published foo 1.2.0",
    ],
    [
      {
        action: "release.publish",
        params: {
          package: { name: "bar", repository: { name: "acme" } },
          release: { version: "0.1.0" },
        },
      },
      "published acme/bar 0.1.0",
    ],
    [
      { action: "release.revert", params: { package: pkg, release: { version: "1.0.0" } } },
      "reverted foo 1.0.0",
    ],
    [
      { action: "release.retire", params: { package: pkg, release: { version: "1.0.0" } } },
      "retired foo 1.0.0",
    ],
    [
      { action: "docs.publish", params: { package: pkg, release: { version: "1.0.0" } } },
      "published docs for foo 1.0.0",
    ],
    [
      {
        action: "owner.add",
        params: { package: pkg, level: "maintainer", user: { username: "bob" } },
      },
      "added bob as maintainer of foo",
    ],
    [
      { action: "owner.remove", params: { package: pkg, user: { username: "bob" } } },
      "removed bob as owner of foo",
    ],
    [
      { action: "owner.transfer", params: { package: pkg, user: { username: "carol" } } },
      "transferred foo to carol",
    ],
    [
      { action: "email.add", params: { email: { email: "a@example.com" } } },
      "added email a@example.com",
    ],
    [
      {
        action: "organization.member.add",
        params: { organization: { name: "acme" }, user: { username: "bob" }, role: "read" },
      },
      "added bob to acme as read",
    ],
    [
      {
        action: "organization.member.remove",
        params: { organization: { name: "acme" }, user: { username: "bob" } },
      },
      "removed bob from acme",
    ],
    [{ action: "password.update", params: {} }, "changed the password"],
    [{ action: "user.update", params: { user: { username: "alice" } } }, "updated the profile"],
    // Unknown actions, and known ones without the expected details: action + compact params.
    [
      { action: "billing.checkout", params: { plan: "org-monthly" } },
      'billing.checkout {"plan":"org-monthly"}',
    ],
    [{ action: "something.new", params: {} }, "something.new"],
    [{ action: "key.generate", params: {} }, "key.generate"],
    [
      { action: "release.publish", params: { release: { version: "1.0.0" } } },
      'release.publish {"release":{"version":"1.0.0"}}',
    ],
    // Server text cannot drive the terminal.
    [{ action: "key.generate", params: { key: { name: "a\u001b[2Jb" } } }, 'created key "a?[2Jb"'],
    [{ action: "evil\u001b]0;x\u0007", params: {} }, "evil?]0;x?"],
  ];
  for (const [entry, want] of cases) assert.equal(describeAudit(entry), want, entry.action);
});

Deno.test("describeAudit cuts long params", () => {
  const line = describeAudit({ action: "x.y", params: { blob: "z".repeat(500) } });
  assert.ok(line.startsWith('x.y {"blob":"zzz'));
  assert.ok(line.endsWith("…"));
  assert.equal(line.length, "x.y ".length + 200);
});
