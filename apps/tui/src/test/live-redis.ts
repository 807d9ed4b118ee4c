import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { redisCommand, type RespValue } from '@lifeboat/testkit';
import { expect, vi } from 'vitest';

const run = promisify(execFile);

/**
 * The guide's production Redis: a redis-server daemon on a data folder
 * (`dir`), which the plan's hooks stop (`stop`) and start again (`start`).
 * Local binaries: the hooks run redis-server and redis-cli as a shell would.
 */
export interface LiveRedis {
  dir: string;
  url: string;
  start: string;
  stop: string;
  command(...args: string[]): Promise<RespValue>;
  /** Waits until it answers PING. */
  answers(): Promise<void>;
  cleanup(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function liveRedis(): Promise<LiveRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-tui-redis-'));
  const port = await freePort();
  const start = `redis-server --port ${port} --bind 127.0.0.1 --dir '${dir}' --dbfilename dump.rdb --save '' --appendonly no --daemonize yes --logfile '${dir}/redis.log'`;
  const stop = `redis-cli -p ${port} shutdown nosave`;
  const command = (...args: string[]) => redisCommand({ host: '127.0.0.1', port }, ...args);
  const answers = () => vi.waitFor(async () => expect(await command('PING')).toBe('PONG'), { timeout: 10_000, interval: 50 });
  await run('sh', ['-c', start]);
  await answers();
  return {
    dir,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    command,
    answers,
    cleanup: async () => {
      // Whichever server the hooks left running on the port: the one this started.
      await run('sh', ['-c', stop]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
