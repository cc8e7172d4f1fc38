// deno-lint-ignore-file no-console -- the demo narrates on the console
/**
 * `deno task demo`: hexpub's main job on its built-in example, end to end and
 * offline (everything on 127.0.0.1):
 *
 * 1. `hexpub serve` a new repository in a temporary directory;
 * 2. make a publishing key (`hexpub serve key generate`), tell hexpub about
 *    the repository (`hexpub repo add`, with its public key file) and log in
 *    with the key (`hexpub user auth -r demo --key`);
 * 3. `hexpub publish` the bundled examples (`examples/tiny_json`, then
 *    `examples/hello_hex`, which depends on it), `hexpub info` the result and
 *    `hexpub verify` that the release is what the source builds;
 * 4. install it back: with real rebar3 when it is installed (a new project
 *    depending on hello_hex, compiled, and the function called with erl),
 *    else with `hexpub fetch --unpack`.
 *
 * Every step is a real hexpub run (`deno run main.ts …`), printed as the
 * command a user would type. `--keep` keeps the temporary directory;
 * `--no-rebar3` installs with `hexpub fetch` even where rebar3 is installed.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-sys=hostname",
  "--allow-run=git,escript,rebar3,sh",
];
const keep = Deno.args.includes("--keep");
// --no-rebar3 shows the fallback (hexpub fetch) even where rebar3 is installed.
const useRebar3 = !Deno.args.includes("--no-rebar3");
const dim = (s: string) => Deno.noColor ? s : `\x1b[2m${s}\x1b[0m`;
const bold = (s: string) => Deno.noColor ? s : `\x1b[1m${s}\x1b[0m`;

function which(tool: string): boolean {
  try {
    new Deno.Command(tool, { args: ["-version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

const work = await Deno.makeTempDir({ prefix: "hexpub-demo-" });
const env = {
  HEXPUB_CONFIG_DIR: join(work, "config"),
  REBAR_GLOBAL_CONFIG_DIR: join(work, "rebar3-home"),
  REBAR_CACHE_DIR: join(work, "rebar3-cache"),
  DENO_NO_UPDATE_CHECK: "1",
};
/** Secrets the demo handles: never echoed. */
const secrets: [string, string][] = [];
const shown = (p: string) =>
  secrets.reduce(
    (text, [secret, name]) => text.replaceAll(secret, name),
    p.replaceAll(work, "$DEMO").replaceAll(ROOT, ""),
  );

/**
 * An argument as it would be typed in a POSIX shell: as it is when plain, in
 * double quotes when it holds one of the demo's variables (`$DEMO`,
 * `$HEX_KEY`, still expanded), else in single quotes (`'~> 0.3'`).
 */
function shellArg(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./$-]+$/.test(word)) return word;
  if (/\$(DEMO|HEX_KEY)\b/.test(word)) return `"${word.replace(/["\\`]/g, "\\$&")}"`;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command's arguments as shown: placeholders for secrets and paths, then quoted. */
const shownArgs = (args: string[]) => args.map((a) => shellArg(shown(a))).join(" ");

/** Prints a child's stdout and stderr line by line as they arrive; returns both texts. */
async function echo(child: Deno.ChildProcess, quiet = false): Promise<[string, string]> {
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let all = "";
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      all += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      if (!quiet) { for (const line of lines) console.log(`  ${shown(line)}`); }
    }
    if (!quiet && pending) console.log(`  ${shown(pending)}`);
    return all;
  };
  return await Promise.all([pump(child.stdout), pump(child.stderr)]);
}

function hexpubArgs(args: string[]): string[] {
  return [
    "run",
    ...PERMISSIONS,
    "--config",
    join(ROOT, "deno.json"),
    join(ROOT, "main.ts"),
    ...args,
  ];
}

