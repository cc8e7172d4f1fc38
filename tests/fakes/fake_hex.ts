/**
 * An in-memory model of hex.pm's HTTP API (`/api/...`) as a Web fetch handler,
 * for tests: users, organizations, API keys, the OAuth device flow with tokens
 * and refresh tokens, TOTP on OAuth writes, rate-limit headers, and fault
 * injection (5xx, 429, dropped connections), key expiry (`revoke_at`) and `last_use`,
 * and the user and organization audit logs. Every request is recorded; a
 * request no route matches gets 404 and makes `verify()` fail.
 *
 * Packages: publish (with hex.pm's server-side validation and edit window),
 * revert, docs, retire, owners, search, and the repository under `/repo`
 * (outside `/api`): tarballs, docs and the signed registry (`names`,
 * `versions`, `packages/NAME`, `public_key`), for `hexpm` and for organization
 * repositories (`/api/repos/ORG/...`, `/repo/repos/ORG/...`). The registry is
 * signed with a test key (`registryKeys()`), never hex.pm's: tests trust it by
 * configuring `repo_public_key` on the hexpm entry, as any user can.
 *
 * Behaviour follows `../shared/docs/hex-protocol.md` §3, §5 and §9 (which win
 * over apiary where they disagree). Where hex.pm's behaviour is unknown or a
 * bug, the choice is written next to the code.
 *
 * In-process: `deps.fetch = fake.handler`. Over the network (for the real CLI):
 * `const server = fake.serve(); ... HEX_API_URL=server.url; await server.close()`.
 *
 * @module
 */

import { randomTotpSecret, totpCode } from "./totp.ts";
import { type LoopbackServer, serveLoopback } from "./_loopback_server.ts";
import {
  buildSeedDocs,
  buildSeedTarball,
  type ErrorMap,
  type FakeDownloads,
  type FakePackage,
  type FakePackageMeta,
  type FakeRelease,
  type FakeRequirement,
  type FakeRetirement,
  hasErrors,
  latestVersions,
  type OwnerLevel,
  packageErrors,
  packageMetaOf,
  releaseErrors,
  releaseFieldsOf,
  retirementErrors,
  type RetireReason,
  searchMatches,
  type SeedMeta,
  sha256HexSync,
  sortReleases,
} from "./_hex_packages.ts";
import { parseVersion } from "../../src/hex/version.ts";
import {
  type Dependency as RegistryDependency,
  type Release as RegistryRelease,
  retirementReasonCode,
} from "../../src/registry/messages.ts";
import {
  encodeSignedNames,
  encodeSignedPackage,
  encodeSignedVersions,
} from "../../src/registry/registry_files.ts";
import { generateRepoKeys, importPrivateKey } from "../../src/registry/signing.ts";
import { gunzipBytes } from "../../src/tarball/gzip.ts";
import { type JsonValue, metadataToJson } from "../../src/tarball/metadata_config.ts";
import { type UnpackedPackage, unpackPackage } from "../../src/tarball/unpack_package.ts";

