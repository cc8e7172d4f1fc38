import { strict as assert } from "node:assert";
import { UsageError } from "../../src/errors.ts";
import { readTerms } from "../../src/erlang/read_terms.ts";
import {
  HEXPM,
  type RepoConfig,
  resolveRepos,
  type ResolveReposInput,
  selectRepo,
  type SelectRepoOptions,
  splitRepoName,
  withRunSettings,
} from "../../src/config/repos.ts";
import { REBAR3_OAUTH_CLIENT_ID } from "../../src/config/settings.ts";

const rebar = (text: string) => readTerms(text, "rebar.config");

const HEXPM_DEFAULT: RepoConfig = {
  name: HEXPM,
  apiUrl: "https://hex.pm/api",
  repoUrl: "https://repo.hex.pm",
  verify: true,
  verifyOrigin: true,
  oauthClientId: REBAR3_OAUTH_CLIENT_ID,
};

const GLOBAL = rebar(`
%% ~/.config/rebar3/rebar.config
{hex, [{repos, [#{name => <<"hexpm:acme">>, repo_key => <<"global-acme-key">>},
                #{name => <<"corp">>,
                  api_url => <<"https://hex.corp.example/api">>,
                  repo_url => "https://repo.corp.example/",
                  api_key => <<"corp-global-key">>,
                  repo_public_key => <<"-----BEGIN PUBLIC KEY-----\\nAAA\\n-----END PUBLIC KEY-----">>}]}]}.
`);

const PROJECT = rebar(`
{deps, []}.
{hex, [{doc, edoc},
       {repos, [#{name => <<"corp">>, api_key => <<"corp-project-key">>, repo_verify => false},
                #{name => <<"mirror">>, repo_url => <<"https://mirror.example">>,
                  mirror_of => <<"hexpm">>}]}]}.
`);

