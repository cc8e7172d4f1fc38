/**
 * Reading our tarballs with software we did not write: OTP's erl_tar and the
 * hex_core bundled in rebar3. Tests using it skip with a visible name when
 * Erlang or rebar3 is absent, and fail instead when HEXPUB_REQUIRE_INTEROP is
 * set (CI sets it).
 */
import { fileURLToPath } from "node:url";
import { denoWhich } from "../../src/deno_deps.ts";
import { readTerms } from "../../src/erlang/read_terms.ts";
import type { Term } from "../../src/erlang/term.ts";

const env = Deno.env.toObject();
const escript = await denoWhich("escript", env);
const rebar3 = await denoWhich("rebar3", env);

/** Paths of the Erlang tools, or `undefined` when either is missing. */
export const erlangTools = escript && rebar3 ? { escript, rebar3 } : undefined;

const required = !!env.HEXPUB_REQUIRE_INTEROP;

/** Registers an interop test: skipped (visibly) without Erlang, unless interop is required. */
export function interopTest(name: string, fn: () => Promise<void>): void {
  if (!erlangTools && !required) {
    Deno.test({ name: `${name} (skipped: escript or rebar3 not on PATH)`, ignore: true, fn });
    return;
  }
  Deno.test(name, async () => {
    if (!erlangTools) {
      throw new Error("HEXPUB_REQUIRE_INTEROP is set but escript or rebar3 is not on PATH");
    }
    await fn();
  });
}

const script = fileURLToPath(new URL("./erlang_unpack.escript", import.meta.url));

/** Runs the Erlang reader on a tarball file and returns the term it printed. */
export async function unpackWithErlang(kind: "package" | "docs", path: string): Promise<Term> {
  const out = await new Deno.Command(erlangTools!.escript, {
    args: [script, kind, path, erlangTools!.rebar3],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(`erlang_unpack.escript failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  const [term] = readTerms(dec.decode(out.stdout), "erlang_unpack output");
  return term;
}

/** Looks up an atom key in a map term. */
export function mapGet(term: Term, key: string): Term | undefined {
  if (term.kind !== "map") return undefined;
  return term.entries.find(([k]) => k.kind === "atom" && k.value === key)?.[1];
}
