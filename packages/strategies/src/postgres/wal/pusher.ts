import { LockHeldError, UsageError, acquireLock, describeError, nowOf, type EngineContext, type HostLock } from '@lifeboat/core';
import { storeWalFile } from './push.js';
import { walSpool } from './wal-component.js';
import {
  listSpooled,
  pusherLockName,
  readPusherState,
  readSpooled,
  removeSpoolDebris,
  removeSpooled,
  writePusherState,
  type PusherState,
  type SpooledFile,
  type WalSpool,
} from './spool.js';

export interface WalPusherOptions {
  /** Exit after this long with nothing to deliver; undefined: run until aborted (systemd). */
  idleExitMs?: number;
  /** Files delivered at once (each is compressed, encrypted and written to every destination). */
  parallel?: number;
  /** How often an idle pusher looks at the spool. */
  pollMs?: number;
  /** Retry delay after a failure: doubles from `firstMs` up to `maxMs`. */
  retry?: { firstMs: number; maxMs: number };
  /** One line per event worth a log line (delivered files are not: like wal push, success is quiet). */
  log: (line: string) => void;
  /** Called after each delivery (tests wait on it instead of sleeping). */
  onDelivered?: (file: string) => void;
}

export const PUSHER_DEFAULTS = { parallel: 4, pollMs: 100, retry: { firstMs: 1_000, maxMs: 10_000 } } as const;

export interface WalPusherResult {
  delivered: number;
  failures: number;
  /** Why it stopped. */
  stopped: 'idle' | 'aborted' | 'another-pusher';
}

/**
 * Drains the component's WAL spool into its destinations with the same store
 * as `wal push` (compressed, encrypted, every destination, `require`, entry
 * last), several files at once. A file leaves the spool only once it is
 * stored; one that fails (a destination down, different content already
 * archived under its name) stays, is logged and retried with a growing delay.
 * One pusher per spool: the lock is core's host lock in the spool folder.
 */
export async function runWalPusher(ctx: EngineContext, component: string, opts: WalPusherOptions): Promise<WalPusherResult> {
  const spool = walSpool(ctx, component);
  if (!spool) {
    throw new UsageError(
      `${ctx.plan.file}: components.${component}.pitr has no async: (such as async: { spool: /var/spool/lifeboat, maxSize: 4GiB }), so there is no spool to push`,
    );
  }
  const parallel = opts.parallel ?? PUSHER_DEFAULTS.parallel;
  const pollMs = opts.pollMs ?? PUSHER_DEFAULTS.pollMs;
  const retry = opts.retry ?? PUSHER_DEFAULTS.retry;
  let lock: HostLock | undefined = acquireLock(spool.dir, pusherLockName, `wal pusher ${component}`);
  const debris = await removeSpoolDebris(spool);
  if (debris > 0) opts.log(`removed ${debris} temp file(s) of interrupted pushes`);
  const state: PusherState = await readPusherState(spool);
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => writePusherState(spool, state)).catch((err: unknown) => opts.log(`cannot write the pusher state: ${describeError(err)}`)));
  const inFlight = new Map<string, Promise<void>>();
  const notBefore = new Map<string, number>();
  let delivered = 0;
  let failures = 0;
  let idleSince = Date.now();

  const deliver = async (spooled: SpooledFile): Promise<void> => {
    try {
      const file = await readSpooled(spooled);
      const result = await storeWalFile(ctx, component, file, (message) => opts.log(`${spooled.name}: ${message}`));
      await removeSpooled(spooled);
      delivered++;
      notBefore.delete(spooled.name);
      const had = state.failures[spooled.name];
      delete state.failures[spooled.name];
      state.lastDelivered = { file: spooled.name, at: nowOf(ctx).toISOString() };
      if (had) opts.log(`${spooled.name}: delivered after ${had.attempts} failed attempt(s)`);
      if (result.alreadyArchived.length > 0 && result.stored.length === 0) opts.log(`${spooled.name}: already archived with the same content`);
      await save();
      opts.onDelivered?.(spooled.name);
    } catch (err) {
      if (ctx.signal?.aborted) return;
      failures++;
      const attempts = (state.failures[spooled.name]?.attempts ?? 0) + 1;
      const delay = Math.min(retry.maxMs, retry.firstMs * 2 ** (attempts - 1));
      notBefore.set(spooled.name, Date.now() + delay);
      state.failures[spooled.name] = { file: spooled.name, message: describeError(err), at: nowOf(ctx).toISOString(), attempts };
      opts.log(`${spooled.name} stays in the spool (${spooled.path}), attempt ${attempts} failed: ${describeError(err)}; retrying in ${Math.round(delay / 1000)}s`);
      await save();
    }
  };

  try {
    for (;;) {
      if (ctx.signal?.aborted) return { delivered, failures, stopped: 'aborted' };
      const spooled = await listSpooled(spool);
      const now = Date.now();
      for (const file of spooled) {
        if (inFlight.size >= parallel) break;
        if (inFlight.has(file.name) || (notBefore.get(file.name) ?? 0) > now) continue;
        const task = deliver(file).finally(() => inFlight.delete(file.name));
        inFlight.set(file.name, task);
      }
      if (spooled.length > 0 || inFlight.size > 0) idleSince = now;
      else if (opts.idleExitMs !== undefined && now - idleSince >= opts.idleExitMs) {
        // Release, then look once more: a push that spooled a file after our last look either finds no
        // pusher (and starts one) or is seen here. A file is never left without a pusher on its way.
        lock.release();
        lock = undefined;
        if ((await listSpooled(spool)).length === 0) return { delivered, failures, stopped: 'idle' };
        try {
          lock = acquireLock(spool.dir, pusherLockName, `wal pusher ${component}`);
        } catch (err) {
          if (err instanceof LockHeldError) return { delivered, failures, stopped: 'another-pusher' };
          throw err;
        }
        idleSince = Date.now();
        continue;
      }
      await waitFor([...inFlight.values()], pollMs, ctx.signal);
    }
  } finally {
    await Promise.allSettled([...inFlight.values()]);
    await saving;
    lock?.release();
  }
}

/** Until one delivery ends, `ms` pass, or the run is aborted. */
function waitFor(tasks: Promise<void>[], ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    for (const task of tasks) void task.then(done, done);
  });
}
