/**
 * Where an API request goes and what it is authenticated with: the two inputs
 * every request builder in `src/hex/` shares.
 *
 * @module
 */

/** The API a request is for. */
export interface ApiTarget {
  /** The API base URL without a trailing slash, e.g. `https://hex.pm/api`. */
  apiUrl: string;
  /**
   * The organization of a `hexpm:ORG` repository (`acme`), which puts repository-scoped
   * requests under `/repos/ORG` and organization-scoped ones under `/orgs/ORG`;
   * `undefined` for `hexpm` itself.
   */
  repo?: string;
}

/**
 * What a request is authenticated with (hexpm/specifications `http_api.md`; hexpm `lib/hexpm_web/auth_helpers.ex`): an API key, sent as
 * the raw secret in `Authorization`, or an OAuth access token, sent as `Bearer TOKEN`.
 * Password (Basic) authentication is not offered: hex.pm turns it off for good on 2026-11-01.
 */
export type Credential =
  | { kind: "key"; secret: string }
  | { kind: "oauth"; accessToken: string };
