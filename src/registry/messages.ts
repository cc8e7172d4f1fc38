/**
 * The Hex registry v2 protobuf messages (`Signed`, `Names`, `Versions`,
 * `Package`), encoded and decoded by hand with the field numbers of hex_core's
 * `proto/hex_pb_*.proto` (hexpm/specifications `registry/*.proto`).
 *
 * Security advisories (`Package.advisories`, `Release.advisory_indexes`,
 * `Versions.Package.with_advisories`) are the fields hex_core's current
 * `proto/hex_pb_package.proto` and `hex_pb_versions.proto` added; hexpm's
 * `lib/hexpm/repository/registry_builder.ex` fills them from its advisory
 * database. Older registries (and older clients) simply lack them.
 *
 * Decoders skip unknown fields, keep unknown enum values as numbers, accept
 * repeated numbers packed or unpacked, and throw `SyntaxError` for
 * malformed bytes or a missing required field. Encoders write required fields
 * always and optional ones when they are not `undefined`.
 *
 * @see https://github.com/hexpm/specifications/blob/main/registry-v2.md
 * @module
 */

import { FIXED32, LEN, VARINT, WireReader, WireWriter } from "./_wire.ts";

/** `Signed`: a payload and its RSA signature. */
export interface Signed {
  /** The encoded `Names`, `Versions` or `Package`. */
  payload: Uint8Array;
  /** RSASSA-PKCS1-v1_5 / SHA-512 signature of `payload` (optional in the schema). */
  signature?: Uint8Array;
}

/** `Timestamp`: seconds and nanoseconds since the Unix epoch. */
export interface Timestamp {
  /** Whole seconds (int64; exact up to 2^53). */
  seconds: number;
  /** Nanoseconds (int32). */
  nanos: number;
}

/** One entry of `Names`. */
export interface NamesPackage {
  /** Package name. */
  name: string;
  /** Deprecated field 2; hexpm never writes it. */
  repository?: string;
  /** When the package last changed. */
  updatedAt?: Timestamp;
}

/** `Names`: every package of a repository. */
export interface Names {
  /** Packages, sorted by name by hexpm. */
  packages: NamesPackage[];
  /** The repository the file belongs to (the origin check). */
  repository: string;
}

/** One entry of `Versions`. */
export interface VersionsPackage {
  /** Package name. */
  name: string;
  /** Versions in ascending SemVer order. */
  versions: string[];
  /** 0-based indexes into `versions` of retired releases. */
  retired: number[];
  /** 0-based indexes into `versions` of releases with security advisories (absent when none). */
  withAdvisories?: number[];
}

/** `Versions`: every package's version list. */
export interface Versions {
  /** Packages, sorted by name by hexpm. */
  packages: VersionsPackage[];
  /** The repository the file belongs to. */
  repository: string;
}

/**
 * The reason names used by the HTTP API, indexed by their `RetirementReason`
 * enum code (OTHER 0 … RENAMED 4; the enum tolerates codes outside this table).
 */
export const RETIREMENT_REASON_NAMES: readonly string[] = [
  "other",
  "invalid",
  "security",
  "deprecated",
  "renamed",
];

/**
 * The HTTP API name of a retirement reason code.
 *
 * @param code A `RetirementReason` value, possibly unknown to this version.
 * @returns `"other"`, `"invalid"`, …, or `"unknown (N)"` for a code outside the table.
 */
export function retirementReasonName(code: number): string {
  return RETIREMENT_REASON_NAMES[code] ?? `unknown (${code})`;
}

/**
 * The enum code of an HTTP API retirement reason name.
 *
 * @param name `"other"`, `"invalid"`, `"security"`, `"deprecated"` or `"renamed"`.
 * @returns The code, or `undefined` for another name.
 */
export function retirementReasonCode(name: string): number | undefined {
  const i = RETIREMENT_REASON_NAMES.indexOf(name);
  return i < 0 ? undefined : i;
}

/** `RetirementStatus` of a release. */
export interface RetirementStatus {
  /** A `RetirementReason` code; unknown codes are kept as they are. */
  reason: number;
  /** Free-text explanation. */
  message?: string;
}

