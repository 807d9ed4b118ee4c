import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_SEARCH_PATH, findExecutable } from './binaries.js';
import { startEphemeralRedis, type EphemeralRedis } from './redis.js';

const run = promisify(execFile);
const redisCli = findExecutable('redis-cli', DEFAULT_SEARCH_PATH) ?? 'redis-cli';

/** redis-cli as a user would run it, the password in REDISCLI_AUTH; never throws. */
async function cli(redis: EphemeralRedis, args: string[], auth?: string) {
  const env: Record<string, string> = { PATH: DEFAULT_SEARCH_PATH, ...(auth === undefined ? {} : { REDISCLI_AUTH: auth }) };
  try {
    const { stdout, stderr } = await run(redisCli, ['-h', redis.host, '-p', String(redis.port), ...args], { env });
    return { code: 0, out: `${stdout}${stderr}`.trim() };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}`.trim() };
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('startEphemeralRedis with a password', () => {
  const password = 'p4ss "word" with spaces';
  let redis: EphemeralRedis;
  beforeAll(async () => {
    const started = Date.now();
    redis = await startEphemeralRedis({ password });
    console.info(`ephemeral Redis ${redis.version} ready in ${Date.now() - started} ms`);
  });
  afterAll(() => redis?.stop());

  test('reports connection details without putting the password in the URL', () => {
    expect(redis.host).toBe('127.0.0.1');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.password).toBe(password);
    expect(redis.version).toMatch(/^\d+\.\d+/);
    expect(statSync(redis.dir).isDirectory()).toBe(true);
  });

  test('answers with the password and stores values, with persistence off', async () => {
    expect(await cli(redis, ['PING'], password)).toEqual({ code: 0, out: 'PONG' });
    expect((await cli(redis, ['SET', 'k', 'v'], password)).out).toBe('OK');
    expect((await cli(redis, ['GET', 'k'], password)).out).toBe('v');
    expect((await cli(redis, ['CONFIG', 'GET', 'save'], password)).out).toBe('save');
    expect((await cli(redis, ['CONFIG', 'GET', 'appendonly'], password)).out).toBe('appendonly\nno');
    expect((await cli(redis, ['CONFIG', 'GET', 'dir'], password)).out).toBe(`dir\n${redis.dir}`);
  });

  test('refuses a missing or wrong password', async () => {
    expect((await cli(redis, ['GET', 'k'])).out).toContain('NOAUTH');
    const wrong = await cli(redis, ['GET', 'k'], 'not-the-password');
    expect(wrong.out).toMatch(/WRONGPASS|invalid password/i);
  });

  test('keeps the password out of the process list', async () => {
    const { stdout } = await run('ps', ['-eo', 'args'], { env: { PATH: DEFAULT_SEARCH_PATH } });
    const ours = stdout.split('\n').filter((line) => line.includes(`--port ${redis.port}`) || line.includes(`:${redis.port}`));
    expect(ours.length).toBeGreaterThan(0);
    expect(stdout).not.toContain('p4ss');
  });
});

describe('startEphemeralRedis', () => {
  test('without a password answers anyone, and stop() ends it and removes its folder', async () => {
    const redis = await startEphemeralRedis();
    expect(redis.password).toBeUndefined();
    expect(await cli(redis, ['PING'])).toEqual({ code: 0, out: 'PONG' });
    await redis.stop();
    expect(existsSync(redis.dir)).toBe(false);
    expect(await portAnswers(redis.port)).toBe(false);
    await redis.stop(); // twice is harmless
  });

  test('loads an RDB at start and leaves the file as it was; one that is not an RDB fails the start with the server\u2019s reason', async () => {
    const source = await startEphemeralRedis();
    const work = mkdtempSync(join(tmpdir(), 'lifeboat-rdb-'));
    try {
      await cli(source, ['SET', 'greeting', 'hello']);
      await cli(source, ['SAVE']);
      const rdb = join(work, 'backup.rdb');
      copyFileSync(join(source.dir, 'dump.rdb'), rdb);
      const before = readFileSync(rdb);
      const loaded = await startEphemeralRedis({ rdbFile: rdb, password: 'secret', startTimeoutMs: 60_000 });
      try {
        expect(await cli(loaded, ['GET', 'greeting'], 'secret')).toEqual({ code: 0, out: 'hello' });
      } finally {
        await loaded.stop();
      }
      expect(readFileSync(rdb).equals(before)).toBe(true);

      const bad = join(work, 'bad.rdb');
      writeFileSync(bad, 'not an RDB');
      await expect(startEphemeralRedis({ rdbFile: bad })).rejects.toThrow(/^could not start a local Redis: the server exited with code 1: .*(signature|error)/i);
      expect(existsSync(bad)).toBe(true);
    } finally {
      await source.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('says to run the bootstrap script when redis-server is not on the PATH', async () => {
    await expect(startEphemeralRedis({ path: '/nonexistent' })).rejects.toThrow(
      'no redis-server found on PATH; run tooling/bootstrap.sh',
    );
  });
});
