/**
 * The last stage of `publish`: the docs. With `publish` (package and docs),
 * docs that fail to upload after the package went out are a warning naming
 * the command that publishes them; with `publish docs` they are the error.
 *
 * @module
 */
import type { Deps } from "../ports.ts";
import type { AppPlan, Plan } from "./publish_plan.ts";

/** What became of one app's docs. */
export interface AppDocs {
  docs?: "published" | "skipped" | "failed";
  docsReason?: string;
  /** Where the repository says the docs are (its own URL), when it says. */
  docsUrl?: string;
}

/**
 * Publishes one app's docs, unless they went along with the package already.
 *
 * @throws When the upload fails and the target is `docs`.
 */
export async function publishAppDocs(
  deps: Deps,
  plan: Plan,
  app: AppPlan,
  stored: boolean,
): Promise<AppDocs> {
  const { input, target } = plan;
  if (!app.docs) {
    return input.target === "package" ? {} : { docs: "skipped", docsReason: app.docsReason };
  }
  if (stored) return { docs: "published" };
  const { name, version } = app.prepared.meta;
  try {
    const sent = await target.uploadDocs({
      name,
      version,
      tarball: app.tarball,
      checksum: app.checksum,
      replace: input.replace,
      docs: app.docs,
    });
    return { docs: "published", ...(sent?.url ? { docsUrl: sent.url } : {}) };
  } catch (e) {
    if (input.target === "docs") throw e;
    const reason = e instanceof Error ? e.message : String(e);
    deps.out.problem({
      level: "warning",
      field: "docs",
      message: `the package was published, but its docs were not: ${reason}`,
      hint: `Run \`hexpub publish docs${
        input.app ? ` --app ${app.app.name}` : ""
      }\` to publish them`,
    });
    return { docs: "failed", docsReason: reason };
  }
}