/**
 * The names of `AdvisorySeverity` codes (SEVERITY_NONE 0 … SEVERITY_CRITICAL 4),
 * as hexpm's CVSS ratings spell them.
 */
export const ADVISORY_SEVERITY_NAMES: readonly string[] = [
  "none",
  "low",
  "medium",
  "high",
  "critical",
];

/**
 * The name of an advisory severity code.
 *
 * @param code An `AdvisorySeverity` value, possibly unknown to this version.
 * @returns `"none"` … `"critical"`, or `"unknown (N)"`.
 */
export function advisorySeverityName(code: number): string {
  return ADVISORY_SEVERITY_NAMES[code] ?? `unknown (${code})`;
}

/** `SecurityAdvisory`: one advisory affecting some releases of a package. */
export interface SecurityAdvisory {
  /** Identifier (`GHSA-…`, `CVE-…`, `EEF-CVE-…`). */
  id: string;
  /** Short description. */
  summary: string;
  /** The advisory's web page (hexpm: osv.dev). */
  htmlUrl: string;
  /** An `AdvisorySeverity` code; unknown codes are kept as they are. */
  severity?: number;
  /** CVSS score, 0.0 to 10.0 (a protobuf `float`: single precision). */
  cvssScore?: number;
  /** The advisory as JSON (hexpm: api.osv.dev). */
  apiUrl: string;
  /** Other identifiers of the same vulnerability. */
  aliases: string[];
}

/** `Dependency` of a release. */
export interface Dependency {
  /** Package name of the dependency. */
  package: string;
  /** Version requirement (`">= 0.0.0"` when the user gave none). */
  requirement: string;
  /** Optional dependency (absent means false). */
  optional?: boolean;
  /** OTP application name, when it differs from the package name. */
  app?: string;
  /** Repository of the dependency, when it differs from the parent's. */
  repository?: string;
}

/** `Release` of a package. */
export interface Release {
  /** The version string. */
  version: string;
  /** The 32-byte inner checksum (SHA-256 of the tarball's contents). */
  innerChecksum: Uint8Array;
  /** Dependencies, sorted by hexpm. */
  dependencies: Dependency[];
  /** Set when the release is retired. */
  retired?: RetirementStatus;
  /** The 32-byte outer checksum (SHA-256 of the tarball file). */
  outerChecksum?: Uint8Array;
  /** When the release was published. */
  publishedAt?: Timestamp;
  /** Indexes into `Package.advisories` of the advisories affecting it (absent when none). */
  advisoryIndexes?: number[];
}

/** `Package`: every release of one package. */
export interface Package {
  /** Releases in ascending SemVer order. */
  releases: Release[];
  /** The package name (checked against the requested name). */
  name: string;
  /** The repository the file belongs to. */
  repository: string;
  /** Security advisories affecting any of its releases (absent when none). */
  advisories?: SecurityAdvisory[];
}

// ---------------------------------------------------------------- encoding

function writeTimestamp(w: WireWriter, t: Timestamp): void {
  w.intField(1, t.seconds).intField(2, t.nanos);
}

/**
 * Encodes a `Signed` message.
 *
 * @param msg The payload and signature.
 * @returns The protobuf bytes.
 */
export function encodeSigned(msg: Signed): Uint8Array {
  const w = new WireWriter().bytesField(1, msg.payload);
  if (msg.signature !== undefined) w.bytesField(2, msg.signature);
  return w.finish();
}

/**
 * Encodes a `Names` message.
 *
 * @param msg The names.
 * @returns The protobuf bytes.
 */
export function encodeNames(msg: Names): Uint8Array {
  const w = new WireWriter();
  for (const p of msg.packages) {
    w.messageField(1, (pw) => {
      pw.stringField(1, p.name);
      if (p.repository !== undefined) pw.stringField(2, p.repository);
      const updatedAt = p.updatedAt;
      if (updatedAt !== undefined) pw.messageField(3, (tw) => writeTimestamp(tw, updatedAt));
    });
  }
  return w.stringField(2, msg.repository).finish();
}

/**
 * Encodes a `Versions` message (`retired` packed, as the schema declares).
 *
 * @param msg The versions.
 * @returns The protobuf bytes.
 */
