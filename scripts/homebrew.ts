// deno-lint-ignore-file no-console -- a developer script: its output is the console
/**
 * Writes hexpub's Homebrew formula (Ruby) from the `SHA256SUMS` that
 * `deno task compile` writes: one download per platform (macOS and Linux,
 * arm64 and x64), each the executable attached to the GitHub release of the
 * version, checked by its SHA-256.
 *
 * usage: deno run --allow-read --allow-write --allow-env scripts/homebrew.ts
 *          [--sums dist/SHA256SUMS] [--repo OWNER/NAME] [--version X.Y.Z] [--out FILE]
 *
 * `--repo` defaults to `GITHUB_REPOSITORY` (set in GitHub Actions); `--version`
 * to hexpub's own; without `--out` the formula goes to stdout.
 */
import { VERSION } from "../src/version.ts";
import { executableName } from "./compile.ts";

/** The platforms of the formula: Homebrew's OS and CPU, and the target built for it. */
export const FORMULA_TARGETS = [
  { os: "macos", cpu: "arm", target: "aarch64-apple-darwin" },
  { os: "macos", cpu: "intel", target: "x86_64-apple-darwin" },
  { os: "linux", cpu: "arm", target: "aarch64-unknown-linux-gnu" },
  { os: "linux", cpu: "intel", target: "x86_64-unknown-linux-gnu" },
] as const;

/**
 * Reads `sha256sum` output (`HEX  NAME` or `HEX *NAME` per line) into a map
 * from file name to checksum.
 *
 * @throws {Error} Naming the line that is not of that form.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.replace(/\r$/, ""));
    if (!m) throw new Error(`SHA256SUMS line ${i + 1} is not "SHA256  FILE": ${line}`);
    sums.set(m[2], m[1].toLowerCase());
  });
  return sums;
}

/** What the formula is made from. */
export interface FormulaInput {
  /** The release version, without `v` (the tag is `vVERSION`). */
  version: string;
  /** The GitHub repository (`OWNER/NAME`) whose releases hold the executables. */
  repo: string;
  /** File name → SHA-256, as {@link parseSha256Sums} reads it. */
  sums: Map<string, string>;
}

/** The release download URL of one file. */
export function downloadUrl(repo: string, version: string, file: string): string {
  return `https://github.com/${repo}/releases/download/v${version}/${file}`;
}

const rubyString = (s: string) => JSON.stringify(s);

/**
 * The formula (`Formula/hexpub.rb`).
 *
 * @throws {Error} When a target's executable has no checksum, or the repository or
 *   version is not of the expected form.
 */
export function homebrewFormula(input: FormulaInput): string {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(input.repo)) {
    throw new Error(`the repository must be OWNER/NAME, got "${input.repo}"`);
  }
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(input.version)) {
    throw new Error(`the version must be X.Y.Z, got "${input.version}"`);
  }
  const block = (os: "macos" | "linux") => {
    const lines = [`  on_${os} do`];
    for (const t of FORMULA_TARGETS.filter((t) => t.os === os)) {
      const file = executableName(t.target);
      const sha = input.sums.get(file);
      if (!sha) throw new Error(`SHA256SUMS has no line for ${file}`);
      lines.push(
        `    if Hardware::CPU.${t.cpu}?`,
        `      url ${rubyString(downloadUrl(input.repo, input.version, file))}`,
        `      sha256 ${rubyString(sha)}`,
        `    end`,
      );
    }
    lines.push(`  end`);
    return lines;
  };
  return [
    `# hexpub ${input.version}, written by scripts/homebrew.ts from the release's SHA256SUMS.`,
    `class Hexpub < Formula`,
    `  desc "Build and publish Hex packages from rebar3 projects, without Erlang"`,
    `  homepage ${rubyString(`https://github.com/${input.repo}`)}`,
    `  version ${rubyString(input.version)}`,
    `  license "Apache-2.0"`,
    ``,
    ...block("macos"),
    ``,
    ...block("linux"),
    ``,
    `  def install`,
    `    # The download is the executable itself, named after its target.`,
    `    bin.install Dir["hexpub-*"].first => "hexpub"`,
    `  end`,
    ``,
    `  test do`,
    `    assert_match version.to_s, shell_output("#{bin}/hexpub --version")`,
    `  end`,
    `end`,
    ``,
  ].join("\n");
}

/** Parses the script's flags. */
export function parseFlags(
  args: string[],
  env: { GITHUB_REPOSITORY?: string } = {},
): { sums: string; repo: string; version: string; out?: string } {
  let sums = "dist/SHA256SUMS";
  let repo = env.GITHUB_REPOSITORY ?? "";
  let version = VERSION;
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--sums") sums = value();
    else if (a === "--repo") repo = value();
    else if (a === "--version") version = value().replace(/^v/, "");
    else if (a === "--out") out = value();
    else throw new Error(`unknown flag "${a}": use --sums, --repo, --version or --out`);
  }
  if (!repo) {
    throw new Error("name the GitHub repository: --repo OWNER/NAME (or GITHUB_REPOSITORY)");
  }
  return { sums, repo, version, ...(out ? { out } : {}) };
}

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseFlags(Deno.args, { GITHUB_REPOSITORY: Deno.env.get("GITHUB_REPOSITORY") });
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  try {
    const formula = homebrewFormula({
      version: flags.version,
      repo: flags.repo,
      sums: parseSha256Sums(await Deno.readTextFile(flags.sums)),
    });
    if (flags.out) {
      await Deno.writeTextFile(flags.out, formula);
      console.error(`wrote ${flags.out}`);
    } else console.log(formula.trimEnd());
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main());
