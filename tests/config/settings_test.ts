import { strict as assert } from "node:assert";
import { UsageError } from "../../src/errors.ts";
import { readTerms } from "../../src/erlang/read_terms.ts";
import {
  HEXPM_API_URL,
  HEXPM_REPO_URL,
  parseBoolean,
  readSetting,
  REBAR3_OAUTH_CLIENT_ID,
  resolveSettings,
  type SettingInputs,
  SETTINGS,
  settingsFrom,
  settingsHelp,
  type SettingValues,
  withConfigFiles,
} from "../../src/config/settings.ts";

const rebar = (text: string) => readTerms(text, "rebar.config");

const DEFAULTS: SettingValues = {
  apiKey: undefined,
  apiUrl: HEXPM_API_URL,
  otp: undefined,
  repoUrl: HEXPM_REPO_URL,
  unsafeRegistry: false,
  noVerifyRepoOrigin: false,
  configDir: undefined,
  rebarGlobalConfigDir: undefined,
  localPassword: undefined,
  yes: false,
  httpTimeout: 30,
  cmdTimeout: 60,
  oauthClientId: REBAR3_OAUTH_CLIENT_ID,
};

Deno.test("resolveSettings() gives the defaults when nothing is set", () => {
  assert.deepEqual(resolveSettings(), DEFAULTS);
  assert.deepEqual(resolveSettings({ env: {}, flags: {}, project: [], global: [] }), DEFAULTS);
});