const resolveCases: { name: string; input: ResolveReposInput; expect: RepoConfig[] }[] = [
  { name: "no config: hexpm only", input: {}, expect: [HEXPM_DEFAULT] },
  {
    name: "a rebar.config without a hex section: hexpm only",
    input: { projectConfig: rebar(`{deps, [cowboy]}.\n{hex, [{doc, ex_doc}]}.`) },
    expect: [HEXPM_DEFAULT],
  },
  {
    // The project's api_key is not sent to the global file's api_url (it was, before
    // the secrets rule), and it hides the global key: no key at all.
    name: "global and project merged by name, project wins, hexpm appended",
    input: { projectConfig: PROJECT, globalConfig: GLOBAL },
    expect: [
      {
        name: "corp",
        apiUrl: "https://hex.corp.example/api",
        repoUrl: "https://repo.corp.example",
        repoPublicKey: "-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----",
        verify: false,
        verifyOrigin: true,
        droppedSecrets: [{
          field: "apiKey",
          reason: 'api_key of repository "corp" from the project rebar.config is not sent to ' +
            "the api_url set in the global rebar.config: set both in one file to use it",
        }],
      },
      {
        name: "mirror",
        apiUrl: "",
        repoUrl: "https://mirror.example",
        mirrorOf: "hexpm",
        verify: true,
        verifyOrigin: true,
      },
      {
        ...HEXPM_DEFAULT,
        name: "hexpm:acme",
        repoKey: "global-acme-key",
        organization: "acme",
        parent: HEXPM,
      },
      HEXPM_DEFAULT,
    ],
  },
  {
    name: "{repos, replace, …} drops the default hexpm",
    input: {
      projectConfig: rebar(`{hex, [{repos, replace, [#{name => <<"own">>,
        api_url => <<"https://own.example/api">>, repo_url => <<"https://own.example/repo">>}]}]}.`),
    },
    expect: [{
      name: "own",
      apiUrl: "https://own.example/api",
      repoUrl: "https://own.example/repo",
      verify: true,
      verifyOrigin: true,
    }],
  },
  {
    name: "replace keeps a configured hexpm, filled from the defaults",
    input: {
      globalConfig: rebar(`{hex, [{repos, replace, [#{name => <<"hexpm">>,
        api_url => <<"https://staging.hex.pm/api">>}]}]}.`),
    },
    expect: [{ ...HEXPM_DEFAULT, apiUrl: "https://staging.hex.pm/api" }],
  },
  {
    name: "an organization inherits every hexpm setting, keys included",
    input: {
      projectConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm:acme">>}]}]}.`),
      globalConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm">>, api_key => <<"user-key">>,
        repo_verify_origin => false}]}]}.`),
    },
    expect: [
      {
        ...HEXPM_DEFAULT,
        name: "hexpm:acme",
        apiKey: "user-key",
        verifyOrigin: false,
        organization: "acme",
        parent: HEXPM,
      },
      { ...HEXPM_DEFAULT, apiKey: "user-key", verifyOrigin: false },
    ],
  },
  {
    name: "an organization's own settings win over its parent's",
    input: {
      projectConfig: rebar(`{hex, [{repos, [#{name => "hexpm:acme", api_key => "org-key"}]}]}.`),
      globalConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm">>, api_key => <<"user-key">>}]}]}.`),
    },
    expect: [
      {
        ...HEXPM_DEFAULT,
        name: "hexpm:acme",
        apiKey: "org-key",
        organization: "acme",
        parent: HEXPM,
      },
      { ...HEXPM_DEFAULT, apiKey: "user-key" },
    ],
  },
  {
    name: "an organization of a custom repository",
    input: {
      projectConfig: rebar(`{hex, [{repos, [#{name => <<"corp:team-a">>},
        #{name => <<"corp">>, api_url => <<"https://c.example/api">>,
          repo_url => <<"https://c.example/repo">>, oauth_client_id => <<"corp-client">>}]}]}.`),
    },
    expect: [
      {
        name: "corp:team-a",
        apiUrl: "https://c.example/api",
        repoUrl: "https://c.example/repo",
        oauthClientId: "corp-client",
        verify: true,
        verifyOrigin: true,
        organization: "team-a",
        parent: "corp",
      },
      {
        name: "corp",
        apiUrl: "https://c.example/api",
        repoUrl: "https://c.example/repo",
        oauthClientId: "corp-client",
        verify: true,
        verifyOrigin: true,
      },
      HEXPM_DEFAULT,
    ],
  },
  {
    name: "HEX_CDN wins over HEX_MIRROR for hexpm and its organizations, not for others",
    input: {
      projectConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm:acme">>,
        repo_url => <<"https://own.example">>}, #{name => <<"other">>,
        api_url => <<"https://o.example/api">>, repo_url => <<"https://o.example">>}]}]}.`),
      env: { HEX_CDN: "https://cdn.example/", HEX_MIRROR: "https://mirror.example" },
    },
    expect: [
      {
        ...HEXPM_DEFAULT,
        name: "hexpm:acme",
        repoUrl: "https://cdn.example",
        organization: "acme",
        parent: HEXPM,
      },
      {
        name: "other",
        apiUrl: "https://o.example/api",
        repoUrl: "https://o.example",
        verify: true,
        verifyOrigin: true,
      },
      { ...HEXPM_DEFAULT, repoUrl: "https://cdn.example" },
    ],
  },
  {
    name: "HEX_MIRROR alone",
    input: { env: { HEX_MIRROR: "https://mirror.example" } },
    expect: [{ ...HEXPM_DEFAULT, repoUrl: "https://mirror.example" }],
  },
  {
    name: "rebar_packages_cdn: below a hexpm entry's own repo_url, above the default",
    input: {
      projectConfig: rebar(`{rebar_packages_cdn, "https://project-cdn.example"}.`),
      globalConfig: rebar(`{rebar_packages_cdn, "https://global-cdn.example"}.`),
    },
    expect: [{ ...HEXPM_DEFAULT, repoUrl: "https://project-cdn.example" }],
  },
  {
    name: "a hexpm entry's own repo_url beats rebar_packages_cdn",
    input: {
      projectConfig: rebar(`{rebar_packages_cdn, "https://project-cdn.example"}.
        {hex, [{repos, [#{name => <<"hexpm">>, repo_url => <<"https://own.example">>}]}]}.`),
    },
    expect: [{ ...HEXPM_DEFAULT, repoUrl: "https://own.example" }],
  },
  {
    name: "HEX_UNSAFE_REGISTRY=1 turns verification off (not on, as rebar3_hex had it)",
    input: { env: { HEX_UNSAFE_REGISTRY: "1" } },
    expect: [{ ...HEXPM_DEFAULT, verify: false }],
  },
  {
    name: "HEX_NO_VERIFY_REPO_ORIGIN=true turns origin verification off",
    input: { env: { HEX_NO_VERIFY_REPO_ORIGIN: "true" } },
    expect: [{ ...HEXPM_DEFAULT, verifyOrigin: false }],
  },
  {
    name: "REBAR_NO_VERIFY_REPO_ORIGIN=1 too",
    input: { env: { REBAR_NO_VERIFY_REPO_ORIGIN: "1" } },
    expect: [{ ...HEXPM_DEFAULT, verifyOrigin: false }],
  },
  {
    name: "false values turn verification on, over the config files",
    input: {
      projectConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm">>, repo_verify => false,
        repo_verify_origin => false}]}]}.`),
      env: { HEX_UNSAFE_REGISTRY: "0", HEX_NO_VERIFY_REPO_ORIGIN: "no" },
    },
    expect: [HEXPM_DEFAULT],
  },
  {
    name: "blank environment values are ignored",
    input: {
      env: {
        HEX_CDN: "",
        HEX_MIRROR: " ",
        HEX_UNSAFE_REGISTRY: "",
        HEX_NO_VERIFY_REPO_ORIGIN: "  ",
      },
    },
    expect: [HEXPM_DEFAULT],
  },
  {
    name: "hexpub's own repositories sit below both rebar.config files",
    input: {
      projectConfig: rebar(`{hex, [{repos, [#{name => <<"corp">>, api_key => <<"p">>}]}]}.`),
      hexpubRepos: [
        {
          name: "corp",
          apiUrl: "https://c.example/api",
          repoUrl: "https://c.example",
          apiKey: "stored",
          verify: true,
          verifyOrigin: true,
        },
        {
          name: "solo",
          apiUrl: "https://s.example/api",
          repoUrl: "",
          verify: false,
          verifyOrigin: true,
        },
      ],
    },
    // The project's api_key is not sent to config.json's api_url (it was, before the
    // secrets rule).
    expect: [
      {
        name: "corp",
        apiUrl: "https://c.example/api",
        repoUrl: "https://c.example",
        verify: true,
        verifyOrigin: true,
        droppedSecrets: [{
          field: "apiKey",
          reason: 'api_key of repository "corp" from the project rebar.config is not sent to ' +
            "the api_url set in hexpub's config.json: set both in one file to use it",
        }],
      },
      {
        name: "solo",
        apiUrl: "https://s.example/api",
        repoUrl: "",
        verify: false,
        verifyOrigin: true,
      },
      HEXPM_DEFAULT,
    ],
  },
];

for (const c of resolveCases) {
  Deno.test(`resolveRepos(): ${c.name}`, () => {
    assert.deepEqual(resolveRepos(c.input), c.expect);
  });
}

const badConfigs: { name: string; project: string; message: RegExp }[] = [
  {
    name: "an entry that is not a map",
    project: `{hex, [{repos, [{name, <<"x">>}]}]}.`,
    message: /repository entry is not a map in rebar.config/,
  },
  {
    name: "an entry without a name",
    project: `{hex, [{repos, [#{api_url => <<"https://x.example">>}]}]}.`,
    message: /has no name/,
  },
  {
    name: "a bad URL",
    project: `{hex, [{repos, [#{name => <<"x">>, api_url => <<"x.example">>}]}]}.`,
    message: /invalid api_url of repository "x" "x.example"/,
  },
  {
    name: "a boolean that is not true or false",
    project: `{hex, [{repos, [#{name => <<"x">>, repo_verify => "no"}]}]}.`,
    message: /invalid repo_verify of repository "x": expected true or false/,
  },
  {
    name: "repos that is not a list",
    project: `{hex, [{repos, #{name => <<"x">>}}]}.`,
    message: /\{repos, …\} is not/,
  },
  {
    name: "an organization whose parent was replaced away",
    project: `{hex, [{repos, replace, [#{name => <<"hexpm:acme">>}]}]}.`,
    message: /"hexpm:acme" needs its parent repository "hexpm"/,
  },
  {
    name: "an invalid hex.pm organization name",
    project: `{hex, [{repos, [#{name => <<"hexpm:Acme Inc">>}]}]}.`,
    message: /invalid organization "Acme Inc"/,
  },
];

for (const c of badConfigs) {
  Deno.test(`resolveRepos() refuses ${c.name}, with its place`, () => {
    assert.throws(
      () => resolveRepos({ projectConfig: rebar(c.project), files: { project: "rebar.config" } }),
      (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, c.message);
        return true;
      },
    );
  });
}

