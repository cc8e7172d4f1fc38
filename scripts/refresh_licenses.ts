// deno-lint-ignore-file no-console -- a developer script: it reports to the terminal.
/**
 * Regenerates `src/hex/spdx_ids.ts`, the licence ids hexpub accepts as hex.pm does.
 *
 * Usage:
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write scripts/refresh_licenses.ts [--url URL | --file PATH] [--out PATH] [--label TEXT]
 * ```
 *
 * Input is either the SPDX licence list JSON (`licenses.json`, the default, fetched from
 * {@link DEFAULT_URL}) or hex_core's `src/hex_licenses.erl`, the list hex.pm actually
 * checks against (hexpm calls `:hex_licenses.valid/1`). The format is detected from the
 * content. Deprecated SPDX ids are kept: hex.pm accepts them (`GPL-2.0`, `GPL-2.0+`, …).
 *
 * hex_core regenerates its list from SPDX only now and then, so the SPDX list can
 * hold ids hex.pm does not accept yet. To mirror hex.pm exactly, use
 * `--url` {@link HEX_CORE_URL}.
 *
 * @module
 */

/** The SPDX licence list JSON fetched when neither `--url` nor `--file` is given. */
export const DEFAULT_URL =
  "https://raw.githubusercontent.com/spdx/license-list-data/main/json/licenses.json";

/** hex_core's generated licence module: the list hex.pm checks against. */
export const HEX_CORE_URL =
  "https://raw.githubusercontent.com/hexpm/hex_core/main/src/hex_licenses.erl";

/** Where a licence list came from, for the generated module's header. */
export interface ListSource {
  /** URL or file path read. */
  location: string;
  /** When it was read (`YYYY-MM-DD`). */
  date: string;
  /** What the list is, e.g. `SPDX License List 3.27 (released 2025-07-01)`. */
  detail?: string;
}

/** Licence ids read from a list, and what the list says about itself. */
export interface LicenseList {
  /** Every id, deprecated ones included, in input order. */
  ids: string[];
  /** A description of the list (its version), when it has one. */
  detail?: string;
}

/** Options of {@link refresh}. */
export interface RefreshOptions {
  /** URL to fetch (default {@link DEFAULT_URL}); ignored when `file` is set. */
  url?: string;
  /** Local file to read instead of fetching. */
  file?: string;
  /** The module to write. */
  out: string;
  /** Replaces the source location in the header (say which commit a local file came from). */
  label?: string;
  /** The retrieval date for the header; defaults to today (UTC). */
  date?: string;
  /** The fetch function; defaults to the global one. */
  fetch?: (input: string) => Promise<Response>;
}

// SPDX ids use letters, digits, ".", "-" and "+"; anything else would be a
// parsing mistake, and must never reach the generated source.
const ID = /^[A-Za-z0-9][A-Za-z0-9.+-]*$/;
const ERL_CLAUSE = /^valid\(<<"([^"\\]+)">>\) -> true;$/gm;

/**
 * Reads licence ids from the SPDX `licenses.json` or from hex_core's `hex_licenses.erl`.
 *
 * @param text The file's content.
 * @returns The ids (deprecated ones included) and a description of the list.
 * @throws {SyntaxError} When the text is neither format, or holds no ids or an id
 *   with unexpected characters.
 */
export function parseLicenseList(text: string): LicenseList {
  const list = text.trimStart().startsWith("{") ? parseSpdxJson(text) : parseHexCoreErl(text);
  if (list.ids.length === 0) throw new SyntaxError("licence list has no ids");
  for (const id of list.ids) {
    if (!ID.test(id)) {
      throw new SyntaxError(`licence list has an unexpected id ${JSON.stringify(id)}`);
    }
  }
  return list;
}

function parseSpdxJson(text: string): LicenseList {
  const data: unknown = JSON.parse(text);
  if (!isRecord(data) || !Array.isArray(data.licenses)) {
    throw new SyntaxError('SPDX licence list has no "licenses" array');
  }
  const ids: string[] = [];
  for (const entry of data.licenses) {
    // Deprecated ids (isDeprecatedLicenseId) are kept on purpose: hex.pm accepts them.
    if (isRecord(entry) && typeof entry.licenseId === "string") ids.push(entry.licenseId);
  }
  const version = typeof data.licenseListVersion === "string" ? data.licenseListVersion : undefined;
  const released = typeof data.releaseDate === "string" ? data.releaseDate : undefined;
  let detail = version === undefined ? "SPDX License List" : `SPDX License List ${version}`;
  if (released !== undefined) detail += ` (released ${released})`;
  return { ids, detail };
}

