/**
 * hexpub's composition root: real ports in, exit code out. The only place that exits.
 *
 * @module
 */
import { runCli } from "./src/cli.ts";
import { denoDeps } from "./src/deno_deps.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, denoDeps()));
}
