/**
 * Reaching a Redis that the plan's afterRestore hooks have just started: it
 * may still be starting (connection refused) or loading dump.rdb (LOADING),
 * so connecting is retried for a bounded time, then its INFO is read once it
 * has loaded.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError } from '@lifeboat/core';
import type { Redis } from 'ioredis';
import { call, connectClient, where, type RedisTarget } from './connection.js';
import { parseInfo } from './facts.js';

const POLL_MS = 200;
/** How long a server may take to accept connections after the hooks. */
export const START_WAIT_SECONDS = 120;
/** Loading is bounded by the dataset; this only catches a server that hangs. */
const LOAD_WAIT_MS = 30 * 60 * 1000;

/** Failures that mean "not up yet", as opposed to a wrong password or host. */
function notUpYet(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOENT'].includes(cause?.code ?? '') || /^LOADING|Connection is closed/.test(cause?.message ?? '');
}

/** INFO of the server once it answers and has loaded its dataset. */
export async function infoOnceLoaded(target: RedisTarget, timeout: number, opts: { signal: AbortSignal; step(message: string): void }): Promise<Record<string, string>> {
  const startBy = Date.now() + START_WAIT_SECONDS * 1000;
  let client: Redis | undefined;
  while (!client) {
    try {
      client = await connectClient(target, timeout, { whileLoading: true });
    } catch (err) {
      if (!notUpYet(err)) throw err;
      if (Date.now() > startBy) {
        throw new LifeboatError(`the Redis at ${where(target)} did not accept connections within ${START_WAIT_SECONDS} s (${(err as Error).message})`, undefined, { cause: err });
      }
      if (opts.signal.aborted) throw new LifeboatError('the restore was cancelled');
      await sleep(POLL_MS);
    }
  }
  try {
    const loadBy = Date.now() + LOAD_WAIT_MS;
    let said = false;
    for (;;) {
      const info = parseInfo(await call(client, target, timeout, (c) => c.info()));
      if (info.loading !== '1') return info;
      if (!said) opts.step(`${where(target)} is loading its dataset`);
      said = true;
      if (Date.now() > loadBy) throw new LifeboatError(`the Redis at ${where(target)} was still loading after ${LOAD_WAIT_MS / 60_000} minutes`);
      if (opts.signal.aborted) throw new LifeboatError('the restore was cancelled');
      await sleep(POLL_MS);
    }
  } finally {
    client.disconnect();
  }
}
