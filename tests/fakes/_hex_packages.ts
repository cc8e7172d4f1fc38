/**
 * The package side of FakeHex, as plain data and pure functions: the stored
 * shapes (package, release, requirement, retirement), hex.pm's publish-time
 * validation of a package's metadata (hexpm `lib/hexpm/repository/package_metadata.ex`), search matching,
 * and a synchronous builder of real package tarballs for seeding.
 *
 * Error maps follow hexpm's `ErrorView`: field → message, nested for embedded
 * data (`{"meta":{"app":"can't be blank"}}`), one message per requirement under
 * `requirements`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { bin, bool, list, type Term, tuple } from "../../src/erlang/term.ts";
import { isValidLicense } from "../../src/rules/licenses.ts";
import { checkLink, RESERVED_PACKAGE_NAMES } from "../../src/rules/package_name.ts";
import { parseRequirement } from "../../src/rules/requirement.ts";
import { compareVersions, isPrerelease, parseVersion } from "../../src/rules/version.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import {
  encodeMetadata,
  type JsonValue,
  metadataToJson,
} from "../../src/tarball/metadata_config.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";

/** A package ownership level. */
export type OwnerLevel = "full" | "maintainer";

import { RETIRE_REASONS, type RetireReason } from "../../src/rules/retirement.ts";

// The fake refuses what hex.pm refuses, by the same rules the client checks.
export { RETIRE_REASONS, type RetireReason };

/** A retired release's reason and optional message. */
export interface FakeRetirement {
  reason: RetireReason;
  message: string | null;
}

/** One dependency of a release. */
export interface FakeRequirement {
  /** The dependency's package name. */
  name: string;
  app: string;
  requirement: string;
  optional: boolean;
  /** The dependency's repository (`hexpm` unless the metadata said otherwise). */
  repository: string;
}

/** A package's own metadata (hexpm `PackageMetadata`), replaced by each publish. */
export interface FakePackageMeta {
  description: string | null;
  licenses: string[];
  links: Record<string, string>;
  maintainers: string[];
  extra: Record<string, JsonValue> | null;
}

/** Download counters of a package (seed them with `setDownloads`). */
export interface FakeDownloads {
  all: number;
  recent: number;
  week: number;
  day: number;
}

/** A release as stored. */
export interface FakeRelease {
  version: string;
  /** The package tarball exactly as uploaded (or seeded). */
  tarball: Uint8Array;
  /** The outer checksum: lower-case hex SHA-256 of `tarball`. */
  checksum: string;
  /** The inner checksum (upper-case hex) from the tarball's `CHECKSUM`. */
  innerChecksum: string;
  /** The whole `metadata.config` as JSON (`metadataToJson`). */
  metadata: Record<string, JsonValue>;
  /** What Release JSON shows as `meta`. */
  meta: { app: string; build_tools: string[]; elixir: string | null };
  requirements: FakeRequirement[];
  retirement: FakeRetirement | null;
  hasDocs: boolean;
  /** The docs tarball (gzip) when `hasDocs`. */
  docs: Uint8Array | null;
  /** Username of the publisher; `null` for an organization key or a seed without one. */
  publisher: string | null;
  downloads: number;
  insertedAt: number;
  updatedAt: number;
}

/** A package. */
export interface FakePackage {
  name: string;
  repository: string;
  /**
   * username → level. An organization name here means the package was transferred to that
   * organization: its admins count as full owners, its write members as maintainers.
   */
  owners: Map<string, OwnerLevel>;
  insertedAt: number;
  updatedAt: number;
  meta: FakePackageMeta;
  /** In the order they were published; views sort them by SemVer. */
  releases: FakeRelease[];
  downloads: FakeDownloads;
  /** Security advisories the registry carries for it (set by the test; none by default). */
  advisories?: FakeAdvisory[];
}

/**
 * A security advisory as hexpm's registry builder writes it into the package's
 * registry entry (`lib/hexpm/repository/registry_builder.ex`).
 */
export interface FakeAdvisory {
  id: string;
  summary: string;
  severity?: "none" | "low" | "medium" | "high" | "critical";
  cvssScore?: number;
  aliases?: string[];
  /** The versions it affects. */
  versions: string[];
}

/** Nested field → message map of a 422. */
export type ErrorMap = Record<string, unknown>;

