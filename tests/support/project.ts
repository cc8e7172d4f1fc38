/**
 * Making real project trees in temporary directories: from a literal file map
 * or by copying a fixture, with file modes normalised (git and umasks vary).
 */
import { dirname, join } from "node:path";

/** A file's content, or a symlink, or a file with an explicit mode. */
export type Entry = string | { symlink: string } | { content: string; mode: number };

/** Writes `files` under a new temporary directory and returns its path. */
export async function makeProject(files: Record<string, Entry>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "hexpub-test-" });
  for (const [path, entry] of Object.entries(files)) {
    const abs = join(root, path);
    await Deno.mkdir(dirname(abs), { recursive: true });
    if (typeof entry === "string") {
      if (path.endsWith("/")) await Deno.mkdir(abs, { recursive: true });
      else await Deno.writeTextFile(abs, entry);
    } else if ("symlink" in entry) await Deno.symlink(entry.symlink, abs);
    else {
      await Deno.writeTextFile(abs, entry.content);
      await Deno.chmod(abs, entry.mode);
    }
  }
  await normaliseModes(root);
  return root;
}

/** Copies a directory tree (symlinks as symlinks) into a new temporary directory. */
export async function copyFixture(src: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "hexpub-fixture-" });
  await copyTree(src, root);
  await normaliseModes(root);
  return root;
}

async function copyTree(src: string, dst: string): Promise<void> {
  for await (const e of Deno.readDir(src)) {
    const from = join(src, e.name);
    const to = join(dst, e.name);
    if (e.isSymlink) await Deno.symlink(await Deno.readLink(from), to);
    else if (e.isDirectory) {
      await Deno.mkdir(to);
      await copyTree(from, to);
    } else await Deno.copyFile(from, to);
  }
}

/** Directories 0755; files 0755 when the owner may execute them, else 0644. */
export async function normaliseModes(dir: string): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isSymlink) continue;
    if (e.isDirectory) {
      await Deno.chmod(p, 0o755);
      await normaliseModes(p);
    } else {
      const mode = (await Deno.stat(p)).mode ?? 0o644;
      await Deno.chmod(p, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/** Runs git in `dir` with a fixed identity and clock, so commit hashes are reproducible. */
export async function git(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    cwd: dir,
    env: {
      GIT_AUTHOR_NAME: "Hexpub Test",
      GIT_AUTHOR_EMAIL: "test@example.invalid",
      GIT_COMMITTER_NAME: "Hexpub Test",
      GIT_COMMITTER_EMAIL: "test@example.invalid",
      GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
      GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`git ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}
