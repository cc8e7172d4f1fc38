/**
 * `deno task demo` is README's "run" command: it must work. These run the real
 * demo script (serve, repo add, user auth, publish, info, then install back).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { interopTest } from "../interop/erlang.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function demo(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-net=127.0.0.1",
      "--allow-sys",
      "scripts/demo.ts",
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

function assertCommon(text: string) {
  assert.match(text, /Serving repository demo at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(text, /Added repository demo/);
  assert.match(text, /Published tiny_json 1\.0\.0/);
  assert.match(text, /Published hello_hex 0\.3\.1/);
  assert.match(text, /verified on the server/);
  assert.match(text, /Latest stable version: 0\.3\.1/);
  assert.match(
    text,
    /reproducible: identical to demo's hello_hex 0\.3\.1 \(checksum [0-9a-f]{64}\)/,
  );
  assert.match(text, /Done\./);
  // The API key is shown as $HEX_KEY, never as itself.
  assert.match(text, /user auth -r demo --key \$HEX_KEY/);
  assert.doesNotMatch(text, /\b[0-9a-f]{32}\b/);
}

Deno.test("the demo publishes both examples and installs hello_hex back with hexpub fetch", async () => {
  const { code, text } = await demo("--no-rebar3");
  assert.equal(code, 0, text);
  assertCommon(text);
  assert.match(text, /Fetched hello_hex 0\.3\.1 from repository demo/);
  // Printed as it would be typed: the requirement quoted for the shell.
  assert.match(text, /\$ .*hexpub fetch hello_hex '~> 0\.3' -r demo -o \$DEMO\/fetched --unpack\n/);
  assert.match(text, /matches the signed registry/);
});

interopTest("the demo installs hello_hex back with real rebar3 and runs it", async () => {
  const { code, text } = await demo();
  assert.equal(code, 0, text);
  assertCommon(text);
  assert.match(text, /Fetching tiny_json v1\.0\.0/);
  assert.match(text, /\{"greeting":"Hello, Hex!"\}/);
});
