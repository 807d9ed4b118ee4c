/**
 * A throwaway local redis-server that loads an RDB at start: Redis cannot load
 * an RDB sent over the network, so proving that a backup loads means starting
 * a server on it. It listens only on a unix socket inside a 0700 temp folder
 * (no TCP port, so no other local user can read the restored data), saves
 * nothing, and is stopped and its folder removed by `stop()`.
 *
 * (core's startEphemeralRedis cannot preload an RDB and allows 30 s to start;
 * loading a large dataset takes longer. See the report on the export this
 * would need to be one piece with it.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError } from '@lifeboat/core';
import type { Redis } from 'ioredis';

/** Loading is bounded by the dataset, not by us; this only catches a server that hangs. */
const LOAD_TIMEOUT_MS = 30 * 60 * 1000;
const STOP_GRACE_MS = 10_000;
const LOG_LINES = 40;

export interface ScratchRedis {
  /** A connected client (over the unix socket). */
  client: Redis;
  stop(): Promise<void>;
}

/** Redis log lines start with `pid:role date time level `; the message is what a person needs. */
function message(line: string): string {
  return line.replace(/^\d+:[A-Z] \d\d? \w{3} \d{4} \d\d:\d\d:\d\d(\.\d+)? [.\-*#] /, '');
}

function telltale(lines: string[]): string {
  const line = lines.findLast((l) => /\b(error|fatal|failed|can't|cannot|wrong|bad|corrupt|short read)\b/i.test(l)) ?? lines.at(-1);
  return line === undefined ? 'no output' : message(line);
}

/**
 * Starts redis-server on a copy-free view of `rdbFile` (a symlink in the temp
 * folder) and waits until it has loaded it.
 */
export async function startScratchRedis(rdbFile: string, opts: { env: Readonly<Record<string, string | undefined>>; signal: AbortSignal }): Promise<ScratchRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-redis-load-'));
  const socket = join(dir, 'redis.sock');
  const log: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let running = false;
  const stop = async () => {
    if (child && running) {
      child.kill('SIGTERM');
      const late = sleep(STOP_GRACE_MS).then(() => 'late' as const);
      if ((await Promise.race([exited.then(() => 'exited' as const), late])) === 'late') child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await symlink(rdbFile, join(dir, 'dump.rdb'));
    // With no save points and no AOF, the server writes nothing, not even at shutdown.
    const args = [
      '--port', '0',
      '--unixsocket', socket,
      '--unixsocketperm', '700',
      '--dir', dir,
      '--dbfilename', 'dump.rdb',
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      '--logfile', '',
    ];
    child = spawn('redis-server', args, { cwd: dir, env: { PATH: opts.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running = true;
    let spawnError: NodeJS.ErrnoException | undefined;
    exited = new Promise((resolve) => {
      child!.once('error', (err: NodeJS.ErrnoException) => {
        spawnError = err;
        running = false;
        resolve();
      });
      child!.once('close', () => {
        running = false;
        resolve();
      });
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log.push(line.trim());
      log.splice(0, Math.max(0, log.length - LOG_LINES));
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);

    const deadline = Date.now() + LOAD_TIMEOUT_MS;
    for (;;) {
      if (!running) {
        if (spawnError?.code === 'ENOENT') throw new LifeboatError('redis-server was not found on PATH; install the Redis server binaries (the source\u2019s version or newer) to load a backup');
        throw new LifeboatError(`redis-server could not load the RDB: ${spawnError ? spawnError.message : telltale(log)}`);
      }
      const client = await readyClient(socket);
      if (client) return { client, stop: async () => (client.disconnect(), stop()) };
      if (Date.now() > deadline) throw new LifeboatError(`redis-server did not finish loading the RDB within ${LOAD_TIMEOUT_MS / 60_000} minutes: ${telltale(log)}`);
      if (opts.signal.aborted) throw new LifeboatError('the restore was cancelled');
      await Promise.race([sleep(100), exited]);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A client once the server answers PING (it answers LOADING until the RDB is in memory), else undefined. */
async function readyClient(socket: string): Promise<Redis | undefined> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ path: socket, protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => {
    // Not there yet (no socket file, or still loading): the caller asks again.
  });
  try {
    await client.connect();
    if ((await client.ping()) === 'PONG') return client;
  } catch {
    // as above
  }
  client.disconnect();
  return undefined;
}