export { totpCode } from "./totp.ts";
export {
  type FakeDownloads,
  type FakePackage,
  type FakePackageMeta,
  type FakeRelease,
  type FakeRequirement,
  type FakeRetirement,
  type OwnerLevel,
  RETIRE_REASONS,
  type RetireReason,
  type SeedMeta,
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

let sharedRegistryKeys: Promise<RegistryKeys> | undefined;

/** The test process's registry key pair (generated on first use). */
export function testRegistryKeys(): Promise<RegistryKeys> {
  sharedRegistryKeys ??= generateRepoKeys();
  return sharedRegistryKeys;
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

/** The public OAuth client ids of mix, rebar3 and gleam (`hex-protocol.md` §3.2). */
export const KNOWN_CLIENT_IDS = [
  "78ea6566-89fd-481e-a1d6-7d9d78eacca8",
  "b9721cf5-be2f-4a65-bfa5-141698b4b9cf",
  "877731e8-cb88-45e1-9b84-9214de7da421",
] as const;

/** rebar3's client id, which hexpub uses for hex.pm until it has its own. */
export const REBAR3_CLIENT_ID = KNOWN_CLIENT_IDS[1];

const API = "/api";
const REPO = "/repo";
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const ACCESS_TTL_MS = 30 * 60 * 1000;
const REFRESH_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const DEVICE_TTL_MS = 600 * 1000;
const USER_CODE_ALPHABET = "23456789BCDFGHJKLMNPQRSTVWXYZ";
const RESERVED_USERNAMES = ["me", "hex", "hexpm", "elixir", "erlang", "otp"];
const AUDIT_PER_PAGE = 100;
const ROLE_RANK: Record<OrgRole, number> = { read: 1, write: 2, admin: 3 };
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const DEFAULT_MESSAGES: Record<number, string> = {
  400: "Bad request",
  404: "Page not found",
  408: "Request timeout",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Validation error(s)",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};
const OAUTH_STATUS: Record<string, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  server_error: 500,
};

type Principal =
  | { kind: "key"; key: FakeKey; user?: FakeUser; org?: FakeOrg }
  | { kind: "oauth"; token: FakeToken; user: FakeUser };

interface Ctx {
  req: Request;
  url: URL;
  origin: string;
  path: string;
  pathParams: Record<string, string>;
  body: Uint8Array;
  principal: Principal | null;
  ip: string;
}

interface Route {
  /** Where the pattern is rooted: under `/api`, or the repository under `/repo`. */
  base: "api" | "repo";
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  /** Whether `authorization` is read (the OAuth endpoints ignore it). */
  authenticate: boolean;
  run: (ctx: Ctx) => Promise<Response> | Response;
}

interface Fault {
  kind: "fail" | "drop";
  remaining: number;
  status: number;
  filter: FaultFilter;
  options: FailOptions;
  afterHandling?: boolean;
}

/** Thrown out of the in-process handler for a dropped connection, as fetch would. */
export class DroppedConnectionError extends TypeError {
  constructor() {
    super("error sending request: connection closed before message completed (FakeHex drop)");
    this.name = "DroppedConnectionError";
  }
}

/** hex.pm's API as an in-memory fetch handler. See the module doc. */
export class FakeHex {
  /** username → user */
  readonly users = new Map<string, FakeUser>();
  /** name → organization */
  readonly orgs = new Map<string, FakeOrg>();
  /** Every key ever created, revoked ones included. */
  readonly keys: FakeKey[] = [];
  /** Every OAuth session ever issued. */
  readonly tokens: FakeToken[] = [];
  /** device_code → device authorization */
  readonly devices = new Map<string, FakeDevice>();
  /** `REPO/NAME` → package */
  readonly packages = new Map<string, FakePackage>();
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Exceptions thrown inside the fake (each also answered 500); `verify()` reports them. */
  readonly errors: unknown[] = [];

  readonly #clock: () => number;
  #offset = 0;
  #nextId = 1;
  readonly #clientIds: Set<string>;
  readonly #deviceInterval: number;
  readonly #enforceInterval: boolean;
  readonly #limits: { anonymous: number; authenticated: number; enforce: boolean };
  readonly #requireUserAgent: boolean;
  readonly #verificationUri?: string;
  readonly #routes: Route[] = [];
  readonly #faults: Fault[] = [];
  #slowDowns = 0;
  #autoApprove: AutoApproveOptions | null = null;
  readonly #counters = new Map<string, { window: number; count: number }>();
  /** username → fake-clock times of failed TOTP attempts */
  readonly #totpFailures = new Map<string, number[]>();
  readonly #secrets = new Map<string, string>();
  readonly #namedKeyExpiry: boolean;
  /** `user:NAME` / `org:NAME` → entries with their insertion sequence */
  readonly #audits = new Map<string, { entry: FakeAuditEntry; seq: number }[]>();
  #auditSeq = 0;
  readonly #registryKeys?: RegistryKeys;
  /** Path under `/repo` (`/packages/foo`) → bytes served instead of the signed file. */
  readonly #registryOverrides = new Map<string, Uint8Array>();

  constructor(options: FakeHexOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#clientIds = new Set(options.clientIds ?? KNOWN_CLIENT_IDS);
    this.#deviceInterval = options.deviceInterval ?? 5;
    this.#enforceInterval = options.enforceInterval ?? false;
    this.#limits = {
      anonymous: options.rateLimit?.anonymous ?? 100,
      authenticated: options.rateLimit?.authenticated ?? 500,
      enforce: options.rateLimit?.enforce ?? true,
    };
    this.#requireUserAgent = options.requireUserAgent ?? true;
    this.#verificationUri = options.verificationUri;
    this.#namedKeyExpiry = options.namedKeyExpiry ?? false;
    this.#registryKeys = options.registryKeys;
    this.#defineRoutes();
  }

  // ---------------------------------------------------------------- clock

  /** The fake's current time (ms since the epoch). */
  now(): number {
    return this.#clock() + this.#offset;
  }

  /** Moves the fake's clock forward (token and device-code expiry, TOTP, rate windows). */
  advanceClock(ms: number): void {
    this.#offset += ms;
  }

  // ---------------------------------------------------------------- seeding

  /** Adds a user. `twoFactor: true` gives a random TOTP secret (or pass `totpSecret`). */
  addUser(options: {
    username: string;
    email?: string;
    fullName?: string;
    twoFactor?: boolean;
    totpSecret?: string;
    emailVerified?: boolean;
    publicEmail?: boolean;
    /** org name → role; the organizations are created when missing. */
    orgs?: Record<string, OrgRole>;
  }): FakeUser {
    const now = this.now();
    const user: FakeUser = {
      id: this.#id(),
      username: options.username,
      email: options.email ?? `${options.username}@example.com`,
      emailVerified: options.emailVerified ?? true,
      publicEmail: options.publicEmail ?? false,
      fullName: options.fullName ?? null,
      totpSecret: options.totpSecret ?? (options.twoFactor ? randomTotpSecret() : undefined),
      insertedAt: now,
      updatedAt: now,
    };
    if (user.totpSecret) this.#secrets.set(user.totpSecret, `TOTP secret of ${user.username}`);
    this.users.set(user.username, user);
    for (const [org, role] of Object.entries(options.orgs ?? {})) {
      if (!this.orgs.has(org)) this.addOrg({ name: org });
      this.addMember(org, user.username, role);
    }
    return user;
  }

  /** Adds an organization. */
  addOrg(options: {
    name: string;
    members?: Record<string, OrgRole>;
    billingActive?: boolean;
    seats?: number;
  }): FakeOrg {
    const now = this.now();
    const org: FakeOrg = {
      id: this.#id(),
      name: options.name,
      billingActive: options.billingActive ?? true,
      seats: options.seats ?? 10,
      members: new Map(),
      insertedAt: now,
      updatedAt: now,
    };
    this.orgs.set(org.name, org);
    for (const [user, role] of Object.entries(options.members ?? {})) {
      this.addMember(org.name, user, role);
    }
    return org;
  }

  /** Makes `username` a member of `org` with `role`. */
  addMember(org: string, username: string, role: OrgRole): void {
    const o = this.orgs.get(org);
    if (!o) throw new Error(`FakeHex: no organization "${org}"`);
    if (!this.users.has(username)) throw new Error(`FakeHex: no user "${username}"`);
    o.members.set(username, role);
  }

  /**
   * Adds a package (`repository` defaults to `hexpm`); owners are `full` unless a level
   * is given. `releases` are seeded with `addRelease`. Replaces a package of that name.
   */
  addPackage(options: {
    name: string;
    repository?: string;
    owners?: string[] | Record<string, OwnerLevel>;
    /** Fake-clock creation time (default now): the 24-hour edit window counts from it. */
    insertedAt?: number;
    meta?: Partial<FakePackageMeta>;
    /** A number sets `all`; an object sets the counters it names. */
    downloads?: number | Partial<FakeDownloads>;
    releases?: Omit<AddReleaseOptions, "name" | "repository" | "owners">[];
  }): FakePackage {
    const at = options.insertedAt ?? this.now();
    const owners = Array.isArray(options.owners)
      ? Object.fromEntries(options.owners.map((o) => [o, "full" as const]))
      : options.owners ?? {};
    const pkg: FakePackage = {
      name: options.name,
      repository: options.repository ?? "hexpm",
      owners: new Map(Object.entries(owners)),
      insertedAt: at,
      updatedAt: at,
      meta: {
        description: `The ${options.name} package`,
        licenses: ["Apache-2.0"],
        links: {},
        maintainers: [],
        extra: null,
        ...options.meta,
      },
      releases: [],
      downloads: { all: 0, recent: 0, week: 0, day: 0 },
    };
    this.packages.set(`${pkg.repository}/${pkg.name}`, pkg);
    if (options.downloads !== undefined) {
      this.setDownloads(pkg.name, options.downloads, pkg.repository);
    }
    for (const release of options.releases ?? []) {
      this.addRelease({ ...release, name: pkg.name, repository: pkg.repository });
    }
    return pkg;
  }

  /**
   * Seeds a release directly (no authorization, no validation, no edit window). The
   * package is created when missing. An existing release of that version is replaced.
   */
  addRelease(options: AddReleaseOptions): FakeRelease {
    const repository = options.repository ?? "hexpm";
    const at = options.insertedAt ?? this.now();
    const pkg = this.packages.get(`${repository}/${options.name}`) ??
      this.addPackage({
        name: options.name,
        repository,
        owners: options.owners,
        insertedAt: at,
      });
    // The tarball says what the package says unless told otherwise.
    const meta: SeedMeta = {
      description: pkg.meta.description ?? undefined,
      licenses: pkg.meta.licenses,
      links: pkg.meta.links,
      ...options.meta,
    };
    const requirements: FakeRequirement[] = Object.entries(options.requirements ?? {}).map(
      ([name, r]) => {
        const fields = typeof r === "string" ? { requirement: r } : r;
        return {
          name,
          app: fields.app ?? name,
          requirement: fields.requirement,
          optional: fields.optional ?? false,
          repository: fields.repository ?? "hexpm",
        };
      },
    );
    const built = options.tarball
      ? { tarball: options.tarball, innerChecksum: "", outerChecksum: "", metadata: {} }
      : buildSeedTarball({ name: pkg.name, version: options.version, meta, requirements });
    const tarball = built.tarball;
    const checksum = built.outerChecksum || sha256HexSync(tarball);
    if (meta.description !== undefined) pkg.meta.description = meta.description;
    if (meta.licenses !== undefined) pkg.meta.licenses = [...meta.licenses];
    if (meta.links !== undefined) pkg.meta.links = { ...meta.links };
    const firstOwner = [...pkg.owners.keys()].find((o) => this.users.has(o)) ?? null;
    const docs = options.hasDocs ? buildSeedDocs(pkg.name, options.version) : null;
    const release: FakeRelease = {
      version: options.version,
      tarball,
      checksum,
      innerChecksum: built.innerChecksum,
      metadata: built.metadata,
      meta: {
        app: meta.app ?? pkg.name,
        build_tools: meta.build_tools ?? ["rebar3"],
        elixir: meta.elixir ?? null,
      },
      requirements,
      retirement: options.retirement ?? null,
      hasDocs: docs !== null,
      docs,
      publisher: options.publisher === undefined ? firstOwner : options.publisher,
      downloads: options.downloads ?? 0,
      insertedAt: at,
      updatedAt: at,
    };
    pkg.releases = pkg.releases.filter((r) => r.version !== release.version);
    pkg.releases.push(release);
    // A package is never younger than its releases (the 24-hour window counts from it).
    pkg.insertedAt = Math.min(pkg.insertedAt, at);
    pkg.updatedAt = Math.max(pkg.updatedAt, at);
    return release;
  }

  /**
   * Seeds a release from a real tarball, reading name, version, metadata and
   * requirements from it as a publish would (no authorization, no validation).
   */
  async addReleaseFromTarball(
    tarball: Uint8Array,
    options: {
      repository?: string;
      insertedAt?: number;
      publisher?: string | null;
      owners?: string[] | Record<string, OwnerLevel>;
    } = {},
  ): Promise<FakeRelease> {
    const unpacked = await unpackPackage(tarball);
    const metadata = metadataToJson(unpacked.metadata);
    const repository = options.repository ?? "hexpm";
    const name = String(metadata.name);
    const at = options.insertedAt ?? this.now();
    if (!this.packages.has(`${repository}/${name}`)) {
      this.addPackage({ name, repository, owners: options.owners, insertedAt: at });
    }
    const { release } = this.#storeRelease(repository, metadata, {
      tarball: tarball.slice(),
      checksum: unpacked.outerChecksum,
      innerChecksum: unpacked.innerChecksum,
      publisher: options.publisher ?? null,
      at,
    });
    return release;
  }

  /** Sets a package's download counters: a number sets `all`, an object the ones it names. */
  setDownloads(
    name: string,
    downloads: number | Partial<FakeDownloads>,
    repository = "hexpm",
  ): void {
    const pkg = this.packages.get(`${repository}/${name}`);
    if (!pkg) throw new Error(`FakeHex: no package "${repository}/${name}"`);
    Object.assign(pkg.downloads, typeof downloads === "number" ? { all: downloads } : downloads);
  }

  /** A stored package, or `undefined`. */
  package(name: string, repository = "hexpm"): FakePackage | undefined {
    return this.packages.get(`${repository}/${name}`);
  }

  /** A stored release, or `undefined`. */
  release(name: string, version: string, repository = "hexpm"): FakeRelease | undefined {
    return this.package(name, repository)?.releases.find((r) => r.version === version);
  }

  /**
   * Creates a key directly (as the dashboard would), skipping validation.
   * `owner` is a username or `{ organization: NAME }`. Default permissions: full API.
   */
  addKey(options: {
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
  }): FakeKey {
    const owner: KeyOwner = typeof options.owner === "string"
      ? { type: "user", name: options.owner }
      : { type: "organization", name: options.owner.organization };
    const exists = owner.type === "user" ? this.users.has(owner.name) : this.orgs.has(owner.name);
    if (!exists) throw new Error(`FakeHex: no ${owner.type} "${owner.name}"`);
    const key = this.#createKey(
      owner,
      this.#uniqueKeyName(owner, options.name ?? "key"),
      options.permissions ?? [{ domain: "api", resource: null }],
      options.revokeAt ?? null,
      options.insertedAt,
    );
    if (options.lastUsedAt !== undefined) {
      key.lastUse = {
        usedAt: options.lastUsedAt,
        ip: options.lastUsedIp ?? "127.0.0.1",
        userAgent: options.lastUsedUserAgent ?? null,
      };
    }
    return key;
  }

  /**
   * Seeds an audit-log entry for a user (username) or `{ organization: NAME }`.
   * `insertedAt` defaults to now; entries are listed newest first (ties: last added first).
   */
  addAudit(
    owner: string | { organization: string },
    entry: {
      action: string;
      params?: Record<string, unknown>;
      userAgent?: string | null;
      insertedAt?: number;
    },
  ): FakeAuditEntry {
    const logKey = typeof owner === "string" ? `user:${owner}` : `org:${owner.organization}`;
    if (typeof owner === "string" ? !this.users.has(owner) : !this.orgs.has(owner.organization)) {
      throw new Error(
        `FakeHex: no ${typeof owner === "string" ? "user" : "organization"} ${
          JSON.stringify(typeof owner === "string" ? owner : owner.organization)
        }`,
      );
    }
    const stored: FakeAuditEntry = {
      action: entry.action,
      params: entry.params ?? {},
      userAgent: entry.userAgent ?? null,
      insertedAt: entry.insertedAt ?? this.now(),
    };
    this.#pushAudit(logKey, stored);
    return stored;
  }

  /** A user's (username) or organization's audit log, newest first. */
  auditLog(owner: string | { organization: string }): FakeAuditEntry[] {
    const logKey = typeof owner === "string" ? `user:${owner}` : `org:${owner.organization}`;
    return [...(this.#audits.get(logKey) ?? [])]
      .sort((a, b) => b.entry.insertedAt - a.entry.insertedAt || b.seq - a.seq)
      .map((x) => x.entry);
  }

  /** Issues an OAuth session directly (no device flow, no 2FA rule). */
  issueToken(options: { user: string; scopes: string[]; clientId?: string }): TokenResponse {
    if (!this.users.has(options.user)) throw new Error(`FakeHex: no user "${options.user}"`);
    const token = this.#issueSession(
      options.user,
      options.clientId ?? REBAR3_CLIENT_ID,
      splitApiScope(options.scopes),
      "issued_by_test",
    );
    return this.#tokenResponse(token);
  }

  /** Turns 2FA on (a new random secret, returned) or off for a user. */
  setTwoFactor(username: string, enabled: boolean): string | undefined {
    const user = this.users.get(username);
    if (!user) throw new Error(`FakeHex: no user "${username}"`);
    user.totpSecret = enabled ? randomTotpSecret() : undefined;
    if (user.totpSecret) this.#secrets.set(user.totpSecret, `TOTP secret of ${username}`);
    return user.totpSecret;
  }

  /** Whether a key is revoked at the fake's now. */
  isKeyRevoked(key: FakeKey): boolean {
    return this.#revoked(key);
  }

  /** The current TOTP code of a user with 2FA (at `timeMs`, the fake's now by default). */
  async totp(username: string, timeMs = this.now()): Promise<string> {
    const secret = this.users.get(username)?.totpSecret;
    if (!secret) throw new Error(`FakeHex: user "${username}" has no 2FA`);
    return await totpCode(secret, timeMs);
  }

  // ---------------------------------------------------------------- device flow hooks

  /** The most recent device authorization, if any. */
  lastDevice(): FakeDevice | undefined {
    return [...this.devices.values()].at(-1);
  }

  /**
   * Approves a device code as the user would in the browser. `scopes` (a subset of the
   * requested ones) are what the user left ticked. Like hex.pm, approving a write scope
   * needs the user to have 2FA.
   *
   * @throws {Error} on an unknown, expired or already decided code, or the 2FA rule
   */
  approveDevice(userCode: string, options: { user: string; scopes?: string[] }): void {
    const device = this.#deviceByUserCode(userCode);
    const user = this.users.get(options.user);
    if (!user) throw new Error(`FakeHex: no user "${options.user}"`);
    if (device.expiresAt <= this.now()) throw new Error("FakeHex: device code has expired");
    if (device.status !== "pending") throw new Error("FakeHex: device code is not pending");
    const scopes = options.scopes ?? device.scopes;
    const extra = scopes.filter((s) => !device.scopes.includes(s));
    if (extra.length) throw new Error(`FakeHex: scopes not requested: ${extra.join(", ")}`);
    const granted = splitApiScope(scopes);
    if (granted.includes("api:write") && !user.totpSecret) {
      throw new Error(`FakeHex: ${user.username} needs 2FA to approve write scopes`);
    }
    device.status = "approved";
    device.user = user.username;
    device.grantedScopes = granted;
  }

  /** Denies a device code as the user would in the browser. */
  denyDevice(userCode: string): void {
    this.#deviceByUserCode(userCode).status = "denied";
  }

  /** Makes a device code expire now. */
  expireDevice(userCode: string): void {
    this.#deviceByUserCode(userCode).expiresAt = this.now() - 1;
  }

  /**
   * Decides every device authorization by itself after `afterPolls` pending polls —
   * handy when the CLI runs as a subprocess. `null` turns it off.
   */
  autoApprove(options: AutoApproveOptions | null): void {
    this.#autoApprove = options;
  }

  /** The next `n` device-code polls get 400 `slow_down` (hex.pm never sends it; clients must cope). */
  slowDownNext(n = 1): void {
    this.#slowDowns += n;
  }

  // ---------------------------------------------------------------- fault hooks

  /**
   * The next `n` matching requests get `status` without reaching the model. 429s carry
   * `x-ratelimit-limit/remaining/reset`; other statuses get the `{status, message}` body.
   */
  failNext(n: number, status: number, options: FailOptions = {}): void {
    this.#faults.push({ kind: "fail", remaining: n, status, filter: options, options });
  }

  /**
   * The next `n` matching requests lose their connection before any response byte (over
   * `serve()`); in-process the handler rejects with `DroppedConnectionError`. Deno's fetch
   * re-sends a request once when a reused keep-alive connection drops, so it takes 2 to
   * reach a client in that case (`hex-protocol.md` §9).
   *
   * With `afterHandling: true` the model handles the request first and keeps its effects
   * (`RecordedRequest.handledStatus` says what it answered); only the answer is lost.
   */
  dropConnectionNext(n = 1, options: DropOptions = {}): void {
    const { afterHandling, ...filter } = options;
    this.#faults.push({
      kind: "drop",
      remaining: n,
      status: 0,
      filter,
      options: {},
      afterHandling: afterHandling ?? false,
    });
  }

  // ---------------------------------------------------------------- assertions

  /** Requests no route matched. */
  get unmatched(): RecordedRequest[] {
    return this.requests.filter((r) => r.route === null && !r.fault);
  }

  /**
   * Recorded requests with this method and path (path under `/api`, e.g. `"/keys"`; a
   * path outside `/api` in full, e.g. `"/repo/tarballs/foo-1.0.0.tar"`).
   */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && matchPath(path, subPath(r.path)));
  }

  /** Forgets recorded requests (state is kept). */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Every secret the fake knows: key secrets, tokens, device codes, TOTP secrets, passwords. */
  secrets(): string[] {
    return [...this.#secrets.keys()];
  }

  /**
   * Throws when `text` contains any secret the fake has handed out or been given. The
   * error names the kind of secret, never the secret.
   */
  assertNoSecretIn(text: string, label = "text"): void {
    for (const [secret, what] of this.#secrets) {
      if (secret.length >= 6 && text.includes(secret)) {
        throw new Error(`FakeHex: ${label} contains a secret (${what})`);
      }
    }
  }

  /** Throws when a request matched no route, the fake itself threw, or an injected fault is unused. */
  verify(): void {
    const problems: string[] = [];
    for (const r of this.unmatched) problems.push(`unmatched route: ${r.method} ${r.path}`);
    for (const e of this.errors) problems.push(`fake error: ${e instanceof Error ? e.stack : e}`);
    for (const f of this.#faults) {
      if (f.remaining > 0) {
        problems.push(`unused fault: ${f.kind} ${f.status || ""} x${f.remaining}`.trim());
      }
    }
    if (problems.length) throw new Error(`FakeHex.verify():\n  ${problems.join("\n  ")}`);
  }

  // ---------------------------------------------------------------- registry

  /** The key pair the registry files are signed with. */
  registryKeys(): Promise<RegistryKeys> {
    return this.#registryKeys ? Promise.resolve(this.#registryKeys) : testRegistryKeys();
  }

  /**
   * The signed registry file the fake serves at `path` under `/repo` (`/names`,
   * `/versions`, `/packages/NAME`, each also under `/repos/ORG`), built from the
   * current packages; `undefined` for a package (or organization) that does not exist.
   * An override set with `setRegistryFile` wins.
   */
  async registryFile(path: string): Promise<Uint8Array | undefined> {
    const override = this.#registryOverrides.get(path);
    if (override) return override.slice();
    const m = /^(?:\/repos\/([^/]+))?\/(names|versions|packages\/([^/]+))$/.exec(path);
    if (!m) return undefined;
    const repository = m[1] ?? "hexpm";
    if (repository !== "hexpm" && !this.orgs.has(repository)) return undefined;
    const key = await importPrivateKey((await this.registryKeys()).privateKeyPem);
    const packages = [...this.packages.values()]
      .filter((p) => p.repository === repository && p.releases.length > 0)
      .sort((a, b) => cmp(a.name, b.name));
    if (m[2] === "names") {
      return await encodeSignedNames({
        repository,
        packages: packages.map((p) => ({
          name: p.name,
          updatedAt: { seconds: Math.floor(p.updatedAt / 1000), nanos: 0 },
        })),
      }, key);
    }
    if (m[2] === "versions") {
      return await encodeSignedVersions({
        repository,
        packages: packages.map((p) => {
          const releases = [...sortReleases(p.releases)].reverse();
          return {
            name: p.name,
            versions: releases.map((r) => r.version),
            retired: releases.flatMap((r, i) => (r.retirement ? [i] : [])),
          };
        }),
      }, key);
    }
    const pkg = packages.find((p) => p.name === m[3]);
    if (!pkg) return undefined;
    return await encodeSignedPackage({
      name: pkg.name,
      repository,
      releases: [...sortReleases(pkg.releases)].reverse().map((r) => registryRelease(pkg, r)),
    }, key);
  }

  /**
   * Serves `bytes` at `path` under `/repo` instead of the signed file (a tampered,
   * foreign or wrongly named registry file); `null` goes back to the real one.
   */
  setRegistryFile(path: string, bytes: Uint8Array | null): void {
    if (bytes === null) this.#registryOverrides.delete(path);
    else this.#registryOverrides.set(path, bytes.slice());
  }

  // ---------------------------------------------------------------- serving

  /** The fetch handler (in-process use). */
  readonly handler = (req: Request): Promise<Response> => this.#handle(req, null);

  /** Serves the fake on 127.0.0.1 at a free port. */
  serve(): FakeHexServer {
    const server: LoopbackServer = serveLoopback(
      (req, info) => this.#handle(req, info),
      { onError: (e) => this.errors.push(e) },
    );
    return {
      url: `${server.origin}${API}`,
      origin: server.origin,
      repoUrl: `${server.origin}${REPO}`,
      close: () => server.close(),
    };
  }

  // ---------------------------------------------------------------- dispatch

  async #handle(
    req: Request,
    info: { remoteAddr: Deno.NetAddr; drop(): void } | null,
  ): Promise<Response> {
    const url = new URL(req.url);
    const body = new Uint8Array(await req.arrayBuffer());
    const record: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      url: req.url,
      query: url.searchParams,
      headers: new Headers(req.headers),
      body,
      text: new TextDecoder().decode(body),
      route: null,
      status: 0,
      time: this.now(),
    };
    this.requests.push(record);
    this.#noteSecretsOf(req.headers);

    const fault = this.#takeFault(req.method, url.pathname);
    const drop = () => {
      record.fault = "drop";
      record.status = 0;
      if (info) {
        info.drop();
        return new Response(null, { status: 500 });
      }
      throw new DroppedConnectionError();
    };
    if (fault?.kind === "drop" && !fault.afterHandling) return drop();
    let res: Response;
    try {
      if (fault?.kind === "fail") {
        record.fault = "fail";
        res = this.#faultResponse(fault);
      } else {
        res = await this.#dispatch(
          req,
          url,
          body,
          record,
          info?.remoteAddr.hostname ?? "127.0.0.1",
        );
      }
    } catch (e) {
      this.errors.push(e);
      res = errorResponse(500);
    }
    if (fault?.kind === "drop") {
      record.handledStatus = res.status;
      return drop();
    }
    record.status = res.status;
    return res;
  }

  async #dispatch(
    req: Request,
    url: URL,
    body: Uint8Array,
    record: RecordedRequest,
    ip: string,
  ): Promise<Response> {
    if (/%00/i.test(url.pathname + url.search)) return errorResponse(400);
    const base = url.pathname.startsWith(`${API}/`) || url.pathname === API
      ? "api"
      : url.pathname.startsWith(`${REPO}/`)
      ? "repo"
      : null;
    if (!base) return errorResponse(404);
    const sub = base === "api" ? url.pathname.slice(API.length) || "/" : url.pathname;
    let match: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.#routes) {
      if (route.base !== base || route.method !== req.method) continue;
      const m = route.regex.exec(sub);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => params[n] = decodeURIComponent(m[i + 1]));
      match = { route, params };
      break;
    }
    if (!match) return base === "repo" ? repoError(404) : errorResponse(404);
    record.route = `${match.route.method} ${match.route.pattern}`;
    if (base === "repo") {
      // The repository is a CDN: no User-Agent rule, no rate limits.
      const auth = this.#authenticate(req, ip);
      if (auth instanceof Response) return auth;
      return await match.route.run({
        req,
        url,
        origin: url.origin,
        path: sub,
        pathParams: match.params,
        body,
        principal: auth,
        ip,
      });
    }
    if (this.#requireUserAgent && !req.headers.get("user-agent")) {
      return errorResponse(400, "User-Agent header is required");
    }

    const ctx: Ctx = {
      req,
      url,
      origin: url.origin,
      path: sub,
      pathParams: match.params,
      body,
      principal: null,
      ip,
    };
    if (match.route.authenticate) {
      const auth = this.#authenticate(req, ip);
      if (auth instanceof Response) return auth;
      ctx.principal = auth;
    }
    const limited = this.#countRate(ctx);
    if (limited) return limited;
    const res = await withEtag(req, await match.route.run(ctx));
    // hex.pm sends no rate-limit headers with 401s (§9).
    if (res.status !== 401) {
      for (const [k, v] of Object.entries(this.#rateHeaders(ctx))) res.headers.set(k, v);
    }
    return res;
  }

  #takeFault(method: string, path: string): Fault | undefined {
    const sub = subPath(path);
    const fault = this.#faults.find((f) =>
      f.remaining > 0 &&
      (!f.filter.method || f.filter.method === method) &&
      (!f.filter.path || matchPath(f.filter.path, sub))
    );
    if (fault) fault.remaining--;
    return fault;
  }

  #faultResponse(fault: Fault): Response {
    const headers: Record<string, string> = {};
    let message = fault.options.message ?? DEFAULT_MESSAGES[fault.status];
    if (fault.status === 429) {
      const limit = fault.options.limit ?? this.#limits.authenticated;
      headers["x-ratelimit-limit"] = String(limit);
      headers["x-ratelimit-remaining"] = "0";
      headers["x-ratelimit-reset"] = String(
        Math.ceil((this.now() + (fault.options.resetInSeconds ?? 1) * 1000) / 1000),
      );
      message ??= "API rate limit exceeded for IP 127.0.0.1";
    }
    return errorResponse(fault.status, message ?? `HTTP ${fault.status}`, undefined, {
      ...headers,
      ...fault.options.headers,
    });
  }

  // ---------------------------------------------------------------- rate limits

  #rateKey(ctx: Ctx): { key: string; limit: number; who: string } {
    const p = ctx.principal;
    if (!p) return { key: `ip:${ctx.ip}`, limit: this.#limits.anonymous, who: `IP ${ctx.ip}` };
    const org = p.kind === "key" ? p.org : undefined;
    if (org) {
      return {
        key: `org:${org.id}`,
        limit: this.#limits.authenticated,
        who: `organization ${org.id}`,
      };
    }
    const id = p.user?.id ?? 0;
    return { key: `user:${id}`, limit: this.#limits.authenticated, who: `user ${id}` };
  }

  /** Counts the request; a 429 when over the limit, `null` otherwise. */
  #countRate(ctx: Ctx): Response | null {
    const rk = this.#rateKey(ctx);
    const window = Math.floor(this.now() / 60_000);
    const c = this.#counters.get(rk.key);
    const counter = c && c.window === window ? c : { window, count: 0 };
    counter.count++;
    this.#counters.set(rk.key, counter);
    if (counter.count <= rk.limit || !this.#limits.enforce) return null;
    return errorResponse(
      429,
      `API rate limit exceeded for ${rk.who}`,
      undefined,
      this.#rateHeaders(ctx),
    );
  }

  #rateHeaders(ctx: Ctx): Record<string, string> {
    const rk = this.#rateKey(ctx);
    const window = Math.floor(this.now() / 60_000);
    const c = this.#counters.get(rk.key);
    const used = c && c.window === window ? c.count : 0;
    return {
      "x-ratelimit-limit": String(rk.limit),
      "x-ratelimit-remaining": String(Math.max(0, rk.limit - used)),
      "x-ratelimit-reset": String((window + 1) * 60),
    };
  }

  // ---------------------------------------------------------------- authentication

  #authenticate(req: Request, ip: string): Principal | null | Response {
    const header = req.headers.get("authorization");
    if (header === null || header === "") return null;
    if (header.startsWith("Basic ")) {
      return unauthorized(
        "Basic authentication is disabled. Update your client to use OAuth or an API key.",
        'Bearer realm="hex"',
      );
    }
    if (header.startsWith("Bearer ")) {
      const value = header.slice("Bearer ".length);
      const token = this.tokens.find((t) => t.accessToken === value);
      const user = token && this.users.get(token.user);
      if (!token || !user || token.revokedAt !== null || token.expiresAt <= this.now()) {
        return unauthorized("invalid API key");
      }
      return { kind: "oauth", token, user };
    }
    const key = this.keys.find((k) => k.secret === header);
    if (!key) return unauthorized("invalid API key");
    if (this.#revoked(key)) {
      return unauthorized(
        this.#namedKeyExpiry && !key.revokedByRequest
          ? `API key expired at ${iso(key.revokeAt!)}`
          : "API key revoked",
      );
    }
    key.lastUse = { usedAt: this.now(), ip, userAgent: req.headers.get("user-agent") };
    return key.owner.type === "user"
      ? { kind: "key", key, user: this.users.get(key.owner.name) }
      : { kind: "key", key, org: this.orgs.get(key.owner.name) };
  }

  /**
   * hexpm's `authorize`: credential present (or not required), email verified, credential
   * allows the API domain, then TOTP for OAuth writes. `null` means go on.
   */
  async #authorize(
    ctx: Ctx,
    need: "read" | "write",
    options: { required: boolean; allowUnconfirmed?: boolean },
  ): Promise<Response | null> {
    const p = ctx.principal;
    if (!p) return options.required ? unauthorized("missing authentication information") : null;
    const user = p.user;
    if (user && !user.emailVerified && !options.allowUnconfirmed) {
      return errorResponse(403, "email not verified");
    }
    if (!allows(this.#permissionsOf(p), "api", need)) {
      return unauthorized("key not authorized for this action");
    }
    if (need === "write" && p.kind === "oauth") return await this.#checkTotp(ctx, p.user);
    return null;
  }

  async #checkTotp(ctx: Ctx, user: FakeUser): Promise<Response | null> {
    if (!user.totpSecret) {
      return errorResponse(403, "Two-factor authentication must be enabled for API write access");
    }
    const code = ctx.req.headers.get("x-hex-otp");
    if (!code) {
      return unauthorized(
        "Two-factor authentication required. Include X-Hex-OTP header with your TOTP code.",
        'Bearer realm="hex", error="totp_required"',
      );
    }
    const now = this.now();
    const failures = (this.#totpFailures.get(user.username) ?? []).filter((t) =>
      t > now - 10 * 60_000
    );
    this.#totpFailures.set(user.username, failures);
    if (failures.length >= 5) {
      return errorResponse(
        429,
        "Too many failed two-factor authentication attempts. Please try again later.",
      );
    }
    // Accepted from one step before to three steps after the current one (§9).
    for (let step = -1; step <= 3; step++) {
      if (code === await totpCode(user.totpSecret, now + step * 30_000)) return null;
    }
    failures.push(now);
    return unauthorized(
      "Invalid two-factor authentication code",
      'Bearer realm="hex", error="invalid_totp"',
    );
  }

  #permissionsOf(p: Principal): Permission[] {
    return p.kind === "key" ? p.key.permissions : p.token.scopes.map(scopeToPermission);
  }

  /** `AuthHelpers.organization_access`: the org's own key, or a member with the role. */
  #orgAccess(org: FakeOrg, p: Principal | null, role: OrgRole): Response | null {
    if (p?.kind === "key" && p.org) return p.org === org ? null : errorResponse(404);
    const username = p?.user?.username;
    const actual = username ? org.members.get(username) : undefined;
    if (!actual) return errorResponse(404);
    return ROLE_RANK[actual] >= ROLE_RANK[role] ? null : forbidden();
  }

  /** `verify_user_access`: may this user or organization use `domain:resource` at all? */
  #userAccess(
    subject: { user?: FakeUser; org?: FakeOrg },
    domain: string,
    resource: string | null,
  ): { ok: true; org?: FakeOrg } | { ok: false } {
    const { user, org } = subject;
    if (domain === "api" || domain === "repositories") return { ok: true };
    if (domain === "repository" || domain === "docs") {
      const o = resource === null ? undefined : this.orgs.get(resource);
      if (!o) return { ok: false };
      if (org) return org === o ? { ok: true, org: o } : { ok: false };
      return user && o.members.has(user.username) ? { ok: true, org: o } : { ok: false };
    }
    if (domain === "package" && resource !== null) {
      const pkg = this.packages.get(normalisePackage(resource));
      if (!pkg) return { ok: false };
      const repoOrg = this.orgs.get(pkg.repository);
      if (org) return pkg.repository === org.name ? { ok: true, org } : { ok: false };
      return user && pkg.owners.has(user.username) ? { ok: true, org: repoOrg } : { ok: false };
    }
    return { ok: false };
  }

  // ---------------------------------------------------------------- model helpers

  #id(): number {
    return this.#nextId++;
  }

  /** Revoked or expired: `revoke_at` at or before now. */
  #revoked(key: FakeKey): boolean {
    return key.revokeAt !== null && key.revokeAt <= this.now();
  }

  #pushAudit(logKey: string, entry: FakeAuditEntry): void {
    const list = this.#audits.get(logKey) ?? [];
    list.push({ entry, seq: this.#auditSeq++ });
    this.#audits.set(logKey, list);
  }

  /**
   * Records an action in the acting user's log and, when it concerns an organization
   * (`org`, or the acting organization key's own), in that organization's log.
   */
  #audit(ctx: Ctx, action: string, params: Record<string, unknown>, org?: string): void {
    const entry = (): FakeAuditEntry => ({
      action,
      params: structuredClone(params),
      userAgent: ctx.req.headers.get("user-agent"),
      insertedAt: this.now(),
    });
    const p = ctx.principal;
    if (p?.user) this.#pushAudit(`user:${p.user.username}`, entry());
    const orgs = new Set<string>();
    if (p?.kind === "key" && p.org) orgs.add(p.org.name);
    if (org !== undefined && this.orgs.has(org)) orgs.add(org);
    for (const name of orgs) this.#pushAudit(`org:${name}`, entry());
  }

  #keyAuditParams(key: FakeKey): Record<string, unknown> {
    return {
      name: key.name,
      permissions: key.permissions.map((x) => ({ domain: x.domain, resource: x.resource })),
      user: key.owner.type === "user" ? { username: key.owner.name } : null,
      organization: key.owner.type === "organization" ? { name: key.owner.name } : null,
    };
  }

  #releaseAuditParams(pkg: FakePackage, release: FakeRelease): Record<string, unknown> {
    return {
      package: { name: pkg.name, repository: pkg.repository },
      release: {
        version: release.version,
        checksum: release.checksum,
        has_docs: release.hasDocs,
        retirement: release.retirement &&
          { reason: release.retirement.reason, message: release.retirement.message },
      },
    };
  }

  /** The organization a package action concerns (its repository), if any. */
  #repoOrg(pkg: FakePackage): string | undefined {
    return pkg.repository === "hexpm" ? undefined : pkg.repository;
  }

  #keyOrg(key: FakeKey): string | undefined {
    return key.owner.type === "organization" ? key.owner.name : undefined;
  }

  #keysOf(owner: KeyOwner): FakeKey[] {
    return this.keys.filter((k) => k.owner.type === owner.type && k.owner.name === owner.name);
  }

  #uniqueKeyName(owner: KeyOwner, name: string): string {
    const live = this.#keysOf(owner).filter((k) => !this.#revoked(k)).map((k) => k.name);
    if (!live.includes(name)) return name;
    let max = 1;
    for (const existing of live) {
      if (!existing.startsWith(`${name}-`)) continue;
      const rest = existing.slice(name.length + 1);
      if (/^\d+$/.test(rest)) max = Math.max(max, Number(rest));
    }
    return `${name}-${max + 1}`;
  }

  #createKey(
    owner: KeyOwner,
    name: string,
    permissions: Permission[],
    revokeAt: number | null,
    insertedAt?: number,
  ): FakeKey {
    const now = insertedAt ?? this.now();
    const key: FakeKey = {
      id: this.#id(),
      name,
      secret: randomHex(16),
      permissions,
      owner,
      revokeAt,
      lastUse: null,
      insertedAt: now,
      updatedAt: now,
    };
    this.#secrets.set(key.secret, `API key "${name}"`);
    this.keys.push(key);
    return key;
  }

  #deviceByUserCode(userCode: string): FakeDevice {
    const wanted = userCode.replace(/-/g, "").toUpperCase();
    const device = [...this.devices.values()].find((d) => d.userCode === wanted);
    if (!device) throw new Error(`FakeHex: no device authorization with user code "${userCode}"`);
    return device;
  }

  #expandScopes(username: string, granted: string[]): string[] {
    const out: string[] = [];
    for (const scope of granted) {
      if (scope === "repositories") {
        for (const org of [...this.orgs.values()].sort((a, b) => cmp(a.name, b.name))) {
          if (org.members.has(username)) out.push(`repository:${org.name}`);
        }
      } else out.push(scope);
    }
    return [...new Set(out)];
  }

  #issueSession(
    username: string,
    clientId: string,
    granted: string[],
    grantType: string,
    refreshExpiresAt?: number,
  ): FakeToken {
    const now = this.now();
    const token: FakeToken = {
      id: this.#id(),
      user: username,
      clientId,
      accessToken: "",
      refreshToken: randomBase64Url(32),
      grantedScopes: granted,
      scopes: this.#expandScopes(username, granted),
      expiresAt: now + ACCESS_TTL_MS,
      refreshExpiresAt: refreshExpiresAt ?? now + REFRESH_TTL_MS,
      revokedAt: null,
      grantType,
    };
    token.accessToken = fakeJwt({
      iss: "hexpm",
      aud: "hexpm:api",
      sub: `user:${username}`,
      scope: token.scopes.join(" "),
      iat: Math.floor(now / 1000),
      exp: Math.floor(token.expiresAt / 1000),
      jti: randomBase64Url(12),
    });
    this.#secrets.set(token.accessToken, `access token of ${username}`);
    this.#secrets.set(token.refreshToken!, `refresh token of ${username}`);
    this.tokens.push(token);
    return token;
  }

  #tokenResponse(token: FakeToken): TokenResponse {
    const res: TokenResponse = {
      access_token: token.accessToken,
      token_type: "bearer",
      expires_in: Math.max(0, Math.round((token.expiresAt - this.now()) / 1000)),
      scope: token.scopes.join(" "),
    };
    if (token.refreshToken) res.refresh_token = token.refreshToken;
    return res;
  }

  #revokeToken(token: FakeToken): void {
    token.revokedAt ??= this.now();
  }

  #noteSecretsOf(headers: Headers): void {
    const auth = headers.get("authorization");
    if (!auth) return;
    const value = auth.replace(/^(Bearer|Basic) /, "");
    if (value.length >= 6 && !this.#secrets.has(value)) {
      this.#secrets.set(value, "a credential sent in authorization");
    }
  }

  // ---------------------------------------------------------------- JSON views

  #userJson(ctx: Ctx, user: FakeUser): Record<string, unknown> {
    const packages = [...this.packages.values()]
      .filter((p) => p.owners.has(user.username) && this.#canSeeRepo(ctx, p.repository))
      .sort((a, b) =>
        (a.repository === "hexpm" ? 0 : 1) - (b.repository === "hexpm" ? 0 : 1) ||
        cmp(a.repository, b.repository) || cmp(a.name, b.name)
      );
    const json: Record<string, unknown> = {
      username: user.username,
      full_name: user.fullName,
      handles: {},
      url: `${ctx.origin}${API}/users/${encodeURIComponent(user.username)}`,
      inserted_at: iso(user.insertedAt),
      updated_at: iso(user.updatedAt),
    };
    if (user.publicEmail) json.email = user.email;
    json.owned_packages = Object.fromEntries(
      packages.map((p) => [p.name, packageUrl(ctx.origin, p)]),
    );
    json.packages = packages.map((p) => ({
      name: p.name,
      repository: p.repository,
      url: packageUrl(ctx.origin, p),
      html_url: p.repository === "hexpm"
        ? `${ctx.origin}/packages/${p.name}`
        : `${ctx.origin}/packages/${p.repository}/${p.name}`,
    }));
    return json;
  }

  #canSeeRepo(ctx: Ctx, repo: string): boolean {
    if (repo === "hexpm") return true;
    const p = ctx.principal;
    if (!p) return false;
    if (p.kind === "key" && p.org) return p.org.name === repo;
    return !!p.user && !!this.orgs.get(repo)?.members.has(p.user.username);
  }

  #keyJson(
    ctx: Ctx,
    key: FakeKey,
    options: { withSecret?: boolean } = {},
  ): Record<string, unknown> {
    const p = ctx.principal;
    return {
      name: key.name,
      authing_key: p?.kind === "key" && p.key === key,
      secret: options.withSecret ? key.secret : null,
      permissions: key.permissions.map((x) => ({ domain: x.domain, resource: x.resource })),
      revoke_at: key.revokeAt === null ? null : iso(key.revokeAt),
      inserted_at: iso(key.insertedAt),
      updated_at: iso(key.updatedAt),
      url: `${ctx.origin}${API}/keys/${encodeURIComponent(key.name)}`,
      last_use: key.lastUse && {
        used_at: iso(key.lastUse.usedAt),
        ip: key.lastUse.ip,
        user_agent: key.lastUse.userAgent,
      },
    };
  }

  #orgJson(org: FakeOrg, withSeats: boolean): Record<string, unknown> {
    const json: Record<string, unknown> = {
      name: org.name,
      billing_active: org.billingActive,
      inserted_at: iso(org.insertedAt),
      updated_at: iso(org.updatedAt),
    };
    if (withSeats) json.seats = org.seats;
    return json;
  }

  /** UserView "minimal": `{username, email?, url}`; an organization owner by its name. */
  #minimalUserJson(ctx: Ctx, name: string): Record<string, unknown> {
    const out: Record<string, unknown> = { username: name };
    const user = this.users.get(name);
    if (user?.publicEmail) out.email = user.email;
    out.url = `${ctx.origin}${API}/users/${encodeURIComponent(name)}`;
    return out;
  }

  /** OwnerView: the user's JSON plus `level`. */
  #ownerJson(ctx: Ctx, name: string, level: OwnerLevel): Record<string, unknown> {
    const user = this.users.get(name);
    if (user) return { ...this.#userJson(ctx, user), level };
    const org = this.orgs.get(name);
    return {
      username: name,
      full_name: null,
      handles: {},
      url: `${ctx.origin}${API}/users/${encodeURIComponent(name)}`,
      inserted_at: iso(org?.insertedAt ?? 0),
      updated_at: iso(org?.updatedAt ?? 0),
      level,
    };
  }

  /** ReleaseView "show". */
  #releaseJson(ctx: Ctx, pkg: FakePackage, release: FakeRelease): Record<string, unknown> {
    const urls = packageUrls(ctx.origin, pkg);
    const requirements = [...release.requirements].sort((a, b) =>
      cmp(a.repository, b.repository) || cmp(a.name, b.name)
    );
    return {
      version: release.version,
      checksum: release.checksum,
      has_docs: release.hasDocs,
      inserted_at: iso(release.insertedAt),
      updated_at: iso(release.updatedAt),
      retirement: release.retirement && {
        reason: release.retirement.reason,
        message: release.retirement.message,
      },
      package_url: urls.api,
      url: `${urls.api}/releases/${release.version}`,
      html_url: `${urls.html}/${release.version}`,
      docs_html_url: release.hasDocs ? `${urls.docs}/${release.version}/` : null,
      requirements: Object.fromEntries(requirements.map((r) => [
        r.name,
        { app: r.app, requirement: r.requirement, optional: r.optional },
      ])),
      configs: depSnippets(pkg, release.version),
      meta: { ...release.meta, build_tools: [...release.meta.build_tools] },
      downloads: release.downloads,
      publisher: release.publisher ? this.#minimalUserJson(ctx, release.publisher) : null,
    };
  }

  /** PackageView "show", with releases (newest first), retirements, owners and downloads. */
  #packageJson(ctx: Ctx, pkg: FakePackage): Record<string, unknown> {
    const urls = packageUrls(ctx.origin, pkg);
    const releases = sortReleases(pkg.releases);
    const { latest, stable } = latestVersions(pkg.releases);
    return {
      name: pkg.name,
      repository: pkg.repository,
      url: urls.api,
      html_url: urls.html,
      docs_html_url: releases.some((r) => r.hasDocs) ? `${urls.docs}/` : null,
      meta: {
        description: pkg.meta.description,
        licenses: [...pkg.meta.licenses],
        links: { ...pkg.meta.links },
        maintainers: [...pkg.meta.maintainers],
      },
      downloads: { ...pkg.downloads },
      releases: releases.map((r) => ({
        version: r.version,
        url: `${urls.api}/releases/${r.version}`,
        has_docs: r.hasDocs,
        inserted_at: iso(r.insertedAt),
      })),
      retirements: Object.fromEntries(
        releases.filter((r) => r.retirement).map((r) => [
          r.version,
          { reason: r.retirement!.reason, message: r.retirement!.message },
        ]),
      ),
      owners: [...pkg.owners.keys()].sort(cmp).map((o) => this.#minimalUserJson(ctx, o)),
      latest_version: latest,
      latest_stable_version: stable,
      configs: latest ? depSnippets(pkg, latest) : {},
      inserted_at: iso(pkg.insertedAt),
      updated_at: iso(pkg.updatedAt),
    };
  }

  // ---------------------------------------------------------------- routes

  #route(
    method: string,
    pattern: string,
    run: (ctx: Ctx) => Promise<Response> | Response,
    options: { authenticate?: boolean; base?: "api" | "repo" } = {},
  ): void {
    const names: string[] = [];
    const source = pattern.replace(/:([a-z_]+)/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    this.#routes.push({
      base: options.base ?? "api",
      method,
      pattern,
      regex: new RegExp(`^${source}/?$`),
      names,
      authenticate: options.authenticate ?? true,
      run,
    });
  }

  #defineRoutes(): void {
    // Users (`/users/me` before `/users/:name`).
    this.#route("GET", "/users/me", (ctx) => this.#getMe(ctx));
    this.#route("GET", "/users/me/audit-logs", (ctx) => this.#userAudit(ctx));
    this.#route("GET", "/users/:name", (ctx) => this.#getUser(ctx));
    this.#route("POST", "/users", (ctx) => this.#createUser(ctx));
    this.#route("GET", "/auth", (ctx) => this.#testAuth(ctx));

    // Keys, for the credential's owner or under an organization.
    for (const prefix of ["", "/orgs/:org"]) {
      this.#route("GET", `${prefix}/keys`, (ctx) => this.#listKeys(ctx));
      this.#route("POST", `${prefix}/keys`, (ctx) => this.#createKeyRoute(ctx));
      this.#route("DELETE", `${prefix}/keys`, (ctx) => this.#revokeAllKeys(ctx));
      this.#route("GET", `${prefix}/keys/:name`, (ctx) => this.#getKey(ctx));
      this.#route("DELETE", `${prefix}/keys/:name`, (ctx) => this.#revokeKey(ctx));
    }

    this.#route("GET", "/orgs", (ctx) => this.#listOrgs(ctx));
    this.#route("GET", "/orgs/:org", (ctx) => this.#getOrg(ctx));
    this.#route("GET", "/orgs/:org/audit-logs", (ctx) => this.#orgAudit(ctx));

    const oauth = { authenticate: false };
    this.#route("POST", "/oauth/device_authorization", (ctx) => this.#deviceAuth(ctx), oauth);
    this.#route("POST", "/oauth/token", (ctx) => this.#token(ctx), oauth);
    this.#route("POST", "/oauth/revoke", (ctx) => this.#revoke(ctx), oauth);

    // Packages: unprefixed = repository `hexpm`; `/repos/:repo/...` for an organization.
    for (const prefix of ["", "/repos/:repo"]) {
      const pkg = `${prefix}/packages/:name`;
      const rel = `${pkg}/releases/:version`;
      this.#route("POST", `${prefix}/publish`, (ctx) => this.#publish(ctx));
      this.#route("GET", `${prefix}/packages`, (ctx) => this.#listPackages(ctx));
      this.#route("GET", pkg, (ctx) => this.#getPackage(ctx));
      this.#route("POST", `${pkg}/releases`, (ctx) => this.#publish(ctx));
      this.#route("GET", rel, (ctx) => this.#getRelease(ctx));
      this.#route("DELETE", rel, (ctx) => this.#revertRelease(ctx));
      this.#route("GET", `${rel}/docs`, (ctx) => this.#getDocs(ctx));
      this.#route("POST", `${rel}/docs`, (ctx) => this.#publishDocs(ctx));
      this.#route("DELETE", `${rel}/docs`, (ctx) => this.#revertDocs(ctx));
      this.#route("POST", `${rel}/retire`, (ctx) => this.#retire(ctx));
      this.#route("DELETE", `${rel}/retire`, (ctx) => this.#unretire(ctx));
      this.#route("POST", `${pkg}/retire`, (ctx) => this.#retireAll(ctx));
      this.#route("GET", `${pkg}/owners`, (ctx) => this.#listOwners(ctx));
      this.#route("GET", `${pkg}/owners/:user`, (ctx) => this.#getOwner(ctx));
      this.#route("PUT", `${pkg}/owners/:user`, (ctx) => this.#addOwner(ctx));
      this.#route("DELETE", `${pkg}/owners/:user`, (ctx) => this.#removeOwner(ctx));
    }

    // The repository (outside `/api`): tarballs and docs, public or per organization.
    const repo = { base: "repo" as const };
    for (const prefix of [REPO, `${REPO}/repos/:repo`]) {
      this.#route("GET", `${prefix}/tarballs/:file`, (ctx) => this.#repoFile(ctx, "tarball"), repo);
      this.#route("GET", `${prefix}/docs/:file`, (ctx) => this.#repoFile(ctx, "docs"), repo);
      this.#route("GET", `${prefix}/names`, (ctx) => this.#registryRoute(ctx), repo);
      this.#route("GET", `${prefix}/versions`, (ctx) => this.#registryRoute(ctx), repo);
      this.#route("GET", `${prefix}/packages/:name`, (ctx) => this.#registryRoute(ctx), repo);
    }
    this.#route(
      "GET",
      `${REPO}/public_key`,
      async () =>
        new Response((await this.registryKeys()).publicKeyPem, {
          status: 200,
          headers: { "content-type": "text/plain" },
        }),
      repo,
    );
  }

  // ---- users

  async #getMe(ctx: Ctx): Promise<Response> {
    const denied = await this.#authorize(ctx, "read", { required: true });
    if (denied) return denied;
    const user = ctx.principal?.user;
    if (!user) return errorResponse(404);
    const orgs = [...this.orgs.values()]
      .filter((o) => o.members.has(user.username))
      .sort((a, b) => cmp(a.name, b.name))
      .map((o) => ({ name: o.name, role: o.members.get(user.username) }));
    return json(200, { ...this.#userJson(ctx, user), organizations: orgs });
  }

  #getUser(ctx: Ctx): Response {
    const name = ctx.pathParams.name;
    const user = this.users.get(name) ??
      [...this.users.values()].find((u) => u.email === name && u.publicEmail);
    return user ? json(200, this.#userJson(ctx, user)) : errorResponse(404);
  }

  #createUser(ctx: Ctx): Response {
    const params = parseParams(ctx);
    if (params instanceof Response) return params;
    const username = typeof params.username === "string" ? params.username.toLowerCase() : "";
    const password = typeof params.password === "string" ? params.password : "";
    const emails = Array.isArray(params.emails) ? params.emails : [];
    const firstEmail = emails[0] as { email?: unknown } | undefined;
    const email = typeof params.email === "string"
      ? params.email
      : typeof firstEmail?.email === "string"
      ? firstEmail.email
      : "";
    if (password) this.#secrets.set(password, "a registration password");
    const errors: Record<string, unknown> = {};
    if (!username) errors.username = "can't be blank";
    else if (!/^[a-z0-9_\-.]+$/.test(username)) errors.username = "has invalid format";
    else if (username.length < 3) errors.username = "should be at least 3 character(s)";
    else if (RESERVED_USERNAMES.includes(username)) errors.username = "is reserved";
    else if (this.users.has(username)) errors.username = "has already been taken";
    if (!password) errors.password = "can't be blank";
    else if (password.length < 8) errors.password = "should be at least 8 character(s)";
    if (!email) errors.emails = { email: "can't be blank" };
    else if (!/^[^@\s]+@[^@\s]+$/.test(email)) errors.emails = { email: "has invalid format" };
    else if ([...this.users.values()].some((u) => u.email === email)) {
      errors.emails = { email: "has already been taken" };
    }
    if (Object.keys(errors).length) return errorResponse(422, undefined, errors);
    const user = this.addUser({ username, email, emailVerified: false });
    user.password = password;
    return json(201, this.#userJson(ctx, user), {
      location: `${API}/users/${encodeURIComponent(username)}`,
    });
  }

  #testAuth(ctx: Ctx): Response {
    const domain = ctx.url.searchParams.get("domain");
    if (!domain) return errorResponse(400);
    const resource = ctx.url.searchParams.get("resource");
    // Authentication but no API domain: a repository-only key may ask about its repository.
    const p = ctx.principal;
    if (!p) return unauthorized("missing authentication information");
    if (p.user && !p.user.emailVerified) return errorResponse(403, "email not verified");
    if (!allows(this.#permissionsOf(p), domain, resource)) {
      return unauthorized("key not authorized for this action");
    }
    const access = this.#userAccess(
      { user: p.user, org: p.kind === "key" ? p.org : undefined },
      domain,
      resource,
    );
    if (!access.ok) return forbidden();
    if (access.org && !access.org.billingActive) {
      return forbidden("organization has no active billing subscription");
    }
    if (p.kind === "oauth") return new Response(null, { status: 204 });
    return json(200, { key: { name: p.key.name, owner: p.key.owner } }, {
      "x-hex-key-id": String(p.key.id),
    });
  }

  // ---- keys

  /** The owner a key route works on, after hexpm's organization/path checks. */
  #keyOwner(ctx: Ctx, role: OrgRole): KeyOwner | Response {
    const orgName = ctx.pathParams.org;
    const p = ctx.principal;
    if (orgName !== undefined) {
      const org = this.orgs.get(orgName);
      if (!org) return errorResponse(404);
      const denied = this.#orgAccess(org, p, role);
      if (denied) return denied;
      return { type: "organization", name: org.name };
    }
    if (p?.kind === "key" && p.org) return errorResponse(404);
    if (!p?.user) return forbidden();
    return { type: "user", name: p.user.username };
  }

  async #listKeys(ctx: Ctx): Promise<Response> {
    const denied = await this.#authorize(ctx, "read", { required: true });
    if (denied) return denied;
    const owner = this.#keyOwner(ctx, "read");
    if (owner instanceof Response) return owner;
    const keys = this.#keysOf(owner).filter((k) => !this.#revoked(k))
      .sort((a, b) => cmp(a.name, b.name));
    return json(200, keys.map((k) => this.#keyJson(ctx, k)));
  }

  async #getKey(ctx: Ctx): Promise<Response> {
    const denied = await this.#authorize(ctx, "read", { required: true });
    if (denied) return denied;
    const owner = this.#keyOwner(ctx, "read");
    if (owner instanceof Response) return owner;
    const key = this.#keysOf(owner).find((k) =>
      k.name === ctx.pathParams.name && !this.#revoked(k)
    );
    return key ? json(200, this.#keyJson(ctx, key)) : errorResponse(404);
  }

  async #createKeyRoute(ctx: Ctx): Promise<Response> {
    // hexpm does not require authentication here; with none there is no owner: 403 (§9).
    if (!ctx.principal) return forbidden();
    const denied = await this.#authorize(ctx, "write", { required: true, allowUnconfirmed: true });
    if (denied) return denied;
    const owner = this.#keyOwner(ctx, "write");
    if (owner instanceof Response) return owner;
    const params = parseParams(ctx);
    if (params instanceof Response) return params;

    const errors: Record<string, unknown> = {};
    const name = typeof params.name === "string" ? params.name.trim() : "";
    if (!name) errors.name = "can't be blank";
    let revokeAt: number | null = null;
    if (params.revoke_at !== undefined && params.revoke_at !== null) {
      const t = typeof params.revoke_at === "string" ? Date.parse(params.revoke_at) : NaN;
      if (Number.isNaN(t)) errors.revoke_at = "is invalid";
      else if (t <= this.now()) errors.revoke_at = "must be in the future";
      else revokeAt = t;
    }
    const perms = this.#validatePermissions(owner, params.permissions);
    if ("errors" in perms) errors.permissions = perms.errors;
    if (Object.keys(errors).length) return errorResponse(422, undefined, errors);

    const key = this.#createKey(
      owner,
      this.#uniqueKeyName(owner, name),
      (perms as { permissions: Permission[] }).permissions,
      revokeAt,
    );
    this.#audit(ctx, "key.generate", this.#keyAuditParams(key), this.#keyOrg(key));
    return json(201, this.#keyJson(ctx, key, { withSecret: true }), {
      location: `${API}/keys/${encodeURIComponent(key.name)}`,
    });
  }

  /** `KeyPermission.changeset` for each permission; the first error per field, as hexpm shows. */
  #validatePermissions(
    owner: KeyOwner,
    raw: unknown,
  ): { permissions: Permission[] } | { errors: unknown } {
    if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
      return { permissions: [{ domain: "api", resource: null }] };
    }
    if (!Array.isArray(raw)) return { errors: "is invalid" };
    const out: Permission[] = [];
    for (const item of raw) {
      if (typeof item !== "object" || item === null) return { errors: "is invalid" };
      const { domain, resource } = item as { domain?: unknown; resource?: unknown };
      const errors: Record<string, string> = {};
      if (typeof domain !== "string" || domain === "") errors.domain = "can't be blank";
      else if (!["api", "package", "repository", "repositories", "docs"].includes(domain)) {
        errors.domain = "is invalid";
      }
      let res = typeof resource === "string" && resource !== "" ? resource : null;
      if (resource !== undefined && resource !== null && typeof resource !== "string") {
        errors.resource = "is invalid";
      }
      if (!errors.domain && !errors.resource) {
        const d = domain as string;
        if (d === "package" && res !== null) res = normalisePackage(res);
        // Stricter than hexpm, which skips the check when resource is absent: a
        // `repository`, `package` or `docs` permission without one is useless.
        const shapeOk = d === "api"
          ? res === null || res === "read" || res === "write"
          : d === "repositories"
          ? res === null
          : res !== null;
        if (!shapeOk) errors.resource = "invalid resource for given domain";
        else if (res !== null && d !== "api") {
          const subject = owner.type === "user"
            ? { user: this.users.get(owner.name) }
            : { org: this.orgs.get(owner.name) };
          if (!this.#userAccess(subject, d, res).ok) {
            errors.resource = d === "package"
              ? "you do not have access to this package"
              : "you do not have access to this repository";
          }
        }
      }
      if (Object.keys(errors).length) return { errors };
      out.push({ domain: domain as string, resource: res });
    }
    return { permissions: out };
  }

  async #revokeKey(ctx: Ctx): Promise<Response> {
    const denied = await this.#authorize(ctx, "write", { required: true });
    if (denied) return denied;
    const owner = this.#keyOwner(ctx, "write");
    if (owner instanceof Response) return owner;
    const key = this.#keysOf(owner).find((k) =>
      k.name === ctx.pathParams.name && !this.#revoked(k)
    );
    if (!key) return errorResponse(404);
    const now = this.now();
    key.revokeAt = now - 1000;
    key.revokedByRequest = true;
    key.updatedAt = now;
    this.#audit(ctx, "key.remove", this.#keyAuditParams(key), this.#keyOrg(key));
    return json(200, this.#keyJson(ctx, key));
  }

  async #revokeAllKeys(ctx: Ctx): Promise<Response> {
    const denied = await this.#authorize(ctx, "write", { required: true });
    if (denied) return denied;
    const owner = this.#keyOwner(ctx, "write");
    if (owner instanceof Response) return owner;
    const now = this.now();
    for (const key of this.#keysOf(owner)) {
      if (this.#revoked(key)) continue;
      key.revokeAt = now - 1000;
      key.revokedByRequest = true;
      key.updatedAt = now;
      this.#audit(ctx, "key.remove", this.#keyAuditParams(key), this.#keyOrg(key));
    }
    // hexpm renders the authing key; an OAuth token is no key, so the body is `null`.
    const p = ctx.principal;
    return json(200, p?.kind === "key" ? this.#keyJson(ctx, p.key) : null);
  }

  // ---- organizations

  async #listOrgs(ctx: Ctx): Promise<Response> {
    const denied = await this.#authorize(ctx, "read", { required: false });
    if (denied) return denied;
    const p = ctx.principal;
    const orgs = [...this.orgs.values()].filter((o) =>
      p?.kind === "key" && p.org ? o === p.org : !!p?.user && o.members.has(p.user.username)
    ).sort((a, b) => cmp(a.name, b.name));
    return json(200, orgs.map((o) => this.#orgJson(o, false)));
  }

  async #getOrg(ctx: Ctx): Promise<Response> {
    const org = this.orgs.get(ctx.pathParams.org);
    if (!org) return errorResponse(404);
    const denied = await this.#authorize(ctx, "read", { required: false });
    if (denied) return denied;
    const noAccess = this.#orgAccess(org, ctx.principal, "read");
    if (noAccess) return noAccess;
    return json(200, this.#orgJson(org, true));
  }

  #auditPage(ctx: Ctx, entries: FakeAuditEntry[]): Response {
    const page = positiveInt(ctx.url.searchParams.get("page"), 1);
    return json(
      200,
      entries.slice((page - 1) * AUDIT_PER_PAGE, page * AUDIT_PER_PAGE).map((e) => ({
        action: e.action,
        params: e.params,
        user_agent: e.userAgent,
        inserted_at: iso(e.insertedAt),
      })),
    );
  }

  async #userAudit(ctx: Ctx): Promise<Response> {
    const denied = await this.#authorize(ctx, "read", { required: true });
    if (denied) return denied;
    const user = ctx.principal?.user;
    if (!user) return errorResponse(404);
    return this.#auditPage(ctx, this.auditLog(user.username));
  }

  async #orgAudit(ctx: Ctx): Promise<Response> {
    const org = this.orgs.get(ctx.pathParams.org);
    if (!org) return errorResponse(404);
    const denied = await this.#authorize(ctx, "read", { required: false });
    if (denied) return denied;
    const noAccess = this.#orgAccess(org, ctx.principal, "read");
    if (noAccess) return noAccess;
    return this.#auditPage(ctx, this.auditLog({ organization: org.name }));
  }

  // ---- packages

  /** The repository a package route names: `hexpm`, or an existing organization (else 404). */
  #repoOf(ctx: Ctx): string | Response {
    const repo = ctx.pathParams.repo ?? "hexpm";
    if (repo !== "hexpm" && !this.orgs.has(repo)) return errorResponse(404);
    return repo;
  }

  /** Reads: a credential, if sent, needs api:read; an organization's packages need membership. */
  async #authorizeRead(ctx: Ctx, repo: string): Promise<Response | null> {
    const denied = await this.#authorize(ctx, "read", { required: false });
    if (denied) return denied;
    if (repo === "hexpm") return null;
    return this.#orgAccess(this.orgs.get(repo)!, ctx.principal, "read");
  }

  /**
   * Package writes, in hexpm's order: a credential (none: 401 for publish and revert, 403
   * for docs, retire and owners, §9), a verified email, a permission for the API write
   * domain or (`domain: "package"`) for `package:REPO/NAME`, TOTP for OAuth, the
   * organization's role and billing for a private repository, then ownership at `level`.
   * A package that does not exist yet passes (a publish creates it; other routes 404).
   */
  async #authorizeWrite(
    ctx: Ctx,
    repo: string,
    name: string,
    options: { level: OwnerLevel; domain: "api" | "package"; anonymous: 401 | 403 },
  ): Promise<Response | null> {
    const p = ctx.principal;
    if (!p) {
      return options.anonymous === 403
        ? forbidden()
        : unauthorized("missing authentication information");
    }
    if (p.user && !p.user.emailVerified) return errorResponse(403, "email not verified");
    const perms = this.#permissionsOf(p);
    const permitted = options.domain === "package"
      ? allows(perms, "package", `${repo}/${name}`)
      : allows(perms, "api", "write");
    if (!permitted) return unauthorized("key not authorized for this action");
    if (p.kind === "oauth") {
      const totp = await this.#checkTotp(ctx, p.user);
      if (totp) return totp;
    }
    if (repo !== "hexpm") {
      const org = this.orgs.get(repo)!;
      const denied = this.#orgAccess(org, p, options.level === "full" ? "admin" : "write");
      if (denied) return denied;
      if (!org.billingActive) return forbidden("organization has no active billing subscription");
    }
    const pkg = this.package(name, repo);
    if (!pkg) {
      // A new package on hexpm needs a user to own it; an organization key publishes only
      // to its own repository (checked above).
      return repo === "hexpm" && !p.user ? forbidden() : null;
    }
    const level = this.#ownerLevel(pkg, p);
    if (!level || (options.level === "full" && level !== "full")) return forbidden();
    return null;
  }

  /**
   * The ownership level a credential has over a package. On hexpm: the user's own
   * level, or through an organization the package was transferred to (admin = full,
   * write = maintainer, capped by the organization's level). In an organization's
   * repository: the role in that organization; the organization's own key is full.
   */
  #ownerLevel(pkg: FakePackage, p: Principal): OwnerLevel | null {
    const fromRole = (role: OrgRole | undefined): OwnerLevel | null =>
      role === "admin" ? "full" : role === "write" ? "maintainer" : null;
    if (p.kind === "key" && p.org) {
      return pkg.repository === p.org.name ? "full" : pkg.owners.get(p.org.name) ?? null;
    }
    const username = p.user?.username;
    if (!username) return null;
    if (pkg.repository !== "hexpm") {
      return fromRole(this.orgs.get(pkg.repository)?.members.get(username));
    }
    const levels: (OwnerLevel | null)[] = [pkg.owners.get(username) ?? null];
    for (const [owner, level] of pkg.owners) {
      const org = this.orgs.get(owner);
      if (!org) continue;
      const viaRole = fromRole(org.members.get(username));
      levels.push(level === "maintainer" && viaRole ? "maintainer" : viaRole);
    }
    return levels.includes("full") ? "full" : levels.includes("maintainer") ? "maintainer" : null;
  }

  /** Replace or revert is allowed: private repositories always; on hexpm within 1 h / 24 h. */
  #editable(pkg: FakePackage, release: FakeRelease): boolean {
    if (pkg.repository !== "hexpm") return true;
    const now = this.now();
    return now - release.insertedAt <= HOUR_MS || now - pkg.insertedAt <= DAY_MS;
  }

  /** Stores a publish (creating the package, its publisher a full owner); replaces a version. */
  #storeRelease(
    repo: string,
    metadata: Record<string, JsonValue>,
    data: {
      tarball: Uint8Array;
      checksum: string;
      innerChecksum: string;
      publisher: string | null;
      at: number;
    },
  ): { release: FakeRelease; created: boolean } {
    const name = String(metadata.name);
    let pkg = this.package(name, repo);
    if (!pkg) {
      pkg = this.addPackage({ name, repository: repo, insertedAt: data.at });
      if (data.publisher) pkg.owners.set(data.publisher, "full");
    }
    pkg.meta = packageMetaOf(metadata);
    pkg.updatedAt = data.at;
    const version = String(metadata.version);
    const fields = {
      tarball: data.tarball,
      checksum: data.checksum,
      innerChecksum: data.innerChecksum,
      metadata,
      ...releaseFieldsOf(metadata),
      publisher: data.publisher,
      updatedAt: data.at,
    };
    const existing = pkg.releases.find((r) => r.version === version);
    if (existing) {
      Object.assign(existing, fields);
      return { release: existing, created: false };
    }
    const release: FakeRelease = {
      version,
      ...fields,
      retirement: null,
      hasDocs: false,
      docs: null,
      downloads: 0,
      insertedAt: data.at,
    };
    pkg.releases.push(release);
    return { release, created: true };
  }

  async #publish(ctx: Ctx): Promise<Response> {
    const repo = this.#repoOf(ctx);
    if (repo instanceof Response) return repo;
    const write = { level: "maintainer", domain: "package", anonymous: 401 } as const;
    const named = ctx.pathParams.name;
    // `/packages/NAME/releases` authorizes before reading the body; `/publish` reads and
    // checks the tarball first (§9).
    if (named !== undefined) {
      const denied = await this.#authorizeWrite(ctx, repo, named, write);
      if (denied) return denied;
    }
    let unpacked: UnpackedPackage;
    try {
      unpacked = await unpackPackage(ctx.body);
    } catch (e) {
      return errorResponse(422, undefined, { tar: e instanceof Error ? e.message : String(e) });
    }
    const metadata = metadataToJson(unpacked.metadata);
    const name = typeof metadata.name === "string" ? metadata.name : "";
    if (named !== undefined && name !== named) {
      return errorResponse(422, undefined, { name: "metadata does not match package name" });
    }
    if (named === undefined) {
      const denied = await this.#authorizeWrite(ctx, repo, name, write);
      if (denied) return denied;
    }
    const pkg = this.package(name, repo);
    // Package and release are separate changesets: package errors come alone.
    const packageProblems = packageErrors(metadata, { repository: repo, isNew: !pkg });
    if (hasErrors(packageProblems)) return errorResponse(422, undefined, packageProblems);
    const errors: ErrorMap = releaseErrors(metadata, {
      repository: repo,
      dependencyExists: (dep, depRepo) => this.packages.has(`${depRepo}/${dep}`),
    });
    const existing = pkg?.releases.find((r) => r.version === metadata.version);
    if (pkg && existing) {
      // Server default when absent: replace (`Map.get(params, "replace", true)`).
      const replace = ["true", null].includes(ctx.url.searchParams.get("replace"));
      if (!replace) {
        errors.inserted_at = "must include the --replace flag to update an existing release";
      } else if (!this.#editable(pkg, existing)) {
        errors.inserted_at = "can only modify a release up to one hour after publication";
      }
    }
    if (hasErrors(errors)) return errorResponse(422, undefined, errors);
    const { release, created } = this.#storeRelease(repo, metadata, {
      tarball: ctx.body.slice(),
      checksum: unpacked.outerChecksum,
      innerChecksum: unpacked.innerChecksum,
      publisher: ctx.principal?.user?.username ?? null,
      at: this.now(),
    });
    const stored = this.package(name, repo)!;
    this.#audit(
      ctx,
      "release.publish",
      this.#releaseAuditParams(stored, release),
      this.#repoOrg(stored),
    );
    const body = this.#releaseJson(ctx, stored, release);
    return json(created ? 201 : 200, body, created ? { location: String(body.url) } : {});
  }

  async #listPackages(ctx: Ctx): Promise<Response> {
    let repos: string[];
    if (ctx.pathParams.repo !== undefined) {
      const repo = this.#repoOf(ctx);
      if (repo instanceof Response) return repo;
      const denied = await this.#authorizeRead(ctx, repo);
      if (denied) return denied;
      repos = [repo];
    } else {
      // Unprefixed: hexpm and every organization the credential can read.
      const denied = await this.#authorize(ctx, "read", { required: false });
      if (denied) return denied;
      repos = ["hexpm", ...[...this.orgs.keys()].filter((o) => this.#canSeeRepo(ctx, o))];
    }
    const q = ctx.url.searchParams;
    const search = q.get("search") ?? "";
    const page = positiveInt(q.get("page"), 1);
    const perPage = Math.min(100, positiveInt(q.get("per_page"), 100));
    const found = [...this.packages.values()].filter((p) =>
      repos.includes(p.repository) && (search === "" || searchMatches(p, search))
    );
    const desc = (f: (p: FakePackage) => number) => (a: FakePackage, b: FakePackage) =>
      f(b) - f(a) || cmp(a.name, b.name) || cmp(a.repository, b.repository);
    switch (q.get("sort") ?? "name") {
      case "downloads":
      case "total_downloads":
        found.sort(desc((p) => p.downloads.all));
        break;
      case "recent_downloads":
        found.sort(desc((p) => p.downloads.recent));
        break;
      case "inserted_at":
        found.sort(desc((p) => p.insertedAt));
        break;
      case "updated_at":
        found.sort(desc((p) => p.updatedAt));
        break;
      default:
        found.sort((a, b) => cmp(a.name, b.name) || cmp(a.repository, b.repository));
    }
    const slice = found.slice((page - 1) * perPage, page * perPage);
    return json(200, slice.map((p) => this.#packageJson(ctx, p)));
  }

  /** The package and release a route names, after read authorization; a 404 otherwise. */
  async #readTarget(
    ctx: Ctx,
  ): Promise<{ pkg: FakePackage; release?: FakeRelease } | Response> {
    const repo = this.#repoOf(ctx);
    if (repo instanceof Response) return repo;
    const denied = await this.#authorizeRead(ctx, repo);
    if (denied) return denied;
    const pkg = this.package(ctx.pathParams.name, repo);
    if (!pkg) return errorResponse(404);
    const version = ctx.pathParams.version;
    if (version === undefined) return { pkg };
    if (!parseVersion(version)) return errorResponse(400, `invalid version: ${version}`);
    const release = pkg.releases.find((r) => r.version === version);
    return release ? { pkg, release } : errorResponse(404);
  }

  /** The package and release a write route names, after write authorization. */
  async #writeTarget(
    ctx: Ctx,
    options: { level: OwnerLevel; domain: "api" | "package"; anonymous: 401 | 403 },
  ): Promise<{ pkg: FakePackage; release?: FakeRelease } | Response> {
    const repo = this.#repoOf(ctx);
    if (repo instanceof Response) return repo;
    const denied = await this.#authorizeWrite(ctx, repo, ctx.pathParams.name, options);
    if (denied) return denied;
    const pkg = this.package(ctx.pathParams.name, repo);
    if (!pkg) return errorResponse(404);
    const version = ctx.pathParams.version;
    if (version === undefined) return { pkg };
    const release = pkg.releases.find((r) => r.version === version);
    return release ? { pkg, release } : errorResponse(404);
  }

  async #getPackage(ctx: Ctx): Promise<Response> {
    const target = await this.#readTarget(ctx);
    if (target instanceof Response) return target;
    return json(200, this.#packageJson(ctx, target.pkg));
  }

  async #getRelease(ctx: Ctx): Promise<Response> {
    const target = await this.#readTarget(ctx);
    if (target instanceof Response) return target;
    return json(200, this.#releaseJson(ctx, target.pkg, target.release!));
  }

  async #revertRelease(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, {
      level: "maintainer",
      domain: "package",
      anonymous: 401,
    });
    if (target instanceof Response) return target;
    const { pkg, release } = target as { pkg: FakePackage; release: FakeRelease };
    if (!this.#editable(pkg, release)) {
      return errorResponse(422, undefined, {
        inserted_at: "can only delete a release up to one hour after publication",
      });
    }
    if (pkg.releases.length === 1) {
      const depended = [...this.packages.values()].some((other) =>
        other !== pkg &&
        other.releases.some((r) =>
          r.requirements.some((x) => x.name === pkg.name && x.repository === pkg.repository)
        )
      );
      if (depended) {
        return errorResponse(422, undefined, {
          name: "you cannot delete this package because other packages depend on it",
        });
      }
    }
    pkg.releases = pkg.releases.filter((r) => r !== release);
    this.#audit(ctx, "release.revert", this.#releaseAuditParams(pkg, release), this.#repoOrg(pkg));
    if (pkg.releases.length === 0) this.packages.delete(`${pkg.repository}/${pkg.name}`);
    else pkg.updatedAt = this.now();
    return new Response(null, { status: 204 });
  }

  async #getDocs(ctx: Ctx): Promise<Response> {
    const target = await this.#readTarget(ctx);
    if (target instanceof Response) return target;
    const { pkg, release } = target as { pkg: FakePackage; release: FakeRelease };
    if (!release.hasDocs) return errorResponse(404);
    return new Response(null, {
      status: 302,
      headers: { location: docsTarballUrl(ctx.origin, pkg, release) },
    });
  }

  async #publishDocs(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, {
      level: "maintainer",
      domain: "package",
      anonymous: 403,
    });
    if (target instanceof Response) return target;
    const { pkg, release } = target as { pkg: FakePackage; release: FakeRelease };
    try {
      gunzipBytes(ctx.body);
    } catch {
      // hex.pm checks only that the body is gzip, and answers anything else with a 500 (§9).
      return errorResponse(500);
    }
    release.docs = ctx.body.slice();
    release.hasDocs = true;
    release.updatedAt = this.now();
    this.#audit(ctx, "docs.publish", this.#releaseAuditParams(pkg, release), this.#repoOrg(pkg));
    return new Response(null, {
      status: 201,
      headers: { location: docsTarballUrl(ctx.origin, pkg, release) },
    });
  }

  async #revertDocs(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, {
      level: "maintainer",
      domain: "package",
      anonymous: 403,
    });
    if (target instanceof Response) return target;
    const release = target.release!;
    release.docs = null;
    release.hasDocs = false;
    release.updatedAt = this.now();
    this.#audit(
      ctx,
      "docs.revert",
      this.#releaseAuditParams(target.pkg, release),
      this.#repoOrg(target.pkg),
    );
    return new Response(null, { status: 204 });
  }

  /** The retirement in a request body, or the 422 hexpm answers (`{"retirement":{...}}`). */
  #retirementOf(
    ctx: Ctx,
  ): { retirement: FakeRetirement; params: Record<string, unknown> } | Response {
    const params = parseParams(ctx);
    if (params instanceof Response) return params;
    const errors = retirementErrors(params);
    if (hasErrors(errors)) return errorResponse(422, undefined, { retirement: errors });
    const message = typeof params.message === "string" && params.message !== ""
      ? params.message
      : null;
    return { retirement: { reason: params.reason as RetireReason, message }, params };
  }

  async #retire(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, {
      level: "maintainer",
      domain: "package",
      anonymous: 403,
    });
    if (target instanceof Response) return target;
    const body = this.#retirementOf(ctx);
    if (body instanceof Response) return body;
    target.release!.retirement = body.retirement;
    target.release!.updatedAt = this.now();
    this.#audit(
      ctx,
      "release.retire",
      this.#releaseAuditParams(target.pkg, target.release!),
      this.#repoOrg(target.pkg),
    );
    return new Response(null, { status: 204 });
  }

  async #unretire(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, {
      level: "maintainer",
      domain: "package",
      anonymous: 403,
    });
    if (target instanceof Response) return target;
    target.release!.retirement = null;
    target.release!.updatedAt = this.now();
    this.#audit(
      ctx,
      "release.unretire",
      this.#releaseAuditParams(target.pkg, target.release!),
      this.#repoOrg(target.pkg),
    );
    return new Response(null, { status: 204 });
  }

  async #retireAll(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, {
      level: "maintainer",
      domain: "package",
      anonymous: 403,
    });
    if (target instanceof Response) return target;
    const body = this.#retirementOf(ctx);
    if (body instanceof Response) return body;
    // `replace: true` also overwrites releases that are already retired.
    const replace = body.params.replace === true || body.params.replace === "true";
    const now = this.now();
    for (const release of target.pkg.releases) {
      if (release.retirement && !replace) continue;
      release.retirement = { ...body.retirement };
      release.updatedAt = now;
      this.#audit(
        ctx,
        "release.retire",
        this.#releaseAuditParams(target.pkg, release),
        this.#repoOrg(target.pkg),
      );
    }
    return new Response(null, { status: 204 });
  }

  async #listOwners(ctx: Ctx): Promise<Response> {
    const target = await this.#readTarget(ctx);
    if (target instanceof Response) return target;
    const { pkg } = target;
    const owners = [...pkg.owners].sort(([a], [b]) => cmp(a, b));
    return json(200, owners.map(([name, level]) => this.#ownerJson(ctx, name, level)));
  }

  /** A user by username or public email, or an organization by name. */
  #ownerSubject(name: string): { user: FakeUser } | { org: FakeOrg } | undefined {
    const user = this.users.get(name) ??
      [...this.users.values()].find((u) => u.email === name && u.publicEmail);
    if (user) return { user };
    const org = this.orgs.get(name);
    return org ? { org } : undefined;
  }

  async #getOwner(ctx: Ctx): Promise<Response> {
    const target = await this.#readTarget(ctx);
    if (target instanceof Response) return target;
    const subject = this.#ownerSubject(ctx.pathParams.user);
    const name = subject && ("user" in subject ? subject.user.username : subject.org.name);
    const level = name === undefined ? undefined : target.pkg.owners.get(name);
    return name && level ? json(200, this.#ownerJson(ctx, name, level)) : errorResponse(404);
  }

  async #addOwner(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, { level: "full", domain: "api", anonymous: 403 });
    if (target instanceof Response) return target;
    const { pkg } = target;
    const params = parseParams(ctx);
    if (params instanceof Response) return params;
    const subject = this.#ownerSubject(ctx.pathParams.user);
    if (!subject) return errorResponse(404);
    const level = params.level === undefined || params.level === null ? "full" : params.level;
    if (level !== "full" && level !== "maintainer") {
      return errorResponse(422, undefined, { level: "is invalid" });
    }
    const transfer = params.transfer === true;
    const fail = (field: string, message: string) =>
      errorResponse(422, undefined, { [field]: message });
    let name: string;
    if ("org" in subject) {
      name = subject.org.name;
      if (!transfer) {
        return fail(
          "username",
          "organization ownership can only be transferred, removing all existing owners",
        );
      }
      if (level !== "full") {
        return fail("level", 'ownership level is required to be "full" for organization ownership');
      }
    } else {
      name = subject.user.username;
      const orgsToJoin = [
        ...(pkg.repository === "hexpm" ? [] : [pkg.repository]),
        ...[...pkg.owners.keys()].filter((o) => this.orgs.has(o)),
      ];
      if (orgsToJoin.some((o) => !this.orgs.get(o)?.members.has(name))) {
        return fail(
          "username",
          "cannot add owner to private package when the user is not a member of the organization",
        );
      }
    }
    const fullOwners = [...pkg.owners].filter(([, l]) => l === "full").map(([o]) => o);
    if (
      pkg.repository === "hexpm" && !transfer && level === "maintainer" &&
      pkg.owners.get(name) === "full" && fullOwners.length === 1
    ) {
      return fail("level", "cannot demote the last full owner of a package");
    }
    if (transfer) pkg.owners.clear();
    pkg.owners.set(name, level);
    pkg.updatedAt = this.now();
    this.#audit(
      ctx,
      transfer ? "owner.transfer" : "owner.add",
      { package: { name: pkg.name, repository: pkg.repository }, level, user: { username: name } },
      this.#repoOrg(pkg) ?? ("org" in subject ? name : undefined),
    );
    return new Response(null, { status: 204 });
  }

  async #removeOwner(ctx: Ctx): Promise<Response> {
    const target = await this.#writeTarget(ctx, { level: "full", domain: "api", anonymous: 403 });
    if (target instanceof Response) return target;
    const { pkg } = target;
    const subject = this.#ownerSubject(ctx.pathParams.user);
    if (!subject) return errorResponse(404);
    const name = "user" in subject ? subject.user.username : subject.org.name;
    const fail = (message: string) => errorResponse(422, undefined, { username: message });
    const level = pkg.owners.get(name);
    if (!level) return fail("user is not an owner of package");
    if (pkg.repository === "hexpm" && pkg.owners.size === 1) {
      return fail("cannot remove last owner of package");
    }
    const otherFull = [...pkg.owners].some(([o, l]) => o !== name && l === "full");
    if (pkg.repository === "hexpm" && level === "full" && !otherFull) {
      return fail("cannot remove the last full owner of package");
    }
    pkg.owners.delete(name);
    pkg.updatedAt = this.now();
    this.#audit(
      ctx,
      "owner.remove",
      { package: { name: pkg.name, repository: pkg.repository }, level, user: { username: name } },
      this.#repoOrg(pkg) ?? (this.orgs.has(name) ? name : undefined),
    );
    return new Response(null, { status: 204 });
  }

  /**
   * Whether the request may read repository `repo`: always for `hexpm`; for an
   * organization, a credential allowing `repository:ORG` (401 without one, 403 without
   * access or with billing off, 404 for no such organization).
   */
  #repoAccess(ctx: Ctx, repo: string): Response | undefined {
    if (repo === "hexpm") return undefined;
    const org = this.orgs.get(repo);
    if (!org) return repoError(404);
    const p = ctx.principal;
    if (!p) return repoError(401);
    const access = this.#userAccess(
      { user: p.user, org: p.kind === "key" ? p.org : undefined },
      "repository",
      repo,
    );
    if (!allows(this.#permissionsOf(p), "repository", repo) || !access.ok) {
      return repoError(403);
    }
    if (!org.billingActive) return repoError(403);
    return undefined;
  }

  /**
   * `GET /repo[/repos/ORG]/names`, `/versions` and `/packages/NAME`: the signed
   * registry (gzip, as repo.hex.pm stores it, without `content-encoding`), with an
   * `ETag` and `If-None-Match`. An override from `setRegistryFile` is served as is.
   */
  async #registryRoute(ctx: Ctx): Promise<Response> {
    const denied = this.#repoAccess(ctx, ctx.pathParams.repo ?? "hexpm");
    if (denied) return denied;
    const bytes = await this.registryFile(ctx.path.slice(REPO.length));
    if (!bytes) return repoError(404);
    const headers = {
      etag: `"${sha256HexSync(bytes).slice(0, 32)}"`,
      "cache-control": ctx.pathParams.repo ? "private, max-age=3600" : "public, max-age=3600",
      "content-type": "application/octet-stream",
    };
    if (etagMatches(ctx.req, headers.etag)) return new Response(null, { status: 304, headers });
    return new Response(bytes.slice(), { status: 200, headers });
  }

  /**
   * `GET /repo[/repos/ORG]/tarballs/NAME-VERSION.tar` and `.../docs/NAME-VERSION.tar.gz`:
   * the stored bytes with an `ETag` (rebar3 needs one) and `If-None-Match` support. An
   * organization's files need a credential allowing `repository:ORG` (401 without one,
   * 403 without access).
   */
  #repoFile(ctx: Ctx, kind: "tarball" | "docs"): Response {
    const repo = ctx.pathParams.repo ?? "hexpm";
    const denied = this.#repoAccess(ctx, repo);
    if (denied) return denied;
    const m =
      (kind === "tarball" ? /^([a-z][a-z0-9_]*)-(.+)\.tar$/ : /^([a-z][a-z0-9_]*)-(.+)\.tar\.gz$/)
        .exec(ctx.pathParams.file);
    const release = m ? this.release(m[1], m[2], repo) : undefined;
    const bytes = kind === "tarball" ? release?.tarball : release?.docs;
    if (!release || !bytes) return repoError(404);
    const headers = {
      etag: `"${kind === "tarball" ? release.checksum : sha256HexSync(bytes)}"`,
      "cache-control": repo === "hexpm" ? "public, max-age=604800" : "private, max-age=86400",
      "content-type": kind === "tarball" ? "application/octet-stream" : "application/gzip",
    };
    if (etagMatches(ctx.req, headers.etag)) return new Response(null, { status: 304, headers });
    return new Response(bytes.slice(), { status: 200, headers });
  }

  // ---- OAuth

  #validScope(scope: string): boolean {
    if (["api", "api:read", "api:write", "repositories"].includes(scope)) return true;
    const [name, resource] = scope.split(/:(.*)/s);
    return ["package", "repository", "docs"].includes(name) && !!resource;
  }

  #deviceAuth(ctx: Ctx): Response {
    const params = parseParams(ctx);
    if (params instanceof Response) return params;
    const clientId = str(params.client_id);
    if (!clientId) return oauthError("invalid_client", "Missing client_id");
    if (!this.#clientIds.has(clientId)) return oauthError("invalid_client", "Invalid client");
    const scopes = str(params.scope).split(" ").filter(Boolean);
    // hexpm answers a bad scope with invalid_client (401), not invalid_scope.
    if (!scopes.every((s) => this.#validScope(s))) {
      return oauthError("invalid_client", "Invalid scope");
    }
    let userCode: string;
    do {
      userCode = randomFrom(USER_CODE_ALPHABET, 8);
    } while ([...this.devices.values()].some((d) => d.userCode === userCode));
    const device: FakeDevice = {
      deviceCode: randomBase64Url(32),
      userCode,
      clientId,
      scopes,
      name: str(params.name) || null,
      expiresAt: this.now() + DEVICE_TTL_MS,
      interval: this.#deviceInterval,
      status: "pending",
      polls: 0,
      lastPollAt: null,
    };
    this.devices.set(device.deviceCode, device);
    this.#secrets.set(device.deviceCode, "a device code");
    const uri = this.#verificationUri ?? `${ctx.origin}/oauth/device`;
    return json(200, {
      device_code: device.deviceCode,
      user_code: device.userCode,
      verification_uri: uri,
      verification_uri_complete: `${uri}?user_code=${device.userCode}`,
      expires_in: DEVICE_TTL_MS / 1000,
      interval: device.interval,
    });
  }

  #token(ctx: Ctx): Response {
    const params = parseParams(ctx);
    if (params instanceof Response) return params;
    const grant = params.grant_type;
    if (grant === DEVICE_GRANT) return this.#deviceGrant(params);
    if (grant === "refresh_token") return this.#refreshGrant(params);
    return oauthError(
      "unsupported_grant_type",
      `Unsupported grant type: ${typeof grant === "string" ? JSON.stringify(grant) : "nil"}`,
    );
  }

  #deviceGrant(params: Record<string, unknown>): Response {
    const device = this.devices.get(str(params.device_code));
    if (!device) return oauthError("invalid_grant", "Invalid device code");
    if (device.clientId !== str(params.client_id)) {
      return oauthError("invalid_client", "Invalid client");
    }
    const now = this.now();
    device.polls++;
    const tooSoon = device.lastPollAt !== null &&
      now - device.lastPollAt < device.interval * 1000;
    device.lastPollAt = now;
    if (this.#slowDowns > 0 || (this.#enforceInterval && tooSoon)) {
      if (this.#slowDowns > 0) this.#slowDowns--;
      else device.interval += 5;
      return oauthError("slow_down", "Polling too frequently");
    }
    const auto = this.#autoApprove;
    if (auto && device.status === "pending" && device.polls > (auto.afterPolls ?? 1)) {
      const outcome = auto.outcome ?? "approve";
      if (outcome === "approve") {
        this.approveDevice(device.userCode, { user: auto.user, scopes: auto.scopes });
      } else if (outcome === "deny") device.status = "denied";
      else device.expiresAt = now - 1;
    }
    if (device.expiresAt <= now) return oauthError("expired_token", "Device code has expired");
    if (device.status === "denied") {
      return oauthError("access_denied", "Authorization denied by user");
    }
    if (device.status === "pending") {
      return oauthError("authorization_pending", "Authorization pending");
    }
    // Polling an approved code again issues a new session and revokes the previous (§9).
    const previous = this.tokens.find((t) => t.id === device.tokenId);
    if (previous) this.#revokeToken(previous);
    const token = this.#issueSession(
      device.user!,
      device.clientId,
      device.grantedScopes!,
      DEVICE_GRANT,
    );
    device.tokenId = token.id;
    return json(200, this.#tokenResponse(token));
  }

  #refreshGrant(params: Record<string, unknown>): Response {
    const clientId = str(params.client_id);
    if (!clientId) return oauthError("invalid_client", "Missing client_id");
    if (!this.#clientIds.has(clientId)) return oauthError("invalid_client", "Invalid client");
    const value = str(params.refresh_token);
    if (!value) return oauthError("invalid_grant", "Missing refresh token");
    const old = this.tokens.find((t) => t.refreshToken === value && t.clientId === clientId);
    if (!old) return oauthError("invalid_grant", "Invalid refresh token");
    if (old.revokedAt !== null || old.refreshExpiresAt <= this.now()) {
      return oauthError("invalid_grant", "Refresh token expired or revoked");
    }
    // The old pair is revoked (access token included); the new refresh token keeps the
    // original 30-day expiry; `repositories` is expanded again.
    this.#revokeToken(old);
    const token = this.#issueSession(
      old.user,
      clientId,
      old.grantedScopes,
      "refresh_token",
      old.refreshExpiresAt,
    );
    return json(200, this.#tokenResponse(token));
  }

  #revoke(ctx: Ctx): Response {
    const params = parseParams(ctx);
    if (!(params instanceof Response)) {
      const value = str(params.token);
      const clientId = str(params.client_id);
      if (value && this.#clientIds.has(clientId)) {
        const token = this.tokens.find((t) =>
          t.clientId === clientId && (t.accessToken === value || t.refreshToken === value)
        );
        if (token) this.#revokeToken(token);
      }
    }
    // 200 with an empty body, also for unknown tokens (RFC 7009; apiary's `{}` is stale).
    return new Response(null, { status: 200 });
  }
}