export function encodeVersions(msg: Versions): Uint8Array {
  const w = new WireWriter();
  for (const p of msg.packages) {
    w.messageField(1, (pw) => {
      pw.stringField(1, p.name);
      for (const v of p.versions) pw.stringField(2, v);
      pw.packedField(3, p.retired);
      pw.packedField(5, p.withAdvisories ?? []);
    });
  }
  return w.stringField(2, msg.repository).finish();
}

function writeDependency(w: WireWriter, d: Dependency): void {
  w.stringField(1, d.package).stringField(2, d.requirement);
  if (d.optional !== undefined) w.boolField(3, d.optional);
  if (d.app !== undefined) w.stringField(4, d.app);
  if (d.repository !== undefined) w.stringField(5, d.repository);
}

function writeRelease(w: WireWriter, r: Release): void {
  w.stringField(1, r.version).bytesField(2, r.innerChecksum);
  for (const d of r.dependencies) w.messageField(3, (dw) => writeDependency(dw, d));
  const retired = r.retired;
  if (retired !== undefined) {
    w.messageField(4, (rw) => {
      rw.intField(1, retired.reason);
      if (retired.message !== undefined) rw.stringField(2, retired.message);
    });
  }
  if (r.outerChecksum !== undefined) w.bytesField(5, r.outerChecksum);
  // proto2 without [packed=true]: one field per index, as hexpm's encoder writes it.
  w.unpackedField(6, r.advisoryIndexes ?? []);
  const publishedAt = r.publishedAt;
  if (publishedAt !== undefined) w.messageField(7, (tw) => writeTimestamp(tw, publishedAt));
}

/**
 * Encodes a `Package` message.
 *
 * @param msg The package and its releases.
 * @returns The protobuf bytes.
 */
export function encodePackage(msg: Package): Uint8Array {
  const w = new WireWriter();
  for (const r of msg.releases) w.messageField(1, (rw) => writeRelease(rw, r));
  w.stringField(2, msg.name).stringField(3, msg.repository);
  for (const a of msg.advisories ?? []) w.messageField(4, (aw) => writeAdvisory(aw, a));
  return w.finish();
}

function writeAdvisory(w: WireWriter, a: SecurityAdvisory): void {
  w.stringField(1, a.id).stringField(2, a.summary).stringField(3, a.htmlUrl);
  if (a.severity !== undefined) w.intField(4, a.severity);
  if (a.cvssScore !== undefined) w.floatField(5, a.cvssScore);
  w.stringField(6, a.apiUrl);
  for (const alias of a.aliases) w.stringField(7, alias);
}

// ---------------------------------------------------------------- decoding

function readTimestamp(bytes: Uint8Array): Timestamp {
  const r: WireReader = new WireReader(bytes, "Timestamp");
  let seconds: number | undefined;
  let nanos: number | undefined;
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1 && wt === VARINT) seconds = r.int64();
    else if (field === 2 && wt === VARINT) nanos = r.int32();
    else r.skip(wt, field);
  }
  if (seconds === undefined) r.missing("seconds");
  if (nanos === undefined) r.missing("nanos");
  return { seconds, nanos };
}

/**
 * Decodes a `Signed` message.
 *
 * @param bytes The protobuf bytes (the gunzipped registry file).
 * @returns The payload (a copy) and the signature, when present.
 * @throws {SyntaxError} For malformed bytes or a missing payload.
 */
export function decodeSigned(bytes: Uint8Array): Signed {
  const r: WireReader = new WireReader(bytes, "Signed");
  let payload: Uint8Array | undefined;
  let signature: Uint8Array | undefined;
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1) {
      r.expect(wt, LEN, field);
      payload = r.bytes().slice();
    } else if (field === 2) {
      r.expect(wt, LEN, field);
      signature = r.bytes().slice();
    } else r.skip(wt, field);
  }
  if (payload === undefined) r.missing("payload");
  return signature === undefined ? { payload } : { payload, signature };
}

/**
 * Decodes a `Names` message.
 *
 * @param bytes The protobuf bytes (a `Signed` payload).
 * @returns The names.
 * @throws {SyntaxError} For malformed bytes or a missing required field.
 */