const NAME_FORMAT = /^[a-z][a-z0-9_]*$/;
const MAX_PRERELEASE = 64;

/** Writes `message` at `path`, replacing what was there (per field the last failing check wins). */
export function putError(errors: ErrorMap, path: string[], message: string): void {
  let node = errors;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as ErrorMap;
  }
  node[path[path.length - 1]] = message;
}

/** Whether an error map holds anything. */
export function hasErrors(errors: ErrorMap): boolean {
  return Object.keys(errors).length > 0;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function isPlainObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Ecto's blank: absent, null, or a string of only whitespace. */
function blank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && !value.trim());
}

/** A kvlist read by `metadataToJson`: `[]` is the empty map. */
function asMap(value: unknown): Record<string, JsonValue> | undefined {
  if (Array.isArray(value) && value.length === 0) return {};
  return isPlainObject(value) ? value : undefined;
}

/**
 * The package-level checks of a publish (hexpm `Package` and `PackageMetadata`
 * changesets): the name of a new package, and on `hexpm` the description and
 * licences; links everywhere.
 */
export function packageErrors(
  metadata: Record<string, JsonValue>,
  options: { repository: string; isNew: boolean },
): ErrorMap {
  const errors: ErrorMap = {};
  const name = metadata.name;
  if (options.isNew) {
    if (blank(name)) putError(errors, ["name"], "can't be blank");
    else if (typeof name !== "string") putError(errors, ["name"], "is invalid");
    else {
      if (name.length < 2) putError(errors, ["name"], "should be at least 2 character(s)");
      if (!NAME_FORMAT.test(name)) putError(errors, ["name"], "has invalid format");
      if (RESERVED_PACKAGE_NAMES.has(name)) putError(errors, ["name"], "is reserved");
    }
  }
  const hexpm = options.repository === "hexpm";
  const { description, licenses, links, maintainers, extra } = metadata;
  if (description !== undefined && description !== null && typeof description !== "string") {
    putError(errors, ["meta", "description"], "is invalid");
  } else if (hexpm && blank(description)) {
    putError(errors, ["meta", "description"], "can't be blank");
  }
  if (licenses !== undefined && licenses !== null && !isStringList(licenses)) {
    putError(errors, ["meta", "licenses"], "is invalid");
  } else if (hexpm && (licenses === undefined || licenses === null)) {
    // `licenses: []` passes on hex.pm (§9).
    putError(errors, ["meta", "licenses"], "can't be blank");
  } else if (hexpm && licenses) {
    const bad = licenses.find((l) => !isValidLicense(l));
    if (bad !== undefined) putError(errors, ["meta", "licenses"], `invalid license ${q(bad)}`);
  }
  if (links !== undefined && links !== null) {
    const map = asMap(links);
    if (!map || !Object.values(map).every((v) => typeof v === "string")) {
      putError(errors, ["meta", "links"], "expected type map(string)");
    } else {
      const bad = Object.values(map).find((url) => checkLink(url as string) !== undefined);
      if (bad !== undefined) putError(errors, ["meta", "links"], `invalid link ${q(String(bad))}`);
    }
  }
  if (maintainers !== undefined && maintainers !== null && !isStringList(maintainers)) {
    putError(errors, ["meta", "maintainers"], "is invalid");
  }
  if (extra !== undefined && extra !== null && !asMap(extra)) {
    putError(errors, ["meta", "extra"], "is invalid");
  }
  return errors;
}

/** The package metadata a publish stores (call after {@link packageErrors} found nothing). */
export function packageMetaOf(metadata: Record<string, JsonValue>): FakePackageMeta {
  const links = asMap(metadata.links) ?? {};
  return {
    description: typeof metadata.description === "string" ? metadata.description : null,
    licenses: isStringList(metadata.licenses) ? metadata.licenses : [],
    links: Object.fromEntries(Object.entries(links).map(([k, v]) => [k, String(v)])),
    maintainers: isStringList(metadata.maintainers) ? metadata.maintainers : [],
    extra: asMap(metadata.extra) ?? null,
  };
}

/** A requirement as read from metadata, before checks. */
interface RawRequirement {
  name: unknown;
  app: unknown;
  requirement: unknown;
  optional: unknown;
  repository: unknown;
}

/**
 * The requirements in either shape hex_core accepts (§1.3): a map keyed by package
 * name, or mix's list of maps with `name`. `undefined` when neither.
 */
