/**
 * Mode `bgsave`, for servers that refuse replication commands: ask the server
 * to write a fresh snapshot to its own disk, wait until it has, then read that
 * file through `rdbPath` or an `exec` command. This is the guide's script made
 * safe: it waits on the save counter rather than a one-second LASTSAVE (which
 * misses a save finished within the same second), checks the save succeeded,
 * and gives up with a sentence after `bgsaveTimeout`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError, spawnSource } from '@lifeboat/core';
import type { Redis } from 'ioredis';
import { call, redisProblem, where, type RedisTarget } from './connection.js';
import { parseInfo } from './facts.js';

const POLL_MS = 200;

interface SaveState {
  inProgress: boolean;
  /** rdb_saves (Redis 7+): saves started since the server started (counted at fork, success or not). */
  saves?: number;
  /** LASTSAVE, unix seconds. */
  lastSave: number;
  lastStatus: string;
}

export interface Snapshot {
  /** Server time (unix seconds) when Lifeboat asked for the save: the RDB's ctime must not be older. */
  requestedAt: number;
  /** Where the server writes it (`dir/dbfilename`), when CONFIG GET is allowed: for error sentences. */
  serverFile?: string;
}

async function saveState(client: Redis, target: RedisTarget, timeout: number): Promise<SaveState> {
  const info = parseInfo(await call(client, target, timeout, (c) => c.info('persistence')));
  return {
    inProgress: info.rdb_bgsave_in_progress === '1',
    ...(info.rdb_saves === undefined ? {} : { saves: Number(info.rdb_saves) }),
    lastSave: Number(info.rdb_last_save_time ?? 0),
    lastStatus: info.rdb_last_bgsave_status ?? 'ok',
  };
}

async function serverTime(client: Redis, target: RedisTarget, timeout: number): Promise<number> {
  const [seconds] = await call(client, target, timeout, (c) => c.time());
  return Number(seconds);
}

/** `dir/dbfilename`, or undefined where CONFIG is denied (managed services, restricted ACL users). */
async function serverFile(client: Redis): Promise<string | undefined> {
  try {
    const dir = (await client.config('GET', 'dir')) as string[];
    const name = (await client.config('GET', 'dbfilename')) as string[];
    return dir[1] && name[1] ? `${dir[1]}/${name[1]}` : undefined;
  } catch {
    return undefined;
  }
}

/** BGSAVE and wait until that save (not an earlier one) has finished well. */
export async function freshSnapshot(
  client: Redis,
  target: RedisTarget,
  opts: { connectTimeout: number; bgsaveTimeout: number; signal: AbortSignal; step(message: string): void },
): Promise<Snapshot> {
  const at = `Redis at ${where(target)}`;
  const timeout = opts.connectTimeout;
  const giveUpAt = Date.now() + opts.bgsaveTimeout * 1000;
  const tooLate = (what: string) => new LifeboatError(`${at} did not finish ${what} within ${opts.bgsaveTimeout} s (bgsaveTimeout)`);
  const wait = async () => {
    if (Date.now() >= giveUpAt) return false;
    await sleep(POLL_MS, undefined, { signal: opts.signal });
    return true;
  };
  const file = await serverFile(client);

  let before = await saveState(client, target, timeout);
  // A save already running started before we asked: its snapshot is older than this backup. Let it end first.
  while (before.inProgress) {
    if (!(await wait())) throw tooLate('the save that was already running');
    before = await saveState(client, target, timeout);
  }
  let requestedAt = await serverTime(client, target, timeout);
  if (before.saves === undefined) {
    // Without rdb_saves only LASTSAVE (whole seconds) tells saves apart: start in a later second than the last one.
    while (requestedAt <= before.lastSave) {
      if (!(await wait())) throw tooLate('BGSAVE');
      requestedAt = await serverTime(client, target, timeout);
    }
  }

  opts.step(`BGSAVE on ${target.display}`);
  let schedule = false;
  for (;;) {
    try {
      await client.call('BGSAVE', ...(schedule ? ['SCHEDULE'] : []));
      break;
    } catch (err) {
      const message = (err as Error).message ?? '';
      // An AOF rewrite blocks BGSAVE; SCHEDULE runs it as soon as the rewrite ends.
      if (/AOF/i.test(message) && !schedule) schedule = true;
      // Someone else's save sneaked in since we looked: wait for it, then ask again.
      else if (/already in progress/i.test(message)) {
        if (!(await wait())) throw tooLate('the save that was already running');
      } else throw redisProblem(err, target, timeout);
    }
  }

  for (;;) {
    const now = await saveState(client, target, timeout);
    const done = !now.inProgress && (before.saves !== undefined && now.saves !== undefined ? now.saves > before.saves : now.lastSave > before.lastSave);
    if (done) {
      if (now.lastStatus !== 'ok') {
        throw new LifeboatError(`${at} could not write its snapshot (rdb_last_bgsave_status:${now.lastStatus}); see the Redis log (disk full, or no write access to ${file ?? 'its dir'}?)`);
      }
      return { requestedAt, ...(file === undefined ? {} : { serverFile: file }) };
    }
    if (!schedule && !now.inProgress && now.lastStatus !== 'ok') {
      // BGSAVE forks at once, so a save that is neither running nor counted has failed (status err, LASTSAVE kept).
      throw new LifeboatError(`${at} could not write its snapshot (rdb_last_bgsave_status:${now.lastStatus}); see the Redis log (disk full, or no write access to ${file ?? 'its dir'}?)`);
    }
    if (!(await wait())) throw tooLate('BGSAVE');
  }
}

/** The saved RDB as a stream: the file at rdbPath, or the stdout of `exec`. */
export async function readSnapshot(
  source: { rdbPath?: string; exec?: string },
  opts: { planDir: string; env: Readonly<Record<string, string | undefined>>; signal: AbortSignal; serverFile?: string },
): Promise<{ body: Readable; bytes?: number; from: string }> {
  if (source.exec !== undefined) {
    return { body: spawnSource('/bin/sh', ['-c', source.exec], { env: opts.env, signal: opts.signal, label: 'the exec command' }), from: 'the exec command' };
  }
  const path = resolve(opts.planDir, source.rdbPath!);
  let bytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    bytes = info.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is not a file' : `cannot be read (${code ?? 'error'})`;
    const hint = opts.serverFile ? `; the server saves to ${opts.serverFile} on its own host` : '';
    throw new LifeboatError(`rdbPath ${path} ${why}${hint}`);
  }
  return { body: createReadStream(path, { highWaterMark: 1024 * 1024 }), bytes, from: path };
}
