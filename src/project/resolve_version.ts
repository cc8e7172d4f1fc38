/**
 * Resolving an app's `vsn` as rebar3 does: a literal, `git`/`semver` (from
 * tags), `{git, short|long}`, `{cmd, "…"}` or `{file, "…"}`.
 *
 * @module
 */
import { join } from "node:path";
import { ProjectError } from "../errors.ts";
import { type Term, textOf } from "../erlang/term.ts";
import type { Deps } from "../ports.ts";
import { type AppSrc, missingVsn, whereOf } from "./app_src.ts";
import { readProjectFile, runProjectCommand } from "./read_limits.ts";

/** A resolved version and how it was found. */
export interface ResolvedVersion {
  version: string;
  /** `literal`, `git`, `cmd` or `file`. */
  source: "literal" | "git" | "cmd" | "file";
  /** Warnings met on the way (git failing and falling back to 0.0.0). */
  warnings: string[];
}

/** Runs git in `dir` under the project command limits (time, output). */
async function git(deps: Deps, dir: string, args: string[]) {
  return await runProjectCommand(deps, "git", args, {
    cwd: dir,
    what: `the command "git ${args.join(" ")}" (in ${dir})`,
  });
}

/**
 * The version rebar3 derives from git for `{vsn, git}`: the tag on HEAD, else
 * the newest reachable tag, with `+build.N.refSHORT` added when HEAD is not the
 * tagged commit (N is commits since that tag when HEAD is tagged, else the
 * total commit count, exactly as rebar3 counts).
 *
 * @throws {ProjectError} When git runs past the command time limit or prints past the output cap.
 */
export async function gitVersion(
  deps: Deps,
  dir: string,
): Promise<{ version: string; warnings: string[] }> {
  const log = await git(deps, dir, ["log", "-n", "1", "--pretty=format:%h\n"]);
  if (log.code !== 0) {
    return {
      version: "0.0.0",
      warnings: [`getting the git log failed in ${dir}: falling back to version 0.0.0`],
    };
  }
  const ref = log.stdout.trim();
  let tag: string | undefined;
  let vsn = "0.0.0";
  const tags = await git(deps, dir, [
    "-c",
    "color.ui=false",
    "log",
    "--oneline",
    "--no-walk",
    "--tags",
    "--decorate",
  ]);
  if (tags.code === 0) {
    const m = /(\(|\s)(HEAD[^,]*,\s)tag:\s(v?([^,)]+))/u.exec(tags.stdout);
    if (m) {
      tag = m[3];
      const parts = m[4].split("/").filter((s) => s !== "");
      vsn = parts[parts.length - 1] ?? m[4];
    } else {
      const described = await git(deps, dir, ["describe", "--tags", "--abbrev=0"]);
      if (described.code === 0) vsn = described.stdout.replace(/^v/, "").trim();
    }
  }
  const count = tag === undefined
    ? await git(deps, dir, ["rev-list", "--count", "HEAD"])
    : await git(deps, dir, ["rev-list", "--count", `${tag.replace(/\s/g, "")}..HEAD`]);
  const lines = count.stdout.trim().split("\n");
  const n = count.code === 0 ? parseInt(lines[lines.length - 1], 10) : 0;
  if (!n) return { version: vsn, warnings: [] };
  return { version: `${vsn}+build.${n}.ref${ref.replace(/\s/g, "")}`, warnings: [] };
}

/**
 * Resolves the `vsn` of an app.
 *
 * @throws {ProjectError} When `vsn` is missing, of an unknown form, or its command or file fails;
 *   when the command runs past `HEXPUB_CMD_TIMEOUT` or prints more than 8 MiB; when the file is
 *   larger than 1 MiB.
 */
export async function resolveVersion(
  deps: Deps,
  app: AppSrc,
  dir: string,
): Promise<ResolvedVersion> {
  const file = app.source.file;
  const vsn = app.props.get("vsn");
  if (!vsn) throw missingVsn(app);
  const where = whereOf(file, vsn);
  const tupleArg = (t: Term, tag: string): Term | undefined =>
    t.kind === "tuple" && t.items.length === 2 && t.items[0].kind === "atom" &&
      t.items[0].value === tag
      ? t.items[1]
      : undefined;

  const text = vsn.kind === "atom" ? vsn.value : textOf(vsn);
  if (text === "git" || text === "semver") {
    const r = await gitVersion(deps, dir);
    return { version: r.version, source: "git", warnings: r.warnings };
  }
  if (vsn.kind === "string" || vsn.kind === "binary") {
    return { version: text!, source: "literal", warnings: [] };
  }
  const gitArg = tupleArg(vsn, "git");
  if (gitArg?.kind === "atom" && (gitArg.value === "short" || gitArg.value === "long")) {
    const r = await git(deps, dir, [
      "rev-parse",
      ...(gitArg.value === "short" ? ["--short"] : []),
      "HEAD",
    ]);
    if (r.code !== 0) {
      return {
        version: "0",
        source: "git",
        warnings: ["getting the git ref failed: falling back to version 0"],
      };
    }
    return { version: r.stdout.trim(), source: "git", warnings: [] };
  }
  const cmd = tupleArg(vsn, "cmd");
  const cmdText = cmd && textOf(cmd);
  if (cmdText !== undefined) {
    const r = await runProjectCommand(deps, "sh", ["-c", cmdText], {
      cwd: dir,
      what: `the vsn command "${cmdText}"`,
      where,
    });
    if (r.code !== 0) {
      throw new ProjectError(`the vsn command "${cmdText}" failed with exit code ${r.code}`, {
        where,
        hint: r.stderr.trim()
          ? `It said: ${r.stderr.trim()}`
          : "Run the command by hand in the app directory",
      });
    }
    return { version: r.stdout.replace(/\n+$/, ""), source: "cmd", warnings: [] };
  }
  const fileArg = tupleArg(vsn, "file");
  const path = fileArg && textOf(fileArg);
  if (path !== undefined) {
    let content: string;
    try {
      content = new TextDecoder().decode(await readProjectFile(deps, join(dir, path), { where }));
    } catch (e) {
      if (e instanceof ProjectError) throw e;
      throw new ProjectError(`cannot read the vsn file "${path}": ${(e as Error).message}`, {
        where,
        hint: "The path is relative to the app directory",
        cause: e,
      });
    }
    return { version: content.trim(), source: "file", warnings: [] };
  }
  throw new ProjectError(`unknown vsn form in ${file}`, {
    where,
    hint: `Use a string ("1.2.3"), git, {cmd, "…"} or {file, "VERSION"}`,
  });
}
