import assert from "node:assert/strict";
import { join } from "node:path";
import { AuthError } from "../../src/errors.ts";
import {
  changePassword,
  createKey,
  type CredentialStore,
  decryptSecret,
  DEFAULT_ITERATIONS,
  deriveKey,
  emptyStore,
  type Encrypted,
  encryptSecret,
  getAccessToken,
  getApiKey,
  getOAuth,
  getRepoKey,
  getUsername,
  hasPassword,
  hasPlainSecrets,
  loadStore,
  PLAIN_KEY,
  removeCredential,
  removeRepo,
  repoNames,
  saveStore,
  secretAad,
  setAccessToken,
  setApiKey,
  setOAuth,
  setRepoKey,
  setUsername,
  TamperedStoreError,
  unlock,
  updateStore,
  WrongPasswordError,
} from "../../src/config/credential_store.ts";
import { testDeps } from "../support/test_deps.ts";

/** Tests derive keys cheaply; only the default-count test pays for 600,000 iterations. */
const ITERATIONS = 1_000;
const PASSWORD = "correct horse";
const SECRETS = {
  refresh: "refresh-token-SECRET-7f3a",
  apiKey: "0123456789abcdef-API-SECRET",
  repoKey: "repo-key-SECRET-acme-99",
  orgApiKey: "org-api-key-SECRET-42",
};

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-store-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A store holding every kind of credential, and its key. */
async function fullStore() {
  const key = await createKey(PASSWORD, { iterations: ITERATIONS });
  let store = emptyStore();
  store = setUsername(store, "hexpm", "alice");
  store = await setOAuth(store, key, "hexpm", {
    accessToken: "access-token-clear",
    expiresAt: 1_900_000_000,
    refreshToken: SECRETS.refresh,
    scope: "api:write",
    clientId: "client-123",
  });
  store = await setApiKey(store, key, "hexpm", SECRETS.apiKey, { name: "laptop-api" });
  store = await setRepoKey(store, key, "hexpm:acme", SECRETS.repoKey);
  store = await setApiKey(store, key, "hexpm:acme", SECRETS.orgApiKey);
  return { store, key };
}

async function writeJson(path: string, json: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(json));
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("DEFAULT_ITERATIONS is at least 600,000 and is what createKey() uses", async () => {
  assert.ok(DEFAULT_ITERATIONS >= 600_000, `DEFAULT_ITERATIONS = ${DEFAULT_ITERATIONS}`);
  const key = await createKey("pw");
  assert.equal(key.kdf.iterations, DEFAULT_ITERATIONS);
  assert.equal(key.kdf.name, "PBKDF2-SHA256");
  assert.equal(Uint8Array.fromBase64(key.kdf.salt).length, 16);
  // changePassword() upgrades to the default too.
  const { key: changed } = await changePassword(emptyStore(), "", "pw2");
  assert.equal(changed.kdf.iterations, DEFAULT_ITERATIONS);
});

Deno.test("the store round-trips through the file", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "credentials.json");
    const { store } = await fullStore();
    await saveStore(io, path, store);

    const loaded = await loadStore(io, path);
    assert.equal(loaded.file, path);
    assert.deepEqual(repoNames(loaded), ["hexpm", "hexpm:acme"]);
    assert.equal(getUsername(loaded, "hexpm"), "alice");
    assert.deepEqual(getAccessToken(loaded, "hexpm"), {
      accessToken: "access-token-clear",
      expiresAt: 1_900_000_000,
      scope: "api:write",
      clientId: "client-123",
    });
    const key = await unlock(loaded, PASSWORD);
    assert.deepEqual(await getOAuth(loaded, key, "hexpm"), {
      accessToken: "access-token-clear",
      expiresAt: 1_900_000_000,
      refreshToken: SECRETS.refresh,
      scope: "api:write",
      clientId: "client-123",
    });
    assert.deepEqual(await getApiKey(loaded, key, "hexpm"), {
      secret: SECRETS.apiKey,
      name: "laptop-api",
    });
    assert.deepEqual(await getApiKey(loaded, key, "hexpm:acme"), { secret: SECRETS.orgApiKey });
    assert.equal(await getRepoKey(loaded, key, "hexpm:acme"), SECRETS.repoKey);
    assert.equal(await getRepoKey(loaded, key, "hexpm"), undefined);
    assert.equal(await getApiKey(loaded, key, "other"), undefined);

    // The layout on disk.
    const json = await readJson(path);
    assert.deepEqual(Object.keys(json), ["version", "kdf", "verifier", "repos"]);
    assert.equal(json.version, 1);
    const repos = json.repos as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(Object.keys(repos.hexpm).sort(), ["apiKey", "oauth", "username"]);
    assert.deepEqual(Object.keys(repos.hexpm.oauth).sort(), [
      "accessToken",
      "clientId",
      "expiresAt",
      "refreshToken",
      "scope",
    ]);
    assert.deepEqual(Object.keys(repos.hexpm.apiKey).sort(), ["ct", "iv", "name"]);
    assert.equal("file" in json, false);
  });
});