// ------------------------------------------------------------------ helpers

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** hexpm's `ErrorView` body: `{status, message, errors?}`. */
function errorResponse(
  status: number,
  message?: string,
  errors?: unknown,
  headers: Record<string, string> = {},
): Response {
  const body: Record<string, unknown> = {
    status,
    message: message ?? DEFAULT_MESSAGES[status] ?? `HTTP ${status}`,
  };
  if (errors !== undefined) body.errors = errors;
  return json(status, body, headers);
}

function unauthorized(message: string, challenge = "Basic realm=hex"): Response {
  return errorResponse(401, message, undefined, { "www-authenticate": challenge });
}

function forbidden(message = "account not authorized for this action"): Response {
  return errorResponse(403, message);
}

function oauthError(error: string, description: string): Response {
  return json(OAUTH_STATUS[error] ?? 400, { error, error_description: description });
}

/** Query and body parameters merged (body wins), as Phoenix does. */
function parseParams(ctx: Ctx): Record<string, unknown> | Response {
  const params: Record<string, unknown> = Object.fromEntries(ctx.url.searchParams);
  if (ctx.body.length === 0) return params;
  const type = (ctx.req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const text = new TextDecoder().decode(ctx.body);
  if (type === "application/json" || type === "application/vnd.hex+json") {
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return { ...params, ...parsed };
      }
      return errorResponse(400);
    } catch {
      return errorResponse(400);
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    return { ...params, ...Object.fromEntries(new URLSearchParams(text)) };
  }
  if (type.startsWith("application/vnd.hex+")) return errorResponse(415);
  return params;
}

