import { execFile } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEphemeralRedis, type EphemeralRedis } from '@lifeboat/ephemeral';
import { describe, expect, test } from '@lifeboat/testkit';
import { afterEach, beforeEach } from 'vitest';
import { files, lifeboat, eachWorkspace } from './test/harness.js';
import { events, failure, until } from './test/log-lines.js';
import { differences, fingerprint, seedEveryType } from './test/redis-data.js';
import { redisPlan, redisUrl } from './test/redis-plan.js';
import { freePort, redisClient, startTlsRedis } from './test/redis-servers.js';

const run = promisify(execFile);

/**
 * The guide's production Redis: a daemon on a data folder, stopped and started
 * by shell commands, as the plan's hooks do it.
 */
function productionRedis(port: number) {
  return {
    port,
    start: (dir: string) =>
      `redis-server --port ${port} --bind 127.0.0.1 --dir '${dir}' --dbfilename dump.rdb --save '' --appendonly no --daemonize yes --logfile '${dir}/redis.log'`,
    stop: `redis-cli -p ${port} shutdown nosave`,
    async answers(): Promise<boolean> {
      return run('redis-cli', ['-p', String(port), 'ping']).then(
        (r) => r.stdout.trim() === 'PONG',
        () => false,
      );
    },
  };
}

