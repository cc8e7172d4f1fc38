/**
 * Shell completion scripts for bash, zsh and fish, generated from a plain
 * description of the command tree ({@link CompletionCommand}; the command
 * layer builds it from the commander tree, so the scripts follow the commands,
 * subcommands and flags as they are).
 *
 * Each script carries the tree as data (one shell function per table: the
 * subcommands of a command, its flags, the kind of value a flag or a
 * positional argument takes) and one small walker that finds the command being
 * typed. Repository names are not baked in: the script asks
 * `hexpub completions --list-repos KIND` when a `-r`/`--repo` value (or a
 * repository argument) is completed, so it always sees the current config.
 *
 * @module
 */
import type { RepoList } from "../tasks/completions.ts";

/** What a flag's value or a positional argument is completed with. */
export type CompletionValue =
  | { kind: "none" }
  /** Repository names: `all` of them (the default), those `removable`, or the `orgs`. */
  | { kind: "repo"; list?: RepoList }
  | { kind: "file" }
  | { kind: "words"; words: string[] };

/** One flag: its spellings (`-r`, `--repo`), and its value when it takes one. */
export interface CompletionOption {
  flags: string[];
  description: string;
  /** Absent for a flag that takes no value. */
  value?: CompletionValue;
}

/** One positional argument. */
export interface CompletionArgument {
  name: string;
  value: CompletionValue;
  /** The last argument, repeated (`<args...>`). */
  variadic: boolean;
}

/** A command, its flags, arguments and subcommands; the root is the program. */
export interface CompletionCommand {
  name: string;
  description: string;
  options: CompletionOption[];
  arguments: CompletionArgument[];
  commands: CompletionCommand[];
}

/** The shells hexpub writes completion scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link SHELLS}. */
export type Shell = typeof SHELLS[number];

/** The hidden flag the scripts call back for repository names (of a {@link RepoList}), one per line. */
export const LIST_REPOS_FLAG = "--list-repos";

/** A command with its path below the root (`""` for the root, `"user key"`). */
interface Node {
  path: string;
  command: CompletionCommand;
}

function nodes(root: CompletionCommand): Node[] {
  const out: Node[] = [];
  const walk = (command: CompletionCommand, path: string) => {
    out.push({ path, command });
    for (const sub of command.commands) walk(sub, path ? `${path} ${sub.name}` : sub.name);
  };
  walk(root, "");
  return out;
}

/** Words a script may carry unquoted inside its single-quoted data. */
const SAFE_WORD = /^[A-Za-z0-9_.:@+\/-]+$/;

function safeWords(words: string[]): string[] {
  return words.filter((w) => SAFE_WORD.test(w));
}

/** A value kind as the scripts spell it: `repo LIST`, `file`, `none` or `words A B`. */
function valueWord(value: CompletionValue): string {
  if (value.kind === "words") return ["words", ...safeWords(value.words)].join(" ");
  if (value.kind === "repo") return `repo ${value.list ?? "all"}`;
  return value.kind;
}

