/**
 * Reading Erlang term files the way rebar3 does, including the dynamic
 * `*.script` variants, which need Erlang: they are evaluated with `escript`
 * when it is on PATH.
 *
 * @module
 */
import { basename, join } from "node:path";
import { ProjectError } from "../errors.ts";
import { latin1, type Term } from "../erlang/term.ts";
import { readTerms } from "../erlang/read_terms.ts";
import type { Deps } from "../ports.ts";
import {
  checkProjectFile,
  MAX_TERM_FILE_SIZE,
  readProjectFile,
  runProjectCommand,
  sizeText,
} from "./read_limits.ts";

/** A consulted file: its terms and text. */
export interface Consulted {
  /** The file's absolute path (the `.script` one when it was evaluated); the ui shows it relative. */
  file: string;
  /** The text the terms were read from (for a script: what the script returned, printed). */
  text: string;
  terms: Term[];
  /** Whether the terms came from evaluating a `.script` file. */
  fromScript: boolean;
  /** How the file's bytes map to `text`: Erlang reads UTF-8, or Latin-1 when asked or when not UTF-8. */
  encoding: "utf8" | "latin1";
}

/**
 * Decodes a term file as Erlang does: UTF-8, unless a `coding: latin-1` comment
 * on one of the first two lines says otherwise; bytes that are not valid
 * UTF-8 are read as Latin-1 too.
 */
function decodeTermFile(bytes: Uint8Array): { text: string; encoding: "utf8" | "latin1" } {
  const head = latin1(bytes.subarray(0, 512)).split("\n").slice(0, 2).join("\n");
  if (!/coding\s*[:=]\s*latin-?1/i.test(head)) {
    try {
      return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), encoding: "utf8" };
    } catch {
      // Not UTF-8: Latin-1, as Erlang falls back to.
    }
  }
  return { text: latin1(bytes), encoding: "latin1" };
}