describe('Redis restore into servers: --to-dir with the server checked after the hooks, --to redis:// over replication', () => {
  const ws = eachWorkspace();
  let repo: string;
  beforeEach(() => {
    repo = join(ws.dir, 'repo');
  });

  describe('--to-dir around beforeRestore/afterRestore', () => {
    let prod: ReturnType<typeof productionRedis>;
    let data: string;
    let env: Record<string, string>;
    let seeded: Awaited<ReturnType<typeof seedEveryType>>;

    beforeEach(async () => {
      prod = productionRedis(await freePort());
      data = join(ws.dir, 'data');
      await mkdir(data);
      await run('sh', ['-c', prod.start(data)]);
      await until(() => prod.answers());
      const source = redisClient({ host: '127.0.0.1', port: prod.port });
      seeded = await seedEveryType(source, 3_000);
      source.disconnect();
      env = { REDIS_URL: `redis://127.0.0.1:${prod.port}` };
    });
    afterEach(async () => {
      // Whichever server the hooks left running on the port: ours, started by this test.
      await run('sh', ['-c', prod.stop]).catch(() => {});
    });

    test('the server the hooks restart loads dump.rdb, and its key counts are checked and printed', async () => {
      await ws.writePlan(
        redisPlan({ destinations: { local: repo }, fields: { hooks: { beforeRestore: [prod.stop], afterRestore: [prod.start(data)] } } }),
      );
      expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
      // The live data changes after the backup; the restore must bring back the backup's.
      const live = redisClient({ host: '127.0.0.1', port: prod.port });
      await live.flushall();
      await live.set('written-after-the-backup', 'x');
      live.disconnect();

      const restore = await lifeboat(['--plan', ws.plan, '--log-format', 'human', 'restore', 'cache', '--to-dir', data, '--yes'], { env, lockDir: ws.lockDir });
      expect(restore.stderr).toBe('');
      expect(restore.exitCode).toBe(0);
      expect(restore.stdout).toMatch(new RegExp(`✓ checked redis://127\\.0\\.0\\.1:${prod.port} after the afterRestore hooks against backup \\S+\\n`));
      expect(restore.stdout).toContain('✓ started after dump.rdb was written: at ');
      expect(restore.stdout).toContain(`✓ keys in db0: ${seeded.keys.db0}\n`);
      expect(restore.stdout).toContain(`✓ keys read by redis-server: ${seeded.total}\n`);

      const served = redisClient({ host: '127.0.0.1', port: prod.port });
      try {
        expect(await served.exists('written-after-the-backup')).toBe(0);
        expect(await served.dbsize()).toBe(seeded.keys.db0);
      } finally {
        served.disconnect();
      }
    });

    test('a server that did not load the restored file fails the restore with a sentence: started on another folder, or never restarted', async () => {
      const other = join(ws.dir, 'elsewhere');
      await mkdir(other);
      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { hooks: { beforeRestore: [prod.stop], afterRestore: [prod.start(other)] } } }));
      expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);

      const restore = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to-dir', data, '--yes'], { env, lockDir: ws.lockDir });
      expect(restore.exitCode).toBe(1);
      const checked = events(restore.stdout).find((e) => e.event === 'checked')!;
      expect(checked.checks!.find((c) => c.name === 'keys in db0')).toMatchObject({ actual: 0, ok: false });
      expect(failure(restore.stdout)).toMatch(
        new RegExp(
          `^redis://127\\.0\\.0\\.1:${prod.port} after the afterRestore hooks does not match backup \\S+: keys in db0 expected [^;]*, got 0; .*the afterRestore hooks have run, so it is up with data that does not match the backup$`,
        ),
      );
      // The file itself was restored; only the server is wrong.
      expect((await run('redis-check-rdb', [join(data, 'dump.rdb')])).stdout).toContain(`${seeded.total} keys read`);

      // No hooks, and --to names a server that kept running: it never loaded the file. (Up for a few
      // seconds first, so that its whole-second uptime tells it apart from one started by the restore.)
      const running = redisClient({ host: '127.0.0.1', port: prod.port });
      await until(async () => Number(/uptime_in_seconds:(\d+)/.exec(await running.info('server'))?.[1]) >= 3);
      running.disconnect();
      await ws.writePlan(redisPlan({ destinations: { local: repo } }));
      const stale = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to-dir', data, '--to', 'env:REDIS_URL', '--yes'], { env, lockDir: ws.lockDir });
      expect(stale.exitCode).toBe(1);
      expect(failure(stale.stdout)).toMatch(/started after dump\.rdb was written expected after \S+, got running since \S+, so it did not load dump\.rdb/);
    });
  });

  describe('--to redis://… (a running scratch server, loaded over replication)', () => {
    let target: EphemeralRedis;
    beforeEach(async () => {
      target = await startEphemeralRedis({ path: process.env.PATH });
    });
    afterEach(async () => {
      await target.stop();
    });

    async function backUp(redis: { host: string; port: number; password?: string }, seed: number, compress = true) {
      const source = redisClient(redis);
      const seeded = await seedEveryType(source, seed);
      const before = await fingerprint(source);
      source.disconnect();
      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { compress, hooks: { beforeRestore: [`touch '${join(ws.dir, 'stopped')}'`] } } }));
      const env = { REDIS_URL: redisUrl(redis, redis.password) };
      expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
      return { env, seeded, before };
    }

    test('an empty server gets every key with equal content and type, the counts are checked, and it is a master afterwards', async ({ freshRedis }) => {
      const { env, seeded, before } = await backUp(freshRedis, 5_000);
      const restore = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', target.url], { env, lockDir: ws.lockDir });
      expect(restore.stderr).toBe('');
      expect(restore.exitCode).toBe(0);
      const restored = events(restore.stdout).find((e) => e.event === 'restored')!;
      expect(restored.target).toBe(target.url);
      expect(restored.checks!.filter((c) => !c.ok)).toEqual([]);
      expect(restored.checks!.map((c) => c.name)).toEqual(['RDB checksum', 'keys in dump.rdb', 'keys in db0', 'keys in db1', 'keys in db5', 'keys read by the server']);
      expect(restored.checks!.find((c) => c.name === 'keys read by the server')).toMatchObject({ actual: seeded.total });

      const loaded = redisClient(target);
      try {
        expect(differences(before, await fingerprint(loaded))).toEqual([]);
        expect(await loaded.call('ROLE')).toEqual(expect.arrayContaining(['master']));
      } finally {
        loaded.disconnect();
      }
    });

    test('a server that holds keys is refused before any hook runs and nothing changes; a corrupt copy never reaches the server', async ({ freshRedis }) => {
      // Stored uncompressed, so the damage shows as the sha256 mismatch it is (not as a gzip error).
      const { env } = await backUp(freshRedis, 200, false);
      const admin = redisClient(target);
      try {
        await admin.set('precious', 'data');
        const refused = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', target.url], { env, lockDir: ws.lockDir });
        expect(refused.exitCode).toBe(2);
        expect(failure(refused.stdout)).toMatch(
          /^the Redis at 127\.0\.0\.1:\d+ already holds 1 keys; loading a backup is a full sync, which replaces the whole dataset: pass --clean --yes to replace them \(nothing was changed\)$/,
        );
        await expect(access(join(ws.dir, 'stopped'))).rejects.toThrow();
        expect(await admin.get('precious')).toBe('data');

        // The stored RDB is damaged: sha256 fails while it spools, before the server is told anything.
        await admin.flushall();
        const stored = (await files(repo)).find((f) => f.endsWith('dump.rdb'))!;
        const bytes = await readFile(join(repo, stored));
        bytes[bytes.length >> 1]! ^= 0xff;
        await writeFile(join(repo, stored), bytes);
        const corrupt = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', target.url], { env, lockDir: ws.lockDir });
        expect(corrupt.exitCode).not.toBe(0);
        expect(failure(corrupt.stdout)).toMatch(/sha256/);
        expect(await admin.call('ROLE')).toEqual(expect.arrayContaining(['master']));
        expect(await admin.dbsize()).toBe(0);
      } finally {
        admin.disconnect();
      }
    });

    test('TLS: a rediss:// server on another machine is refused before anything (the sync is plain TCP); on this machine it loads, unless it has tls-replication yes', async ({ freshRedis }) => {
      const { env, seeded } = await backUp(freshRedis, 300);
      const remote = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', 'rediss://192.0.2.1:6380'], { env, lockDir: ws.lockDir });
      expect(remote.exitCode).toBe(2);
      expect(failure(remote.stdout)).toMatch(
        /^rediss:\/\/192\.0\.2\.1:6380 is a TLS server on another machine: Lifeboat feeds it the backup as its replication master in plain TCP, so the data would cross the network unencrypted\. Restore with --to-dir/,
      );
      await expect(access(join(ws.dir, 'stopped'))).rejects.toThrow();

      const dir = join(ws.dir, 'tls');
      await mkdir(dir);
      const server = await startTlsRedis(dir);
      try {
        await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { tls: { ca: server.ca, servername: 'localhost' } } }));
        const to = `rediss://127.0.0.1:${server.port}`;
        await server.client.call('CONFIG', 'SET', 'tls-replication', 'yes');
        const refused = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', to], { env, lockDir: ws.lockDir });
        expect(refused.exitCode).toBe(2);
        expect(failure(refused.stdout)).toMatch(
          /^the Redis at 127\.0\.0\.1:\d+ has tls-replication yes: it would speak TLS to its master, and Lifeboat cannot serve the sync over TLS\. Restore with --to-dir/,
        );
        expect(refused.stdout).not.toMatch(/set tls-replication no/i);

        await server.client.call('CONFIG', 'SET', 'tls-replication', 'no');
        const loaded = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', to], { env, lockDir: ws.lockDir });
        expect(loaded.exitCode).toBe(0);
        expect(await server.client.dbsize()).toBe(seeded.keys.db0);
      } finally {
        await server.stop();
      }
    });
  });
});
