import assert from "node:assert/strict";
import {
  advisorySeverityName,
  decodeNames,
  decodePackage,
  decodeSigned,
  decodeVersions,
  encodeNames,
  encodePackage,
  encodeSigned,
  encodeVersions,
  type Package,
  retirementReasonCode,
  retirementReasonName,
} from "../../src/registry/messages.ts";

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const bytes = (...parts: (number | number[])[]) => Uint8Array.from(parts.flat());

Deno.test("encodeSigned() writes payload (1, LEN) then signature (2, LEN)", () => {
  const out = encodeSigned({ payload: Uint8Array.of(1, 2), signature: Uint8Array.of(3) });
  // key 1<<3|2 = 0x0a, len 2; key 2<<3|2 = 0x12, len 1
  assert.deepEqual(out, bytes(0x0a, 2, 1, 2, 0x12, 1, 3));
  assert.deepEqual(decodeSigned(out), {
    payload: Uint8Array.of(1, 2),
    signature: Uint8Array.of(3),
  });
  assert.deepEqual(decodeSigned(bytes(0x0a, 0)), { payload: new Uint8Array() });
});

Deno.test("encodeNames() matches hand-computed bytes", () => {
  const out = encodeNames({
    packages: [{ name: "a", updatedAt: { seconds: 1_700_000_000, nanos: 0 } }],
    repository: "hexpm",
  });
  // Timestamp: 0x08 varint(1700000000) = 80 e2 cf aa 06 ; 0x10 00   -> 8 bytes
  const ts = [0x08, 0x80, 0xe2, 0xcf, 0xaa, 0x06, 0x10, 0x00];
  // Names.Package: 0x0a 01 'a' ; 0x1a len(ts)=8 ts  -> 3 + 2 + 8 = 13 bytes
  const pkg = [0x0a, 1, ...ascii("a"), 0x1a, ts.length, ...ts];
  const expected = bytes(0x0a, pkg.length, pkg, 0x12, 5, ascii("hexpm"));
  assert.equal(pkg.length, 13);
  assert.deepEqual(out, expected);
  assert.deepEqual(decodeNames(out), {
    packages: [{ name: "a", updatedAt: { seconds: 1_700_000_000, nanos: 0 } }],
    repository: "hexpm",
  });
});

Deno.test("encodeVersions() packs retired; decodeVersions() accepts packed and unpacked", () => {
  const msg = {
    packages: [{ name: "x", versions: ["1.0.0", "1.1.0", "2.0.0"], retired: [0, 2] }],
    repository: "r",
  };
  const out = encodeVersions(msg);
  const pkg = [
    0x0a,
    1,
    ...ascii("x"),
    ...[0x12, 5, ...ascii("1.0.0")],
    ...[0x12, 5, ...ascii("1.1.0")],
    ...[0x12, 5, ...ascii("2.0.0")],
    ...[0x1a, 2, 0, 2], // field 3, LEN (packed), two varints
  ];
  assert.deepEqual(out, bytes(0x0a, pkg.length, pkg, 0x12, 1, ascii("r")));
  assert.deepEqual(decodeVersions(out), msg);

  // Unpacked: field 3 as varints (key 0x18), interleaved with packed; plus negative int32.
  const unpacked = [0x0a, 1, ...ascii("x"), 0x18, 0, 0x1a, 1, 2, 0x18, ...neg1()];
  const dec = decodeVersions(bytes(0x0a, unpacked.length, unpacked, 0x12, 1, ascii("r")));
  assert.deepEqual(dec.packages[0].retired, [0, 2, -1]);
  assert.deepEqual(dec.packages[0].versions, []);
});