Deno.test("resolveRepos() points at the line of a bad entry", () => {
  const project = rebar(
    `{deps, []}.\n{hex, [{repos, [\n  #{name => <<"x">>, repo_verify => 1}]}]}.`,
  );
  try {
    resolveRepos({ projectConfig: project, files: { project: "rebar.config" } });
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof UsageError);
    assert.deepEqual(e.where, { file: "rebar.config", line: 3, column: 37 });
  }
});

Deno.test("resolveRepos() names a bad environment variable", () => {
  assert.throws(
    () => resolveRepos({ env: { HEX_UNSAFE_REGISTRY: "maybe" } }),
    (e: unknown) => e instanceof UsageError && /HEX_UNSAFE_REGISTRY "maybe"/.test(e.message),
  );
  assert.throws(
    () => resolveRepos({ env: { HEX_CDN: "cdn.example" } }),
    (e: unknown) => e instanceof UsageError && /HEX_CDN/.test(e.message),
  );
});

// --- keys and the file their URL comes from ------------------------------------

const FILES = { project: "./rebar.config", global: "~/.config/rebar3/rebar.config" };
const hexRepos = (entries: string) => rebar(`{hex, [{repos, [${entries}]}]}.`);

const secretCases: {
  name: string;
  input: ResolveReposInput;
  /** Per repository: the keys it keeps, and the reasons of the ones it drops. */
  expect: Record<string, { apiKey?: string; repoKey?: string; dropped?: RegExp[] }>;
}[] = [
  {
    name: "a global repo_key is not sent to a project's repo_url for the same organization",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm:acme">>, repo_key => <<"SECRET">>}`),
      projectConfig: hexRepos(`#{name => <<"hexpm:acme">>, repo_url => <<"http://evil">>}`),
    },
    expect: {
      "hexpm:acme": {
        dropped: [
          /^repo_key of repository "hexpm:acme" from ~\/\.config\/rebar3\/rebar\.config is not sent to the repo_url set in \.\/rebar\.config: set both in one file to use it, or give the URL with HEX_CDN$/,
        ],
      },
      hexpm: {},
    },
  },
  {
    name: "a global repo_key is not sent to a project's rebar_packages_cdn",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm:acme">>, repo_key => <<"SECRET">>}`),
      projectConfig: rebar(`{rebar_packages_cdn, "http://evil"}.`),
    },
    expect: {
      "hexpm:acme": {
        dropped: [
          /repo_key .* from ~\/\.config\/rebar3\/rebar\.config is not sent to the repo_url set by \{rebar_packages_cdn, …\} in \.\/rebar\.config/,
        ],
      },
      hexpm: {},
    },
  },
  {
    name:
      "hexpm's global repo_key, inherited by an organization, is not sent to rebar_packages_cdn",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm">>, repo_key => <<"SECRET">>}`),
      projectConfig: rebar(`{rebar_packages_cdn, "http://evil"}.
        {hex, [{repos, [#{name => <<"hexpm:acme">>}]}]}.`),
    },
    expect: {
      "hexpm:acme": {
        dropped: [/repo_key of repository "hexpm:acme" from ~\/.*rebar_packages_cdn/],
      },
      hexpm: { dropped: [/repo_key of repository "hexpm" from ~\/.*rebar_packages_cdn/] },
    },
  },
  {
    name: "a global api_key is not sent to a project's api_url",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm">>, api_key => <<"SECRET">>}`),
      projectConfig: hexRepos(`#{name => <<"hexpm">>, api_url => <<"http://evil/api">>}`),
    },
    expect: {
      hexpm: {
        dropped: [
          /^api_key of repository "hexpm" from ~\/\.config\/rebar3\/rebar\.config is not sent to the api_url set in \.\/rebar\.config: .*HEX_API_URL$/,
        ],
      },
    },
  },
  {
    name: "config.json's api_key is not sent to a project's api_url",
    input: {
      hexpubRepos: [{
        name: "corp",
        apiUrl: "https://c.example/api",
        repoUrl: "",
        apiKey: "SECRET",
        verify: true,
        verifyOrigin: true,
      }],
      projectConfig: hexRepos(`#{name => <<"corp">>, api_url => <<"http://evil/api">>}`),
      files: { ...FILES, hexpub: "~/.config/hexpub/config.json" },
    },
    expect: {
      corp: {
        dropped: [
          /^api_key of repository "corp" from ~\/\.config\/hexpub\/config\.json is not sent to the api_url set in \.\/rebar\.config: set both in one file to use it$/,
        ],
      },
      hexpm: {},
    },
  },
  {
    name: "an organization's inherited api_key is not sent to its own api_url from the project",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm">>, api_key => <<"SECRET">>}`),
      projectConfig: hexRepos(`#{name => <<"hexpm:acme">>, api_url => <<"http://evil/api">>}`),
    },
    expect: {
      "hexpm:acme": { dropped: [/^api_key of repository "hexpm:acme" from ~\/.* set in \.\//] },
      hexpm: { apiKey: "SECRET" },
    },
  },
  {
    name: "a key and its URL in the same file are kept, in either file",
    input: {
      globalConfig: hexRepos(`#{name => <<"corp">>, api_url => <<"https://g.example/api">>,
        api_key => <<"G-API">>, repo_url => <<"https://g.example/repo">>, repo_key => <<"G-REPO">>}`),
      projectConfig: hexRepos(`#{name => <<"hexpm:acme">>, repo_url => <<"https://p.example">>,
        repo_key => <<"P-REPO">>}`),
    },
    expect: {
      "hexpm:acme": { repoKey: "P-REPO" },
      corp: { apiKey: "G-API", repoKey: "G-REPO" },
      hexpm: {},
    },
  },
  {
    name: "rebar_packages_cdn and repo_key in the same file",
    input: {
      globalConfig: rebar(`{rebar_packages_cdn, "https://cdn.example"}.
        {hex, [{repos, [#{name => <<"hexpm:acme">>, repo_key => <<"G-REPO">>}]}]}.`),
    },
    expect: { "hexpm:acme": { repoKey: "G-REPO" }, hexpm: {} },
  },
  {
    name: "global keys with hex.pm's default URLs are kept",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm">>, api_key => <<"G-API">>},
        #{name => <<"hexpm:acme">>, repo_key => <<"G-REPO">>}`),
      projectConfig: hexRepos(`#{name => <<"hexpm:acme">>, repo_verify => true}`),
    },
    expect: {
      "hexpm:acme": { apiKey: "G-API", repoKey: "G-REPO" },
      hexpm: { apiKey: "G-API" },
    },
  },
  {
    name: "a project naming hex.pm's own URLs explicitly does not drop the global keys",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm">>, api_key => <<"G-API">>},
        #{name => <<"hexpm:acme">>, repo_key => <<"G-REPO">>}`),
      projectConfig: hexRepos(`#{name => <<"hexpm:acme">>, repo_url => <<"https://repo.hex.pm/">>,
        api_url => <<"https://hex.pm/api">>}`),
    },
    expect: {
      "hexpm:acme": { apiKey: "G-API", repoKey: "G-REPO" },
      hexpm: { apiKey: "G-API" },
    },
  },
  {
    name: "HEX_CDN is the user's choice: the global repo_key goes there",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm:acme">>, repo_key => <<"G-REPO">>}`),
      projectConfig: rebar(`{rebar_packages_cdn, "http://evil"}.
        {hex, [{repos, [#{name => <<"hexpm:acme">>, repo_url => <<"http://evil">>}]}]}.`),
      env: { HEX_CDN: "https://cdn.example" },
    },
    expect: { "hexpm:acme": { repoKey: "G-REPO" }, hexpm: {} },
  },
  {
    name: "HEX_API_URL is the user's choice: the global api_key goes there",
    input: {
      globalConfig: hexRepos(`#{name => <<"hexpm">>, api_key => <<"G-API">>}`),
      projectConfig: hexRepos(`#{name => <<"hexpm">>, api_url => <<"http://evil/api">>}`),
      env: { HEX_API_URL: "https://mine.example/api" },
    },
    expect: { hexpm: { apiKey: "G-API" } },
  },
  {
    name: "a key for a repository without any URL is kept (only the environment can give one)",
    input: { globalConfig: hexRepos(`#{name => <<"corp">>, api_key => <<"G-API">>}`) },
    expect: { corp: { apiKey: "G-API" }, hexpm: {} },
  },
  {
    name: "a custom repository set to hex.pm's URL by the project does not get a global key",
    input: {
      globalConfig: hexRepos(`#{name => <<"corp">>, api_url => <<"https://c.example/api">>,
        api_key => <<"SECRET">>}`),
      projectConfig: hexRepos(`#{name => <<"corp">>, api_url => <<"https://hex.pm/api">>}`),
    },
    expect: {
      corp: { dropped: [/^api_key of repository "corp" from ~\/.*set in \.\/rebar\.config/] },
      hexpm: {},
    },
  },
];

