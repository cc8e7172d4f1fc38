/**
 * hex.pm's rules for retiring a release (hexpm
 * `lib/hexpm/repository/release_retirement.ex`): the reasons it accepts and the
 * length of the message. Used by the client (`retire`), the local repository and
 * `hexpub serve`.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/**
 * Why a release was retired: hex.pm accepts exactly these (`Hexpm.Repository.ReleaseRetirement`).
 *
 * Exported for tests and the fake Hex server, which applies the same rule.
 */
export const RETIRE_REASONS = ["other", "invalid", "security", "deprecated", "renamed"] as const;

/** One of {@link RETIRE_REASONS}. */
export type RetireReason = typeof RETIRE_REASONS[number];

/** The shortest retirement message hex.pm accepts, in characters. */
const MIN_RETIRE_MESSAGE = 3;
/** The longest retirement message hex.pm accepts, in characters. */
const MAX_RETIRE_MESSAGE = 140;

/**
 * Checks a retirement before any request, with hex.pm's rules: the reason is one
 * of {@link RETIRE_REASONS}; the message, when given, is 3 to 140 characters
 * (counted as hex.pm counts them, in graphemes) and not blank.
 *
 * @param reason The reason as the user typed it.
 * @param message The message, if any.
 * @returns The reason, typed, and the message.
 * @throws {UsageError} For an unknown reason or a message hex.pm would refuse.
 */
export function checkRetirement(
  reason: string,
  message?: string,
): { reason: RetireReason; message?: string } {
  if (!(RETIRE_REASONS as readonly string[]).includes(reason)) {
    throw new UsageError(
      `unknown retirement reason ${JSON.stringify(reason)}: expected one of ${
        RETIRE_REASONS.join(", ")
      }`,
      { hint: `Pass one of: ${RETIRE_REASONS.join(", ")}` },
    );
  }
  if (message === undefined) return { reason: reason as RetireReason };
  if (message.trim() === "") {
    throw new UsageError("the retirement message is blank", {
      hint: `Pass a message of ${MIN_RETIRE_MESSAGE} to ${MAX_RETIRE_MESSAGE} characters ` +
        "saying why, or what to use instead",
    });
  }
  const length = graphemes(message);
  if (length < MIN_RETIRE_MESSAGE || length > MAX_RETIRE_MESSAGE) {
    throw new UsageError(
      `the retirement message is ${length} character${length === 1 ? "" : "s"} long: ` +
        `hex.pm accepts ${MIN_RETIRE_MESSAGE} to ${MAX_RETIRE_MESSAGE}`,
      {
        hint: length < MIN_RETIRE_MESSAGE
          ? "Say why the release is retired, or what to use instead"
          : `Shorten the message to ${MAX_RETIRE_MESSAGE} characters`,
      },
    );
  }
  return { reason: reason as RetireReason, message };
}

function graphemes(text: string): number {
  let n = 0;
  for (const _ of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) n++;
  return n;
}
