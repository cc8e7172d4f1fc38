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
import { parseVersion } from "../rules/version.ts";
import type { Dependency, Release } from "../registry/messages.ts";
import { sha256Hex } from "../tarball/checksum.ts";
import { decodeMetadata } from "../tarball/metadata_config.ts";

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
