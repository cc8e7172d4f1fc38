import assert from "node:assert/strict";
import { unpackTar } from "modern-tar";
import { HexpubError, TarballError } from "../../src/errors.ts";
import { gunzipBytes } from "../../src/tarball/gzip.ts";
import { minimumTarSize, packContents } from "../../src/tarball/pack_contents.ts";
import type { PackageFile } from "../../src/tarball/package_file.ts";
import {
  dir,
  generatedFile,
  memFile,
  pseudoRandomBytes,
  rawHeaders,
  streamedFile,
  symlink,
} from "./_helpers.ts";

const options = {
  maxUncompressedSize: 1 << 30,
  maxCompressedSize: 1 << 30,
  uncompressedError: () => new TarballError("too_big_uncompressed", "uncompressed"),
  compressedError: () => new TarballError("too_big", "compressed"),
};

Deno.test("packContents() packs entries in the given order", async () => {
  const files = [
    memFile("z.txt", "z"),
    dir("a"),
    memFile("a/b.txt", "bb"),
    symlink("m", "z.txt"),
  ];
  const { compressed, uncompressedSize } = await packContents(files, options);
  const tar = gunzipBytes(compressed);
  assert.equal(uncompressedSize, tar.length);
  const entries = await unpackTar(tar, { strict: true });
  assert.deepEqual(entries.map((e) => e.header.name), ["z.txt", "a/", "a/b.txt", "m"]);
  assert.equal(new TextDecoder().decode(entries[2].data), "bb");
});

Deno.test("packContents() opens one file at a time", async () => {
  let open = 0;
  let maxOpen = 0;
  const files: PackageFile[] = Array.from({ length: 5 }, (_, i) => {
    const bytes = pseudoRandomBytes(100_000, i + 1);
    const file = streamedFile(`f${i}`, bytes, { chunk: 4096 });
    const inner = file.open!;
    return {
      ...file,
      open: async () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        const stream = await inner();
        return stream.pipeThrough(
          new TransformStream({
            flush() {
              open--;
            },
          }),
        );
      },
    };
  });
  await packContents(files, options);
  assert.equal(maxOpen, 1);
});

/** A file read whole through `read()`, logging when each read starts and ends. */
function wholeFile(path: string, bytes: Uint8Array, log: string[], fail?: Error): PackageFile {
  return {
    path,
    kind: "file",
    mode: 0o644,
    size: bytes.length,
    read: async () => {
      log.push(`start ${path}`);
      await new Promise((r) => setTimeout(r, 1));
      log.push(`end ${path}`);
      if (fail) throw fail;
      return bytes.slice(); // read() hands over a fresh buffer, as Deno.readFile does
    },
  };
}

Deno.test("packContents() frees each buffer read() handed over once it is packed", async () => {
  const handed: Uint8Array[] = [];
  const file = (path: string, size: number): PackageFile => ({
    path,
    kind: "file",
    mode: 0o644,
    size,
    read: () => {
      const bytes = pseudoRandomBytes(size, size);
      handed.push(bytes);
      return Promise.resolve(bytes);
    },
  });
  const content = new TextEncoder().encode("kept");
  const kept: PackageFile = { path: "c", kind: "file", mode: 0o644, size: 4, content };
  await packContents([file("a", 1000), file("b", 2000), kept], options);
  assert.deepEqual(handed.map((b) => b.byteLength), [0, 0], "read() buffers are detached");
  assert.equal(content.byteLength, 4, "content the caller holds is left alone");
});

Deno.test("packContents() reads whole files one ahead of the deflater, never more", async () => {
  const log: string[] = [];
  const bodies = Array.from({ length: 6 }, (_, i) => pseudoRandomBytes(50_000 + i, i + 1, 8));
  const files = bodies.map((b, i) => wholeFile(`f${i}`, b, log));
  const { compressed } = await packContents([dir("d"), ...files], options);
  const entries = await unpackTar(gunzipBytes(compressed), { strict: true });
  assert.deepEqual(entries.slice(1).map((e) => e.data), bodies);
  let inFlight = 0;
  let most = 0;
  for (const line of log) {
    inFlight += line.startsWith("start") ? 1 : -1;
    most = Math.max(most, inFlight);
  }
  assert.equal(log.filter((l) => l.startsWith("start")).length, files.length, "one read each");
  assert.equal(most, 2, "the next file is read while this one is packed, and no further");
  assert.deepEqual(
    log.filter((l) => l.startsWith("start")),
    files.map((f) => `start ${f.path}`),
  );
});

