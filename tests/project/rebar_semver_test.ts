/** erlware_commons' ec_semver behaviour, as rebar3 3.19 relies on it. */
import assert from "node:assert/strict";
import {
  eql,
  formatRebarVersion,
  gt,
  isPlain,
  lt,
  parseRebarVersion as p,
  pes,
} from "../../src/project/rebar_semver.ts";

Deno.test("parseRebarVersion() reads ec_semver's grammar", () => {
  assert.deepEqual(p("1.2.3"), { parts: [1n, 2n, 3n], pre: [], build: [] });
  assert.deepEqual(p("v1.0"), { parts: [1n, 0n], pre: [], build: [] });
  assert.deepEqual(p("1.0.0-rc.1+build.02"), {
    parts: [1n, 0n, 0n],
    pre: ["rc", 1n],
    build: ["build", 2n],
  });
  // The first pre-release part stays text even when it is digits.
  assert.deepEqual(p("1.0.0-1").pre, ["1"]);
  assert.deepEqual(p("1.0.0.4").parts, [1n, 0n, 0n, 4n]);
  assert.deepEqual(p("1.0.0-rc-1").pre, ["rc-1"]);
  // Trailing text, five parts, a leading space: kept whole.
  for (const bad of ["1.0a", "1.0.0.0.0", "1.", " 1.0.0"]) {
    assert.deepEqual(p(bad), { parts: [bad], pre: [], build: [] }, bad);
  }
});

Deno.test("formatRebarVersion() writes numbers without leading zeros", () => {
  assert.equal(formatRebarVersion(p("1.2.3-rc.01")), "1.2.3-rc.1");
  assert.equal(formatRebarVersion(p("1.2.3+b.7")), "1.2.3+b.7");
  assert.equal(formatRebarVersion(p("1.0.0-rc-1")), "1.0.0-rc-1");
  assert.equal(formatRebarVersion(p("1.0a")), "1.0a");
});

Deno.test("gt/lt/eql order versions as ec_semver does", () => {
  const ascending = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0-rc.1+build.1",
    "1.0.0",
    "1.0.0+0.3.7",
    "1.3.7+build",
    "1.3.7+build.2.b8f12d7",
    "1.3.7+build.11.e0f985a",
  ];
  for (let i = 0; i + 1 < ascending.length; i++) {
    const [a, b] = [p(ascending[i]), p(ascending[i + 1])];
    assert.ok(
      gt(b, a) && lt(a, b) && !gt(a, b) && !lt(b, a),
      `${ascending[i + 1]} > ${ascending[i]}`,
    );
  }
  assert.ok(eql(p("1"), p("1.0.0")) && eql(p("1.0"), p("1.0.0.0")));
  // Unparseable text compares above every number.
  assert.ok(gt(p("1.0a"), p("99.0.0")));
});

Deno.test("pes() is ~>: two parts bound the major, three the minor, four the patch", () => {
  const yes = (v: string, c: string) => assert.ok(pes(p(v), p(c)), `${v} ~> ${c}`);
  const no = (v: string, c: string) => assert.ok(!pes(p(v), p(c)), `not ${v} ~> ${c}`);
  yes("2.9.9", "2.6");
  no("3.0.0", "2.6");
  no("2.5.9", "2.6");
  yes("2.6.9", "2.6.5");
  no("2.7.0", "2.6.5");
  yes("1.2.3.9", "1.2.3.4");
  no("1.2.4.0", "1.2.3.4");
  // A pre-release of the bound is below the bound, so it matches (when offered at all).
  yes("2.7.0-rc.1", "2.6.5");
  // One part is plain >=.
  yes("7.0.0", "2");
});

Deno.test("isPlain() is false for pre-release and build versions", () => {
  assert.ok(isPlain(p("1.0.0")));
  assert.ok(!isPlain(p("1.0.0-rc.1")));
  assert.ok(!isPlain(p("1.0.0+b1")));
});