Deno.test("a missing store loads as empty and saving creates a private directory", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "nested", "hexpub", "credentials.json");
    const store = await loadStore(io, path);
    assert.deepEqual(repoNames(store), []);
    assert.equal(hasPassword(store), false);
    await saveStore(io, path, setUsername(store, "hexpm", "alice"));
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(join(dir, "nested", "hexpub"))).mode! & 0o777, 0o700);
    }
    assert.equal(getUsername(await loadStore(io, path), "hexpm"), "alice");
  });
});

Deno.test({
  name: "the store file is mode 0600, even over a file that was world-readable",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withTempDir(async (dir) => {
      const io = testDeps(dir);
      const path = join(dir, "credentials.json");
      await Deno.writeTextFile(path, JSON.stringify(emptyStore()), { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      const { store } = await fullStore();
      await saveStore(io, path, store);
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      await updateStore(io, path, (s) => setUsername(s, "hexpm", "bob"));
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    });
  },
});

Deno.test("secrets never appear in clear in the file", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "credentials.json");
    const { store } = await fullStore();
    await saveStore(io, path, store);
    const bytes = await Deno.readFile(path);
    const text = new TextDecoder().decode(bytes);
    for (const secret of [...Object.values(SECRETS), PASSWORD]) {
      assert.equal(text.includes(secret), false, `"${secret}" is in the file`);
      assert.equal(text.includes(btoa(secret)), false, `base64 of "${secret}" is in the file`);
    }
    // The short-lived access token is the one token kept in clear, on purpose.
    assert.ok(text.includes("access-token-clear"));
  });
});

Deno.test("unlock() rejects a wrong password with WrongPasswordError naming the file", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "credentials.json");
    await saveStore(io, path, (await fullStore()).store);
    const loaded = await loadStore(io, path);
    for (const wrong of ["", "correct horse ", "Correct horse", "x".repeat(100)]) {
      await assert.rejects(unlock(loaded, wrong), (e) => {
        assert.ok(e instanceof WrongPasswordError);
        assert.ok(e instanceof AuthError);
        assert.equal(e.exitCode, 4);
        assert.match(e.message, /wrong local password/);
        assert.ok(e.message.includes(path));
        assert.match(e.hint ?? "", /hexpub user deauth/);
        assert.equal(e.message.includes(wrong) && wrong !== "", false);
        return true;
      });
    }
    // Changing the iteration count in the file only makes every password wrong.
    const json = await readJson(path);
    (json.kdf as { iterations: number }).iterations = ITERATIONS + 1;
    await writeJson(path, json);
    await assert.rejects(unlock(await loadStore(io, path), PASSWORD), WrongPasswordError);
  });
});

Deno.test("unlock() on a store with no password says so", async () => {
  await assert.rejects(
    unlock(setUsername(emptyStore(), "hexpm", "a"), PASSWORD),
    (e) => e instanceof AuthError && !(e instanceof WrongPasswordError),
  );
});