/** Single-quoted for POSIX shells (bash, zsh). */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Single-quoted for fish (where `\\` and `\'` are the escapes inside quotes). */
function fishq(s: string): string {
  return `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** A description on one line, without control characters, short enough for a menu. */
function oneLine(s: string): string {
  // deno-lint-ignore no-control-regex
  const flat = s.replace(/[\x00-\x1f\x7f]+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

/** `case` labels: `'PATH|KEY'` for each key (a trailing `*` stays a glob). */
function label(path: string, key: string, quote: (s: string) => string): string {
  return key === "*" ? `${quote(`${path}|`)}*` : quote(`${path}|${key}`);
}

/** [labels, value] for each flag that takes a value. */
function optionValueCases(all: Node[]): [string[], string][] {
  const out: [string[], string][] = [];
  for (const { path, command } of all) {
    for (const o of command.options) {
      if (o.value) out.push([o.flags.map((f) => `${path}|${f}`), valueWord(o.value)]);
    }
  }
  return out;
}

/** [path, key, value] for each positional argument (`*` for the rest of a variadic one). */
function argumentCases(all: Node[]): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const { path, command } of all) {
    command.arguments.forEach((a, i) => {
      if (a.value.kind === "none") return;
      out.push([path, String(i), valueWord(a.value)]);
      if (a.variadic) out.push([path, "*", valueWord(a.value)]);
    });
  }
  return out;
}

const flagsOf = (c: CompletionCommand) => safeWords(c.options.flatMap((o) => o.flags));
const namesOf = (c: CompletionCommand) => safeWords(c.commands.map((s) => s.name));

/**
 * Per command path, its subcommands and its flags with their descriptions,
 * each entry written by `entry` (zsh's `name:desc`, fish's `name\tdesc`).
 */
function describedRows(
  all: Node[],
  entry: (name: string, desc: string) => string,
): { commands: [string, string[]][]; options: [string, string[]][] } {
  return {
    commands: all.map(({ path, command }) => [
      path,
      command.commands.filter((s) => SAFE_WORD.test(s.name)).map((s) =>
        entry(s.name, s.description)
      ),
    ]),
    options: all.map(({ path, command }) => [
      path,
      command.options.flatMap((o) => safeWords(o.flags).map((f) => entry(f, o.description))),
    ]),
  };
}

/**
 * The bash script: defines `_NAME` and registers it for the program. Written
 * for bash 3.2 (macOS) and later (no associative arrays; `compopt` only where
 * bash has it), without the bash-completion package; a value typed after `:`
 * or `=` (which bash splits into words) is completed whole.
 */
export function bashCompletion(root: CompletionCommand, version: string): string {
  const all = nodes(root);
  const fn = `_${root.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const table = (name: string, rows: [string, string[]][]) => [
    `${fn}_${name}() {`,
    `  case $1 in`,
    ...rows.filter(([, words]) => words.length > 0).map(([path, words]) =>
      `    ${shq(path)}) echo ${shq(words.join(" "))} ;;`
    ),
    `  esac`,
    `}`,
  ];
  return [
    `# bash completion for ${root.name} ${version}, written by \`${root.name} completions bash\`.`,
    `# Load it in ~/.bashrc:  eval "$(${root.name} completions bash)"`,
    ``,
    `# The subcommands, then the flags, of the command at path $1 ('' for ${root.name}).`,
    ...table("commands", all.map(({ path, command }) => [path, namesOf(command)])),
    ...table("options", all.map(({ path, command }) => [path, flagsOf(command)])),
    ``,
    `# What flag $2 of command $1 takes: 'repo LIST', file, none, 'words A B'; nothing for a flag.`,
    `${fn}_option_value() {`,
    `  case "$1|$2" in`,
    ...optionValueCases(all).map(([labels, value]) =>
      `    ${labels.map((l) => shq(l)).join("|")}) echo ${shq(value)} ;;`
    ),
    `  esac`,
    `}`,
    ``,
    `# What positional argument $2 (from 0) of command $1 takes.`,
    `${fn}_argument() {`,
    `  case "$1|$2" in`,
    ...argumentCases(all).map(([path, key, value]) =>
      `    ${label(path, key, shq)}) echo ${shq(value)} ;;`
    ),
    `  esac`,
    `}`,
    ``,
    `# The repositories hexpub knows (config.json, the credential store) of list $1:`,
    `# all, removable (added with repo add) or orgs (hexpm:ORG).`,
    `${fn}_repos() {`,
    `  local prog=\${COMP_WORDS[0]}`,
    `  [[ $prog == "~/"* ]] && prog=$HOME/\${prog#"~/"}`,
    `  "$prog" completions ${LIST_REPOS_FLAG} "$1" 2>/dev/null`,
    `}`,
    ``,
    `# Completes value kind $1 for the word $2; bash replaces only what follows its last ':' or '='.`,
    `${fn}_values() {`,
    `  local cur=$2 keep="" c`,
    `  local -a found=()`,
    `  case $1 in`,
    `    repo\\ *) found=($(compgen -W "$(${fn}_repos "\${1#repo }")" -- "$cur")) ;;`,
    `    words\\ *) found=($(compgen -W "\${1#words }" -- "$cur")) ;;`,
    `    file)`,
    `      type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null`,
    `      local IFS=$'\\n'`,
    `      found=($(compgen -f -- "$cur")) ;;`,
    `  esac`,
    `  [[ $cur == *[:=]* ]] && keep=\${cur%"\${cur##*[:=]}"}`,
    `  COMPREPLY=()`,
    `  for c in "\${found[@]}"; do COMPREPLY+=("\${c#"$keep"}"); done`,
    `}`,
    ``,
    `${fn}() {`,
    `  local -a words=()`,
    `  local j cword=0 glue=0 w`,
    `  # Rejoin what COMP_WORDBREAKS split: hexpm : acme, --repo = x.`,
    `  for ((j = 0; j <= COMP_CWORD; j++)); do`,
    `    w=\${COMP_WORDS[j]}`,
    `    if ((j > 0)) && [[ $w == ":" || $w == "=" ]]; then`,
    `      words[\${#words[@]} - 1]+=$w; glue=1`,
    `    elif ((glue)); then`,
    `      words[\${#words[@]} - 1]+=$w; glue=0`,
    `    else`,
    `      words+=("$w")`,
    `    fi`,
    `  done`,
    `  cword=$((\${#words[@]} - 1))`,
    `  local cur=\${words[cword]} cmdpath="" kind="" n=0 dashdash=0 i=1 subs`,
    `  while ((i < cword)); do`,
    `    w=\${words[i]}`,
    `    if ((dashdash == 0)) && [[ $w == -?* ]]; then`,
    `      if [[ $w == -- ]]; then`,
    `        dashdash=1`,
    `      elif [[ $w != *=* && -n $(${fn}_option_value "$cmdpath" "$w") ]]; then`,
    `        ((i++))`,
    `      fi`,
    `    else`,
    `      subs=" $(${fn}_commands "$cmdpath") "`,
    `      if ((n == 0)) && [[ $subs == *" $w "* ]]; then`,
    `        cmdpath=\${cmdpath:+$cmdpath }$w`,
    `      else`,
    `        ((n++))`,
    `      fi`,
    `    fi`,
    `    ((i++))`,
    `  done`,
    `  # The value of the flag before the cursor, or after its '='.`,
    `  if ((i == cword + 1)); then`,
    `    ${fn}_values "$(${fn}_option_value "$cmdpath" "\${words[cword - 1]}")" "$cur"`,
    `    return`,
    `  fi`,
    `  if ((dashdash == 0)) && [[ $cur == -*=* ]]; then`,
    `    ${fn}_values "$(${fn}_option_value "$cmdpath" "\${cur%%=*}")" "\${cur#*=}"`,
    `    return`,
    `  fi`,
    `  if ((dashdash == 0)) && [[ $cur == -* ]]; then`,
    `    COMPREPLY=($(compgen -W "$(${fn}_options "$cmdpath")" -- "$cur"))`,
    `    return`,
    `  fi`,
    `  subs=$(${fn}_commands "$cmdpath")`,
    `  if ((n == 0)) && [[ -n $subs ]]; then`,
    `    COMPREPLY=($(compgen -W "$subs" -- "$cur"))`,
    `    return`,
    `  fi`,
    `  ${fn}_values "$(${fn}_argument "$cmdpath" "$n")" "$cur"`,
    `}`,
    ``,
    `complete -o bashdefault -o default -F ${fn} ${root.name}`,
    ``,
  ].join("\n");
}

/**
 * The zsh script: a `#compdef` function (for a directory of `$fpath`) that
 * registers itself with `compdef` when sourced instead. Commands and flags
 * are offered with their descriptions.
 */
export function zshCompletion(root: CompletionCommand, version: string): string {
  const all = nodes(root);
  const fn = `_${root.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const described = (name: string, desc: string) =>
    shq(`${name.replaceAll(":", "\\:")}:${oneLine(desc)}`);
  const rows = describedRows(all, described);
  const table = (name: string, rows: [string, string[]][]) => [
    `${fn}_${name}() {`,
    `  case $1 in`,
    ...rows.filter(([, entries]) => entries.length > 0).map(([path, entries]) =>
      `    ${shq(path)}) reply=(${entries.join(" ")}) ;;`
    ),
    `    *) reply=() ;;`,
    `  esac`,
    `}`,
  ];
  return [
    `#compdef ${root.name}`,
    `# zsh completion for ${root.name} ${version}, written by \`${root.name} completions zsh\`.`,
    `# Install: ${root.name} completions zsh > "\${fpath[1]}/_${root.name}"  (then start a new shell),`,
    `# or in ~/.zshrc after compinit:  source <(${root.name} completions zsh)`,
    ``,
    ...table("commands", rows.commands),
    ...table("options", rows.options),
    ``,
    `${fn}_option_value() {`,
    `  case "$1|$2" in`,
    ...optionValueCases(all).map(([labels, value]) =>
      `    ${labels.map((l) => shq(l)).join("|")}) REPLY=${shq(value)} ;;`
    ),
    `    *) REPLY= ;;`,
    `  esac`,
    `}`,
    ``,
    `${fn}_argument() {`,
    `  case "$1|$2" in`,
    ...argumentCases(all).map(([path, key, value]) =>
      `    ${label(path, key, shq)}) REPLY=${shq(value)} ;;`
    ),
    `    *) REPLY= ;;`,
    `  esac`,
    `}`,
    ``,
    `${fn}_values() {`,
    `  case $1 in`,
    `    repo\\ *)`,
    `      local prog=\${words[1]}; local -a repos`,
    `      [[ $prog == '~/'* ]] && prog=$HOME/\${prog#'~/'}`,
    `      repos=(\${(f)"$($prog completions ${LIST_REPOS_FLAG} "\${1#repo }" 2>/dev/null)"})`,
    `      compadd -a repos ;;`,
    `    file) _files ;;`,
    `    words\\ *) local -a w; w=(\${=1#words }); compadd -a w ;;`,
    `  esac`,
    `}`,
    ``,
    `${fn}() {`,
    `  local cmdpath="" n=0 dashdash=0 i=2 w REPLY`,
    `  local -a reply`,
    `  while ((i < CURRENT)); do`,
    `    w=\${words[i]}`,
    `    if ((dashdash == 0)) && [[ $w == -?* ]]; then`,
    `      if [[ $w == -- ]]; then`,
    `        dashdash=1`,
    `      elif [[ $w != *=* ]]; then`,
    `        ${fn}_option_value "$cmdpath" "$w"`,
    `        [[ -n $REPLY ]] && ((i++))`,
    `      fi`,
    `    else`,
    `      ${fn}_commands "$cmdpath"`,
    `      if ((n == 0)) && (( \${reply[(I)\${(b)w}:*]} )); then`,
    `        cmdpath=\${cmdpath:+$cmdpath }$w`,
    `      else`,
    `        ((n++))`,
    `      fi`,
    `    fi`,
    `    ((i++))`,
    `  done`,
    `  if ((i == CURRENT + 1)); then`,
    `    ${fn}_option_value "$cmdpath" "\${words[CURRENT - 1]}"`,
    `    ${fn}_values "$REPLY"`,
    `    return`,
    `  fi`,
    `  if ((dashdash == 0)) && [[ $PREFIX == -*=* ]]; then`,
    `    ${fn}_option_value "$cmdpath" "\${PREFIX%%=*}"`,
    `    compset -P '*='`,
    `    ${fn}_values "$REPLY"`,
    `    return`,
    `  fi`,
    `  if ((dashdash == 0)) && [[ $PREFIX == -* ]]; then`,
    `    ${fn}_options "$cmdpath"`,
    `    _describe -t options option reply`,
    `    return`,
    `  fi`,
    `  ${fn}_commands "$cmdpath"`,
    `  if ((n == 0 && \${#reply} > 0)); then`,
    `    _describe -t commands command reply`,
    `    return`,
    `  fi`,
    `  ${fn}_argument "$cmdpath" "$n"`,
    `  ${fn}_values "$REPLY"`,
    `}`,
    ``,
    `if [[ $funcstack[1] == ${fn} ]]; then`,
    `  ${fn} "$@"`,
    `else`,
    `  compdef ${fn} ${root.name}`,
    `fi`,
    ``,
  ].join("\n");
}

