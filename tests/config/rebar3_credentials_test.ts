import assert from "node:assert/strict";
import { join } from "node:path";
import { AuthError, HexpubError, TermSyntaxError } from "../../src/errors.ts";
import { WrongPasswordError } from "../../src/config/credential_store.ts";
import {
  decryptLegacyWriteKey,
  legacyKey,
  parseRebar3HexConfig,
  readRebar3HexConfig,
  type Rebar3HexConfig,
} from "../../src/config/rebar3_credentials.ts";
import { testDeps } from "../support/test_deps.ts";

const FIXTURES = new URL("../fixtures/rebar3_hex_config/", import.meta.url).pathname;
const WRITE_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

async function fixture(name: string): Promise<Rebar3HexConfig> {
  const config = await readRebar3HexConfig(testDeps(FIXTURES).fs, join(FIXTURES, name));
  assert.ok(config, `${name} is missing`);
  return config;
}

Deno.test("readRebar3HexConfig() reads rebar3_hex's user, organization and custom repo entries", async () => {
  const config = await fixture("hex.config");
  assert.deepEqual(Object.keys(config.repos).sort(), ["hexpm", "hexpm:acme", "myrepo"]);
  const hexpm = config.repos.hexpm;
  assert.equal(hexpm.repo, "hexpm");
  assert.equal(hexpm.file, join(FIXTURES, "hex.config"));
  assert.equal(hexpm.username, "alice");
  assert.equal(hexpm.readKey, "read-key-of-alice");
  assert.equal(hexpm.repoKey, "repo-key-of-alice");
  assert.equal(hexpm.writeKey?.iv.length, 16);
  assert.equal(hexpm.writeKey?.tag.length, 16);
  assert.equal(hexpm.writeKey?.cipherText.length, WRITE_KEY.length);
  assert.equal(config.repos["hexpm:acme"].repoKey, "acme0000repo0000key0000acme0000");
  assert.equal(config.repos["hexpm:acme"].writeKey, undefined);
  assert.equal(config.repos.myrepo.apiKey, "myrepo-api-key-1234");
  assert.equal(config.oauth, undefined);
});

