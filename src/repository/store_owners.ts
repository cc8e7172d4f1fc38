/**
 * A repository store's writes to a package's standing: retire or unretire
 * releases, change an owner as a full owner (hex.pm's rules,
 * `owner_rules.ts`), and the administrator's owner grant. Each is one write
 * of a {@link StoreCore} (see `store_core.ts`); `RepositoryStore`
 * (`store.ts`) is their interface.
 *
 * @module
 */
import { join } from "node:path";
import { editOwners, type OwnerEdit } from "./owner_rules.ts";
import { setRetirements } from "./repository_ops.ts";
import {
  type OwnerLevel,
  OWNERS_FILE,
  readRetirements,
  type StoredOwner,
  type StoredRetirement,
  validateRetirement,
  withUndo,
  writeOwners,
} from "./repository_state.ts";
import type { StoreCore } from "./store_core.ts";
import { isRefusal, type OwnerChange, type Refusal } from "./store_types.ts";

/** What {@link retire} takes. */
export interface RetireInput {
  name: string;
  version?: string;
  /** hex.pm's `{reason, message}` parameters; none: unretire. */
  retirement?: Record<string, unknown>;
  replace?: boolean;
  as?: string;
}

/**
 * Retires (with `retirement`: hex.pm's `{reason, message}` parameters) or
 * unretires release `version` of package `name`, or without `version` every
 * release (those already retired only with `replace`), then rebuilds the
 * registry when anything changed.
 *
 * @returns The versions whose retirement was set or cleared.
 */
export function retire(
  core: StoreCore,
  input: RetireInput,
): Promise<{ versions: string[] } | Refusal> {
  const { name, version } = input;
  return core.write(async () => {
    const versions = await core.writable(name, input.as, "owner");
    if (isRefusal(versions)) return versions;
    if (version === undefined ? versions.length === 0 : !versions.includes(version)) {
      return { refused: "not_found" };
    }
    let retirement: StoredRetirement | undefined;
    if (input.retirement !== undefined) {
      const checked = validateRetirement(input.retirement);
      if ("errors" in checked) {
        return { refused: "invalid", errors: { retirement: checked.errors } };
      }
      retirement = checked.retirement;
    }
    const changes = new Map<string, StoredRetirement | undefined>();
    if (version !== undefined) changes.set(version, retirement);
    else {
      const current = (await readRetirements(core.deps, core.dir)).get(name);
      for (const v of versions) {
        if (input.replace === true || !current?.has(v)) changes.set(v, retirement);
      }
    }
    await setRetirements(core.deps, core.repo, name, changes);
    return { versions: [...changes.keys()] };
  });
}

/** Adds, changes or removes an owner of package `name`, as full owner `as` (hex.pm's rules). */
export function editOwner(
  core: StoreCore,
  name: string,
  edit: OwnerEdit,
  as: string,
): Promise<"changed" | Refusal> {
  return core.write(async () => {
    const versions = await core.writable(name, as, "full");
    if (isRefusal(versions)) return versions;
    const current = (await core.owners()).get(name)!;
    const next = editOwners(current, edit, new Set(await core.users()));
    if (isRefusal(next)) return next;
    await withUndo(core.deps, [join(core.dir, OWNERS_FILE)], async () => {
      const all = await core.owners();
      all.set(name, next);
      await writeOwners(core.deps, core.dir, all);
    });
    return "changed";
  });
}

/**
 * The administrator's owner change (`hexpub serve owner add`): makes
 * `user` an owner of package `name` at `level`, or changes the level of an
 * existing owner, whatever its owners are (the only way to give an owner to
 * a package that has none).
 *
 * @returns What changed; `unknown_user` when no API key is named `user`,
 *   `not_found` when the package has no release.
 */
export function grantOwner(
  core: StoreCore,
  input: { name: string; user: string; level: OwnerLevel },
): Promise<OwnerChange | Refusal> {
  const { name, user, level } = input;
  return core.write(async () => {
    const users = await core.users();
    if (!users.includes(user)) return { refused: "unknown_user", users };
    if ((await core.versions(name)).length === 0) return { refused: "not_found" };
    const all = await core.owners();
    const current = all.get(name) ?? [];
    const existing = current.find((o) => o.username === user);
    if (existing?.level === level) return { outcome: "unchanged", owners: current };
    const next: StoredOwner[] = existing
      ? current.map((o) => o.username === user ? { username: user, level } : o)
      : [...current, { username: user, level }];
    all.set(name, next);
    await writeOwners(core.deps, core.dir, all);
    return { outcome: existing ? "changed" : "added", owners: next };
  });
}
