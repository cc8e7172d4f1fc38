/**
 * What a `RepositoryStore` (`store.ts`) answers: its refusals (values, for the
 * caller to word) and the shapes of the releases, packages and changes it
 * reports.
 *
 * @module
 */
import type { ReleaseFacts } from "./release_reader.ts";
import type { StoredOwner, StoredRetirement } from "./repository_state.ts";

/**
 * Why a store refused a request (nothing was written):
 * - `not_found`: no such package or release;
 * - `no_docs`: the release has no docs;
 * - `forbidden`: the user is not (enough of) an owner;
 * - `unowned`: package `name` has releases but no owners, so no user may write;
 * - `exists`: the release is there and `replace` was not given;
 * - `invalid`: hex.pm's per-field errors (`{tar: …}`, `{retirement: {…}}`);
 * - `unknown_user`: no API key has that name (`users` lists them).
 */
export type Refusal =
  | { refused: "not_found" | "no_docs" | "forbidden" | "exists" }
  | { refused: "unowned"; name: string }
  | { refused: "invalid"; errors: Record<string, unknown> }
  | { refused: "unknown_user"; users: string[] };

/** Whether a store's answer is a refusal. */
export function isRefusal(x: unknown): x is Refusal {
  return typeof x === "object" && x !== null && "refused" in x;
}

/** A release as the store knows it. */
export interface ReleaseInfo {
  name: string;
  version: string;
  facts: ReleaseFacts;
  hasDocs: boolean;
  retirement?: StoredRetirement;
}

/** A package as the store knows it. */
export interface PackageInfo {
  name: string;
  /** Its versions, in ascending SemVer order (not empty). */
  versions: string[];
  /** The facts of its latest version. */
  latest: ReleaseFacts;
  /** The versions that have docs. */
  docs: Set<string>;
  retirements: Map<string, StoredRetirement>;
  owners: StoredOwner[];
}

/** What `RepositoryStore.publish` did. */
export interface Published {
  outcome: "created" | "replaced";
  name: string;
  version: string;
  /** Where the tarball now is. */
  path: string;
  facts: ReleaseFacts;
}

/** What `RepositoryStore.grantOwner` did. */
export interface OwnerChange {
  outcome: "added" | "changed" | "unchanged";
  /** The package's owners afterwards. */
  owners: StoredOwner[];
}
