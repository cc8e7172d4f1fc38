import { strict as assert } from "node:assert";
import {
  bashCompletion,
  type CompletionCommand,
  completionScript,
  fishCompletion,
  zshCompletion,
} from "../../src/ui/completions.ts";

const tree: CompletionCommand = {
  name: "tool",
  description: "",
  options: [{ flags: ["-h", "--help"], description: "help" }],
  arguments: [],
  commands: [{
    name: "get",
    description: "it's got 'quotes'\nand a newline",
    options: [
      { flags: ["-r", "--repo"], description: "repository", value: { kind: "repo" } },
      {
        flags: ["--mode"],
        description: "mode",
        value: { kind: "words", words: ["a", "b;rm -rf", "c"] },
      },
    ],
    arguments: [
      { name: "dir", value: { kind: "file" }, variadic: false },
      { name: "rest", value: { kind: "words", words: ["x"] }, variadic: true },
    ],
    commands: [],
  }, { name: "bad name$(x)", description: "", options: [], arguments: [], commands: [] }],
};

Deno.test("bashCompletion() carries the tree as case tables and registers the function", () => {
  const s = bashCompletion(tree, "1.2.3");
  assert.match(s, /^# bash completion for tool 1\.2\.3/);
  assert.match(s, /^ {4}''\) echo 'get' ;;$/m);
  assert.match(s, /^ {4}'get'\) echo '-r --repo --mode' ;;$/m);
  assert.match(s, /^ {4}'get\|-r'\|'get\|--repo'\) echo 'repo all' ;;$/m);
  // Words a shell would read as code are left out.
  assert.match(s, /^ {4}'get\|--mode'\) echo 'words a c' ;;$/m);
  assert.match(s, /^ {4}'get\|0'\) echo 'file' ;;$/m);
  // The variadic argument: its own index, then every later one.
  assert.match(s, /^ {4}'get\|1'\) echo 'words x' ;;$/m);
  assert.match(s, /^ {4}'get\|'\*\) echo 'words x' ;;$/m);
  assert.match(s, /"\$prog" completions --list-repos "\$1"/);
  assert.match(s, /^complete -o bashdefault -o default -F _tool tool$/m);
  assert.doesNotMatch(s, /bad name/);
  assert.equal(completionScript("bash", tree, "1.2.3"), s);
});

Deno.test("zshCompletion() describes commands on one line and quotes them", () => {
  const s = zshCompletion(tree, "1.2.3");
  assert.match(s, /^#compdef tool$/m);
  assert.match(s, /^ {4}''\) reply=\('get:it'\\''s got '\\''quotes'\\'' and a newline'\) ;;$/m);
  assert.match(s, /^ {2}compdef _tool tool$/m);
  assert.doesNotMatch(s, /bad name/);
});

Deno.test("fishCompletion() prints candidates with tab-separated descriptions", () => {
  const s = fishCompletion(tree, "1.2.3");
  assert.match(s, /^ {12}printf '%s\\n' 'get\tit\\'s got \\'quotes\\' and a newline'$/m);
  assert.match(s, /^ {8}case 'get\|-r' 'get\|--repo'$/m);
  assert.match(s, /^complete -c tool -f -a '\(__tool_complete\)'$/m);
  assert.doesNotMatch(s, /bad name/);
});