function rawRequirements(value: JsonValue | undefined): RawRequirement[] | undefined {
  if (value === undefined || value === null) return [];
  const read = (name: unknown, r: Record<string, JsonValue>): RawRequirement => ({
    name,
    app: r.app,
    requirement: r.requirement,
    optional: r.optional,
    repository: r.repository,
  });
  if (Array.isArray(value)) {
    if (!value.every(isPlainObject)) return undefined;
    return value.map((r) => read(r.name, r as Record<string, JsonValue>));
  }
  if (!isPlainObject(value)) return undefined;
  const out: RawRequirement[] = [];
  for (const [name, r] of Object.entries(value)) {
    const fields = asMap(r);
    if (!fields) return undefined;
    out.push(read(name, fields));
  }
  return out;
}

/** hexpm `validate_requirement`: the message for bad requirement text, if any. */
function requirementProblem(req: unknown): string | undefined {
  if (req === undefined || req === null) return 'invalid requirement: nil, use ">= 0.0.0" instead';
  if (typeof req !== "string") return `invalid requirement: ${JSON.stringify(req)}`;
  try {
    parseRequirement(req);
  } catch {
    return `invalid requirement: ${q(req)}`;
  }
  // hexpm looks for the text "!=" (Elixir's deprecated "!" spelling gets through).
  if (req.includes("!=")) {
    return `invalid requirement: ${q(req)}, != is not allowed in requirements`;
  }
  return undefined;
}

/**
 * The release-level checks of a publish (hexpm `Release`, `ReleaseMetadata` and
 * `Requirement` changesets): version, `app`, `build_tools`, `files`, `elixir`, and
 * each requirement — its syntax, `!=`, its repository, and that the dependency
 * exists. Per requirement the first failing check is reported.
 */
export function releaseErrors(
  metadata: Record<string, JsonValue>,
  options: { repository: string; dependencyExists: (name: string, repository: string) => boolean },
): ErrorMap {
  const errors: ErrorMap = {};
  const version = metadata.version;
  if (blank(version)) putError(errors, ["version"], "can't be blank");
  else if (typeof version !== "string") putError(errors, ["version"], "is invalid SemVer");
  else {
    const v = parseVersion(version);
    if (!v) putError(errors, ["version"], "is invalid SemVer");
    else if (v.build.length > 0) putError(errors, ["version"], "build number not allowed");
    else if (v.pre.join(".").length > MAX_PRERELEASE) {
      putError(errors, ["version"], `prerelease must be at most ${MAX_PRERELEASE} characters`);
    }
  }

  const { app, build_tools: buildTools, files, elixir } = metadata;
  if (blank(app)) putError(errors, ["meta", "app"], "can't be blank");
  else if (typeof app !== "string") putError(errors, ["meta", "app"], "is invalid");
  if (buildTools !== undefined && buildTools !== null && !isStringList(buildTools)) {
    putError(errors, ["meta", "build_tools"], "is invalid");
  } else if (!buildTools || buildTools.length === 0) {
    putError(errors, ["meta", "build_tools"], "can't be blank");
  }
  if (files !== undefined && files !== null && !isStringList(files)) {
    putError(errors, ["meta", "files"], "is invalid");
  } else if (!files || files.length === 0) {
    putError(errors, ["meta", "files"], "package can't be empty");
  }
  if (elixir !== undefined && elixir !== null) {
    const problem = requirementProblem(elixir);
    if (problem) putError(errors, ["meta", "elixir"], problem);
  }

  const reqs = rawRequirements(metadata.requirements);
  if (!reqs) {
    putError(errors, ["requirements"], "is invalid");
    return errors;
  }
  const own = options.repository;
  for (const r of reqs) {
    const label = typeof r.name === "string" && r.name ? r.name : "nil";
    const repo = r.repository === undefined || r.repository === null ? "hexpm" : r.repository;
    let problem: string | undefined;
    if (blank(r.name) || typeof r.name !== "string") problem = "name can't be blank";
    else if (blank(r.app) || typeof r.app !== "string") problem = "app can't be blank";
    else if (r.optional !== undefined && r.optional !== null && typeof r.optional !== "boolean") {
      problem = "optional is invalid";
    } else problem = requirementProblem(r.requirement);
    if (!problem && typeof repo !== "string") problem = "repository is invalid";
    if (!problem && repo !== "hexpm" && repo !== own) {
      problem = own === "hexpm"
        ? `dependencies can only belong to public repository "hexpm", got: ${q(String(repo))}`
        : `dependencies can only belong to public repository "hexpm" or current repository ${
          q(own)
        }, got: ${q(String(repo))}`;
    }
    if (!problem && !options.dependencyExists(r.name as string, repo as string)) {
      problem = `package does not exist in repository ${q(String(repo))}`;
    }
    if (problem) putError(errors, ["requirements", label], problem);
  }
  return errors;
}

