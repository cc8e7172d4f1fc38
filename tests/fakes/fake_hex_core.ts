/**
 * FakeHex's core: the state every resource module works on, the router (route
 * table, request recording, dispatch), injected faults, rate limits,
 * authentication of the `authorization` header, ids, secrets and the audit
 * logs. The resources register their routes here (`fake_hex_users_keys.ts`,
 * `fake_hex_oauth.ts`, `fake_hex_packages.ts`, `fake_hex_owners.ts`,
 * `fake_hex_repo_files.ts`); `fake_hex.ts` puts them together behind `FakeHex`.
 *
 * @module
 */

import type { FakePackage, FakeRelease } from "./_hex_packages.ts";
import {
  API,
  DEFAULT_MESSAGES,
  errorResponse,
  iso,
  matchPath,
  REPO,
  repoError,
  subPath,
  unauthorized,
  withEtag,
} from "./fake_hex_http.ts";
import type {
  AutoApproveOptions,
  FailOptions,
  FakeAuditEntry,
  FakeDevice,
  FakeHexOptions,
  FakeKey,
  FakeOrg,
  FakeToken,
  FakeUser,
  FaultFilter,
  RecordedRequest,
  RegistryKeys,
} from "./fake_hex_types.ts";

/** The public OAuth client ids of mix, rebar3 and gleam (hexpm `lib/hexpm/oauth/clients.ex` and the clients' sources). */
export const KNOWN_CLIENT_IDS = [
  "78ea6566-89fd-481e-a1d6-7d9d78eacca8",
  "b9721cf5-be2f-4a65-bfa5-141698b4b9cf",
  "877731e8-cb88-45e1-9b84-9214de7da421",
] as const;

/** rebar3's client id, which hexpub uses for hex.pm until it has its own. */
export const REBAR3_CLIENT_ID = KNOWN_CLIENT_IDS[1];

/** Who sent a request: a key (of a user or an organization) or an OAuth token of a user. */
export type Principal =
  | { kind: "key"; key: FakeKey; user?: FakeUser; org?: FakeOrg }
  | { kind: "oauth"; token: FakeToken; user: FakeUser };

/** What a route handler gets. */
export interface Ctx {
  req: Request;
  url: URL;
  origin: string;
  /** The path under `/api` (without it), or the full path for the repository. */
  path: string;
  pathParams: Record<string, string>;
  body: Uint8Array;
  principal: Principal | null;
  ip: string;
}

/** A route as a resource module declares it. */
export interface RouteDef {
  method: string;
  /** Rooted under `/api` (`/keys/:name`), or in full for the repository (`/repo/names`). */
  pattern: string;
  run: (ctx: Ctx) => Promise<Response> | Response;
  /** Whether `authorization` is read (the OAuth endpoints ignore it); default true. */
  authenticate?: boolean;
  /** Where the pattern is rooted (default `api`). */
  base?: "api" | "repo";
}

interface Route {
  base: "api" | "repo";
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  authenticate: boolean;
  run: (ctx: Ctx) => Promise<Response> | Response;
}

/** An injected fault waiting for its requests. */
export interface Fault {
  kind: "fail" | "drop";
  remaining: number;
  status: number;
  filter: FaultFilter;
  options: FailOptions;
  afterHandling?: boolean;
}

/** How the served fake lets a handler cut its client's connection. */
export interface ConnectionInfo {
  remoteAddr: Deno.NetAddr;
  drop(): void;
}

/** Thrown out of the in-process handler for a dropped connection, as fetch would. */
export class DroppedConnectionError extends TypeError {
  constructor() {
    super("error sending request: connection closed before message completed (FakeHex drop)");
    this.name = "DroppedConnectionError";
  }
}

/** The state and the router shared by FakeHex's resource modules. */
export class FakeHexCore {
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
  /** Exceptions thrown inside the fake (each also answered 500). */
  readonly errors: unknown[] = [];