export function decodeNames(bytes: Uint8Array): Names {
  const r: WireReader = new WireReader(bytes, "Names");
  const packages: NamesPackage[] = [];
  let repository: string | undefined;
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1) {
      r.expect(wt, LEN, field);
      packages.push(readNamesPackage(r.bytes()));
    } else if (field === 2) {
      r.expect(wt, LEN, field);
      repository = r.string();
    } else r.skip(wt, field);
  }
  if (repository === undefined) r.missing("repository");
  return { packages, repository };
}

function readNamesPackage(bytes: Uint8Array): NamesPackage {
  const r: WireReader = new WireReader(bytes, "Names.Package");
  const out: Partial<NamesPackage> = {};
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1) {
      r.expect(wt, LEN, field);
      out.name = r.string();
    } else if (field === 2) {
      r.expect(wt, LEN, field);
      out.repository = r.string();
    } else if (field === 3) {
      r.expect(wt, LEN, field);
      out.updatedAt = readTimestamp(r.bytes());
    } else r.skip(wt, field);
  }
  if (out.name === undefined) r.missing("name");
  const pkg: NamesPackage = { name: out.name };
  if (out.repository !== undefined) pkg.repository = out.repository;
  if (out.updatedAt !== undefined) pkg.updatedAt = out.updatedAt;
  return pkg;
}

/**
 * Decodes a `Versions` message.
 *
 * @param bytes The protobuf bytes (a `Signed` payload).
 * @returns The versions.
 * @throws {SyntaxError} For malformed bytes or a missing required field.
 */
export function decodeVersions(bytes: Uint8Array): Versions {
  const r: WireReader = new WireReader(bytes, "Versions");
  const packages: VersionsPackage[] = [];
  let repository: string | undefined;
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1) {
      r.expect(wt, LEN, field);
      packages.push(readVersionsPackage(r.bytes()));
    } else if (field === 2) {
      r.expect(wt, LEN, field);
      repository = r.string();
    } else r.skip(wt, field);
  }
  if (repository === undefined) r.missing("repository");
  return { packages, repository };
}

function readVersionsPackage(bytes: Uint8Array): VersionsPackage {
  const r: WireReader = new WireReader(bytes, "Versions.Package");
  let name: string | undefined;
  const versions: string[] = [];
  const retired: number[] = [];
  const withAdvisories: number[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1) {
      r.expect(wt, LEN, field);
      name = r.string();
    } else if (field === 2) {
      r.expect(wt, LEN, field);
      versions.push(r.string());
    } else if (field === 3) {
      r.repeatedInt32(wt, retired);
    } else if (field === 5) {
      r.repeatedInt32(wt, withAdvisories);
    } else r.skip(wt, field);
  }
  if (name === undefined) r.missing("name");
  return withAdvisories.length > 0
    ? { name, versions, retired, withAdvisories }
    : { name, versions, retired };
}

/**
 * Decodes a `Package` message.
 *
 * @param bytes The protobuf bytes (a `Signed` payload).
 * @returns The package and its releases.
 * @throws {SyntaxError} For malformed bytes or a missing required field.
 */
export function decodePackage(bytes: Uint8Array): Package {
  const r: WireReader = new WireReader(bytes, "Package");
  const releases: Release[] = [];
  const advisories: SecurityAdvisory[] = [];
  let name: string | undefined;
  let repository: string | undefined;
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1) {
      r.expect(wt, LEN, field);
      releases.push(readRelease(r.bytes()));
    } else if (field === 2) {
      r.expect(wt, LEN, field);
      name = r.string();
    } else if (field === 3) {
      r.expect(wt, LEN, field);
      repository = r.string();
    } else if (field === 4) {
      r.expect(wt, LEN, field);
      advisories.push(readAdvisory(r.bytes()));
    } else r.skip(wt, field);
  }
  if (name === undefined) r.missing("name");
  if (repository === undefined) r.missing("repository");
  return advisories.length > 0
    ? { releases, name, repository, advisories }
    : { releases, name, repository };
}

