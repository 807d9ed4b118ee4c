import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { z } from 'zod';
import type { RestoreCheck, RunEvent } from '../events.js';
import { parsePlan } from '../plan/load.js';
import type { StorageType } from '../storage.js';
import type { RestoredTarget, Strategy } from '../strategy.js';
import { MemoryStorage } from '../test/memory-storage.js';
import { runBackup } from './backup.js';
import { Registry } from './registry.js';
import { runRestore } from './restore.js';

/**
 * A source whose restore "starts" only when the afterRestore hook runs: the
 * hook writes a file, and the live check reads what the hook wrote.
 */
function setup(live: (started: string, restored: RestoredTarget) => RestoreCheck[]) {
  const seen: RestoredTarget[] = [];
  const strategy: Strategy<{ label: string }> = {
    kind: 'text',
    summary: 'test source',
    config: z.object({ label: z.string() }),
    backup: async (ctx) => {
      await ctx.storeArtifact('text', Readable.from([Buffer.from('v1')]), { format: 'text', compress: false });
      return { text: 'v1' };
    },
    restore: async () => ({ target: 'the file', checks: [{ name: 'bytes', expected: 2, actual: 2, ok: true }] }),
    checkLiveTarget: async (ctx, restored) => {
      seen.push(restored);
      return { target: 'the service', checks: live(readFileSync(join(ctx.planDir, 'started'), 'utf8').trim(), restored) };
    },
  };
  const memory: StorageType<{ path: string }> = {
    type: 'memory',
    defaultMedium: 'disk',
    config: z.object({ path: z.string() }),
    create: () => store,
  };
  const store = new MemoryStorage('a');
  const registry = new Registry({ strategies: [strategy as Strategy<never>], storage: [memory as StorageType<never>] });
  const plan = parsePlan(
    'version: 1\nname: t\ndestinations:\n  a: { type: memory, path: a }\ncomponents:\n  notes:\n    type: text\n    label: x\n    schedule: "0 3 * * *"\n    rpo: 24h\n    rto: 1h\n    destinations: [a]\n    hooks:\n      afterRestore: ["echo up > started"]\n',
    join(scratchDir('engine-'), 'lifeboat.yaml'),
    registry,
  );
  const events: RunEvent[] = [];
  const ctx = { plan, registry, env: { PATH: process.env.PATH }, lockDir: join(plan.dir, 'locks'), toolVersion: 'test', onEvent: (e: RunEvent) => events.push(e) };
  return { ctx, events, seen };
}

const request = { clean: false, yes: false, options: {} };

describe('runRestore: the live target, checked after the afterRestore hooks', () => {
  it('is checked once the hooks have run, and its checks are reported in a checked event', async () => {
    const { ctx, events, seen } = setup((started) => [{ name: 'service', expected: 'up', actual: started, ok: started === 'up' }]);
    await runBackup(ctx, ['notes']);
    const before = new Date();
    await runRestore(ctx, { component: 'notes' }, request);
    const checked = events.find((e) => e.type === 'checked');
    expect(checked).toMatchObject({ component: 'notes', target: 'the service', checks: [{ name: 'service', actual: 'up', ok: true }] });
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', exitCode: 0 });
    expect(seen[0]).toMatchObject({ outcome: { target: 'the file' }, afterRestoreHooks: true });
    expect(seen[0]!.restoredAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
  });

  it('fails the restore with a sentence when the live target does not match: the hooks have run, so it says so', async () => {
    const { ctx, events } = setup(() => [{ name: 'keys in db0', expected: 10, actual: 0, ok: false }]);
    await runBackup(ctx, ['notes']);
    await expect(runRestore(ctx, { component: 'notes' }, request)).rejects.toThrow(
      /^the service does not match backup \S+: keys in db0 expected 10, got 0; the afterRestore hooks have run, so it is up with data that does not match the backup$/,
    );
    expect(events.filter((e) => e.type === 'checked')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'failed', exitCode: 1 });
  });
});
