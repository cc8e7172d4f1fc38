// deno-lint-ignore-file no-console -- a developer script: its output is the console
/**
 * Builds real projects with hexpub and compares each package with what another
 * client (rebar3_hex) built for the same commit: checksums, `metadata.config`
 * text and every file.
 *
 * Usage:
 *
 * ```sh
 * deno run -A scripts/compare_reference.ts --reference DIR --projects DIR [--only NAME,…] [--json] [--check]
 * ```
 *
 * `--reference DIR` holds one directory per case, each with:
 * - `run-info.txt`: `dir: <corpus>/REPO[/SUBDIR]` (where the project is), `command 1: … exit=N`
 *   (whether the other client succeeded) and, under `rebar.lock after command 1:`, the lock file
 *   that client's lock step wrote, indented by two spaces;
 * - `checksums.txt`: `outer HEX` and `inner HEX` lines;
 * - `metadata.config`: the exact text;
 * - `files-with-sha256.txt`: `SHA256 SIZE PATH` per packed file.
 *
 * `--projects DIR` holds the checkouts, `DIR/REPO` at the recorded commit (clone them yourself;
 * nothing is downloaded). Each case is built in a temporary copy, so the checkouts are never
 * touched. When a checkout has no `rebar.lock` and the recorded lock holds dependencies, the
 * recorded lock is put in the copy (it names the checksums of the mirror that run used, which a
 * fresh `hexpub lock` against hex.pm could not reproduce); an empty recorded lock is left for
 * hexpub to write.
 *
 * Prints one line per case (`identical`, or what differs) and a count. Exit 0, or 1 with
 * `--check` when a case that the other client built differs.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sha256Hex } from "../src/tarball/checksum.ts";
import { unpackPackage } from "../src/tarball/unpack_package.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** What the reference recorded for one case. */
export interface ReferenceCase {
  name: string;
  /** The project directory, relative to `--projects`. */
  projectPath: string;
  /** Whether the other client built it. */
  built: boolean;
  /** Lock text its lock step wrote, if recorded. */
  lock?: string;
  /** The `--app` it was run with, if any. */
  app?: string;
  outer?: string;
  inner?: string;
  metadataConfig?: string;
  /** Path → upper-case SHA-256. */
  files: Map<string, string>;
}

