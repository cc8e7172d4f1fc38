/**
 * The `hexpub` command tree.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { Deps } from "../ports.ts";
import { auditCommand } from "./audit.ts";
import { buildCommand } from "./build.ts";
import { completionsCommand } from "./completions.ts";
import { organizationCommand } from "./organization.ts";
import { cutCommand } from "./cut.ts";
import { fetchCommand } from "./fetch.ts";
import { addNestedHelp } from "./help.ts";
import { infoCommand } from "./info.ts";
import { lockCommand } from "./lock.ts";
import { outdatedCommand } from "./outdated.ts";
import { ownerCommand } from "./owner.ts";
import { publishCommand } from "./publish.ts";
import { repoCommand } from "./repo.ts";
import { retireCommand } from "./retire.ts";
import { searchCommand } from "./search.ts";
import { serveCommand } from "./serve.ts";
import { localRepoDir } from "../config/config_paths.ts";
import { settingsHelp } from "../config/settings.ts";
import { userCommand } from "./user.ts";
import { verifyCommand } from "./verify.ts";
import { VERSION } from "../version.ts";

export { VERSION };

/** The settings table, one entry per setting: where it is set, then what it does. */
function settingsLines(): string {
  return settingsHelp().map((line) => {
    const at = line.indexOf(": ");
    return `  ${line.slice(0, at)}\n      ${line.slice(at + 2)}`;
  }).join("\n");
}

/** Builds the root command with every subcommand, writing through `deps.out`. */
export function rootCommand(deps: Deps) {
  const root = new Command("hexpub")
    .description("Build and publish Hex packages from rebar3 projects, without Erlang")
    .version(VERSION, "-v, --version", "print the hexpub version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `
Settings: environment variables, flags and rebar.config keys (a flag wins over the environment,
which wins over rebar.config; blank values count as unset):
${settingsLines()}

Exit codes: 0 ok, 1 failure (invalid project, package or I/O), 2 bad usage, 3 declined, 4 auth, 130 cancelled.
Run \`hexpub COMMAND --help\` for a command's flags.`,
    );
  root.addCommand(buildCommand(deps));
  root.addCommand(publishCommand(deps));
  root.addCommand(cutCommand(deps));
  root.addCommand(lockCommand(deps));
  root.addCommand(outdatedCommand(deps));
  root.addCommand(auditCommand(deps));
  root.addCommand(ownerCommand(deps));
  root.addCommand(retireCommand(deps));
  root.addCommand(searchCommand(deps));
  root.addCommand(infoCommand(deps));
  root.addCommand(fetchCommand(deps));
  root.addCommand(verifyCommand(deps));
  root.addCommand(repoCommand(deps));
  root.addCommand(serveCommand(deps, {
    defaultDir: () => Promise.resolve(localRepoDir(deps.env, deps.host.platform)),
  }));
  root.addCommand(userCommand(deps));
  root.addCommand(organizationCommand(deps));
  root.addCommand(completionsCommand(deps));
  addNestedHelp(root);
  const configure = (cmd: Command<unknown[], Record<string, unknown>>) => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => deps.out.print(s.replace(/\n$/, "")),
      writeErr: (s) => deps.out.warn(s.replace(/\n$/, "")),
    });
    for (const sub of cmd.commands) configure(sub as Command<unknown[], Record<string, unknown>>);
  };
  configure(root as unknown as Command<unknown[], Record<string, unknown>>);
  return root;
}
