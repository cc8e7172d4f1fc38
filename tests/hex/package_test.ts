import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { HexApiError } from "../../src/hex/api_errors.ts";
import {
  buildGetPackageRequest,
  buildSearchRequest,
  latestStable,
  parseGetPackageResponse,
  parseSearchResponse,
} from "../../src/hex/package.ts";

const UA = "hexpub/0.1.0 (deno/2.9.6; linux)";
const HEXPM = { apiUrl: "https://hex.pm/api" };
const ACME = { apiUrl: "https://hex.pm/api", repo: "acme" };
const KEY = "0123456789abcdef0123456789abcdef";
const call = { userAgent: UA, credential: { kind: "key" as const, secret: KEY } };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A Package as hexpm's PackageView renders it (hexpm `lib/hexpm_web/views/api/`). */
const PACKAGE = {
  name: "rabbit_hole",
  repository: "hexpm",
  url: "https://hex.pm/api/packages/rabbit_hole",
  html_url: "https://hex.pm/packages/rabbit_hole",
  docs_html_url: "https://hexdocs.pm/rabbit_hole/",
  meta: {
    description: "Down we go",
    licenses: ["Apache-2.0", "MIT"],
    links: { GitHub: "https://github.com/alice/rabbit_hole" },
    maintainers: [],
  },
  downloads: { all: 1234, recent: 56, week: 7, day: 1 },
  releases: [
    {
      version: "1.10.0",
      url: "https://hex.pm/api/packages/rabbit_hole/releases/1.10.0",
      has_docs: true,
      inserted_at: "2026-09-02T00:00:00.000000Z",
    },
    {
      version: "1.9.0",
      url: "https://hex.pm/api/packages/rabbit_hole/releases/1.9.0",
      has_docs: false,
      inserted_at: "2026-08-01T00:00:00.000000Z",
    },
  ],
  retirements: { "1.9.0": { reason: "security", message: "CVE-2026-0001" } },
  owners: [{
    username: "alice",
    email: "alice@example.com",
    url: "https://hex.pm/api/users/alice",
  }],
  latest_version: "1.10.0",
  latest_stable_version: "1.10.0",
  configs: { "rebar.config": '{deps,[{rabbit_hole,"1.10.0"}]}.' },
  security_advisories: [],
  inserted_at: "2026-01-01T00:00:00.000000Z",
  updated_at: "2026-09-02T00:00:00.000000Z",
};

const DECODED = {
  name: "rabbit_hole",
  repository: "hexpm",
  releases: [
    { version: "1.10.0", hasDocs: true, insertedAt: "2026-09-02T00:00:00.000000Z" },
    { version: "1.9.0", hasDocs: false, insertedAt: "2026-08-01T00:00:00.000000Z" },
  ],
  retirements: { "1.9.0": { reason: "security", message: "CVE-2026-0001" } },
  owners: [{ username: "alice" }],
  latestVersion: "1.10.0",
  latestStableVersion: "1.10.0",
  meta: {
    description: "Down we go",
    licenses: ["Apache-2.0", "MIT"],
    links: { GitHub: "https://github.com/alice/rabbit_hole" },
  },
  downloads: { all: 1234, recent: 56, week: 7, day: 1 },
  url: "https://hex.pm/api/packages/rabbit_hole",
  htmlUrl: "https://hex.pm/packages/rabbit_hole",
  docsHtmlUrl: "https://hexdocs.pm/rabbit_hole/",
};

Deno.test("buildGetPackageRequest() is GET /packages/NAME, repository-scoped", () => {
  const req = buildGetPackageRequest(HEXPM, "rabbit_hole", { userAgent: UA });
  assert.equal(req.method, "GET");
  assert.equal(req.url, "https://hex.pm/api/packages/rabbit_hole");
  assert.equal(req.headers.has("authorization"), false);
  assert.equal(req.headers.get("accept"), "application/json");
  assert.equal(req.headers.get("user-agent"), UA);
  assert.equal(req.redirect, "manual");
  const org = buildGetPackageRequest(ACME, "rabbit_hole", call);
  assert.equal(org.url, "https://hex.pm/api/repos/acme/packages/rabbit_hole");
  assert.equal(org.headers.get("authorization"), KEY);
  assert.throws(() => buildGetPackageRequest(HEXPM, "..", call), UsageError);
});

Deno.test("parseGetPackageResponse() reads a package", async () => {
  assert.deepEqual(await parseGetPackageResponse(json(200, PACKAGE)), DECODED);
});

Deno.test("parseGetPackageResponse() tolerates a sparse package", async () => {
  assert.deepEqual(
    await parseGetPackageResponse(
      json(200, { name: "acme_tool", retirements: null, meta: null, downloads: {} }),
    ),
    {
      name: "acme_tool",
      repository: "hexpm",
      releases: [],
      retirements: {},
      owners: undefined,
      latestVersion: undefined,
      latestStableVersion: undefined,
      meta: { description: undefined, licenses: [], links: {} },
      downloads: { all: undefined, recent: undefined, week: undefined, day: undefined },
      url: undefined,
      htmlUrl: undefined,
      docsHtmlUrl: undefined,
    },
  );
});

Deno.test("parseGetPackageResponse() throws HexApiError 404 for an unknown package", async () => {
  const req = buildGetPackageRequest(ACME, "nothing_here", call);
  const err = await parseGetPackageResponse(
    json(404, { status: 404, message: "Page not found" }),
    req,
  ).catch((e) => e);
  assert.ok(err instanceof HexApiError);
  assert.equal(err.status, 404);
  assert.equal(err.message, "GET /api/repos/acme/packages/nothing_here failed: 404 Page not found");
  assert.ok(!JSON.stringify(err).includes(KEY) && !err.message.includes(KEY));
});

