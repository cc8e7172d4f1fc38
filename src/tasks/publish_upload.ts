/**
 * The third stage of `publish`: upload the package, then read the release
 * back and compare its checksum with the tarball sent. A release that landed
 * with other bytes is an error; a read-back that fails after a successful
 * upload is only a warning (the release is there: never say "not published").
 *
 * @module
 */
import { HexpubError } from "../errors.ts";
import type { Deps } from "../ports.ts";
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
  return {
    replaced: up.replaced,
    verified: landed === app.checksum,
    url: up.url,
    docsStored: up.docsStored,
  };
}
