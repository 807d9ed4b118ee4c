import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { redisProblem, redisTarget } from './connection.js';

const FIELD = 'components.cache.url';

describe('redisTarget', () => {
  test('reads user, password, port and database; the display keeps the password out', async () => {
    const target = await redisTarget('redis://backup:s%40cret@cache.internal:6380/2', FIELD, { planDir: '/' });
    expect(target).toMatchObject({ host: 'cache.internal', port: 6380, db: 2, username: 'backup', password: 's@cret' });
    expect(target.display).toBe('redis://backup@cache.internal:6380');
    expect(target.tls).toBeUndefined();
  });

  test('a password alone, the default port and database 0', async () => {
    const target = await redisTarget('redis://:pw@10.0.0.5', FIELD, { planDir: '/' });
    expect(target).toMatchObject({ host: '10.0.0.5', port: 6379, db: 0, password: 'pw' });
    expect(target.username).toBeUndefined();
    expect(target.display).toBe('redis://10.0.0.5:6379');
  });

  test('IPv6 hosts lose their brackets for the socket, keep them in the display', async () => {
    const target = await redisTarget('redis://[::1]:7000', FIELD, { planDir: '/' });
    expect(target.host).toBe('::1');
    expect(target.display).toBe('redis://[::1]:7000');
  });

  test('rediss:// turns TLS on, verifying the host name; a CA file is read relative to the plan', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-redis-tls-'));
    try {
      await writeFile(join(dir, 'ca.pem'), 'PEM');
      const target = await redisTarget('rediss://cache.example.com:6380', FIELD, { planDir: dir, tls: { ca: 'ca.pem' } });
      expect(target.tls?.servername).toBe('cache.example.com');
      expect(String(target.tls?.ca)).toBe('PEM');
      const named = await redisTarget('rediss://10.1.2.3', FIELD, { planDir: dir, tls: { servername: 'cache.internal' } });
      expect(named.tls?.servername).toBe('cache.internal');
      await expect(redisTarget('rediss://h', FIELD, { planDir: dir, tls: { ca: 'missing.pem' } })).rejects.toThrow(/components\.cache\.tls\.ca names .*missing\.pem, which cannot be read \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test('refuses what is not a Redis URL, without echoing it', async () => {
    await expect(redisTarget('postgres://u:secret@h/db', FIELD, { planDir: '/' })).rejects.toThrow('components.cache.url is a postgres URL, not a Redis one');
    await expect(redisTarget('cache:6379', FIELD, { planDir: '/' })).rejects.toThrow(/is a cache URL|not a Redis URL/);
    await expect(redisTarget('redis://h/x', FIELD, { planDir: '/' })).rejects.toThrow('names database "x"');
    await expect(redisTarget('redis://h', FIELD, { planDir: '/', tls: {} })).rejects.toThrow('use rediss:// for TLS');
    const err = await redisTarget('nonsense with secret', FIELD, { planDir: '/' }).catch((e: Error) => e);
    expect((err as Error).message).not.toContain('secret');
  });
});

describe('redisProblem', () => {
  const target = { host: 'cache', port: 6379, db: 0, username: 'backup', password: 'hunter2', display: 'redis://backup@cache:6379' };

  test('says what happened in one sentence, never the password', () => {
    const cases: Array<[unknown, RegExp]> = [
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), /^could not connect to Redis at cache:6379: connection refused/],
      [Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), /no answer within 5 s \(connectTimeout\)$/],
      [new Error('WRONGPASS invalid username-password pair or user is disabled.'), /^Redis at cache:6379 rejected the password for user backup \(WRONGPASS\)$/],
      [new Error('NOAUTH Authentication required.'), /requires a password, and the URL has none/],
      [new Error('NOPERM User backup has no permissions to run the \'info\' command'), /refused a command to user backup/],
      [Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), /^TLS connection to Redis at cache:6379 failed/],
    ];
    for (const [err, expected] of cases) {
      const sentence = redisProblem(err, target, 5).message;
      expect(sentence).toMatch(expected);
      expect(sentence).not.toContain('hunter2');
    }
  });
});