/** Encodes text back to the bytes of a file in `encoding`. */
export function encodeTermFile(text: string, encoding: "utf8" | "latin1"): Uint8Array {
  if (encoding === "utf8") return new TextEncoder().encode(text);
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

// Evaluates SCRIPT with CONFIG bound to the consulted BASE file (or [] when it is
// absent), as rebar3 does, and writes the resulting terms, one per line, to OUT
// (not stdout: a script may print whatever it likes). A result larger than MAX
// bytes (its external term size, then its printed size) is refused with exit
// code 4 before it is printed in full: printing a huge term takes the VM
// gigabytes. rebar3 evaluates scripts
// inside its own VM, where the module rebar3 is loaded, and scripts test for it
// to tell rebar3 from rebar 2 (lager's: \`erlang:function_exported(rebar3, main, 1)\`
// picks its hex dependency under rebar3 and a git one otherwise); an empty
// rebar3 module with main/1 makes them take rebar3's branch here too.
const EVAL_ESCRIPT = `%%! -noshell
-mode(compile).
main([Script, Base, Out, Max]) ->
    as_rebar3(),
    Config = case file:consult(Base) of {ok, T} -> T; _ -> [] end,
    B0 = erl_eval:new_bindings(),
    B1 = erl_eval:add_binding('CONFIG', Config, B0),
    B2 = erl_eval:add_binding('SCRIPT', Script, B1),
    case file:script(Script, B2) of
        {ok, Result} when is_list(Result) ->
            Limit = list_to_integer(Max),
            erlang:external_size(Result) =< Limit orelse too_big(Limit),
            Text = print_terms(Result, Limit, 0, []),
            ok = file:write_file(Out, Text);
        {ok, Other} ->
            io:format(standard_error, "the script returned ~tp, not a list of terms~n", [Other]),
            halt(3);
        {error, Reason} ->
            io:format(standard_error, "~ts~n", [file:format_error(Reason)]),
            halt(2)
    end.

print_terms([], _Limit, _Size, Acc) ->
    lists:reverse(Acc);
print_terms([T | Rest], Limit, Size, Acc) ->
    Bin = unicode:characters_to_binary(io_lib:format("~tp.~n", [T])),
    Size1 = Size + byte_size(Bin),
    Size1 =< Limit orelse too_big(Limit),
    print_terms(Rest, Limit, Size1, [Bin | Acc]).

too_big(Limit) ->
    io:format(standard_error, "the result is larger than ~b bytes~n", [Limit]),
    halt(4).

as_rebar3() ->
    case code:which(rebar3) of
        non_existing ->
            Forms = [{attribute, 1, module, rebar3},
                     {attribute, 1, export, [{main, 1}]},
                     {function, 1, main, 1, [{clause, 1, [{var, 1, '_'}], [], [{atom, 1, ok}]}]}],
            {ok, rebar3, Bin} = compile:forms(Forms),
            {module, rebar3} = code:load_binary(rebar3, "rebar3.erl", Bin),
            ok;
        _ ->
            ok
    end.
`;

/**
 * Reads a term file. When `path + ".script"` exists it is evaluated instead
 * (with `CONFIG` bound to the plain file's terms), as rebar3 does.
 *
 * @param deps Ports.
 * @param path Absolute path of the plain file (`rebar.config`, `src/x.app.src`).
 * @returns The terms, or `undefined` when neither the file nor its script exists.
 * @throws {TermSyntaxError} When the text does not parse.
 * @throws {ProjectError} When a script cannot be evaluated, or runs past the command time limit
 *   (`HEXPUB_CMD_TIMEOUT`), or a file, the script's output or its result is past its size cap
 *   (see `read_limits.ts`).
 */
export async function consultFile(deps: Deps, path: string): Promise<Consulted | undefined> {
  const script = path + ".script";
  if (await deps.fs.lstat(script)) return await evalScript(deps, script, path);
  return await consultPlainFile(deps, path);
}

/**
 * Reads a term file as `file:consult/1` does, ignoring any `.script` beside it.
 *
 * @param deps Ports.
 * @param path Absolute path of the file.
 * @returns The terms, or `undefined` when the file does not exist.
 * @throws {TermSyntaxError} When the text does not parse.
 * @throws {ProjectError} When the file is larger than 1 MiB or not a regular file.
 */
export async function consultPlainFile(
  deps: Deps,
  path: string,
): Promise<Consulted | undefined> {
  if (!(await deps.fs.lstat(path))) return undefined;
  const { text, encoding } = decodeTermFile(await readProjectFile(deps, path));
  return { file: path, text, terms: readTerms(text, path), fromScript: false, encoding };
}

async function evalScript(deps: Deps, script: string, base: string): Promise<Consulted> {
  const file = script;
  const escript = await deps.which("escript");
  if (!escript) {
    throw new ProjectError(`${file} needs Erlang to evaluate: escript is not on PATH`, {
      where: { file },
      hint: `Install Erlang (escript), or replace ${basename(script)} with a static ${
        basename(base)
      }`,
    });
  }
  // Erlang reads both files: bound them here, as a plain read would be.
  await checkProjectFile(deps, script);
  await checkProjectFile(deps, base);
  const tmp = await deps.fs.makeTempDir({ prefix: "hexpub-script-" });
  try {
    const runner = join(tmp, "eval.escript");
    await deps.fs.writeFile(runner, new TextEncoder().encode(EVAL_ESCRIPT));
    const out = join(tmp, "result.config");
    // rebar3 evaluates every script in its own working directory (the project root), not the
    // script's: `file:read_file("VERSION")` in src/APP.app.src.script reads ./VERSION.
    const res = await runProjectCommand(
      deps,
      escript,
      [runner, script, base, out, String(MAX_TERM_FILE_SIZE)],
      { cwd: deps.cwd, what: `evaluating ${file} with escript`, where: { file } },
    );
    if (res.code === 4) {
      throw new ProjectError(
        `${file} returned a result larger than ${
          sizeText(MAX_TERM_FILE_SIZE)
        }, the most hexpub reads`,
        { where: { file }, hint: "Make the script return less" },
      );
    }
    if (res.code !== 0) {
      throw new ProjectError(
        `evaluating ${file} failed: ${res.stderr.trim() || `escript exited with ${res.code}`}`,
        { where: { file } },
      );
    }
    const text = new TextDecoder().decode(await readProjectFile(deps, out, { where: { file } }));
    return {
      file,
      text,
      terms: readTerms(text, `${file} (evaluated)`),
      fromScript: true,
      encoding: "utf8",
    };
  } finally {
    await deps.fs.remove(tmp).catch(() => {});
  }
}
