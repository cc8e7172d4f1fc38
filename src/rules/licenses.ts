/**
 * Licence ids as hex.pm checks them in package metadata.
 *
 * hexpm accepts a licence when hex_core's `hex_licenses:valid/1` does
 * (`lib/hexpm/repository/package_metadata.ex`): an SPDX licence id, exact and
 * case-sensitive (deprecated ids included), or `LicenseRef-` followed by at least
 * one of `[A-Za-z0-9.-]` (`src/hex_licenses.erl`). SPDX expressions such as
 * `MIT OR Apache-2.0` are refused: each licence is listed on its own.
 *
 * The id list lives in the generated `spdx_ids.ts` (see `scripts/refresh_licenses.ts`).
 *
 * @module
 */

import { SPDX_IDS } from "./spdx_ids.ts";

const IDS: ReadonlySet<string> = new Set(SPDX_IDS);
const LICENSE_REF = /^LicenseRef-[A-Za-z0-9.-]+$/;
const LICENSE_REF_PREFIX = "LicenseRef-";

/**
 * Tells whether hex.pm accepts a licence id.
 *
 * @param id One entry of the package's `licenses` list.
 * @returns `true` for an SPDX id written exactly (`MIT`, `Apache-2.0`, `GPL-2.0+`) or a
 *   `LicenseRef-[A-Za-z0-9.-]+` id; `false` otherwise (`mit`, `MIT OR Apache-2.0`).
 */
export function isValidLicense(id: string): boolean {
  return IDS.has(id) || LICENSE_REF.test(id);
}

// Names people write for a licence that differ from its id by more than case,
// spacing or a ".0". Matched after the same normalisation as ids.
const ALIASES: readonly [string, readonly string[]][] = [
  ["Apache", ["Apache-2.0"]],
  ["ASL 2.0", ["Apache-2.0"]],
  ["Apache Software License 2.0", ["Apache-2.0"]],
  ["BSD 3", ["BSD-3-Clause"]],
  ["3-Clause BSD", ["BSD-3-Clause"]],
  ["New BSD", ["BSD-3-Clause"]],
  ["BSD New", ["BSD-3-Clause"]],
  ["Modified BSD", ["BSD-3-Clause"]],
  ["Revised BSD", ["BSD-3-Clause"]],
  ["BSD 2", ["BSD-2-Clause"]],
  ["2-Clause BSD", ["BSD-2-Clause"]],
  ["Simplified BSD", ["BSD-2-Clause"]],
  ["Expat", ["MIT"]],
  ["Mozilla Public License 2.0", ["MPL-2.0"]],
  ["Eclipse Public License 1.0", ["EPL-1.0"]],
  ["Eclipse Public License 2.0", ["EPL-2.0"]],
  ["CC0", ["CC0-1.0"]],
  ["GNU GPL 2", ["GPL-2.0-only", "GPL-2.0-or-later"]],
  ["GNU GPL 3", ["GPL-3.0-only", "GPL-3.0-or-later"]],
  ["GNU General Public License 2", ["GPL-2.0-only", "GPL-2.0-or-later"]],
  ["GNU General Public License 3", ["GPL-3.0-only", "GPL-3.0-or-later"]],
  ["GNU Lesser General Public License 2.1", ["LGPL-2.1-only", "LGPL-2.1-or-later"]],
  ["GNU Lesser General Public License 3", ["LGPL-3.0-only", "LGPL-3.0-or-later"]],
  ["GNU Affero General Public License 3", ["AGPL-3.0-only", "AGPL-3.0-or-later"]],
];

// What people write when the code is not under an SPDX licence at all.
const NOT_SPDX = new Set([
  "proprietary",
  "unlicensed",
  "commercial",
  "closed source",
  "closed-source",
  "all rights reserved",
  "private",
  "custom",
  "other",
  "none",
  "see license",
  "see license file",
  "see licence",
]);

/**
 * Reduces a licence name to a comparison key: case, spacing, punctuation, the words
 * "license"/"version"/"the", a `v` before a number and trailing `.0`s do not count
 * (`Apache License, Version 2.0`, `apache 2` and `Apache-2.0` all give `apache2`).
 */
function licenseKey(text: string): string {
  const words = text
    .toLowerCase()
    .replace(/\b(the|licen[cs]e[sd]?|version)\b/g, " ")
    .replace(/\bv(?=\d)/g, "")
    .replace(/([a-z])v(?=\d)/g, "$1 ")
    .replace(/([a-z])(?=\d)/g, "$1 ")
    .split(/[^a-z0-9.+]+/)
    .filter((word) => word !== "");
  return words
    .map((word) => (/^\d+(\.\d+)*\+?$/.test(word) ? word.replace(/(\.0)+(\+?)$/, "$2") : word))
    .join("");
}

let lookup:
  | { byLower: Map<string, string>; byKey: Map<string, string[]>; keys: string[] }
  | undefined;

// Built on first use: most runs only call isValidLicense.
function tables(): NonNullable<typeof lookup> {
  if (lookup) return lookup;
  const byLower = new Map<string, string>();
  const byKey = new Map<string, string[]>();
  const add = (key: string, id: string) => {
    const ids = byKey.get(key) ?? [];
    if (!ids.includes(id)) ids.push(id);
    byKey.set(key, ids);
  };
  for (const id of SPDX_IDS) {
    byLower.set(id.toLowerCase(), id);
    add(licenseKey(id), id);
  }
  for (const [name, ids] of ALIASES) {
    for (const id of ids) if (IDS.has(id)) add(licenseKey(name), id);
  }
  lookup = { byLower, byKey, keys: [...byKey.keys()] };
  return lookup;
}

