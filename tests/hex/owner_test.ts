import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError } from "../../src/hex/api_errors.ts";
import {
  buildAddOwnerRequest,
  buildListOwnersRequest,
  buildRemoveOwnerRequest,
  checkLevel,
  OWNER_LEVELS,
  type OwnerLevel,
  parseAddOwnerResponse,
  parseListOwnersResponse,
  parseRemoveOwnerResponse,
} from "../../src/hex/owner.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const ACME = { apiUrl: "https://hex.pm/api", repo: "acme" };
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyOmFsaWNlIn0.c2lnbmF0dXJl";
const call = { userAgent: UA, credential: { kind: "oauth" as const, accessToken: TOKEN } };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

Deno.test("owner builders address /packages/PKG/owners[/USER], repository-scoped", () => {
  const cases: [Request, string, string][] = [
    [
      buildListOwnersRequest(HEXPM, "rabbit_hole", call),
      "GET",
      "https://hex.pm/api/packages/rabbit_hole/owners",
    ],
    [
      buildListOwnersRequest(ACME, "rabbit_hole", call),
      "GET",
      "https://hex.pm/api/repos/acme/packages/rabbit_hole/owners",
    ],
    [
      buildAddOwnerRequest(HEXPM, "rabbit_hole", "bob", { level: "maintainer" }, call),
      "PUT",
      "https://hex.pm/api/packages/rabbit_hole/owners/bob",
    ],
    [
      buildAddOwnerRequest(ACME, "rabbit_hole", "bob@example.com", { level: "full" }, call),
      "PUT",
      "https://hex.pm/api/repos/acme/packages/rabbit_hole/owners/bob%40example.com",
    ],
    [
      buildRemoveOwnerRequest(HEXPM, "rabbit_hole", "bob", call),
      "DELETE",
      "https://hex.pm/api/packages/rabbit_hole/owners/bob",
    ],
    [
      buildRemoveOwnerRequest(ACME, "rabbit_hole", "bob", call),
      "DELETE",
      "https://hex.pm/api/repos/acme/packages/rabbit_hole/owners/bob",
    ],
  ];
  for (const [req, method, url] of cases) {
    assert.equal(req.method, method, url);
    assert.equal(req.url, url);
    assert.equal(req.headers.get("authorization"), `Bearer ${TOKEN}`);
    assert.equal(req.headers.get("accept"), "application/json");
    assert.equal(req.headers.get("user-agent"), UA);
    assert.equal(req.redirect, "manual");
  }
});

Deno.test("buildListOwnersRequest() needs no credential", () => {
  const req = buildListOwnersRequest(HEXPM, "rabbit_hole", { userAgent: UA });
  assert.equal(req.headers.has("authorization"), false);
});

Deno.test("buildAddOwnerRequest() sends the level, and transfer only when true", async () => {
  const add = buildAddOwnerRequest(HEXPM, "rabbit_hole", "bob", { level: "maintainer" }, {
    ...call,
    otp: "123456",
  });
  assert.equal(add.headers.get("content-type"), "application/json");
  assert.equal(add.headers.get("x-hex-otp"), "123456");
  assert.deepEqual(await add.json(), { level: "maintainer" });
  const notTransfer = buildAddOwnerRequest(HEXPM, "rabbit_hole", "bob", {
    level: "full",
    transfer: false,
  }, call);
  assert.equal(await notTransfer.text(), '{"level":"full"}');
  const transfer = buildAddOwnerRequest(HEXPM, "rabbit_hole", "acme", {
    level: "full",
    transfer: true,
  }, call);
  // hex.pm requires a JSON boolean, not the string "true".
  assert.equal(await transfer.text(), '{"level":"full","transfer":true}');
});

Deno.test("buildAddOwnerRequest() refuses an unknown level and a maintainer transfer", () => {
  assert.throws(
    () => buildAddOwnerRequest(HEXPM, "rabbit_hole", "bob", { level: "admin" as OwnerLevel }, call),
    UsageError,
  );
  assert.throws(
    () =>
      buildAddOwnerRequest(
        HEXPM,
        "rabbit_hole",
        "bob",
        { level: "maintainer", transfer: true },
        call,
      ),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "a transfer gives full ownership: it cannot be at maintainer level",
  );
  assert.throws(
    () => buildAddOwnerRequest(HEXPM, "rabbit_hole", "..", { level: "full" }, call),
    UsageError,
  );
  assert.throws(() => buildRemoveOwnerRequest(HEXPM, "", "bob", call), UsageError);
});

