import assert from "node:assert/strict";
import {
  checkLink,
  checkPackageName,
  RESERVED_PACKAGE_NAMES,
} from "../../src/rules/package_name.ts";

Deno.test("checkPackageName() accepts hex.pm's name format", () => {
  for (const name of ["ab", "cowboy", "jsx", "hex_core", "a1", "x_", "rebar3_hex", "ranch2"]) {
    assert.equal(checkPackageName(name), undefined, name);
  }
});

Deno.test("checkPackageName() explains each refusal", () => {
  const format =
    "has invalid format: use lowercase letters, digits and underscores, starting with a letter";
  const cases: [string, string][] = [
    ["", "package name is empty"],
    ["a", 'package name "a" is too short: use at least 2 characters'],
    ["my-lib", `package name "my-lib" ${format} (try "my_lib")`],
    ["MyLib", `package name "MyLib" ${format} (try "mylib")`],
    ["my.lib", `package name "my.lib" ${format} (try "my_lib")`],
    ["1abc", `package name "1abc" ${format}`],
    ["_abc", `package name "_abc" ${format} (try "abc")`],
    ["ab c", `package name "ab c" ${format} (try "ab_c")`],
    ["abc\n", `package name "abc\\n" ${format} (try "abc")`],
    ["café", `package name "café" ${format} (try "caf")`],
    ["Mix", `package name "Mix" ${format}`], // "mix" would be reserved: no suggestion
    ["mix", 'package name "mix" is reserved by hex.pm'],
    ["stdlib", 'package name "stdlib" is reserved by hex.pm'],
    ["hex", 'package name "hex" is reserved by hex.pm'],
    ["com1", 'package name "com1" is reserved by hex.pm'],
    ["docs", 'package name "docs" is reserved by hex.pm'],
  ];
  for (const [name, expected] of cases) {
    assert.equal(checkPackageName(name), expected, JSON.stringify(name));
  }
});

Deno.test("RESERVED_PACKAGE_NAMES holds hexpm's list", () => {
  for (
    const name of [
      "eex",
      "elixir",
      "ex_unit",
      "kernel",
      "public_key",
      "httpc",
      "rebar3",
      "mix_hex",
      "gen_http",
      "lpt9",
      "myapp",
      "assets",
      "api",
      "static",
    ]
  ) {
    assert.ok(RESERVED_PACKAGE_NAMES.has(name), name);
  }
  // hexpm lists dialyzer and typer twice; the set holds 104 distinct names.
  assert.equal(RESERVED_PACKAGE_NAMES.size, 104);
  assert.equal(RESERVED_PACKAGE_NAMES.has("cowboy"), false);
});

Deno.test("checkLink() wants http or https with a host", () => {
  const cases: [string, string | undefined][] = [
    ["https://github.com/acme/lib", undefined],
    ["http://example.com", undefined],
    ["HTTPS://Example.com/x", undefined],
    ["https://user:pw@example.com:8080/path?q#f", undefined],
    ["https://[::1]:4000/", undefined],
    ["https://localhost", undefined],
    [
      "ftp://example.com",
      'link "ftp://example.com" is invalid: it must start with "http://" or "https://"',
    ],
    [
      "github.com/acme/lib",
      'link "github.com/acme/lib" is invalid: it must start with "http://" or "https://"',
    ],
    ["", 'link "" is invalid: it must start with "http://" or "https://"'],
    [
      "mailto:me@example.com",
      'link "mailto:me@example.com" is invalid: it must start with "http://" or "https://"',
    ],
    ["https:example.com", 'link "https:example.com" is invalid: it has no host'],
    ["https://", 'link "https://" is invalid: it has no host'],
    ["http:///path", 'link "http:///path" is invalid: it has no host'],
    ["https://:443/x", 'link "https://:443/x" is invalid: it has no host'],
    ["https://user@/x", 'link "https://user@/x" is invalid: it has no host'],
  ];
  for (const [url, expected] of cases) {
    assert.equal(checkLink(url), expected, JSON.stringify(url));
  }
});
