import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError, TotpRequiredError } from "../../src/hex/api_errors.ts";
import {
  buildGetReleaseRequest,
  buildPublishDocsRequest,
  buildPublishRequest,
  buildRetireAllRequest,
  buildRetireRequest,
  buildRevertDocsRequest,
  buildRevertReleaseRequest,
  buildUnretireRequest,
  EditWindowError,
  parseGetReleaseResponse,
  parsePublishDocsResponse,
  parsePublishResponse,
  parseRetireAllResponse,
  parseRetireResponse,
  parseRevertDocsResponse,
  parseRevertReleaseResponse,
  parseUnretireResponse,
  ReleaseExistsError,
} from "../../src/hex/release.ts";
import { checkRetirement, RETIRE_REASONS } from "../../src/rules/retirement.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const ACME = { apiUrl: "https://hex.pm/api", repo: "acme" };
const KEY = "0123456789abcdef0123456789abcdef";
const call = { userAgent: UA, credential: { kind: "key" as const, secret: KEY } };
const TARBALL = new Uint8Array([0x43, 0x48, 0x45, 0x43, 0x4b, 0x53, 0x55, 0x4d, 1, 2, 3]);

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** A Release as hexpm's ReleaseView renders it (hexpm `lib/hexpm_web/views/api/`). */
const RELEASE = {
  version: "1.2.0",
  checksum: "a3f1c9e0b2d4e6f8a3f1c9e0b2d4e6f8a3f1c9e0b2d4e6f8a3f1c9e0b2d4e6f8",
  has_docs: true,
  meta: { app: "rabbit_hole", build_tools: ["rebar3"], elixir: null },
  requirements: {
    cowboy: { app: "cowboy", requirement: "~> 2.10", optional: false },
    telemetry: { requirement: ">= 1.0.0 and < 2.0.0", optional: true },
  },
  configs: { "rebar.config": '{deps,[{rabbit_hole,"1.2.0"}]}.' },
  retirement: null,
  publisher: {
    username: "alice",
    email: "alice@example.com",
    url: "https://hex.pm/api/users/alice",
  },
  downloads: 42,
  security_advisories: [],
  inserted_at: "2026-09-01T10:00:00.000000Z",
  updated_at: "2026-09-01T10:00:00.000000Z",
  url: "https://hex.pm/api/packages/rabbit_hole/releases/1.2.0",
  html_url: "https://hex.pm/packages/rabbit_hole/1.2.0",
  docs_html_url: "https://hexdocs.pm/rabbit_hole/1.2.0/",
  package_url: "https://hex.pm/api/packages/rabbit_hole",
};

const DECODED = {
  name: undefined,
  version: "1.2.0",
  checksum: RELEASE.checksum,
  hasDocs: true,
  retirement: undefined,
  requirements: {
    cowboy: { app: "cowboy", requirement: "~> 2.10", optional: false },
    telemetry: { app: undefined, requirement: ">= 1.0.0 and < 2.0.0", optional: true },
  },
  meta: { app: "rabbit_hole", buildTools: ["rebar3"] },
  publisher: { username: "alice" },
  insertedAt: "2026-09-01T10:00:00.000000Z",
  url: "https://hex.pm/api/packages/rabbit_hole/releases/1.2.0",
  htmlUrl: "https://hex.pm/packages/rabbit_hole/1.2.0",
  docsHtmlUrl: "https://hexdocs.pm/rabbit_hole/1.2.0/",
  packageUrl: "https://hex.pm/api/packages/rabbit_hole",
};

function validation(errors: unknown): Response {
  return json(422, { status: 422, message: "Validation error(s)", errors });
}

Deno.test("buildPublishRequest() posts the tarball to /publish, always with replace", async () => {
  const req = buildPublishRequest(HEXPM, TARBALL, { ...call, replace: false });
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/publish?replace=false");
  assert.equal(req.headers.get("content-type"), "application/octet-stream");
  assert.equal(req.headers.get("accept"), "application/json");
  assert.equal(req.headers.get("user-agent"), UA);
  assert.equal(req.headers.get("authorization"), KEY);
  assert.equal(req.headers.has("expect"), false);
  assert.equal(req.redirect, "manual");
  assert.deepEqual(new Uint8Array(await req.arrayBuffer()), TARBALL);

  const replacing = buildPublishRequest(HEXPM, TARBALL, { ...call, replace: true });
  assert.equal(replacing.url, "https://hex.pm/api/publish?replace=true");
  assert.equal(new URL(replacing.url).searchParams.getAll("replace").length, 1);
});

