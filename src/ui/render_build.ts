/**
 * What `hexpub build` prints: rebar3_hex's summary block plus the file list and
 * both checksums, or one JSON object with `--json`.
 *
 * @module
 */
import type { BuildResult } from "../tasks/build.ts";
import { displayProblem } from "./display_path.ts";

/** The human summary, one line per array element. */
export function renderBuild(result: BuildResult, display: (path: string) => string): string[] {
  const out: string[] = [];
  const pkg = result.package;
  if (pkg) {
    out.push(`Building ${pkg.name} ${pkg.version}`);
    out.push(`  App: ${pkg.app}`);
    out.push(`  Description: ${pkg.description}`);
    out.push("  Dependencies:");
    for (const r of pkg.requirements) out.push(`    ${r.name} ${r.requirement}`);
    out.push("  Included files:");
    for (const f of pkg.files) out.push(`    ${f}`);
    out.push(`  Licenses: ${pkg.licenses.join(", ")}`);
    out.push("  Links:");
    for (const [name, url] of pkg.links) out.push(`    ${name}: ${url}`);
    out.push(`  Build tools: ${pkg.buildTools.join(", ")}`);
    out.push(`  Inner checksum: ${pkg.innerChecksum}`);
    out.push(`  Outer checksum: ${pkg.outerChecksum}`);
    out.push(
      pkg.unpacked
        ? `Your package contents can be inspected at ${display(pkg.path)}`
        : `Your package tarball is available at ${display(pkg.path)}`,
    );
  }
  if (result.docs) {
    out.push(`  Docs checksum: ${result.docs.checksum}`);
    out.push(
      result.docs.unpacked
        ? `Your docs can be inspected at ${display(result.docs.path)}`
        : `Your docs tarball is available at ${display(result.docs.path)}`,
    );
  }
  return out;
}

/**
 * The `--json` object; the findings show their paths relative to `cwd`, the
 * tarballs' paths stay absolute.
 */
export function buildJson(result: BuildResult, cwd: string): string {
  return JSON.stringify({
    package: result.package ?? null,
    docs: result.docs ?? null,
    docsSkipped: result.docsSkipped ?? null,
    warnings: result.warnings.map((found) => displayProblem(cwd, found)).map((w) => ({
      field: w.field,
      message: w.message,
      hint: w.hint ?? null,
      file: w.where?.file ?? null,
      line: w.where?.line ?? null,
    })),
  });
}
