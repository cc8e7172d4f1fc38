/**
 * Who may write to a package of a repository, and how its owners may change:
 * hex.pm's rules, as a served repository applies them to its API keys' users.
 * Pure functions over the stored owners; the store applies them under its
 * write lock.
 *
 * - A brand-new package (no release of that name) is claimed by its first
 *   publisher, as its full owner.
 * - A package with releases but no owners (put in by `publish -r local`,
 *   `repo build` or a copied tarball) is open to no user: only the
 *   repository's administrator (`hexpub serve owner add`) can give it one.
 * - Writes need an owner; owner changes need a full owner.
 *
 * @module
 */
import type { OwnerLevel, Owners, StoredOwner } from "./repository_state.ts";

/** What {@link access} decides for a write. */
export type Access = "allowed" | "claim" | "unowned" | "forbidden";

/**
 * Whether `user` may write to package `name` with ownership `need`.
 *
 * @param isNew No release of that name exists (the publisher claims it).
 */
export function access(
  owners: Owners,
  name: string,
  user: string,
  need: "owner" | "full",
  isNew: boolean,
): Access {
  const list = owners.get(name);
  if (!list || list.length === 0) return isNew ? "claim" : "unowned";
  const me = list.find((o) => o.username === user);
  if (!me || (need === "full" && me.level !== "full")) return "forbidden";
  return "allowed";
}

/** A change of one owner of a package, as hex.pm's owners endpoint takes it. */
export type OwnerEdit =
  | { op: "put"; target: string; level?: unknown; transfer?: unknown }
  | { op: "remove"; target: string };

/** Why an owner change was refused: 404 (no such user), or hex.pm's 422 errors. */
export type OwnerEditRefusal =
  | { refused: "not_found" }
  | { refused: "invalid"; errors: Record<string, string> };

/**
 * The owners of a package after `edit`, or why hex.pm would refuse it: an
 * unknown user, a bad level, a transfer that is not full, demoting or
 * removing the last full owner, removing the last owner or a non-owner.
 *
 * @param current The package's owners (not empty).
 * @param users The repository's users.
 */
export function editOwners(
  current: StoredOwner[],
  edit: OwnerEdit,
  users: Set<string>,
): StoredOwner[] | OwnerEditRefusal {
  const { target } = edit;
  const invalid = (errors: Record<string, string>) => ({ refused: "invalid" as const, errors });
  const existing = current.find((o) => o.username === target);
  if (edit.op === "put") {
    if (!users.has(target)) return { refused: "not_found" };
    const level = edit.level ?? "full";
    if (level !== "full" && level !== "maintainer") return invalid({ level: "is invalid" });
    if (edit.transfer === true) {
      if (level !== "full") {
        return invalid({ level: 'ownership level is required to be "full" for a transfer' });
      }
      return [{ username: target, level: "full" }];
    }
    const fulls = current.filter((o) => o.level === "full" && o.username !== target);
    if (existing?.level === "full" && level === "maintainer" && fulls.length === 0) {
      return invalid({ level: "cannot demote the last full owner of a package" });
    }
    return existing
      ? current.map((o) => o.username === target ? { username: target, level } : o)
      : [...current, { username: target, level: level as OwnerLevel }];
  }
  if (!existing) {
    return users.has(target)
      ? invalid({ username: "user is not an owner of package" })
      : { refused: "not_found" };
  }
  const next = current.filter((o) => o.username !== target);
  if (next.length === 0) return invalid({ username: "cannot remove last owner of package" });
  if (existing.level === "full" && !next.some((o) => o.level === "full")) {
    return invalid({ username: "cannot remove the last full owner of package" });
  }
  return next;
}
