/**
 * The third stage of `publish`: upload the package, then read the release
 * back and compare its checksum with the tarball sent, and check that the
 * package's registry entry (what installers read) lists it. A release that
 * landed with other bytes is an error; so is one the registry does not list
 * after a few seconds (a {@link LiveReleaseError}: the release is live on the
 * API, `cut` keeps its tag). A read-back that fails after a successful upload
 * is only a warning (the release is there: never say "not published").
 *
 * @module
 */
import { HexpubError } from "../errors.ts";
import type { Deps } from "../ports.ts";
import { RegistryError } from "../registry/signing.ts";
import { LiveReleaseError } from "./publish_outcome.ts";
import type { PublishTarget } from "./publish_target.ts";
import type { AppPlan, Plan } from "./publish_plan.ts";

/** What the upload of one app did. */
export interface AppUpload {
  /** True when the release replaced an existing one. */
  replaced: boolean;
  /** Whether the release read back has our checksum. */
  verified: boolean;
  url?: string;
  /** True when the docs went along with the package (a directory target). */
  docsStored: boolean;
}

/**
 * Uploads one app's package (with its docs, where the target takes both at once).
 *
 * @throws {HexpubError} When it was refused, did not land, or landed with other bytes.
 */
export async function uploadApp(deps: Deps, plan: Plan, app: AppPlan): Promise<AppUpload> {
  const { target, input } = plan;
  const { name, version } = app.prepared.meta;
  const up = await target.uploadPackage({
    name,
    version,
    tarball: app.tarball,
    checksum: app.checksum,
    replace: input.replace,
    docs: app.docs,
  });
  if (up.note) deps.out.info(up.note);
  let landed: string | undefined;
  try {
    landed = await target.readBack(name, version);
  } catch (e) {
    deps.out.problem({
      level: "warning",
      field: "verify",
      message: `${name} ${version} was published, but reading it back failed: ${
        e instanceof Error ? e.message : String(e)
      }`,
      hint: `Check the release page, or \`hexpub search ${name}\``,
    });
    return { replaced: up.replaced, verified: false, url: up.url, docsStored: up.docsStored };
  }
  if (landed !== undefined && landed !== app.checksum) {
    throw new HexpubError(
      `${name} ${version} was uploaded, but the release on ${target.repo.name} has checksum ${landed}, not ${app.checksum}`,
      {
        hint:
          "Check the release page; if it is wrong, revert it with `hexpub publish --revert VERSION`",
      },
    );
  }
  const verified = landed === app.checksum &&
    await checkRegistry(deps, target, name, version, app.checksum);
  return { replaced: up.replaced, verified, url: up.url, docsStored: up.docsStored };
}

/** The waits between reads of a registry that does not list the release yet. */
const REGISTRY_WAITS_MS = [1_000, 2_000];

/**
 * Checks that the registry installers read lists the release with our
 * checksum, reading it again after 1 s and 2 s while it does not.
 *
 * @returns `true` when it does (or the target has no separate registry to check),
 * `false` when it could not be read (a warning is printed).
 * @throws {LiveReleaseError} When the registry does not list it, lists other
 * bytes, or is refused: the release is live, but installers cannot get it.
 */
async function checkRegistry(
  deps: Deps,
  target: PublishTarget,
  name: string,
  version: string,
  checksum: string,
): Promise<boolean> {
  if (!target.readRegistry) return true;
  const repo = target.repo.name;
  const published = `${name} ${version} is published on ${repo}, but its registry entry`;
  for (let i = 0;; i++) {
    let listing;
    try {
      listing = await target.readRegistry(name, version);
    } catch (e) {
      if (e instanceof RegistryError) {
        throw new LiveReleaseError("yes", `${published} was refused: ${e.message}`, {
          hint: e.hint,
          cause: e,
        });
      }
      deps.out.problem({
        level: "warning",
        field: "verify",
        message: `${name} ${version} was published, but its registry entry could not be read: ${
          e instanceof Error ? e.message : String(e)
        }`,
        hint: `Check that installers see it: \`hexpub info ${name} ${version}\``,
      });
      return false;
    }
    if (listing === undefined) return true;
    if (listing.listed) {
      if (listing.checksum === undefined || listing.checksum === checksum) return true;
      throw new LiveReleaseError(
        "yes",
        `${published} lists checksum ${listing.checksum} for it, not ${checksum}: installers will refuse it`,
        { hint: "Ask the repository's operator to rebuild its registry from the stored tarballs" },
      );
    }
    if (i >= REGISTRY_WAITS_MS.length) {
      throw new LiveReleaseError(
        "yes",
        `${published} (/packages/${name}) does not list it: it is not visible to installers (rebar3, mix) yet`,
        {
          hint: `The repository has not rebuilt its registry since the upload. Check again in a ` +
            `few minutes with \`hexpub info ${name} ${version}\`; if it stays missing, the ` +
            `registry needs a rebuild (\`hexpub serve\` rebuilds it from its tarballs when it starts)`,
        },
      );
    }
    const wait = REGISTRY_WAITS_MS[i];
    if (wait > 1_000) {
      deps.out.info(
        `${name} ${version}: the registry of ${repo} does not list it yet; waiting ${
          wait / 1000
        } s, then checking again`,
      );
    }
    await deps.sleep(wait);
  }
}
