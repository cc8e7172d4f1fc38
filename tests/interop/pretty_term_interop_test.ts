/**
 * hexpub's pretty printer against Erlang's: 10,000+ seeded random terms, each
 * printed by OTP with `~p`, `~tp` and `io_lib_pretty:print(T, [{encoding, utf8}])`
 * in one escript run, must come out byte for byte as `prettyTerm` prints them.
 * Skips visibly without Erlang (see ./erlang.ts).
 *
 * The terms travel to Erlang in the external term format (written here, see
 * `externalFormat`), so that the transport does not depend on any printer.
 *
 * A second test packs .app.src files (the fixtures' and some awkward ones) as
 * rebar3_hex does, with OTP's `file:consult/1` and `~tp`, and compares bytes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { prettyTerm } from "../../src/erlang/pretty_term.ts";
import { packedAppSrc, parseAppSrc } from "../../src/project/app_src.ts";
import { consultPlainFile } from "../../src/project/consult.ts";
import { testDeps } from "../support/test_deps.ts";
import { printTerm } from "../../src/erlang/print_term.ts";
import { atom, bin, int, list, str, type Term, tuple } from "../../src/erlang/term.ts";
import { interopTest, runEscript } from "./erlang.ts";

const script = fileURLToPath(new URL("./pretty_print.escript", import.meta.url));
const TERMS = 10_000;

// ---------------------------------------------------------------------------
// The external term format (erl_ext_dist), enough for the kinds of Term.

class Writer {
  bytes: number[] = [];
  u8(n: number): void {
    this.bytes.push(n & 0xff);
  }
  u16(n: number): void {
    this.u8(n >> 8);
    this.u8(n);
  }
  u32(n: number): void {
    this.u16(n >>> 16);
    this.u16(n & 0xffff);
  }
  raw(b: Uint8Array | number[]): void {
    for (const x of b) this.bytes.push(x);
  }
}

const utf8 = new TextEncoder();

function writeTerm(t: Term, w: Writer): void {
  switch (t.kind) {
    case "integer": {
      const v = t.value;
      if (v >= 0n && v <= 255n) {
        w.u8(97);
        w.u8(Number(v));
      } else if (v >= -(2n ** 31n) && v < 2n ** 31n) {
        w.u8(98);
        w.u32(Number(BigInt.asUintN(32, v)));
      } else {
        const digits: number[] = [];
        for (let m = v < 0n ? -v : v; m > 0n; m >>= 8n) digits.push(Number(m & 0xffn));
        w.u8(110);
        w.u8(digits.length);
        w.u8(v < 0n ? 1 : 0);
        w.raw(digits);
      }
      return;
    }
    case "float": {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, t.value);
      w.u8(70);
      w.raw(new Uint8Array(b.buffer));
      return;
    }
    case "atom": {
      const b = utf8.encode(t.value);
      if (b.length < 256) {
        w.u8(119);
        w.u8(b.length);
      } else {
        w.u8(118);
        w.u16(b.length);
      }
      w.raw(b);
      return;
    }
    case "binary":
      w.u8(109);
      w.u32(t.bytes.length);
      w.raw(t.bytes);
      return;
    case "tuple":
      if (t.items.length < 256) {
        w.u8(104);
        w.u8(t.items.length);
      } else {
        w.u8(105);
        w.u32(t.items.length);
      }
      for (const item of t.items) writeTerm(item, w);
      return;
    case "map":
      w.u8(116);
      w.u32(t.entries.length);
      for (const [k, v] of t.entries) {
        writeTerm(k, w);
        writeTerm(v, w);
      }
      return;
    case "string":
      writeTerm(list([...t.value].map((c) => int(c.codePointAt(0)!))), w);
      return;
    case "list": {
      if (t.items.length === 0) {
        if (t.tail) writeTerm(t.tail, w);
        else w.u8(106);
        return;
      }
      w.u8(108);
      w.u32(t.items.length);
      for (const item of t.items) writeTerm(item, w);
      if (t.tail) writeTerm(t.tail, w);
      else w.u8(106);
      return;
    }
  }
}

/** `term_to_binary(T)`: version byte 131, then the term. */
function externalFormat(t: Term): number[] {
  const w = new Writer();
  w.u8(131);
  writeTerm(t, w);
  return w.bytes;
}

