import assert from "node:assert/strict";
import { bin, bool, list, type Term, tuple } from "../../src/erlang/term.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import { diffReleases, isEmptyDiff } from "../../src/tarball/release_diff.ts";

const req = (name: string): Term =>
  tuple(
    bin(name),
    list([
      tuple(bin("app"), bin(name)),
      tuple(bin("optional"), bool(false)),
      tuple(bin("requirement"), bin("~> 1.0")),
    ]),
  );

async function tarball(requirements: Term[], description = "d") {
  const metadata: [string, Term][] = [
    ["name", bin("widget")],
    ["version", bin("1.0.0")],
    ["description", bin(description)],
    ["requirements", list(requirements)],
  ];
  const files = [{
    path: "README.md",
    kind: "file" as const,
    mode: 0o644,
    size: 2,
    content: new TextEncoder().encode("hi"),
  }];
  return (await createPackageTarball({ metadata, files })).tarball;
}

Deno.test("diffReleases() ignores the order of a map's keys (Erlang writes big maps in hash order)", async () => {
  const names = Array.from({ length: 40 }, (_, i) => `dep${i}`);
  const a = await tarball(names.map(req));
  const b = await tarball([...names].reverse().map(req));
  const d = await diffReleases("1.0.0", a, b);
  assert.ok(isEmptyDiff(d), JSON.stringify(d));
  const c = await tarball(names.map(req), "other");
  assert.deepEqual((await diffReleases("1.0.0", a, c)).metadata.map((m) => m.key), ["description"]);
});
