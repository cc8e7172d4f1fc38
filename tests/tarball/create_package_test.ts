import assert from "node:assert/strict";
import { unpackTar } from "modern-tar";
import { bin, list, type Term } from "../../src/erlang/term.ts";
import { createPackageTarball, type PackageTarball } from "../../src/tarball/create_package.ts";
import { gunzipBytes } from "../../src/tarball/gzip.ts";
import { decodeMetadata } from "../../src/tarball/metadata_config.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import {
  dir,
  endOfEntries,
  generatedFile,
  memFile,
  nodeSha256,
  pseudoRandomBytes,
  rawHeaders,
  rejectsWith,
  run,
  streamedFile,
  symlink,
} from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const metadata: [string, Term][] = [
  ["name", bin("foo")],
  ["version", bin("1.0.0")],
  ["app", bin("foo")],
  ["description", bin("Café 🌈")],
  ["licenses", list([bin("Apache-2.0")])],
  ["build_tools", list([bin("rebar3")])],
  ["files", list([bin("src/foo.erl"), bin("rebar.config")])],
];

const longPath = `priv/${"deep/".repeat(25)}file.txt`;
const unicodePath = "priv/ünïcödé/日本語.txt";

function sampleFiles(): PackageFile[] {
  return [
    memFile("rebar.config", "{deps, []}.\n"),
    dir("src"),
    memFile("src/foo.erl", "-module(foo).\n"),
    streamedFile("priv/run.sh", enc.encode("#!/bin/sh\necho hi\n"), { mode: 0o755, chunk: 3 }),
    dir("priv/empty"),
    symlink("priv/link.erl", "../src/foo.erl"),
    memFile(longPath, "long"),
    memFile(unicodePath, "unicode"),
  ];
}

async function outerEntries(tarball: Uint8Array): Promise<Map<string, Uint8Array>> {
  const entries = await unpackTar(tarball, { strict: true });
  return new Map(entries.map((e) => [e.header.name, e.data ?? new Uint8Array()]));
}

let built: PackageTarball | undefined;
async function sample(): Promise<PackageTarball> {
  built ??= await createPackageTarball({ metadata, files: sampleFiles() });
  return built;
}

Deno.test("createPackageTarball() writes VERSION, CHECKSUM, metadata.config, contents.tar.gz in order", async () => {
  const { tarball } = await sample();
  const headers = rawHeaders(tarball);
  assert.deepEqual(headers.map((h) => h.name), [
    "VERSION",
    "CHECKSUM",
    "metadata.config",
    "contents.tar.gz",
  ]);
  const outer = await outerEntries(tarball);
  assert.equal(dec.decode(outer.get("VERSION")), "3");
  assert.match(dec.decode(outer.get("CHECKSUM")), /^[0-9A-F]{64}$/);
});

Deno.test("createPackageTarball() writes hex_core's raw header fields in the outer tar", async () => {
  const { tarball } = await sample();
  for (const h of rawHeaders(tarball)) {
    assert.equal(h.modeField, "0100644\0", h.name);
    assert.equal(h.uidField, "0000000\0");
    assert.equal(h.gidField, "0000000\0");
    assert.equal(h.mtimeField, "07033241600\0");
    assert.equal(h.typeflag, "0");
    assert.equal(h.magicField, "ustar\u000000");
    assert.ok(h.unameGnameBytes.every((b) => b === 0), "empty uname and gname");
    assert.ok(h.checksumOk);
  }
  // Entries, then exactly two zero blocks: no padding to a 10 KiB record.
  const end = endOfEntries(tarball);
  assert.equal(tarball.length, end + 1024);
  assert.ok(tarball.subarray(end).every((b) => b === 0));
});

