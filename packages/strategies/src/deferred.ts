/**
 * A module's function behind a stand-in that imports the module on its first call. A kind's heavy parts (drivers,
 * tar, its backup and restore code) load only when a command uses them, so `lifeboat --help`, `plan check` or a
 * backup of another kind do not pay for them; the Strategy keeps its shape (only async members are deferred).
 */
export function deferred<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  return (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => Promise<unknown>)(...args)) as M[K];
}
