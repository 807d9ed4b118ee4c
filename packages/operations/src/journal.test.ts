import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { readJournal, type RunRecord } from '@lifeboat/core';
import { backup } from './backup.js';
import { pin, unpin } from './pins.js';
import { restore } from './restore.js';
import { unlock } from './unlock.js';
import { filesFixture } from './test/fixture.js';

/** Every record of `operation` in the plan's journal. */
async function records(f: Awaited<ReturnType<typeof filesFixture>>, operation: RunRecord['operation']): Promise<RunRecord[]> {
  return (await readJournal(f.plan, f.registry)).filter((r) => r.operation === operation);
}

describe('the journal of operations people run by hand', () => {
  test('a restore is journaled once, naming the backup, the target, the user and the host', async () => {
    const f = await filesFixture();
    try {
      const { results } = await backup(f.ctx, ['config']);
      const backupId = results[0]!.backupId!;
      const target = join(f.dir, 'restored');
      await restore(f.ctx, { component: 'config' }, { target, clean: false, yes: false, options: {} });
      expect(await records(f, 'restore')).toEqual([
        expect.objectContaining({
          plan: 'ops-test',
          user: 'ops',
          host: 'db-1',
          exitCode: 0,
          components: [expect.objectContaining({ component: 'config', outcome: 'ok', backupId, details: expect.objectContaining({ target: expect.stringContaining(target) }) })],
        }),
      ]);
      expect(f.alerts).toEqual([]);
    } finally {
      await f.cleanup();
    }
  });

  test('a restore that fails is journaled as failed and alerts sev1; one refused for bad input leaves no record', async () => {
    const f = await filesFixture();
    try {
      const { results } = await backup(f.ctx, ['config']);
      await expect(restore(f.ctx, { component: 'config', backupId: '20200101T000000Z-000000' }, { target: join(f.dir, 'a'), clean: false, yes: false, options: {} })).rejects.toMatchObject({ exitCode: 2 });
      expect(await records(f, 'restore')).toEqual([]);

      // Every copy's artifact damaged: nothing usable to restore from.
      for (const destination of ['primary', 'mirror']) {
        const folder = join(f.dir, 'repo', destination, 'config');
        for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
          if (entry.isFile() && entry.parentPath.includes(results[0]!.backupId!) && entry.name !== 'manifest.json') await writeFile(join(entry.parentPath, entry.name), 'damaged');
        }
      }
      const failed = await restore(f.ctx, { component: 'config' }, { target: join(f.dir, 'b'), clean: false, yes: false, options: {} }).catch((err: unknown) => err);
      expect(failed).toMatchObject({ exitCode: 1 });
      expect(await records(f, 'restore')).toEqual([
        expect.objectContaining({ user: 'ops', host: 'db-1', exitCode: 1, components: [expect.objectContaining({ component: 'config', outcome: 'failed', error: expect.any(String) })] }),
      ]);
      expect(f.alerts).toEqual([{ operation: 'restore', component: 'config', severity: 'sev1', exitCode: 1 }]);
    } finally {
      await f.cleanup();
    }
  });

  test('pin and unpin are journaled with the backup, the reason, the user and the host', async () => {
    const f = await filesFixture();
    try {
      const { results } = await backup(f.ctx, ['config']);
      const backupId = results[0]!.backupId!;
      await expect(pin(f.ctx, 'config', backupId, '  ')).rejects.toMatchObject({ exitCode: 2 });
      await pin(f.ctx, 'config', backupId, 'before the 2.0 migration');
      await unpin(f.ctx, 'config', backupId);
      expect(await records(f, 'pin')).toEqual([
        expect.objectContaining({
          user: 'ops',
          host: 'db-1',
          exitCode: 0,
          components: [{ component: 'config', outcome: 'ok', backupId, durationMs: expect.any(Number), details: { reason: 'before the 2.0 migration', destinations: ['primary', 'mirror'] } }],
        }),
      ]);
      expect(await records(f, 'unpin')).toEqual([
        expect.objectContaining({
          user: 'ops',
          host: 'db-1',
          exitCode: 0,
          components: [{ component: 'config', outcome: 'ok', backupId, durationMs: expect.any(Number), details: { destinations: ['primary', 'mirror'] } }],
        }),
      ]);
    } finally {
      await f.cleanup();
    }
  });

  test('an unlock that removes a lock is journaled with whose lock it was; a look is not', async () => {
    const f = await filesFixture();
    try {
      const primary = f.registry.repository(f.plan, 'primary');
      const lock = {
        lifeboat: 'lock',
        plan: 'ops-test',
        component: 'config',
        operation: 'backup',
        owner: 'ops@db-2',
        host: 'db-2',
        pid: 4242,
        token: 'other',
        acquiredAt: '2026-01-01T01:50:00Z',
        refreshedAt: '2026-01-01T01:55:00Z',
        expiresAt: '2026-01-01T02:25:00Z',
      };
      await primary.adapter.put(primary.lockKey('config'), Readable.from([Buffer.from(JSON.stringify(lock))]));

      const look = await unlock(f.ctx, 'config', {});
      expect(look.found).toHaveLength(1);
      expect(look.removed).toEqual([]);
      expect(await records(f, 'unlock')).toEqual([]);

      expect((await unlock(f.ctx, 'config', { yes: true })).removed).toEqual(['primary']);
      expect(await records(f, 'unlock')).toEqual([
        expect.objectContaining({
          user: 'ops',
          host: 'db-1',
          exitCode: 0,
          components: [
            expect.objectContaining({
              component: 'config',
              outcome: 'ok',
              details: { locks: [{ destination: 'primary', removed: true, holder: 'backup on ops@db-2 (pid 4242) since 2026-01-01T01:50:00Z', stale: 'it expired at 2026-01-01T02:25:00Z' }] },
            }),
          ],
        }),
      ]);
    } finally {
      await f.cleanup();
    }
  });
});