// ---------------------------------------------------------------------------
// A seeded generator of varied terms.

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = [
  "ok",
  "error",
  "true",
  "false",
  "undefined",
  "nil",
  "Foo",
  "_x",
  "",
  "hello world",
  "a-b",
  "node@host",
  "after",
  "maybe",
  "else",
  "query",
  "é",
  "ÿ_x",
  "ß",
  "À",
  "x÷y",
  "Ω",
  "日本",
  "emoji🌈",
  "e\u0301x",
  "a\nb",
  "it's",
  "back\\slash",
  "tab\there",
  "\u0085c1",
  "\u00a0nbsp",
  "application",
  "vsn",
  "description",
  "registered",
  "applications",
  "kernel",
  "stdlib",
  "very_long_atom_name_that_takes_up_a_lot_of_the_line_width",
  "x".repeat(70),
];

const WORDS = [
  "a",
  "cowboy",
  "~> 2.9",
  "Apache-2.0",
  "https://github.com/ninenines/cowboy",
  "src/cowboy_http.erl",
  'quote"d',
  "back\\",
  "tab\t",
  "nl\n",
  "cr\r",
  "café",
  "naïve ÿ",
  "\u0001ctl",
  "del\u007f",
  "esc\u001b",
  "vt\u000b",
  "bs\bff\f",
  "emoji 🌈",
  "Ω≈",
  "日本語",
  "\u0085",
  "\u00a0",
  "",
  " ",
  "x".repeat(30),
];

