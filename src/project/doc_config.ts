/**
 * Where a project's docs come from, as rebar3_hex reads it: the provider in
 * `{hex, [{doc, edoc | ex_doc | #{provider => P}}]}` and the directory the
 * provider writes to (`{edoc_opts, [{dir, D}]}` for edoc, `{P, [{dir, D}]}`
 * otherwise, `doc` by default), relative to the app.
 *
 * @module
 */
import { type Term, textOf } from "../erlang/term.ts";
import { configValue, optionValue } from "./rebar_config.ts";

/** The configured doc provider, or `undefined`. */
export function docProvider(config: Term[] | undefined): string | undefined {
  const doc = optionValue(configValue(config, "hex"), "doc");
  const provider = doc?.kind === "map" ? optionValue(doc, "provider") : doc;
  return provider?.kind === "atom" ? provider.value : undefined;
}

/** The provider's output directory from the first config that sets one, else `doc`. */
export function docDir(configs: (Term[] | undefined)[], provider: string): string {
  const key = provider === "edoc" ? "edoc_opts" : provider;
  for (const config of configs) {
    const dir = optionValue(configValue(config, key), "dir");
    const text = dir && textOf(dir);
    if (text) return text;
  }
  return "doc";
}
