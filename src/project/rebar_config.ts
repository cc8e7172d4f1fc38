/**
 * Looking up settings in consulted rebar3 config terms: `{Key, Value}` tuples
 * at the top of `rebar.config`, and `{Key, Value}` entries of the option lists
 * inside them (bare atoms mean `true`, as proplists do).
 *
 * @module
 */
import { atom, type Term } from "../erlang/term.ts";

/** The value of the first top-level `{key, Value}` term, or `undefined`. */
export function configValue(terms: Term[] | undefined, key: string): Term | undefined {
  return optionValue({ kind: "list", items: terms ?? [] }, key);
}

/**
 * The value of `key` in an option list or map (`[{dir, "doc"}]`, `#{provider => edoc}`);
 * a bare atom `key` in a list means `true`.
 */
export function optionValue(options: Term | undefined, key: string): Term | undefined {
  if (options?.kind === "map") {
    return options.entries.find(([k]) => k.kind === "atom" && k.value === key)?.[1];
  }
  if (options?.kind !== "list") return undefined;
  for (const item of options.items) {
    if (item.kind === "atom" && item.value === key) return atom("true");
    if (
      item.kind === "tuple" && item.items.length === 2 && item.items[0].kind === "atom" &&
      item.items[0].value === key
    ) return item.items[1];
  }
  return undefined;
}