Deno.test("packContents() reports the first failure when a read ahead fails too", async () => {
  const log: string[] = [];
  const big = wholeFile("big", pseudoRandomBytes(300_000, 4), log);
  const broken = wholeFile("gone", new Uint8Array(10), log, new Deno.errors.NotFound("gone"));
  await assert.rejects(
    packContents([big, broken], { ...options, maxCompressedSize: 1_000 }),
    (err) => err instanceof TarballError && err.reason === "too_big",
  );
  await assert.rejects(packContents([memFile("a", "x"), broken], options), Deno.errors.NotFound);
});

Deno.test("packContents() enforces the uncompressed limit on the bytes written", async () => {
  // PAX records for non-ASCII names are not in the lower bound checked up
  // front, so only the byte count of the stream catches this tar.
  const files = Array.from({ length: 20 }, (_, i) => memFile(`ü${i}`, new Uint8Array(100)));
  assert.ok(minimumTarSize(files) < 30_000);
  await assert.rejects(
    packContents(files, { ...options, maxUncompressedSize: 30_000 }),
    (err) => err instanceof TarballError && err.reason === "too_big_uncompressed",
  );
  const { uncompressedSize } = await packContents(files, options);
  assert.ok(uncompressedSize > 30_000);
});

Deno.test("packContents() fails fast when declared sizes cannot fit", async () => {
  let opened = 0;
  const files = [streamedFile("big", new Uint8Array(5000), { onOpen: () => opened++ })];
  await assert.rejects(
    packContents(files, { ...options, maxUncompressedSize: 4096 }),
    (err) => err instanceof TarballError && err.reason === "too_big_uncompressed",
  );
  assert.equal(opened, 0);
});

Deno.test("packContents() stops reading once the compressed limit is passed", async () => {
  const noise = generatedFile("noise", 64 * 1024 * 1024, { seed: 9 });
  await assert.rejects(
    packContents([noise], { ...options, maxCompressedSize: 100_000 }),
    (err) => err instanceof TarballError && err.reason === "too_big",
  );
  assert.ok(noise.stats.cancelled, "the file was cancelled");
  assert.ok(noise.stats.read < 32 * 1024 * 1024, `read ${noise.stats.read} bytes`);
});

Deno.test("packContents() fails when a file's length differs from its size", async () => {
  const longer = { ...streamedFile("a", new Uint8Array(100)), size: 50 };
  await assert.rejects(
    packContents([longer], options),
    (err) => err instanceof HexpubError && /Cannot pack "a"/.test(err.message) && !!err.hint,
  );
  const shorter = { ...streamedFile("b", new Uint8Array(10)), size: 50 };
  await assert.rejects(
    packContents([shorter], options),
    (err) => err instanceof HexpubError && /read 10 bytes, expected 50/.test(err.message),
  );
});

Deno.test("packContents() passes on an error from open()", async () => {
  const broken: PackageFile = {
    path: "gone",
    kind: "file",
    mode: 0o644,
    size: 1,
    open: () => Promise.reject(new Deno.errors.NotFound("gone")),
  };
  await assert.rejects(packContents([memFile("a", "x"), broken], options), Deno.errors.NotFound);
  await assert.rejects(
    packContents([{ path: "x", kind: "file", mode: 0o644, size: 0 }], options),
    TypeError,
  );
});

Deno.test("packContents() uses the content length of in-memory files", async () => {
  const file = { ...memFile("a", "hello"), size: 999 };
  const { compressed } = await packContents([file], options);
  const [h] = rawHeaders(gunzipBytes(compressed));
  assert.equal(h.size, 5);
});

Deno.test("minimumTarSize() counts headers, padded content and end blocks", () => {
  assert.equal(minimumTarSize([]), 1024);
  assert.equal(minimumTarSize([memFile("a", "x"), dir("d")]), 1024 + 512 + 512 + 512);
  assert.equal(minimumTarSize([memFile("a", new Uint8Array(512))]), 1024 + 512 + 512);
});