/** The release fields a publish stores (call after {@link releaseErrors} found nothing). */
export function releaseFieldsOf(metadata: Record<string, JsonValue>): {
  meta: FakeRelease["meta"];
  requirements: FakeRequirement[];
} {
  const buildTools = isStringList(metadata.build_tools) ? [...new Set(metadata.build_tools)] : [];
  return {
    meta: {
      app: typeof metadata.app === "string" ? metadata.app : "",
      build_tools: buildTools,
      elixir: typeof metadata.elixir === "string" ? metadata.elixir : null,
    },
    requirements: (rawRequirements(metadata.requirements) ?? []).map((r) => ({
      name: String(r.name),
      app: typeof r.app === "string" ? r.app : String(r.name),
      requirement: typeof r.requirement === "string" ? r.requirement : ">= 0.0.0",
      optional: r.optional === true,
      repository: typeof r.repository === "string" ? r.repository : "hexpm",
    })),
  };
}

/** hexpm `ReleaseRetirement.changeset`: reason required and one of five, message 3..140. */
export function retirementErrors(params: Record<string, unknown>): ErrorMap {
  const errors: ErrorMap = {};
  const { reason, message } = params;
  if (message !== undefined && message !== null && message !== "") {
    if (typeof message !== "string") putError(errors, ["message"], "is invalid");
    else {
      const length = [...message].length;
      if (length < 3) putError(errors, ["message"], "should be at least 3 character(s)");
      else if (length > 140) putError(errors, ["message"], "should be at most 140 character(s)");
    }
  }
  if (blank(reason)) putError(errors, ["reason"], "can't be blank");
  else if (!(RETIRE_REASONS as readonly unknown[]).includes(reason)) {
    putError(errors, ["reason"], "is invalid");
  }
  return errors;
}

/** Versions newest first, by SemVer precedence (unparsable ones last, by text). */
export function sortReleases(releases: FakeRelease[]): FakeRelease[] {
  return [...releases].sort((a, b) => {
    const va = parseVersion(a.version);
    const vb = parseVersion(b.version);
    if (va && vb) return compareVersions(vb, va);
    if (va || vb) return va ? -1 : 1;
    return a.version < b.version ? 1 : a.version > b.version ? -1 : 0;
  });
}

/**
 * `latest_version`: the newest stable release, or the newest pre-release when there is
 * no stable one; `latest_stable_version`: the newest stable release or `null`.
 */
export function latestVersions(
  releases: FakeRelease[],
): { latest: string | null; stable: string | null } {
  const sorted = sortReleases(releases);
  const stable = sorted.find((r) => {
    const v = parseVersion(r.version);
    return v !== undefined && !isPrerelease(v);
  });
  return { latest: (stable ?? sorted[0])?.version ?? null, stable: stable?.version ?? null };
}

// ------------------------------------------------------------------ search

function words(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9_]+/).filter(Boolean).map(stem);
}

/** A very small stand-in for Postgres' English stemming: plural `s`/`es` dropped. */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith("es")) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(
    /\*/g,
    ".*",
  );
  return new RegExp(`^${escaped}$`);
}

/**
 * hex.pm's `search` parameter (§3.4), simplified: free text matches a name substring
 * (`repo/name` when the text has a `/`) or, failing that, every word of it appears in
 * the description. Filters `name:` (`*` wildcards), `description:`, `depends:[REPO:]PKG`
 * and `build_tool:` must all hold; other `key:value` pieces are ignored.
 */
