/**
 * The `User-Agent` hexpub sends. hex.pm refuses API requests without one (400
 * "User-Agent header is required"); the format follows the `Client/ver (runtime/ver)`
 * convention of hex_core and mix, which add ` (CI)` when the `CI` variable is set
 * (hexpm/specifications `http_api.md`).
 *
 * @module
 */

/** The facts the User-Agent is made of; the caller reads them from its environment. */
export interface UserAgentFacts {
  /** hexpub's version (`VERSION` of `src/commands/root.ts`). */
  version: string;
  /** Deno's version (`2.9.6`). */
  denoVersion: string;
  /** The operating system (`linux`, `darwin`, `windows`). */
  os: string;
  /** Whether hexpub runs in CI (the `CI` variable is set and not blank). */
  ci: boolean;
}

/**
 * Formats hexpub's User-Agent.
 *
 * @example
 * ```ts
 * userAgent({ version: "0.1.0", denoVersion: "2.9.6", os: "linux", ci: true });
 * // "hexpub/0.1.0 (deno/2.9.6; linux) (CI)"
 * ```
 *
 * @param facts The version, runtime, OS and CI flag.
 * @returns The header value.
 */
export function userAgent(facts: UserAgentFacts): string {
  const base = `hexpub/${facts.version} (deno/${facts.denoVersion}; ${facts.os})`;
  return facts.ci ? `${base} (CI)` : base;
}
