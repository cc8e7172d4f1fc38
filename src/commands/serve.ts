/**
 * `hexpub serve [DIR]`: serves a repository directory over HTTP (registry
 * files and the publishing subset of hex.pm's API), `hexpub serve key
 * generate [DIR]` to make an API key for it, and `hexpub serve owner add|list
 * [DIR] PKG …`, run on the server to manage owners directly (the way to give
 * an owner to a package that has none).
 *
 * At start, `serve` prints its address, directory, public key and the key's
 * fingerprint; then one access-log line per request on stderr
 * (`repository/http/access_log.ts`), unless `--quiet`.
 *
 * The work is done by `tasks/serve.ts`, which starts the server through
 * `deps.listen` (`src/deno_deps.ts`: the HTTP/1.1 server of
 * `src/io/http_server.ts` on a TCP listener), with the connection cap and
 * timeouts of the flags; tests pass their own.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { HexpubError, UsageError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { displayPath } from "../ui/display_path.ts";
import { addServeOwner, generateKey, listServeOwners, serveRepository } from "../tasks/serve.ts";
import { renderTable } from "../ui/table.ts";
import { printJson, printLines, report } from "./_shared.ts";
import { serveHints } from "./repo.ts";

/** Options of {@link serveCommand}. */
export interface ServeCommandOptions {
  /** The directory served when DIR is left out (e.g. the built-in `local` repository). */
  defaultDir?: () => string | Promise<string>;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new UsageError(`invalid port "${value}"`, { hint: "Use 0 to 65535 (0 = any free port)" });
  }
  return n;
}

/** A whole number of at least 1, for `flag`. */
function parseCount(flag: string, value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
    throw new UsageError(`invalid ${flag} "${value}"`, { hint: "Use a whole number from 1" });
  }
  return Number(value);
}

/** Seconds (a decimal number above 0) for `flag`, in milliseconds. */
function parseSeconds(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > 86_400) {
    throw new UsageError(`invalid ${flag} "${value}"`, {
      hint: "Give seconds above 0, at most 86400 (e.g. 30 or 0.5)",
    });
  }
  return Math.round(n * 1000);
}

const seconds = (ms: number) => `${ms / 1000} s`;

/**
 * Why the server could not listen, naming the address: a port in use, an
 * address this machine does not have, a port it may not open. `undefined`
 * for any other error (a path's errors name the path themselves).
 */
function listenError(e: unknown, host: string, port: number): HexpubError | undefined {
  if (!(e instanceof Error)) return undefined;
  const address = `${host}:${port}`;
  const pick = "pass --port with another port, or --port 0 for any free one";
  if (e.name === "AddrInUse") {
    return new HexpubError(`${address} is already in use`, {
      hint: `Another program (or another hexpub serve) listens there: stop it, or ${pick}`,
      cause: e,
    });
  }
  if (e.name === "AddrNotAvailable") {
    return new HexpubError(
      `cannot listen on ${address}: ${host} is not an address of this machine`,
      {
        hint: "Pass --host with one of this machine's addresses (127.0.0.1, or 0.0.0.0 for all)",
        cause: e,
      },
    );
  }
  // A path's PermissionDenied says "…: op 'path'"; a socket's names no path.
  if (e.name === "PermissionDenied" && !/'/.test(e.message)) {
    return new HexpubError(`not allowed to listen on ${address}`, {
      hint: `Ports below 1024 need privileges: ${pick}`,
      cause: e,
    });
  }
  return undefined;
}

/**
 * Splits `[DIR] ARG…` positionals: `count` required arguments, optionally
 * preceded by the directory.
 */
function withDir(args: string[], count: number, usage: string): [string | undefined, string[]] {
  if (args.length === count) return [undefined, args];
  if (args.length === count + 1) return [args[0], args.slice(1)];
  throw new UsageError(`expected ${usage}, got ${args.length} argument(s)`, {
    hint: `Run \`hexpub serve owner ${usage}\``,
  });
}