for (const c of secretCases) {
  Deno.test(`resolveRepos() keys: ${c.name}`, () => {
    const repos = resolveRepos({ files: FILES, ...c.input });
    assert.deepEqual(repos.map((r) => r.name).sort(), Object.keys(c.expect).sort());
    for (const repo of repos) {
      const want = c.expect[repo.name];
      assert.equal(repo.apiKey, want.apiKey, `${repo.name} apiKey`);
      assert.equal(repo.repoKey, want.repoKey, `${repo.name} repoKey`);
      const reasons = (repo.droppedSecrets ?? []).map((d) => d.reason);
      assert.equal(reasons.length, want.dropped?.length ?? 0, `${repo.name}: ${reasons}`);
      reasons.forEach((reason, i) => assert.match(reason, want.dropped![i]));
      assert.doesNotMatch(JSON.stringify(repo.droppedSecrets ?? []), /SECRET/);
    }
  });
}

Deno.test("resolveRepos() keys: each dropped key names its field", () => {
  const [hexpm] = resolveRepos({
    globalConfig: hexRepos(`#{name => <<"hexpm">>, api_key => <<"A">>, repo_key => <<"R">>}`),
    projectConfig: hexRepos(`#{name => <<"hexpm">>, api_url => <<"http://evil/api">>,
      repo_url => <<"http://evil">>}`),
  });
  assert.deepEqual(hexpm.droppedSecrets?.map((d) => d.field), ["apiKey", "repoKey"]);
  assert.equal(hexpm.apiKey, undefined);
  assert.equal(hexpm.repoKey, undefined);
});