function parseHexCoreErl(text: string): LicenseList {
  if (!/^-module\(hex_licenses\)\./m.test(text)) {
    throw new SyntaxError(
      "input is neither SPDX licence list JSON nor hex_core's hex_licenses.erl",
    );
  }
  const ids = [...text.matchAll(ERL_CLAUSE)].map((match) => match[1]);
  return { ids, detail: "hex_core src/hex_licenses.erl (the list hex.pm checks against)" };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Renders the `src/hex/spdx_ids.ts` module: a header naming this script, the source
 * and its date, then `SPDX_IDS`, sorted (code-unit order) and without duplicates.
 *
 * @param ids The licence ids.
 * @param source Where they came from.
 * @returns The module text, already in `deno fmt` style.
 * @throws {SyntaxError} When an id has characters no SPDX id has.
 */
export function renderSpdxModule(ids: readonly string[], source: ListSource): string {
  for (const id of ids) {
    if (!ID.test(id)) throw new SyntaxError(`unexpected licence id ${JSON.stringify(id)}`);
  }
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header = [
    "// Generated by scripts/refresh_licenses.ts: do not edit by hand.",
    `// Source: ${oneLine(source.location)}`,
    ...(source.detail === undefined ? [] : [`// List: ${oneLine(source.detail)}`]),
    `// Retrieved: ${oneLine(source.date)}`,
    "// Deprecated SPDX ids are included: hex.pm accepts them.",
  ];
  return [
    ...header,
    "",
    "/** The SPDX licence ids hex.pm accepts in package metadata (exact, case-sensitive), sorted. */",
    "export const SPDX_IDS: readonly string[] = [",
    ...sorted.map((id) => `  ${JSON.stringify(id)},`),
    "];",
    "",
  ].join("\n");
}

function dirnameOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return ".";
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/**
 * Writes a file so that readers see the old content or the new, never a partial
 * one: a temporary file in the same directory, then a rename over the target.
 *
 * @param path The file to write.
 * @param text Its new content.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = await Deno.makeTempFile({
    dir: dirnameOf(path),
    prefix: ".refresh_",
    suffix: ".tmp",
  });
  try {
    await Deno.writeTextFile(temp, text);
    if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o644);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Reads a licence list (file or URL), renders the module and writes it atomically.
 *
 * @param options Where to read from and write to.
 * @returns How many distinct ids were written, and the source recorded in the header.
 * @throws {Error} When the download fails or the list does not parse.
 */
export async function refresh(
  options: RefreshOptions,
): Promise<{ count: number; source: ListSource }> {
  let text: string;
  let location: string;
  if (options.file !== undefined) {
    location = options.file;
    text = await Deno.readTextFile(options.file);
  } else {
    location = options.url ?? DEFAULT_URL;
    const response = await (options.fetch ?? fetch)(location);
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(
        `Failed to download the licence list from "${location}": HTTP ${response.status}`,
      );
    }
    text = await response.text();
  }
  const list = parseLicenseList(text);
  const source: ListSource = {
    location: options.label ?? location,
    date: options.date ?? new Date().toISOString().slice(0, 10),
    detail: list.detail,
  };
  await writeFileAtomic(options.out, renderSpdxModule(list.ids, source));
  return { count: new Set(list.ids).size, source };
}

const USAGE = `Usage: refresh_licenses.ts [--url URL | --file PATH] [--out PATH] [--label TEXT]

  --url URL     licence list to download (default: ${DEFAULT_URL});
                hex_core's list, which hex.pm uses: ${HEX_CORE_URL}
  --file PATH   read a local licenses.json or hex_licenses.erl instead
  --out PATH    module to write (default: src/hex/spdx_ids.ts)
  --label TEXT  source description for the header (default: the URL or path)`;

/**
 * Reads the command line.
 *
 * @param args The arguments after the script name.
 * @param defaultOut The module to write when `--out` is not given.
 * @returns The refresh options, or `"help"` for `--help`.
 * @throws {TypeError} On an unknown flag, a flag without its value, or both `--url` and `--file`.
 */
export function parseArgs(args: readonly string[], defaultOut: string): RefreshOptions | "help" {
  const options: RefreshOptions = { out: defaultOut };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") return "help";
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!["--url", "--file", "--out", "--label"].includes(flag)) {
      throw new TypeError(`Unknown argument "${arg}"`);
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new TypeError(`Missing value for "${flag}"`);
    if (flag === "--url") options.url = value;
    else if (flag === "--file") options.file = value;
    else if (flag === "--out") options.out = value;
    else options.label = value;
  }
  if (options.url !== undefined && options.file !== undefined) {
    throw new TypeError('Pass either "--url" or "--file", not both');
  }
  return options;
}

async function main(): Promise<void> {
  const defaultOut = `${import.meta.dirname}/../src/hex/spdx_ids.ts`;
  let options: RefreshOptions | "help";
  try {
    options = parseArgs(Deno.args, defaultOut);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  try {
    const { count, source } = await refresh(options);
    console.log(`Wrote ${count} licence ids to ${options.out}`);
    console.log(`Source: ${source.location}${source.detail ? ` (${source.detail})` : ""}`);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}

if (import.meta.main) {
  await main();
}
