/**
 * A publish that ended in an error although its release is, or may be, live on
 * the repository: the answer was lost and the read-back could not tell, or the
 * API shows the release but the registry installers read does not list it
 * (yet). Whoever acts on a failed publish by undoing its own work (`cut`
 * deletes its tag) must not do so then: the version may already be installed.
 *
 * @module
 */
import { HexpubError, type HexpubErrorOptions } from "../errors.ts";

/** A failed publish whose release is (`yes`) or may be (`unknown`) live (exit 1). */
export class LiveReleaseError extends HexpubError {
  /** `yes`: the repository has the release; `unknown`: it could not be checked. */
  readonly live: "yes" | "unknown";

  constructor(live: "yes" | "unknown", message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "LiveReleaseError";
    this.live = live;
  }
}
