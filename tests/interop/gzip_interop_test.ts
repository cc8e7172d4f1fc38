/**
 * hexpub's gzip against OTP's zlib at hex_core's settings (see
 * ./zlib_gzip.escript): the same bytes for a varied corpus, whole and streamed
 * in any chunk sizes, and for the contents.tar of a package hexpub built. One
 * escript run gzips the whole corpus. Skips visibly without Erlang (see ./erlang.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../../src/tasks/build.ts";
import { createGzipWriter, gunzipBytes, gzipBytes } from "../../src/tarball/gzip.ts";
import { CASES, prepareCase } from "../support/fixture_cases.ts";
import { testDeps } from "../support/test_deps.ts";
import { concat, pseudoRandomBytes, rawHeaders } from "../tarball/_helpers.ts";
import { interopTest, runEscript } from "./erlang.ts";

const script = fileURLToPath(new URL("./zlib_gzip.escript", import.meta.url));
const srcDir = fileURLToPath(new URL("../../src/", import.meta.url));
const MIB = 1024 * 1024;

/** Every .ts file under src/, concatenated in path order: real source text. */
async function sourceText(): Promise<Uint8Array> {
  const paths: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".ts")) paths.push(p);
    }
  };
  await walk(srcDir);
  paths.sort();
  return concat(...await Promise.all(paths.map((p) => Deno.readFile(p))));
}

/** `text` repeated (or cut) to exactly `n` bytes. */
function sized(text: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += text.length) out.set(text.subarray(0, n - i), i);
  return out;
}

/** Text, random bytes and runs, alternating in pieces of varied sizes. */
function mixed(text: Uint8Array, random: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const sizes = pseudoRandomBytes(40, 9);
  for (let i = 0; i < 40; i++) {
    const n = 1_000 + sizes[i] * 600;
    parts.push(
      i % 3 === 0
        ? sized(text.subarray(i * 997), n)
        : i % 3 === 1
        ? random.subarray(i * 1000, i * 1000 + n)
        : new Uint8Array(n).fill(i),
    );
  }
  return concat(...parts);
}

/** The contents.tar.gz inside a package tarball (outer tar). */
function contentsOf(outer: Uint8Array): Uint8Array {
  const h = rawHeaders(outer).find((h) => h.name === "contents.tar.gz");
  assert.ok(h, "contents.tar.gz in the package");
  return outer.slice(h.offset + 512, h.offset + 512 + h.size);
}

/** Gzips through the streaming writer, cutting the input at `cuts` sizes in turn. */
async function streamed(bytes: Uint8Array, cuts: number[]): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const writer = createGzipWriter((c) => out.push(c.slice()));
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = cuts[k % cuts.length];
    await writer.write(bytes.slice(i, i + n));
    i += n;
  }
  await writer.end();
  return concat(...out);
}

function same(actual: Uint8Array, expected: Uint8Array, what: string): void {
  // Compare lengths and the first differing offset: a deepEqual diff of MiBs is unreadable.
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  assert.ok(
    i === actual.length && i === expected.length,
    `${what}: ${actual.length} bytes vs OTP zlib's ${expected.length}, first difference at ${i}`,
  );
}

interopTest(
  "gzip gives the bytes of OTP's zlib at hex_core's settings, whole and streamed",
  async () => {
    const source = await sourceText();
    const random = pseudoRandomBytes(MIB, 11);
    const corpus: [string, Uint8Array][] = [
      ["empty", new Uint8Array()],
      ["one_byte", Uint8Array.of(0x78)],
      ["hello", new TextEncoder().encode("hello world\n")],
      ["source", source],
      ["random_1m", random],
      ["random_65537", random.subarray(0, 65537)],
      ["zeros_3m_plus_1", new Uint8Array(3 * MIB + 1)],
      ["ab_200k", sized(new TextEncoder().encode("ab"), 200_000)],
      ["small_alphabet_2m", pseudoRandomBytes(2 * MIB, 5, 4)],
      ["mixed", mixed(source, random)],
      ...[32767, 32768, 32769, 65535, 65536, 65537, 131073, 262147].map((n) =>
        [`text_${n}`, sized(source, n)] as [string, Uint8Array]
      ),
    ];

    // A package hexpub built: its contents.tar.gz must be what hex_core makes of its contents.tar.
    const c = CASES.find((c) => c.name === "single_app")!;
    const dir = await prepareCase(c);
    const tmp = await Deno.makeTempDir({ prefix: "hexpub-gzip-interop-" });
    try {
      const result = await build(testDeps(dir), {
        target: "package",
        app: c.app,
        output: join(tmp, "pkg.tar"),
        unpack: false,
        repo: "hexpm",
        strict: false,
      });
      const ourContents = contentsOf(await Deno.readFile(result.package!.path));
      const contentsTar = gunzipBytes(ourContents);
      corpus.push(["single_app_contents_tar", contentsTar]);

      const inDir = join(tmp, "in");
      const outDir = join(tmp, "out");
      await Deno.mkdir(inDir);
      await Deno.mkdir(outDir);
      for (const [name, bytes] of corpus) await Deno.writeFile(join(inDir, name), bytes);
      const printed = await runEscript(script, [inDir, outDir]);
      assert.equal(printed.trim(), String(corpus.length));

      for (const [name, bytes] of corpus) {
        const erlang = await Deno.readFile(join(outDir, `${name}.gz`));
        same(gzipBytes(bytes), erlang, `${name} (${bytes.length} bytes) in one call`);
        const cuts = bytes.length <= 70_000 ? [1, 7, 4096] : [65_537, 1_000, 300_001, 16_384];
        same(await streamed(bytes, cuts), erlang, `${name} streamed in pieces of ${cuts}`);
      }
      same(ourContents, await Deno.readFile(join(outDir, "single_app_contents_tar.gz")), "package");
    } finally {
      await Deno.remove(tmp, { recursive: true });
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
