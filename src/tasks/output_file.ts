/**
 * What an output path (`build -o`, `fetch -o`) may be before hexpub writes a
 * file there: nothing yet, or a regular file, which is replaced by a rename.
 * A symlink, FIFO, socket or device is never replaced nor written through.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";

/**
 * Refuses an existing `path` that is a symlink or not a regular file
 * (`lstat`: a link is judged itself, not its target). Directories are left to
 * the caller, which has its own message for them.
 *
 * @param deps Ports.
 * @param path The absolute path a tarball is about to be written to.
 * @param flag How the user named it, for the message (`-o`, or `-o DIR`'s tarball).
 * @throws {UsageError} Naming the path and how to fix it.
 */
export async function checkOutputFile(deps: Deps, path: string, flag: string): Promise<void> {
  const info = await deps.fs.lstat(path);
  if (!info || info.kind === "file" || info.kind === "dir") return;
  const what = info.kind === "symlink"
    ? "is a symbolic link; hexpub does not replace links or write through them"
    : "exists and is not a regular file (a FIFO, socket or device); hexpub replaces only regular files";
  throw new UsageError(`the output "${path}" (${flag}) ${what}`, {
    hint: "Remove it, or pass -o with another path",
  });
}
