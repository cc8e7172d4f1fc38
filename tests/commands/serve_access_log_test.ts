/**
 * `hexpub serve` in process (`withServedRepo`): the public key's fingerprint
 * at start, one access-log line per request on stderr (Common Log Format with
 * the duration; the API key's name on authenticated requests; never the
 * query, the key or the `authorization` header), and `--quiet`.
 */
import { strict as assert } from "node:assert";
import { publicKeyFingerprint } from "../../src/registry/fingerprint.ts";
import { withServedRepo } from "../support/http.ts";

/** `ADDR - USER [TIME] "METHOD PATH PROTO" STATUS BYTES DURATIONms` */
const LINE =
  /^(\S+) - (\S+) \[(\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000)\] "([^"]*)" (\d{3}) (\d+) (\d+\.\d)ms$/;

const enc = new TextEncoder();

/** Sends raw bytes on a new connection and reads the answer to its end. */
async function raw(port: number, text: string): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await c.write(enc.encode(text));
  return await new Response(c.readable).text();
}

/** Waits for the line starting with `start` (serve prints its lines just after it listens). */
async function lineStarting(lines: string[], start: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const found = lines.find((l) => l.startsWith(start));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no line starting with "${start}" in:\n${lines.join("\n")}`);
}

/** Waits until `lines` holds `n` access-log lines (they are written once each answer is sent). */
async function logLines(lines: string[], n: number): Promise<RegExpMatchArray[]> {
  for (let i = 0; i < 200; i++) {
    const found = lines.map((l) => l.match(LINE)).filter((m) => m !== null);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`expected ${n} access-log lines in:\n${lines.join("\n")}`);
}

Deno.test("serve prints its key's fingerprint and logs each request without secrets", async () => {
  await withServedRepo(async (repo) => {
    const out = repo.output;
    const fp = await publicKeyFingerprint(repo.publicKeyPem);
    assert.equal(await lineStarting(out.stdout, "  fingerprint: "), `  fingerprint: ${fp}`);
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);

    const auth = { authorization: repo.key };
    const names = await fetch(`${repo.url}/names`);
    const namesBody = await names.bytes();
    await (await fetch(`${repo.apiUrl}/packages?search=topsecret-query`)).body?.cancel();
    await (await fetch(`${repo.apiUrl}/users/me`, { headers: auth })).body?.cancel();
    // An authenticated write (its package does not exist: 404, still the key's name).
    await (await fetch(`${repo.apiUrl}/packages/nothing/releases/1.0.0`, {
      method: "DELETE",
      headers: auth,
    })).body?.cancel();
    // A wrong key: 401, no name.
    await (await fetch(`${repo.apiUrl}/users/me`, {
      headers: { authorization: "not-the-key-0123456789" },
    })).body?.cancel();
    assert.match(await raw(Number(new URL(repo.url).port), "GARBAGE\r\n\r\n"), /^HTTP\/1\.1 400/);

    const lines = await logLines(out.stderr, 6);
    const byRequest = new Map(lines.map((m) => [`${m[4]} ${m[5]}`, m]));
    const names1 = byRequest.get("GET /names HTTP/1.1 200")!;
    assert.ok(names1, lines.map((m) => m[0]).join("\n"));
    assert.equal(names1[1], "127.0.0.1");
    assert.equal(names1[2], "-");
    assert.equal(names1[5], "200");
    assert.equal(Number(names1[6]), namesBody.length);
    assert.ok(
      Math.abs(Date.parse(names1[3].replace(/^(\d\d)\/(\w+)\/(\d+):/, "$2 $1 $3 ")) - Date.now()) <
        60_000,
    );
    // The query is never logged; the path is.
    assert.ok(byRequest.has("GET /api/packages HTTP/1.1 200"));
    assert.equal(byRequest.get("GET /api/users/me HTTP/1.1 200")?.[2], repo.keyName);
    assert.equal(byRequest.get("GET /api/users/me HTTP/1.1 401")?.[2], "-");
    const write = byRequest.get("DELETE /api/packages/nothing/releases/1.0.0 HTTP/1.1 404");
    assert.equal(write?.[2], repo.keyName);
    assert.equal(byRequest.get("- 400")?.[2], "-");
    assert.equal(lines.length, 6);

    const all = [...out.stdout, ...out.stderr].join("\n");
    for (const secret of [repo.key, "not-the-key-0123456789", "topsecret", "authorization"]) {
      assert.ok(!all.toLowerCase().includes(secret.toLowerCase()), `"${secret}" was logged`);
    }
  }, { keyName: "ci-bot" });
});

Deno.test("serve --quiet writes no access log", async () => {
  await withServedRepo(async (repo) => {
    const out = repo.output;
    assert.match(await lineStarting(out.stdout, "  fingerprint: "), /SHA256:/);
    await (await fetch(`${repo.url}/names`)).body?.cancel();
    await (await fetch(`${repo.apiUrl}/users/me`, { headers: { authorization: repo.key } })).body
      ?.cancel();
    assert.equal(repo.seen.length, 2);
    // Every request answered; give a line time to be written, had there been one.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(out.stderr.filter((l) => LINE.test(l)), []);
    assert.ok(!out.stderr.some((l) => l.includes("/names")), out.stderr.join("\n"));
  }, { serveFlags: ["--quiet"] });
});