function readAdvisory(bytes: Uint8Array): SecurityAdvisory {
  const r: WireReader = new WireReader(bytes, "SecurityAdvisory");
  const out: Partial<SecurityAdvisory> = {};
  const aliases: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1 && wt === LEN) out.id = r.string();
    else if (field === 2 && wt === LEN) out.summary = r.string();
    else if (field === 3 && wt === LEN) out.htmlUrl = r.string();
    else if (field === 4 && wt === VARINT) out.severity = r.int32();
    else if (field === 5 && wt === FIXED32) out.cvssScore = r.float();
    else if (field === 6 && wt === LEN) out.apiUrl = r.string();
    else if (field === 7 && wt === LEN) aliases.push(r.string());
    else r.skip(wt, field);
  }
  if (out.id === undefined) r.missing("id");
  if (out.summary === undefined) r.missing("summary");
  if (out.htmlUrl === undefined) r.missing("html_url");
  if (out.apiUrl === undefined) r.missing("api_url");
  const advisory: SecurityAdvisory = {
    id: out.id,
    summary: out.summary,
    htmlUrl: out.htmlUrl,
    apiUrl: out.apiUrl,
    aliases,
  };
  if (out.severity !== undefined) advisory.severity = out.severity;
  if (out.cvssScore !== undefined) advisory.cvssScore = out.cvssScore;
  return advisory;
}

function readRelease(bytes: Uint8Array): Release {
  const r: WireReader = new WireReader(bytes, "Release");
  let version: string | undefined;
  let innerChecksum: Uint8Array | undefined;
  const dependencies: Dependency[] = [];
  let retired: RetirementStatus | undefined;
  let outerChecksum: Uint8Array | undefined;
  let publishedAt: Timestamp | undefined;
  const advisoryIndexes: number[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    switch (field) {
      case 1:
        r.expect(wt, LEN, field);
        version = r.string();
        break;
      case 2:
        r.expect(wt, LEN, field);
        innerChecksum = r.bytes().slice();
        break;
      case 3:
        r.expect(wt, LEN, field);
        dependencies.push(readDependency(r.bytes()));
        break;
      case 4:
        r.expect(wt, LEN, field);
        retired = readRetirement(r.bytes());
        break;
      case 5:
        r.expect(wt, LEN, field);
        outerChecksum = r.bytes().slice();
        break;
      case 6:
        r.repeatedUint32(wt, advisoryIndexes);
        break;
      case 7:
        r.expect(wt, LEN, field);
        publishedAt = readTimestamp(r.bytes());
        break;
      default:
        r.skip(wt, field);
    }
  }
  if (version === undefined) r.missing("version");
  if (innerChecksum === undefined) r.missing("inner_checksum");
  const release: Release = { version, innerChecksum, dependencies };
  if (retired !== undefined) release.retired = retired;
  if (outerChecksum !== undefined) release.outerChecksum = outerChecksum;
  if (publishedAt !== undefined) release.publishedAt = publishedAt;
  if (advisoryIndexes.length > 0) release.advisoryIndexes = advisoryIndexes;
  return release;
}

function readRetirement(bytes: Uint8Array): RetirementStatus {
  const r: WireReader = new WireReader(bytes, "RetirementStatus");
  let reason: number | undefined;
  let message: string | undefined;
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1 && wt === VARINT) reason = r.int32();
    else if (field === 2 && wt === LEN) message = r.string();
    else r.skip(wt, field);
  }
  if (reason === undefined) r.missing("reason");
  return message === undefined ? { reason } : { reason, message };
}

function readDependency(bytes: Uint8Array): Dependency {
  const r: WireReader = new WireReader(bytes, "Dependency");
  const out: Partial<Dependency> = {};
  for (let k = r.key(); k; k = r.key()) {
    const [field, wt] = k;
    if (field === 1 && wt === LEN) out.package = r.string();
    else if (field === 2 && wt === LEN) out.requirement = r.string();
    else if (field === 3 && wt === VARINT) out.optional = r.bool();
    else if (field === 4 && wt === LEN) out.app = r.string();
    else if (field === 5 && wt === LEN) out.repository = r.string();
    else r.skip(wt, field);
  }
  if (out.package === undefined) r.missing("package");
  if (out.requirement === undefined) r.missing("requirement");
  const dep: Dependency = { package: out.package, requirement: out.requirement };
  if (out.optional !== undefined) dep.optional = out.optional;
  if (out.app !== undefined) dep.app = out.app;
  if (out.repository !== undefined) dep.repository = out.repository;
  return dep;
}
