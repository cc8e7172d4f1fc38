/**
 * `hexpub organization …`: organization repositories and their keys.
 *
 * Flags follow rebar3_hex's `rebar3_hex_organization.erl`: `-k` is `--key`
 * (the key `auth` stores, the CI recipe), `--key-name` has no short form, and
 * `-p` is `--permission`.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { collect, printJson, printLines, report } from "./_shared.ts";
import * as tasks from "../tasks/organization.ts";
import {
  renderAudit,
  renderCreatedKey,
  renderKeys,
  renderOrganizations,
} from "../ui/render_account.ts";
import { keyName, pageNumber } from "./user.ts";

/**
 * An organization as given on the command line: `hexpm:acme` (rebar3_hex's
 * form) or plain `acme`; returns the organization name.
 */
export function organizationName(arg: string): string {
  const m = /^(?:hexpm:)?([a-z0-9_]+)$/.exec(arg);
  if (!m) {
    throw new UsageError(`invalid organization "${arg}"`, {
      hint: "Give it as hexpm:ORG (or just ORG): lower-case letters, digits and _",
    });
  }
  return m[1];
}

/**
 * `-k` under `organization key`: rebar3_hex's `-k` is `--key` (the key `auth` stores),
 * which `key` has no use for; hidden, and refused with a hint to `--key-name`.
 */
function keyShortcut(): Option {
  return new Option("-k, --key <key>").hideHelp();
}

function misplacedKey(): UsageError {
  return new UsageError("-k/--key is for `organization auth` (the key to store)", {
    hint: "Name the key with --key-name NAME (as in rebar3_hex, -k means --key in organization)",
  });
}

/** The `organization` command tree; `run` holds the tasks (tests pass recorders). */
export function organizationCommand(deps: Deps, run: typeof tasks = tasks) {
  const org = new Command("organization").description(
    "Authenticate to organization repositories and manage their keys",
  );
  const json = (v: unknown) => printJson(deps, v);

  org.command("auth")
    .description("Store a repository key for hexpm:ORG: the given --key, or a new one")
    .argument("<org>", "hexpm:ORG")
    .option(
      "-k, --key <key>",
      "an existing organization key (checked with the server first); it shows in the process list: prefer --key-stdin",
    )
    .option(
      "--key-stdin",
      "read the existing key from stdin (asked without echo at a terminal)",
      false,
    )
    .option("--key-name <name>", "name of the key to create (default: HOST-repository-ORG)")
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print what was done as JSON", false)
    .action(async (name, o) => {
      const r = await run.orgAuth(deps, {
        org: organizationName(name),
        key: o.key,
        keyStdin: o.keyStdin,
        keyName: o.keyName,
        otp: o.otp,
      });
      report(deps, o.json, { org: r.org, keyName: r.keyName ?? null }, [
        `Successfully authenticated to hexpm:${r.org}`,
      ]);
    });

  org.command("deauth")
    .description("Forget the stored key of hexpm:ORG")
    .argument("<org>", "hexpm:ORG")
    .option("--json", "print what was done as JSON", false)
    .action(async (name, o) => {
      const org = organizationName(name);
      const r = await run.orgDeauth(deps, { org });
      report(deps, o.json, { org, forgot: r !== undefined }, [
        r ? `Successfully deauthorized hexpm:${r}` : "Not authenticated.",
      ]);
    });

  org.command("list")
    .description("List the organizations you are authenticated to")
    .option("--json", "print the list as JSON", false)
    .action(async (o) => {
      const orgs = await run.orgList(deps);
      if (o.json) json(orgs);
      else printLines(deps, renderOrganizations(orgs));
    });

  org.command("audit")
    .description("An organization's audit log")
    .argument("<org>", "hexpm:ORG")
    .option("--page <n>", "page number (100 entries each)", "1")
    .option("--json", "print the entries as JSON", false)
    .action(async (name, o) => {
      const entries = await run.orgAudit(deps, {
        org: organizationName(name),
        page: pageNumber(o.page),
      });
      if (o.json) json(entries);
      else printLines(deps, renderAudit(entries));
    });

  org.command("key")
    .description("Manage an organization's keys: generate, list, revoke NAME, revoke --all")
    .argument("<org>", "hexpm:ORG")
    .argument("<action>", "generate, list or revoke")
    .argument("[name]", "key name, for revoke")
    .option("--key-name <name>", "the key's name")
    .addOption(keyShortcut())
    .option(
      "-p, --permission <perm>",
      "repository:ORG (default), api:read, …; repeatable",
      collect,
      [] as string[],
    )
    .option("-a, --all", "with revoke: revoke every key of the organization", false)
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print the result as JSON", false)
    .action(async (orgArg, action, name, o) => {
      if (o.key !== undefined) throw misplacedKey();
      const orgName = organizationName(orgArg);
      if (action === "generate") {
        const k = await run.orgKeyGenerate(deps, {
          org: orgName,
          name: o.keyName ?? name,
          permissions: o.permission,
          otp: o.otp,
        });
        if (o.json) json(k);
        else printLines(deps, renderCreatedKey(k));
      } else if (action === "list") {
        const keys = await run.orgKeyList(deps, { org: orgName });
        if (o.json) json(keys);
        else printLines(deps, renderKeys(keys));
      } else if (action === "revoke") {
        if (o.all) {
          await run.orgKeyRevokeAll(deps, { org: orgName, otp: o.otp });
          report(deps, o.json, { revoked: null, all: true }, ["All keys successfully revoked"]);
        } else {
          const revoked = await run.orgKeyRevoke(deps, {
            org: orgName,
            name: keyName(name, o.keyName),
            otp: o.otp,
          });
          report(deps, o.json, { revoked, all: false }, [`Key ${revoked} successfully revoked`]);
        }
      } else {
        throw new UsageError(`unknown organization key action "${action}"`, {
          hint: "Use generate, list or revoke: `hexpub organization key hexpm:ORG list`",
        });
      }
    });
  return org;
}