/** Does a permission list allow `domain:resource`? (hexpm `Permissions.verify_access?`) */
function allows(perms: Permission[], domain: string, resource: string | null): boolean {
  return perms.some(({ domain: d, resource: r }) => {
    switch (domain) {
      case "api":
        if (d === "api") {
          if (r === null || r === "write") return true;
          return r === "read" && (resource === null || resource === "read");
        }
        return d === "package" && (resource === null || resource === "read");
      case "package":
        if (d === "api") return r === null || r === "write";
        return d === "package" &&
          (r === null || (resource !== null && normalisePackage(r) === normalisePackage(resource)));
      case "repositories":
        return d === "repositories" && resource === null;
      case "repository":
        return resource !== null &&
          (d === "repositories" || (d === "repository" && r === resource));
      case "docs":
        return resource !== null && d === "docs" && r === resource;
      default:
        return false;
    }
  });
}

function scopeToPermission(scope: string): Permission {
  const i = scope.indexOf(":");
  return i < 0
    ? { domain: scope, resource: null }
    : { domain: scope.slice(0, i), resource: scope.slice(i + 1) };
}

/** hex.pm hands `api` back as `api:read api:write` (§9). */
function splitApiScope(scopes: string[]): string[] {
  return [...new Set(scopes.flatMap((s) => s === "api" ? ["api:read", "api:write"] : [s]))];
}

