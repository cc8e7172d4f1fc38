import { strict as assert } from "node:assert";
import { compileArgs, parseFlags, PERMISSIONS, TARGETS } from "../../scripts/compile.ts";

Deno.test("compileArgs() bakes in narrow permissions and names windows binaries .exe", () => {
  const args = compileArgs("x86_64-pc-windows-msvc", "dist");
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
  for (const p of PERMISSIONS) assert.ok(args.includes(p));
  assert.deepEqual(args.slice(-3), [
    "--output",
    "dist/hexpub-x86_64-pc-windows-msvc.exe",
    "main.ts",
  ]);
  assert.ok(compileArgs("aarch64-apple-darwin", "d").includes("d/hexpub-aarch64-apple-darwin"));
});

Deno.test("parseFlags() defaults to all five targets and rejects unknown ones", () => {
  assert.deepEqual(parseFlags([]).targets, [...TARGETS]);
  assert.equal(TARGETS.length, 5);
  assert.deepEqual(parseFlags(["--target", "aarch64-unknown-linux-gnu", "--dry-run"]), {
    targets: ["aarch64-unknown-linux-gnu"],
    out: "dist",
    dryRun: true,
  });
  assert.throws(() => parseFlags(["--target", "sparc-sun-solaris"]), /unknown target/);
});

Deno.test("compile --dry-run refuses DENORT_BIN with several targets", async () => {
  const run = (env: Record<string, string>, args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../scripts/compile.ts", import.meta.url).pathname, ...args],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const many = await run({ DENORT_BIN: "/tmp/denort" }, ["--dry-run"]);
  assert.equal(many.code, 2);
  const one = await run({ DENORT_BIN: "/tmp/denort" }, [
    "--dry-run",
    "--target",
    "x86_64-unknown-linux-gnu",
  ]);
  assert.equal(one.code, 0);
  assert.match(new TextDecoder().decode(one.stdout), /DENORT_BIN=\/tmp\/denort/);
});