const cases: { name: string; inputs: SettingInputs; expect: Partial<SettingValues> }[] = [
  { name: "HEX_API_KEY", inputs: { env: { HEX_API_KEY: "k1" } }, expect: { apiKey: "k1" } },
  {
    name: "HEX_API_URL, trailing slash dropped",
    inputs: { env: { HEX_API_URL: "http://127.0.0.1:4000/api/" } },
    expect: { apiUrl: "http://127.0.0.1:4000/api" },
  },
  {
    name: "HEX_API is an alias of HEX_API_URL",
    inputs: { env: { HEX_API: "https://staging.hex.pm/api" } },
    expect: { apiUrl: "https://staging.hex.pm/api" },
  },
  {
    name: "HEX_API_URL wins over HEX_API",
    inputs: { env: { HEX_API_URL: "https://a.example/api", HEX_API: "https://b.example/api" } },
    expect: { apiUrl: "https://a.example/api" },
  },
  {
    name: "a blank HEX_API_URL falls through to HEX_API",
    inputs: { env: { HEX_API_URL: "  ", HEX_API: "https://b.example/api" } },
    expect: { apiUrl: "https://b.example/api" },
  },
  {
    name: "--api-url wins over the environment",
    inputs: {
      flags: { apiUrl: "https://flag.example/api" },
      env: { HEX_API_URL: "https://env.example/api" },
    },
    expect: { apiUrl: "https://flag.example/api" },
  },
  {
    name: "a blank flag counts as unset",
    inputs: { flags: { apiUrl: "" }, env: { HEX_API_URL: "https://env.example/api" } },
    expect: { apiUrl: "https://env.example/api" },
  },
  {
    name: "HEX_OTP and --otp",
    inputs: { flags: { otp: "123456" }, env: { HEX_OTP: "999999" } },
    expect: { otp: "123456" },
  },
  {
    name: "HEX_CDN wins over HEX_MIRROR",
    inputs: { env: { HEX_CDN: "https://cdn.example", HEX_MIRROR: "https://mirror.example" } },
    expect: { repoUrl: "https://cdn.example" },
  },
  {
    name: "HEX_MIRROR_URL wins over HEX_MIRROR",
    inputs: {
      env: { HEX_MIRROR_URL: "https://m1.example", HEX_MIRROR: "https://m2.example" },
    },
    expect: { repoUrl: "https://m1.example" },
  },
  {
    name: "HEX_MIRROR alone",
    inputs: { env: { HEX_MIRROR: "https://mirror.example/" } },
    expect: { repoUrl: "https://mirror.example" },
  },
  {
    name: "rebar_packages_cdn: project over global",
    inputs: {
      project: rebar(`{rebar_packages_cdn, "https://project.example"}.`),
      global: rebar(`{rebar_packages_cdn, <<"https://global.example">>}.`),
    },
    expect: { repoUrl: "https://project.example" },
  },
  {
    name: "rebar_packages_cdn from the global config",
    inputs: {
      project: rebar(`{deps, []}.`),
      global: rebar(`{rebar_packages_cdn, "https://g.ex"}.`),
    },
    expect: { repoUrl: "https://g.ex" },
  },
  {
    name: "env over rebar_packages_cdn",
    inputs: {
      env: { HEX_CDN: "https://env.example" },
      project: rebar(`{rebar_packages_cdn, "https://project.example"}.`),
    },
    expect: { repoUrl: "https://env.example" },
  },
  {
    name: "booleans: 1, TRUE, yes, on",
    inputs: { env: { HEX_UNSAFE_REGISTRY: "1", HEX_NO_VERIFY_REPO_ORIGIN: "TRUE" } },
    expect: { unsafeRegistry: true, noVerifyRepoOrigin: true },
  },
  {
    name: "booleans: off and no",
    inputs: { env: { HEX_UNSAFE_REGISTRY: "off", HEX_NO_VERIFY_REPO_ORIGIN: " no " } },
    expect: { unsafeRegistry: false, noVerifyRepoOrigin: false },
  },
  {
    name: "REBAR_NO_VERIFY_REPO_ORIGIN is an alias",
    inputs: { env: { REBAR_NO_VERIFY_REPO_ORIGIN: "1" } },
    expect: { noVerifyRepoOrigin: true },
  },
  {
    name: "blank booleans are unset",
    inputs: { env: { HEX_UNSAFE_REGISTRY: "", HEX_NO_VERIFY_REPO_ORIGIN: " " } },
    expect: { unsafeRegistry: false, noVerifyRepoOrigin: false },
  },
  {
    name: "--yes (commander gives true)",
    inputs: { flags: { yes: true } },
    expect: { yes: true },
  },
  {
    name: "--yes false as text",
    inputs: { flags: { yes: "false" } },
    expect: { yes: false },
  },
  {
    name: "HEX_HTTP_TIMEOUT in seconds",
    inputs: { env: { HEX_HTTP_TIMEOUT: "2.5" } },
    expect: { httpTimeout: 2.5 },
  },
  {
    name: "HEXPUB_CMD_TIMEOUT in seconds",
    inputs: { env: { HEXPUB_CMD_TIMEOUT: "0.5" } },
    expect: { cmdTimeout: 0.5 },
  },
  {
    name: "HEXPUB_CONFIG_DIR and REBAR_GLOBAL_CONFIG_DIR",
    inputs: { env: { HEXPUB_CONFIG_DIR: "/tmp/hp", REBAR_GLOBAL_CONFIG_DIR: "/tmp/r3" } },
    expect: { configDir: "/tmp/hp", rebarGlobalConfigDir: "/tmp/r3" },
  },
  {
    name: "HEXPUB_LOCAL_PASSWORD keeps its spaces",
    inputs: { env: { HEXPUB_LOCAL_PASSWORD: " pass word " } },
    expect: { localPassword: " pass word " },
  },
  {
    name: "a blank HEXPUB_LOCAL_PASSWORD is unset",
    inputs: { env: { HEXPUB_LOCAL_PASSWORD: "   " } },
    expect: { localPassword: undefined },
  },
  {
    name: "HEX_API_KEY is trimmed",
    inputs: { env: { HEX_API_KEY: " k2\n" } },
    expect: { apiKey: "k2" },
  },
  {
    name: "a blank HEX_API_KEY is unset",
    inputs: { env: { HEX_API_KEY: "" } },
    expect: { apiKey: undefined },
  },
  {
    name: "HEXPUB_OAUTH_CLIENT_ID",
    inputs: { env: { HEXPUB_OAUTH_CLIENT_ID: "my-client" } },
    expect: { oauthClientId: "my-client" },
  },
];

for (const c of cases) {
  Deno.test(`resolveSettings(): ${c.name}`, () => {
    assert.deepEqual(resolveSettings(c.inputs), { ...DEFAULTS, ...c.expect });
  });
}