/** The `serve` command (with `serve key generate` and `serve owner add|list`). */
export function serveCommand(deps: Deps, options: ServeCommandOptions = {}) {
  const dirOf = async (dir: string | undefined): Promise<string> => {
    if (dir !== undefined) return resolve(deps.cwd, dir);
    if (options.defaultDir) return resolve(deps.cwd, await options.defaultDir());
    throw new UsageError("no repository directory given", {
      hint: "Run `hexpub serve DIR` (created with its keys on first use)",
    });
  };
  const serve = new Command("serve")
    .description("Serve a Hex repository directory: registry files and the publishing API")
    .argument("[dir]", "the repository directory (created on first use)")
    .option("--port <port>", "the port to listen on (0 = any free port)", "4000")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--name <name>", "the repository's name, when the directory is new")
    .option(
      "--max-connections <n>",
      "most connections open at once (default: the open-file limit less 10%)",
    )
    .option(
      "--idle-timeout <seconds>",
      "close a connection idle this long: before and between requests, or in a stalled read or write",
      "30",
    )
    .option(
      "--header-timeout <seconds>",
      "longest a request's line and headers may take to arrive",
      "20",
    )
    .option(
      "--body-timeout <seconds>",
      "longest a request body may take to arrive (uploads up to 16 MiB)",
      "300",
    )
    .option("-q, --quiet", "write no access log (errors are still written)", false)
    .action(async (dir, o) => {
      const port = parsePort(o.port);
      const host = o.host.includes(":") ? `[${o.host}]` : o.host;
      const limits = {
        maxConnections: o.maxConnections === undefined
          ? undefined
          : parseCount("--max-connections", o.maxConnections),
        idleTimeout: parseSeconds("--idle-timeout", o.idleTimeout),
        headerTimeout: parseSeconds("--header-timeout", o.headerTimeout),
        bodyTimeout: parseSeconds("--body-timeout", o.bodyTimeout),
      };
      const serving = await serveRepository(deps, {
        dir: await dirOf(dir),
        name: o.name,
        hostname: o.host,
        port,
        limits,
        quiet: o.quiet,
      }).catch((e) => {
        throw listenError(e, host, port) ?? e;
      });
      deps.out.print(`Serving repository ${serving.name} at http://${host}:${serving.port}`);
      deps.out.print(`  directory: ${displayPath(deps.cwd, serving.dir)}`);
      deps.out.print(`  public key: ${displayPath(deps.cwd, serving.publicKeyPath)}`);
      if (serving.fingerprint) deps.out.print(`  fingerprint: ${serving.fingerprint}`);
      const l = serving.limits;
      deps.out.info(
        `Limits: ${l.maxConnections} connections${
          serving.fileLimit === undefined ? "" : ` (open-file limit ${serving.fileLimit})`
        }; timeouts: idle ${seconds(l.idleTimeout)}, header ${seconds(l.headerTimeout)}, body ${
          seconds(l.bodyTimeout)
        }.`,
      );
      const shown = displayPath(deps.cwd, serving.dir);
      for (const line of serveHints(shown, `http://${host}:${serving.port}`)) deps.out.info(line);
      if (!o.quiet) deps.out.info("Each request is logged on stderr (--quiet: none).");
      deps.out.info("Press Ctrl-C to stop.");
      await serving.finished;
    });
  const key = new Command("key").description("Manage the API keys of a served repository");
  key.command("generate")
    .description("Make an API key for publishing to a served repository (printed once)")
    .argument("[dir]", "the repository directory")
    .option("--key-name <name>", "the key's name (shown as the publisher)", deps.host.hostname)
    .option("--json", "print the key as JSON", false)
    .action(async (dir, o) => {
      const key = await generateKey(deps, { dir: await dirOf(dir), keyName: o.keyName });
      if (o.json) {
        return printJson(deps, {
          repository: key.repository,
          name: o.keyName,
          secret: key.secret,
          keysPath: displayPath(deps.cwd, key.keysPath),
        });
      }
      deps.out.info(
        `API key ${o.keyName} for ${key.repository} (hash stored in ${
          displayPath(deps.cwd, key.keysPath)
        }); it is not shown again:`,
      );
      deps.out.print(key.secret);
    });
  serve.addCommand(key);

  const owner = new Command("owner")
    .description("Manage package owners on the server itself, in the repository's owners.json");
  owner.command("add")
    .description(
      "Make USER (an API key name) an owner of PKG, or change their level; " +
        "the only way to give an owner to a package that has none",
    )
    .usage("[dir] <package> <user> [options]")
    .argument("<args...>", "[DIR] PACKAGE USER")
    .option("-l, --level <level>", "full or maintainer", "full")
    .option("--json", "print what was done as JSON", false)
    .action(async (args, o) => {
      const [dir, [pkg, user]] = withDir(args, 2, "add [DIR] PKG USER");
      const path = await dirOf(dir);
      const change = await addServeOwner(deps, { dir: path, name: pkg, user, level: o.level });
      report(
        deps,
        o.json,
        { package: pkg, user, level: o.level, outcome: change.outcome, owners: change.owners },
        [
          change.outcome === "unchanged"
            ? `${user} already is a ${o.level} owner of package ${pkg}`
            : change.outcome === "changed"
            ? `${user} is now a ${o.level} owner of package ${pkg}`
            : `Added ${user} as ${o.level} owner of package ${pkg}`,
        ],
      );
      if (!change.owners.some((x) => x.level === "full")) {
        deps.out.warn(
          `package ${pkg} has no full owner: owners can only be changed here until it has one`,
        );
      }
    });
  owner.command("list")
    .description("List the owners of PKG, as stored on the server")
    .usage("[dir] <package> [options]")
    .argument("<args...>", "[DIR] PACKAGE")
    .option("--json", "print the result as JSON", false)
    .action(async (args, o) => {
      const [dir, [pkg]] = withDir(args, 1, "list [DIR] PKG");
      const path = await dirOf(dir);
      const owners = await listServeOwners(deps, { dir: path, name: pkg });
      if (o.json) printJson(deps, owners);
      else if (owners.length === 0) {
        deps.out.print(`package ${pkg} has no owners`);
        deps.out.info(
          `Nobody may write to it over HTTP until you run \`hexpub serve owner add ${
            dir === undefined ? "" : `${dir} `
          }${pkg} USER\``,
        );
      } else {
        printLines(
          deps,
          renderTable(["Username", "Level"], owners.map((x) => [x.username, x.level])),
        );
      }
    });
  serve.addCommand(owner);
  return serve;
}
