import { strict as assert } from "node:assert";
import { organizationCommand, organizationName } from "../../src/commands/organization.ts";
import { keyName, userCommand } from "../../src/commands/user.ts";
import { UsageError } from "../../src/errors.ts";
import * as orgTasks from "../../src/tasks/organization.ts";
import * as userTasks from "../../src/tasks/user.ts";
import { testDeps } from "../support/test_deps.ts";

Deno.test("key names come from the positional form or --key-name (rebar3_hex documents both)", () => {
  assert.equal(keyName("a", undefined), "a");
  assert.equal(keyName(undefined, "b"), "b");
  assert.equal(keyName("a", "b"), "b");
  assert.throws(() => keyName(undefined, undefined), UsageError);
});

Deno.test("organizations are given as hexpm:ORG or ORG", () => {
  assert.equal(organizationName("hexpm:acme"), "acme");
  assert.equal(organizationName("acme_corp"), "acme_corp");
  for (const bad of ["other:acme", "Acme", "a-b", ""]) {
    assert.throws(() => organizationName(bad), UsageError, bad);
  }
});

Deno.test("user key revoke maps NAME, --key-name and --all onto the tasks", async () => {
  const seen: unknown[] = [];
  const run = {
    ...userTasks,
    keyRevoke: (
      _d: unknown,
      input: { name: string },
    ) => (seen.push(["one", input]), Promise.resolve(input.name)),
    keyRevokeAll: (_d: unknown, input: unknown) => (seen.push(["all", input]), Promise.resolve()),
  } as typeof userTasks;
  const deps = testDeps(Deno.cwd());
  for (
    const args of [["key", "revoke", "old"], ["key", "revoke", "-k", "old2", "-r", "hexpm:acme"], [
      "key",
      "revoke",
      "--all",
      "--otp",
      "123456",
    ]]
  ) {
    const cmd = userCommand(deps, run).exitOverride();
    await cmd.parseAsync(args, { from: "user" });
  }
  assert.deepEqual(seen, [
    ["one", { repo: undefined, name: "old", otp: undefined }],
    ["one", { repo: "hexpm:acme", name: "old2", otp: undefined }],
    ["all", { repo: undefined, otp: "123456" }],
  ]);
  assert.deepEqual(deps.stdout, [
    "Key old successfully revoked",
    "Key old2 successfully revoked",
    "All keys successfully revoked",
  ]);
});

Deno.test("user key generate collects repeated -p and prints the secret alone on a line", async () => {
  let input: unknown;
  const run = {
    ...userTasks,
    keyGenerate: (_d: unknown, i: unknown) => {
      input = i;
      return Promise.resolve({
        name: "ci",
        secret: "s".repeat(32),
        permissions: [],
        authing: false,
      });
    },
  } as typeof userTasks;
  const deps = testDeps(Deno.cwd());
  await userCommand(deps, run).exitOverride().parseAsync(
    ["key", "generate", "-k", "ci", "-p", "api:read", "-p", "repository:acme"],
    { from: "user" },
  );
  assert.deepEqual(input, {
    repo: undefined,
    name: "ci",
    permissions: ["api:read", "repository:acme"],
    purpose: undefined,
    expires: undefined,
    otp: undefined,
  });
  assert.deepEqual(deps.stdout, [
    "Key ci successfully created. Its secret, shown only this once:",
    "s".repeat(32),
  ]);
});

Deno.test("organization key refuses an unknown action before any task runs", async () => {
  const deps = testDeps(Deno.cwd());
  const cmd = organizationCommand(deps, orgTasks).exitOverride();
  await assert.rejects(
    cmd.parseAsync(["key", "hexpm:acme", "rotate"], { from: "user" }),
    /unknown organization key action "rotate"/,
  );
});
