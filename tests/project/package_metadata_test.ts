import assert from "node:assert/strict";
import { metadataEntries, type PackageMeta, textTerm } from "../../src/project/package_metadata.ts";
import { encodeMetadata } from "../../src/tarball/metadata_config.ts";
import { bin, int, list } from "../../src/erlang/term.ts";

const META: PackageMeta = {
  name: "widget",
  version: "1.0.0",
  app: "widget",
  description: "A widget",
  files: ["src/widget.erl"],
  licenses: ["MIT"],
  links: [],
  buildTools: ["rebar3"],
  requirements: [],
};

Deno.test("textTerm() is a binary for printable text, else the character codes (rebar3_hex's binarify)", () => {
  assert.deepEqual(textTerm("Café ☕\n"), bin("Café ☕\n"));
  assert.deepEqual(textTerm("x\x7f\x01y"), list([int(120), int(127), int(1), int(121)]));
});

Deno.test("metadataEntries() keeps the last URL of a link named twice, links in byte order", () => {
  const text = encodeMetadata(metadataEntries({
    ...META,
    links: [["Github", "https://a.example"], ["Docs", "https://d.example"], [
      "Github",
      "https://b.example",
    ]],
  }));
  assert.match(
    text,
    /\{<<"links">>,\s*\[\{<<"Docs">>,<<"https:\/\/d\.example">>\},\s*\{<<"Github">>,<<"https:\/\/b\.example">>\}\]\}\./,
  );
});

Deno.test("metadataEntries() writes a description with control characters as a list, as hex_core prints it", () => {
  const text = encodeMetadata(metadataEntries({ ...META, description: "x\x7f\x01y" }));
  assert.match(text, /\{<<"description">>,\[120,127,1,121\]\}\./);
});
