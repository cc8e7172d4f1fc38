import assert from "node:assert/strict";
import { userAgent } from "../../src/hex/user_agent.ts";

Deno.test("userAgent() names hexpub, Deno and the OS", () => {
  assert.equal(
    userAgent({ version: "0.1.0", denoVersion: "2.9.6", os: "linux", ci: false }),
    "hexpub/0.1.0 (deno/2.9.6; linux)",
  );
});

Deno.test("userAgent() adds (CI) in CI", () => {
  assert.equal(
    userAgent({ version: "1.2.3", denoVersion: "2.9.6", os: "windows", ci: true }),
    "hexpub/1.2.3 (deno/2.9.6; windows) (CI)",
  );
});
