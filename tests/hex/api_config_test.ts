import assert from "node:assert/strict";
import { type ApiTarget, type Credential, DEFAULT_API_URL } from "../../src/hex/api_config.ts";

Deno.test("DEFAULT_API_URL is hex.pm's API base", () => {
  assert.equal(DEFAULT_API_URL, "https://hex.pm/api");
  const target: ApiTarget = { apiUrl: DEFAULT_API_URL, repo: "acme" };
  assert.equal(target.repo, "acme");
});

Deno.test("Credential distinguishes keys from OAuth tokens", () => {
  const describe = (c: Credential) => c.kind === "key" ? c.secret : c.accessToken;
  assert.equal(describe({ kind: "key", secret: "k" }), "k");
  assert.equal(describe({ kind: "oauth", accessToken: "t" }), "t");
});
