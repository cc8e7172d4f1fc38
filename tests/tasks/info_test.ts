import assert from "node:assert/strict";
import { HexpubError } from "../../src/errors.ts";
import type { Package, Release } from "../../src/registry/messages.ts";
import {
  latestStableRelease,
  nearestVersions,
  newestFirst,
  packageInfo,
  releaseInfo,
} from "../../src/tasks/info.ts";
import { cleanRegistryText } from "../../src/registry/registry_text.ts";
import { renderInfo } from "../../src/ui/render_info.ts";

function release(version: string, extra: Partial<Release> = {}): Release {
  return {
    version,
    innerChecksum: new Uint8Array(32).fill(0xab),
    outerChecksum: new Uint8Array(32).fill(0x0f),
    dependencies: [],
    ...extra,
  };
}

const pkg = (versions: (string | Release)[]): Package => ({
  name: "widget",
  repository: "hexpm",
  releases: versions.map((v) => (typeof v === "string" ? release(v) : v)),
});

Deno.test("newestFirst() orders by SemVer, not text (1.10.0 above 1.9.0, a release above its rc)", () => {
  const sorted = newestFirst(
    ["1.9.0", "1.10.0", "1.10.0-rc.1", "0.1.0", "not-a-version"].map((version) => ({ version })),
  );
  assert.deepEqual(sorted.map((r) => r.version), [
    "1.10.0",
    "1.10.0-rc.1",
    "1.9.0",
    "0.1.0",
    "not-a-version",
  ]);
});

Deno.test("latestStableRelease() skips pre-releases and retired releases", () => {
  const p = pkg([
    "1.0.0",
    release("1.1.0", { retired: { reason: 2, message: "CVE" } }),
    "2.0.0-rc.1",
  ]);
  assert.equal(latestStableRelease(p)?.version, "1.0.0");
  assert.equal(latestStableRelease(pkg(["2.0.0-rc.1"])), undefined);
});

Deno.test("packageInfo() lists versions newest first with retirement reasons in the API's words", () => {
  const info = packageInfo(
    pkg([
      release("1.0.0", { publishedAt: { seconds: 1_700_000_000, nanos: 0 } }),
      release("1.1.0", {
        retired: { reason: 4, message: "now gadget" },
        dependencies: [{ package: "a", requirement: "~> 1.0" }],
      }),
      release("1.2.0", { retired: { reason: 9 } }),
    ]),
    "hexpm:acme",
  );
  assert.equal(info.repository, "hexpm:acme");
  assert.equal(info.latestStable, "1.0.0");
  assert.deepEqual(info.versions.map((v) => [v.version, v.dependencies, v.retired]), [
    ["1.2.0", 0, { reason: "unknown (9)" }],
    ["1.1.0", 1, { reason: "renamed", message: "now gadget" }],
    ["1.0.0", 0, undefined],
  ]);
  assert.equal(info.versions[2].publishedAt, "2023-11-14T22:13:20.000Z");
});

Deno.test("releaseInfo() gives both checksums, dependencies sorted, app and repository only when they differ", () => {
  const r = releaseInfo(
    pkg([
      release("1.0.0", {
        dependencies: [
          { package: "zed", requirement: "~> 2.0", optional: true },
          { package: "alpha", requirement: ">= 0.0.0", app: "alpha", repository: "acme" },
          { package: "mid", requirement: "1.0.0", app: "mid_app" },
        ],
      }),
    ]),
    "hexpm",
    "1.0.0",
  );
  assert.equal(r.checksum, "0f".repeat(32));
  assert.equal(r.innerChecksum, "AB".repeat(32));
  assert.deepEqual(r.dependencies, [
    { package: "alpha", requirement: ">= 0.0.0", optional: false, repository: "acme" },
    { package: "mid", requirement: "1.0.0", optional: false, app: "mid_app" },
    { package: "zed", requirement: "~> 2.0", optional: true },
  ]);
  const old = releaseInfo(pkg([release("0.1.0", { outerChecksum: undefined })]), "hexpm", "0.1.0");
  assert.equal(old.checksum, undefined);
});

Deno.test("releaseInfo() for an unknown version names the versions nearest to it", () => {
  const many = pkg(["0.1.0", "0.2.0", "0.3.0", "1.0.0", "1.1.0", "1.2.0", "2.0.0", "3.0.0"]);
  assert.deepEqual(nearestVersions(many, "1.1.5"), [
    "3.0.0",
    "2.0.0",
    "1.2.0",
    "1.1.0",
    "1.0.0",
    "0.3.0",
  ]);
  assert.deepEqual(nearestVersions(many, "0.0.1"), [
    "1.2.0",
    "1.1.0",
    "1.0.0",
    "0.3.0",
    "0.2.0",
    "0.1.0",
  ]);
  assert.throws(
    () => releaseInfo(many, "hexpm", "1.1.5"),
    (e: unknown) =>
      e instanceof HexpubError &&
      e.message === 'package "widget" has no version "1.1.5" in repository "hexpm"' &&
      /1\.2\.0, 1\.1\.0, 1\.0\.0/.test(e.hint ?? "") && /8 in all/.test(e.hint ?? ""),
  );
});

Deno.test("registry text is cleaned of control characters in messages and in what info prints", () => {
  assert.equal(cleanRegistryText("a\x1b[2Jb\x07\r\n\u009bc\x7f "), "a [2Jb c");
  const hostile = pkg(["1.0.0", "1.1.0\x1b]0;x\x07"]);
  assert.throws(
    () => releaseInfo(hostile, "team", "9.9.9"),
    (e: unknown) =>
      // deno-lint-ignore no-control-regex
      e instanceof HexpubError && !/[\x07\x1b]/.test(`${e.message}${e.hint}`) &&
      /1\.1\.0 \]0;x/.test(e.hint ?? ""),
  );
  const text = renderInfo(packageInfo({
    ...hostile,
    releases: [
      release("1.0.0", {
        retired: { reason: 1, message: "bad\x1b[31m" },
        dependencies: [{ package: "dep\x1b[1m", requirement: "~> 1.0\r" }],
      }),
    ],
  }, "team")).concat(renderInfo(releaseInfo(
    {
      ...hostile,
      releases: [
        release("1.0.0", { dependencies: [{ package: "dep\x1b[1m", requirement: "~> 1\r" }] }),
      ],
    },
    "team",
    "1.0.0",
  ))).join("\n");
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  assert.match(text, /retired \(invalid\): bad \[31m/);
  assert.match(text, /dep \[1m +~> 1/);
});