Deno.test("createPackageTarball() writes hex_core's raw header fields in contents.tar.gz", async () => {
  const { tarball } = await sample();
  const gz = (await outerEntries(tarball)).get("contents.tar.gz")!;
  assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0]);
  const inner = gunzipBytes(gz);
  const view = new DataView(gz.buffer, gz.byteOffset, gz.byteLength);
  assert.equal(view.getUint32(gz.length - 4, true), inner.length, "ISIZE");

  const headers = rawHeaders(inner).filter((h) => h.typeflag !== "x");
  const byName = new Map(headers.map((h) => [h.prefix ? `${h.prefix}/${h.name}` : h.name, h]));
  assert.equal(byName.get("src/foo.erl")!.modeField, "0100644\0");
  assert.equal(byName.get("src/foo.erl")!.typeflag, "0");
  assert.equal(byName.get("priv/run.sh")!.modeField, "0100755\0");
  assert.equal(byName.get("src/")!.modeField, "0040755\0");
  assert.equal(byName.get("src/")!.typeflag, "5");
  assert.equal(byName.get("priv/empty/")!.typeflag, "5");
  const link = byName.get("priv/link.erl")!;
  assert.equal(link.modeField, "0120777\0");
  assert.equal(link.typeflag, "2");
  assert.equal(link.linkname, "../src/foo.erl");
  assert.ok(byName.has(longPath), "long path split into ustar prefix and name");
  for (const h of headers) {
    assert.equal(h.uidField, "0000000\0");
    assert.equal(h.gidField, "0000000\0");
    assert.equal(h.mtimeField, "07033241600\0");
    assert.equal(h.magicField, "ustar\u000000");
    assert.ok(h.unameGnameBytes.every((b) => b === 0));
    assert.ok(h.checksumOk);
  }
  const pax = rawHeaders(inner).find((h) => h.typeflag === "x")!;
  const record = dec.decode(inner.subarray(pax.offset + 512, pax.offset + 512 + pax.size));
  assert.ok(record.includes(`path=${unicodePath}\n`), "non-ASCII name in a PAX record");
});

Deno.test("createPackageTarball() computes the inner checksum over VERSION ‖ metadata ‖ contents", async () => {
  const result = await sample();
  const outer = await outerEntries(result.tarball);
  const expected = nodeSha256(
    outer.get("VERSION")!,
    outer.get("metadata.config")!,
    outer.get("contents.tar.gz")!,
  ).toUpperCase();
  assert.equal(result.innerChecksum, expected);
  assert.equal(dec.decode(outer.get("CHECKSUM")), expected);
  assert.equal(result.metadataConfig, dec.decode(outer.get("metadata.config")));
  assert.equal(result.contentsSize, outer.get("contents.tar.gz")!.length);
  assert.equal(result.uncompressedSize, gunzipBytes(outer.get("contents.tar.gz")!).length);
});

