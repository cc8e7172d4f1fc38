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
 * Behaviour follows hexpm (`lib/hexpm_web/controllers/api/`, `lib/hexpm/repository/`) and
 * hexpm/specifications `http_api.md`. Where hex.pm's behaviour is unknown or a
 * bug, the choice is written next to the code.
 *
 * The model is split by resource: `fake_hex_core.ts` (state, router, faults,
 * rate limits, authentication), `fake_hex_auth.ts`, `fake_hex_users_keys.ts`,
 * `fake_hex_oauth.ts`, `fake_hex_packages.ts`, `fake_hex_releases.ts` (docs,
 * retirement), `fake_hex_owners.ts` and `fake_hex_repo_files.ts` (`/repo`);
 * this file is the public face, `FakeHex`.
 *
 * In-process: `deps.fetch = fake.handler`. Over the network (for the real CLI):
 * `const server = fake.serve(); ... HEX_API_URL=server.url; await server.close()`.
 *
 * @module
 */

import { totpCode } from "./totp.ts";
import { type LoopbackServer, serveLoopback } from "./_loopback_server.ts";
import type { FakeDownloads, FakePackage, FakeRelease } from "./_hex_packages.ts";
import { FakeHexCore, REBAR3_CLIENT_ID } from "./fake_hex_core.ts";
import { API, matchPath, REPO, subPath } from "./fake_hex_http.ts";
import {
  addAudit,
  addKey,
  addMember,
  addOrg,
  addUser,
  setTwoFactor,
  usersKeysRoutes,
} from "./fake_hex_users_keys.ts";
import {
  approveDevice,
  deviceByUserCode,
  issueSession,
  oauthRoutes,
  splitApiScope,
  tokenResponse,
} from "./fake_hex_oauth.ts";
import {
  addPackage,
  addRelease,
  addReleaseFromTarball,
  packageRoutes,
  setDownloads,
} from "./fake_hex_packages.ts";
import { releaseRoutes } from "./fake_hex_releases.ts";
import { ownerRoutes } from "./fake_hex_owners.ts";
import {
  registryFile,
  registryKeys,
  repoFileRoutes,
  setRegistryFile,
} from "./fake_hex_repo_files.ts";
import type {
  AddAuditEntry,
  AddKeyOptions,
  AddOrgOptions,
  AddPackageOptions,
  AddReleaseFromTarballOptions,
  AddReleaseOptions,
  AddUserOptions,
  AutoApproveOptions,
  DropOptions,
  FailOptions,
  FakeAuditEntry,
  FakeDevice,
  FakeHexOptions,
  FakeHexServer,
  FakeKey,
  FakeOrg,
  FakeToken,
  FakeUser,
  OrgRole,
  RecordedRequest,
  RegistryKeys,
  TokenResponse,
} from "./fake_hex_types.ts";

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
export type * from "./fake_hex_types.ts";
export { DroppedConnectionError, KNOWN_CLIENT_IDS, REBAR3_CLIENT_ID } from "./fake_hex_core.ts";
export { testRegistryKeys } from "./fake_hex_repo_files.ts";

/** hex.pm's API as an in-memory fetch handler. See the module doc. */
export class FakeHex {
  /** username → user */
  readonly users: Map<string, FakeUser>;
  /** name → organization */
  readonly orgs: Map<string, FakeOrg>;
  /** Every key ever created, revoked ones included. */
  readonly keys: FakeKey[];
  /** Every OAuth session ever issued. */
  readonly tokens: FakeToken[];
  /** device_code → device authorization */
  readonly devices: Map<string, FakeDevice>;
  /** `REPO/NAME` → package */
  readonly packages: Map<string, FakePackage>;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Exceptions thrown inside the fake (each also answered 500); `verify()` reports them. */
  readonly errors: unknown[];

  readonly #core: FakeHexCore;

  constructor(options: FakeHexOptions = {}) {
    const core = new FakeHexCore(options);
    this.#core = core;
    this.users = core.users;
    this.orgs = core.orgs;
    this.keys = core.keys;
    this.tokens = core.tokens;
    this.devices = core.devices;
    this.packages = core.packages;
    this.requests = core.requests;
    this.errors = core.errors;
    core.addRoutes(usersKeysRoutes(core));
    core.addRoutes(oauthRoutes(core));
    core.addRoutes(packageRoutes(core));
    core.addRoutes(releaseRoutes(core));
    core.addRoutes(ownerRoutes(core));
    core.addRoutes(repoFileRoutes(core));
  }

