// deno-lint-ignore-file no-console -- a developer script: its output is the console
/**
 * Builds hexpub's single-file executables with `deno compile`, one per target,
 * with the narrowest permissions hexpub needs baked in.
 *
 * `deno compile` needs Deno's `denort` runtime for each target. Deno downloads
 * it unless `DENORT_BIN` names a local copy; this script passes `DENORT_BIN`
 * through (it only makes sense with a single target, since it is one binary).
 *
 * Then it writes `OUT/SHA256SUMS`, in `sha256sum`'s format (`HEX  NAME`, one
 * line per executable built, sorted by name), which `sha256sum -c SHA256SUMS`
 * checks and `scripts/homebrew.ts` reads.
 *
 * usage: deno task compile [--target TRIPLE]... [--out DIR] [--dry-run]
 */
import { join } from "node:path";

/** The targets hexpub ships for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * What the compiled binary may do: read and write files (projects, outputs,
 * credentials), read env (HEX_* settings), reach the network (the Hex API of
 * whichever repository is configured, so no fixed host list), read the host
 * name (default key names), run git/escript/rebar3/sh (versions, scripts,
 * docs) and xdg-open/open/rundll32 (`user auth --browser`), and nothing else.
 */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys=hostname",
  "--allow-run=git,escript,rebar3,sh,xdg-open,open,rundll32",
  "--no-prompt",
];

/** The checksum file written beside the executables. */
export const SUMS_FILE = "SHA256SUMS";

/** The executable's file name for a target (`.exe` on Windows). */
export function executableName(target: string): string {
  return `hexpub-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** The `deno compile` arguments for one target. */
export function compileArgs(target: string, outDir: string): string[] {
  const name = executableName(target);
  return [
    "compile",
    ...PERMISSIONS,
    "--target",
    target,
    "--output",
    join(outDir, name),
    "main.ts",
  ];
}

/** Parses the script's flags. */
export function parseFlags(args: string[]): { targets: string[]; out: string; dryRun: boolean } {
  const targets: string[] = [];
  let out = "dist";
  let dryRun = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--target") targets.push(args[++i] ?? "");
    else if (a === "--out") out = args[++i] ?? out;
    else if (a === "--dry-run") dryRun = true;
    else throw new Error(`unknown flag "${a}": use --target TRIPLE, --out DIR or --dry-run`);
  }
  for (const t of targets) {
    if (!(TARGETS as readonly string[]).includes(t)) {
      throw new Error(`unknown target "${t}": one of ${TARGETS.join(", ")}`);
    }
  }
  return { targets: targets.length ? targets : [...TARGETS], out, dryRun };
}

/** The SHA-256 of `bytes`, as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `sha256sum`'s text: `HEX  NAME` per file (two spaces: text mode), sorted by name. */
export function formatSha256Sums(entries: { name: string; sha256: string }[]): string {
  return [...entries].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    .map((e) => `${e.sha256}  ${e.name}\n`).join("");
}

/**
 * Hashes the executables of `targets` in `outDir` and writes `outDir/SHA256SUMS`.
 *
 * @returns The file's path.
 */
export async function writeSha256Sums(outDir: string, targets: string[]): Promise<string> {
  const entries = [];
  for (const target of targets) {
    const name = executableName(target);
    entries.push({ name, sha256: await sha256Hex(await Deno.readFile(join(outDir, name))) });
  }
  const file = join(outDir, SUMS_FILE);
  await Deno.writeTextFile(file, formatSha256Sums(entries));
  return file;
}

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseFlags(Deno.args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort && flags.targets.length > 1) {
    console.error("error: DENORT_BIN names one runtime binary: pass the one --target it is for");
    return 2;
  }
  let failed = 0;
  const built: string[] = [];
  for (const target of flags.targets) {
    const args = compileArgs(target, flags.out);
    console.log(`deno ${args.join(" ")}${denort ? `  (DENORT_BIN=${denort})` : ""}`);
    if (flags.dryRun) continue;
    const res = await new Deno.Command(Deno.execPath(), {
      args,
      stdout: "inherit",
      stderr: "inherit",
    })
      .output();
    if (res.code !== 0) {
      failed++;
      console.error(
        `error: compiling for ${target} failed; deno compile downloads the denort runtime ` +
          "unless DENORT_BIN names a local copy",
      );
    } else built.push(target);
  }
  if (flags.dryRun) console.log(`then write ${join(flags.out, SUMS_FILE)}`);
  else if (built.length > 0) {
    const file = await writeSha256Sums(flags.out, built);
    console.log(`wrote ${file} (${built.length} executable${built.length > 1 ? "s" : ""})`);
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
