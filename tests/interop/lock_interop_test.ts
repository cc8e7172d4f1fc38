/**
 * `hexpub lock` against the real `rebar3 lock` (3.19): the same project, the
 * same `hexpub serve` repository on 127.0.0.1, byte-identical rebar.lock. The
 * graph has transitive deps, a conflict at the same level (a pre-release the
 * requirement allows, skipped because another parent came first), a conflict
 * across levels, a retired release (taken, as rebar3 takes it), pre-releases
 * a plain requirement must not take, `<`, `>=`, an optional dependency, a
 * `{pkg, Name}` alias and a name long enough to break `~p`'s lines.
 *
 * Also: the lock printer against rebar3's own `rebar_config:write_lock_file/2`
 * (loaded from the rebar3 escript) on generated locks, in one escript run.
 * Skips visibly without Erlang (see ./erlang.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { printTerm } from "../../src/erlang/print_term.ts";
import { atom, bin, int, list, tuple } from "../../src/erlang/term.ts";
import { type LockLine, printLockFile } from "../../src/project/lock_file.ts";
import { lock } from "../../src/tasks/lock.ts";
import { type SpecRelease, startLockRepo } from "../support/lock_repo.ts";
import { testDeps } from "../support/test_deps.ts";
import {
  erlangTools,
  interopTest,
  rebar3Env,
  runEscript,
  runRebar3,
  writeRebarApp,
} from "./erlang.ts";

const LONG = "very_long_package_name_for_breaking_lines";

const RELEASES: SpecRelease[] = [
  { name: "alpha", version: "1.0.0" },
  { name: "alpha", version: "1.1.0", retired: "security" },
  { name: "alpha", version: "1.2.0-rc.1" },
  { name: "gamma", version: "2.0.0" },
  { name: "gamma", version: "2.1.0" },
  { name: "gamma", version: "3.0.0-rc.1" },
  {
    name: "beta",
    version: "1.0.0",
    deps: [{ pkg: "alpha", requirement: "~> 1.0" }, { pkg: "gamma", requirement: "~> 2.0" }],
  },
  { name: "delta", version: "0.5.0", deps: [{ pkg: "gamma", requirement: "~> 3.0.0-rc.1" }] },
  { name: "eta_pkg", app: "eta", version: "0.2.0" },
  { name: "zeta", version: "0.1.0" },
  { name: "zeta", version: "0.2.0" },
  { name: "zeta", version: "0.3.0" },
  {
    name: "epsilon",
    version: "0.1.0",
    deps: [
      { pkg: "zeta", requirement: ">= 0.2.0", optional: true },
      { pkg: "eta_pkg", app: "eta", requirement: "~> 0.2" },
    ],
  },
  { name: "iota", version: "0.9.0" },
  { name: "iota", version: "0.9.5" },
  { name: "iota", version: "1.0.0" },
  { name: "theta", version: "1.0.0", deps: [{ pkg: "iota", requirement: "< 1.0.0" }] },
  { name: LONG, version: "1.0.0", deps: [{ pkg: "theta", requirement: "1.0.0" }] },
  // rebar3's fallback when nothing is strictly above (or below): the bound itself.
  { name: "mu", version: "1.0.0" },
  { name: "mu", version: "2.0.0" },
  { name: "nu", version: "1.0.0" },
  { name: "nu", version: "2.0.0" },
  {
    name: "lambda",
    version: "1.0.0",
    deps: [{ pkg: "mu", requirement: "> 2.0.0" }, { pkg: "nu", requirement: "< 1.0.0" }],
  },
];

const DEPS = `{deps, [beta, {delta, "0.5.0"}, {eta, {pkg, eta_pkg}}, {zeta, "0.1.0"}, ` +
  `{epsilon, "~> 0.1"}, {${LONG}, "~> 1.0"}, lambda]}.\n`;

interopTest("hexpub lock writes the rebar.lock that rebar3 lock writes", async () => {
  const work = await Deno.makeTempDir({ prefix: "hexpub-lock-interop-" });
  const repo = await startLockRepo(work, RELEASES);
  try {
    const theirs = join(work, "rebar3");
    const ours = join(work, "hexpub");
    await writeRebarApp(theirs, DEPS + repo.reposConfig);
    await writeRebarApp(ours, DEPS + repo.reposConfig);
    const env = await rebar3Env(work);
    const home = env.HOME;
    const { code, log } = await runRebar3(theirs, ["lock"], env);
    assert.equal(code, 0, log);
    const expected = await Deno.readTextFile(join(theirs, "rebar.lock"));

    const deps = testDeps(ours, {
      env: { HOME: home, REBAR_GLOBAL_CONFIG_DIR: home, HEXPUB_CONFIG_DIR: join(work, "cfg") },
    });
    const result = await lock(deps, {});
    assert.equal(result.written, true);
    const actual = await Deno.readTextFile(join(ours, "rebar.lock"));
    assert.equal(actual, expected, `rebar3 said:\n${log}`);

    // What was chosen, and that both noticed the same conflicts and retirement.
    assert.deepEqual(
      result.locks.map((l) => `${l.app}:${l.pkg}:${l.version}:${l.level}`),
      [
        "alpha:alpha:1.1.0:1",
        "beta:beta:1.0.0:0",
        "delta:delta:0.5.0:0",
        "epsilon:epsilon:0.1.0:0",
        "eta:eta_pkg:0.2.0:0",
        "gamma:gamma:2.1.0:1",
        "iota:iota:0.9.5:2",
        "lambda:lambda:1.0.0:0",
        "mu:mu:2.0.0:1",
        "nu:nu:1.0.0:1",
        "theta:theta:1.0.0:1",
        `${LONG}:${LONG}:1.0.0:0`,
        "zeta:zeta:0.1.0:0",
      ],
    );
    assert.match(log, /Skipping gamma v3\.0\.0-rc\.1/);
    assert.match(log, /Skipping zeta v0\.3\.0/);
    assert.match(log, /alpha-1\.1\.0 is retired/);
    const warned = deps.stderr.join("\n");
    assert.match(warned, /skipping gamma 3\.0\.0-rc\.1 \(required by delta\)/);
    assert.match(warned, /skipping zeta 0\.3\.0 \(required by epsilon\)/);
    assert.match(warned, /alpha 1\.1\.0 .* is retired: \(security\) do not use/);
    assert.doesNotMatch(warned, /skipping eta/);
  } finally {
    await repo.close();
    await Deno.remove(work, { recursive: true });
  }
});

const script = fileURLToPath(new URL("./write_lock.escript", import.meta.url));

interopTest("printLockFile matches rebar3's write_lock_file on generated locks", async () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  const name = (max: number) =>
    Array.from({ length: 1 + rnd(max) }, () => "abcdefghijklmnopqrstuvwxyz_0123"[rnd(31)])
      .join("").replace(/^[^a-z]/, "a");
  const hash = () => Array.from({ length: 64 }, () => "0123456789ABCDEF"[rnd(16)]).join("");
  const cases: LockLine[][] = [[]];
  for (let i = 0; i < 150; i++) {
    const n = 1 + rnd(14);
    const max = [6, 16, 28, 45, 70][i % 5];
    const byApp = new Map<string, LockLine>();
    for (let k = 0; k < n; k++) {
      const app = name(max);
      byApp.set(app, {
        app,
        pkg: rnd(5) === 0 ? name(max) : app,
        version: `${rnd(30)}.${rnd(300)}.${rnd(3000)}${rnd(6) === 0 ? "-rc.1" : ""}`,
        level: rnd(13),
        innerChecksum: hash(),
        outerChecksum: hash(),
      });
    }
    cases.push([...byApp.values()]);
  }
  const work = await Deno.makeTempDir({ prefix: "hexpub-lock-print-" });
  try {
    // Handed over unsorted: both sides sort.
    const input = cases.map((c) =>
      printTerm(list(
        [...c].reverse().map((l) =>
          tuple(
            bin(l.app),
            tuple(
              atom("pkg"),
              bin(l.pkg),
              bin(l.version),
              bin(l.innerChecksum),
              bin(l.outerChecksum!),
            ),
            int(l.level),
          )
        ),
      )) + ".\n"
    ).join("");
    await Deno.writeTextFile(join(work, "locks.config"), input);
    await runEscript(script, [erlangTools!.rebar3, join(work, "locks.config"), work]);
    let broken = 0;
    for (let i = 0; i < cases.length; i++) {
      const expected = await Deno.readTextFile(join(work, `${i + 1}.lock`));
      if (/\n {2}\{pkg/.test(expected)) broken++;
      assert.equal(printLockFile(cases[i]), expected, `case ${i + 1}`);
    }
    // The generated names are long enough that ~p had to break some entries.
    assert.ok(broken > 10, `only ${broken} cases with broken lines`);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
