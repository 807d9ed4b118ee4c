import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEphemeralRedis, type EphemeralRedis } from '@lifeboat/core';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { connectClient, redisTarget, type RedisTarget } from './connection.js';
import { keyspaceOf, parseInfo } from './facts.js';
import { checkLoadTarget, loadOverReplication } from './replication-load.js';

const TIMEOUT = 10;
const signal = new AbortController().signal;

async function connect(server: EphemeralRedis): Promise<{ target: RedisTarget; client: Redis }> {
  const target = await redisTarget(server.url, 'test', { planDir: '/' });
  return { target, client: await connectClient(target, TIMEOUT) };
}

async function info(client: Redis): Promise<Record<string, string>> {
  return parseInfo(await client.info());
}

/** Everything a raw connection to `port` receives after sending `text`, until the other side ends it. */
function probe(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = netConnect({ host: '127.0.0.1', port }, () => socket.write(text));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('loading an RDB into a running Redis over replication', () => {
  let work: string;
  let rdb: string;
  let target: EphemeralRedis;
  let conn: { target: RedisTarget; client: Redis };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-repl-load-'));
    // A source with keys of every type in two databases, saved to a real RDB.
    const source = await startEphemeralRedis({ path: process.env.PATH });
    const { client } = await connect(source);
    try {
      await client.set('s', 'text');
      await client.set('ttl', 'v', 'EX', 3600);
      await client.hset('h', { a: '1', b: '2' });
      await client.rpush('l', 'x', 'y', 'z');
      await client.sadd('set', 'm1', 'm2');
      await client.zadd('z', 1, 'one', 2.5, 'two');
      await client.xadd('st', '*', 'f', 'v');
      await client.select(3);
      await client.set('in-db3', 'yes');
      await client.call('SAVE');
      rdb = join(work, 'dump.rdb');
      await copyFile(join(source.dir, 'dump.rdb'), rdb);
    } finally {
      client.disconnect();
      await source.stop();
    }
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  beforeEach(async () => {
    target = await startEphemeralRedis({ path: process.env.PATH });
    conn = await connect(target);
  });
  afterEach(async () => {
    conn.client.disconnect();
    await target.stop();
  });

  test('an empty server takes the RDB: every key, type and TTL, and it is a master again with its masterauth back', async () => {
    const steps: string[] = [];
    await expect(checkLoadTarget(conn.client, conn.target, TIMEOUT, { clean: true, yes: false })).resolves.toMatchObject({ keys: 0 });
    await loadOverReplication(conn.client, conn.target, rdb, { connectTimeout: TIMEOUT, signal, step: (m) => steps.push(m) });
    const after = await info(conn.client);
    expect(after.role).toBe('master');
    expect(keyspaceOf(after).keys).toEqual({ db0: 7, db3: 1 });
    const c = conn.client;
    expect(await c.get('s')).toBe('text');
    expect(await c.ttl('ttl')).toBeGreaterThan(3500);
    expect(await c.hgetall('h')).toEqual({ a: '1', b: '2' });
    expect(await c.lrange('l', 0, -1)).toEqual(['x', 'y', 'z']);
    expect((await c.smembers('set')).sort()).toEqual(['m1', 'm2']);
    expect(await c.zrange('z', 0, -1, 'WITHSCORES')).toEqual(['one', '1', 'two', '2.5']);
    expect(await c.xlen('st')).toBe(1);
    expect(await c.call('CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', '']);
    expect(steps.join('\n')).toMatch(/as its replication master \(127\.0\.0\.1:\d+\)/);
  });

  test('nobody but the server gets the RDB from Lifeboat\u2019s port: no AUTH, or a wrong one, and the connection ends with nothing', async () => {
    const probes: Array<Promise<string>> = [];
    const step = (message: string) => {
      const port = Number(/\(127\.0\.0\.1:(\d+)\)$/.exec(message)?.[1]);
      if (!port) return;
      probes.push(probe(port, 'PSYNC ? -1\r\n'), probe(port, 'AUTH default guessed\r\nPSYNC ? -1\r\n'));
    };
    await loadOverReplication(conn.client, conn.target, rdb, { connectTimeout: TIMEOUT, signal, step });
    expect(await Promise.all(probes)).toEqual(['-NOAUTH Authentication required.\r\n', '-WRONGPASS invalid username-password pair\r\n']);
    expect(await conn.client.dbsize()).toBe(7);
  });

  test('a server that cannot load what it gets fails the load with a sentence, and is a master again, empty', async () => {
    await conn.client.set('kept', 'still here');
    const bad = join(work, 'not-an-rdb');
    await writeFile(bad, 'REDIS9999 this is no RDB at all');
    await expect(loadOverReplication(conn.client, conn.target, bad, { connectTimeout: TIMEOUT, signal, step: () => {}, rdbVersion: 9999 })).rejects.toThrow(
      /received the RDB but could not load it and asked for it again \(the backup is RDB version 9999; .*\); its log says why/,
    );
    expect((await info(conn.client)).role).toBe('master');
    expect(await conn.client.call('CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', '']);
    // A full sync flushes the old dataset before it loads: why a server holding keys needs --clean --yes.
    expect(await conn.client.dbsize()).toBe(0);
  });

  test('refused before anything changes: a server holding keys (unless --clean --yes), and a replica', async () => {
    await conn.client.set('k', 'v');
    await expect(checkLoadTarget(conn.client, conn.target, TIMEOUT, { clean: false, yes: false })).rejects.toThrow(
      /already holds 1 keys; loading a backup is a full sync, which replaces the whole dataset: pass --clean --yes/,
    );
    await expect(checkLoadTarget(conn.client, conn.target, TIMEOUT, { clean: true, yes: false })).rejects.toThrow(/add --yes to confirm/);
    await expect(checkLoadTarget(conn.client, conn.target, TIMEOUT, { clean: true, yes: true })).resolves.toMatchObject({ keys: 1 });

    await conn.client.call('REPLICAOF', '127.0.0.1', '1');
    try {
      await expect(checkLoadTarget(conn.client, conn.target, TIMEOUT, { clean: true, yes: true })).rejects.toThrow(/is a replica of 127\.0\.0\.1:1;/);
    } finally {
      await conn.client.call('REPLICAOF', 'NO', 'ONE');
    }
    expect(await conn.client.get('k')).toBe('v');
  });
});