function gen(seed: number): () => Term {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const n = (max: number) => Math.floor(r() * (max + 1));
  const text = (): string => {
    const k = n(3) + (r() < 0.15 ? 6 : 0);
    let s = "";
    for (let i = 0; i < k; i++) s += pick(WORDS) + (r() < 0.5 ? " " : "");
    return s;
  };
  const integer = (): Term => {
    switch (n(6)) {
      case 0:
        return int(n(300) - 20);
      case 1:
        return int(BigInt(Math.floor((r() - 0.5) * 2 ** 40)));
      case 2:
        return int((r() < 0.5 ? -1n : 1n) * (2n ** BigInt(30 + n(200))) + BigInt(n(1000)));
      case 3:
        return int(pick([0, 9, 10, 13, 27, 31, 32, 126, 127, 159, 160, 255, 256, 8364, 0x1f308]));
      default:
        return int(n(127));
    }
  };
  const float = (): Term => {
    const special = [
      0,
      -0,
      1,
      -1.5,
      0.1,
      1e-4,
      1.5e-4,
      1000,
      12340,
      123400,
      2 ** 53,
      2 ** 53 - 1,
      -(2 ** 53),
      1e21,
      5e-324,
      1.7976931348623157e308,
      0.30000000000000004,
    ];
    if (r() < 0.4) return { kind: "float", value: pick(special) };
    if (r() < 0.5) {
      return { kind: "float", value: (r() - 0.5) * 10 ** (n(40) - 20) };
    }
    const b = new DataView(new ArrayBuffer(8));
    let v: number;
    do {
      b.setUint32(0, Math.floor(r() * 2 ** 32));
      b.setUint32(4, Math.floor(r() * 2 ** 32));
      v = b.getFloat64(0);
    } while (!Number.isFinite(v));
    return { kind: "float", value: v };
  };
  const binary = (): Term => {
    switch (n(7)) {
      case 0:
        return { kind: "binary", bytes: new Uint8Array(0) };
      case 1: // Latin-1 bytes, not UTF-8
        return { kind: "binary", bytes: Uint8Array.from(text(), (c) => c.charCodeAt(0) & 0xff) };
      case 2: // invalid UTF-8 or random bytes
        return {
          kind: "binary",
          bytes: Uint8Array.from({ length: n(60) + 1 }, () => r() < 0.3 ? n(255) : 32 + n(94)),
        };
      case 3:
        return {
          kind: "binary",
          bytes: Uint8Array.from({ length: n(4) }, () => pick([0xc3, 0xa9, 0xe9, 0xff, 0x80])),
        };
      default:
        return bin(text());
    }
  };
  const string = (): Term => {
    if (r() < 0.7) return str(text());
    return list(Array.from({ length: n(12) }, () => integer()));
  };
  const uniqueEntries = (count: number, depth: number): [Term, Term][] => {
    const seen = new Set<string>();
    const out: [Term, Term][] = [];
    for (let i = 0; i < count; i++) {
      let k = any(depth - 1);
      if (k.kind === "float" && Object.is(k.value, -0)) k = { kind: "float", value: 0 };
      const id = externalFormat(k).join(",");
      if (seen.has(id) || /70,128,0,0,0,0,0,0,0/.test(id)) continue;
      seen.add(id);
      out.push([k, any(depth - 1)]);
    }
    return out;
  };
  const metadataLike = (): Term => {
    const kv = (k: string, v: Term) => tuple(bin(k), v);
    switch (n(3)) {
      case 0:
        return kv(
          "requirements",
          list(Array.from({ length: n(6) }, () => {
            const name = pick(["cowboy", "ranch", "cowlib", "opentelemetry_api", "jsx"]);
            return kv(
              name,
              list([
                kv("app", bin(name)),
                kv("optional", atom(r() < 0.5 ? "true" : "false")),
                kv("requirement", bin(pick(["~> 2.9", ">= 1.0.0 and < 2.0.0", "~>1.2.3"]))),
              ]),
            );
          })),
        );
      case 1:
        return kv("files", list(Array.from({ length: n(25) }, () => bin(pick(WORDS)))));
      case 2:
        return kv("links", list(Array.from({ length: n(4) }, () => kv(text(), bin(text())))));
      default:
        return kv(pick(["description", "name", "app", "version"]), bin(text()));
    }
  };
  const appSrcLike = (): Term =>
    tuple(
      atom("application"),
      atom(pick(ATOMS)),
      list([
        tuple(atom("description"), str(text())),
        tuple(atom("vsn"), str(`${n(9)}.${n(20)}.${n(300)}`)),
        tuple(atom("registered"), list(Array.from({ length: n(3) }, () => atom(pick(ATOMS))))),
        tuple(atom("applications"), list(Array.from({ length: n(12) }, () => atom(pick(ATOMS))))),
        tuple(
          atom("env"),
          list(Array.from({ length: n(4) }, () => tuple(atom(pick(ATOMS)), any(2)))),
        ),
        tuple(atom("licenses"), list([str(pick(["Apache-2.0", "MIT", "BSD-3-Clause"]))])),
        tuple(atom("links"), list([tuple(str("GitHub"), str(text()))])),
      ].filter(() => r() < 0.85)),
    );
  // Each term gets a budget of compound terms, so that none grows huge.
  let budget = 0;
  function any(depth: number): Term {
    const leafOnly = depth <= 0 || budget-- <= 0;
    const k = leafOnly ? n(5) : n(14);
    switch (k) {
      case 0:
        return atom(pick(ATOMS));
      case 1:
        return integer();
      case 2:
        return float();
      case 3:
        return binary();
      case 4:
      case 5:
        return string();
      case 6:
      case 7: {
        // Long lists (that wrap) only near the leaves, to keep terms small.
        const long = depth <= 2 && r() < 0.25;
        return list(Array.from({ length: long ? 5 + n(30) : n(4) }, () => any(depth - 1)));
      }
      case 8:
        return {
          kind: "list",
          items: Array.from({ length: 1 + n(3) }, () => any(depth - 1)),
          tail: any(depth - 1),
        };
      case 9:
      case 10: {
        const items = Array.from({ length: n(4) }, () => any(depth - 1));
        if (r() < 0.6) items.unshift(atom(pick(ATOMS)));
        return tuple(...items);
      }
      case 11:
        return { kind: "map", entries: uniqueEntries(n(5), depth) };
      case 12:
        return metadataLike();
      default:
        return appSrcLike();
    }
  }
  return () => {
    budget = 5 + n(40);
    return any(1 + n(4));
  };
}

function frames(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder("utf-8", { fatal: true });
  const out: string[] = [];
  for (let at = 0; at < bytes.length;) {
    const len = view.getUint32(at);
    out.push(dec.decode(bytes.subarray(at + 4, at + 4 + len)));
    at += 4 + len;
  }
  return out;
}