/** Saves the full store, lets `tamper` edit its JSON, and returns what loading and unlocking do. */
async function tamperWith(
  // deno-lint-ignore no-explicit-any -- the test edits arbitrary parts of the JSON
  tamper: (json: Record<string, any>) => void,
): Promise<{ path: string; result: Promise<unknown> }> {
  const dir = await Deno.makeTempDir({ prefix: "hexpub-tamper-" });
  const io = testDeps(dir);
  const path = join(dir, "credentials.json");
  await saveStore(io, path, (await fullStore()).store);
  const json = await readJson(path);
  tamper(json);
  await writeJson(path, json);
  const result = (async () => {
    try {
      return await unlock(await loadStore(io, path), PASSWORD);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  return { path, result };
}

function assertTampered(path: string, detail: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof TamperedStoreError, `got ${e}`);
    assert.ok(e instanceof AuthError);
    assert.ok(e.message.includes(path), e.message);
    assert.match(e.message, detail);
    assert.match(e.hint ?? "", /hexpub user deauth/);
    assert.match(e.hint ?? "", /delete/);
    assert.deepEqual(e.where, { file: path });
    for (const secret of Object.values(SECRETS)) assert.equal(e.message.includes(secret), false);
    return true;
  };
}

Deno.test("a store with a changed secret byte is refused when unlocked", async () => {
  const { path, result } = await tamperWith((json) => {
    const ct = Uint8Array.fromBase64(json.repos.hexpm.apiKey.ct);
    ct[0] ^= 1;
    json.repos.hexpm.apiKey.ct = ct.toBase64();
  });
  await assert.rejects(result, assertTampered(path, /apiKey of repository "hexpm"/));
});

Deno.test("a store with a changed tag is refused", async () => {
  const { path, result } = await tamperWith((json) => {
    const ct = Uint8Array.fromBase64(json.repos.hexpm.oauth.refreshToken.ct);
    ct[ct.length - 1] ^= 0x80;
    json.repos.hexpm.oauth.refreshToken.ct = ct.toBase64();
  });
  await assert.rejects(result, assertTampered(path, /oauth.refreshToken/));
});

Deno.test("a secret moved to another repository or field no longer decrypts", async () => {
  const moved = await tamperWith((json) => {
    json.repos["hexpm:acme"].apiKey = { ...json.repos.hexpm.apiKey };
  });
  await assert.rejects(moved.result, assertTampered(moved.path, /"hexpm:acme"/));
  const swapped = await tamperWith((json) => {
    json.repos["hexpm:acme"].repoKey = {
      iv: json.repos.hexpm.apiKey.iv,
      ct: json.repos.hexpm.apiKey.ct,
    };
  });
  await assert.rejects(swapped.result, assertTampered(swapped.path, /repoKey/));
  const renamed = await tamperWith((json) => {
    json.repos.other = json.repos.hexpm;
    delete json.repos.hexpm;
  });
  await assert.rejects(renamed.result, assertTampered(renamed.path, /"other"/));
});

Deno.test("a store that is not valid JSON or not a store is refused, never a crash", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "credentials.json");
    const cases: [string, RegExp][] = [
      ['{"version": 1, "repos": {', /not valid JSON/],
      ["\xff\xfe", /not valid JSON/],
      ["[]", /not a JSON object/],
      ['{"version": 1}', /repos is not an object/],
      ['{"version": "1", "repos": {}}', /unknown format version/],
      ['{"version": 1, "repos": {"hexpm": 3}}', /not a repository entry/],
      [
        '{"version": 1, "repos": {"hexpm": {"apiKey": {"iv": "AAAA", "ct": "AAAA"}}}}',
        /iv is not 12 bytes/,
      ],
      ['{"version": 1, "repos": {"hexpm": {"apiKey": {"iv": "!!", "ct": "AAAA"}}}}', /not base64/],
      [
        '{"version": 1, "repos": {"hexpm": {"apiKey": {"iv": "AAAAAAAAAAAAAAAA", "ct": "AAAAAAAAAAAAAAAAAAAAAA=="}}}}',
        /holds encrypted secrets but no kdf/,
      ],
      [
        '{"version": 1, "kdf": {"name": "PBKDF2-SHA256", "salt": "AAAAAAAAAAAAAAAAAAAAAA==", "iterations": 1e12}, "verifier": {"iv": "AAAAAAAAAAAAAAAA", "ct": "AAAAAAAAAAAAAAAAAAAAAA=="}, "repos": {}}',
        /iterations/,
      ],
      [
        '{"version": 1, "repos": {"hexpm": {"oauth": {"accessToken": 1}}}}',
        /expiresAt|accessToken/,
      ],
    ];
    for (const [text, detail] of cases) {
      await Deno.writeFile(path, new Uint8Array([...text].map((c) => c.charCodeAt(0))));
      await assert.rejects(loadStore(io, path), assertTampered(path, detail), text);
    }
    await Deno.writeTextFile(path, '{"version": 2, "repos": {}}');
    await assert.rejects(
      loadStore(io, path),
      (e) => e instanceof AuthError && /newer hexpub/.test(e.message),
    );
  });
});

