/**
 * The repository's one reader of package tarballs it holds: from the outer
 * tar (`VERSION`, `CHECKSUM`, `metadata.config`, `contents.tar.gz`, read once,
 * contents left packed) it takes everything a repository serves about a
 * release: the registry's `Release` (checksums, dependencies) for the signed
 * `packages/NAME` files, and the facts the HTTP API answers with (checksum,
 * app, build tools, description, licences, links).
 *
 * A freshly published tarball has already been unpacked and checked in full
 * (`unpackPackage`); {@link describeRelease} turns its metadata into the same
 * values without reading it again.
 *
 * @module
 */
import { unpackTar } from "modern-tar";
import { HexpubError } from "../errors.ts";
import { type Term, textOf } from "../erlang/term.ts";
import type { PackageMeta } from "../project/package_metadata.ts";
import { validatePackage } from "../project/validate_package.ts";
import { PACKAGE_NAME_FORMAT } from "../rules/package_name.ts";
import { parseRequirement } from "../rules/requirement.ts";
import { parseVersion, releaseVersionProblem } from "../rules/version.ts";
import type { Dependency, Release } from "../registry/messages.ts";
import { sha256Hex } from "../tarball/checksum.ts";
import { decodeMetadata } from "../tarball/metadata_config.ts";
import type { UnpackedPackage } from "../tarball/unpack_package.ts";

/** What the API answers take from a release tarball. */
export interface ReleaseFacts {
  /** The SHA-256 of the tarball, lower hex. */
  checksum: string;
  dependencies: Dependency[];
  app: string;
  buildTools: string[];
  description: string;
  licenses: string[];
  links: Record<string, string>;
}

/** Everything a repository knows about one release from its tarball. */
export interface StoredRelease {
  name: string;
  version: string;
  /** The registry's view (checksums and dependencies; `retired` is the caller's). */
  release: Release;
  facts: ReleaseFacts;
}

const textList = (t: Term | undefined): string[] =>
  t?.kind === "list" ? t.items.map(textOf).filter((s): s is string => !!s) : [];

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The `requirements` of a package's metadata, as registry dependencies. */
function dependenciesOf(reqs: Term | undefined): Dependency[] {
  const out: Dependency[] = [];
  if (reqs?.kind !== "list") return out;
  for (const r of reqs.items) {
    if (r.kind !== "tuple" || r.items.length !== 2 || r.items[1].kind !== "list") continue;
    const pkg = textOf(r.items[0]);
    const fields = new Map<string, string | boolean>();
    for (const f of r.items[1].items) {
      if (f.kind !== "tuple" || f.items.length !== 2) continue;
      const k = textOf(f.items[0]);
      const v = f.items[1];
      if (k) fields.set(k, v.kind === "atom" ? v.value === "true" : textOf(v) ?? "");
    }
    if (!pkg) continue;
    out.push({
      package: pkg,
      requirement: String(fields.get("requirement") ?? ""),
      ...(fields.get("optional") === true ? { optional: true } : {}),
      ...(typeof fields.get("app") === "string" && fields.get("app") !== pkg
        ? { app: String(fields.get("app")) }
        : {}),
      ...(typeof fields.get("repository") === "string"
        ? { repository: String(fields.get("repository")) }
        : {}),
    });
  }
  return out;
}

/**
 * What a release's decoded metadata and checksums say: its name and version
 * (`undefined` when either is missing or the version is not SemVer), the
 * registry `Release` and the API's facts.
 *
 * @param innerChecksum The `CHECKSUM` entry, 64 hex digits.
 * @param outerChecksum The SHA-256 of the whole tarball, 64 hex digits.
 */
export function describeRelease(
  metadata: [string, Term][],
  innerChecksum: string,
  outerChecksum: string,
): StoredRelease | undefined {
  const md = new Map(metadata);
  const text = (key: string) => {
    const t = md.get(key);
    return t ? textOf(t) ?? "" : "";
  };
  const name = text("name");
  const version = text("version");
  if (!name || !version || !parseVersion(version)) return undefined;
  const dependencies = dependenciesOf(md.get("requirements"));
  const links: Record<string, string> = {};
  const l = md.get("links");
  if (l?.kind === "list") {
    for (const item of l.items) {
      if (item.kind !== "tuple" || item.items.length !== 2) continue;
      const [k, v] = item.items.map(textOf);
      if (k && v) links[k] = v;
    }
  }
  return {
    name,
    version,
    release: {
      version,
      innerChecksum: hexBytes(innerChecksum.trim()),
      outerChecksum: hexBytes(outerChecksum),
      dependencies,
    },
    facts: {
      checksum: outerChecksum.toLowerCase(),
      dependencies,
      app: text("app") || name,
      buildTools: textList(md.get("build_tools")),
      description: text("description"),
      licenses: textList(md.get("licenses")),
      links,
    },
  };
}

