import { strict as assert } from "node:assert";
import { readTerms } from "../../src/erlang/read_terms.ts";
import { ProjectError } from "../../src/errors.ts";
import {
  appSrcWithVersion,
  linksProp,
  packedAppSrc,
  parseAppSrc,
  textListProp,
  textProp,
} from "../../src/project/app_src.ts";

const app = (text: string) =>
  parseAppSrc({
    file: "src/a.app.src",
    text,
    terms: readTerms(text, "src/a.app.src"),
    fromScript: false,
    encoding: "utf8",
  });

Deno.test("appSrcWithVersion() replaces only the vsn value and keeps comments and layout", () => {
  const text = `%% keep me\n{application, a,\n  [ {vsn, git}, % how\n    {description, "x"} ]}.\n`;
  assert.equal(
    appSrcWithVersion(app(text), "1.2.0"),
    `%% keep me\n{application, a,\n  [ {vsn, "1.2.0"}, % how\n    {description, "x"} ]}.\n`,
  );
});

Deno.test("appSrcWithVersion() re-prints an evaluated script with the new vsn", () => {
  const text = `{application,a,[{vsn,"0.0.0"},{description,"d"}]}.\n`;
  const a = { ...app(text), source: { ...app(text).source, fromScript: true } };
  assert.equal(
    appSrcWithVersion(a, "2.0.0"),
    `{application,a,[{vsn,"2.0.0"},{description,"d"}]}.\n`,
  );
});

Deno.test("packedAppSrc() re-prints the term as ~tp with the first vsn replaced, in UTF-8", () => {
  const text = `%% dropped\n{application, a,\n  [ {vsn, git}, % how\n    {description, "café"},\n` +
    `    {vsn, "ignored"} ]}.\n`;
  // é is one character to Erlang and two bytes (UTF-8) in the packed file.
  assert.deepEqual(
    packedAppSrc(app(text), "1.2.0"),
    new TextEncoder().encode(
      `{application,a,[{vsn,"1.2.0"},{description,"café"},{vsn,"ignored"}]}.\n`,
    ),
  );
  // Without a vsn, lists:keyreplace/4 changes nothing.
  assert.equal(
    new TextDecoder().decode(packedAppSrc(app(`{application, a, [{d, 1}]}.`), "1.2.0")),
    "{application,a,[{d,1}]}.\n",
  );
});

Deno.test("app.src properties are typed, and wrong shapes point at their line", () => {
  const a = app(
    `{application, a, [{description, <<"bin">>}, {pkg_name, a_pkg},\n {licenses, "MIT"},\n {links, #{"GitHub" => "https://g"}}, {files, ["src"]}]}.\n`,
  );
  assert.equal(textProp(a, "description"), "bin");
  assert.equal(textProp(a, "pkg_name"), "a_pkg");
  assert.deepEqual(textListProp(a, "files")?.values, ["src"]);
  assert.deepEqual(linksProp(a)?.links, [["GitHub", "https://g"]]);
  assert.throws(
    () => textListProp(a, "licenses"),
    (e: unknown) =>
      e instanceof ProjectError && e.where?.line === 2 && /list of strings/.test(e.message),
  );
});

Deno.test("parseAppSrc() refuses files that are not one {application, Name, Props}", () => {
  for (
    const t of [
      `{app, a, []}.`,
      `{application, a, []}. {x}.`,
      `{application, "a", []}.`,
      `{application, a, x}.`,
    ]
  ) {
    assert.throws(() => app(t), ProjectError, t);
  }
});
