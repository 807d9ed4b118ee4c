import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEphemeralRedis, type EphemeralRedis } from '@lifeboat/ephemeral';
import { describe, expect, test } from '@lifeboat/testkit';
import { afterEach, beforeEach } from 'vitest';
import { backupFiles, files, lifeboat, eachWorkspace } from './test/harness.js';
import { events, failure, until } from './test/log-lines.js';
import { differences, fingerprint, seedEveryType } from './test/redis-data.js';
import { redisPlan, redisUrl } from './test/redis-plan.js';
import { cuttingProxy, redisClient, serveDir, silentServer, startTlsRedis } from './test/redis-servers.js';

const run = promisify(execFile);

describe('Redis backup and restore through the runner', () => {
  const ws = eachWorkspace();
  let repo: string;
  beforeEach(() => {
    repo = join(ws.dir, 'repo');
  });

  test('100k keys of every type round-trip with equal content; stock redis-check-rdb reads the restored and the stored RDB', async ({ freshRedis: redis }) => {
    const source = redisClient(redis);
    try {
      const seeded = await seedEveryType(source, 100_000);
      const before = await fingerprint(source);
      expect(before.size).toBe(seeded.total);

      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { compress: true } }));
      const env = { REDIS_URL: redisUrl(redis, redis.password) };
      const backup = await lifeboat(['--plan', ws.plan, 'backup', 'cache'], { env, lockDir: ws.lockDir });
      expect(backup.stderr).toBe('');
      expect(backup.exitCode).toBe(0);
      expect(backup.stdout).not.toContain(redis.password);

      const list = await lifeboat(['--plan', ws.plan, 'list', 'cache', '--json'], { env, lockDir: ws.lockDir });
      const [entry] = JSON.parse(list.stdout) as Array<{ artifacts: Array<{ name: string }>; facts: Record<string, unknown> }>;
      expect(entry!.artifacts.map((a) => a.name)).toEqual(['dump.rdb.gz']);
      expect(entry!.facts).toMatchObject({
        mode: 'replica',
        role: 'master',
        keysFrom: 'rdb',
        keys: seeded.keys,
        expires: seeded.expires,
        totalKeys: seeded.total,
        rdbChecksum: expect.stringMatching(/^crc64:[0-9a-f]{16}$/),
      });
      expect(entry!.facts.redisVersion).toMatch(/^\d+\.\d+/);
      expect(entry!.facts.rdbVersion).toBeGreaterThanOrEqual(9);

      const restoredDir = join(ws.dir, 'restored');
      await mkdir(restoredDir);
      const restore = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to-dir', restoredDir], { env, lockDir: ws.lockDir });
      expect(restore.exitCode).toBe(0);
      const restored = events(restore.stdout).find((e) => e.event === 'restored')!;
      expect(restored.checks!.map((c) => [c.name, c.ok])).toEqual([
        ['RDB checksum', true],
        ['keys in dump.rdb', true],
      ]);
      const dump = join(restoredDir, 'dump.rdb');
      expect((await stat(dump)).mode & 0o777).toBe(0o600);
      expect(await files(restoredDir)).toEqual(['dump.rdb']);

      // Restorable without Lifeboat: stock tools read both the restored file and the stored artifact.
      const checked = await run('redis-check-rdb', [dump]);
      expect(checked.stdout).toMatch(/RDB looks OK/);
      expect(checked.stdout).toContain(`${seeded.total} keys read`);
      const stored = (await files(repo)).find((f) => f.endsWith('dump.rdb.gz'))!;
      const gunzipped = join(ws.dir, 'gunzipped.rdb');
      await run('sh', ['-c', 'gunzip -c "$1" > "$2"', 'sh', join(repo, stored), gunzipped]);
      expect((await run('redis-check-rdb', [gunzipped])).stdout).toMatch(/RDB looks OK/);
      expect((await readFile(gunzipped)).equals(await readFile(dump))).toBe(true);

      // The operator's last step: start Redis on the folder. Every key is back, with its type, content and TTL.
      const served = await serveDir(restoredDir);
      try {
        expect(differences(before, await fingerprint(served.client))).toEqual([]);
      } finally {
        await served.stop();
      }

      // The drill: a throwaway redis-server loads the backup and its counts match the manifest.
      const drill = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', 'ephemeral'], { env, lockDir: ws.lockDir });
      expect(drill.exitCode).toBe(0);
      const checks = events(drill.stdout).find((e) => e.event === 'restored')!.checks!;
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.map((c) => c.name)).toEqual(['RDB checksum', 'keys in dump.rdb', 'keys in db0', 'keys in db1', 'keys in db5', 'keys read by redis-server']);
      expect(checks.find((c) => c.name === 'keys in db1')).toMatchObject({ expected: 2, actual: 2 });
    } finally {
      source.disconnect();
    }
  });

  test('a connection dropped mid-transfer fails the backup: exit 1, a sentence, no manifest, no debris', async ({ freshRedis: redis }) => {
    const source = redisClient(redis);
    try {
      await seedEveryType(source, 20_000);
    } finally {
      source.disconnect();
    }
    const proxy = await cuttingProxy(redis, 64 * 1024);
    try {
      await ws.writePlan(redisPlan({ destinations: { a: join(ws.dir, 'a'), b: join(ws.dir, 'b') } }));
      const backup = await lifeboat(['--plan', ws.plan, 'backup'], { env: { REDIS_URL: redisUrl(proxy, redis.password) }, lockDir: ws.lockDir });
      expect(backup.exitCode).toBe(1);
      expect(failure(backup.stdout)).toMatch(/^backup of cache failed: the connection to Redis at 127\.0\.0\.1:\d+ closed after \d+ (of \d+ )?bytes of the RDB; the snapshot is incomplete$/);
      expect(proxy.forwarded()).toBe(64 * 1024);
      expect(await backupFiles(join(ws.dir, 'a'))).toEqual([]);
      expect(await backupFiles(join(ws.dir, 'b'))).toEqual([]);
      const list = await lifeboat(['--plan', ws.plan, 'list', '--json'], { env: {}, lockDir: ws.lockDir });
      expect(JSON.parse(list.stdout)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  test('AUTH: a wrong password and a missing one each give one sentence and exit 1, and no password is printed', async ({ redis }) => {
    await ws.writePlan(redisPlan({ destinations: { local: repo } }));
    const wrong = await lifeboat(['--plan', ws.plan, 'backup'], { env: { REDIS_URL: redisUrl(redis, 'not-the-password-42') }, lockDir: ws.lockDir });
    expect(wrong.exitCode).toBe(1);
    expect(failure(wrong.stdout)).toMatch(/^backup of cache failed: Redis at .+:\d+ rejected the password \(WRONGPASS\)$/);
    for (const out of [wrong.stdout, wrong.stderr]) {
      expect(out).not.toContain('not-the-password-42');
      expect(out).not.toContain(redis.password);
    }

    const missing = await lifeboat(['--plan', ws.plan, 'backup'], { env: { REDIS_URL: redisUrl(redis) }, lockDir: ws.lockDir });
    expect(missing.exitCode).toBe(1);
    expect(failure(missing.stdout)).toMatch(/requires a password, and the URL has none/);
    expect(await backupFiles(repo)).toEqual([]);
  });

  test('a server that does not answer fails within connectTimeout, with a sentence', async () => {
    const silent = await silentServer();
    try {
      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { connectTimeout: '1s' } }));
      const backup = await lifeboat(['--plan', ws.plan, 'backup'], { env: { REDIS_URL: redisUrl(silent) }, lockDir: ws.lockDir });
      expect(backup.exitCode).toBe(1);
      expect(failure(backup.stdout)).toMatch(/^backup of cache failed: Redis at 127\.0\.0\.1:\d+ did not answer within 1 s \(connectTimeout\)$/);
    } finally {
      await silent.close();
    }
  });

  test('TLS: rediss:// with the CA named in the plan backs up over TLS; without it, the certificate is refused', async () => {
    const dir = join(ws.dir, 'tls');
    await mkdir(dir);
    const server = await startTlsRedis(dir);
    try {
      await server.client.set('over', 'tls');
      const env = { REDIS_URL: `rediss://127.0.0.1:${server.port}` };
      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { tls: { ca: server.ca, servername: 'localhost' } } }));
      const backup = await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir });
      expect(backup.exitCode).toBe(0);
      const [entry] = JSON.parse((await lifeboat(['--plan', ws.plan, 'list', '--json'], { env, lockDir: ws.lockDir })).stdout) as Array<{ facts: Record<string, unknown> }>;
      expect(entry!.facts).toMatchObject({ mode: 'replica', totalKeys: 1 });

      await ws.writePlan(redisPlan({ destinations: { local: repo } }));
      const refused = await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir });
      expect(refused.exitCode).toBe(1);
      expect(failure(refused.stdout)).toMatch(/^backup of cache failed: TLS connection to Redis at 127\.0\.0\.1:\d+ failed: self[- ]signed certificate/);
    } finally {
      await server.stop();
    }
  });

  describe('on a server that refuses replication', () => {
    let server: EphemeralRedis;
    beforeEach(async () => {
      server = await startEphemeralRedis({ password: 'admin-secret', path: process.env.PATH });
      const admin = redisClient(server);
      // A user that may do everything but replicate, as on managed services.
      await admin.call('ACL', 'SETUSER', 'backup', 'on', '>backup-secret', '~*', '&*', '+@all', '-sync', '-psync');
      await seedEveryType(admin, 5_000);
      admin.disconnect();
    });
    afterEach(async () => {
      await server.stop();
    });

    test('replica mode fails with a sentence that points to mode: bgsave; it never falls back by itself', async () => {
      await ws.writePlan(redisPlan({ destinations: { local: repo } }));
      const backup = await lifeboat(['--plan', ws.plan, 'backup'], { env: { REDIS_URL: redisUrl(server, 'backup-secret', 'backup') }, lockDir: ws.lockDir });
      expect(backup.exitCode).toBe(1);
      const sentence = failure(backup.stdout);
      expect(sentence).toMatch(/^backup of cache failed: Redis at 127\.0\.0\.1:\d+ refused to send a snapshot over replication \(SYNC answered "NOPERM[^"]*"\)/);
      expect(sentence).toContain('set mode: bgsave (with rdbPath or exec)');
      expect(backup.stdout).not.toContain('BGSAVE');
      expect(await backupFiles(repo)).toEqual([]);
    });

    test('mode: bgsave with rdbPath backs the same server up, with exact counts', async () => {
      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { mode: 'bgsave', rdbPath: join(server.dir, 'dump.rdb') } }));
      const env = { REDIS_URL: redisUrl(server, 'backup-secret', 'backup') };
      const backup = await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir });
      expect(backup.stdout).toContain('BGSAVE on redis://backup@127.0.0.1');
      expect(backup.exitCode).toBe(0);
      const [entry] = JSON.parse((await lifeboat(['--plan', ws.plan, 'list', '--json'], { env, lockDir: ws.lockDir })).stdout) as Array<{ facts: Record<string, unknown> }>;
      expect(entry!.facts).toMatchObject({ mode: 'bgsave', keysFrom: 'rdb', totalKeys: 5_003 });

      const drill = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', 'ephemeral'], { env, lockDir: ws.lockDir });
      expect(drill.exitCode).toBe(0);
    });

    test('bgsave: a truncated RDB (exec: head -c 1000) or one that is not an RDB fails validation, no manifest', async () => {
      const dump = join(server.dir, 'dump.rdb');
      const env = { REDIS_URL: redisUrl(server, 'backup-secret', 'backup') };
      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { mode: 'bgsave', exec: `head -c 1000 '${dump}'` } }));
      const truncated = await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir });
      expect(truncated.exitCode).toBe(1);
      expect(failure(truncated.stdout)).toMatch(
        /^backup of cache failed: the RDB from the exec command is truncated: it ends after 1000 bytes, short of the end-of-file marker and checksum/,
      );

      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { mode: 'bgsave', exec: 'echo "Error: No such container: redis"' } }));
      const notRdb = await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir });
      expect(notRdb.exitCode).toBe(1);
      expect(failure(notRdb.stdout)).toMatch(/the RDB from the exec command is not an RDB file: it starts with "Error: No such c"/);

      await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { mode: 'bgsave', exec: `cat '${dump}'; exit 3` } }));
      const failedCommand = await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir });
      expect(failedCommand.exitCode).toBe(1);
      expect(failure(failedCommand.stdout)).toMatch(/the exec command exited with code 3/);
      expect(await backupFiles(repo)).toEqual([]);
    });

    test('bgsave: an rdbPath that is not the file the server writes is caught by the snapshot time', async () => {
      const admin = redisClient(server);
      try {
        // An RDB this server wrote earlier, then a server clock past its second: the next BGSAVE is visibly newer.
        // rdb_saves counts a save when it starts; the file is there once none is in progress.
        const persistence = async () => admin.info('persistence');
        const saves = (info: string) => Number(/rdb_saves:(\d+)/.exec(info)![1]);
        const before = saves(await persistence());
        await admin.bgsave();
        await until(async () => {
          const info = await persistence();
          return saves(info) > before && info.includes('rdb_bgsave_in_progress:0');
        });
        const stale = join(ws.dir, 'stale.rdb');
        await copyFile(join(server.dir, 'dump.rdb'), stale);
        const lastSave = Number(await admin.lastsave());
        await until(async () => Number((await admin.time())[0]) > lastSave);

        await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { mode: 'bgsave', rdbPath: stale } }));
        const backup = await lifeboat(['--plan', ws.plan, 'backup'], { env: { REDIS_URL: redisUrl(server, 'backup-secret', 'backup') }, lockDir: ws.lockDir });
        expect(backup.exitCode).toBe(1);
        expect(failure(backup.stdout)).toMatch(/was written at .*, before the BGSAVE Lifeboat asked for at .*: it is not the file this server saves \(that is .*dump\.rdb on the Redis host\); check rdbPath$/);
        expect(await backupFiles(repo)).toEqual([]);
      } finally {
        admin.disconnect();
      }
    });
  });

  test('verify --deep checks the stored RDB; a drill loads it into a throwaway server and records the RTO actual', async ({ freshRedis: redis }) => {
    const source = redisClient(redis);
    for (let i = 0; i < 500; i++) await source.set(`k${i}`, `v${i}`);
    await source.hset('h', 'f', 'v');
    source.disconnect();
    await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { drill: { target: 'ephemeral' } } }));
    const env = { REDIS_URL: redisUrl(redis, redis.password) };
    expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    const deep = await lifeboat(['--plan', ws.plan, 'verify', '--deep', '--json'], { env, lockDir: ws.lockDir });
    expect(deep.exitCode).toBe(0);
    expect(JSON.parse(deep.stdout)[0].structure).toMatch(/^dump\.rdb: RDB version \d+, CRC64 ok, 501 keys$/);
    const drill = await lifeboat(['--plan', ws.plan, 'drill', '--json'], { env, lockDir: ws.lockDir });
    expect(drill.exitCode).toBe(0);
    const [result] = JSON.parse(drill.stdout);
    expect(result).toMatchObject({ component: 'cache', ok: true, target: 'a throwaway local redis-server' });
    expect(result.rtoActualMs).toBeGreaterThan(0);
  });

  test('restore --to-dir refuses to replace dump.rdb without --yes; with it, the file gets --owner', async ({ freshRedis: redis }) => {
    const source = redisClient(redis);
    await source.set('k', 'v');
    source.disconnect();
    await ws.writePlan(redisPlan({ destinations: { local: repo }, fields: { compress: false } }));
    const env = { REDIS_URL: redisUrl(redis, redis.password) };
    expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    const listed = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--list'], { env, lockDir: ws.lockDir });
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toMatch(/: 1 entries\n-0600 +\d+ +\S+ +dump\.rdb\n$/);

    const dir = join(ws.dir, 'data');
    await mkdir(dir);
    await writeFile(join(dir, 'dump.rdb'), 'the live data');

    const refused = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to-dir', dir], { env, lockDir: ws.lockDir });
    expect(refused.exitCode).toBe(2);
    expect(failure(refused.stdout)).toMatch(/dump\.rdb already exists \(13 B, written .*\); add --yes to replace it \(nothing was written\)$/);
    expect(await readFile(join(dir, 'dump.rdb'), 'utf8')).toBe('the live data');

    const toUrl = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to', 'env:REDIS_URL'], { env, lockDir: ws.lockDir });
    expect(toUrl.exitCode).toBe(2);
    expect(failure(toUrl.stdout)).toMatch(/already holds 1 keys; loading a backup is a full sync, which replaces the whole dataset: pass --clean --yes/);

    const replaced = await lifeboat(['--plan', ws.plan, 'restore', 'cache', '--to-dir', dir, '--owner', '1234:5678', '--yes'], { env, lockDir: ws.lockDir });
    if (process.getuid?.() === 0) {
      expect(replaced.exitCode).toBe(0);
      const info = await stat(join(dir, 'dump.rdb'));
      expect([info.uid, info.gid]).toEqual([1234, 5678]);
      expect((await run('redis-check-rdb', [join(dir, 'dump.rdb')])).stdout).toMatch(/RDB looks OK/);
    } else {
      expect(replaced.exitCode).toBe(1);
      expect(failure(replaced.stdout)).toMatch(/only root can give files away/);
      expect(await readFile(join(dir, 'dump.rdb'), 'utf8')).toBe('the live data');
    }
    expect((await files(dir)).filter((f) => f !== 'dump.rdb')).toEqual([]);
  });
});