  // ---------------------------------------------------------------- clock

  /** The fake's current time (ms since the epoch). */
  now(): number {
    return this.#core.now();
  }

  /** Moves the fake's clock forward (token and device-code expiry, TOTP, rate windows). */
  advanceClock(ms: number): void {
    this.#core.advanceClock(ms);
  }

  // ---------------------------------------------------------------- seeding

  /** Adds a user. `twoFactor: true` gives a random TOTP secret (or pass `totpSecret`). */
  addUser(options: AddUserOptions): FakeUser {
    return addUser(this.#core, options);
  }

  /** Adds an organization. */
  addOrg(options: AddOrgOptions): FakeOrg {
    return addOrg(this.#core, options);
  }

  /** Makes `username` a member of `org` with `role`. */
  addMember(org: string, username: string, role: OrgRole): void {
    addMember(this.#core, org, username, role);
  }

  /**
   * Adds a package (`repository` defaults to `hexpm`); owners are `full` unless a level
   * is given. `releases` are seeded with `addRelease`. Replaces a package of that name.
   */
  addPackage(options: AddPackageOptions): FakePackage {
    return addPackage(this.#core, options);
  }

  /**
   * Seeds a release directly (no authorization, no validation, no edit window). The
   * package is created when missing. An existing release of that version is replaced.
   */
  addRelease(options: AddReleaseOptions): FakeRelease {
    return addRelease(this.#core, options);
  }

  /**
   * Seeds a release from a real tarball, reading name, version, metadata and
   * requirements from it as a publish would (no authorization, no validation).
   */
  addReleaseFromTarball(
    tarball: Uint8Array,
    options: AddReleaseFromTarballOptions = {},
  ): Promise<FakeRelease> {
    return addReleaseFromTarball(this.#core, tarball, options);
  }

  /** Sets a package's download counters: a number sets `all`, an object the ones it names. */
  setDownloads(
    name: string,
    downloads: number | Partial<FakeDownloads>,
    repository = "hexpm",
  ): void {
    setDownloads(this.#core, name, downloads, repository);
  }

  /** A stored package, or `undefined`. */
  package(name: string, repository = "hexpm"): FakePackage | undefined {
    return this.#core.package(name, repository);
  }

  /** A stored release, or `undefined`. */
  release(name: string, version: string, repository = "hexpm"): FakeRelease | undefined {
    return this.#core.release(name, version, repository);
  }

  /**
   * Creates a key directly (as the dashboard would), skipping validation.
   * `owner` is a username or `{ organization: NAME }`. Default permissions: full API.
   */
  addKey(options: AddKeyOptions): FakeKey {
    return addKey(this.#core, options);
  }

  /**
   * Seeds an audit-log entry for a user (username) or `{ organization: NAME }`.
   * `insertedAt` defaults to now; entries are listed newest first (ties: last added first).
   */
  addAudit(owner: string | { organization: string }, entry: AddAuditEntry): FakeAuditEntry {
    return addAudit(this.#core, owner, entry);
  }

  /** A user's (username) or organization's audit log, newest first. */
  auditLog(owner: string | { organization: string }): FakeAuditEntry[] {
    return this.#core.auditLog(owner);
  }

  /** Issues an OAuth session directly (no device flow, no 2FA rule). */
  issueToken(options: { user: string; scopes: string[]; clientId?: string }): TokenResponse {
    if (!this.users.has(options.user)) throw new Error(`FakeHex: no user "${options.user}"`);
    const token = issueSession(
      this.#core,
      options.user,
      options.clientId ?? REBAR3_CLIENT_ID,
      splitApiScope(options.scopes),
      "issued_by_test",
    );
    return tokenResponse(this.#core, token);
  }

  /** Turns 2FA on (a new random secret, returned) or off for a user. */
  setTwoFactor(username: string, enabled: boolean): string | undefined {
    return setTwoFactor(this.#core, username, enabled);
  }

  /** Whether a key is revoked at the fake's now. */
  isKeyRevoked(key: FakeKey): boolean {
    return this.#core.revoked(key);
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
    approveDevice(this.#core, userCode, options);
  }

  /** Denies a device code as the user would in the browser. */
  denyDevice(userCode: string): void {
    deviceByUserCode(this.#core, userCode).status = "denied";
  }

  /** Makes a device code expire now. */
  expireDevice(userCode: string): void {
    deviceByUserCode(this.#core, userCode).expiresAt = this.now() - 1;
  }

  /**
   * Decides every device authorization by itself after `afterPolls` pending polls —
   * handy when the CLI runs as a subprocess. `null` turns it off.
   */
  autoApprove(options: AutoApproveOptions | null): void {
    this.#core.autoApprove = options;
  }

  /** The next `n` device-code polls get 400 `slow_down` (hex.pm never sends it; clients must cope). */
  slowDownNext(n = 1): void {
    this.#core.slowDowns += n;
  }

  // ---------------------------------------------------------------- fault hooks

  /**
   * The next `n` matching requests get `status` without reaching the model. 429s carry
   * `x-ratelimit-limit/remaining/reset`; other statuses get the `{status, message}` body.
   */
  failNext(n: number, status: number, options: FailOptions = {}): void {
    this.#core.faults.push({ kind: "fail", remaining: n, status, filter: options, options });
  }

  /**
   * The next `n` matching requests lose their connection before any response byte (over
   * `serve()`); in-process the handler rejects with `DroppedConnectionError`. Deno's fetch
   * re-sends a request once when a reused keep-alive connection drops, so it takes 2 to
   * reach a client in that case (a lost answer to a publish that landed).
   *
   * With `afterHandling: true` the model handles the request first and keeps its effects
   * (`RecordedRequest.handledStatus` says what it answered); only the answer is lost.
   */
  dropConnectionNext(n = 1, options: DropOptions = {}): void {
    const { afterHandling, ...filter } = options;
    this.#core.faults.push({
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
    return [...this.#core.secrets.keys()];
  }

  /**
   * Throws when `text` contains any secret the fake has handed out or been given. The
   * error names the kind of secret, never the secret.
   */
  assertNoSecretIn(text: string, label = "text"): void {
    for (const [secret, what] of this.#core.secrets) {
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
    for (const f of this.#core.faults) {
      if (f.remaining > 0) {
        problems.push(`unused fault: ${f.kind} ${f.status || ""} x${f.remaining}`.trim());
      }
    }
    if (problems.length) throw new Error(`FakeHex.verify():\n  ${problems.join("\n  ")}`);
  }

  // ---------------------------------------------------------------- registry

  /** The key pair the registry files are signed with. */
  registryKeys(): Promise<RegistryKeys> {
    return registryKeys(this.#core);
  }

  /**
   * The signed registry file the fake serves at `path` under `/repo` (`/names`,
   * `/versions`, `/packages/NAME`, each also under `/repos/ORG`), built from the
   * current packages; `undefined` for a package (or organization) that does not exist.
   * An override set with `setRegistryFile` wins.
   */
  registryFile(path: string): Promise<Uint8Array | undefined> {
    return registryFile(this.#core, path);
  }

  /**
   * Serves `bytes` at `path` under `/repo` instead of the signed file (a tampered,
   * foreign or wrongly named registry file); `null` goes back to the real one.
   */
  setRegistryFile(path: string, bytes: Uint8Array | null): void {
    setRegistryFile(this.#core, path, bytes);
  }

  // ---------------------------------------------------------------- serving

  /** The fetch handler (in-process use). */
  readonly handler = (req: Request): Promise<Response> => this.#core.handle(req, null);

  /** Serves the fake on 127.0.0.1 at a free port. */
  serve(): FakeHexServer {
    const server: LoopbackServer = serveLoopback(
      (req, info) => this.#core.handle(req, info),
      { onError: (e) => this.errors.push(e) },
    );
    return {
      url: `${server.origin}${API}`,
      origin: server.origin,
      repoUrl: `${server.origin}${REPO}`,
      close: () => server.close(),
    };
  }
}
