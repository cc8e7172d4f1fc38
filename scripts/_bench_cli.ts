// deno-lint-ignore-file no-console -- benchmark scripts: their output is the console
/**
 * The command-line pieces the benchmark scripts share: number flags and the
 * `main` that parses, runs, prints and picks the exit code.
 *
 * @module
 */

/**
 * Reads a number flag.
 *
 * @param name The flag, without `--`.
 * @param text Its text, or `undefined` when not given.
 * @param fallback The value when not given.
 * @param opts `integer`: whole numbers only; `zero`: 0 allowed.
 * @param usage Appended to the error message.
 * @throws {Error} For anything else, naming the flag.
 */
export function numberFlag(
  name: string,
  text: string | undefined,
  fallback: number,
  opts: { integer?: boolean; zero?: boolean },
  usage: string,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  const ok = text.trim() !== "" && Number.isFinite(n) && (opts.zero ? n >= 0 : n > 0) &&
    (!opts.integer || Number.isInteger(n));
  if (!ok) {
    const what = `${opts.zero ? "non-negative" : "positive"} ${
      opts.integer ? "integer" : "number"
    }`;
    throw new Error(`--${name} wants a ${what}, got "${text}"\n${usage}`);
  }
  return n;
}

/**
 * A benchmark's `main`: bad arguments exit 2, a failed run 1, and with
 * `--check` a missed target 1; progress goes to stderr, the report (or JSON)
 * to stdout.
 */
export async function benchMain<O extends { json: boolean; check: boolean }, R>(
  parse: (args: string[]) => O,
  run: (options: O, progress: (line: string) => void) => Promise<R>,
  render: (result: R) => string[],
  passed: (result: R) => boolean,
): Promise<number> {
  let options: O;
  try {
    options = parse(Deno.args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  let result: R;
  try {
    result = await run(options, (line) => console.error(line));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else for (const line of render(result)) console.log(line);
  return options.check && !passed(result) ? 1 : 0;
}
