import assert from "node:assert/strict";
import type { ApiTarget, Credential } from "../../src/hex/api_config.ts";

Deno.test("ApiTarget names an API base and an organization", () => {
  const target: ApiTarget = { apiUrl: "https://hex.pm/api", repo: "acme" };
  assert.equal(target.repo, "acme");
});

Deno.test("Credential distinguishes keys from OAuth tokens", () => {
  const describe = (c: Credential) => c.kind === "key" ? c.secret : c.accessToken;
  assert.equal(describe({ kind: "key", secret: "k" }), "k");
  assert.equal(describe({ kind: "oauth", accessToken: "t" }), "t");
});
