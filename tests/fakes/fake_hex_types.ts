/**
 * The shapes FakeHex stores and the options it takes: users, organizations,
 * keys, OAuth sessions and device authorizations, recorded requests and
 * injected faults. The package side's shapes live in `_hex_packages.ts`.
 *
 * @module
 */

import type {
  FakeDownloads,
  FakePackageMeta,
  FakeRetirement,
  OwnerLevel,
  SeedMeta,
} from "./_hex_packages.ts";

/** An organization role, strongest first. */
export type OrgRole = "admin" | "write" | "read";

/** A key permission (`{domain: "api", resource: "read"}`); OAuth scopes map 1:1 (`api:read`). */
export interface Permission {
  domain: string;
  resource: string | null;
}

/** A user account. */
export interface FakeUser {
  id: number;
  username: string;
  email: string;
  /** Unverified users get 403 "email not verified" on most authenticated calls. */
  emailVerified: boolean;
  /** Whether `email` appears in user JSON (hex.pm shows only a public email). */
  publicEmail: boolean;
  fullName: string | null;
  /** Only for accounts made through `POST /users`; never checked (password log-in is gone). */
  password?: string;
  /** Base32 TOTP secret; present exactly when 2FA is enabled. */
  totpSecret?: string;
  insertedAt: number;
  updatedAt: number;
}

/** An organization (a private repository). */
export interface FakeOrg {
  id: number;
  name: string;
  billingActive: boolean;
  seats: number;
  /** username → role */
  members: Map<string, OrgRole>;
  insertedAt: number;
  updatedAt: number;
}

/** Who owns a key. */
export interface KeyOwner {
  type: "user" | "organization";
  name: string;
}

/** An API key. `secret` is the raw 32-lower-hex value sent in `authorization`. */
export interface FakeKey {
  id: number;
  name: string;
  secret: string;
  permissions: Permission[];
  owner: KeyOwner;
  /**
   * Refused from this moment on (hex.pm revokes by setting it 1 s in the past). A key
   * created with a future `revoke_at` expires when the fake clock reaches it.
   */
  revokeAt: number | null;
  /** Set when the key was revoked by `DELETE /keys[/NAME]` (not merely expired). */
  revokedByRequest?: boolean;
  lastUse: { usedAt: number; ip: string; userAgent: string | null } | null;
  insertedAt: number;
  updatedAt: number;
}

/** One OAuth session row: an access token and its refresh token, revoked together. */
export interface FakeToken {
  id: number;
  user: string;
  clientId: string;
  accessToken: string;
  refreshToken: string | null;
  /** Scopes as granted (`api` already split; `repositories` kept, re-expanded on refresh). */
  grantedScopes: string[];
  /** Scopes of the access token (`repositories` expanded to `repository:ORG`). */
  scopes: string[];
  expiresAt: number;
  refreshExpiresAt: number;
  revokedAt: number | null;
  grantType: string;
}

/** A device authorization in progress. */
export interface FakeDevice {
  deviceCode: string;
  /** 8 characters from `23456789BCDFGHJKLMNPQRSTVWXYZ`, no dash. */
  userCode: string;
  clientId: string;
  /** Requested scopes. */
  scopes: string[];
  name: string | null;
  expiresAt: number;
  /** Seconds, as sent in the response (raised by 5 on each `slow_down` when enforced). */
  interval: number;
  status: "pending" | "approved" | "denied";
  user?: string;
  grantedScopes?: string[];
  polls: number;
  lastPollAt: number | null;
  /** The session the last successful poll issued (revoked when polled again). */
  tokenId?: number;
}

