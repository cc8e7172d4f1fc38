import assert from "node:assert/strict";
import {
  DEFAULT_DOCS_LIMITS,
  DEFAULT_LIMITS,
  formatMegabytes,
  resolveLimits,
} from "../../src/tarball/limits.ts";

Deno.test("DEFAULT_LIMITS are hex_core's: 16 MiB, 128 MiB, 1 MiB", () => {
  assert.deepEqual({ ...DEFAULT_LIMITS }, {
    maxSize: 16_777_216,
    maxUncompressedSize: 134_217_728,
    maxMetadataSize: 1_048_576,
  });
  assert.equal(DEFAULT_DOCS_LIMITS.maxSize, 16_777_216);
  assert.equal(DEFAULT_DOCS_LIMITS.maxUncompressedSize, 134_217_728);
});

Deno.test("resolveLimits() fills in what is not given", () => {
  assert.deepEqual(resolveLimits({ maxSize: 10 }), {
    maxSize: 10,
    maxUncompressedSize: 134_217_728,
    maxMetadataSize: 1_048_576,
  });
  assert.deepEqual(resolveLimits(), { ...DEFAULT_LIMITS });
});

Deno.test("formatMegabytes() prints decimal megabytes like hex_core", () => {
  assert.equal(formatMegabytes(16_777_216), "16.777216");
  assert.equal(formatMegabytes(134_217_728), "134.217728");
  assert.equal(formatMegabytes(2_000_000), "2");
});
