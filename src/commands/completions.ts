/**
 * `hexpub completions bash|zsh|fish`: prints a completion script for the
 * shell, generated from this command tree (commands, subcommands, flags and
 * the values some of them take). The scripts call the hidden
 * `hexpub completions --list-repos all|removable|orgs` for repository names
 * when one is completed.
 *
 * @module
 */
import { Argument, Command, Option } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { INCREMENTS } from "../project/bump_version.ts";
import { RETIRE_REASONS } from "../rules/retirement.ts";
import { completionRepos, REPO_LISTS, type RepoList } from "../tasks/completions.ts";
import { SEARCH_SORTS } from "../tasks/search.ts";
import {
  type CompletionCommand,
  completionScript,
  type CompletionValue,
  LIST_REPOS_FLAG,
  type Shell,
  SHELLS,
} from "../ui/completions.ts";
import { VERSION } from "../version.ts";
import { printLines } from "./_shared.ts";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

const words = (list: readonly string[]): CompletionValue => ({ kind: "words", words: [...list] });
const REPO: CompletionValue = { kind: "repo" };
/** `repo remove` takes what `repo add` added: hexpm and local are built in. */
const REMOVABLE_REPO: CompletionValue = { kind: "repo", list: "removable" };
/** `organization …` takes `hexpm:ORG`. */
const ORG: CompletionValue = { kind: "repo", list: "orgs" };
const FILE: CompletionValue = { kind: "file" };
const NONE: CompletionValue = { kind: "none" };

/** Values of flags that commander does not know as choices, by long flag. */
export const OPTION_VALUES: Record<string, CompletionValue> = {
  "--increment": words(INCREMENTS),
  "--level": words(["full", "maintainer"]),
  "--sort": words(SEARCH_SORTS),
  "--prefix-tag": words(["true", "false"]),
};

/** Values of positional arguments, by `COMMAND PATH|ARGUMENT`. */
export const ARGUMENT_VALUES: Record<string, CompletionValue> = {
  "build|what": words(["package", "docs"]),
  "publish|what": words(["package", "docs"]),
  "retire|reason": words(RETIRE_REASONS),
  "repo remove|name": REMOVABLE_REPO,
  "organization auth|org": ORG,
  "organization deauth|org": ORG,
  "organization audit|org": ORG,
  "organization key|org": ORG,
  "organization key|action": words(["generate", "list", "revoke"]),
  "user reset_password|which": words(["local", "account"]),
  "completions|shell": words(SHELLS),
};

/** What a flag's `<placeholder>` or an argument's name says about its value. */
function valueByName(name: string): CompletionValue {
  if (name === "repo") return REPO;
  if (/^(file|dir|path|output)$/.test(name)) return FILE;
  return NONE;
}

function optionValue(o: Option): CompletionValue | undefined {
  if (!o.required && !o.optional) return undefined;
  if (o.argChoices) return words(o.argChoices);
  if (o.long && OPTION_VALUES[o.long]) return OPTION_VALUES[o.long];
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? "";
  return valueByName(placeholder.replace(/\.\.\.$/, ""));
}

function argumentValue(path: string, a: Argument, siblings: string[]): CompletionValue {
  if (a.argChoices) return words(a.argChoices);
  const known = ARGUMENT_VALUES[`${path}|${a.name()}`];
  if (known) return known;
  // The help command completes the commands beside it.
  if (path.split(" ").at(-1) === "help" && a.name() === "command") return words(siblings);
  return valueByName(a.name());
}

/**
 * The completion tree of `root`: its visible commands and flags (as its
 * help shows them, the implicit `help` command included), with the values
 * they take.
 */
export function completionTree(root: AnyCommand): CompletionCommand {
  const build = (cmd: AnyCommand, path: string, siblings: string[]): CompletionCommand => {
    const help = cmd.createHelp();
    const subs = help.visibleCommands(cmd) as AnyCommand[];
    const names = subs.map((s) => s.name());
    return {
      name: cmd.name(),
      description: cmd.description(),
      options: help.visibleOptions(cmd).map((o) => {
        const value = optionValue(o);
        return {
          flags: [o.short, o.long].filter((f): f is string => !!f),
          description: o.description,
          ...(value ? { value } : {}),
        };
      }),
      arguments: cmd.registeredArguments.map((a) => ({
        name: a.name(),
        value: argumentValue(path, a, siblings),
        variadic: a.variadic,
      })),
      commands: subs.map((s) => build(s, path ? `${path} ${s.name()}` : s.name(), names)),
    };
  };
  return build(root, "", []);
}

/** The `completions` command. */
export function completionsCommand(deps: Deps) {
  return new Command("completions")
    .description("Print a shell completion script (bash, zsh or fish); see README for install")
    .addArgument(new Argument("[shell]", "the shell").choices(SHELLS))
    .addOption(
      new Option(`${LIST_REPOS_FLAG} [list]`, "print the repository names to complete (all)")
        .choices(REPO_LISTS).hideHelp(),
    )
    .addHelpText(
      "after",
      `
Install:
  bash  echo 'eval "$(hexpub completions bash)"' >> ~/.bashrc
  zsh   hexpub completions zsh > "\${fpath[1]}/_hexpub"   (or source it after compinit)
  fish  hexpub completions fish > ~/.config/fish/completions/hexpub.fish`,
    )
    .action(async (shell, o, cmd) => {
      if (o.listRepos) {
        const list = o.listRepos === true ? "all" : o.listRepos as RepoList;
        return printLines(deps, await completionRepos(deps, list));
      }
      if (!shell) {
        throw new UsageError("name the shell: hexpub completions bash|zsh|fish", {
          hint: "Run `hexpub completions --help` for the install line of each shell",
        });
      }
      let root = cmd as AnyCommand;
      while (root.parent) root = root.parent as AnyCommand;
      deps.out.print(completionScript(shell as Shell, completionTree(root), VERSION).trimEnd());
    });
}
