/**
 * Small pieces the command files share.
 *
 * @module
 */
import type { Deps } from "../ports.ts";

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