Deno.test("createPackageTarball() outer checksum equals sha256sum of the written file", async () => {
  const result = await sample();
  assert.match(result.outerChecksum, /^[0-9a-f]{64}$/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/foo-1.0.0.tar`, result.tarball);
    const { stdout } = await run("sha256sum", ["foo-1.0.0.tar"], { cwd: dir });
    assert.equal(stdout.split(" ")[0], result.outerChecksum);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createPackageTarball() output is read by GNU tar, both layers", async () => {
  const result = await sample();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/foo-1.0.0.tar`, result.tarball);
    const listing = (await run("tar", ["-tvf", "foo-1.0.0.tar"], { cwd: dir })).stdout;
    assert.match(listing, /^-rw-r--r-- 0\/0 +1 2000-01-01 00:00 VERSION$/m);
    assert.match(listing, / contents\.tar\.gz$/m);

    await run("tar", ["-xf", "foo-1.0.0.tar"], { cwd: dir });
    assert.equal(await Deno.readTextFile(`${dir}/VERSION`), "3");
    await Deno.mkdir(`${dir}/out`);
    const inner = (await run("tar", ["-tvzf", "../contents.tar.gz"], { cwd: `${dir}/out` })).stdout;
    assert.match(inner, /^-rwxr-xr-x 0\/0 +18 2000-01-01 00:00 priv\/run\.sh$/m);
    assert.match(
      inner,
      /^lrwxrwxrwx 0\/0 +0 2000-01-01 00:00 priv\/link\.erl -> \.\.\/src\/foo\.erl$/m,
    );
    assert.match(inner, /^drwxr-xr-x 0\/0 +0 2000-01-01 00:00 priv\/empty\/$/m);

    await run("tar", ["-xzf", "../contents.tar.gz"], { cwd: `${dir}/out` });
    assert.equal(await Deno.readTextFile(`${dir}/out/src/foo.erl`), "-module(foo).\n");
    assert.equal(await Deno.readTextFile(`${dir}/out/${longPath}`), "long");
    assert.equal(await Deno.readTextFile(`${dir}/out/${unicodePath}`), "unicode");
    assert.equal(await Deno.readTextFile(`${dir}/out/priv/link.erl`), "-module(foo).\n");
    assert.equal((await Deno.lstat(`${dir}/out/priv/link.erl`)).isSymlink, true);
    assert.equal((await Deno.stat(`${dir}/out/priv/empty`)).isDirectory, true);
    assert.equal((await Deno.stat(`${dir}/out/priv/run.sh`)).mode! & 0o777, 0o755);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createPackageTarball() is reproducible", async () => {
  const a = await createPackageTarball({ metadata, files: sampleFiles() });
  // Same content, delivered differently: whole, in 1-byte and in odd chunks.
  const reshaped = sampleFiles().map((f) =>
    f.kind === "file" && f.content ? streamedFile(f.path, f.content, { chunk: 1, mode: f.mode }) : f
  );
  const b = await createPackageTarball({ metadata: [...metadata].reverse(), files: reshaped });
  assert.deepEqual(b.tarball, a.tarball);
  assert.equal(b.innerChecksum, a.innerChecksum);
  assert.equal(b.outerChecksum, a.outerChecksum);

  const big =
    () => [generatedFile("priv/data.bin", 300_000, { seed: 4, alphabet: 30, chunk: 1000 })];
  const c = await createPackageTarball({ metadata, files: big() });
  const d = await createPackageTarball({
    metadata,
    files: [generatedFile("priv/data.bin", 300_000, { seed: 4, alphabet: 30, chunk: 1000 })],
  });
  assert.deepEqual(c.tarball, d.tarball);
});

Deno.test("createPackageTarball() output unpacks to the same files and metadata", async () => {
  const result = await sample();
  const unpacked = await unpackPackage(result.tarball);
  assert.equal(unpacked.version, "3");
  assert.equal(unpacked.innerChecksum, result.innerChecksum);
  assert.equal(unpacked.outerChecksum, result.outerChecksum);
  assert.equal(unpacked.metadataConfig, result.metadataConfig);
  assert.deepEqual(unpacked.metadata, decodeMetadata(result.metadataConfig));
  assert.deepEqual(
    unpacked.files.map((f) => [f.path, f.kind, f.mode, f.target, f.data && dec.decode(f.data)]),
    [
      ["rebar.config", "file", 0o644, undefined, "{deps, []}.\n"],
      ["src", "dir", 0o755, undefined, undefined],
      ["src/foo.erl", "file", 0o644, undefined, "-module(foo).\n"],
      ["priv/run.sh", "file", 0o755, undefined, "#!/bin/sh\necho hi\n"],
      ["priv/empty", "dir", 0o755, undefined, undefined],
      ["priv/link.erl", "symlink", 0o777, "../src/foo.erl", undefined],
      [longPath, "file", 0o644, undefined, "long"],
      [unicodePath, "file", 0o644, undefined, "unicode"],
    ],
  );
});

Deno.test("createPackageTarball() writes metadata.config sorted with hex_core's rules", async () => {
  const { metadataConfig } = await sample();
  assert.equal(
    metadataConfig,
    [
      '{<<"app">>,<<"foo">>}.',
      '{<<"build_tools">>,[<<"rebar3">>]}.',
      '{<<"description">>,<<67,97,102,195,169,32,240,159,140,136>>}.',
      '{<<"files">>,[<<"src/foo.erl">>,<<"rebar.config">>]}.',
      '{<<"licenses">>,[<<"Apache-2.0">>]}.',
      '{<<"name">>,<<"foo">>}.',
      '{<<"version">>,<<"1.0.0">>}.',
      "",
    ].join("\n"),
  );
});

Deno.test("createPackageTarball() refuses an empty file list", async () => {
  await rejectsWith(createPackageTarball({ metadata, files: [] }), "empty");
});