Deno.test("a repository named __proto__ is stored as data, not as a prototype", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "credentials.json");
    await saveStore(io, path, setUsername(emptyStore(), "__proto__", "mallory"));
    const loaded = await loadStore(io, path);
    assert.equal(getUsername(loaded, "__proto__"), "mallory");
    assert.equal(getUsername(loaded, "toString"), undefined);
    assert.deepEqual(repoNames(loaded), ["__proto__"]);
  });
});

Deno.test("changePassword() re-encrypts every secret under the new password", async () => {
  const { store } = await fullStore();
  await assert.rejects(
    changePassword(store, "wrong", "new", { iterations: ITERATIONS }),
    WrongPasswordError,
  );
  const { store: changed, key } = await changePassword(store, PASSWORD, "new password", {
    iterations: ITERATIONS,
  });
  assert.notEqual(changed.kdf!.salt, store.kdf!.salt);
  assert.notEqual(
    (changed.repos.hexpm.apiKey as Encrypted).iv,
    (store.repos.hexpm.apiKey as Encrypted).iv,
  );
  assert.notEqual(
    (changed.repos.hexpm.oauth!.refreshToken as Encrypted).ct,
    (store.repos.hexpm.oauth!.refreshToken as Encrypted).ct,
  );
  await assert.rejects(unlock(changed, PASSWORD), WrongPasswordError);
  const reopened = await unlock(changed, "new password");
  assert.equal((await getApiKey(changed, reopened, "hexpm"))?.secret, SECRETS.apiKey);
  assert.equal((await getApiKey(changed, key, "hexpm"))?.name, "laptop-api");
  assert.equal((await getOAuth(changed, key, "hexpm"))?.refreshToken, SECRETS.refresh);
  assert.equal(await getRepoKey(changed, key, "hexpm:acme"), SECRETS.repoKey);
  assert.equal(getUsername(changed, "hexpm"), "alice");
  // The original store object is left as it was.
  assert.equal(
    (await getApiKey(store, await unlock(store, PASSWORD), "hexpm"))?.secret,
    SECRETS.apiKey,
  );
});

Deno.test("setters refuse a key that belongs to another store", async () => {
  const { store } = await fullStore();
  const other = await createKey(PASSWORD, { iterations: ITERATIONS });
  await assert.rejects(setApiKey(store, other, "hexpm", "k"), AuthError);
  await assert.rejects(getApiKey(store, other, "hexpm"), AuthError);
  // A store without a password takes the key's parameters.
  const adopted = await setRepoKey(emptyStore(), other, "hexpm", "rk");
  assert.deepEqual(adopted.kdf, other.kdf);
  assert.equal(await getRepoKey(adopted, await unlock(adopted, PASSWORD), "hexpm"), "rk");
});

Deno.test("forgetting credentials needs no password", async () => {
  const { store, key } = await fullStore();
  const noOauth = removeCredential(store, "hexpm", "oauth");
  assert.equal(getAccessToken(noOauth, "hexpm"), undefined);
  assert.equal((await getApiKey(noOauth, key, "hexpm"))?.secret, SECRETS.apiKey);
  let gone = removeCredential(store, "hexpm:acme", "apiKey");
  gone = removeCredential(gone, "hexpm:acme", "repoKey");
  assert.deepEqual(repoNames(gone), ["hexpm"]);
  assert.deepEqual(repoNames(removeRepo(store, "hexpm")), ["hexpm:acme"]);
  assert.equal(removeRepo(store, "absent"), store);
});

