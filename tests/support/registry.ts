/**
 * Registry helpers for end-to-end tests: trusting a test signing key the way a
 * user would (a `repo_public_key` in the global rebar.config), and making
 * registry files that must be refused.
 */
import { join } from "node:path";
import { encodeSignedPackage } from "../../src/registry/registry_files.ts";
import type { Package } from "../../src/registry/messages.ts";
import { gunzipBytes, gzipBytes } from "../../src/tarball/gzip.ts";
import { decodeSigned, encodeSigned } from "../../src/registry/messages.ts";
import type { FakeHex } from "../fakes/fake_hex.ts";
import { type TestDeps, testDeps } from "./test_deps.ts";

/** One `#{…}` repository entry of rebar.config, from plain fields. */
function entry(fields: Record<string, string | boolean>): string {
  const parts = Object.entries(fields).map(([k, v]) =>
    typeof v === "boolean" ? `${k} => ${v}` : `${k} => <<${JSON.stringify(v)}>>`
  );
  return `#{${parts.join(", ")}}`;
}

/**
 * Writes `HOME/.config/rebar3/rebar.config` (the global rebar.config hexpub and
 * rebar3 read) with these repository entries, e.g. the hexpm entry with the fake's
 * `repo_public_key`.
 */
export async function writeGlobalRepos(
  home: string,
  repos: Record<string, string | boolean>[],
): Promise<void> {
  const dir = join(home, ".config", "rebar3");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "rebar.config"),
    `{hex, [{repos, [${repos.map(entry).join(",\n  ")}]}]}.\n`,
  );
}

/**
 * A project rebar.config's `{hex, [{repos, replace, […]}]}.` term: this one
 * repository instead of hexpm (so rebar3 talks to no other server).
 */
export function replaceRepos(repo: { name: string; url: string; publicKeyPem: string }): string {
  const only = entry({ name: repo.name, repo_url: repo.url, repo_public_key: repo.publicKeyPem });
  return `{hex, [{repos, replace, [${only}]}]}.\n`;
}

/** Trusts `publicKeyPem` as hexpm's key (and so its organizations'). */
export async function trustHexpmKey(home: string, publicKeyPem: string): Promise<void> {
  await writeGlobalRepos(home, [{ name: "hexpm", repo_public_key: publicKeyPem }]);
}

/**
 * Test ports in `cwd` (a new temporary directory by default) for a home that
 * trusts `fake`'s registry key as hexpm's, with HEX_CDN at `cdn` (the fake's
 * `http://fake.test/repo` by default) and `env` added; `fetch` goes to the
 * fake in process unless `routeToFake` is false (a real server at `cdn`).
 */
export async function trustingDeps(
  fake: FakeHex,
  options: {
    cwd?: string;
    cdn?: string;
    env?: Record<string, string>;
    routeToFake?: boolean;
  } = {},
): Promise<{ deps: TestDeps; home: string; cwd: string }> {
  const home = await Deno.makeTempDir();
  await trustHexpmKey(home, (await fake.registryKeys()).publicKeyPem);
  const cwd = options.cwd ?? await Deno.makeTempDir();
  const deps = testDeps(cwd, {
    env: {
      HOME: home,
      REBAR_GLOBAL_CONFIG_DIR: home,
      HEXPUB_CONFIG_DIR: join(home, "cfg"),
      HEX_CDN: options.cdn ?? "http://fake.test/repo",
      ...options.env,
    },
  });
  if (options.routeToFake ?? true) deps.fetch = fake.handler;
  return { deps, home, cwd };
}

/** The file with one byte of its signed payload flipped (signature and gzip intact). */
export function flipPayloadByte(file: Uint8Array): Uint8Array {
  const signed = decodeSigned(gunzipBytes(file));
  const payload = signed.payload.slice();
  payload[payload.length >> 1] ^= 0x01;
  return gzipBytes(encodeSigned({ payload, signature: signed.signature }));
}

/** A package file signed with `privateKeyPem`. */
export function signedPackageFile(pkg: Package, privateKeyPem: string): Promise<Uint8Array> {
  return encodeSignedPackage(pkg, privateKeyPem);
}