/** Runs hexpub, echoing the command and its output; throws when it fails. */
async function hexpub(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; quiet?: boolean } = {},
): Promise<string> {
  const cwd = options.cwd ?? ROOT;
  console.log(
    `\n${bold("$")} ${dim(`(cd ${shown(cwd) || "."})`)} hexpub ${shownArgs(args)}`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: hexpubArgs(args),
    cwd,
    env: { ...env, ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [text, err] = await echo(child, options.quiet);
  const status = await child.status;
  if (!status.success) throw new Error(`hexpub ${args[0]} failed (exit ${status.code})\n${err}`);
  return text;
}

/** Starts `hexpub serve` and waits for its "Serving … at URL" line. */
async function startServe(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const args = ["serve", dir, "--port", "0", "--name", "demo"];
  console.log(`\n${bold("$")} hexpub ${shownArgs(args)} &`);
  const child = new Deno.Command(Deno.execPath(), {
    args: hexpubArgs(args),
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let url: string | undefined;
  const deadline = setTimeout(() => child.kill("SIGTERM"), 60_000);
  while (url === undefined) {
    const { value, done } = await lines.read();
    if (done) {
      const err = await new Response(child.stderr).text();
      throw new Error(`hexpub serve stopped before listening\n${err}`);
    }
    buffer += value;
    const m = /Serving repository \S+ at (http:\/\/\S+)/.exec(buffer);
    if (m) url = m[1];
  }
  clearTimeout(deadline);
  for (const line of buffer.trimEnd().split("\n")) console.log(`  ${shown(line)}`);
  // Keep draining both pipes so the server never blocks on a full one.
  (async () => {
    while (!(await lines.read()).done);
  })().catch(() => {});
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  return {
    url,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  console.log(`\n${bold("$")} ${dim(`(cd ${shown(cwd)})`)} ${cmd} ${shownArgs(args)}`);
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    env: { ...env, HOME: env.REBAR_GLOBAL_CONFIG_DIR },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [out, err] = await echo(child);
  const status = await child.status;
  if (!status.success) throw new Error(`${cmd} failed (exit ${status.code})`);
  const text = out + err;
  return text;
}

let server: { url: string; stop: () => Promise<void> } | undefined;
try {
  console.log(bold("hexpub demo: a Hex repository of your own, a publish, and an install back"));
  console.log(dim(`(everything on 127.0.0.1; files in ${work}, shown as $DEMO)`));
  const repoDir = join(work, "repo");
  await Deno.mkdir(env.REBAR_GLOBAL_CONFIG_DIR, { recursive: true });

  server = await startServe(repoDir);
  const key = (await hexpub(["serve", "key", "generate", repoDir, "--key-name", "demo"], {
    quiet: true,
  })).trim();
  secrets.push([key, "$HEX_KEY"]);
  console.log(dim("  (the API key is printed once; the demo keeps it as $HEX_KEY)"));
  await hexpub(["repo", "add", "demo", server.url, "--public-key", join(repoDir, "public_key")]);
  // The key is stored encrypted with the local password (here from the environment).
  await hexpub(["user", "auth", "-r", "demo", "--key", key], {
    env: { HEXPUB_LOCAL_PASSWORD: "demo-password" },
  });

  const publishEnv = { HEXPUB_LOCAL_PASSWORD: "demo-password" };
  await hexpub(["publish", "-r", "demo", "--yes", "--doc-dir", "doc"], {
    cwd: join(ROOT, "examples", "tiny_json"),
    env: publishEnv,
  });
  await hexpub(["publish", "-r", "demo", "--yes", "--doc-dir", "doc"], {
    cwd: join(ROOT, "examples", "hello_hex"),
    env: publishEnv,
  });
  await hexpub(["info", "hello_hex", "-r", "demo"]);
  // Anyone can check that a release is what its source builds.
  await hexpub(["verify", "-r", "demo"], {
    cwd: join(ROOT, "examples", "hello_hex"),
    env: publishEnv,
  });

  if (useRebar3 && which("rebar3") && which("erl")) {
    console.log(
      `\n${bold("rebar3 is installed: a new project installs hello_hex from the repository")}`,
    );
    const app = join(work, "greeter");
    await Deno.mkdir(join(app, "src"), { recursive: true });
    const publicKey = await Deno.readTextFile(join(repoDir, "public_key"));
    await Deno.writeTextFile(
      join(app, "rebar.config"),
      `{deps, [{hello_hex, "~> 0.3"}]}.\n` +
        `{hex, [{repos, replace, [#{name => <<"demo">>, repo_url => <<"${server.url}">>,\n` +
        `                          repo_public_key => <<"${publicKey}">>}]}]}.\n`,
    );
    await Deno.writeTextFile(
      join(app, "src", "greeter.app.src"),
      `{application, greeter, [{description, "Greets"}, {vsn, "0.1.0"},\n` +
        `                        {applications, [kernel, stdlib, hello_hex]}]}.\n`,
    );
    console.log(
      dim(`  ${shown(join(app, "rebar.config"))}: deps hello_hex ~> 0.3 from repo "demo"`),
    );
    await run("rebar3", ["compile"], app);
    const lib = join(app, "_build", "default", "lib");
    await run("erl", [
      "-noshell",
      "-pa",
      join(lib, "hello_hex", "ebin"),
      "-pa",
      join(lib, "tiny_json", "ebin"),
      "-eval",
      `io:format("~s~n", [hello_hex:greet_json(<<"Hex">>)]), halt().`,
    ], app);
  } else {
    console.log(
      `\n${
        bold(
          `${useRebar3 ? "rebar3 is not installed" : "--no-rebar3"}: hexpub fetches and unpacks it`,
        )
      }`,
    );
    await hexpub([
      "fetch",
      "hello_hex",
      "~> 0.3",
      "-r",
      "demo",
      "-o",
      join(work, "fetched"),
      "--unpack",
    ]);
  }
  console.log(
    `\n${bold("Done.")} Published 2 packages to a signed repository and installed them back.`,
  );
} catch (e) {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : e}`);
  Deno.exitCode = 1;
} finally {
  await server?.stop();
  if (keep) console.log(dim(`(kept ${work})`));
  else await Deno.remove(work, { recursive: true }).catch(() => {});
}