Deno.test("parseGetPackageResponse() refuses malformed bodies and unexpected statuses", async () => {
  const req = buildGetPackageRequest(HEXPM, "rabbit_hole", call);
  const bad: [unknown, RegExp][] = [
    [[PACKAGE], /expected the package to be an object/],
    [{ ...PACKAGE, name: 1 }, /expected "name" to be a string/],
    [{ ...PACKAGE, releases: {} }, /expected "releases" to be a list/],
    [{ ...PACKAGE, downloads: { all: "many" } }, /expected "all" to be a number/],
    [{ ...PACKAGE, meta: { licenses: [1] } }, /expected "licenses" to hold strings/],
    [{ ...PACKAGE, meta: { links: { GitHub: 1 } } }, /expected the link "GitHub" to be a string/],
    [{ ...PACKAGE, retirements: { "1.0.0": "yes" } }, /retirement of "1.0.0" to be an object/],
  ];
  for (const [body, pattern] of bad) {
    await assert.rejects(
      () => parseGetPackageResponse(json(200, body), req),
      (e: unknown) =>
        e instanceof HexApiError &&
        e.message.startsWith("GET /api/packages/rabbit_hole failed: ") &&
        pattern.test(e.message),
    );
  }
  for (const status of [201, 204, 304]) {
    await assert.rejects(
      () => parseGetPackageResponse(new Response(null, { status }), req),
      (e: unknown) => e instanceof HexApiError && e.status === status,
    );
  }
});

Deno.test("buildSearchRequest() sends search, sort, page and per_page", () => {
  const req = buildSearchRequest(
    HEXPM,
    { search: "rabbit hole", sort: "recent_downloads", page: 2, perPage: 50 },
    { userAgent: UA },
  );
  assert.equal(req.method, "GET");
  assert.equal(
    req.url,
    "https://hex.pm/api/packages?search=rabbit+hole&sort=recent_downloads&page=2&per_page=50",
  );
  assert.equal(req.headers.has("authorization"), false);
  const bare = buildSearchRequest(ACME, { search: "depends:hexpm:cowboy" }, call);
  assert.equal(bare.url, "https://hex.pm/api/repos/acme/packages?search=depends%3Ahexpm%3Acowboy");
  assert.equal(new URL(bare.url).searchParams.get("search"), "depends:hexpm:cowboy");
});

Deno.test("buildSearchRequest() refuses an unknown sort and out-of-range pages", () => {
  assert.throws(
    () => buildSearchRequest(HEXPM, { search: "x", sort: "stars" }, call),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        'unknown sort order "stars": expected one of name, recent_downloads, total_downloads, ' +
          "downloads, inserted_at, updated_at",
  );
  for (const page of [0, -1, 1.5, NaN]) {
    assert.throws(() => buildSearchRequest(HEXPM, { search: "x", page }, call), UsageError);
  }
  for (const perPage of [0, 101, 2.5]) {
    assert.throws(() => buildSearchRequest(HEXPM, { search: "x", perPage }, call), UsageError);
  }
  assert.equal(
    buildSearchRequest(HEXPM, { search: "x", perPage: 100 }, call).url,
    "https://hex.pm/api/packages?search=x&per_page=100",
  );
});

Deno.test("parseSearchResponse() reads a page of packages", async () => {
  const req = buildSearchRequest(HEXPM, { search: "rabbit" }, call);
  const packages = await parseSearchResponse(
    json(200, [PACKAGE, { name: "rabbit_trap", repository: "hexpm", meta: {} }], {
      etag: '"abc"',
    }),
    req,
  );
  assert.equal(packages.length, 2);
  assert.deepEqual(packages[0], DECODED);
  assert.equal(packages[1].name, "rabbit_trap");
  assert.deepEqual(packages[1].releases, []);
  assert.deepEqual(await parseSearchResponse(json(200, []), req), []);
});

Deno.test("parseSearchResponse() refuses a non-list body and errors", async () => {
  const req = buildSearchRequest(HEXPM, { search: "rabbit" }, call);
  await assert.rejects(
    () => parseSearchResponse(json(200, { packages: [] }), req),
    /GET \/api\/packages failed: 200 invalid response: expected the body to be a list/,
  );
  await assert.rejects(
    () =>
      parseSearchResponse(
        json(429, { status: 429, message: "API rate limit exceeded for IP 192.0.2.1" }, {
          "x-ratelimit-reset": "1790000000",
        }),
        req,
      ),
    (e: unknown) => e instanceof HexApiError && e.status === 429 && e.rateLimitReset === 1790000000,
  );
});

Deno.test("latestStable() orders by SemVer, not text", () => {
  assert.equal(latestStable(["1.9.0", "1.10.0", "1.2.0"]), "1.10.0");
  assert.equal(latestStable(["0.9.9", "10.0.0", "2.0.0"]), "10.0.0");
  assert.equal(latestStable(["1.0.0", "1.0.10", "1.0.9"]), "1.0.10");
});

Deno.test("latestStable() leaves out pre-releases and text that is not a version", () => {
  assert.equal(latestStable(["1.0.0", "2.0.0-rc.1", "2.0.0-alpha"]), "1.0.0");
  assert.equal(latestStable(["2.0.0-rc.1"]), undefined);
  assert.equal(latestStable([]), undefined);
  assert.equal(latestStable(["v3.0.0", "3.0", "garbage", "1.1.1"]), "1.1.1");
  assert.equal(latestStable(["1.0.0", "1.0.0-rc.2", "0.9.0"]), "1.0.0");
});
