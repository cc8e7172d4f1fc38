/**
 * `hexpub repo init|build|add|list|remove`: Hex repositories of your own (a
 * directory), and the ones hexpub is told about.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import type { Deps } from "../ports.ts";
import { displayPath } from "../ui/display_path.ts";
import { addRepo, buildRepo, initRepo, listRepos, removeRepo } from "../tasks/repo.ts";
import { localRepoDir } from "../config/config_paths.ts";
import { renderTable } from "../ui/table.ts";
import { printJson, printLines, report } from "./_shared.ts";

/** A word as a POSIX shell reads it back: as it is when plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * What `hexpub serve DIR` suggests at start: making a key for that directory,
 * and adding the served repository (under any name) where it is used. Each
 * line's command works as printed once NAME (and KEY) are filled in.
 *
 * @param dir The directory as the user sees it.
 * @param url The URL it is served at.
 */
export function serveHints(dir: string, url: string): string[] {
  const d = shellWord(dir);
  return [
    `Make an API key for publishing with \`hexpub serve key generate ${d}\``,
    `Use it from hexpub with \`hexpub repo add NAME ${url} --public-key ${
      shellWord(`${dir.replace(/\/+$/, "")}/public_key`)
    }\` (any NAME will do)`,
  ];
}

/**
 * What to run next after `repo add NAME`: each line a command that works as
 * printed once KEY is filled in.
 */
export function repoAddHints(name: string, api: boolean): string[] {
  const fetch = `Read from it with \`hexpub info -r ${name} PACKAGE\` and ` +
    `\`hexpub fetch -r ${name} PACKAGE\``;
  if (!api) return [fetch];
  return [
    `Log in with \`hexpub user auth -r ${name} --key-stdin\` and its API key on stdin (for a ` +
    "repository served by hexpub, make one with `hexpub serve key generate DIR`)",
    `Then publish with \`hexpub publish -r ${name}\``,
    fetch,
  ];
}

/** The `repo` command tree. */
export function repoCommand(deps: Deps) {
  const repo = new Command("repo").description(
    "Create, rebuild and add Hex repositories (your own, a team's, a mirror)",
  );
  repo.command("init")
    .description("Create a repository directory and its signing keys")
    .argument("<dir>")
    .option("--name <name>", "the repository's name (default: the directory's name)")
    .option("--json", "print what was done as JSON", false)
    .action(async (dir, o) => {
      const r = await initRepo(deps, { dir: resolve(deps.cwd, dir), name: o.name });
      const shown = {
        ...r,
        dir: displayPath(deps.cwd, r.dir),
        publicKeyPath: displayPath(deps.cwd, r.publicKeyPath),
        privateKeyPath: displayPath(deps.cwd, r.privateKeyPath),
      };
      report(deps, o.json, shown, [
        `Repository ${r.name} is ready in ${shown.dir}`,
        `  public key: ${shown.publicKeyPath}`,
        `  private key (0600, keep it out of the served directory): ${shown.privateKeyPath}`,
      ]);
    });
  repo.command("build")
    .description("Rebuild the signed registry (names, versions, packages/NAME) from tarballs/")
    .argument("<dir>")
    .option("--json", "print what was done as JSON", false)
    .action(async (dir, o) => {
      const s = await buildRepo(deps, resolve(deps.cwd, dir));
      report(deps, o.json, s, [
        `Built the registry of ${s.name}: ${s.packages} packages, ${s.releases} releases`,
      ]);
    });
  repo.command("add")
    .description("Add a repository to publish to or fetch from (kept in hexpub's config.json)")
    .argument("<name>", "the name to use with -r")
    .argument("<url>", "the repository URL (where names, packages/ and tarballs/ are)")
    .option("--api-url <url>", "the API URL (default: URL/api, where `hexpub serve` answers)")
    .option("--no-api", "a fetch-only repository (a static mirror) with no API")
    .option("--public-key <file>", "the PEM public key the registry is signed with")
    .option(
      "--fetch-public-key <fingerprint>",
      "fetch URL/public_key and check it has this SHA256:… fingerprint",
    )
    .option("-y, --yes", "trust the fetched public key without asking", false)
    .option("--json", "print the result as JSON", false)
    .action(async (name, url, o) => {
      const r = await addRepo(deps, {
        name,
        url,
        apiUrl: o.apiUrl,
        api: o.api,
        publicKeyFile: o.publicKey,
        fetchPublicKey: o.fetchPublicKey,
        yes: o.yes,
      });
      if (o.json) return printJson(deps, r);
      deps.out.print(`${r.replaced ? "Updated" : "Added"} repository ${r.name}`);
      deps.out.print(`  repository: ${r.repoUrl}`);
      deps.out.print(`  api: ${r.apiUrl ?? "none (fetch only)"}`);
      deps.out.print(`  public key: ${r.fingerprint}`);
      if (r.signedAs) {
        deps.out.print(`  registry signed as: ${r.signedAs} (kept as mirror_of)`);
      }
      if (r.dropped.length > 0) {
        deps.out.warn(
          `The repository's URL or key changed, so these settings were dropped: ${
            r.dropped.join(", ")
          } (log in again with \`hexpub user auth -r ${r.name} --key-stdin\`)`,
        );
      }
      if (r.keySource === "fetched-yes") {
        deps.out.warn(
          "The key was trusted as fetched (--yes): check its fingerprint with the repository's owner",
        );
      }
      if (r.unchecked) {
        deps.out.info(
          `The registry's name was not checked (${r.unchecked}); if it is signed under a name ` +
            `other than ${r.name}, run \`hexpub repo add\` again once it has packages`,
        );
      }
      for (const line of repoAddHints(r.name, !!r.apiUrl)) deps.out.info(line);
    });
  repo.command("list")
    .description("List the repositories added with `repo add`")
    .option("--json", "print the list as JSON", false)
    .action(async (o) => {
      const repos = await listRepos(deps);
      if (o.json) return printJson(deps, repos);
      if (repos.length > 0) {
        printLines(
          deps,
          renderTable(
            ["Name", "URL", "API", "Public key"],
            repos.map((r) => [r.name, r.repoUrl, r.apiUrl ?? "-", r.fingerprint ?? "-"]),
          ),
        );
      } else deps.out.print("No repositories added (see `hexpub repo add`).");
      deps.out.info(
        `Built in: hexpm (hex.pm) and local (${
          displayPath(deps.cwd, localRepoDir(deps.env, deps.host.platform))
        }). Repositories in rebar.config files are used too.`,
      );
    });
  repo.command("remove")
    .description("Remove a repository added with `repo add`")
    .argument("<name>")
    .option("--json", "print what was done as JSON", false)
    .action(async (name, o) => {
      await removeRepo(deps, name);
      report(deps, o.json, { name, removed: true }, [`Removed repository ${name}`]);
    });
  return repo;
}
