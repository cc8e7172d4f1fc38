/**
 * Packaging: the checksums `deno task compile` writes, the Homebrew formula
 * made from them, the release workflow, and the JSR metadata. Nothing here
 * compiles or downloads anything.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import {
  executableName,
  formatSha256Sums,
  sha256Hex,
  SUMS_FILE,
  TARGETS,
  writeSha256Sums,
} from "../../scripts/compile.ts";
import {
  downloadUrl,
  FORMULA_TARGETS,
  homebrewFormula,
  parseFlags,
  parseSha256Sums,
} from "../../scripts/homebrew.ts";
import { VERSION } from "../../src/version.ts";

const ROOT = new URL("../../", import.meta.url);
const FIXTURE = new URL("../fixtures/packaging/SHA256SUMS", import.meta.url);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function has(program: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

Deno.test("writeSha256Sums() writes what sha256sum -c accepts, one line per executable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-dist-" });
  for (const [i, t] of TARGETS.entries()) {
    await Deno.writeFile(join(dir, executableName(t)), new Uint8Array(1000 + i).fill(i));
  }
  const file = await writeSha256Sums(dir, [...TARGETS]);
  assert.equal(file, join(dir, SUMS_FILE));
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assert.equal(lines.length, 5);
  assert.deepEqual(lines.map((l) => l.split("  ")[1]), TARGETS.map(executableName).sort());
  const check = await new Deno.Command("sha256sum", { args: ["-c", SUMS_FILE], cwd: dir }).output();
  assert.equal(check.code, 0, text(check.stderr));
  assert.equal(text(check.stdout).match(/: OK$/gm)?.length, 5);
  // A changed executable no longer checks.
  await Deno.writeFile(join(dir, executableName(TARGETS[0])), new Uint8Array([1]));
  const bad = await new Deno.Command("sha256sum", { args: ["-c", SUMS_FILE], cwd: dir }).output();
  assert.equal(bad.code, 1);
});

Deno.test("formatSha256Sums() and sha256Hex() give sha256sum's own text", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-sums-" });
  const files: Record<string, string> = { "b.bin": "second\n", "a.bin": "first\n" };
  const entries = [];
  for (const [name, body] of Object.entries(files)) {
    await Deno.writeTextFile(join(dir, name), body);
    entries.push({ name, sha256: await sha256Hex(new TextEncoder().encode(body)) });
  }
  const theirs = await new Deno.Command("sha256sum", { args: ["a.bin", "b.bin"], cwd: dir })
    .output();
  assert.equal(formatSha256Sums(entries), text(theirs.stdout));
});

Deno.test("homebrewFormula() downloads the release's executable of each platform, checked", async () => {
  const sums = parseSha256Sums(await Deno.readTextFile(FIXTURE));
  assert.equal(sums.size, 5);
  const rb = homebrewFormula({ version: "1.2.3", repo: "acme/hexpub", sums });
  assert.match(rb, /^class Hexpub < Formula$/m);
  assert.match(rb, /^ {2}version "1\.2\.3"$/m);
  assert.match(rb, /^ {2}license "Apache-2\.0"$/m);
  // Each OS block holds its two CPUs, each with its own URL and checksum.
  for (const os of ["macos", "linux"]) {
    const block = rb.slice(
      rb.indexOf(`  on_${os} do\n`),
      rb.indexOf("\n  end\n", rb.indexOf(`on_${os}`)),
    );
    for (const t of FORMULA_TARGETS.filter((t) => t.os === os)) {
      const file = executableName(t.target);
      const at = block.indexOf(`    if Hardware::CPU.${t.cpu}?\n`);
      assert.ok(at >= 0, `${os} ${t.cpu}`);
      const body = block.slice(at, block.indexOf("    end", at));
      assert.match(body, new RegExp(`url "${downloadUrl("acme/hexpub", "1.2.3", file)}"`));
      assert.equal(
        downloadUrl("acme/hexpub", "1.2.3", file),
        `https://github.com/acme/hexpub/releases/download/v1.2.3/${file}`,
      );
      assert.match(body, new RegExp(`sha256 "${sums.get(file)}"`));
    }
  }
  assert.equal(rb.match(/^ {6}url /gm)?.length, 4);
  assert.doesNotMatch(rb, /windows/);
  assert.match(rb, /bin\.install Dir\["hexpub-\*"\]\.first => "hexpub"/);
  assert.match(
    rb,
    /test do\n {4}assert_match version\.to_s, shell_output\("#\{bin\}\/hexpub --version"\)/,
  );
});

Deno.test("homebrewFormula() refuses missing checksums, bad lines, repositories and versions", async () => {
  const sums = parseSha256Sums(await Deno.readTextFile(FIXTURE));
  sums.delete("hexpub-aarch64-unknown-linux-gnu");
  assert.throws(
    () => homebrewFormula({ version: "1.2.3", repo: "acme/hexpub", sums }),
    /no line for hexpub-aarch64-unknown-linux-gnu/,
  );
  assert.throws(() => parseSha256Sums("abc  hexpub\n"), /line 1 is not/);
  const full = parseSha256Sums(await Deno.readTextFile(FIXTURE));
  assert.throws(
    () => homebrewFormula({ version: "1.2.3", repo: "acme", sums: full }),
    /OWNER\/NAME/,
  );
  assert.throws(
    () => homebrewFormula({ version: "latest", repo: "a/b", sums: full }),
    /X\.Y\.Z/,
  );
  assert.deepEqual(parseFlags(["--version", "v2.0.0"], { GITHUB_REPOSITORY: "o/r" }), {
    sums: "dist/SHA256SUMS",
    repo: "o/r",
    version: "2.0.0",
  });
  assert.throws(() => parseFlags([], {}), /--repo OWNER\/NAME/);
});

Deno.test("scripts/homebrew.ts writes the formula from a SHA256SUMS file", async () => {
  const out = join(await Deno.makeTempDir({ prefix: "hexpub-brew-" }), "hexpub.rb");
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      new URL("scripts/homebrew.ts", ROOT).pathname,
      "--sums",
      FIXTURE.pathname,
      "--out",
      out,
    ],
    env: { GITHUB_REPOSITORY: "acme/hexpub" },
  }).output();
  assert.equal(run.code, 0, text(run.stderr));
  const rb = await Deno.readTextFile(out);
  assert.match(rb, new RegExp(`/releases/download/v${VERSION.replaceAll(".", "\\.")}/`));
  const missing = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("scripts/homebrew.ts", ROOT).pathname, "--sums", "/nonexistent"],
    env: { GITHUB_REPOSITORY: "acme/hexpub" },
  }).output();
  assert.equal(missing.code, 1);
});

const HAS_RUBY = await has("ruby", ["-e", "exit 0"]);

Deno.test({
  name: `the formula picks each platform's download in Ruby${
    HAS_RUBY ? "" : " (skipped: ruby not on PATH)"
  }`,
  ignore: !HAS_RUBY,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hexpub-brew-rb-" });
    const sums = parseSha256Sums(await Deno.readTextFile(FIXTURE));
    await Deno.writeTextFile(
      join(dir, "hexpub.rb"),
      homebrewFormula({ version: "1.2.3", repo: "acme/hexpub", sums }),
    );
    // A stand-in for Homebrew's DSL: records the url and sha256 the blocks choose.
    await Deno.writeTextFile(
      join(dir, "brew.rb"),
      `OS_NAME, CPU = ARGV
module Hardware; module CPU
  def self.arm?; ::CPU == "arm"; end
  def self.intel?; ::CPU == "intel"; end
end; end
class Formula
  def self.desc(*) end; def self.homepage(*) end; def self.version(*) end; def self.license(*) end
  def self.url(u) puts "url #{u}" end
  def self.sha256(s) puts "sha256 #{s}" end
  def self.on_macos; yield if OS_NAME == "macos"; end
  def self.on_linux; yield if OS_NAME == "linux"; end
  def self.test(*) end
end
load File.join(__dir__, "hexpub.rb")
raise "no install" unless Hexpub.instance_methods.include?(:install)
`,
    );
    for (const t of FORMULA_TARGETS) {
      const r = await new Deno.Command("ruby", { args: [join(dir, "brew.rb"), t.os, t.cpu] })
        .output();
      assert.equal(r.code, 0, text(r.stderr));
      const file = executableName(t.target);
      assert.equal(
        text(r.stdout),
        `url ${downloadUrl("acme/hexpub", "1.2.3", file)}\nsha256 ${sums.get(file)}\n`,
      );
    }
  },
});

/** What the release workflow says, read line by line (no YAML library). */
function workflowFacts(yaml: string) {
  const lines = yaml.split("\n");
  const indent = (l: string) => l.length - l.trimStart().length;
  // on: → push: → tags: → - "v*"
  const tags: string[] = [];
  const on = lines.findIndex((l) => /^on:\s*$/.test(l));
  for (
    let i = on + 1;
    on >= 0 && i < lines.length && (lines[i] === "" || indent(lines[i]) > 0);
    i++
  ) {
    if (/^\s+tags:\s*$/.test(lines[i]) && /^\s+push:\s*$/.test(lines[i - 1])) {
      for (let j = i + 1; j < lines.length && /^\s+- /.test(lines[j]); j++) {
        tags.push(lines[j].trim().slice(2).replace(/^["']|["']$/g, ""));
      }
    }
  }
  const targets = [...yaml.matchAll(/--target\s+(\S+)/g)].map((m) => m[1]);
  const uploads = [...yaml.matchAll(/^\s+dist\/(\S+?)(?: \\)?$/gm)].map((m) => m[1]);
  return { tags, targets, uploads, text: yaml };
}

Deno.test("the release workflow builds the five targets on a v* tag and attaches them", async () => {
  const w = workflowFacts(
    await Deno.readTextFile(new URL(".github/workflows/release.yml", ROOT)),
  );
  assert.deepEqual(w.tags, ["v*"]);
  assert.deepEqual([...w.targets].sort(), [...TARGETS].sort());
  assert.deepEqual(
    [...w.uploads].sort(),
    [...TARGETS.map(executableName), SUMS_FILE, "hexpub.rb"].sort(),
  );
  assert.match(w.text, /deno task compile/);
  assert.match(w.text, /scripts\/homebrew\.ts/);
  assert.match(w.text, /gh release (create|upload)/);
  assert.match(w.text, /^permissions:\n {2}contents: write$/m);
  // The line reader does read a trigger of another shape as another one.
  assert.deepEqual(workflowFacts("on:\n  push:\n    branches:\n      - main\n").tags, []);
});

Deno.test("deno.json has JSR metadata and publishes neither tests, fixtures nor scripts", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(config.name, "@x/hexpub");
  assert.equal(config.version, VERSION);
  assert.equal(config.exports, "./main.ts");
  assert.equal(config.license, "Apache-2.0");
  const license = await Deno.readTextFile(new URL("LICENSE", ROOT));
  assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
  assert.ok(config.publish.include.includes("LICENSE"));
  assert.ok(config.publish.include.includes("src/"));
  for (const dir of ["tests/", "tests/fixtures/", "scripts/", "examples/", ".github/", "dist/"]) {
    assert.ok(config.publish.exclude.includes(dir), dir);
    assert.ok(!config.publish.include.some((p: string) => p.startsWith(dir)), dir);
  }
});