const invalid: { name: string; inputs: SettingInputs; names: RegExp }[] = [
  {
    name: "a boolean outside the accepted words",
    inputs: { env: { HEX_UNSAFE_REGISTRY: "maybe" } },
    names: /HEX_UNSAFE_REGISTRY "maybe".*1, true, yes or on.*0, false, no or off/,
  },
  {
    name: "an alias's bad boolean names the alias",
    inputs: { env: { REBAR_NO_VERIFY_REPO_ORIGIN: "2" } },
    names: /REBAR_NO_VERIFY_REPO_ORIGIN "2"/,
  },
  {
    name: "a URL that is not http(s)",
    inputs: { env: { HEX_API: "ftp://x.example" } },
    names: /HEX_API "ftp:\/\/x.example"/,
  },
  {
    name: "a URL that does not parse",
    inputs: { flags: { apiUrl: "hex.pm/api" } },
    names: /--api-url "hex.pm\/api"/,
  },
  {
    name: "a timeout that is not a positive number",
    inputs: { env: { HEX_HTTP_TIMEOUT: "0" } },
    names: /HEX_HTTP_TIMEOUT "0"/,
  },
  {
    name: "a timeout with a unit",
    inputs: { env: { HEX_HTTP_TIMEOUT: "30s" } },
    names: /HEX_HTTP_TIMEOUT "30s"/,
  },
  {
    name: "rebar_packages_cdn of the wrong type",
    inputs: { global: rebar(`{rebar_packages_cdn, cdn}.`) },
    names: /rebar_packages_cdn in the global rebar.config/,
  },
  {
    name: "a boolean flag given a number",
    inputs: { flags: { yes: 3 } },
    names: /--yes/,
  },
];

for (const c of invalid) {
  Deno.test(`resolveSettings() refuses ${c.name}`, () => {
    assert.throws(() => resolveSettings(c.inputs), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, c.names);
      assert.equal(e.exitCode, 2);
      return true;
    });
  });
}

Deno.test("parseBoolean() accepts the words in any case and says which are accepted", () => {
  for (const w of ["1", "true", "Yes", "ON"]) assert.equal(parseBoolean(w, "X"), true);
  for (const w of ["0", "False", "NO", "off"]) assert.equal(parseBoolean(w, "X"), false);
  assert.throws(() => parseBoolean("y", "HEX_X"), /invalid HEX_X "y"/);
});

Deno.test("readSetting() says where a value came from", () => {
  assert.deepEqual(readSetting("apiUrl", { env: { HEX_API: "https://x.example/api" } }), {
    value: "https://x.example/api",
    source: "env",
    origin: "HEX_API",
  });
  assert.deepEqual(readSetting("otp", { flags: { otp: "111111" } }), {
    value: "111111",
    source: "flag",
    origin: "--otp",
  });
  assert.deepEqual(
    readSetting("repoUrl", { global: rebar(`{rebar_packages_cdn, "https://g.example"}.`) }),
    { value: "https://g.example", source: "global", origin: "rebar_packages_cdn" },
  );
  assert.equal(readSetting("apiUrl", {}), undefined);
});

Deno.test("readSetting() reads the environment at call time, never at import", () => {
  const env: Record<string, string> = {};
  assert.equal(readSetting("apiKey", { env }), undefined);
  env.HEX_API_KEY = "later";
  assert.equal(readSetting("apiKey", { env })?.value, "later");
});

Deno.test("settingsFrom() resolves once, flag > env > project > global > default, and keeps no link to its inputs", () => {
  const env: Record<string, string> = {
    HEX_API_URL: "https://env.example/api",
    HEX_OTP: "222222",
    HEX_CDN: "https://env-cdn.example",
  };
  const flags = { apiUrl: "https://flag.example/api" };
  const project = rebar(`{rebar_packages_cdn, "https://project.example"}.`);
  const global = rebar(`{rebar_packages_cdn, "https://global.example"}.`);
  const settings = settingsFrom({ flags, env, project, global });
  // A flag beats the environment; the environment beats both config files.
  assert.deepEqual(settings.source("apiUrl"), {
    value: "https://flag.example/api",
    source: "flag",
    origin: "--api-url",
  });
  assert.equal(settings.get("otp"), "222222");
  assert.deepEqual(settings.source("repoUrl"), {
    value: "https://env-cdn.example",
    source: "env",
    origin: "HEX_CDN",
  });
  // Without the variable, the project's file beats the global one; without both, the default.
  assert.equal(settingsFrom({ project, global }).get("repoUrl"), "https://project.example");
  assert.equal(settingsFrom({ global }).get("repoUrl"), "https://global.example");
  assert.equal(settingsFrom({}).get("repoUrl"), HEXPM_REPO_URL);
  assert.equal(settingsFrom({}).source("repoUrl"), undefined);

  // Resolved once: later changes to the inputs change nothing, and the value is frozen.
  env.HEX_OTP = "333333";
  delete env.HEX_CDN;
  (flags as Record<string, string>).apiUrl = "https://later.example/api";
  assert.equal(settings.get("otp"), "222222");
  assert.equal(settings.get("repoUrl"), "https://env-cdn.example");
  assert.equal(settings.get("apiUrl"), "https://flag.example/api");
  assert.ok(Object.isFrozen(settings));
});

