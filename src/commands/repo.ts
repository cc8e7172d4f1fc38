/**
 * `hexpub repo init|build`: a Hex repository of your own, in a directory.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import type { Deps } from "../ports.ts";
import {
  buildRepository,
  initRepository,
  privateKeyPath,
  withRepoLock,
} from "../repository/repository_dir.ts";
import { displayPath } from "../project/consult.ts";

/** The `repo` command tree. */
export function repoCommand(deps: Deps) {
  const repo = new Command("repo").description("Create and rebuild a Hex repository of your own");
  repo.command("init")
    .description("Create a repository directory and its signing keys")
    .argument("<dir>")
    .option("--name <name>", "the repository's name (default: the directory's name)")
    .action(async (dir, o) => {
      const r = await initRepository(deps, resolve(deps.cwd, dir), o.name);
      deps.out.print(`Repository ${r.name} is ready in ${displayPath(deps, r.dir)}`);
      deps.out.print(`  public key: ${displayPath(deps, resolve(r.dir, "public_key"))}`);
      deps.out.print(
        `  private key (0600, keep it out of the served directory): ${
          displayPath(deps, privateKeyPath(r.dir))
        }`,
      );
    });
  repo.command("build")
    .description("Rebuild the signed registry (names, versions, packages/NAME) from tarballs/")
    .argument("<dir>")
    .action(async (dir) => {
      const r = await initRepository(deps, resolve(deps.cwd, dir));
      const s = await withRepoLock(deps, r.dir, () => buildRepository(deps, r));
      deps.out.print(
        `Built the registry of ${r.name}: ${s.packages} packages, ${s.releases} releases`,
      );
    });
  return repo;
}