Deno.test("setAccessToken() replaces the cached access token and keeps the refresh token", async () => {
  const { store, key } = await fullStore();
  const next = setAccessToken(store, "hexpm", "new-access", 2_000_000_000);
  assert.deepEqual(getAccessToken(next, "hexpm")?.accessToken, "new-access");
  assert.equal((await getOAuth(next, key, "hexpm"))?.refreshToken, SECRETS.refresh);
  assert.throws(() => setAccessToken(store, "hexpm:acme", "x", 1), RangeError);
});

Deno.test("encryptSecret() binds the additional data; decryptSecret() refuses other data", async () => {
  const key = await deriveKey("pw", new Uint8Array(16), ITERATIONS);
  const sealed = await encryptSecret(key, secretAad("hexpm", "apiKey"), "s3cr3t");
  assert.equal(Uint8Array.fromBase64(sealed.iv).length, 12);
  assert.equal(Uint8Array.fromBase64(sealed.ct).length, "s3cr3t".length + 16);
  assert.equal(await decryptSecret(key, secretAad("hexpm", "apiKey"), sealed), "s3cr3t");
  await assert.rejects(
    decryptSecret(key, secretAad("hexpm:acme", "apiKey"), sealed),
    TamperedStoreError,
  );
  await assert.rejects(
    decryptSecret(key, secretAad("hexpm", "repoKey"), sealed),
    TamperedStoreError,
  );
  const again = await encryptSecret(key, secretAad("hexpm", "apiKey"), "s3cr3t");
  assert.notEqual(again.iv, sealed.iv, "every secret gets a fresh IV");
});

Deno.test("deriveKey() normalises the password and checks the iteration count", async () => {
  const salt = new Uint8Array(16);
  const composed = await deriveKey("caf\u00e9", salt, ITERATIONS);
  const decomposed = await deriveKey("cafe\u0301", salt, ITERATIONS);
  const sealed = await encryptSecret(composed, "aad", "x");
  assert.equal(await decryptSecret(decomposed, "aad", sealed), "x");
  await assert.rejects(deriveKey("pw", salt, 0), RangeError);
  await assert.rejects(deriveKey("pw", salt, 1.5), RangeError);
});

Deno.test("updateStore() reads, changes and writes under the lock, and removes the lock", async () => {
  await withTempDir(async (dir) => {
    const io = testDeps(dir);
    const path = join(dir, "sub", "credentials.json");
    const key = await createKey(PASSWORD, { iterations: ITERATIONS });
    const written = await updateStore(io, path, (s) => setApiKey(s, key, "hexpm", "k1"));
    assert.equal(written.file, path);
    await updateStore(io, path, (s) => setUsername(s, "hexpm", "alice"));
    const loaded: CredentialStore = await loadStore(io, path);
    assert.equal(getUsername(loaded, "hexpm"), "alice");
    assert.equal((await getApiKey(loaded, await unlock(loaded, PASSWORD), "hexpm"))?.secret, "k1");
    assert.deepEqual([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), [
      "credentials.json",
    ]);
  });
});

/** A store holding every kind of credential in plain text (no local password). */
async function plainStore() {
  let store = setUsername(emptyStore(), "hexpm", "alice");
  store = await setOAuth(store, PLAIN_KEY, "hexpm", {
    accessToken: "access-token-clear",
    expiresAt: 1_900_000_000,
    refreshToken: SECRETS.refresh,
    scope: "api:write",
    clientId: "client-123",
  });
  store = await setApiKey(store, PLAIN_KEY, "hexpm", SECRETS.apiKey, { name: "laptop-api" });
  return await setRepoKey(store, PLAIN_KEY, "hexpm:acme", SECRETS.repoKey);
}