Deno.test("selectRepo() keeps the dropped keys of a repository built from its parent", () => {
  const repos = resolveRepos({
    globalConfig: hexRepos(`#{name => <<"hexpm">>, repo_key => <<"SECRET">>}`),
    projectConfig: rebar(`{rebar_packages_cdn, "http://evil"}.`),
  });
  const org = selectRepo(repos, "hexpm:beta");
  assert.equal(org.repoKey, undefined);
  assert.deepEqual(org.droppedSecrets?.map((d) => d.field), ["repoKey"]);
});

Deno.test("selectRepo() drops the api_key warning when HEX_API_KEY takes its place", () => {
  const repos = resolveRepos({
    globalConfig: hexRepos(`#{name => <<"hexpm">>, api_key => <<"SECRET">>,
      repo_key => <<"SECRET">>}`),
    projectConfig: hexRepos(`#{name => <<"hexpm">>, api_url => <<"http://evil/api">>,
      repo_url => <<"http://evil">>}`),
  });
  assert.deepEqual(selectRepo(repos, undefined).droppedSecrets?.map((d) => d.field), [
    "apiKey",
    "repoKey",
  ]);
  // HEX_API_KEY goes to hex.pm only; with HEX_API_URL it goes there.
  const env = { HEX_API_KEY: "ci", HEX_API_URL: "https://mine.example/api" };
  const selected = selectRepo(repos, undefined, { env });
  assert.equal(selected.apiKey, "ci");
  assert.deepEqual(selected.droppedSecrets?.map((d) => d.field), ["repoKey"]);
});

