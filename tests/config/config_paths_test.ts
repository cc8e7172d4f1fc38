import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { configDir, credentialsPath, rebar3HexConfigPath } from "../../src/config/config_paths.ts";

Deno.test("configDir() prefers HEXPUB_CONFIG_DIR on every platform", () => {
  const env = {
    HEXPUB_CONFIG_DIR: "/srv/hexpub",
    XDG_CONFIG_HOME: "/x",
    HOME: "/home/a",
    APPDATA: "C:\\Users\\a\\AppData\\Roaming",
  };
  for (const os of ["linux", "darwin", "windows"]) {
    assert.equal(configDir(env, os), "/srv/hexpub");
  }
});

Deno.test("configDir() uses XDG_CONFIG_HOME, then HOME/.config, on Linux and macOS", () => {
  for (const os of ["linux", "darwin", "freebsd"]) {
    assert.equal(configDir({ XDG_CONFIG_HOME: "/x/cfg", HOME: "/home/a" }, os), "/x/cfg/hexpub");
    assert.equal(configDir({ HOME: "/home/a" }, os), "/home/a/.config/hexpub");
  }
});

Deno.test("configDir() ignores a relative or blank XDG_CONFIG_HOME and a blank HEXPUB_CONFIG_DIR", () => {
  const home = "/home/a/.config/hexpub";
  assert.equal(configDir({ XDG_CONFIG_HOME: "cfg", HOME: "/home/a" }, "linux"), home);
  assert.equal(configDir({ XDG_CONFIG_HOME: "  ", HOME: "/home/a" }, "linux"), home);
  assert.equal(configDir({ HEXPUB_CONFIG_DIR: "", HOME: "/home/a" }, "linux"), home);
});

Deno.test("configDir() uses %APPDATA%\\hexpub on Windows, with a USERPROFILE fallback", () => {
  assert.equal(
    configDir({ APPDATA: "C:\\Users\\a\\AppData\\Roaming", HOME: "/ignored" }, "windows"),
    "C:\\Users\\a\\AppData\\Roaming\\hexpub",
  );
  assert.equal(
    configDir({ USERPROFILE: "C:\\Users\\a" }, "windows"),
    "C:\\Users\\a\\AppData\\Roaming\\hexpub",
  );
  assert.equal(
    credentialsPath({ APPDATA: "C:\\Users\\a\\AppData\\Roaming" }, "windows"),
    "C:\\Users\\a\\AppData\\Roaming\\hexpub\\credentials.json",
  );
});

Deno.test("configDir() without any base directory fails naming HEXPUB_CONFIG_DIR", () => {
  for (const os of ["linux", "windows"]) {
    assert.throws(
      () => configDir({}, os),
      (e) => e instanceof UsageError && /HEXPUB_CONFIG_DIR/.test(e.hint ?? ""),
    );
  }
});

Deno.test("credentialsPath() is credentials.json in the config dir", () => {
  assert.equal(
    credentialsPath({ HOME: "/home/a" }, "linux"),
    "/home/a/.config/hexpub/credentials.json",
  );
  assert.equal(credentialsPath({ HEXPUB_CONFIG_DIR: "/c" }, "darwin"), "/c/credentials.json");
});

Deno.test("rebar3HexConfigPath() follows REBAR_GLOBAL_CONFIG_DIR, then HOME, never XDG", () => {
  assert.equal(
    rebar3HexConfigPath({ REBAR_GLOBAL_CONFIG_DIR: "/r", HOME: "/home/a" }),
    "/r/.config/rebar3/hex.config",
  );
  assert.equal(
    rebar3HexConfigPath({ HOME: "/home/a", XDG_CONFIG_HOME: "/x" }),
    "/home/a/.config/rebar3/hex.config",
  );
  assert.equal(rebar3HexConfigPath({}), undefined);
  assert.equal(
    rebar3HexConfigPath({ USERPROFILE: "C:\\Users\\a", HOME: "/h" }, "windows"),
    "C:\\Users\\a\\.config\\rebar3\\hex.config",
  );
});