Deno.test("createPackageTarball() refuses unsafe paths", async () => {
  for (const path of ["/etc/passwd", "../x", "src/../../x", "C:/x", "a\\..\\..\\x", "\\x"]) {
    await rejectsWith(
      createPackageTarball({ metadata, files: [memFile(path, "x")] }),
      "unsafe_path",
      `unsafe path in tarball: ${path}`,
    );
  }
});

Deno.test("createPackageTarball() allows symlinks inside and refuses escaping ones", async () => {
  await createPackageTarball({
    metadata,
    files: [
      memFile("a", "x"),
      symlink("lib/b", "../a"),
      symlink("lib/c", "."),
      symlink("d", "lib"),
    ],
  });
  for (
    const [path, target] of [["link", "../x"], ["lib/link", "../../x"], ["lib/l", "/etc/passwd"]]
  ) {
    await rejectsWith(
      createPackageTarball({ metadata, files: [memFile("a", "x"), symlink(path, target)] }),
      "unsafe_symlink",
      `unsafe symlink in tarball: ${path} -> ${target}`,
    );
  }
});

Deno.test("createPackageTarball() refuses other file types", async () => {
  await rejectsWith(
    createPackageTarball({
      metadata,
      files: [{ path: "fifo", kind: "other", mode: 0o644, size: 0 }],
    }),
    "unsupported_file_type",
    "unsupported file type in tarball: fifo (other)",
  );
});

Deno.test("createPackageTarball() refuses a top-level hex_metadata.config", async () => {
  for (const path of ["hex_metadata.config", "./hex_metadata.config"]) {
    await rejectsWith(
      createPackageTarball({ metadata, files: [memFile(path, "x")] }),
      "reserved_file",
    );
  }
  await createPackageTarball({ metadata, files: [memFile("priv/hex_metadata.config", "x")] });
});

Deno.test("createPackageTarball() refuses metadata.config over the limit", async () => {
  const error = await rejectsWith(
    createPackageTarball({
      metadata,
      files: [memFile("a", "x")],
      limits: { maxMetadataSize: 100 },
    }),
    "metadata_too_big",
    "file too big: metadata.config",
  );
  assert.match(error.hint!, /limit is 100/);
  const huge: [string, Term][] = [["description", bin("x".repeat(1024 * 1024))]];
  await rejectsWith(
    createPackageTarball({ metadata: huge, files: [memFile("a", "x")] }),
    "metadata_too_big",
  );
});

Deno.test("createPackageTarball() refuses contents over the uncompressed limit", async () => {
  const error = await rejectsWith(
    createPackageTarball({
      metadata,
      files: [memFile("a", new Uint8Array(5000))],
      limits: { maxUncompressedSize: 4000 },
    }),
    "too_big_uncompressed",
    "package exceeds max uncompressed size 0.004 MB",
  );
  assert.equal(
    error.hint,
    "Exclude large files with exclude_paths or exclude_patterns in the .app.src",
  );
});

Deno.test("createPackageTarball() refuses a tarball over the compressed limit", async () => {
  await rejectsWith(
    createPackageTarball({
      metadata,
      files: [memFile("noise", pseudoRandomBytes(20_000))],
      limits: { maxSize: 10_000 },
    }),
    "too_big",
    "package exceeds max compressed size 0.01 MB",
  );
  // contents.tar.gz fits, but not with the outer headers around it.
  const files = [memFile("a", "x")];
  const { tarball, contentsSize } = await createPackageTarball({ metadata, files });
  await rejectsWith(
    createPackageTarball({ metadata, files, limits: { maxSize: tarball.length - 1 } }),
    "too_big",
  );
  assert.ok(contentsSize < tarball.length - 1);
  await createPackageTarball({ metadata, files, limits: { maxSize: tarball.length } });
});

Deno.test("createPackageTarball() refuses 17 MB of noise with hex_core's default message", async () => {
  const noise = generatedFile("priv/noise.bin", 17_000_000, { seed: 5 });
  await rejectsWith(
    createPackageTarball({ metadata, files: [noise] }),
    "too_big",
    "package exceeds max compressed size 16.777216 MB",
  );
  assert.ok(noise.stats.cancelled || noise.stats.read <= 17_000_000);
});
