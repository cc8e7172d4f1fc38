/**
 * Builds a package of 100 MiB of generated files and prints the process's
 * peak RSS (VmHWM) as JSON. Run in its own process by create_package_test.ts
 * so that the measurement is not disturbed by other tests.
 *
 * @module
 */

import { bin } from "../../src/erlang/term.ts";
import { createPackageTarball } from "../../src/tarball/create_package.ts";
import { generatedFile } from "./_helpers.ts";

const files = Array.from(
  { length: 10 },
  (_, i) => generatedFile(`priv/data${i}.txt`, 10 * 1024 * 1024 + 1, { seed: i + 1, alphabet: 16 }),
);
const result = await createPackageTarball({
  metadata: [["name", bin("big")], ["version", bin("1.0.0")]],
  files,
});
const status = await Deno.readTextFile("/proc/self/status");
const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]);
const report = {
  peakRssBytes: kb * 1024,
  uncompressedSize: result.uncompressedSize,
  tarballSize: result.tarball.length,
};
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(report) + "\n"));