Deno.test("decryptLegacyWriteKey() opens an Erlang-made AES-128 write key (ciphertext printed as text)", async () => {
  const config = await fixture("hex.config");
  // io_lib:print wrote this ciphertext as a Latin-1 string with \e and \t escapes.
  const text = await Deno.readTextFile(join(FIXTURES, "hex.config"));
  assert.match(text, /\{<<"[^"]*\\e[^"]*">>/);
  assert.equal(await decryptLegacyWriteKey(config.repos.hexpm, "local-pass"), WRITE_KEY);
});

Deno.test("decryptLegacyWriteKey() opens AES-192 (20-byte password, non-ASCII username)", async () => {
  const entry = (await fixture("hex_aes192.config")).repos.hexpm;
  assert.equal(entry.username, "josé");
  assert.deepEqual(entry.usernameBytes, new TextEncoder().encode("josé"));
  assert.equal(legacyKey("twenty-byte-password").length, 24);
  assert.equal(await decryptLegacyWriteKey(entry, "twenty-byte-password"), WRITE_KEY);
});

Deno.test("decryptLegacyWriteKey() opens AES-256 (29-byte UTF-8 password)", async () => {
  const entry = (await fixture("hex_aes256.config")).repos.hexpm;
  const password = "correct horse battery stäple";
  assert.equal(new TextEncoder().encode(password).length, 29);
  assert.equal(legacyKey(password).length, 32);
  assert.equal(await decryptLegacyWriteKey(entry, password), WRITE_KEY);
});

Deno.test("decryptLegacyWriteKey() opens every padding boundary from 0 to 31 bytes", async () => {
  const config = await fixture("hex_boundaries.config");
  const alphabet = "abcdefghijklmnopqrstuvwxyz012345";
  const sizes: Record<number, number> = {};
  for (const n of [0, 1, 15, 16, 17, 23, 24, 25, 31]) {
    const entry = config.repos[`p${n}`];
    assert.ok(entry, `p${n}`);
    const password = alphabet.slice(0, n);
    sizes[n] = legacyKey(password).length;
    assert.equal(await decryptLegacyWriteKey(entry, password), WRITE_KEY, `password of ${n} bytes`);
    // One byte more or less is another key.
    await assert.rejects(
      decryptLegacyWriteKey(entry, alphabet.slice(0, n + 1)),
      WrongPasswordError,
    );
  }
  assert.deepEqual(sizes, { 0: 16, 1: 16, 15: 16, 16: 16, 17: 24, 23: 24, 24: 24, 25: 32, 31: 32 });
  const key = legacyKey("abc");
  assert.deepEqual([...key.subarray(3)], new Array(13).fill(0), "zero-padded");
});

Deno.test("decryptLegacyWriteKey() refuses a wrong password with WrongPasswordError", async () => {
  const entry = (await fixture("hex.config")).repos.hexpm;
  for (const wrong of ["", "local-pas", "local-pass ", "LOCAL-PASS"]) {
    await assert.rejects(decryptLegacyWriteKey(entry, wrong), (e) => {
      assert.ok(e instanceof WrongPasswordError);
      assert.ok(e instanceof AuthError);
      assert.equal(e.exitCode, 4);
      assert.match(e.message, /wrong local password/);
      assert.ok(e.message.includes("hexpm") && e.message.includes("hex.config"));
      return true;
    });
  }
  // The username is the additional data: another username does not open it.
  const other = { ...entry, usernameBytes: new TextEncoder().encode("mallory") };
  await assert.rejects(decryptLegacyWriteKey(other, "local-pass"), WrongPasswordError);
});

Deno.test("decryptLegacyWriteKey() refuses a password of 32 bytes or more, as rebar3_hex does", async () => {
  const entry = (await fixture("hex.config")).repos.hexpm;
  for (const long of ["x".repeat(32), "x".repeat(40), "é".repeat(16)]) {
    await assert.rejects(decryptLegacyWriteKey(entry, long), (e) => {
      assert.ok(e instanceof WrongPasswordError);
      assert.match(e.message, /shorter than 32 bytes/);
      return true;
    });
  }
});

Deno.test("decryptLegacyWriteKey() without a write key says how to log in", async () => {
  const config = await fixture("hex.config");
  await assert.rejects(
    decryptLegacyWriteKey(config.repos["hexpm:acme"], "local-pass"),
    (e) =>
      e instanceof AuthError && !(e instanceof WrongPasswordError) &&
      /hexpub user auth/.test(e.hint ?? ""),
  );
});

Deno.test("readRebar3HexConfig() reads rebar3's $oauth tokens (atom keys)", async () => {
  const config = await fixture("hex_oauth.config");
  assert.deepEqual(config.oauth, {
    accessToken: "oauth-access-token-abc",
    refreshToken: "oauth-refresh-token-xyz",
    expiresAt: 1767225600,
  });
  assert.deepEqual(Object.keys(config.repos), ["hexpm"]);
  assert.equal(config.repos.hexpm.apiKey, "hexpm-api-key-5678");
});

Deno.test("parseRebar3HexConfig() accepts binary keys, string values and per-repo oauth_token", () => {
  const text = `%% coding: utf-8
#{<<"$oauth">> => #{<<"access_token">> => <<"at">>, <<"refresh_token">> => "rt",
                    <<"expires_at">> => 1700000000},
  <<"hexpm">> => #{<<"username">> => <<"alice">>, <<"api_key">> => "k",
                   <<"auth_key">> => <<"ak">>,
                   oauth_token => #{access_token => <<"repo-at">>, expires_at => 1700000100}},
  hexpm_atom => #{repo_key => <<"rk">>}}.
`;
  const config = parseRebar3HexConfig(text, "hex.config");
  assert.deepEqual(config.oauth, { accessToken: "at", refreshToken: "rt", expiresAt: 1700000000 });
  assert.equal(config.repos.hexpm.username, "alice");
  assert.equal(config.repos.hexpm.apiKey, "k");
  assert.equal(config.repos.hexpm.authKey, "ak");
  assert.deepEqual(config.repos.hexpm.oauthToken, {
    accessToken: "repo-at",
    expiresAt: 1700000100,
  });
  assert.equal(config.repos.hexpm_atom.repoKey, "rk");
});

Deno.test("parseRebar3HexConfig() skips what it does not understand", () => {
  const text = `#{<<"hexpm">> => #{write_key => {<<1>>, bad}, read_key => 42, username => 7},
  <<"other">> => not_a_map, 42 => #{}, <<"$oauth">> => #{expires_at => <<"soon">>}}.`;
  const config = parseRebar3HexConfig(text, "hex.config");
  assert.deepEqual(Object.keys(config.repos), ["hexpm"]);
  const hexpm = config.repos.hexpm;
  assert.equal(hexpm.writeKey, undefined);
  assert.equal(hexpm.readKey, undefined);
  assert.equal(hexpm.username, undefined);
  assert.deepEqual(config.oauth, {});
});

Deno.test("parseRebar3HexConfig(): an empty file is no credentials; anything but one map is refused", () => {
  assert.deepEqual(parseRebar3HexConfig("%% coding: utf-8\n", "h").repos, {});
  assert.deepEqual(parseRebar3HexConfig("#{}.\n", "h").repos, {});
  for (const text of ["[{hexpm, x}].", "#{}.\n#{}.", "{a, b}."]) {
    assert.throws(
      () => parseRebar3HexConfig(text, "/home/a/.config/rebar3/hex.config"),
      (e) =>
        e instanceof HexpubError && /not one Erlang map/.test(e.message) &&
        e.where?.file === "/home/a/.config/rebar3/hex.config",
    );
  }
  assert.throws(() => parseRebar3HexConfig('#{<<"hexpm">> => }.', "h"), TermSyntaxError);
});

Deno.test("readRebar3HexConfig() gives undefined for a missing file and never changes the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-rebar3-" });
  try {
    const deps = testDeps(dir);
    assert.equal(await readRebar3HexConfig(deps.fs, join(dir, "hex.config")), undefined);
    const path = join(dir, "hex.config");
    await Deno.copyFile(join(FIXTURES, "hex.config"), path);
    const before = await Deno.readFile(path);
    const mtime = (await Deno.stat(path)).mtime;
    const config = await readRebar3HexConfig(deps.fs, path);
    await decryptLegacyWriteKey(config!.repos.hexpm, "local-pass");
    await decryptLegacyWriteKey(config!.repos.hexpm, "wrong").catch(() => {});
    assert.deepEqual(await Deno.readFile(path), before);
    assert.deepEqual((await Deno.stat(path)).mtime, mtime);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["hex.config"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readRebar3HexConfig() honours a latin-1 coding comment", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-rebar3-" });
  try {
    const path = join(dir, "hex.config");
    const text = '%% coding: latin-1\n#{<<"hexpm">> => #{username => <<"jos\xe9">>}}.\n';
    await Deno.writeFile(path, Uint8Array.from(text, (c) => c.charCodeAt(0)));
    const config = await readRebar3HexConfig(testDeps(dir).fs, path);
    assert.deepEqual(config?.repos.hexpm.usernameBytes, new Uint8Array([106, 111, 115, 0xe9]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
