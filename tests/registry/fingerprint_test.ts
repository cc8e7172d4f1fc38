import { strict as assert } from "node:assert";
import { publicKeyFingerprint } from "../../src/registry/fingerprint.ts";
import { generateRepoKeys } from "../../src/registry/signing.ts";

const FIXTURES = new URL("../fixtures/keys/", import.meta.url);
// Computed by `ssh-keygen -lf` (OpenSSH) from the same key, not by hexpub.
const EXPECTED = "SHA256:pGhiMiNeMwtTUQ5V0V5vvpwB0kufNxGDCrtbJjUr8U8";

Deno.test("fingerprint of an SPKI key equals OpenSSH's", async () => {
  const pem = await Deno.readTextFile(new URL("spki_public.pem", FIXTURES));
  assert.equal(await publicKeyFingerprint(pem), EXPECTED);
});

Deno.test("the PKCS#1 form of the same key has the same fingerprint", async () => {
  const pem = await Deno.readTextFile(new URL("pkcs1_public.pem", FIXTURES));
  assert.equal(await publicKeyFingerprint(pem), EXPECTED);
});

Deno.test("a fresh key's fingerprint matches ssh-keygen's", async (t) => {
  const tools = ["ssh-keygen"].every((tool) => {
    try {
      new Deno.Command(tool, { args: ["-?"], stderr: "null", stdout: "null" }).outputSync();
      return true;
    } catch {
      return false;
    }
  });
  if (!tools) {
    await t.step({ name: "SKIPPED: ssh-keygen is not installed", ignore: true, fn: () => {} });
    return;
  }
  const { publicKeyPem } = await generateRepoKeys();
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/pub.pem`, publicKeyPem);
  const ssh = new Deno.Command("ssh-keygen", {
    args: ["-i", "-m", "PKCS8", "-f", `${dir}/pub.pem`],
  })
    .outputSync();
  assert.equal(ssh.code, 0, new TextDecoder().decode(ssh.stderr));
  await Deno.writeFile(`${dir}/k.ssh`, ssh.stdout);
  const out = new TextDecoder().decode(
    new Deno.Command("ssh-keygen", { args: ["-lf", `${dir}/k.ssh`] }).outputSync().stdout,
  );
  assert.equal(out.split(" ")[1], await publicKeyFingerprint(publicKeyPem));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a non-key is refused", async () => {
  await assert.rejects(() => publicKeyFingerprint("not a key"), /public key/);
});
