import { strict as assert } from "node:assert";
import { renderFetch, renderInfo } from "../../src/ui/render_info.ts";

Deno.test("renderInfo() of a package: latest stable, a version table, retirements with control characters removed", () => {
  const lines = renderInfo({
    kind: "package",
    name: "widget",
    repository: "hexpm:acme",
    latestStable: "1.0.0",
    versions: [
      { version: "2.0.0-rc.1", prerelease: true, dependencies: 2 },
      {
        version: "1.1.0",
        prerelease: false,
        dependencies: 1,
        retired: { reason: "security", message: "bad\u001b[31m news" },
      },
      { version: "1.0.0", prerelease: false, dependencies: 0 },
    ],
  });
  assert.deepEqual(lines, [
    "widget (repository hexpm:acme)",
    "Latest stable version: 1.0.0",
    "",
    "Version     Dependencies  Status",
    "",
    "2.0.0-rc.1  2             pre-release",
    "1.1.0       1             retired (security): bad [31m news",
    "1.0.0       0",
    "",
    "Run `hexpub info widget VERSION -r hexpm:acme` for a release's checksum and dependencies.",
  ]);
  assert.ok(!lines.join("\n").includes("\u001b"));
});

Deno.test("renderInfo() of a package without releases or a stable one", () => {
  assert.deepEqual(
    renderInfo({ kind: "package", name: "x", repository: "hexpm", versions: [] }),
    [
      "x (repository hexpm)",
      "Latest stable version: none (no stable release that is not retired)",
      "No releases",
    ],
  );
});

Deno.test("renderInfo() of a release: retirement, checksums, date and dependency notes", () => {
  assert.deepEqual(
    renderInfo({
      kind: "release",
      name: "widget",
      repository: "hexpm",
      version: "1.1.0",
      checksum: "ab".repeat(32),
      innerChecksum: "CD".repeat(32),
      retired: { reason: "renamed", message: "now gadget" },
      publishedAt: "2024-01-02T03:04:05.000Z",
      dependencies: [
        { package: "cowlib", requirement: "~> 2.12", optional: false },
        {
          package: "jsx",
          requirement: "~> 3.0",
          optional: true,
          app: "my_jsx",
          repository: "acme",
        },
      ],
    }),
    [
      "widget 1.1.0 (repository hexpm)",
      "Retired (renamed): now gadget",
      `Checksum: ${"ab".repeat(32)}`,
      `Inner checksum: ${"CD".repeat(32)}`,
      "Published: 2024-01-02T03:04:05.000Z",
      "Dependencies:",
      "  Name    Requirement  Notes",
      "",
      "  cowlib  ~> 2.12",
      "  jsx     ~> 3.0       optional, app my_jsx, repository acme",
    ],
  );
  const old = renderInfo({
    kind: "release",
    name: "old",
    repository: "hexpm",
    version: "0.1.0",
    innerChecksum: "00",
    dependencies: [],
  });
  assert.ok(old.includes("Checksum: not in the registry (an old release)"));
  assert.ok(old.includes("Dependencies: none"));
});

Deno.test("renderFetch() says what was written where, with the verified checksum", () => {
  assert.deepEqual(
    renderFetch(
      {
        name: "widget",
        version: "1.0.0",
        repository: "local",
        checksum: "ef".repeat(32),
        path: "/w/deps/widget-1.0.0",
        unpacked: true,
        size: 1,
      },
      (p) => p.replace("/w/", ""),
    ),
    [
      "Fetched widget 1.0.0 from repository local",
      "  Unpacked to: deps/widget-1.0.0",
      `  Checksum: ${"ef".repeat(32)} (matches the signed registry)`,
    ],
  );
});
