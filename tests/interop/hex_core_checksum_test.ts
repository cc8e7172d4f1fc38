/**
 * Byte for byte with hex_core: every fixture project built by hexpub, and the
 * same metadata and files packed by the hex_core that rebar3 bundles
 * (`r3_hex_tarball:create/2`, one escript run for all cases), must give the
 * same tarball: the same outer and inner checksums.
 *
 * Debian's rebar3 3.19 bundles hex_core 0.7.1; rebar3_hex 7.2.0 (what package
 * authors publish with) uses hex_core 0.18.0. The two write the same bytes for
 * these inputs: metadata.config through `io_lib_pretty:print/2` with
 * `{encoding, utf8}`, contents.tar through zlib `deflateInit(…, default,
 * deflated, -15, 8, default)` behind a fixed header, tar headers with mtime
 * 2000-01-01 and uid/gid 0 (hex_core src/hex_tarball.erl, both tags). Where
 * they would differ, 0.18.0 wins (it is what hex.pm's checksums come from); no
 * case below needs an exception.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../../src/tasks/build.ts";
import { sha256Hex } from "../../src/tarball/checksum.ts";
import { unpackPackage } from "../../src/tarball/unpack_package.ts";
import { CASES, prepareCase } from "../support/fixture_cases.ts";
import { testDeps } from "../support/test_deps.ts";
import { erlangTools, interopTest } from "./erlang.ts";

const script = fileURLToPath(new URL("./hex_core_create.escript", import.meta.url));

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
        await build(testDeps(project), {
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
      const run = await new Deno.Command(erlangTools!.escript, {
        args: [script, erlangTools!.rebar3, ...built.map((b) => b.dir)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));

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
