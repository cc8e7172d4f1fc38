import { strict as assert } from "node:assert";
import { UsageError } from "../../src/errors.ts";
import { dependencyOrder } from "../../src/tasks/publish.ts";

Deno.test("dependencyOrder() puts an app after the project apps it uses", () => {
  assert.deepEqual(
    dependencyOrder([
      { name: "web", uses: ["kernel", "core", "db"] },
      { name: "db", uses: ["core", "stdlib"] },
      { name: "core", uses: ["kernel"] },
      { name: "tools", uses: [] },
    ]),
    ["core", "db", "tools", "web"],
  );
});

Deno.test("dependencyOrder() refuses a cycle, naming it", () => {
  assert.throws(
    () => dependencyOrder([{ name: "a", uses: ["b"] }, { name: "b", uses: ["a"] }]),
    (e: unknown) => e instanceof UsageError && /a -> b -> a/.test(e.message),
  );
});
