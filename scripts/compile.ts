// deno-lint-ignore-file no-console -- a developer script: its output is the console
/**
 * Builds hexpub's single-file executables with `deno compile`, one per target,
 * with the narrowest permissions hexpub needs baked in.
 *
 * `deno compile` needs Deno's `denort` runtime for each target. Deno downloads
 * it unless `DENORT_BIN` names a local copy; this script passes `DENORT_BIN`
 * through (it only makes sense with a single target, since it is one binary).
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

/** The `deno compile` arguments for one target. */
export function compileArgs(target: string, outDir: string): string[] {
  const name = `hexpub-${target}${target.includes("windows") ? ".exe" : ""}`;
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
    }
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
