/**
 * The checks hex.pm makes on a new package's name and on the package's links
 * (hexpm `lib/hexpm/repository/package.ex` and `package_metadata.ex`).
 *
 * Not checked here, because only the server knows them: whether the name is taken,
 * and hex.pm's `reserved_packages` table (names or versions reserved by hand).
 *
 * @module
 */

/** The form of a Hex package name (hexpm `Package` changeset): lowercase letters, digits, `_`. */
export const PACKAGE_NAME_FORMAT: RegExp = /^[a-z][a-z0-9_]*$/;
const NAME_FORMAT = PACKAGE_NAME_FORMAT;
const MIN_NAME_LENGTH = 2;

/**
 * Names hex.pm refuses for new packages (hexpm `Package.reserved_names/0`): Elixir's
 * and OTP's applications, tools, Windows device names, generic words and hex.pm's
 * own subdomains.
 */
export const RESERVED_PACKAGE_NAMES: ReadonlySet<string> = new Set([
  // Elixir
  ...["eex", "elixir", "elixirc", "ex_unit", "iex", "logger", "mix"],
  // OTP applications
  ...["otp", "asn1", "common_test", "compiler", "crypto", "debugger", "dialyzer", "diameter"],
  ...["edoc", "eldap", "erl_docgen", "erl_interface", "erts", "et", "eunit", "ftp", "hipe"],
  ...["inets", "jinterface", "kernel", "megaco", "mnesia", "observer", "odbc", "os_mon"],
  ...["parsetools", "public_key", "reltool", "runtime_tools", "sasl", "snmp", "ssh"],
  ...["ssl", "stdlib", "syntax_tools", "toolbar", "tools", "typer", "wx", "xmerl"],
  // inets services
  ...["tftp", "httpc", "httpd"],
  // tools
  ...["erlang", "typer", "to_erl", "run_erl", "escript", "erlc", "erl", "epmd", "dialyzer"],
  ...["ct_run", "rebar", "rebar3", "hex", "hexpm", "mix_hex"],
  // application names
  ...["net", "http", "net_http", "gen_http"],
  // Windows device names
  ...["nul", "con", "prn", "aux"],
  ...["com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9"],
  ...["lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"],
  // generic names
  ...["package", "organization", "www", "myapp", "lock", "locked", "all", "assets"],
  // hex.pm subdomains
  ...["api", "docs", "preview", "search", "staging", "stats", "static"],
]);

function quote(text: string): string {
  return JSON.stringify(text);
}

/** A valid, unreserved name close to `name` (`My-Lib` → `my_lib`), if there is one. */
function suggestName(name: string): string | undefined {
  const suggestion = name.trim().toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const usable = suggestion !== name && NAME_FORMAT.test(suggestion) &&
    suggestion.length >= MIN_NAME_LENGTH && !RESERVED_PACKAGE_NAMES.has(suggestion);
  return usable ? suggestion : undefined;
}

/**
 * Checks a package name as hex.pm does when the package is first published:
 * `^[a-z][a-z0-9_]*$`, at least 2 characters (hex.pm sets no maximum), and not
 * reserved.
 *
 * @param name The package name.
 * @returns `undefined` when hex.pm would accept it, otherwise why not, e.g.
 *   `package name "my-lib" has invalid format: ... (try "my_lib")`.
 */
export function checkPackageName(name: string): string | undefined {
  if (name === "") return "package name is empty";
  if (!NAME_FORMAT.test(name)) {
    const rule = "use lowercase letters, digits and underscores, starting with a letter";
    const suggestion = suggestName(name);
    const fix = suggestion === undefined ? "" : ` (try ${quote(suggestion)})`;
    return `package name ${quote(name)} has invalid format: ${rule}${fix}`;
  }
  if (name.length < MIN_NAME_LENGTH) {
    return `package name ${quote(name)} is too short: use at least ${MIN_NAME_LENGTH} characters`;
  }
  if (RESERVED_PACKAGE_NAMES.has(name)) return `package name ${quote(name)} is reserved by hex.pm`;
  return undefined;
}

/**
 * Checks one value of the package's `links` map as hex.pm does: the scheme must be
 * `http` or `https` (any case) and the URL must have a host. Like hexpm, which reads
 * the URL with Elixir's lenient `URI.parse/1`, nothing else about the URL is checked.
 *
 * hexpm itself lets `http://` and `http:///path` through (their host is the empty
 * string, which Elixir counts as present); this check refuses them.
 *
 * @param url The link's URL.
 * @returns `undefined` when the link is acceptable, otherwise why not.
 */
export function checkLink(url: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (!scheme || !["http", "https"].includes(scheme[1].toLowerCase())) {
    return `link ${quote(url)} is invalid: it must start with "http://" or "https://"`;
  }
  const rest = url.slice(scheme[0].length);
  if (!rest.startsWith("//")) {
    return `link ${quote(url)} is invalid: it has no host`;
  }
  const authority = /^[^/?#]*/.exec(rest.slice(2))![0];
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  const host = hostAndPort.startsWith("[")
    ? hostAndPort.slice(0, hostAndPort.indexOf("]") + 1)
    : hostAndPort.split(":")[0];
  if (host === "" || host === "[]") return `link ${quote(url)} is invalid: it has no host`;
  return undefined;
}
