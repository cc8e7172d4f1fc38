/**
 * Byte for byte with hex_core: every fixture project built by hexpub, and the
 * same metadata and files packed by the hex_core that rebar3 bundles
 * (`r3_hex_tarball:create/2`, one escript run for all cases), must give the
 * same tarball: the same outer and inner checksums.
 *
 * Debian's rebar3 3.19 bundles hex_core 0.7.1; rebar3_hex 7.2.0 (what package
 * authors publish with) uses hex_core 0.18.0. Both print metadata.config with
 * `io_lib_pretty:print/2` and `{encoding, utf8}`, deflate contents.tar with
 * zlib `deflateInit(…, default, deflated, -15, 8, default)` behind a fixed
 * header, and give files mtime 2000-01-01 and uid/gid 0 (hex_core
 * src/hex_tarball.erl, both tags). They differ in one place, and 0.18.0 wins
 * (hex.pm's checksums come from it): the header of a directory or symlink entry
 * (and of its PAX header). 0.7.1's `fileinfo_to_header/3` writes mtime 0;
 * 0.18.0's applies the `{mtime, 2000-01-01}` option to the file info first
 * (src/hex_erl_tar.erl). For packages with such entries (single_app,
 * symlinks), the test sets those mtimes to 2000-01-01 in hex_core's
 * contents.tar and requires the rest to be identical, byte for byte; every
 * other package must have hex_core's outer checksum exactly.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../../src/tasks/build.ts";
import { sha256Hex } from "../../src/tarball/checksum.ts";
import { gunzipBytes } from "../../src/tarball/gzip.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { CASES, prepareCase } from "../support/fixture_cases.ts";
import { hostPath, testDeps } from "../support/test_deps.ts";
import { erlangTools, interopTest, runEscript } from "./erlang.ts";

const script = fileURLToPath(new URL("./hex_core_create.escript", import.meta.url));

/** The uncompressed contents.tar of a package tarball. */
function contentsTar(tarball: Uint8Array): Uint8Array {
  const text = new TextDecoder();
  for (let at = 0; at + 512 <= tarball.length;) {
    const name = text.decode(tarball.subarray(at, at + 100)).replace(/\0[\s\S]*$/, "");
    const size = parseInt(text.decode(tarball.subarray(at + 124, at + 135)), 8);
    if (name === "contents.tar.gz") return gunzipBytes(tarball.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return assert.fail("no contents.tar.gz");
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * hex_core 0.7.1's contents.tar as 0.18.0 writes it: every header with mtime 0
 * (0.7.1's directories, symlinks and their PAX headers) gets 2000-01-01 and a
 * new header checksum (7 octal digits and a NUL, as erl_tar writes it).
 */
function asHexCore018(tar: Uint8Array): { tar: Uint8Array; changed: number } {
  const out = tar.slice();
  const text = new TextDecoder();
  const enc = new TextEncoder();
  let changed = 0;
  for (let at = 0; at + 512 <= out.length;) {
    const block = out.subarray(at, at + 512);
    if (block.every((x) => x === 0)) break;
    const size = parseInt(text.decode(block.subarray(124, 135)), 8);
    if (text.decode(block.subarray(136, 147)) === "00000000000") {
      block.set(enc.encode((946684800).toString(8).padStart(11, "0")), 136);
      block.fill(0x20, 148, 156);
      const sum = block.reduce((n, x) => n + x, 0);
      block.set(enc.encode(sum.toString(8).padStart(7, "0") + "\0"), 148);
      changed++;
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return { tar: out, changed };
}

interopTest(
  "rebar3's hex_core packs every fixture's metadata and files into hexpub's exact bytes",
  async () => {
    const work = await Deno.makeTempDir({ prefix: "hexpub-hexcore-" });
    try {
      const built: { name: string; dir: string; tarball: Uint8Array }[] = [];
      for (const c of CASES) {
        const project = await prepareCase(c);
        const dir = join(work, c.name);
        await Deno.mkdir(join(dir, "root"), { recursive: true });
        const out = join(dir, "hexpub.tar");
        await build(testDeps(project, { env: hostPath() }), {
          target: "package",
          app: c.app,
          output: out,
          unpack: false,
          repo: "hexpm",
          strict: false,
        });
        const tarball = await Deno.readFile(out);
        const pkg = await unpackPackage(tarball);
        await Deno.writeTextFile(join(dir, "metadata.config"), pkg.metadataConfig);
        await Deno.writeTextFile(join(dir, "files.txt"), pkg.files.map((f) => f.path).join("\n"));
        for (const f of pkg.files) {
          const abs = join(dir, "root", f.path);
          await Deno.mkdir(f.kind === "dir" ? abs : dirname(abs), { recursive: true });
          if (f.kind === "file") {
            await Deno.writeFile(abs, f.data!);
            await Deno.chmod(abs, f.mode);
          } else if (f.kind === "symlink") {
            await Deno.symlink(f.target!, abs);
          } else {
            await Deno.chmod(abs, f.mode);
          }
        }
        built.push({ name: c.name, dir, tarball });
      }
      // hex_core writes its temporary tar files (tmp_…) to the working directory.
      await runEscript(script, [erlangTools!.rebar3, ...built.map((b) => b.dir)], { cwd: work });

      const mismatches: string[] = [];
      for (const b of built) {
        let theirs: Uint8Array;
        try {
          theirs = await Deno.readFile(join(b.dir, "hex_core.tar"));
        } catch {
          const why = await Deno.readTextFile(join(b.dir, "error.txt")).catch(() => "no output");
          mismatches.push(`${b.name}: hex_core refused it: ${why}`);
          continue;
        }
        const [ours, them] = [await unpackPackage(b.tarball), await unpackPackage(theirs)];
        if ((await sha256Hex(b.tarball)) === (await sha256Hex(theirs))) continue;
        const ourTar = contentsTar(b.tarball);
        const patched = asHexCore018(contentsTar(theirs));
        if (
          patched.changed > 0 && ours.metadataConfig === them.metadataConfig &&
          bytesEqual(ourTar, patched.tar)
        ) {
          continue; // only 0.7.1's directory and symlink mtimes differed
        }
        const why: string[] = [];
        if (ours.innerChecksum !== them.innerChecksum) why.push("inner checksum");
        if (ours.metadataConfig !== them.metadataConfig) {
          why.push(
            `metadata.config:\n${ours.metadataConfig}\n--- hex_core:\n${them.metadataConfig}`,
          );
        }
        mismatches.push(`${b.name}: ${why.join("; ") || "outer tar bytes"}`);
      }
      assert.deepEqual(mismatches, [], `differs from hex_core:\n${mismatches.join("\n")}`);
      assert.equal(built.length, CASES.length);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
);
