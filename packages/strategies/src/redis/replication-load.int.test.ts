import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEphemeralRedis, type EphemeralRedis } from '@lifeboat/ephemeral';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { connectClient, redisTarget, type RedisTarget } from './connection.js';
import { keyspaceOf, parseInfo } from './facts.js';
import { checkLoadRoute, checkLoadTarget, loadOverReplication } from './replication-load.js';

const TIMEOUT = 10;
const signal = new AbortController().signal;
/** The request of a restore into an empty server, and of one with --clean --yes. */
const EMPTY = { clean: false, yes: false };
const CLEAN = { clean: true, yes: true };

async function connect(server: EphemeralRedis): Promise<{ target: RedisTarget; client: Redis }> {
  const target = await redisTarget(server.url, 'test', { planDir: '/' });
  return { target, client: await connectClient(target, TIMEOUT) };
}

/** As an ACL user of `server`. */
async function connectAs(server: EphemeralRedis, user: string, password: string): Promise<{ target: RedisTarget; client: Redis }> {
  const target = await redisTarget(`redis://${user}:${password}@127.0.0.1:${server.port}`, 'test', { planDir: '/' });
  return { target, client: await connectClient(target, TIMEOUT) };
}

/** Once `admin` sees its server replicating (REPLICAOF has run), does `then` with it. */
async function onceReplica(admin: Redis, then: (admin: Redis) => Promise<unknown>): Promise<void> {
  while (parseInfo(await admin.info('replication')).role !== 'slave');
  await then(admin).catch(() => {});
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
    await loadOverReplication(conn.client, conn.target, rdb, { connectTimeout: TIMEOUT, signal, step: (m) => steps.push(m), request: EMPTY });
    const after = await info(conn.client);
    expect(after.role).toBe('master');
    expect(keyspaceOf(after).keys).toEqual({ db0: 7, db3: 1 });
    const c = conn.client;
    expect(await c.get('s')).toBe('text');
    expect(await c.ttl('ttl')).toBeGreaterThan(3500);
    expect(await c.hgetall('h')).toEqual({ a: '1', b: '2' });
    expect(await c.lrange('l', 0, -1)).toEqual(['x', 'y', 'z']);
    expect((await c.smembers('set')).sort()).toEqual(['m1', 'm2']);
    expect(await c.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['one', '1', 'two', '2.5']);
    expect(await c.xlen('st')).toBe(1);
    expect(await c.call('CONFIG', 'GET', 'masterauth') as unknown).toEqual(['masterauth', '']);
    expect(steps.join('\n')).toMatch(/as its replication master \(127\.0\.0\.1:\d+\)/);
  });

  test('nobody but the server gets the RDB from Lifeboat\u2019s port: no AUTH, or a wrong one, and the connection ends with nothing', async () => {
    const probes: Array<Promise<string>> = [];
    const step = (message: string) => {
      const port = Number(/\(127\.0\.0\.1:(\d+)\)$/.exec(message)?.[1]);
      if (!port) return;
      probes.push(probe(port, 'PSYNC ? -1\r\n'), probe(port, 'AUTH default guessed\r\nPSYNC ? -1\r\n'));
    };
    await loadOverReplication(conn.client, conn.target, rdb, { connectTimeout: TIMEOUT, signal, step, request: EMPTY });
    expect(await Promise.all(probes)).toEqual(['-NOAUTH Authentication required.\r\n', '-WRONGPASS invalid username-password pair\r\n']);
    expect(await conn.client.dbsize()).toBe(7);
  });

  test('a server that cannot load what it gets fails the load with a sentence, and is a master again, empty', async () => {
    await conn.client.set('kept', 'still here');
    const bad = join(work, 'not-an-rdb');
    await writeFile(bad, 'REDIS9999 this is no RDB at all');
    await expect(loadOverReplication(conn.client, conn.target, bad, { connectTimeout: TIMEOUT, signal, step: () => {}, rdbVersion: 9999, request: CLEAN })).rejects.toThrow(
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

  test('keys written after the check (during the download) are refused right before the sync, and nothing changes', async () => {
    await expect(checkLoadTarget(conn.client, conn.target, TIMEOUT, EMPTY)).resolves.toMatchObject({ keys: 0 });
    await conn.client.set('written-during-the-download', 'precious');
    await expect(loadOverReplication(conn.client, conn.target, rdb, { connectTimeout: TIMEOUT, signal, step: () => {}, request: EMPTY })).rejects.toThrow(
      /^the Redis at 127\.0\.0\.1:\d+ now holds 1 keys; loading a backup is a full sync, which replaces the whole dataset: pass --clean --yes to replace them \(nothing was changed\)$/,
    );
    expect(await conn.client.get('written-during-the-download')).toBe('precious');
    expect((await info(conn.client)).role).toBe('master');
    expect(await conn.client.call('CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', '']);
  });

  test('a user that may not run CONFIG SET, or REPLICAOF, is refused by the check before anything changes', async () => {
    await conn.client.call('CONFIG', 'SET', 'masterauth', 'previous-secret');
    await conn.client.set('k', 'v');
    for (const [denied, command] of [
      ['config|set', 'CONFIG SET'],
      ['replicaof', 'REPLICAOF'],
    ] as const) {
      await conn.client.call('ACL', 'SETUSER', 'restorer', 'reset', 'on', '>pw', '~*', '&*', '+@all', `-${denied}`);
      const limited = await connectAs(target, 'restorer', 'pw');
      try {
        await expect(checkLoadTarget(limited.client, limited.target, TIMEOUT, CLEAN)).rejects.toThrow(
          new RegExp(`^the Redis at 127\\.0\\.0\\.1:\\d+ refuses ${command} \\(.*'${denied.replace('|', '\\|')}'.*\\); Lifeboat needs CONFIG GET/SET and REPLICAOF .*\\(nothing was changed\\)$`),
        );
      } finally {
        limited.client.disconnect();
      }
    }
    expect((await info(conn.client)).role).toBe('master');
    expect(await conn.client.call('CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', 'previous-secret']);
    expect(await conn.client.get('k')).toBe('v');
  });

  test('REPLICAOF refused mid-load: the error says so (not that the server is still a replica), and its masterauth is put back', async () => {
    await conn.client.call('CONFIG', 'SET', 'masterauth', 'previous-secret');
    await conn.client.call('ACL', 'SETUSER', 'restorer', 'on', '>pw', '~*', '&*', '+@all', '-replicaof');
    const limited = await connectAs(target, 'restorer', 'pw');
    try {
      const err = (await loadOverReplication(limited.client, limited.target, rdb, { connectTimeout: TIMEOUT, signal, step: () => {}, request: EMPTY }).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/^Redis at 127\.0\.0\.1:\d+ refused a command to user restorer: NOPERM .*'replicaof'/);
      expect(err.message).not.toMatch(/replica of Lifeboat|masterauth/);
    } finally {
      limited.client.disconnect();
    }
    expect((await info(conn.client)).role).toBe('master');
    expect(await conn.client.call('CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', 'previous-secret']);
  });

  test('Lifeboat\u2019s control connection killed mid-load: a new one makes the server a master again with its own masterauth, and the error says the load was abandoned', async () => {
    await conn.client.call('CONFIG', 'SET', 'masterauth', 'previous-secret');
    const id = String(await conn.client.call('CLIENT', 'ID'));
    const admin = await connect(target);
    let killing: Promise<void> | undefined;
    try {
      const step = () => (killing = onceReplica(admin.client, (a) => a.call('CLIENT', 'KILL', 'ID', id)));
      const err = (await loadOverReplication(conn.client, conn.target, rdb, { connectTimeout: TIMEOUT, signal, step, request: EMPTY }).catch((e: unknown) => e)) as Error;
      await killing;
      expect(err.message).toMatch(
        /^Lifeboat's connection to the Redis at 127\.0\.0\.1:\d+ closed during the load \(.*\), so the load was abandoned; Lifeboat reconnected, made it a master again and put its masterauth back: its dataset may be empty or partial, so restore again \(with --clean --yes\)$/,
      );
      expect(err.message).not.toContain('previous-secret');
      expect((await info(admin.client)).role).toBe('master');
      expect(await admin.client.call('CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', 'previous-secret']);
    } finally {
      admin.client.disconnect();
    }
  });

  test('a server gone mid-load, so nothing can be put back: the error names the state it may be in and the commands, never its masterauth', async () => {
    await conn.client.call('CONFIG', 'SET', 'masterauth', 'previous-secret');
    const admin = await connect(target);
    let stopping: Promise<void> | undefined;
    try {
      const step = () => (stopping = onceReplica(admin.client, (a) => a.call('SHUTDOWN', 'NOSAVE')));
      const err = (await loadOverReplication(conn.client, conn.target, rdb, { connectTimeout: TIMEOUT, signal, step, request: EMPTY }).catch((e: unknown) => e)) as Error;
      await stopping;
      expect(err.message).toMatch(
        /^Lifeboat's connection to the Redis at (127\.0\.0\.1:\d+) closed during the load \(.*\), so the load was abandoned; and Lifeboat could not reconnect to put it back \(could not connect to Redis at \1: connection refused .*\): the Redis at \1 may still be a replica of Lifeboat's port 127\.0\.0\.1:\d+, which has closed, and the Redis at \1 may still have masterauth set to Lifeboat's one-time token\. Once it is up, run REPLICAOF NO ONE and CONFIG SET masterauth <its previous masterauth> on it$/,
      );
      expect(err.message).not.toContain('previous-secret');
    } finally {
      admin.client.disconnect();
    }
  });

  test('--clean into a large dataset: INFO timing out while the server flushes it means busy, not failed; the backup loads', async () => {
    // A million keys: the replica flushes them for the sync, answering nothing meanwhile (~0.4 s, well over the 50 ms below).
    await conn.client.eval("for i = 1, 1000000 do redis.call('SET', 'k' .. i, i) end", 0);
    const impatient = { target: conn.target, client: await connectClient(conn.target, 0.05) };
    try {
      await loadOverReplication(impatient.client, impatient.target, rdb, { connectTimeout: 0.05, signal, step: () => {}, request: CLEAN });
    } finally {
      impatient.client.disconnect();
    }
    const after = await info(conn.client);
    expect(after.role).toBe('master');
    expect(keyspaceOf(after).keys).toEqual({ db0: 7, db3: 1 });
  });

  test('a rediss:// target is refused unless it is on this machine: the sync itself is plain TCP', async () => {
    for (const url of ['rediss://127.0.0.1:6380', 'rediss://127.1.2.3:6380', 'rediss://localhost:6380', 'rediss://[::1]:6380', 'redis://192.0.2.1:6379']) {
      const t = await redisTarget(url, 'test', { planDir: '/' });
      expect(() => checkLoadRoute(t)).not.toThrow();
    }
    const remote = await redisTarget('rediss://192.0.2.1:6380', 'test', { planDir: '/' });
    expect(() => checkLoadRoute(remote)).toThrow(
      /^rediss:\/\/192\.0\.2\.1:6380 is a TLS server on another machine: .*, so the data would cross the network unencrypted\. Restore with --to-dir/,
    );
  });
});