  readonly clientIds: Set<string>;
  readonly deviceInterval: number;
  readonly enforceInterval: boolean;
  readonly limits: { anonymous: number; authenticated: number; enforce: boolean };
  readonly requireUserAgent: boolean;
  readonly verificationUri?: string;
  readonly namedKeyExpiry: boolean;
  readonly registryKeys?: RegistryKeys;

  readonly faults: Fault[] = [];
  /** How many device polls still get `slow_down`. */
  slowDowns = 0;
  autoApprove: AutoApproveOptions | null = null;
  /** username → fake-clock times of failed TOTP attempts */
  readonly totpFailures = new Map<string, number[]>();
  /** secret → what it is (never the secret in messages) */
  readonly secrets = new Map<string, string>();
  /** Path under `/repo` (`/packages/foo`) → bytes served instead of the signed file. */
  readonly registryOverrides = new Map<string, Uint8Array>();

  readonly #clock: () => number;
  #offset = 0;
  #nextId = 1;
  readonly #routes: Route[] = [];
  readonly #counters = new Map<string, { window: number; count: number }>();
  /** `user:NAME` / `org:NAME` → entries with their insertion sequence */
  readonly #audits = new Map<string, { entry: FakeAuditEntry; seq: number }[]>();
  #auditSeq = 0;

  constructor(options: FakeHexOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.clientIds = new Set(options.clientIds ?? KNOWN_CLIENT_IDS);
    this.deviceInterval = options.deviceInterval ?? 5;
    this.enforceInterval = options.enforceInterval ?? false;
    this.limits = {
      anonymous: options.rateLimit?.anonymous ?? 100,
      authenticated: options.rateLimit?.authenticated ?? 500,
      enforce: options.rateLimit?.enforce ?? true,
    };
    this.requireUserAgent = options.requireUserAgent ?? true;
    this.verificationUri = options.verificationUri;
    this.namedKeyExpiry = options.namedKeyExpiry ?? false;
    this.registryKeys = options.registryKeys;
  }

  // ---------------------------------------------------------------- clock and model

  /** The fake's current time (ms since the epoch). */
  now(): number {
    return this.#clock() + this.#offset;
  }

  /** Moves the fake's clock forward. */
  advanceClock(ms: number): void {
    this.#offset += ms;
  }

  /** A new id (users, organizations, keys, sessions share one sequence). */
  id(): number {
    return this.#nextId++;
  }

  /** Revoked or expired: `revoke_at` at or before now. */
  revoked(key: FakeKey): boolean {
    return key.revokeAt !== null && key.revokeAt <= this.now();
  }

  /** A stored package, or `undefined`. */
  package(name: string, repository = "hexpm"): FakePackage | undefined {
    return this.packages.get(`${repository}/${name}`);
  }

  /** A stored release, or `undefined`. */
  release(name: string, version: string, repository = "hexpm"): FakeRelease | undefined {
    return this.package(name, repository)?.releases.find((r) => r.version === version);
  }

  // ---------------------------------------------------------------- audit logs

