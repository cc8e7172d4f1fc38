/**
 * `hexpub user …`: rebar3_hex's account commands, on OAuth and API keys.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import type { Key } from "../hex/key.ts";
import { collect, printJson, printLines, report } from "./_shared.ts";
import * as tasks from "../tasks/user.ts";
import {
  renderAudit,
  renderCreatedKey,
  renderKey,
  renderKeys,
  renderWhoami,
} from "../ui/render_account.ts";

/** The `user` command tree; `run` holds the tasks (tests pass recorders). */
export function userCommand(deps: Deps, run: typeof tasks = tasks) {
  const user = new Command("user").description(
    "Log in to Hex and manage your account and API keys",
  );
  const json = (v: unknown) => printJson(deps, v);

  user.command("auth")
    .description("Log in: the OAuth device flow, or store an API key (--key-stdin, HEX_API_KEY)")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("-b, --browser", "open the verification URL in a browser", false)
    .option(
      "--device",
      "run the OAuth device flow even without a terminal (prints the URL and code, then waits)",
      false,
    )
    .option(
      "--key <key>",
      "store this API key (from the dashboard) instead of logging in; other users can see it " +
        "in the process list: prefer --key-stdin",
    )
    .option(
      "--key-stdin",
      "read the API key to store from stdin (asked without echo at a terminal)",
      false,
    )
    .option(
      "-s, --scope <scope>",
      "request only this scope (repeatable; default: api repositories)",
      collect,
      [] as string[],
    )
    .option("--json", "print the result as JSON", false)
    .addHelpText(
      "after",
      "\nThe key can come from stdin: `printf '%s' \"$KEY\" | hexpub user auth --key-stdin`.\n" +
        "With HEX_API_KEY set (and sent to this repository), `user auth` stores that key.\n" +
        "Or store nothing: every command uses HEX_API_KEY when it is set.",
    )
    .action(async (o) => {
      const r = await run.userAuth(deps, {
        repo: o.repo,
        browser: o.browser,
        device: o.device,
        key: o.key,
        keyStdin: o.keyStdin,
        scopes: o.scope,
      });
      if (o.json) json(r);
      else {
        deps.out.print(`Authenticated as: ${r.username}${r.email ? ` (${r.email})` : ""}`);
        if (r.scope) deps.out.print(`Granted scopes: ${r.scope}`);
      }
    });

  user.command("deauth")
    .description("Log out: revoke the session on the server, then forget it locally")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--json", "print what was done as JSON", false)
    .action(async (o) => {
      const r = await run.userDeauth(deps, { repo: o.repo });
      report(deps, o.json, r, [r.forgot ? "Authentication removed." : "Not authenticated."]);
    });

  user.command("whoami")
    .description("Show who you are authenticated as")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--json", "print the result as JSON", false)
    .action(async (o) => {
      const r = await run.userWhoami(deps, { repo: o.repo });
      if (o.json) json(r);
      else printLines(deps, renderWhoami(r));
    });

  user.command("register")
    .description("Create a hex.pm account (you accept hex.pm's terms)")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--username <name>", "the username (else asked)")
    .option("--email <email>", "the email address (else asked)")
    .option("--json", "print the account as JSON", false)
    .addHelpText("after", "\nThe account password is asked, or read from HEXPUB_ACCOUNT_PASSWORD.")
    .action(async (o) => {
      const terms =
        "By registering an account on Hex.pm you accept all our policies and terms of service " +
        "found at https://hex.pm/policies";
      // With --json on stderr, as every human line then.
      if (o.json) deps.out.info(terms);
      else deps.out.print(terms);
      const r = await run.userRegister(deps, {
        repo: o.repo,
        username: o.username,
        email: o.email,
      });
      report(deps, o.json, r, [
        `You are required to confirm your email to access your account, a confirmation email ` +
        `has been sent to ${r.email}`,
        "Then run `hexpub user auth` to log in.",
      ]);
    });

  const key = user.command("key").description("Manage your API keys");
  key.command("generate")
    .description("Create an API key and print its secret (shown once)")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("-k, --key-name <name>", "the key's name (default: this host's name)")
    .option(
      "-p, --permission <perm>",
      "api, api:read, api:write, repositories, repository:ORG, package:REPO/NAME, docs:ORG (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--for <purpose...>",
      "the narrowest key for a job: ci-publish PACKAGE, ci-fetch-private ORG, read-only",
    )
    .option("--expires <when>", "revoke the key automatically: 30d, 12w, 48h or a date")
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print the key as JSON", false)
    .action(async (o) => {
      const k = await run.keyGenerate(deps, {
        repo: o.repo,
        name: o.keyName,
        permissions: o.permission,
        purpose: o.for,
        expires: o.expires,
        otp: o.otp,
      });
      if (o.json) json(k);
      else printLines(deps, renderCreatedKey(k));
    });
  key.command("rotate")
    .description(
      "Replace a key: same permissions and expiry policy; the old one is revoked only once the new one works",
    )
    .argument("[name]", "the key's name (or --key-name)")
    .option("-k, --key-name <name>", "the key's name")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print the new key as JSON", false)
    .action(async (name, o) => {
      // The new secret is shown as soon as the new key is known to work, before
      // the old one is revoked (in JSON mode, in the final object).
      let shown = false;
      const announce = o.json ? undefined : (k: Key) => {
        printLines(deps, renderCreatedKey(k));
        shown = true;
      };
      let r: tasks.Rotation;
      try {
        r = await run.keyRotate(deps, {
          repo: o.repo,
          name: keyName(name, o.keyName),
          otp: o.otp,
          announce,
        });
      } catch (e) {
        // The replacement works but the old key could not be revoked: its
        // secret must still reach the user, once, before the error.
        const partial = (e as { rotation?: tasks.Rotation }).rotation;
        if (partial && !shown) {
          if (o.json) json(partial);
          else printLines(deps, renderCreatedKey(partial.key));
        }
        throw e;
      }
      if (o.json) json(r);
      else deps.out.print(`Key ${r.replaced} was revoked.`);
    });
  key.command("list")
    .description("List your API keys")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--stale <age>", "only keys unused for this long (e.g. 90d)")
    .option("--json", "print the keys as JSON", false)
    .action(async (o) => {
      const keys = await run.keyList(deps, { repo: o.repo, stale: o.stale });
      if (o.json) json(keys);
      else printLines(deps, renderKeys(keys, { stale: o.stale }));
    });
  key.command("fetch")
    .description("Show one API key")
    .argument("[name]", "the key's name (or --key-name)")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("-k, --key-name <name>", "the key's name")
    .option("--json", "print the key as JSON", false)
    .action(async (name, o) => {
      const k = await run.keyFetch(deps, { repo: o.repo, name: keyName(name, o.keyName) });
      if (o.json) json(k);
      else printLines(deps, renderKey(k));
    });
  key.command("revoke")
    .description("Revoke an API key (KEY_NAME or --key-name), or all of them with --all")
    .argument("[name]", "the key's name")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("-k, --key-name <name>", "the key's name")
    .option("-a, --all", "revoke every key, the one in use included", false)
    .option("--otp <code>", "TOTP code, when logged in with OAuth (or HEX_OTP)")
    .option("--json", "print what was done as JSON", false)
    .action(async (name, o) => {
      if (o.all) {
        await run.keyRevokeAll(deps, { repo: o.repo, otp: o.otp });
        report(deps, o.json, { revoked: null, all: true }, ["All keys successfully revoked"]);
        return;
      }
      const revoked = await run.keyRevoke(deps, {
        repo: o.repo,
        name: keyName(name, o.keyName),
        otp: o.otp,
      });
      report(deps, o.json, { revoked, all: false }, [`Key ${revoked} successfully revoked`]);
    });

  user.command("audit")
    .description("Your account's audit log: what was done with your credentials")
    .option("--page <n>", "page number (100 entries each)", "1")
    .option("-r, --repo <repo>", "repository (default hexpm)")
    .option("--json", "print the entries as JSON", false)
    .action(async (o) => {
      const entries = await run.userAudit(deps, { repo: o.repo, page: pageNumber(o.page) });
      if (o.json) json(entries);
      else printLines(deps, renderAudit(entries));
    });

  user.command("reset_password")
    .description(
      "`local`: change the local password that encrypts your stored secrets; `account`: how to reset your hex.pm password",
    )
    .argument("<which>", "local or account")
    .action(async (which) => {
      if (which === "account") {
        printLines(deps, run.accountPasswordHelp());
        return;
      }
      if (which !== "local") {
        throw new UsageError(`unknown reset_password target "${which}"`, {
          hint: "Use `hexpub user reset_password local` or `hexpub user reset_password account`",
        });
      }
      await run.resetLocalPassword(deps);
      deps.out.print("Local password changed.");
    });
  return user;
}

/** A --page value. */
export function pageNumber(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--page must be a whole number from 1, got "${raw}"`);
  }
  return n;
}

/** A key name from the positional form or --key-name (rebar3_hex documents both). */
export function keyName(positional: string | undefined, flag: string | undefined): string {
  const name = flag ?? positional;
  if (!name) {
    throw new UsageError("which key? give its name", {
      hint: "Pass the key name, as `KEY_NAME` or `--key-name KEY_NAME`",
    });
  }
  return name;
}
