import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RestoreContext } from '@lifeboat/core';
import { startEphemeralRedis } from '@lifeboat/ephemeral';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RedisConfig } from './config.js';
import { checkLiveRedis, restoreRedis } from './restore.js';

describe('--to-dir, then the server that loads the folder is checked', () => {
  let work: string;
  let rdb: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-redis-restore-'));
    const source = await startEphemeralRedis({ path: process.env.PATH });
    try {
      const { Redis } = await import('ioredis');
      const client = new Redis({ host: source.host, port: source.port });
      await client.set('k', 'v');
      await client.call('SAVE');
      client.disconnect();
      rdb = join(work, 'backup.rdb');
      await copyFile(join(source.dir, 'dump.rdb'), rdb);
    } finally {
      await source.stop();
    }
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  /** Just what restoreRedis and checkLiveRedis read of a restore context. */
  function context(dir: string, server: string): RestoreContext<RedisConfig> {
    return {
      component: 'cache',
      config: { connectTimeout: 10 } as RestoreContext<RedisConfig>['config'],
      secrets: { resolve: async (raw: string) => raw } as unknown as RestoreContext<RedisConfig>['secrets'],
      planDir: work,
      planFile: join(work, 'lifeboat.yaml'),
      env: process.env,
      signal: new AbortController().signal,
      step: () => {},
      warn: () => {},
      manifest: { id: 'b1', artifacts: [{ name: 'dump.rdb' }], facts: { keys: { db0: 1 } } } as unknown as RestoreContext<RedisConfig>['manifest'],
      request: { target: server, clean: false, yes: true, options: { toDir: dir } },
      open: async () => createReadStream(rdb),
      download: async () => {},
      localFile: async () => ({ path: rdb, unchanged: async () => {}, release: async () => {} }),
    };
  }

  test('a server started after dump.rdb was renamed into place passes, however long the restore took after that', async () => {
    const dir = await mkdtemp(join(work, 'data-'));
    const outcome = await restoreRedis(context(dir, 'redis://127.0.0.1:1'));
    // What a supervisor does: starts the server on the folder as soon as dump.rdb is there.
    const loading = await startEphemeralRedis({ path: process.env.PATH, rdbFile: join(dir, 'dump.rdb') });
    try {
      // The rest of the restore (an --to ephemeral load, say) takes a few seconds; the outcome keeps the rename's time,
      // which the engine hands back as restoredAt (outcome.placedAt ?? the end of the restore).
      await sleep(2_500);
      expect(outcome.placedAt).toBeInstanceOf(Date);
      expect(Date.now() - outcome.placedAt!.getTime()).toBeGreaterThanOrEqual(2_000); // taken at the rename, before the wait
      const live = await checkLiveRedis(context(dir, loading.url), { outcome, restoredAt: outcome.placedAt!, afterRestoreHooks: false });
      expect(live?.checks.find((c) => c.name === 'started after dump.rdb was written')).toMatchObject({ ok: true });
      expect(live?.checks.filter((c) => !c.ok)).toEqual([]);
    } finally {
      await loading.stop();
    }
  });
});