/**
 * The fish script: one `complete` whose candidates (with descriptions) come
 * from a function walking the command line.
 */
export function fishCompletion(root: CompletionCommand, version: string): string {
  const all = nodes(root);
  const fn = `__${root.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const tab = (name: string, desc: string) => fishq(`${name}\t${oneLine(desc)}`);
  const rows = describedRows(all, tab);
  const table = (name: string, rows: [string, string[]][]) => [
    `function ${fn}_${name} --argument-names cmdpath`,
    `    switch "$cmdpath"`,
    ...rows.filter(([, entries]) => entries.length > 0).flatMap(([path, entries]) => [
      `        case ${path === "" ? "''" : fishq(path)}`,
      `            printf '%s\\n' ${entries.join(" ")}`,
    ]),
    `    end`,
    `end`,
  ];
  return [
    `# fish completion for ${root.name} ${version}, written by \`${root.name} completions fish\`.`,
    `# Install: ${root.name} completions fish > ~/.config/fish/completions/${root.name}.fish`,
    ``,
    ...table("commands", rows.commands),
    ...table("options", rows.options),
    ``,
    `function ${fn}_option_value --argument-names cmdpath opt`,
    `    switch "$cmdpath|$opt"`,
    ...optionValueCases(all).flatMap(([labels, value]) => [
      `        case ${labels.map((l) => fishq(l)).join(" ")}`,
      `            echo ${fishq(value)}`,
    ]),
    `    end`,
    `end`,
    ``,
    `function ${fn}_argument --argument-names cmdpath n`,
    `    switch "$cmdpath|$n"`,
    ...argumentCases(all).flatMap(([path, key, value]) => [
      `        case ${key === "*" ? fishq(`${path}|*`) : fishq(`${path}|${key}`)}`,
      `            echo ${fishq(value)}`,
    ]),
    `    end`,
    `end`,
    ``,
    `function ${fn}_values --argument-names kind cur prefix`,
    `    switch "$kind"`,
    `        case 'repo *'`,
    `            set -l prog (commandline -opc)[1]`,
    `            set -l list (string replace 'repo ' '' -- "$kind")`,
    `            for r in ($prog completions ${LIST_REPOS_FLAG} "$list" 2>/dev/null)`,
    `                echo "$prefix$r"`,
    `            end`,
    `        case file`,
    `            for f in (__fish_complete_path "$cur")`,
    `                echo "$prefix$f"`,
    `            end`,
    `        case 'words *'`,
    `            for w in (string split ' ' -- (string replace 'words ' '' -- "$kind"))`,
    `                echo "$prefix$w"`,
    `            end`,
    `    end`,
    `end`,
    ``,
    `function ${fn}_complete`,
    `    set -l tokens (commandline -opc)`,
    `    set -l cur (commandline -ct)`,
    `    set -l cmdpath ''`,
    `    set -l n 0`,
    `    set -l dashdash 0`,
    `    set -l i 2`,
    `    set -l count (count $tokens)`,
    `    set -l w`,
    `    set -l kind`,
    `    while test $i -le $count`,
    `        set w $tokens[$i]`,
    `        if test $dashdash = 0; and string match -q -- '-?*' "$w"`,
    `            if test "$w" = --`,
    `                set dashdash 1`,
    `            else if not string match -q -- '*=*' "$w"`,
    `                set kind (${fn}_option_value "$cmdpath" "$w")`,
    `                if test -n "$kind"`,
    `                    if test $i -eq $count`,
    `                        ${fn}_values "$kind" "$cur" ''`,
    `                        return`,
    `                    end`,
    `                    set i (math $i + 1)`,
    `                end`,
    `            end`,
    `        else if test $n = 0; and contains -- "$w" (${fn}_commands "$cmdpath" | string replace -r '\\t.*' '')`,
    `            set cmdpath (string trim -- "$cmdpath $w")`,
    `        else`,
    `            set n (math $n + 1)`,
    `        end`,
    `        set i (math $i + 1)`,
    `    end`,
    `    if test $dashdash = 0; and string match -q -- '-*=*' "$cur"`,
    `        set -l parts (string split -m 1 = -- "$cur")`,
    `        set kind (${fn}_option_value "$cmdpath" "$parts[1]")`,
    `        ${fn}_values "$kind" "$parts[2]" "$parts[1]="`,
    `        return`,
    `    end`,
    `    if test $dashdash = 0; and string match -q -- '-*' "$cur"`,
    `        ${fn}_options "$cmdpath"`,
    `        return`,
    `    end`,
    `    set -l subs (${fn}_commands "$cmdpath")`,
    `    if test $n = 0; and test (count $subs) -gt 0`,
    `        printf '%s\\n' $subs`,
    `        return`,
    `    end`,
    `    set kind (${fn}_argument "$cmdpath" $n)`,
    `    ${fn}_values "$kind" "$cur" ''`,
    `end`,
    ``,
    `complete -c ${root.name} -f -a '(${fn}_complete)'`,
    ``,
  ].join("\n");
}

/** The script for `shell`. */
export function completionScript(shell: Shell, root: CompletionCommand, version: string): string {
  switch (shell) {
    case "bash":
      return bashCompletion(root, version);
    case "zsh":
      return zshCompletion(root, version);
    case "fish":
      return fishCompletion(root, version);
  }
}