/** Options of `addRelease` (a release seeded directly, without validation). */
export interface AddReleaseOptions {
  /** The package; created (with `owners`, `insertedAt`) when missing. */
  name: string;
  version: string;
  /** `hexpm` by default, else an organization name. */
  repository?: string;
  /** Fake-clock time of publication (default now); sets the edit window. */
  insertedAt?: number;
  /**
   * Stored as is. Without it a real, valid tarball is built from `meta` and
   * `requirements`; with it, `meta` and `requirements` are NOT read from it (use
   * `addReleaseFromTarball` for that).
   */
  tarball?: Uint8Array;
  meta?: SeedMeta;
  /** dependency name → requirement text, or the fields (`repository` defaults to `hexpm`). */
  requirements?: Record<
    string,
    string | { requirement: string; optional?: boolean; app?: string; repository?: string }
  >;
  /** Username shown as publisher (default: the package's first owner, if a user). */
  publisher?: string | null;
  retirement?: FakeRetirement | null;
  /** Marks docs as published (with a small gzip docs tarball). */
  hasDocs?: boolean;
  downloads?: number;
  /** Owners when the package is created here (default none). */
  owners?: string[] | Record<string, OwnerLevel>;
}

/**
 * One audit-log entry (hexpm `AuditLog`), as `GET /users/me/audit-logs` and
 * `GET /orgs/ORG/audit-logs` render it: `{action, params, user_agent, inserted_at}`.
 */
export interface FakeAuditEntry {
  /** `key.generate`, `key.remove`, `release.publish`, `release.revert`, `release.retire`, … */
  action: string;
  params: Record<string, unknown>;
  userAgent: string | null;
  insertedAt: number;
}

/** What the token endpoint returns on success. */
export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** One request as the fake saw it. Headers are raw (secrets included). */
export interface RecordedRequest {
  method: string;
  /** The URL path, `/api/...` included. */
  path: string;
  url: string;
  query: URLSearchParams;
  headers: Headers;
  body: Uint8Array;
  /** `body` decoded as UTF-8. */
  text: string;
  /** The route that matched (`"DELETE /keys/:name"`), or `null`. */
  route: string | null;
  /** 0 when the connection was dropped. */
  status: number;
  /** Set when an injected fault answered instead of the model. */
  fault?: "fail" | "drop";
  /**
   * For a connection dropped with `afterHandling`: the status the model answered (and
   * whose effects it kept) before the connection was cut.
   */
  handledStatus?: number;
  /** Fake-clock time of arrival. */
  time: number;
}

/** Which requests a fault applies to; all when empty. */
export interface FaultFilter {
  method?: string;
  /**
   * A path under `/api` (`"/keys"`), or a pattern tested against it. Paths outside
   * `/api` (the repository, `"/repo/tarballs/foo-1.0.0.tar"`) are matched in full.
   */
  path?: string | RegExp;
}

/** Options of `dropConnectionNext`. */
export interface DropOptions extends FaultFilter {
  /**
   * Let the model handle the request first (a publish is stored, a key created), then
   * cut the connection instead of answering: "it landed but the client never heard back".
   */
  afterHandling?: boolean;
}

/** Options of `failNext`. */
export interface FailOptions extends FaultFilter {
  /** The error message; a default for the status otherwise. */
  message?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** For 429: seconds from now until `x-ratelimit-reset` (default 1, so clients wait briefly). */
  resetInSeconds?: number;
  /** For 429: `x-ratelimit-limit` (default the authenticated limit). */
  limit?: number;
}

/** Options of `autoApprove`. */
export interface AutoApproveOptions {
  user: string;
  /** Granted scopes; the requested ones when absent. */
  scopes?: string[];
  /** How many polls answer `authorization_pending` first (default 1). */
  afterPolls?: number;
  /** What happens after those polls (default `"approve"`). */
  outcome?: "approve" | "deny" | "expire";
}