function neg1(): number[] {
  // int32 -1 is sign-extended to 64 bits: nine 0xff then 0x01.
  return [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
}

Deno.test("encodePackage() matches hand-computed bytes for one release", () => {
  const inner = new Uint8Array(32).fill(0xaa);
  const outer = new Uint8Array(32).fill(0xbb);
  const msg: Package = {
    releases: [{
      version: "1.0.0",
      innerChecksum: inner,
      dependencies: [{ package: "b", requirement: "~> 1.0", optional: true, app: "bapp" }],
      retired: { reason: 2, message: "cve" },
      outerChecksum: outer,
    }],
    name: "a",
    repository: "hexpm",
  };
  const dep = [
    ...[0x0a, 1, ...ascii("b")],
    ...[0x12, 6, ...ascii("~> 1.0")],
    ...[0x18, 1],
    ...[0x22, 4, ...ascii("bapp")],
  ];
  const ret = [0x08, 2, 0x12, 3, ...ascii("cve")];
  const rel = [
    ...[0x0a, 5, ...ascii("1.0.0")],
    ...[0x12, 32, ...inner],
    ...[0x1a, dep.length, ...dep],
    ...[0x22, ret.length, ...ret],
    ...[0x2a, 32, ...outer],
  ];
  const expected = bytes(0x0a, rel.length, rel, 0x12, 1, ascii("a"), 0x1a, 5, ascii("hexpm"));
  const out = encodePackage(msg);
  assert.deepEqual(out, expected);
  assert.deepEqual(decodePackage(out), msg);
});

Deno.test("decodePackage() round-trips timestamps, minimal deps and unknown enum values", () => {
  const msg: Package = {
    releases: [
      {
        version: "0.1.0",
        innerChecksum: new Uint8Array(32),
        dependencies: [{ package: "c", requirement: ">= 0.0.0", repository: "other" }],
        retired: { reason: 9 },
        outerChecksum: new Uint8Array(32).fill(1),
        publishedAt: { seconds: 1_234_567_890, nanos: 123_456_789 },
      },
      { version: "0.2.0-rc.1", innerChecksum: new Uint8Array(32), dependencies: [] },
    ],
    name: "ünïcode_ok",
    repository: "hexpm:acme",
  };
  assert.deepEqual(decodePackage(encodePackage(msg)), msg);
  assert.equal(retirementReasonName(9), "unknown (9)");
  assert.equal(retirementReasonName(2), "security");
  assert.equal(retirementReasonCode("renamed"), 4);
  assert.equal(retirementReasonCode("nope"), undefined);
});

Deno.test("decoders skip unknown fields of every wire type", () => {
  const unknown = [
    ...[0x48, 0x96, 0x01], // field 9 varint 150
    ...[0x51, 1, 2, 3, 4, 5, 6, 7, 8], // field 10 fixed64
    ...[0x5a, 3, 9, 9, 9], // field 11 LEN
    ...[0x65, 1, 2, 3, 4], // field 12 fixed32
    ...[0x6b, 0x08, 1, 0x6c], // field 13 group containing a varint, then end group
  ];
  const names = decodeNames(bytes(unknown, 0x12, 1, ascii("r"), unknown));
  assert.deepEqual(names, { packages: [], repository: "r" });
  const vp = [0x0a, 1, ...ascii("x"), ...unknown];
  assert.deepEqual(decodeVersions(bytes(0x0a, vp.length, vp, 0x12, 1, ascii("r"))).packages, [
    { name: "x", versions: [], retired: [] },
  ]);
  const rel = [0x0a, 1, ...ascii("1"), 0x12, 0, ...unknown];
  const pkg = decodePackage(
    bytes(0x0a, rel.length, rel, 0x12, 1, ascii("p"), 0x1a, 1, ascii("r"), ...unknown),
  );
  assert.deepEqual(pkg.releases, [{
    version: "1",
    innerChecksum: new Uint8Array(),
    dependencies: [],
  }]);
});

Deno.test("decoders throw SyntaxError on malformed bytes and missing required fields", () => {
  assert.throws(() => decodeNames(bytes(0x0a, 5, 1)), SyntaxError); // length past the end
  assert.throws(() => decodeNames(bytes()), /required field "repository"/);
  assert.throws(() => decodeNames(bytes(0x0a, 0)), /required field "name"/);
  assert.throws(() => decodeSigned(bytes(0x12, 0)), /required field "payload"/);
  assert.throws(() => decodeNames(bytes(0x48, 0x80)), /truncated varint/);
  assert.throws(() => decodeNames(bytes(0x12, 1, 0xff)), /not valid UTF-8/);
  assert.throws(() => decodePackage(bytes(0x12, 1, 0x61)), /required field "repository"/);
});

Deno.test("security advisories: Package.advisories (4), Release.advisory_indexes (6) unpacked, Versions with_advisories (5) packed", () => {
  const advisory = [
    ...[0x0a, 4, ...ascii("GHSA")],
    ...[0x12, 3, ...ascii("bad")],
    ...[0x1a, 1, ...ascii("h")],
    ...[0x20, 3], // severity HIGH
    ...[0x2d, 0x00, 0x00, 0xf0, 0x40], // cvss_score 7.5 as a little-endian float
    ...[0x32, 1, ...ascii("a")],
    ...[0x3a, 3, ...ascii("CVE")],
  ];
  const rel = [0x0a, 1, ...ascii("1"), 0x12, 0, 0x30, 0, 0x30, 1];
  const file = bytes(
    0x0a,
    rel.length,
    rel,
    0x12,
    1,
    ascii("p"),
    0x1a,
    1,
    ascii("r"),
    0x22,
    advisory.length,
    advisory,
    0x22,
    advisory.length,
    advisory,
  );
  const msg: Package = {
    releases: [{
      version: "1",
      innerChecksum: new Uint8Array(),
      dependencies: [],
      advisoryIndexes: [0, 1],
    }],
    name: "p",
    repository: "r",
    advisories: [0, 1].map(() => ({
      id: "GHSA",
      summary: "bad",
      htmlUrl: "h",
      severity: 3,
      cvssScore: 7.5,
      apiUrl: "a",
      aliases: ["CVE"],
    })),
  };
  assert.deepEqual(decodePackage(file), msg);
  assert.deepEqual(encodePackage(msg), file);
  // Packed indexes are read too; a score is single precision.
  const packed = [0x0a, 1, ...ascii("1"), 0x12, 0, 0x32, 2, 0, 1];
  const minimal = { id: "X", summary: "", htmlUrl: "", apiUrl: "", aliases: [], cvssScore: 9.8 };
  const decoded = decodePackage(
    encodePackage({ releases: [], name: "p", repository: "r", advisories: [minimal] }),
  );
  assert.equal(decoded.advisories![0].cvssScore, Math.fround(9.8));
  assert.deepEqual(
    decodePackage(bytes(0x0a, packed.length, packed, 0x12, 1, ascii("p"), 0x1a, 1, ascii("r")))
      .releases[0].advisoryIndexes,
    [0, 1],
  );
  assert.throws(
    () => decodePackage(bytes(0x12, 1, ascii("p"), 0x1a, 1, ascii("r"), 0x22, 0)),
    /required field "id"/,
  );
  const vp = [0x0a, 1, ...ascii("x"), 0x2a, 2, 0, 2];
  const versions = bytes(0x0a, vp.length, vp, 0x12, 1, ascii("r"));
  const decodedVersions = decodeVersions(versions);
  assert.deepEqual(decodedVersions.packages, [
    { name: "x", versions: [], retired: [], withAdvisories: [0, 2] },
  ]);
  assert.deepEqual(encodeVersions(decodedVersions), versions);
  assert.equal(advisorySeverityName(4), "critical");
  assert.equal(advisorySeverityName(7), "unknown (7)");
});