export function searchMatches(pkg: FakePackage, search: string): boolean {
  const free: string[] = [];
  for (const piece of search.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-z_]+):(.+)$/.exec(piece);
    if (!m) {
      free.push(piece);
      continue;
    }
    const [, key, value] = m;
    switch (key) {
      case "name":
        if (!wildcard(value).test(pkg.name)) return false;
        break;
      case "description": {
        const have = words(pkg.meta.description ?? "");
        if (!words(value).every((w) => have.includes(w))) return false;
        break;
      }
      case "depends": {
        const parts = value.split(":");
        const [repo, dep] = parts.length > 1 ? [parts[0], parts[1]] : ["hexpm", parts[0]];
        const depends = pkg.releases.some((r) =>
          r.requirements.some((x) => x.name === dep && x.repository === repo)
        );
        if (!depends) return false;
        break;
      }
      case "build_tool":
        if (!pkg.releases.some((r) => r.meta.build_tools.includes(value))) return false;
        break;
      default:
        break;
    }
  }
  if (free.length === 0) return true;
  const text = free.join(" ").toLowerCase();
  const subject = text.includes("/") ? `${pkg.repository}/${pkg.name}` : pkg.name;
  if (subject.toLowerCase().includes(text)) return true;
  const have = words(pkg.meta.description ?? "");
  const want = words(text);
  return want.length > 0 && want.every((w) => have.includes(w));
}

// ------------------------------------------------------------------ seed tarballs

const encoder = new TextEncoder();

/** Lower-case hex SHA-256, synchronously. */
export function sha256HexSync(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What a seeded release's metadata says; anything absent gets a sensible default. */
export interface SeedMeta {
  app?: string;
  description?: string;
  licenses?: string[];
  links?: Record<string, string>;
  build_tools?: string[];
  elixir?: string;
  /** Paths listed in `files`; each becomes a small file in the tarball. */
  files?: string[];
}

/**
 * Builds a real, valid package tarball synchronously (no WebCrypto, no streams), for
 * seeding: `unpackPackage` reads it back, a registry client can verify its checksum.
 */
export function buildSeedTarball(options: {
  name: string;
  version: string;
  meta: SeedMeta;
  requirements: FakeRequirement[];
}): {
  tarball: Uint8Array;
  innerChecksum: string;
  outerChecksum: string;
  metadata: Record<string, JsonValue>;
} {
  const { name, version, meta, requirements } = options;
  const app = meta.app ?? name;
  const files = meta.files ?? [`src/${app}.erl`];
  const kv = (key: string, value: Term): Term => tuple(bin(key), value);
  const entries: [string, Term][] = [
    ["name", bin(name)],
    ["version", bin(version)],
    ["app", bin(app)],
    ["description", bin(meta.description ?? `The ${name} package`)],
    ["licenses", list((meta.licenses ?? ["Apache-2.0"]).map(bin))],
    ["links", list(Object.entries(meta.links ?? {}).map(([k, v]) => kv(k, bin(v))))],
    ["build_tools", list((meta.build_tools ?? ["rebar3"]).map(bin))],
    ["files", list(files.map(bin))],
    [
      "requirements",
      list(requirements.map((r) =>
        kv(
          r.name,
          list([
            kv("app", bin(r.app)),
            kv("optional", bool(r.optional)),
            kv("repository", bin(r.repository)),
            kv("requirement", bin(r.requirement)),
          ]),
        )
      )),
    ],
  ];
  if (meta.elixir !== undefined) entries.push(["elixir", bin(meta.elixir)]);
  const contents = gzipBytes(
    tarOfFiles(files.map((path) => [path, encoder.encode(`%% ${path} of ${name} ${version}\n`)])),
  );
  const versionBytes = encoder.encode("3");
  const metadataBytes = encoder.encode(encodeMetadata(entries));
  const innerChecksum = createHash("sha256").update(versionBytes).update(metadataBytes)
    .update(contents).digest("hex").toUpperCase();
  const tarball = tarOfFiles([
    ["VERSION", versionBytes],
    ["CHECKSUM", encoder.encode(innerChecksum)],
    ["metadata.config", metadataBytes],
    ["contents.tar.gz", contents],
  ]);
  return {
    tarball,
    innerChecksum,
    outerChecksum: sha256HexSync(tarball),
    metadata: metadataToJson(entries),
  };
}

function q(text: string): string {
  return JSON.stringify(text);
}

/** A small docs tarball (gzipped tar with an `index.html`), for seeded releases with docs. */
export function buildSeedDocs(name: string, version: string): Uint8Array {
  return gzipBytes(
    tarOfFiles([["index.html", encoder.encode(`<h1>${name} ${version}</h1>\n`)]]),
  );
}