/** Levenshtein distance, giving up (returning `limit + 1`) once it exceeds `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      best = Math.min(best, current[j]);
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length];
}

/** The valid ids `text` most likely means (itself when valid), at most three. */
function candidates(text: string): string[] {
  const trimmed = text.trim();
  if (isValidLicense(trimmed)) return [trimmed];
  const { byLower, byKey, keys } = tables();
  const sameCase = byLower.get(trimmed.toLowerCase());
  if (sameCase) return [sameCase];
  const key = licenseKey(trimmed);
  if (key === "") return [];
  const exact = byKey.get(key);
  if (exact) return exact.slice(0, 3);
  const limit = key.length <= 3 ? 0 : key.length <= 6 ? 1 : 2;
  if (limit === 0) return [];
  let best = limit + 1;
  let found: string[] = [];
  for (const other of keys) {
    const d = distance(key, other, limit);
    if (d < best) {
      best = d;
      found = [...byKey.get(other)!];
    } else if (d === best && d <= limit) {
      found.push(...byKey.get(other)!);
    }
  }
  return best <= limit && found.length <= 3 ? found : [];
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function didYouMean(ids: readonly string[]): string | undefined {
  if (ids.length === 0) return undefined;
  if (ids.length === 1) return `did you mean ${quote(ids[0])}?`;
  return `did you mean one of ${ids.map(quote).join(", ")}?`;
}

/**
 * Replaces deprecated GNU-style ids by their current forms (`GPL-3.0` → `GPL-3.0-only`,
 * `GPL-3.0-or-later`; `GPL-2.0+` → `GPL-2.0-or-later`): hex.pm accepts both, SPDX
 * recommends the latter.
 */
function preferCurrent(ids: readonly string[]): string[] {
  return ids.flatMap((id) => {
    if (id.endsWith("+") && IDS.has(`${id.slice(0, -1)}-or-later`)) {
      return [`${id.slice(0, -1)}-or-later`];
    }
    if (IDS.has(`${id}-only`) && IDS.has(`${id}-or-later`)) return [`${id}-only`, `${id}-or-later`];
    return [id];
  });
}

function expressionHint(text: string): string | undefined {
  const isExpression = /[()]/.test(text) || /\s(and|or|with)\s/i.test(text) ||
    // "MIT/Apache-2.0" is a list, "Apache License, Version 2.0" is one licence.
    (/[/,]/.test(text) && candidates(text).length === 0);
  if (!isExpression) return undefined;
  const exceptions: string[] = [];
  const parts = text
    .split(/\s+(?:and|or)\s+|[()/,]/i)
    .map((part) => {
      const [base, exception] = part.split(/\s+with\s+/i);
      if (exception !== undefined) exceptions.push(exception.trim());
      return base.trim();
    })
    .filter((part) => part !== "");
  const ids = parts.map((part) => {
    const found = candidates(part);
    return found.length === 1 ? found[0] : part;
  });
  const list = `[${ids.map(quote).join(", ")}]`;
  if (exceptions.length > 0) {
    return `licence exceptions (${exceptions.map((e) => quote("WITH " + e)).join(", ")})` +
      ` are not accepted: list ${list} and describe the exception, or use a "LicenseRef-" id`;
  }
  return ids.length >= 2 ? `list each licence separately: ${list}` : undefined;
}

function licenseRefHint(text: string): string | undefined {
  if (!text.toLowerCase().startsWith(LICENSE_REF_PREFIX.toLowerCase())) return undefined;
  const rest = text.slice(LICENSE_REF_PREFIX.length);
  const fixed = rest.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "");
  if (fixed === "") return `add a name after "LicenseRef-", e.g. "LicenseRef-Proprietary"`;
  const suggestion = LICENSE_REF_PREFIX + fixed;
  if (fixed === rest) return didYouMean([suggestion]);
  return `only letters, digits, "." and "-" may follow "LicenseRef-": did you mean ${
    quote(suggestion)
  }?`;
}

/**
 * Suggests a fix for a licence id hex.pm would refuse.
 *
 * @example
 * ```ts
 * licenseHint("apache 2.0"); // 'did you mean "Apache-2.0"?'
 * licenseHint("MIT OR Apache-2.0"); // 'list each licence separately: ["MIT", "Apache-2.0"]'
 * ```
 *
 * @param id One entry of the package's `licenses` list.
 * @returns A hint such as `did you mean "MIT"?` or `list each licence separately: [...]`,
 *   or `undefined` when the id is valid or nothing close is known.
 */
export function licenseHint(id: string): string | undefined {
  if (isValidLicense(id)) return undefined;
  const trimmed = id.trim();
  if (trimmed === "") return 'use an SPDX id such as "MIT" or "Apache-2.0"';
  const byExpression = expressionHint(trimmed);
  if (byExpression) return byExpression;
  const byRef = licenseRefHint(trimmed);
  if (byRef) return byRef;
  if (NOT_SPDX.has(trimmed.toLowerCase().replace(/\s+/g, " "))) {
    return 'for a licence not on the SPDX list use a "LicenseRef-" id, e.g. "LicenseRef-Proprietary"';
  }
  return didYouMean(preferCurrent(candidates(trimmed)));
}
