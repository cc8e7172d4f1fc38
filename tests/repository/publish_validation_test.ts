/**
 * `serve` refuses what rebar3 could not install or hex.pm would refuse, with
 * hex.pm's 422 (`{"status":422,"message":"Validation error(s)","errors":{…}}`)
 * and never a 500, signing nothing: extra, unsafe or repeated outer members,
 * repeated contents entries, `+build` and over-long versions, dependencies
 * with bad names or requirements, metadata that is not UTF-8, over-long
 * names, empty build tools or files. (hex.pm's own rules, reserved names and
 * link URLs, are warnings of `hexpub build` for other repositories, and
 * `serve` does not check them: see src/project/repository_rules.ts.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { sha256HexOfParts } from "../../src/tarball/checksum.ts";
import { gzipBytes } from "../../src/tarball/gzip.ts";
import { tarOfFiles } from "../../src/tarball/ustar.ts";
import { answer, req, setupRepo } from "./repo_fixtures.ts";

const enc = new TextEncoder();

/** Metadata text of package `name` `version`, with `extra` lines and `requirements`. */
function metadataText(o: {
  name?: string;
  version?: string;
  requirements?: string;
  extra?: string;
  files?: string;
  buildTools?: string;
}): string {
  return [
    `{<<"name">>,<<"${o.name ?? "alpha"}">>}.`,
    `{<<"version">>,<<"${o.version ?? "1.0.0"}">>}.`,
    `{<<"app">>,<<"${o.name ?? "alpha"}">>}.`,
    `{<<"description">>,<<"A package">>}.`,
    `{<<"licenses">>,[<<"MIT">>]}.`,
    `{<<"build_tools">>,${o.buildTools ?? '[<<"rebar3">>]'}}.`,
    `{<<"files">>,${o.files ?? '[<<"src/alpha.erl">>]'}}.`,
    `{<<"requirements">>,${o.requirements ?? "[]"}}.`,
    o.extra ?? "",
  ].join("\n");
}

/** A package tarball made by hand: any metadata bytes, contents entries and outer entries. */
async function craft(o: {
  metadata?: Uint8Array;
  contents?: [string, Uint8Array][];
  outer?: (parts: [string, Uint8Array][]) => [string, Uint8Array][];
} = {}): Promise<Uint8Array> {
  const version = enc.encode("3");
  const metadata = o.metadata ?? enc.encode(metadataText({}));
  const contents = gzipBytes(
    tarOfFiles(o.contents ?? [["src/alpha.erl", enc.encode("-module(alpha).\n")]]),
  );
  const checksum = enc.encode(
    (await sha256HexOfParts([version, metadata, contents])).toUpperCase(),
  );
  const parts: [string, Uint8Array][] = [
    ["VERSION", version],
    ["CHECKSUM", checksum],
    ["metadata.config", metadata],
    ["contents.tar.gz", contents],
  ];
  return tarOfFiles(o.outer ? o.outer(parts) : parts);
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** The cases: a tarball, and the error keys hex.pm's answer must carry. */
const CASES: [string, () => Promise<Uint8Array>, RegExp][] = [
  ["a well-formed tarball (control)", () => craft(), /^201$/],
  [
    "an extra outer member",
    () => craft({ outer: (p) => [...p, ["extra.txt", enc.encode("x")]] }),
    /tar.*extra\.txt/,
  ],
  [
    "an unsafe outer member",
    () => craft({ outer: (p) => [...p, ["../evil", enc.encode("x")]] }),
    /tar.*\.\.\/evil/,
  ],
  [
    "a repeated outer member",
    () => craft({ outer: (p) => [...p, ["VERSION", enc.encode("3")]] }),
    /tar.*VERSION/,
  ],
  [
    "a repeated contents entry",
    () =>
      craft({
        contents: [
          ["src/alpha.erl", enc.encode("-module(alpha).\n")],
          ["src/alpha.erl", enc.encode("-module(evil).\n")],
        ],
      }),
    /tar.*src\/alpha\.erl/,
  ],
  [
    "a +build version",
    () => craft({ metadata: enc.encode(metadataText({ version: "1.0.0+build.1" })) }),
    /version.*build/,
  ],
  [
    "an over-long pre-release",
    () => craft({ metadata: enc.encode(metadataText({ version: `1.0.0-${"a".repeat(65)}` })) }),
    /version.*64/,
  ],
  [
    "an over-long version number",
    () => craft({ metadata: enc.encode(metadataText({ version: `1.0.${"9".repeat(300)}` })) }),
    /version/,
  ],
  [
    "a dependency named ../x with requirement !!!",
    () =>
      craft({
        metadata: enc.encode(metadataText({
          requirements:
            '[{<<"../x">>,[{<<"app">>,<<"x">>},{<<"optional">>,false},{<<"requirement">>,<<"!!!">>}]}]',
        })),
      }),
    /requirements.*\.\.\/x.*!!!.*not a package name/,
  ],
  [
    "a dependency requirement with !=",
    () =>
      craft({
        metadata: enc.encode(metadataText({
          requirements:
            '[{<<"beta">>,[{<<"app">>,<<"beta">>},{<<"optional">>,false},{<<"requirement">>,<<"!= 1.0.0">>}]}]',
        })),
      }),
    /requirements.*beta.*!=/,
  ],
  [
    "metadata that is not UTF-8",
    () =>
      craft({
        metadata: latin1(metadataText({ extra: '{<<"links">>,[{<<"caf\xe9">>,<<"x\xff">>}]}.' })),
      }),
    /metadata|UTF-8|links/,
  ],
  [
    "an over-long name",
    () => craft({ metadata: enc.encode(metadataText({ name: "a".repeat(300) })) }),
    /name/,
  ],
  [
    "empty build tools",
    () => craft({ metadata: enc.encode(metadataText({ buildTools: "[]" })) }),
    /build_tools/,
  ],
  [
    "an empty file list",
    () => craft({ metadata: enc.encode(metadataText({ files: "[]" })) }),
    /files|package can't be empty/,
  ],
];

Deno.test("serve refuses, with hex.pm's 422, tarballs rebar3 cannot install or hex.pm would refuse", async () => {
  const { keys, handler, repo } = await setupRepo();
  const failures: string[] = [];
  for (const [what, make, expect] of CASES) {
    const res = await handler(req("POST", "/api/publish", keys.alice, await make()));
    const { status, body } = await answer(res);
    if (status === 201 || status === 200) {
      // Revert it, so that each case starts from an empty repository.
      const { name, version } = body as { name: string; version: string };
      await handler(req("DELETE", `/api/packages/${name}/releases/${version}`, keys.alice));
    }
    if (expect.source === "^201$") {
      if (status !== 201) failures.push(`${what}: ${status} ${JSON.stringify(body)}`);
      continue;
    }
    const b = body as { status?: number; message?: string; errors?: Record<string, unknown> };
    if (
      status !== 422 || b?.status !== 422 || b?.message !== "Validation error(s)" ||
      typeof b.errors !== "object" || !expect.test(JSON.stringify(b.errors))
    ) {
      failures.push(`${what}: ${status} ${JSON.stringify(body)}`);
    }
  }
  assert.deepEqual(failures, []);
  // Nothing was signed.
  const tarballs = [...Deno.readDirSync(join(repo.dir, "tarballs"))].map((e) => e.name);
  assert.deepEqual(tarballs, []);
});
