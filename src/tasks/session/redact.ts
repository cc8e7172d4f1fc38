/**
 * Keeps secrets sent in a request body out of the errors a server answers with.
 *
 * @module
 */
import { HexApiError } from "../../hex/api_errors.ts";

/**
 * Removes secrets that travelled in a request body (refresh tokens, device
 * codes, passwords) from an error the server may have echoed them into.
 */
export function redact(e: unknown, secrets: (string | undefined)[]): void {
  if (!(e instanceof Error)) return;
  const scrub = (text: string): string => {
    let out = text;
    for (const s of secrets) if (s && s.length >= 4) out = out.replaceAll(s, "[REDACTED]");
    return out;
  };
  e.message = scrub(e.message);
  if (e instanceof HexApiError) {
    Object.defineProperty(e, "serverMessage", { value: scrub(e.serverMessage) });
  }
}