/**
 * Reads the package tarball `bytes` (named `file` in messages): its outer
 * entries only, once.
 *
 * @throws {HexpubError} When it is not a tar, lacks an outer entry, or its
 *   metadata has no valid name and version.
 */
export async function readStoredRelease(bytes: Uint8Array, file: string): Promise<StoredRelease> {
  const bad = (why: string) =>
    new HexpubError(`${file} is not a Hex package tarball: ${why}`, {
      hint: "Remove it from tarballs/, or replace it with a tarball made by `hexpub build`",
    });
  let entries;
  try {
    entries = await unpackTar(bytes);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const get = (n: string) => entries.find((e) => e.header.name === n)?.data;
  const checksum = get("CHECKSUM");
  const meta = get("metadata.config");
  if (!checksum || !meta || !get("contents.tar.gz")) {
    throw bad("VERSION, CHECKSUM, metadata.config or contents.tar.gz is missing");
  }
  const described = describeRelease(
    decodeMetadata(new TextDecoder().decode(meta)),
    new TextDecoder().decode(checksum),
    await sha256Hex(bytes),
  );
  if (!described) throw bad("its metadata has no valid name and version");
  return described;
}

/**
 * Name, version, checksums and dependencies of a package tarball (outer
 * entries only): the registry's part of {@link readStoredRelease}.
 */
export async function readRelease(
  bytes: Uint8Array,
  file: string,
): Promise<{ name: string; release: Release }> {
  const { name, release } = await readStoredRelease(bytes, file);
  return { name, release };
}

/** The outer entries of a package tarball, each once (hex_core leaves this check to servers). */
const OUTER = ["VERSION", "CHECKSUM", "metadata.config", "contents.tar.gz"];
/** The longest file name most file systems hold, in bytes: `tarballs/NAME-VERSION.tar` must fit. */
const MAX_FILE_NAME = 255;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const quote = (s: string) => JSON.stringify(s);

/** hex.pm's per-field errors, nested by the dots of a field (`requirements.x`). */
type FieldErrors = Record<string, unknown>;

function put(errors: FieldErrors, field: string, message: string): void {
  const [head, ...rest] = field.split(".");
  const [at, key] = rest.length === 0 ? [errors, head] : [
    (errors[head] = typeof errors[head] === "object" ? errors[head] : {}) as FieldErrors,
    rest.join("."),
  ];
  at[key] = at[key] === undefined ? message : `${at[key]}; ${message}`;
}

/** What a requirement of the metadata says, as the build's `Requirement`. */
function requirementsOf(reqs: Term | undefined): PackageMeta["requirements"] {
  const out: PackageMeta["requirements"] = [];
  if (reqs?.kind !== "list") return out;
  for (const r of reqs.items) {
    if (r.kind !== "tuple" || r.items.length !== 2 || r.items[1].kind !== "list") continue;
    const fields = new Map<string, Term>();
    for (const f of r.items[1].items) {
      if (f.kind === "tuple" && f.items.length === 2) {
        const k = textOf(f.items[0]);
        if (k) fields.set(k, f.items[1]);
      }
    }
    const text = (k: string) => {
      const t = fields.get(k);
      return t ? textOf(t) : undefined;
    };
    const optional = fields.get("optional");
    out.push({
      name: textOf(r.items[0]) ?? "",
      app: text("app") ?? "",
      requirement: text("requirement") ?? "",
      optional: optional?.kind === "atom" && optional.value === "true",
      ...(text("repository") !== undefined ? { repository: text("repository") } : {}),
    });
  }
  return out;
}

/** The metadata of an uploaded tarball as `hexpub build` validates its own (`validatePackage`). */
function packageMetaOf(metadata: [string, Term][]): PackageMeta {
  const md = new Map(metadata);
  const text = (key: string) => {
    const t = md.get(key);
    return t ? textOf(t) ?? "" : "";
  };
  const links: [string, string][] = [];
  const l = md.get("links");
  const items = l?.kind === "list" ? l.items : l?.kind === "map"
    ? l.entries.map(([k, v]) => ({
      kind: "tuple" as const,
      items: [k, v],
    }))
    : [];
  for (const item of items) {
    if (item.kind !== "tuple" || item.items.length !== 2) continue;
    const [k, v] = item.items.map(textOf);
    if (k !== undefined && v !== undefined) links.push([k, v]);
  }
  return {
    name: text("name"),
    version: text("version"),
    app: text("app"),
    description: text("description"),
    files: textList(md.get("files")),
    licenses: textList(md.get("licenses")),
    links,
    buildTools: textList(md.get("build_tools")),
    requirements: requirementsOf(md.get("requirements")),
  };
}

/**
 * Checks an uploaded package tarball, already unpacked and verified as
 * hex_core unpacks it (`unpackPackage`), as a server must before signing it:
 * - the outer tar holds the four entries, each once, and nothing else
 *   (hex_core's `diff_keys` leaves unknown entries to the server);
 * - no path appears twice in the contents (rebar3 would unpack one over the other);
 * - `metadata.config` is UTF-8;
 * - what `hexpub build` refuses in its own output (`validatePackage`, with
 *   `repository`'s rules: hex.pm's own rules, such as reserved names, only
 *   warn there and are not checked): the name's form and length, a SemVer
 *   version without `+build`, requirements that parse and use no `!=`,
 *   build tools and files;
 * - what hex.pm refuses besides (hexpm `release.ex`, `requirement.ex`,
 *   `ecto/version.ex`, `release_metadata.ex`): a pre-release over 64
 *   characters, a dependency that is not a package name or has no app, a
 *   dependency in a repository other than `hexpm` or this one, an empty app;
 * - `NAME-VERSION.tar` fits in a file name.
 *
 * @param tarball The uploaded bytes.
 * @param unpacked What `unpackPackage` made of them.
 * @param repository The name of the repository it is published to.
 * @returns hex.pm's per-field errors (`{tar: …}`, `{version: …}`,
 *   `{requirements: {NAME: …}}`), or `undefined` when the tarball may be signed.
 */
export async function uploadErrors(
  tarball: Uint8Array,
  unpacked: UnpackedPackage,
  repository: string,
): Promise<FieldErrors | undefined> {
  const errors: FieldErrors = {};
  const outer = await unpackTar(tarball);
  const names = outer.map((e) => e.header.name);
  const extra = names.filter((n) => !OUTER.includes(n));
  if (extra.length > 0) {
    put(errors, "tar", `unexpected files in tarball: [${extra.map(quote).join(",")}]`);
  }
  const repeated = OUTER.filter((n) => names.filter((m) => m === n).length > 1);
  if (repeated.length > 0) {
    put(errors, "tar", `duplicate files in tarball: [${repeated.map(quote).join(",")}]`);
  }
  const seen = new Set<string>();
  for (const f of unpacked.files) {
    if (seen.has(f.path)) {
      put(errors, "tar", `duplicate file in contents.tar.gz: ${f.path}`);
      break;
    }
    seen.add(f.path);
  }
  const metadataBytes = outer.find((e) => e.header.name === "metadata.config")?.data;
  try {
    utf8.decode(metadataBytes);
  } catch {
    put(errors, "tar", "error reading package metadata: metadata.config is not valid UTF-8");
  }
  if (errors.tar !== undefined) return errors;

  const meta = packageMetaOf(unpacked.metadata);
  const problems = validatePackage(meta, {
    repo: repository,
    whereOf: () => ({ file: "metadata.config" }),
    appSrcKeys: new Set(),
    lock: [],
  });
  for (const p of problems) if (p.level === "error") put(errors, p.field, p.message);

  const version = parseVersion(meta.version);
  const versionProblem = version && releaseVersionProblem(version);
  if (versionProblem) put(errors, "version", versionProblem);
  if (!meta.app) put(errors, "meta.app", "can't be blank");
  for (const r of meta.requirements) {
    const field = `requirements.${r.name}`;
    if (!PACKAGE_NAME_FORMAT.test(r.name)) {
      put(errors, field, `dependency ${quote(r.name)} is not a package name`);
    }
    if (!r.app) put(errors, field, "app can't be blank");
    try {
      parseRequirement(r.requirement);
    } catch {
      put(errors, field, `invalid requirement: ${quote(r.requirement)}`);
    }
    if (r.repository !== undefined && r.repository !== "hexpm" && r.repository !== repository) {
      put(
        errors,
        field,
        `dependencies can only belong to repository "hexpm" or ${quote(repository)}, got: ${
          quote(r.repository)
        }`,
      );
    }
  }
  const elixir = unpacked.metadata.find(([k]) => k === "elixir")?.[1];
  if (elixir) {
    const text = textOf(elixir);
    try {
      parseRequirement(text ?? "");
    } catch {
      put(errors, "meta.elixir", `invalid requirement: ${quote(text ?? "")}`);
    }
  }
  const fileName = `${meta.name}-${meta.version}.tar`;
  if (new TextEncoder().encode(fileName).length > MAX_FILE_NAME) {
    put(
      errors,
      "name",
      `${
        quote(meta.name)
      } is too long: the file name NAME-VERSION.tar must fit in ${MAX_FILE_NAME} bytes`,
    );
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}
