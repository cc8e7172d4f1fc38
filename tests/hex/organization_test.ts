import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError } from "../../src/hex/api_errors.ts";
import {
  buildGetOrgRequest,
  buildListOrgsRequest,
  parseGetOrgResponse,
  parseListOrgsResponse,
} from "../../src/hex/organization.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const KEY = "0123456789abcdef0123456789abcdef";
const call = { userAgent: UA, credential: { kind: "key" as const, secret: KEY } };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

Deno.test("buildListOrgsRequest() is GET /orgs", () => {
  const req = buildListOrgsRequest({ apiUrl: "https://hex.pm/api", repo: "acme" }, call);
  assert.equal(req.method, "GET");
  assert.equal(req.url, "https://hex.pm/api/orgs");
  assert.equal(req.headers.get("authorization"), KEY);
});

Deno.test("parseListOrgsResponse() reads the organizations", async () => {
  const orgs = await parseListOrgsResponse(json(200, [
    {
      name: "acme",
      billing_active: true,
      inserted_at: "2020-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    },
    { name: "wonder", billing_active: false },
  ]));
  assert.deepEqual(orgs, [
    {
      name: "acme",
      billingActive: true,
      seats: undefined,
      insertedAt: "2020-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z",
    },
    {
      name: "wonder",
      billingActive: false,
      seats: undefined,
      insertedAt: undefined,
      updatedAt: undefined,
    },
  ]);
});

Deno.test("buildGetOrgRequest() is GET /orgs/ORG and refuses bad names", () => {
  assert.equal(buildGetOrgRequest(HEXPM, "acme", call).url, "https://hex.pm/api/orgs/acme");
  assert.throws(() => buildGetOrgRequest(HEXPM, "..", call), UsageError);
});

Deno.test("parseGetOrgResponse() reads seats and reports 404 and unexpected statuses", async () => {
  const org = await parseGetOrgResponse(
    json(200, { name: "acme", billing_active: true, seats: 5 }),
  );
  assert.equal(org.seats, 5);
  const req = buildGetOrgRequest(HEXPM, "secret_org", call);
  await assert.rejects(
    () => parseGetOrgResponse(json(404, { status: 404, message: "Page not found" }), req),
    (e: unknown) =>
      e instanceof HexApiError &&
      e.message === "GET /api/orgs/secret_org failed: 404 Page not found",
  );
  await assert.rejects(
    () => parseGetOrgResponse(new Response(null, { status: 204 }), req),
    /unexpected 204 response/,
  );
  await assert.rejects(
    () => parseGetOrgResponse(json(200, { name: "acme", seats: "5" }), req),
    /expected "seats" to be a number/,
  );
});
