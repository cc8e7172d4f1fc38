import assert from "node:assert/strict";
import { packTar, type TarEntry, type TarHeader } from "modern-tar";
import { bin, list, termEquals, tuple } from "../../src/erlang/term.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { metadataToJson } from "../../src/tarball/metadata_config.ts";
import { unpackDocs, unpackPackage } from "../../src/tarball/unpack_package.ts";
import { memFile, nodeSha256, pseudoRandomBytes, rejectsWith } from "./_helpers.ts";

/** A plain file header for tarballs made with modern-tar (an independent writer). */
function memoryFileHeader(name: string, size: number): TarHeader {
  return { name, size, mode: 0o644, type: "file", mtime: new Date(946_684_800_000) };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const fixtures = new URL("./fixtures/", import.meta.url);

const METADATA = '{<<"name">>,<<"foo">>}.\n{<<"version">>,<<"1.0.0">>}.\n';

function innerTar(entries: TarEntry[]): Promise<Uint8Array> {
  return packTar(entries);
}

/** An outer tarball from parts; CHECKSUM is computed unless given. */
async function outerTar(parts: {
  version?: string | Uint8Array;
  checksum?: string;
  metadata?: string;
  contents?: Uint8Array;
  omit?: string[];
  extra?: [string, Uint8Array][];
  order?: string[];
}): Promise<Uint8Array> {
  const version = typeof parts.version === "string" || parts.version === undefined
    ? enc.encode(parts.version ?? "3")
    : parts.version;
  const metadata = enc.encode(parts.metadata ?? METADATA);
  const contents = parts.contents ??
    gzipBytes(await innerTar([{ header: memoryFileHeader("a.txt", 1), body: "a" }]));
  const checksum = parts.checksum ?? nodeSha256(version, metadata, contents).toUpperCase();
  const files = new Map<string, Uint8Array>([
    ["VERSION", version],
    ["CHECKSUM", enc.encode(checksum)],
    ["metadata.config", metadata],
    ["contents.tar.gz", contents],
    ...(parts.extra ?? []),
  ]);
  const order = parts.order ?? [...files.keys()];
  return packTar(
    order.filter((name) => !parts.omit?.includes(name)).map((name) => ({
      header: memoryFileHeader(name, files.get(name)!.length),
      body: files.get(name)!,
    })),
  );
}

Deno.test("unpackPackage() reads a tarball written by hex_core", async () => {
  const tarball = await Deno.readFile(new URL("hex_core_foo-1.0.0.tar", fixtures));
  const pkg = await unpackPackage(tarball);
  assert.equal(pkg.version, "3");
  assert.equal(
    pkg.innerChecksum,
    "A38743EA4EFA2963D0CDADD6F40371736A412285A78F8A251A9617174BBCD403",
  );
  assert.equal(
    pkg.outerChecksum,
    "2cf64d5808f4d380f41a4cc839cd9bcda1299acae7f2432090d5773cd9238b53",
  );
  assert.deepEqual(
    pkg.files.map((f) => [f.path, f.kind, f.mode, dec.decode(f.data)]),
    [
      ["src/foo.erl", "file", 0o644, "-module(foo).\n"],
      ["src/foo.app.src", "file", 0o644, "{application, foo, []}.\n"],
      ["rebar.config", "file", 0o644, "{deps, []}.\n"],
    ],
  );
  const json = metadataToJson(pkg.metadata);
  assert.equal(json.description, 'Café 🌈 "quoted"');
  assert.deepEqual(json.requirements, {
    bar: { app: "bar", optional: false, requirement: "~> 1.0", repository: "hexpm" },
  });
  const links = pkg.metadata.find(([k]) => k === "links")![1];
  assert.ok(termEquals(links, list([tuple(bin("GitHub"), bin("https://github.com/x/foo"))])));
  assert.match(pkg.metadataConfig, /^\{<<"app">>,<<"foo">>\}\.\n/);
});

Deno.test("unpackDocs() reads a docs tarball written by hex_core", async () => {
  const tarball = await Deno.readFile(new URL("hex_core_foo-1.0.0-docs.tar.gz", fixtures));
  const docs = await unpackDocs(tarball);
  assert.equal(docs.checksum, nodeSha256(tarball));
  assert.deepEqual(docs.files.map((f) => [f.path, dec.decode(f.data)]), [
    ["index.html", "<!doctype html>\n"],
    ["dist/app.js", "x()\n"],
  ]);
});

Deno.test("unpackPackage() accepts reordered entries, lower-case CHECKSUM and extra files", async () => {
  const version = enc.encode("3");
  const metadata = enc.encode(METADATA);
  const contents = gzipBytes(await innerTar([{ header: memoryFileHeader("x", 1), body: "x" }]));
  const tarball = await outerTar({
    contents,
    checksum: nodeSha256(version, metadata, contents),
    order: ["contents.tar.gz", "metadata.config", "extra.txt", "VERSION", "CHECKSUM"],
    extra: [["extra.txt", enc.encode("ignored")]],
  });
  const pkg = await unpackPackage(tarball);
  assert.equal(pkg.innerChecksum, nodeSha256(version, metadata, contents).toUpperCase());
  assert.deepEqual(pkg.files.map((f) => f.path), ["x"]);
});

Deno.test("unpackPackage() refuses a tarball over the size limit", async () => {
  const tarball = await outerTar({});
  await rejectsWith(
    unpackPackage(tarball, { maxSize: tarball.length - 1 }),
    "too_big",
    /^package exceeds max compressed size/,
  );
});

Deno.test("unpackPackage() refuses bytes that are not a tar", async () => {
  await rejectsWith(unpackPackage(pseudoRandomBytes(2048)), "invalid_tarball", /^tarball error, /);
  await rejectsWith(unpackPackage(new Uint8Array(1024)), "empty", "empty tarball");
});

Deno.test("unpackPackage() names missing outer files", async () => {
  await rejectsWith(
    unpackPackage(await outerTar({ omit: ["CHECKSUM"] })),
    "invalid_tarball",
    'missing files: ["CHECKSUM"]',
  );
  await rejectsWith(
    unpackPackage(await outerTar({ omit: ["VERSION", "contents.tar.gz"] })),
    "invalid_tarball",
    'missing files: ["VERSION","contents.tar.gz"]',
  );
});

Deno.test("unpackPackage() refuses versions other than 3", async () => {
  await rejectsWith(
    unpackPackage(await outerTar({ version: "2" })),
    "invalid_tarball",
    'unsupported version: <<"2">>',
  );
  await rejectsWith(
    unpackPackage(await outerTar({ version: "3\n" })),
    "invalid_tarball",
    'unsupported version: <<"3\\n">>',
  );
  await rejectsWith(
    unpackPackage(await outerTar({ version: "3".repeat(33) })),
    "invalid_tarball",
    "file too big: VERSION",
  );
});

Deno.test("unpackPackage() verifies the inner checksum", async () => {
  await rejectsWith(
    unpackPackage(await outerTar({ checksum: "0".repeat(64) })),
    "invalid_tarball",
    /^tarball checksum mismatch\n\nExpected \(base16-encoded\): 0{64}\nActual {3}\(base16-encoded\): [0-9A-F]{64}$/,
  );
  await rejectsWith(
    unpackPackage(await outerTar({ checksum: "XYZ" })),
    "invalid_tarball",
    "invalid tarball checksum",
  );
  await rejectsWith(
    unpackPackage(await outerTar({ checksum: "A".repeat(62) })),
    "invalid_tarball",
    "invalid tarball checksum",
  );
});

Deno.test("unpackPackage() detects a tampered metadata.config", async () => {
  const { tarball } = await createPackageTarball({
    metadata: [["name", bin("foo")]],
    files: [memFile("a", "x")],
  });
  const needle = enc.encode('<<"foo">>');
  const at = tarball.findIndex((_, i) => needle.every((b, j) => tarball[i + j] === b));
  const tampered = tarball.slice();
  tampered[at + 3] = "g".charCodeAt(0);
  await rejectsWith(unpackPackage(tampered), "invalid_tarball", /^tarball checksum mismatch/);
});

Deno.test("unpackPackage() refuses metadata that does not decode", async () => {
  await rejectsWith(
    unpackPackage(await outerTar({ metadata: '{<<"name">>,<<"foo">>' })),
    "invalid_metadata",
    /^error reading package metadata: /,
  );
  await rejectsWith(
    unpackPackage(await outerTar({ metadata: '{<<"a">>,1.5}.\n' })),
    "invalid_metadata",
  );
  await rejectsWith(
    unpackPackage(await outerTar({}), { maxMetadataSize: 10 }),
    "metadata_too_big",
    "file too big: metadata.config",
  );
});

Deno.test("unpackPackage() reads a Latin-1 metadata.config", async () => {
  // `{<<"d">>,"café"}.` with é as the single byte 0xE9: not UTF-8, so read as Latin-1.
  const latin1 = Uint8Array.from([...'{<<"d">>,"caf\u00e9"}.\n'].map((c) => c.charCodeAt(0)));
  assert.equal(latin1[13], 0xe9);
  const contents = gzipBytes(await innerTar([{ header: memoryFileHeader("x", 1), body: "x" }]));
  const version = enc.encode("3");
  const checksum = nodeSha256(version, latin1, contents).toUpperCase();
  const tarball = await packTar([
    { header: memoryFileHeader("VERSION", 1), body: version },
    { header: memoryFileHeader("CHECKSUM", 64), body: checksum },
    { header: memoryFileHeader("metadata.config", latin1.length), body: latin1 },
    { header: memoryFileHeader("contents.tar.gz", contents.length), body: contents },
  ]);
  const pkg = await unpackPackage(tarball);
  assert.deepEqual(metadataToJson(pkg.metadata), { d: "café" });
});

Deno.test("unpackPackage() refuses contents that are not gzip", async () => {
  await rejectsWith(
    unpackPackage(await outerTar({ contents: enc.encode("plain") })),
    "invalid_tarball",
    /^inner tarball error, /,
  );
});

Deno.test("unpackPackage() refuses inner paths that escape", async () => {
  for (const name of ["../evil.ex", "/etc/evil", "a/../../evil", "C:/evil"]) {
    const contents = gzipBytes(await innerTar([{ header: memoryFileHeader(name, 1), body: "x" }]));
    await rejectsWith(
      unpackPackage(await outerTar({ contents })),
      "unsafe_path",
      `unsafe path in tarball: ${name}`,
    );
  }
});

Deno.test("unpackPackage() refuses inner symlinks that point outside", async () => {
  for (const target of ["../../x", "/etc/passwd"]) {
    const contents = gzipBytes(
      await innerTar([{
        header: { name: "lib/link", type: "symlink", size: 0, linkname: target },
      }]),
    );
    await rejectsWith(
      unpackPackage(await outerTar({ contents })),
      "unsafe_symlink",
      `unsafe symlink in tarball: lib/link -> ${target}`,
    );
  }
  const ok = gzipBytes(
    await innerTar([{ header: { name: "lib/link", type: "symlink", size: 0, linkname: "../a" } }]),
  );
  const pkg = await unpackPackage(await outerTar({ contents: ok }));
  assert.deepEqual(pkg.files[0], {
    path: "lib/link",
    kind: "symlink",
    mode: 0o644,
    target: "../a",
  });
});

Deno.test("unpackPackage() refuses hard links and devices", async () => {
  for (const type of ["link", "fifo", "character-device"] as const) {
    const contents = gzipBytes(
      await innerTar([{ header: { name: "x", type, size: 0, linkname: "a" } }]),
    );
    await rejectsWith(unpackPackage(await outerTar({ contents })), "unsupported_file_type");
  }
});

Deno.test("unpackPackage() stops inflating at the uncompressed limit", async () => {
  const bomb = gzipBytes(
    await innerTar([{
      header: memoryFileHeader("zeros", 4_000_000),
      body: new Uint8Array(4_000_000),
    }]),
  );
  assert.ok(bomb.length < 10_000);
  await rejectsWith(
    unpackPackage(await outerTar({ contents: bomb }), { maxUncompressedSize: 1_000_000 }),
    "too_big_uncompressed",
    "package exceeds max uncompressed size 1 MB",
  );
});

Deno.test("unpackDocs() checks size, format and paths", async () => {
  const good = gzipBytes(
    await innerTar([{ header: memoryFileHeader("index.html", 1), body: "x" }]),
  );
  await rejectsWith(unpackDocs(good, { maxSize: good.length - 1 }), "too_big");
  await rejectsWith(unpackDocs(enc.encode("not gzip")), "invalid_tarball");
  const evil = gzipBytes(await innerTar([{ header: memoryFileHeader("../x", 1), body: "x" }]));
  await rejectsWith(unpackDocs(evil), "unsafe_path");
  await rejectsWith(
    unpackDocs(good, { maxUncompressedSize: 100 }),
    "too_big_uncompressed",
    /^docs tarball exceeds max uncompressed size/,
  );
});
