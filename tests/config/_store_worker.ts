/**
 * A child process for the crash and concurrency tests of the credential store
 * (not a test file itself).
 *
 * usage:
 *   deno run -A _store_worker.ts churn PATH
 *       saves big stores over PATH forever (the parent kills it mid-write)
 *   deno run -A _store_worker.ts update PATH PASSWORD PREFIX COUNT [createNew]
 *       adds repos PREFIX0..PREFIX{COUNT-1}, each with an encrypted API key, one updateStore each
 */
import { denoFs } from "../../src/deno_deps.ts";
import type { ExclusiveCreate } from "../../src/io/file_lock.ts";
import {
  emptyStore,
  loadStore,
  saveStore,
  setApiKey,
  setUsername,
  unlock,
  updateStore,
} from "../../src/config/credential_store.ts";

/** A store of `n` repos whose usernames all say `tag`: big enough to take a while to write. */
export function churnStore(tag: string, n = 400) {
  let store = emptyStore();
  for (let i = 0; i < n; i++) store = setUsername(store, `repo${i}`, `${tag}-${"x".repeat(200)}`);
  return store;
}

/** The Fs port plus the proposed exclusive-create operation. */
export function fsWithCreateNew(cwd: string) {
  const createNew: ExclusiveCreate["createNew"] = async (path, data, options) => {
    try {
      await Deno.writeFile(path, data, { createNew: true, mode: options?.mode });
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) return false;
      throw e;
    }
  };
  return { ...denoFs(cwd), createNew };
}

if (import.meta.main) {
  const [mode, path, ...rest] = Deno.args;
  const io = { fs: denoFs(Deno.cwd()) };
  if (mode === "churn") {
    const stores = [churnStore("A"), churnStore("B")];
    await saveStore(io, path, stores[1]);
    await Deno.stdout.write(new TextEncoder().encode("writing\n"));
    for (let i = 0;; i++) await saveStore(io, path, stores[i % 2]);
  } else if (mode === "update") {
    const [password, prefix, count, variant] = rest;
    const fs = variant === "createNew" ? fsWithCreateNew(Deno.cwd()) : denoFs(Deno.cwd());
    const key = await unlock(await loadStore(io, path), password);
    for (let i = 0; i < Number(count); i++) {
      await updateStore({ fs }, path, async (s) => {
        const next = await setApiKey(s, key, `${prefix}${i}`, `secret-${prefix}${i}`);
        return setUsername(next, `${prefix}${i}`, prefix);
      }, { retryMs: 2 });
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