// --- selectRepo -----------------------------------------------------------

const WITH_ORG = resolveRepos({
  globalConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm:acme">>, repo_key => <<"rk">>}]}]}.`),
  projectConfig: rebar(`{hex, [{repos, [#{name => <<"corp">>,
    api_url => <<"https://c.example/api">>, repo_url => <<"https://c.example">>},
    #{name => <<"fetch_only">>, repo_url => <<"https://f.example">>}]}]}.`),
});
const AMBIGUOUS = resolveRepos({
  projectConfig: rebar(`{hex, [{repos, [#{name => <<"acme">>,
    api_url => <<"https://a.example/api">>}, #{name => <<"hexpm:acme">>}]}]}.`),
});
const REPLACED = resolveRepos({
  projectConfig: rebar(`{hex, [{repos, replace, [#{name => <<"corp">>,
    api_url => <<"https://c.example/api">>}, #{name => <<"other">>,
    api_url => <<"https://o.example/api">>}]}]}.`),
});

const selectCases: {
  name: string;
  repos: RepoConfig[];
  requested: string | undefined;
  options?: SelectRepoOptions;
  expect: Partial<RepoConfig>;
}[] = [
  {
    name: "no -r: hexpm, even with other repositories configured (rebar3_hex required -r)",
    repos: WITH_ORG,
    requested: undefined,
    expect: HEXPM_DEFAULT,
  },
  {
    name: "-r acme means hexpm:acme",
    repos: WITH_ORG,
    requested: "acme",
    expect: { name: "hexpm:acme", organization: "acme", parent: HEXPM, repoKey: "rk" },
  },
  {
    name: "-r hexpm:acme, configured",
    repos: WITH_ORG,
    requested: "hexpm:acme",
    expect: { name: "hexpm:acme", repoKey: "rk" },
  },
  {
    name: "-r hexpm:beta without config: built from hexpm, as mix does",
    repos: [HEXPM_DEFAULT],
    requested: "hexpm:beta",
    expect: {
      ...HEXPM_DEFAULT,
      name: "hexpm:beta",
      organization: "beta",
      parent: HEXPM,
    },
  },
  {
    name: "-r corp",
    repos: WITH_ORG,
    requested: "corp",
    expect: { name: "corp", apiUrl: "https://c.example/api" },
  },
  {
    name: "HEX_API_KEY without -r applies to hexpm (the rebar3_hex bug fixed)",
    repos: WITH_ORG,
    requested: undefined,
    options: { env: { HEX_API_KEY: "ci-key" } },
    expect: { ...HEXPM_DEFAULT, apiKey: "ci-key" },
  },
  {
    name: "HEX_API_KEY with -r hexpm",
    repos: WITH_ORG,
    requested: "hexpm",
    options: { env: { HEX_API_KEY: "ci-key" } },
    expect: { ...HEXPM_DEFAULT, apiKey: "ci-key" },
  },
  {
    name: "HEX_API_KEY applies to an organization",
    repos: WITH_ORG,
    requested: "acme",
    options: { env: { HEX_API_KEY: "ci-key" } },
    expect: { name: "hexpm:acme", apiKey: "ci-key" },
  },
  {
    name: "HEX_API_KEY over a configured api_key",
    repos: resolveRepos({
      projectConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm">>, api_key => <<"cfg">>}]}]}.`),
    }),
    requested: undefined,
    options: { env: { HEX_API_KEY: "env" } },
    expect: { apiKey: "env" },
  },
  {
    name: "a blank HEX_API_KEY keeps the configured key",
    repos: resolveRepos({
      projectConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm">>, api_key => <<"cfg">>}]}]}.`),
    }),
    requested: undefined,
    options: { env: { HEX_API_KEY: " " } },
    expect: { apiKey: "cfg" },
  },
  {
    name: "HEX_API_URL (or HEX_API) applies to the selected repository",
    repos: WITH_ORG,
    requested: undefined,
    options: { env: { HEX_API: "http://127.0.0.1:4000/api" } },
    expect: { name: HEXPM, apiUrl: "http://127.0.0.1:4000/api" },
  },
  {
    name: "--api-url over HEX_API_URL",
    repos: WITH_ORG,
    requested: "corp",
    options: {
      env: { HEX_API_URL: "https://env.example/api" },
      flags: { apiUrl: "https://flag.example/api" },
    },
    expect: { name: "corp", apiUrl: "https://flag.example/api" },
  },
  {
    name: "HEXPUB_OAUTH_CLIENT_ID",
    repos: WITH_ORG,
    requested: undefined,
    options: { env: { HEXPUB_OAUTH_CLIENT_ID: "hexpub-client" } },
    expect: { oauthClientId: "hexpub-client" },
  },
  {
    name: "a repository without api_url, for a command that needs none",
    repos: WITH_ORG,
    requested: "fetch_only",
    options: { requireApi: false },
    expect: { name: "fetch_only", apiUrl: "" },
  },
  {
    name: "a replaced hexpm with -r",
    repos: REPLACED,
    requested: "other",
    expect: { name: "other" },
  },
];