Deno.test("settingsFrom() keeps a malformed value's error for the first read of that setting", () => {
  const settings = settingsFrom({ env: { HEX_HTTP_TIMEOUT: "soon", HEX_OTP: "123456" } });
  assert.equal(settings.get("otp"), "123456", "other settings read fine");
  for (const read of [() => settings.get("httpTimeout"), () => settings.source("httpTimeout")]) {
    assert.throws(
      read,
      (e: unknown) => e instanceof UsageError && /HEX_HTTP_TIMEOUT "soon"/.test(e.message),
    );
  }
  assert.throws(() => resolveSettings({ env: { HEX_HTTP_TIMEOUT: "soon" } }), UsageError);
});

Deno.test("settingsFrom(): variable() gives each variable alone, winning or not", () => {
  const settings = settingsFrom({
    env: {
      HEX_CDN: "https://cdn.example/",
      HEX_MIRROR_URL: "https://mirror.example",
      HEX_MIRROR: "nope",
    },
  });
  assert.equal(settings.get("repoUrl"), "https://cdn.example");
  assert.equal(settings.variable("repoUrl", "HEX_CDN")?.value, "https://cdn.example");
  assert.equal(settings.variable("repoUrl", "HEX_MIRROR_URL")?.value, "https://mirror.example");
  assert.equal(settings.variable("repoUrl", "HEX_MIRROR"), undefined, "malformed and not winning");
  assert.equal(settings.variable("repoUrl", "HEX_API_URL"), undefined, "not one of its variables");
});

Deno.test("withConfigFiles() layers the config files under flags and the environment", () => {
  const project = rebar(`{rebar_packages_cdn, "https://project.example"}.`);
  const fromEnv = settingsFrom({ env: { HEX_MIRROR: "https://mirror.example" } });
  assert.equal(withConfigFiles(fromEnv, { project }).get("repoUrl"), "https://mirror.example");
  const bare = settingsFrom({ env: { HEX_OTP: "123456" } });
  const layered = withConfigFiles(bare, { project });
  assert.deepEqual(layered.source("repoUrl"), {
    value: "https://project.example",
    source: "project",
    origin: "rebar_packages_cdn",
  });
  assert.equal(layered.get("otp"), "123456");
  assert.equal(bare.get("repoUrl"), HEXPM_REPO_URL, "the settings it was given are unchanged");
  // A malformed variable still wins over the file: its error stays.
  const bad = settingsFrom({ env: { HEX_CDN: "ftp://x" } });
  assert.throws(() => withConfigFiles(bad, { project }).get("repoUrl"), /HEX_CDN/);
});

Deno.test("settingsHelp() has one line per setting, naming every variable and flag", () => {
  const lines = settingsHelp();
  assert.equal(lines.length, Object.keys(SETTINGS).length);
  const text = lines.join("\n");
  for (const spec of Object.values(SETTINGS)) {
    for (const name of spec.env) assert.ok(text.includes(name), `${name} is listed`);
    if (spec.flag) assert.ok(text.includes(spec.flag), `${spec.flag} is listed`);
  }
  for (
    const name of [
      "HEX_API_KEY",
      "HEX_API_URL",
      "HEX_API",
      "HEX_OTP",
      "HEX_CDN",
      "HEX_MIRROR",
      "HEX_MIRROR_URL",
      "HEX_UNSAFE_REGISTRY",
      "HEX_NO_VERIFY_REPO_ORIGIN",
      "REBAR_NO_VERIFY_REPO_ORIGIN",
      "HEXPUB_CONFIG_DIR",
      "HEXPUB_LOCAL_PASSWORD",
      "HEX_HTTP_TIMEOUT",
      "HEXPUB_CMD_TIMEOUT",
      "HEXPUB_OAUTH_CLIENT_ID",
      "--yes",
      "--otp",
      "rebar_packages_cdn",
    ]
  ) assert.ok(text.includes(name), `${name} is listed`);
  assert.match(text, /HEX_API_URL, HEX_API, --api-url URL: .*\(default: https:\/\/hex.pm\/api\)/);
});

Deno.test("settingsHelp() never prints a secret's default", () => {
  for (const line of settingsHelp()) {
    if (/HEX_API_KEY|HEXPUB_LOCAL_PASSWORD|HEX_OTP/.test(line)) {
      assert.doesNotMatch(line, /default:/);
    }
  }
});
