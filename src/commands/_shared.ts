/**
 * Small pieces the command files share.
 *
 * @module
 */
import type { Deps, Ports } from "../ports.ts";
import { settingsFrom } from "../config/settings.ts";

/**
 * The run's ports with its settings, resolved once here from the environment
 * snapshot (`src/cli.ts` calls this before parsing any command). The
 * config-file layer (`rebar_packages_cdn`) is added under them where the
 * rebar.config files are consulted (`resolveRepos`), so that a command that
 * reads no config file never evaluates a `rebar.config.script`. Flags given to
 * a command (`--otp`) reach its task as input and win over these values there.
 *
 * @param ports The ports (`denoDeps()`, or test ports).
 * @returns New deps; `ports` is not changed.
 */
export function withSettings(ports: Ports): Deps {
  return { ...ports, settings: settingsFrom({ env: ports.env }) };
}

/** Collects a repeatable option (`-p a -p b`) into a list. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Prints one JSON value on stdout (the `--json` output). */
export function printJson(deps: Deps, value: unknown): void {
  deps.out.print(JSON.stringify(value));
}

/** Prints lines on stdout. */
export function printLines(deps: Deps, lines: string[]): void {
  for (const line of lines) deps.out.print(line);
}

/**
 * Reports what a command did: `doc` as the one JSON document with `--json`,
 * else the human `lines` on stdout (as rebar3_hex prints its confirmations).
 */
export function report(deps: Deps, json: boolean, doc: unknown, lines: string[]): void {
  if (json) printJson(deps, doc);
  else printLines(deps, lines);
}
