import assert from "node:assert/strict";
import { isValidLicense, licenseHint } from "../../src/rules/licenses.ts";
import { SPDX_IDS } from "../../src/rules/spdx_ids.ts";

Deno.test("isValidLicense() accepts exact SPDX ids and LicenseRef ids", () => {
  const cases: [string, boolean][] = [
    ["MIT", true],
    ["Apache-2.0", true],
    ["BSD-3-Clause", true],
    ["MPL-2.0", true],
    ["0BSD", true],
    ["Unlicense", true],
    // Deprecated SPDX ids stay valid on hex.pm.
    ["GPL-2.0", true],
    ["GPL-2.0+", true],
    ["LicenseRef-Acme", true],
    ["LicenseRef-acme.corp-2", true],
    ["mit", false],
    ["Mit", false],
    ["apache-2.0", false],
    [" MIT", false],
    ["MIT ", false],
    ["MIT License", false],
    ["MIT OR Apache-2.0", false],
    ["(MIT AND BSD-3-Clause)", false],
    ["Apache-2.0 WITH LLVM-exception", false],
    ["LLVM-exception", false], // an exception id, not a licence
    ["LicenseRef-", false],
    ["LicenseRef-a_b", false],
    ["LicenseRef-Acme Corp", false],
    ["licenseref-acme", false],
    ["", false],
  ];
  for (const [id, expected] of cases) {
    assert.equal(isValidLicense(id), expected, JSON.stringify(id));
  }
});

Deno.test("isValidLicense() accepts every id of the generated list", () => {
  assert.ok(SPDX_IDS.length > 600, `only ${SPDX_IDS.length} ids`);
  for (const id of SPDX_IDS) assert.ok(isValidLicense(id), id);
  const sorted = [...SPDX_IDS].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(SPDX_IDS, sorted, "the list is sorted");
  assert.equal(new Set(SPDX_IDS).size, SPDX_IDS.length, "the list has no duplicates");
});

Deno.test("licenseHint() suggests the id for case and near misses", () => {
  const cases: [string, string][] = [
    ["mit", 'did you mean "MIT"?'],
    [" MIT", 'did you mean "MIT"?'],
    ["MIT License", 'did you mean "MIT"?'],
    ["apache 2.0", 'did you mean "Apache-2.0"?'],
    ["Apache 2", 'did you mean "Apache-2.0"?'],
    ["apache2", 'did you mean "Apache-2.0"?'],
    ["Apache License, Version 2.0", 'did you mean "Apache-2.0"?'],
    ["Apahce-2.0", 'did you mean "Apache-2.0"?'],
    ["bsd-3-clause", 'did you mean "BSD-3-Clause"?'],
    ["BSD 3", 'did you mean "BSD-3-Clause"?'],
    ["New BSD License", 'did you mean "BSD-3-Clause"?'],
    ["ISC License", 'did you mean "ISC"?'],
    ["MPL 2.0", 'did you mean "MPL-2.0"?'],
    ["Mozilla Public License 2.0", 'did you mean "MPL-2.0"?'],
    ["zlib", 'did you mean "Zlib"?'],
    ["GPLv3", 'did you mean one of "GPL-3.0-only", "GPL-3.0-or-later"?'],
    ["GPL 2+", 'did you mean "GPL-2.0-or-later"?'],
    ["licenseref-acme", 'did you mean "LicenseRef-acme"?'],
    [
      "LicenseRef-Acme Corp",
      'only letters, digits, "." and "-" may follow "LicenseRef-": did you mean "LicenseRef-Acme-Corp"?',
    ],
    ["LicenseRef-", 'add a name after "LicenseRef-", e.g. "LicenseRef-Proprietary"'],
    [
      "Proprietary",
      'for a licence not on the SPDX list use a "LicenseRef-" id, e.g. "LicenseRef-Proprietary"',
    ],
    [
      "UNLICENSED",
      'for a licence not on the SPDX list use a "LicenseRef-" id, e.g. "LicenseRef-Proprietary"',
    ],
  ];
  for (const [id, expected] of cases) {
    assert.equal(licenseHint(id), expected, JSON.stringify(id));
  }
});

Deno.test("licenseHint() asks for one id per entry instead of an SPDX expression", () => {
  const cases: [string, string][] = [
    ["MIT OR Apache-2.0", 'list each licence separately: ["MIT", "Apache-2.0"]'],
    ["(MIT AND BSD-3-Clause)", 'list each licence separately: ["MIT", "BSD-3-Clause"]'],
    ["mit or apache 2.0", 'list each licence separately: ["MIT", "Apache-2.0"]'],
    ["MIT/Apache-2.0", 'list each licence separately: ["MIT", "Apache-2.0"]'],
    ["(MIT OR Apache-2.0) AND ISC", 'list each licence separately: ["MIT", "Apache-2.0", "ISC"]'],
    [
      "Apache-2.0 WITH LLVM-exception",
      'licence exceptions ("WITH LLVM-exception") are not accepted: list ["Apache-2.0"] and ' +
      'describe the exception, or use a "LicenseRef-" id',
    ],
  ];
  for (const [id, expected] of cases) {
    assert.equal(licenseHint(id), expected, JSON.stringify(id));
  }
});

Deno.test("licenseHint() says nothing for valid ids or unknown names", () => {
  for (const id of ["MIT", "Apache-2.0", "LicenseRef-Acme", "GPL-2.0"]) {
    assert.equal(licenseHint(id), undefined, id);
  }
  for (const id of ["Foo Bar", "xyz", "BSD", "GPL"]) {
    assert.equal(licenseHint(id), undefined, id);
  }
});