for (const c of selectCases) {
  Deno.test(`selectRepo(): ${c.name}`, () => {
    const before = structuredClone(c.repos);
    const repo = selectRepo(c.repos, c.requested, c.options);
    for (const [key, value] of Object.entries(c.expect)) {
      assert.deepEqual(repo[key as keyof RepoConfig], value, key);
    }
    assert.deepEqual(c.repos, before, "the list is not changed");
  });
}

const selectErrors: {
  name: string;
  repos: RepoConfig[];
  requested: string | undefined;
  options?: SelectRepoOptions;
  message: RegExp;
  hint: RegExp;
}[] = [
  {
    name: "an ambiguous name",
    repos: AMBIGUOUS,
    requested: "acme",
    message: /"acme" is ambiguous: both "acme" and "hexpm:acme" are configured/,
    hint: /-r hexpm:acme/,
  },
  {
    name: "an unknown name, with the known ones and how to configure one",
    repos: WITH_ORG,
    requested: "beta",
    message: /^no configuration for repository "beta"$/,
    hint:
      /Known repositories: "corp", "fetch_only", "hexpm:acme", "hexpm".*-r hexpm:beta.*`hexpub repo add beta URL`.*\{hex, \[\{repos/,
  },
  {
    name: "an unknown PARENT:ORG whose parent is unknown",
    repos: WITH_ORG,
    requested: "nope:acme",
    message: /no configuration for repository "nope:acme"/,
    hint: /Known repositories/,
  },
  {
    name: "an invalid organization name",
    repos: WITH_ORG,
    requested: "hexpm:Beta!",
    message: /invalid organization "Beta!"/,
    hint: /lower-case/,
  },
  {
    name: "no -r when hexpm was replaced",
    repos: REPLACED,
    requested: undefined,
    options: { command: "publish" },
    message: /`publish` needs --repo: the default repository "hexpm" is replaced/,
    hint: /"corp", "other"/,
  },
  {
    name: "a blank -r",
    repos: WITH_ORG,
    requested: " ",
    message: /--repo is empty/,
    hint: /-r NAME/,
  },
  {
    name: "a repository without api_url for an API command",
    repos: WITH_ORG,
    requested: "fetch_only",
    message: /repository "fetch_only" has no api_url/,
    hint: /api_url =>/,
  },
  {
    name: "a malformed HEX_API_URL",
    repos: WITH_ORG,
    requested: undefined,
    options: { env: { HEX_API_URL: "hex.pm" } },
    message: /invalid HEX_API_URL "hex.pm"/,
    hint: /https:/,
  },
];

for (const c of selectErrors) {
  Deno.test(`selectRepo() refuses ${c.name}`, () => {
    assert.throws(() => selectRepo(c.repos, c.requested, c.options), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, c.message);
      assert.match(e.hint ?? "", c.hint);
      assert.equal(e.exitCode, 2);
      return true;
    });
  });
}

Deno.test("selectRepo() errors never carry a key", () => {
  const repos = resolveRepos({
    projectConfig: rebar(`{hex, [{repos, [#{name => <<"hexpm">>, api_key => <<"SECRET1">>}]}]}.`),
  });
  try {
    selectRepo(repos, "unknown", { env: { HEX_API_KEY: "SECRET2" } });
    assert.fail("expected an error");
  } catch (e) {
    const text = `${(e as UsageError).message} ${(e as UsageError).hint}`;
    assert.doesNotMatch(text, /SECRET/);
  }
});

Deno.test("splitRepoName() splits at the first colon, as rebar3 does", () => {
  assert.deepEqual(splitRepoName("hexpm:acme"), { parent: "hexpm", organization: "acme" });
  assert.deepEqual(splitRepoName("a:b:c"), { parent: "a", organization: "b:c" });
  assert.equal(splitRepoName("hexpm"), undefined);
});

Deno.test("withRunSettings() applies the run's settings as selectRepo does, to every repository of a list", () => {
  const repos = resolveRepos({
    projectConfig: rebar(
      `{hex, [{repos, [#{name => <<"acme">>, api_url => <<"https://acme.example/api">>},
                                        #{name => <<"hexpm:acme">>}]}]}.`,
    ),
  });
  const env = { HEX_API_URL: "http://127.0.0.1:4000/api", HEX_API_KEY: "k" };
  // "acme" and "hexpm:acme" both configured: -r acme is ambiguous, each repository is not.
  assert.throws(() => selectRepo(repos, "acme", { env }), UsageError);
  for (const repo of repos) {
    const applied = withRunSettings(repo, { env, requireApi: false });
    assert.deepEqual(applied, selectRepo([repo], repo.name, { env }));
    assert.equal(applied.apiUrl, env.HEX_API_URL);
    assert.equal(applied.apiKey, "k");
  }
  // Without HEX_API_URL, HEX_API_KEY stays with hex.pm's API.
  const [acme, org] = repos.map((r) => withRunSettings(r, { env: { HEX_API_KEY: "k" } }));
  assert.equal(acme.apiKey, undefined);
  assert.equal(org.apiKey, "k");
});