Deno.test("checkLevel() accepts full and maintainer only", () => {
  assert.deepEqual([...OWNER_LEVELS], ["full", "maintainer"]);
  assert.equal(checkLevel("full"), "full");
  assert.equal(checkLevel("maintainer"), "maintainer");
  for (const level of ["admin", "Full", "", "owner"]) {
    assert.throws(
      () => checkLevel(level),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === 2 &&
        e.message ===
          `unknown ownership level ${JSON.stringify(level)}: expected one of full, maintainer`,
    );
  }
});

Deno.test("parseListOwnersResponse() reads owners and their levels", async () => {
  const owners = await parseListOwnersResponse(json(200, [
    {
      username: "alice",
      email: "alice@example.com",
      full_name: "Alice Liddell",
      level: "full",
      url: "https://hex.pm/api/users/alice",
      inserted_at: "2020-01-01T00:00:00Z",
    },
    { username: "bob", email: null, level: "maintainer" },
    { username: "carol" },
  ]));
  assert.deepEqual(owners, [
    {
      username: "alice",
      email: "alice@example.com",
      level: "full",
      url: "https://hex.pm/api/users/alice",
    },
    { username: "bob", email: undefined, level: "maintainer", url: undefined },
    { username: "carol", email: undefined, level: "full", url: undefined },
  ]);
});

Deno.test("parseListOwnersResponse() refuses malformed bodies and reports 404", async () => {
  const req = buildListOwnersRequest(HEXPM, "nothing_here", call);
  await assert.rejects(
    () => parseListOwnersResponse(json(200, { owners: [] }), req),
    /expected the body to be a list/,
  );
  await assert.rejects(
    () => parseListOwnersResponse(json(200, [{ username: "x", level: "admin" }]), req),
    /invalid response: expected "level" to be one of full, maintainer/,
  );
  await assert.rejects(
    () => parseListOwnersResponse(json(404, { status: 404, message: "Page not found" }), req),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 404 &&
      e.message === "GET /api/packages/nothing_here/owners failed: 404 Page not found",
  );
});

Deno.test("owner write parsers expect 204", async () => {
  assert.equal(await parseAddOwnerResponse(new Response(null, { status: 204 })), undefined);
  assert.equal(await parseRemoveOwnerResponse(new Response(null, { status: 204 })), undefined);
  for (const parse of [parseAddOwnerResponse, parseRemoveOwnerResponse]) {
    for (const status of [200, 201, 202]) {
      await assert.rejects(
        () => parse(new Response("{}", { status })),
        (e: unknown) => e instanceof HexApiError && e.status === status,
      );
    }
  }
});

Deno.test("owner write parsers render the server's 422 and never echo the token", async () => {
  const req = buildRemoveOwnerRequest(HEXPM, "rabbit_hole", "alice", { ...call, otp: "246810" });
  const err = await parseRemoveOwnerResponse(
    json(422, {
      status: 422,
      message: "Validation error(s)",
      errors: `cannot remove last owner of package (token ${TOKEN}, code 246810)`,
    }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.status, 422);
  assert.match(err.message, /^DELETE \/api\/packages\/rabbit_hole\/owners\/alice failed: 422/);
  assert.match(err.message, /cannot remove last owner of package/);
  const everything = [err.message, err.serverMessage, err.hint, JSON.stringify(err.errors)].join();
  assert.ok(!everything.includes(TOKEN));
  assert.ok(!everything.includes("246810"));

  const add = buildAddOwnerRequest(HEXPM, "rabbit_hole", "bob", { level: "maintainer" }, call);
  await assert.rejects(
    () =>
      parseAddOwnerResponse(
        json(422, {
          status: 422,
          message: "Validation error(s)",
          errors: { level: 'ownership level is required to be "full" for organization ownership' },
        }),
        add,
      ),
    (e: unknown) =>
      e instanceof HexApiError &&
      e.message ===
        "PUT /api/packages/rabbit_hole/owners/bob failed: 422 Validation error(s)\n" +
          '  level: ownership level is required to be "full" for organization ownership',
  );
});