Deno.test("PLAIN_KEY keeps secrets in plain text in a store with no password, and reads them back", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "credentials.json");
    const io = testDeps(dir);
    await saveStore(io, path, await plainStore());
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const json = await readJson(path);
    assert.equal(json.kdf, undefined);
    const repos = json.repos as Record<string, Record<string, unknown>>;
    assert.deepEqual(repos["hexpm:acme"].repoKey, { plain: SECRETS.repoKey });
    assert.deepEqual(repos.hexpm.apiKey, { plain: SECRETS.apiKey, name: "laptop-api" });

    const loaded = await loadStore(io, path);
    assert.equal(hasPassword(loaded), false);
    assert.equal(hasPlainSecrets(loaded), true);
    assert.equal(await getRepoKey(loaded, PLAIN_KEY, "hexpm:acme"), SECRETS.repoKey);
    assert.deepEqual(await getApiKey(loaded, PLAIN_KEY, "hexpm"), {
      secret: SECRETS.apiKey,
      name: "laptop-api",
    });
    assert.equal((await getOAuth(loaded, PLAIN_KEY, "hexpm"))?.refreshToken, SECRETS.refresh);
  });
});

Deno.test("the first encryption key encrypts every plain secret: a store is never a mix", async () => {
  const plain = await plainStore();
  const key = await createKey(PASSWORD, { iterations: ITERATIONS });
  const store = await setApiKey(plain, key, "hexpm:beta", SECRETS.orgApiKey);
  assert.equal(hasPlainSecrets(store), false);
  assert.ok(hasPassword(store));
  for (const secret of Object.values(SECRETS)) {
    assert.doesNotMatch(JSON.stringify(store), new RegExp(secret));
  }
  const reopened = await unlock(store, PASSWORD);
  assert.equal(await getRepoKey(store, reopened, "hexpm:acme"), SECRETS.repoKey);
  assert.equal((await getApiKey(store, reopened, "hexpm"))?.name, "laptop-api");
  assert.equal((await getOAuth(store, reopened, "hexpm"))?.refreshToken, SECRETS.refresh);
  assert.equal((await getApiKey(store, reopened, "hexpm:beta"))?.secret, SECRETS.orgApiKey);
  // And a store with a password refuses the plain key.
  await assert.rejects(setRepoKey(store, PLAIN_KEY, "hexpm:acme", "x"), AuthError);
  await assert.rejects(getRepoKey(store, PLAIN_KEY, "hexpm:acme"), AuthError);
});

Deno.test("changePassword() encrypts a plain store", async () => {
  const { store, key } = await changePassword(await plainStore(), "", "new", {
    iterations: ITERATIONS,
  });
  assert.equal(hasPlainSecrets(store), false);
  assert.equal(await getRepoKey(store, key, "hexpm:acme"), SECRETS.repoKey);
  assert.equal(
    (await getApiKey(store, await unlock(store, "new"), "hexpm"))?.secret,
    SECRETS.apiKey,
  );
});

Deno.test("a file mixing plain and encrypted secrets, or encrypted ones without kdf, is refused", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "credentials.json");
    const io = testDeps(dir);
    const { store } = await fullStore();
    await saveStore(io, path, store);
    const mixed = await readJson(path);
    (mixed.repos as Record<string, Record<string, unknown>>)["hexpm:acme"].repoKey = {
      plain: "inserted",
    };
    await writeJson(path, mixed);
    await assert.rejects(loadStore(io, path), TamperedStoreError);

    const noKdf = await readJson(path);
    delete noKdf.kdf;
    delete noKdf.verifier;
    (noKdf.repos as Record<string, Record<string, unknown>>)["hexpm:acme"].repoKey = {
      plain: "k",
    };
    await writeJson(path, noKdf);
    await assert.rejects(loadStore(io, path), /encrypted secrets but no kdf/);

    const badPlain = { version: 1, repos: { hexpm: { repoKey: { plain: 42 } } } };
    await writeJson(path, badPlain);
    await assert.rejects(loadStore(io, path), /repoKey\.plain is not a string/);
  });
});