function normalisePackage(resource: string): string {
  return resource.includes("/") ? resource : `hexpm/${resource}`;
}

function packageUrl(origin: string, p: FakePackage): string {
  return p.repository === "hexpm"
    ? `${origin}${API}/packages/${p.name}`
    : `${origin}${API}/repos/${p.repository}/packages/${p.name}`;
}

/** A package's URLs: API, web page, docs pages and repository base. */
function packageUrls(
  origin: string,
  p: FakePackage,
): { api: string; html: string; docs: string; repo: string } {
  const org = p.repository === "hexpm" ? "" : `/${p.repository}`;
  return {
    api: packageUrl(origin, p),
    html: `${origin}/packages${org}/${p.name}`,
    docs: `${origin}/docs${org}/${p.name}`,
    repo: p.repository === "hexpm" ? `${origin}${REPO}` : `${origin}${REPO}/repos/${p.repository}`,
  };
}

/** Where a release's docs tarball is served (the `Location` of a docs upload). */
function docsTarballUrl(origin: string, p: FakePackage, release: FakeRelease): string {
  return `${packageUrls(origin, p).repo}/docs/${p.name}-${release.version}.tar.gz`;
}

/** The `configs` of Release and Package JSON: how to depend on this version. */
function depSnippets(p: FakePackage, version: string): Record<string, string> {
  const org = p.repository === "hexpm" ? "" : `, organization: "${p.repository}"`;
  return {
    "mix.exs": `{:${p.name}, "~> ${version}"${org}}`,
    "rebar.config": `{${p.name}, "${version}"}`,
    "erlang.mk": `dep_${p.name} = hex ${version}`,
  };
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A release as hex.pm's registry builder writes it (registry_builder.ex). */
function registryRelease(pkg: FakePackage, r: FakeRelease): RegistryRelease {
  const dependencies: RegistryDependency[] = [...r.requirements]
    .sort((a, b) => cmp(a.name, b.name))
    .map((d) => ({
      package: d.name,
      requirement: d.requirement || ">= 0.0.0",
      ...(d.optional ? { optional: true } : {}),
      ...(d.app !== d.name ? { app: d.app } : {}),
      ...(d.repository !== pkg.repository ? { repository: d.repository } : {}),
    }));
  const out: RegistryRelease = {
    version: r.version,
    // A seeded tarball of arbitrary bytes has no CHECKSUM to tell.
    innerChecksum: /^[0-9a-fA-F]{64}$/.test(r.innerChecksum)
      ? hexBytes(r.innerChecksum)
      : new Uint8Array(32),
    outerChecksum: hexBytes(r.checksum),
    dependencies,
    publishedAt: { seconds: Math.floor(r.insertedAt / 1000), nanos: 0 },
  };
  if (r.retirement) {
    out.retired = {
      reason: retirementReasonCode(r.retirement.reason) ?? 0,
      ...(r.retirement.message ? { message: r.retirement.message } : {}),
    };
  }
  return out;
}

/** The path a fault or `requestsTo` filter sees: under `/api` without it, else in full. */
function subPath(path: string): string {
  return path === API || path.startsWith(`${API}/`) ? path.slice(API.length) : path;
}

/** A repository (CDN) error: plain text, no JSON. */
function repoError(status: 401 | 403 | 404): Response {
  const text = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" }[status];
  return new Response(text, { status, headers: { "content-type": "text/plain" } });
}

function etagMatches(req: Request, etag: string): boolean {
  const header = req.headers.get("if-none-match");
  if (!header) return false;
  return header.trim() === "*" ||
    header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** hex.pm sends an `ETag` with GET responses and answers a matching `If-None-Match` with 304. */
async function withEtag(req: Request, res: Response): Promise<Response> {
  if (req.method !== "GET" || res.status !== 200 || res.headers.has("etag")) return res;
  const bytes = new Uint8Array(await res.arrayBuffer());
  const headers = new Headers(res.headers);
  const etag = `"${sha256HexSync(bytes).slice(0, 32)}"`;
  headers.set("etag", etag);
  if (etagMatches(req, etag)) return new Response(null, { status: 304, headers });
  return new Response(bytes, { status: 200, headers });
}

function positiveInt(text: string | null, fallback: number): number {
  const n = text === null ? NaN : Number(text);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

function matchPath(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

function randomBase64Url(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function randomFrom(alphabet: string, length: number): string {
  // 29 symbols: rejection sampling keeps the draw uniform.
  let out = "";
  while (out.length < length) {
    const [b] = crypto.getRandomValues(new Uint8Array(1));
    if (b < 256 - (256 % alphabet.length)) out += alphabet[b % alphabet.length];
  }
  return out;
}

/** A JWT-shaped access token with hex.pm's claims and a random signature; clients treat it as opaque. */
function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(v)));
  return `${enc({ alg: "HS256", typ: "JWT" })}.${enc(claims)}.${randomBase64Url(32)}`;
}
