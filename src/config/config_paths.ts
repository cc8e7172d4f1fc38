/**
 * Where hexpub keeps its own configuration, and where rebar3 keeps its Hex
 * credentials. Pure: both read an environment snapshot and never touch the
 * file system.
 *
 * @module
 */

import { posix, win32 } from "node:path";
import { UsageError } from "../errors.ts";

/** An environment snapshot, as `Deps.env` holds it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The operating system, as `Deno.build.os` names it (`"linux"`, `"darwin"`, `"windows"`, …). */
export type Platform = string;

/** A variable's value, with blank values counting as unset. */
function setting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * hexpub's configuration directory (it holds `credentials.json`):
 * - `HEXPUB_CONFIG_DIR` when set, on every platform;
 * - on Windows `%APPDATA%\hexpub` (falling back to `%USERPROFILE%\AppData\Roaming\hexpub`);
 * - elsewhere, Linux and macOS alike, `$XDG_CONFIG_HOME/hexpub` when that is an absolute path
 *   (the XDG spec says to ignore a relative one), otherwise `$HOME/.config/hexpub`.
 *
 * @param env The environment snapshot.
 * @param platform The operating system (`Deno.build.os`).
 * @returns The directory's path (it may not exist yet).
 * @throws {UsageError} When none of the variables needed to find it is set.
 */
export function configDir(env: Env, platform: Platform): string {
  const explicit = setting(env, "HEXPUB_CONFIG_DIR");
  if (explicit) return explicit;
  if (platform === "windows") {
    const appData = setting(env, "APPDATA");
    if (appData) return win32.join(appData, "hexpub");
    const profile = setting(env, "USERPROFILE");
    if (profile) return win32.join(profile, "AppData", "Roaming", "hexpub");
    throw new UsageError("cannot find the user config directory: APPDATA is not set", {
      hint: "Set HEXPUB_CONFIG_DIR to the directory hexpub should keep its credentials in",
    });
  }
  const xdg = setting(env, "XDG_CONFIG_HOME");
  if (xdg && posix.isAbsolute(xdg)) return posix.join(xdg, "hexpub");
  const home = setting(env, "HOME");
  if (home) return posix.join(home, ".config", "hexpub");
  throw new UsageError("cannot find the user config directory: HOME is not set", {
    hint: "Set HEXPUB_CONFIG_DIR to the directory hexpub should keep its credentials in",
  });
}

/**
 * The path of rebar3's Hex credentials file, as rebar3 computes it
 * (`rebar_dir:global_config_dir/1`): `$REBAR_GLOBAL_CONFIG_DIR/.config/rebar3/hex.config`,
 * otherwise `$HOME/.config/rebar3/hex.config`. rebar3 does not consult the XDG variables. On
 * Windows Erlang's home directory is the user profile, so `USERPROFILE` comes before `HOME`.
 *
 * @param env The environment snapshot.
 * @param platform The operating system (`Deno.build.os`); only Windows changes anything.
 * @returns The path, or `undefined` when no home directory is known (then there is no file).
 */
export function rebar3HexConfigPath(env: Env, platform: Platform = "linux"): string | undefined {
  const path = platform === "windows" ? win32 : posix;
  const home = platform === "windows"
    ? setting(env, "USERPROFILE") ?? setting(env, "HOME")
    : setting(env, "HOME");
  const base = setting(env, "REBAR_GLOBAL_CONFIG_DIR") ?? home;
  return base === undefined ? undefined : path.join(base, ".config", "rebar3", "hex.config");
}

/** The name of hexpub's credential store inside {@link configDir}. */
const CREDENTIALS_FILE = "credentials.json";

/**
 * The path of hexpub's credential store: `credentials.json` in {@link configDir}.
 *
 * @param env The environment snapshot.
 * @param platform The operating system (`Deno.build.os`).
 * @returns The file's path (it may not exist yet).
 * @throws {UsageError} As {@link configDir}.
 */
export function credentialsPath(env: Env, platform: Platform): string {
  const dir = configDir(env, platform);
  return (platform === "windows" ? win32 : posix).join(dir, CREDENTIALS_FILE);
}

/**
 * The directory of the built-in `local` repository: `HEXPUB_LOCAL_REPO`, else
 * the user data dir (`$XDG_DATA_HOME/hexpub/local`, `~/.local/share/hexpub/local`,
 * or `%LOCALAPPDATA%\\hexpub\\local` on Windows).
 */
export function localRepoDir(env: Env, platform: Platform): string {
  const explicit = setting(env, "HEXPUB_LOCAL_REPO");
  if (explicit) return explicit;
  if (platform === "windows") {
    const base = setting(env, "LOCALAPPDATA") ?? setting(env, "APPDATA");
    if (base) return win32.join(base, "hexpub", "local");
  } else {
    const xdg = setting(env, "XDG_DATA_HOME");
    if (xdg && posix.isAbsolute(xdg)) return posix.join(xdg, "hexpub", "local");
    const home = setting(env, "HOME");
    if (home) return posix.join(home, ".local", "share", "hexpub", "local");
  }
  throw new UsageError("cannot find the user data directory for the local repository", {
    hint: "Set HEXPUB_LOCAL_REPO to the directory to keep it in",
  });
}