  /** Appends to a log (`user:NAME` or `org:NAME`). */
  pushAudit(logKey: string, entry: FakeAuditEntry): void {
    const list = this.#audits.get(logKey) ?? [];
    list.push({ entry, seq: this.#auditSeq++ });
    this.#audits.set(logKey, list);
  }

  /** A user's (username) or organization's audit log, newest first. */
  auditLog(owner: string | { organization: string }): FakeAuditEntry[] {
    const logKey = typeof owner === "string" ? `user:${owner}` : `org:${owner.organization}`;
    return [...(this.#audits.get(logKey) ?? [])]
      .sort((a, b) => b.entry.insertedAt - a.entry.insertedAt || b.seq - a.seq)
      .map((x) => x.entry);
  }

  /**
   * Records an action in the acting user's log and, when it concerns an organization
   * (`org`, or the acting organization key's own), in that organization's log.
   */
  audit(ctx: Ctx, action: string, params: Record<string, unknown>, org?: string): void {
    const entry = (): FakeAuditEntry => ({
      action,
      params: structuredClone(params),
      userAgent: ctx.req.headers.get("user-agent"),
      insertedAt: this.now(),
    });
    const p = ctx.principal;
    if (p?.user) this.pushAudit(`user:${p.user.username}`, entry());
    const orgs = new Set<string>();
    if (p?.kind === "key" && p.org) orgs.add(p.org.name);
    if (org !== undefined && this.orgs.has(org)) orgs.add(org);
    for (const name of orgs) this.pushAudit(`org:${name}`, entry());
  }

  // ---------------------------------------------------------------- routes

  /** Adds routes; the first route (in the order added) whose pattern matches answers. */
  addRoutes(defs: RouteDef[]): void {
    for (const def of defs) {
      const names: string[] = [];
      const source = def.pattern.replace(/:([a-z_]+)/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
      this.#routes.push({
        base: def.base ?? "api",
        method: def.method,
        pattern: def.pattern,
        regex: new RegExp(`^${source}/?$`),
        names,
        authenticate: def.authenticate ?? true,
        run: def.run,
      });
    }
  }

  /** Answers one request: recorded, faults applied, then routed. */
  async handle(req: Request, info: ConnectionInfo | null): Promise<Response> {
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
    if (base === "repo") {
      // The repository is a CDN: no User-Agent rule, no rate limits.
      const auth = this.#authenticate(req, ip);
      if (auth instanceof Response) return auth;
      return await match.route.run({ ...ctx, principal: auth });
    }
    if (this.requireUserAgent && !req.headers.get("user-agent")) {
      return errorResponse(400, "User-Agent header is required");
    }

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

  // ---------------------------------------------------------------- faults

  #takeFault(method: string, path: string): Fault | undefined {
    const sub = subPath(path);
    const fault = this.faults.find((f) =>
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
      const limit = fault.options.limit ?? this.limits.authenticated;
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
    if (!p) return { key: `ip:${ctx.ip}`, limit: this.limits.anonymous, who: `IP ${ctx.ip}` };
    const org = p.kind === "key" ? p.org : undefined;
    if (org) {
      return {
        key: `org:${org.id}`,
        limit: this.limits.authenticated,
        who: `organization ${org.id}`,
      };
    }
    const id = p.user?.id ?? 0;
    return { key: `user:${id}`, limit: this.limits.authenticated, who: `user ${id}` };
  }

  /** Counts the request; a 429 when over the limit, `null` otherwise. */
  #countRate(ctx: Ctx): Response | null {
    const rk = this.#rateKey(ctx);
    const window = Math.floor(this.now() / 60_000);
    const c = this.#counters.get(rk.key);
    const counter = c && c.window === window ? c : { window, count: 0 };
    counter.count++;
    this.#counters.set(rk.key, counter);
    if (counter.count <= rk.limit || !this.limits.enforce) return null;
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
    if (this.revoked(key)) {
      return unauthorized(
        this.namedKeyExpiry && !key.revokedByRequest
          ? `API key expired at ${iso(key.revokeAt!)}`
          : "API key revoked",
      );
    }
    key.lastUse = { usedAt: this.now(), ip, userAgent: req.headers.get("user-agent") };
    return key.owner.type === "user"
      ? { kind: "key", key, user: this.users.get(key.owner.name) }
      : { kind: "key", key, org: this.orgs.get(key.owner.name) };
  }

  #noteSecretsOf(headers: Headers): void {
    const auth = headers.get("authorization");
    if (!auth) return;
    const value = auth.replace(/^(Bearer|Basic) /, "");
    if (value.length >= 6 && !this.secrets.has(value)) {
      this.secrets.set(value, "a credential sent in authorization");
    }
  }
}
