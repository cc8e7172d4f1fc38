import { strict as assert } from "node:assert";
import { renderKeys } from "../../src/ui/render_account.ts";

Deno.test("renderKeys: an empty list says no keys, or, with --stale, that none is stale", () => {
  assert.deepEqual(renderKeys([]), ["No keys"]);
  // The account has keys; none has gone unused that long.
  assert.deepEqual(renderKeys([], { stale: "90d" }), ["No key unused for 90d"]);
});