Deno.test("buildPublishRequest() goes under /repos/ORG for an organization and sends the OTP", () => {
  const token = { kind: "oauth" as const, accessToken: "tok-abcdef" };
  const req = buildPublishRequest(ACME, TARBALL, {
    userAgent: UA,
    credential: token,
    otp: "123456",
    replace: false,
  });
  assert.equal(req.url, "https://hex.pm/api/repos/acme/publish?replace=false");
  assert.equal(req.headers.get("authorization"), "Bearer tok-abcdef");
  assert.equal(req.headers.get("x-hex-otp"), "123456");
});

Deno.test("buildPublishRequest() sends replace=false when replace is not strictly true", () => {
  // A caller passing something else than a boolean (from untyped input) never gets the
  // server's default, which is to replace.
  const req = buildPublishRequest(HEXPM, TARBALL, {
    ...call,
    replace: "yes" as unknown as boolean,
  });
  assert.equal(new URL(req.url).searchParams.get("replace"), "false");
});

Deno.test("buildPublishRequest() goes out with a Content-Length, not chunked", async () => {
  const seen: { length: string | null; chunked: string | null; bytes: number }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      seen.push({
        length: req.headers.get("content-length"),
        chunked: req.headers.get("transfer-encoding"),
        bytes: (await req.arrayBuffer()).byteLength,
      });
      return json(201, RELEASE);
    },
  );
  try {
    const big = new Uint8Array(200_000).fill(7);
    const target = { apiUrl: `http://127.0.0.1:${server.addr.port}/api` };
    const req = buildPublishRequest(target, big, { ...call, replace: false });
    const result = await parsePublishResponse(await fetch(req), req);
    assert.equal(result.created, true);
    assert.deepEqual(seen, [{ length: "200000", chunked: null, bytes: 200_000 }]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("parsePublishResponse() tells a new release (201) from a replaced one (200)", async () => {
  const req = buildPublishRequest(HEXPM, TARBALL, { ...call, replace: true });
  const created = await parsePublishResponse(
    json(201, RELEASE, { location: RELEASE.url }),
    req,
  );
  assert.deepEqual(created, { release: DECODED, created: true });
  const replaced = await parsePublishResponse(json(200, RELEASE), req);
  assert.deepEqual(replaced, { release: DECODED, created: false });
});

Deno.test("parsePublishResponse() refuses other statuses and malformed bodies", async () => {
  const req = buildPublishRequest(HEXPM, TARBALL, { ...call, replace: false });
  for (const status of [202, 204, 302]) {
    await assert.rejects(
      () => parsePublishResponse(new Response(null, { status }), req),
      (e: unknown) => e instanceof HexApiError && e.status === status,
    );
  }
  await assert.rejects(
    () => parsePublishResponse(json(201, { version: "1.2.0" }), req),
    /POST \/api\/publish failed: 201 invalid response: expected "checksum" to be a string/,
  );
  await assert.rejects(
    () => parsePublishResponse(new Response("<html>", { status: 201 }), req),
    /invalid response: the body is not JSON/,
  );
});

Deno.test("parsePublishResponse() throws ReleaseExistsError for the missing --replace 422", async () => {
  const req = buildPublishRequest(HEXPM, TARBALL, { ...call, replace: false });
  const err = await parsePublishResponse(
    validation({ inserted_at: "must include the --replace flag to update an existing release" }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof ReleaseExistsError);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.name, "ReleaseExistsError");
  assert.equal(err.status, 422);
  assert.equal(err.exitCode, 1);
  assert.equal(err.method, "POST");
  assert.equal(err.url, "https://hex.pm/api/publish");
  assert.deepEqual(err.errors, {
    inserted_at: "must include the --replace flag to update an existing release",
  });
  assert.equal(
    err.message,
    "POST /api/publish failed: 422 Validation error(s)\n" +
      "  inserted_at: must include the --replace flag to update an existing release",
  );
  assert.match(err.hint ?? "", /--replace/);
});

Deno.test("parsePublishResponse() throws EditWindowError when a replace is too late", async () => {
  const req = buildPublishRequest(ACME, TARBALL, { ...call, replace: true });
  const err = await parsePublishResponse(
    validation({ inserted_at: "can only modify a release up to one hour after publication" }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof EditWindowError);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.name, "EditWindowError");
  assert.equal(err.operation, "modify");
  assert.equal(err.status, 422);
  assert.match(err.message, /^POST \/api\/repos\/acme\/publish failed: 422/);
  const hint = err.hint ?? "";
  assert.match(hint, /one hour/);
  assert.match(hint, /24 hours/);
  assert.match(hint, /docs/);
  assert.match(hint, /organization/);
});

Deno.test("parsePublishResponse() leaves other 422s and 403s as plain HexApiErrors", async () => {
  const req = buildPublishRequest(HEXPM, TARBALL, { ...call, replace: false });
  const err = await parsePublishResponse(
    validation({ requirements: { cowboy: 'package does not exist in repository "hexpm"' } }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.ok(!(err instanceof ReleaseExistsError) && !(err instanceof EditWindowError));
  assert.equal(
    err.message,
    "POST /api/publish failed: 422 Validation error(s)\n" +
      '  requirements.cowboy: package does not exist in repository "hexpm"',
  );
  const forbidden = await parsePublishResponse(
    json(403, { status: 403, message: "account not authorized for this action" }),
    req,
  ).catch((e) => e);
  assert.ok(forbidden instanceof HexApiError && forbidden.constructor === HexApiError);
  assert.equal(forbidden.status, 403);
});

Deno.test("parsePublishResponse() keeps the TOTP challenge class", async () => {
  const req = buildPublishRequest(HEXPM, TARBALL, { ...call, replace: false });
  await assert.rejects(
    () =>
      parsePublishResponse(
        json(401, {
          status: 401,
          message: "Two-factor authentication required. Include X-Hex-OTP header with your " +
            "TOTP code.",
        }, { "www-authenticate": 'Bearer realm="hex", error="totp_required"' }),
        req,
      ),
    (e: unknown) => e instanceof TotpRequiredError && e.reason === "totp_required",
  );
});

Deno.test("release errors never carry the credential or the OTP", async () => {
  const req = buildPublishRequest(HEXPM, TARBALL, { ...call, otp: "654321", replace: false });
  const err = await parsePublishResponse(
    json(422, {
      status: 422,
      message: `Validation error(s) for key ${KEY}`,
      errors: { inserted_at: `must include the --replace flag (key ${KEY}, otp 654321)` },
    }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof ReleaseExistsError);
  const everything = [err.message, err.hint, err.serverMessage, JSON.stringify(err.errors)].join(
    "\n",
  );
  assert.ok(!everything.includes(KEY));
  assert.ok(!everything.includes("654321"));
  assert.match(everything, /\[REDACTED\]/);

  const revert = buildRevertReleaseRequest(HEXPM, "rabbit_hole", "1.2.0", call);
  const late = await parseRevertReleaseResponse(
    validation({
      inserted_at: `can only delete a release up to one hour after publication ${KEY}`,
    }),
    revert,
  ).catch((e) => e);
  assert.ok(late instanceof EditWindowError);
  assert.ok(![late.message, late.serverMessage, JSON.stringify(late.errors)].join().includes(KEY));
});

Deno.test("buildPublishDocsRequest() posts the docs tarball under the release", async () => {
  const docs = new Uint8Array([0x1f, 0x8b, 8, 0]);
  const req = buildPublishDocsRequest(HEXPM, "rabbit_hole", "1.2.0-rc.1", docs, call);
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/packages/rabbit_hole/releases/1.2.0-rc.1/docs");
  assert.equal(req.headers.get("content-type"), "application/octet-stream");
  assert.equal(req.headers.get("authorization"), KEY);
  assert.deepEqual(new Uint8Array(await req.arrayBuffer()), docs);
  const org = buildPublishDocsRequest(ACME, "rabbit_hole", "1.2.0", docs, call);
  assert.equal(org.url, "https://hex.pm/api/repos/acme/packages/rabbit_hole/releases/1.2.0/docs");
  assert.equal(new URL(org.url).search, "");
});

Deno.test("parsePublishDocsResponse() returns the Location of a 201", async () => {
  const req = buildPublishDocsRequest(HEXPM, "rabbit_hole", "1.2.0", TARBALL, call);
  assert.deepEqual(
    await parsePublishDocsResponse(
      new Response(null, {
        status: 201,
        headers: { location: "https://repo.hex.pm/docs/rabbit_hole-1.2.0.tar.gz" },
      }),
      req,
    ),
    { location: "https://repo.hex.pm/docs/rabbit_hole-1.2.0.tar.gz" },
  );
  assert.deepEqual(await parsePublishDocsResponse(new Response("", { status: 201 }), req), {
    location: undefined,
  });
  for (const status of [200, 204]) {
    await assert.rejects(
      () => parsePublishDocsResponse(new Response(null, { status }), req),
      (e: unknown) =>
        e instanceof HexApiError && e.status === status &&
        e.message ===
          `POST /api/packages/rabbit_hole/releases/1.2.0/docs failed: unexpected ${status} response`,
    );
  }
  await assert.rejects(
    () => parsePublishDocsResponse(json(404, { status: 404, message: "Page not found" }), req),
    (e: unknown) => e instanceof HexApiError && e.status === 404,
  );
});

Deno.test("revert builders DELETE the release or its docs, repository-scoped", () => {
  const cases: [Request, string][] = [
    [
      buildRevertReleaseRequest(HEXPM, "rabbit_hole", "1.2.0", call),
      "https://hex.pm/api/packages/rabbit_hole/releases/1.2.0",
    ],
    [
      buildRevertReleaseRequest(ACME, "rabbit_hole", "1.2.0", call),
      "https://hex.pm/api/repos/acme/packages/rabbit_hole/releases/1.2.0",
    ],
    [
      buildRevertDocsRequest(HEXPM, "rabbit_hole", "1.2.0", call),
      "https://hex.pm/api/packages/rabbit_hole/releases/1.2.0/docs",
    ],
    [
      buildRevertDocsRequest(ACME, "rabbit_hole", "1.2.0", call),
      "https://hex.pm/api/repos/acme/packages/rabbit_hole/releases/1.2.0/docs",
    ],
  ];
  for (const [req, url] of cases) {
    assert.equal(req.method, "DELETE");
    assert.equal(req.url, url);
    assert.equal(req.body, null);
    assert.equal(req.headers.get("authorization"), KEY);
    assert.equal(req.redirect, "manual");
  }
});

Deno.test("revert parsers expect 204 and explain the edit window", async () => {
  const req = buildRevertReleaseRequest(HEXPM, "rabbit_hole", "1.2.0", call);
  assert.equal(await parseRevertReleaseResponse(noContent(), req), undefined);
  assert.equal(await parseRevertDocsResponse(noContent()), undefined);
  const late = await parseRevertReleaseResponse(
    validation({ inserted_at: "can only delete a release up to one hour after publication" }),
    req,
  ).catch((e) => e);
  assert.ok(late instanceof EditWindowError);
  assert.equal(late.operation, "delete");
  assert.equal(
    late.message,
    "DELETE /api/packages/rabbit_hole/releases/1.2.0 failed: 422 Validation error(s)\n" +
      "  inserted_at: can only delete a release up to one hour after publication",
  );
  const depended = await parseRevertReleaseResponse(
    validation({ name: "you cannot delete this package because other packages depend on it" }),
    req,
  ).catch((e) => e);
  assert.ok(depended instanceof HexApiError && !(depended instanceof EditWindowError));
  for (const status of [200, 202]) {
    await assert.rejects(
      () => parseRevertReleaseResponse(new Response("{}", { status }), req),
      (e: unknown) => e instanceof HexApiError && e.status === status,
    );
    await assert.rejects(
      () => parseRevertDocsResponse(new Response(null, { status })),
      (e: unknown) => e instanceof HexApiError && e.status === status,
    );
  }
});

Deno.test("buildGetReleaseRequest() is GET …/releases/VSN, with or without a credential", () => {
  const req = buildGetReleaseRequest(HEXPM, "rabbit_hole", "1.2.0", { userAgent: UA });
  assert.equal(req.method, "GET");
  assert.equal(req.url, "https://hex.pm/api/packages/rabbit_hole/releases/1.2.0");
  assert.equal(req.headers.has("authorization"), false);
  assert.equal(req.headers.get("accept"), "application/json");
  const org = buildGetReleaseRequest(ACME, "rabbit_hole", "1.2.0", call);
  assert.equal(org.url, "https://hex.pm/api/repos/acme/packages/rabbit_hole/releases/1.2.0");
});

Deno.test("parseGetReleaseResponse() reads a release, a retirement and sparse fields", async () => {
  assert.deepEqual(await parseGetReleaseResponse(json(200, RELEASE)), DECODED);
  const retired = await parseGetReleaseResponse(json(200, {
    name: "rabbit_hole",
    version: "0.1.0",
    checksum: "00",
    retirement: { reason: "security", message: "CVE-2026-0001: upgrade to 1.2.0" },
  }));
  assert.deepEqual(retired, {
    name: "rabbit_hole",
    version: "0.1.0",
    checksum: "00",
    hasDocs: false,
    retirement: { reason: "security", message: "CVE-2026-0001: upgrade to 1.2.0" },
    requirements: {},
    meta: { app: undefined, buildTools: undefined },
    publisher: undefined,
    insertedAt: undefined,
    url: undefined,
    htmlUrl: undefined,
    docsHtmlUrl: undefined,
    packageUrl: undefined,
  });
});

Deno.test("parseGetReleaseResponse() keeps a dependency named __proto__ as data", async () => {
  const release = await parseGetReleaseResponse(
    new Response(
      '{"version":"1.0.0","checksum":"00","requirements":' +
        '{"__proto__":{"requirement":"~> 1.0","optional":false}}}',
      { status: 200 },
    ),
  );
  assert.deepEqual(Object.keys(release.requirements), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(release.requirements), Object.prototype);
});

Deno.test("parseGetReleaseResponse() throws HexApiError 404 for a missing release", async () => {
  const req = buildGetReleaseRequest(HEXPM, "rabbit_hole", "9.9.9", call);
  const err = await parseGetReleaseResponse(
    json(404, { status: 404, message: "Page not found" }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.status, 404);
  assert.equal(
    err.message,
    "GET /api/packages/rabbit_hole/releases/9.9.9 failed: 404 Page not found",
  );
  await assert.rejects(
    () => parseGetReleaseResponse(json(200, { ...RELEASE, requirements: { x: "~> 1.0" } }), req),
    /invalid response: expected the requirement on "x" to be an object/,
  );
  await assert.rejects(
    () => parseGetReleaseResponse(json(200, { ...RELEASE, meta: { build_tools: "rebar3" } }), req),
    /invalid response: expected "build_tools" to be a list/,
  );
});

Deno.test("buildRetireRequest() posts reason and message", async () => {
  const req = buildRetireRequest(
    HEXPM,
    "rabbit_hole",
    "0.1.0",
    { reason: "security", message: "CVE-2026-0001" },
    call,
  );
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/packages/rabbit_hole/releases/0.1.0/retire");
  assert.equal(req.headers.get("content-type"), "application/json");
  assert.deepEqual(await req.json(), { reason: "security", message: "CVE-2026-0001" });
  const bare = buildRetireRequest(ACME, "rabbit_hole", "0.1.0", { reason: "other" }, call);
  assert.equal(
    bare.url,
    "https://hex.pm/api/repos/acme/packages/rabbit_hole/releases/0.1.0/retire",
  );
  assert.deepEqual(await bare.json(), { reason: "other" });
});

Deno.test("buildRetireRequest() and buildRetireAllRequest() check the retirement first", () => {
  assert.throws(
    () => buildRetireRequest(HEXPM, "rabbit_hole", "0.1.0", { reason: "broken" }, call),
    UsageError,
  );
  assert.throws(
    () => buildRetireAllRequest(HEXPM, "rabbit_hole", { reason: "invalid", message: "no" }, call),
    UsageError,
  );
});

Deno.test("buildUnretireRequest() DELETEs …/retire", () => {
  const req = buildUnretireRequest(ACME, "rabbit_hole", "0.1.0", call);
  assert.equal(req.method, "DELETE");
  assert.equal(req.url, "https://hex.pm/api/repos/acme/packages/rabbit_hole/releases/0.1.0/retire");
  assert.equal(req.body, null);
});

Deno.test("buildRetireAllRequest() posts to /packages/NAME/retire with replace only when given", async () => {
  const req = buildRetireAllRequest(
    HEXPM,
    "rabbit_hole",
    { reason: "renamed", message: "Use hare_hole", replace: true },
    call,
  );
  assert.equal(req.method, "POST");
  assert.equal(req.url, "https://hex.pm/api/packages/rabbit_hole/retire");
  assert.deepEqual(await req.json(), {
    reason: "renamed",
    message: "Use hare_hole",
    replace: true,
  });
  const plain = buildRetireAllRequest(ACME, "rabbit_hole", { reason: "deprecated" }, call);
  assert.equal(plain.url, "https://hex.pm/api/repos/acme/packages/rabbit_hole/retire");
  assert.deepEqual(await plain.json(), { reason: "deprecated" });
  const keep = buildRetireAllRequest(HEXPM, "rabbit_hole", {
    reason: "deprecated",
    replace: false,
  }, call);
  assert.deepEqual(await keep.json(), { reason: "deprecated", replace: false });
});

Deno.test("retire parsers expect 204 and refuse anything else", async () => {
  const req = buildRetireRequest(HEXPM, "rabbit_hole", "0.1.0", { reason: "other" }, call);
  assert.equal(await parseRetireResponse(noContent(), req), undefined);
  assert.equal(await parseUnretireResponse(noContent()), undefined);
  assert.equal(await parseRetireAllResponse(noContent()), undefined);
  await assert.rejects(
    () => parseRetireResponse(new Response(null, { status: 202 }), req),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 202 &&
      e.message ===
        "POST /api/packages/rabbit_hole/releases/0.1.0/retire failed: unexpected 202 response",
  );
  for (const parse of [parseRetireResponse, parseUnretireResponse, parseRetireAllResponse]) {
    await assert.rejects(
      () => parse(json(200, {})),
      (e: unknown) => e instanceof HexApiError && e.status === 200,
    );
    await assert.rejects(
      () => parse(validation({ message: "should be at least 3 character(s)" })),
      (e: unknown) =>
        e instanceof HexApiError && e.status === 422 &&
        e.message.includes("message: should be at least 3 character(s)"),
    );
  }
  await assert.rejects(
    () =>
      parseRetireResponse(
        json(403, { status: 403, message: "account not authorized for this action" }),
        buildRetireRequest(HEXPM, "rabbit_hole", "0.1.0", { reason: "other" }, { userAgent: UA }),
      ),
    (e: unknown) =>
      e instanceof HexApiError && e.status === 403 && /needs credentials/.test(e.hint ?? ""),
  );
});

Deno.test("checkRetirement() accepts hex.pm's five reasons and messages of 3 to 140 characters", () => {
  assert.deepEqual([...RETIRE_REASONS], ["other", "invalid", "security", "deprecated", "renamed"]);
  for (const reason of RETIRE_REASONS) assert.deepEqual(checkRetirement(reason), { reason });
  assert.deepEqual(checkRetirement("security", "abc"), { reason: "security", message: "abc" });
  const longest = "x".repeat(140);
  assert.deepEqual(checkRetirement("other", longest), { reason: "other", message: longest });
  // hex.pm counts graphemes: 140 emoji (280 UTF-16 units) still fit.
  const emoji = "🐇".repeat(140);
  assert.equal(checkRetirement("other", emoji).message, emoji);
});

Deno.test("checkRetirement() rejects an unknown reason, listing the five", () => {
  for (const reason of ["broken", "Security", "", " other"]) {
    assert.throws(
      () => checkRetirement(reason, "a message"),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === 2 &&
        e.message ===
          `unknown retirement reason ${
            JSON.stringify(reason)
          }: expected one of other, invalid, security, deprecated, renamed`,
    );
  }
});

Deno.test("checkRetirement() rejects messages outside 3..140 characters and blank ones", () => {
  assert.throws(
    () => checkRetirement("other", "no"),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "the retirement message is 2 characters long: hex.pm accepts 3 to 140",
  );
  assert.throws(
    () => checkRetirement("other", "x".repeat(141)),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "the retirement message is 141 characters long: hex.pm accepts 3 to 140" &&
      /140/.test(e.hint ?? ""),
  );
  assert.throws(() => checkRetirement("other", ""), UsageError);
  assert.throws(
    () => checkRetirement("other", "     "),
    (e: unknown) => e instanceof UsageError && e.message === "the retirement message is blank",
  );
});

Deno.test("release builders refuse names and versions that are not path segments", () => {
  assert.throws(() => buildGetReleaseRequest(HEXPM, "..", "1.0.0", call), UsageError);
  assert.throws(() => buildRevertReleaseRequest(HEXPM, "rabbit_hole", "", call), UsageError);
  assert.throws(() => buildPublishDocsRequest(HEXPM, ".", "1.0.0", TARBALL, call), UsageError);
  assert.throws(() => buildRetireAllRequest(HEXPM, "", { reason: "other" }, call), UsageError);
  assert.equal(
    buildGetReleaseRequest(HEXPM, "a/b", "1.0.0+x", call).url,
    "https://hex.pm/api/packages/a%2Fb/releases/1.0.0%2Bx",
  );
});