/** Options of `new FakeHex()`. */
export interface FakeHexOptions {
  /** The fake's base clock; `Date.now` by default. `advanceClock` adds to it. */
  clock?: () => number;
  /** OAuth client ids the server knows; mix's, rebar3's and gleam's by default. */
  clientIds?: string[];
  /** Device poll interval in seconds (hex.pm: 5). */
  deviceInterval?: number;
  /** Answer `slow_down` to polls faster than the interval (hex.pm never does; default false). */
  enforceInterval?: boolean;
  /**
   * Requests per minute (fixed windows aligned to the minute) before 429 `API rate limit
   * exceeded for ...`: 100 per IP unauthenticated, 500 per user or organization (hex.pm's).
   * `enforce: false` keeps the headers but never answers 429.
   */
  rateLimit?: { anonymous?: number; authenticated?: number; enforce?: boolean };
  /** Reject requests without `user-agent` with 400, as hex.pm does (default true). */
  requireUserAgent?: boolean;
  /** `verification_uri`; `ORIGIN/oauth/device` of the request by default. */
  verificationUri?: string;
  /**
   * A key whose `revoke_at` has passed (and that was not revoked by a request) is refused
   * with 401 `API key expired at <ISO revoke_at>` instead of hex.pm's `API key revoked`
   * (default false: hex.pm's message, which does not say when).
   */
  namedKeyExpiry?: boolean;
  /**
   * The key pair the registry is signed with (PEM). By default one RSA key generated
   * once per test process and shared by every fake.
   */
  registryKeys?: RegistryKeys;
}

/** A repository signing key pair, PEM. */
export interface RegistryKeys {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A served fake. */
export interface FakeHexServer {
  /** The API base for `HEX_API_URL`: `http://127.0.0.1:PORT/api`. */
  url: string;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** The repository base (tarballs, docs): `http://127.0.0.1:PORT/repo`. */
  repoUrl: string;
  close(): Promise<void>;
}

/** Options of `addUser`. */
export interface AddUserOptions {
  username: string;
  email?: string;
  fullName?: string;
  twoFactor?: boolean;
  totpSecret?: string;
  emailVerified?: boolean;
  publicEmail?: boolean;
  /** org name → role; the organizations are created when missing. */
  orgs?: Record<string, OrgRole>;
}

/** Options of `addOrg`. */
export interface AddOrgOptions {
  name: string;
  members?: Record<string, OrgRole>;
  billingActive?: boolean;
  seats?: number;
}

/** Options of `addKey`. */
export interface AddKeyOptions {
  owner: string | { organization: string };
  name?: string;
  permissions?: Permission[];
  /** Fake-clock time the key stops working (an expiry; `null` = never). */
  revokeAt?: number | null;
  /** Fake-clock creation time (default now). */
  insertedAt?: number;
  /** Seeds `last_use` at this fake-clock time (with `lastUsedIp`, `lastUsedUserAgent`). */
  lastUsedAt?: number;
  /** `last_use.ip` when `lastUsedAt` is given (default `127.0.0.1`). */
  lastUsedIp?: string;
  /** `last_use.user_agent` when `lastUsedAt` is given (default `null`). */
  lastUsedUserAgent?: string | null;
}

/** The entry `addAudit` seeds. */
export interface AddAuditEntry {
  action: string;
  params?: Record<string, unknown>;
  userAgent?: string | null;
  insertedAt?: number;
}

/** Options of `addPackage`. */
export interface AddPackageOptions {
  name: string;
  repository?: string;
  owners?: string[] | Record<string, OwnerLevel>;
  /** Fake-clock creation time (default now): the 24-hour edit window counts from it. */
  insertedAt?: number;
  meta?: Partial<FakePackageMeta>;
  /** A number sets `all`; an object sets the counters it names. */
  downloads?: number | Partial<FakeDownloads>;
  releases?: Omit<AddReleaseOptions, "name" | "repository" | "owners">[];
}

/** Options of `addReleaseFromTarball`. */
export interface AddReleaseFromTarballOptions {
  repository?: string;
  insertedAt?: number;
  publisher?: string | null;
  owners?: string[] | Record<string, OwnerLevel>;
}