/** The outcome for one case. */
export interface CaseResult {
  name: string;
  status: "identical" | "different" | "both-failed" | "hexpub-failed" | "hexpub-built" | "missing";
  details: string[];
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Reads `run-info.txt` and its neighbours.
 *
 * @param dir One case's directory.
 * @param name The case name.
 */
export async function readReferenceCase(dir: string, name: string): Promise<ReferenceCase> {
  const info = (await readText(join(dir, "run-info.txt"))) ?? "";
  const lines = info.split("\n");
  const dirLine = lines.find((l) => l.startsWith("dir: "))?.slice(5).trim() ?? name;
  const projectPath = dirLine.replace(/^<corpus>\/?/, "");
  const command = lines.find((l) => l.startsWith("command 1:")) ?? "";
  const built = /exit=0\b/.test(command);
  const app = command.match(/--app\s+(\S+)/)?.[1];
  let lock: string | undefined;
  const at = lines.findIndex((l) => l.startsWith("rebar.lock after command 1:"));
  if (at >= 0) {
    const body: string[] = [];
    for (const l of lines.slice(at + 1)) {
      if (!l.startsWith("  ")) break;
      body.push(l.slice(2));
    }
    if (body.length > 0) lock = body.join("\n") + "\n";
  }
  const checksums = (await readText(join(dir, "checksums.txt"))) ?? "";
  const outer = checksums.match(/^outer\s+([0-9A-Fa-f]{64})/m)?.[1]?.toUpperCase();
  const inner = checksums.match(/^inner\s+([0-9A-Fa-f]{64})/m)?.[1]?.toUpperCase();
  const files = new Map<string, string>();
  for (const l of ((await readText(join(dir, "files-with-sha256.txt"))) ?? "").split("\n")) {
    const m = l.match(/^([0-9A-Fa-f]{64})\s+\d+\s+(.+)$/);
    if (m) files.set(m[2], m[1].toUpperCase());
  }
  return {
    name,
    projectPath,
    built,
    lock,
    app,
    outer,
    inner,
    metadataConfig: await readText(join(dir, "metadata.config")),
    files,
  };
}

async function sha256Upper(bytes: Uint8Array): Promise<string> {
  return (await sha256Hex(bytes)).toUpperCase();
}

async function run(
  cmd: string[],
  cwd: string,
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(cmd[0], { args: cmd.slice(1), cwd, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

function firstDifference(a: string, b: string): string {
  const al = a.split("\n");
  const bl = b.split("\n");
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) {
      return `line ${i + 1}: hexpub ${JSON.stringify(al[i] ?? "")} vs ${
        JSON.stringify(bl[i] ?? "")
      }`;
    }
  }
  return "";
}

/**
 * Builds one case with hexpub in a temporary copy and compares it.
 *
 * @param ref The recorded case.
 * @param projects The checkouts' parent directory.
 */
export async function compareCase(ref: ReferenceCase, projects: string): Promise<CaseResult> {
  const repoDir = ref.projectPath.split("/")[0];
  const source = join(projects, repoDir);
  try {
    await Deno.stat(source);
  } catch {
    return { name: ref.name, status: "missing", details: [`no checkout at ${source}`] };
  }
  const tmp = await Deno.makeTempDir({ prefix: "hexpub-compare-" });
  try {
    const copy = join(tmp, repoDir);
    const cp = await run(["cp", "-a", source, copy], tmp);
    if (cp.code !== 0) throw new Error(`cp failed: ${cp.err}`);
    const projectDir = join(tmp, ref.projectPath);
    const lockPath = join(projectDir, "rebar.lock");
    if (ref.lock && ref.lock.trim() !== "[]." && (await readText(lockPath)) === undefined) {
      await Deno.writeTextFile(lockPath, ref.lock);
    }
    const out = join(tmp, "out.tar");
    const args = ["deno", "run", "-A", MAIN, "build", "package", "-o", out, "--json"];
    if (ref.app) args.push("--app", ref.app);
    const built = await run(args, projectDir);
    if (built.code !== 0) {
      const why = built.err.trim().split("\n").slice(0, 3).join(" / ");
      return {
        name: ref.name,
        status: ref.built ? "hexpub-failed" : "both-failed",
        details: [`hexpub exit ${built.code}: ${why}`],
      };
    }
    if (!ref.built) {
      return { name: ref.name, status: "hexpub-built", details: ["the other client failed"] };
    }
    const tarball = await Deno.readFile(out);
    const outer = await sha256Upper(tarball);
    const pkg = await unpackPackage(tarball);
    const details: string[] = [];
    if (outer !== ref.outer) {
      details.push(`outer ${outer.slice(0, 12)}… vs ${ref.outer?.slice(0, 12)}…`);
    }
    if (pkg.innerChecksum !== ref.inner) {
      details.push(`inner ${pkg.innerChecksum.slice(0, 12)}… vs ${ref.inner?.slice(0, 12)}…`);
    }
    if (ref.metadataConfig !== undefined && pkg.metadataConfig !== ref.metadataConfig) {
      details.push(`metadata.config ${firstDifference(pkg.metadataConfig, ref.metadataConfig)}`);
    }
    const ours = new Map<string, string>();
    for (const f of pkg.files) {
      if (f.kind === "file" && f.data) ours.set(f.path, await sha256Upper(f.data));
    }
    for (const [path, sha] of ref.files) {
      if (!ours.has(path)) details.push(`missing ${path}`);
      else if (ours.get(path) !== sha) details.push(`differs ${path}`);
    }
    for (const path of ours.keys()) if (!ref.files.has(path)) details.push(`extra ${path}`);
    return { name: ref.name, status: details.length === 0 ? "identical" : "different", details };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reference: { type: "string" },
      projects: { type: "string" },
      only: { type: "string" },
      json: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
    },
  });
  if (!values.reference || !values.projects) {
    console.error(
      "usage: compare_reference.ts --reference DIR --projects DIR [--only A,B] [--json] [--check]",
    );
    return 2;
  }
  const refRoot = resolve(values.reference);
  const only = values.only ? new Set(values.only.split(",")) : undefined;
  const names: string[] = [];
  for await (const e of Deno.readDir(refRoot)) {
    if (e.isDirectory && (!only || only.has(e.name))) names.push(e.name);
  }
  names.sort();
  const results: CaseResult[] = [];
  for (const name of names) {
    const ref = await readReferenceCase(join(refRoot, name), name);
    const result = await compareCase(ref, resolve(values.projects));
    results.push(result);
    if (!values.json) {
      console.log(
        `${name.padEnd(24)} ${result.status}${result.details.length ? ": " : ""}${
          result.details.slice(0, 6).join("; ")
        }`,
      );
    }
  }
  const identical = results.filter((r) => r.status === "identical").length;
  const builtByOther =
    results.filter((r) =>
      r.status !== "both-failed" && r.status !== "hexpub-built" && r.status !== "missing"
    ).length;
  if (values.json) console.log(JSON.stringify({ identical, builtByOther, results }, null, 2));
  else {console.log(
      `\n${identical} of ${builtByOther} packages the other client built are byte-identical`,
    );}
  const bad = results.some((r) => r.status === "different" || r.status === "hexpub-failed");
  return values.check && bad ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
