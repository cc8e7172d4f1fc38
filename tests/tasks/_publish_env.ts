/**
 * In-process ports for the publish use case: an empty environment (a fresh
 * HOME and nothing inherited from the developer: no HEX_*, no real config),
 * `deps.fetch` bound to a FakeHex whose registry key the user trusts (or a
 * fetch that records and fails, for "nothing was sent"), and sleeps that
 * return at once so retries cost no wall time.
 */
import { settingsFrom } from "../../src/config/settings.ts";
import { FakeHex } from "../fakes/fake_hex.ts";
import { writeGlobalRepos } from "../support/registry.ts";
import { type TestDeps, testDeps } from "../support/test_deps.ts";

/** The fake's API base; its host never resolves, so only `deps.fetch` can reach it. */
export const FAKE_API = "http://fake.test/api";
/** The fake's repository base (tarballs, registry). */
export const FAKE_REPO = "http://fake.test/repo";

/** Ports for a publish, and the home they use. */
export interface PublishEnv {
  deps: TestDeps;
  home: string;
  /** Requests sent while no fake is bound (each refused as offline). */
  sent: string[];
}

/** A project app with docs, licensed and described as hex.pm wants. */
export function widget(version: string, extra: Record<string, string> = {}) {
  return {
    "rebar.config": "{deps, []}.\n",
    "rebar.lock": "[].\n",
    "src/widget.app.src": `{application, widget, [{description, "A widget"}, {vsn, "${version}"},
  {licenses, ["Apache-2.0"]}, {links, [{"GitHub", "https://github.com/x/widget"}]}]}.\n`,
    "src/widget.erl": "-module(widget).\n",
    "doc/index.html": "<p>docs</p>",
    ...extra,
  };
}

/**
 * Ports rooted at `cwd` with only `env` in the environment (plus HOME). With
 * `fake`, hexpm's API and repository are the fake and its key is trusted.
 */
export async function publishEnv(
  cwd: string,
  options: {
    fake?: FakeHex;
    env?: Record<string, string>;
    isTerminal?: boolean;
    answers?: string[];
  } = {},
): Promise<PublishEnv> {
  const home = await Deno.makeTempDir({ prefix: "hexpub-home-" });
  const env: Record<string, string> = {
    HOME: home,
    ...(options.fake ? { HEX_API_URL: FAKE_API } : {}),
    ...options.env,
  };
  const deps = testDeps(cwd, { isTerminal: options.isTerminal, answers: options.answers });
  deps.env = env;
  deps.settings = settingsFrom({ env });
  deps.sleep = () => Promise.resolve();
  const sent: string[] = [];
  if (options.fake) {
    await writeGlobalRepos(home, [{
      name: "hexpm",
      repo_url: FAKE_REPO,
      repo_public_key: (await options.fake.registryKeys()).publicKeyPem,
    }]);
    deps.fetch = options.fake.handler;
  } else {
    deps.fetch = (req) => {
      sent.push(`${req.method} ${req.url}`);
      return Promise.reject(new TypeError("offline (test)"));
    };
  }
  return { deps, home, sent };
}

/** A fake hex.pm with user `pat` and an API key of theirs. */
export function fakeWithKey(): { fake: FakeHex; key: string } {
  const fake = new FakeHex();
  fake.addUser({ username: "pat" });
  return { fake, key: fake.addKey({ owner: "pat" }).secret };
}