interopTest(
  `prettyTerm() prints ${TERMS} random terms as OTP's ~p, ~tp and io_lib_pretty do`,
  async () => {
    const next = gen(20240611);
    const terms = Array.from({ length: TERMS }, next);
    const w = new Writer();
    for (const t of terms) {
      const b = externalFormat(t);
      w.u32(b.length);
      w.raw(b);
    }
    const dir = await Deno.makeTempDir({ prefix: "hexpub-pretty-" });
    try {
      const texts = frames(await prettyPrint("terms", dir, Uint8Array.from(w.bytes)));
      assert.equal(texts.length, terms.length * 3);
      const failures: string[] = [];
      let wrapped = 0;
      terms.forEach((t, i) => {
        const [p, tp, pretty] = texts.slice(3 * i, 3 * i + 3);
        if (tp.includes("\n")) wrapped++;
        const unicode = prettyTerm(t, { encoding: "unicode" });
        const ours = [
          ["~p", p, prettyTerm(t, { encoding: "latin1" })],
          ["~tp", tp, unicode],
          ["io_lib_pretty utf8", pretty, unicode],
        ];
        for (const [how, erlang, mine] of ours) {
          if (erlang !== mine && failures.length < 5) {
            failures.push(`#${i} ${how} of ${printTerm(t)}:\nErlang:\n${erlang}\nhexpub:\n${mine}`);
          }
        }
      });
      assert.deepEqual(failures, []);
      // The sample must exercise wrapping, not only one-liners.
      assert.ok(wrapped > TERMS / 5, `only ${wrapped} of ${TERMS} terms wrapped`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** Runs the escript in `mode` on `input` and returns its framed output. */
async function prettyPrint(mode: string, dir: string, input: Uint8Array): Promise<Uint8Array> {
  const inPath = join(dir, "in.bin");
  const outPath = join(dir, "out.bin");
  await Deno.writeFile(inPath, input);
  await runEscript(script, [mode, inPath, outPath]);
  return await Deno.readFile(outPath);
}

/** Awkward .app.src files: comments, Latin-1, odd atoms, long lists, no vsn. */
const AWKWARD: Record<string, Uint8Array> = {
  "comments.app.src": utf8.encode(
    '%% A comment\n{application, comments,\n  [ {description, "Keeps \\"quotes\\" and\\ttabs"}, %% trailing\n' +
      '    {vsn, "0.0.1"},\n    {registered, []},\n' +
      "    {applications, [kernel, stdlib, crypto, public_key, ssl, inets, 'my-app', 'Caps', 'é']},\n" +
      '    {env, [{pool_size, 10}, {ratio, 0.25}, {timeout, infinity}, {bin, <<"raw">>}, {m, #{a => 1}}]},\n' +
      '    {modules, []},\n    {licenses, ["Apache-2.0", "MIT"]},\n' +
      '    {links, [{"GitHub", "https://github.com/example/a-very-long-repository-name-that-wraps"}]}]}.\n',
  ),
  "latin1.app.src": Uint8Array.from(
    '%% coding: latin-1\n{application, latin1, [{description, "caf\xe9 \xbfqu\xe9?"}, {vsn, "1.0.0"}]}.\n',
    (c) => c.charCodeAt(0),
  ),
  "unicode.app.src": utf8.encode(
    '{application, unicode, [{description, "Ünïcödé 🌈 — ☕"}, {vsn, git}, {maintainers, ["Zoë", "日本"]}]}.\n',
  ),
  "no_vsn.app.src": utf8.encode('{application, no_vsn, [{description, "none"}]}.\n'),
  "first_vsn.app.src": utf8.encode(
    '{application, first_vsn, [{vsn, "1.0.0"}, {description, "two"}, {vsn, "2.0.0"}]}.\n',
  ),
};

interopTest("packedAppSrc() packs .app.src files as rebar3_hex's ~tp re-print does", async () => {
  const fixtures = fileURLToPath(new URL("../fixtures/projects/", import.meta.url));
  const paths: string[] = [];
  for await (const e of Deno.readDir(fixtures)) {
    for (const sub of ["src", "apps/alpha/src", "apps/beta/src"]) {
      try {
        for await (const f of Deno.readDir(join(fixtures, e.name, sub))) {
          if (f.name.endsWith(".app.src")) paths.push(join(fixtures, e.name, sub, f.name));
        }
      } catch {
        // No such directory in this fixture.
      }
    }
  }
  assert.ok(paths.length >= 9, `found ${paths.length} fixture .app.src files`);
  const dir = await Deno.makeTempDir({ prefix: "hexpub-app-src-" });
  try {
    for (const [name, bytes] of Object.entries(AWKWARD)) {
      await Deno.writeFile(join(dir, name), bytes);
      paths.push(join(dir, name));
    }
    const version = "1.2.3-rc.1+build.7";
    const out = await prettyPrint(
      "app_src",
      dir,
      utf8.encode(paths.map((p) => `${p}\t${version}\n`).join("")),
    );
    const expected = frames(out);
    assert.equal(expected.length, paths.length);
    const deps = testDeps(dir);
    for (const [i, path] of paths.entries()) {
      const consulted = await consultPlainFile(deps, path);
      const ours = new TextDecoder().decode(packedAppSrc(parseAppSrc(consulted!), version));
      assert.equal(ours, expected[i], path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
