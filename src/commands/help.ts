/**
 * `hexpub help [COMMAND...]`: help for a command at any depth (`hexpub help
 * user key`, `hexpub user help key generate`). Commander's own help command
 * follows only the first word, so every command group gets this one instead.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";

// deno-lint-ignore no-explicit-any -- any command of the tree, whatever its typed options
type AnyCommand = Command<any, any, any>;

/**
 * Gives `group` and every group below it a `help [command...]` command that
 * prints the help of the command its words name, however deep.
 */
export function addNestedHelp(group: AnyCommand): void {
  if (group.commands.length === 0) return;
  for (const sub of group.commands) addNestedHelp(sub as AnyCommand);
  group.helpCommand(false);
  group.addCommand(
    new Command("help")
      .description("display help for command")
      .argument("[command...]", "the command, with its group (`user key`)")
      .action((words: string[]) => {
        let at: AnyCommand = group;
        for (const [i, word] of words.entries()) {
          const next = at.commands.find((c) => c.name() === word || c.aliases().includes(word));
          if (!next || next.name() === "help") {
            throw new UsageError(`unknown command "${words.slice(0, i + 1).join(" ")}"`, {
              hint: `Run \`${commandPath(at)} --help\` for its commands`,
            });
          }
          at = next as AnyCommand;
        }
        at.outputHelp();
      }),
  );
}

/** `hexpub user key`: the command's name after its parents'. */
function commandPath(cmd: AnyCommand): string {
  const names: string[] = [];
  for (let c: AnyCommand | null = cmd; c; c = c.parent as AnyCommand | null) {
    names.unshift(c.name());
  }
  return names.join(" ");
}
