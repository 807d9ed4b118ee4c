/**
 * Issue 11, fault 2, at the engine: with `require: any` a destination that
 * fails or hangs mid-write drops out — warned about, emptied, unlocked — and
 * the backup commits to the others; with none left the run fails. Never a hang.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { z } from 'zod';
import type { RunEvent } from '../events.js';
import { parsePlan } from '../plan/load.js';
import type { StorageType } from '../storage.js';
import type { Strategy } from '../strategy.js';
import { FillingDisk, HangingStore, SilentStore } from '../test/faulty-storage.js';
import { MemoryStorage, generated } from '../test/memory-storage.js';
import { runBackup } from './backup.js';
import { readCatalog } from './catalog.js';
import { Registry } from './registry.js';

type Fault = 'none' | 'full' | 'hang' | 'silent';

/** A plan whose component `dump` writes a 5 MB artifact to memory destinations, each with the fault its plan entry names. */
function setup(destinations: Record<string, { fault: Fault; extra?: string }>, require: 'any' | 'all') {
  const stores = new Map<string, MemoryStorage>();
  const memoryType: StorageType<{ path: string; fault: Fault }> = {
    type: 'memory',
    defaultMedium: 'disk',
    config: z.object({ path: z.string(), fault: z.enum(['none', 'full', 'hang', 'silent']) }),
    create: ({ path, fault }) => {
      if (!stores.has(path)) {
        const faulty = { none: () => new MemoryStorage(path), full: () => new FillingDisk(path, 2_000_000), hang: () => new HangingStore(path, { when: 'taking' }), silent: () => new SilentStore(path) };
        stores.set(path, faulty[fault]());
      }
      return stores.get(path)!;
    },
  };
  const strategy: Strategy<{ label: string }> = {
    kind: 'dump',
    summary: 'test source',
    config: z.object({ label: z.string() }),
    backup: async (ctx) => {
      await ctx.storeArtifact('dump', generated(5_000_000), { format: 'bytes', compress: false });
      return { rows: 1 };
    },
    restore: async () => ({ target: 'nowhere', checks: [] }),
  };
  const registry = new Registry({ strategies: [strategy as Strategy<never>], storage: [memoryType as StorageType<never>] });
  const names = Object.keys(destinations);
  const plan = parsePlan(
    `version: 1\nname: t\ndestinations:\n${names.map((n) => `  ${n}: { type: memory, path: ${n}, fault: ${destinations[n]!.fault}${destinations[n]!.extra ?? ''} }\n`).join('')}` +
      `components:\n  db:\n    type: dump\n    label: x\n    schedule: "0 2 * * *"\n    rpo: 24h\n    rto: 1h\n    destinations: [${names.join(', ')}]\n    require: ${require}\n`,
    join(scratchDir('engine-fault-'), 'lifeboat.yaml'),
    registry,
  );
  const events: RunEvent[] = [];
  const ctx = { plan, registry, env: {}, lockDir: join(plan.dir, 'locks'), toolVersion: 'test', onEvent: (e: RunEvent) => events.push(e) };
  /** What the run left in a destination besides the marker and the journal. */
  const left = (name: string) => [...stores.get(name)!.objects.keys()].filter((k) => k !== 'lifeboat.json' && !k.startsWith('runs/'));
  const warnings = () => events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  return { plan, registry, ctx, events, left, warnings };
}

describe('backup with require: any when a destination fails or hangs mid-write', () => {
  it('fault 11.2: a destination that fills up mid-write is dropped with a warning, emptied and unlocked; the backup commits to the other', async () => {
    const { plan, registry, ctx, left, warnings } = setup({ good: { fault: 'none' }, full: { fault: 'full' } }, 'any');
    const outcome = await runBackup(ctx, ['db']);
    expect(outcome.results[0]).toMatchObject({ outcome: 'ok', exitCode: 0 });
    expect(warnings()).toContain("writing to destination 'full' failed: no space left on device (ENOSPC); continuing without it (require: any)");
    const [entry] = await readCatalog(plan, registry);
    expect(entry!.destinations).toEqual(['good']);
    expect(entry!.manifest.failedDestinations).toEqual([{ name: 'full', error: "writing to destination 'full' failed: no space left on device (ENOSPC)" }]);
    expect(left('full')).toEqual([]); // no partial artifact, no lock
    expect(left('good').filter((k) => k.startsWith('locks/'))).toEqual([]);
  });

  it('fault 11.2: a destination that takes no data for its plan stallTimeout is dropped, and the backup commits to the other', async () => {
    const { plan, registry, ctx, left, warnings } = setup({ good: { fault: 'none' }, stuck: { fault: 'hang', extra: ', stallTimeout: 1s' } }, 'any');
    const outcome = await runBackup(ctx, ['db']);
    expect(outcome.results[0]).toMatchObject({ outcome: 'ok', exitCode: 0 });
    expect(warnings()).toContain("writing to destination 'stuck' failed: it took no data for 1s (its stallTimeout); continuing without it (require: any)");
    expect((await readCatalog(plan, registry)).map((e) => e.destinations)).toEqual([['good']]);
    expect(left('stuck')).toEqual([]);
  });

  it('fault 11.2: a destination that answers nothing at all is dropped when opening it passes its stallTimeout', async () => {
    const { plan, registry, ctx, warnings } = setup({ good: { fault: 'none' }, gone: { fault: 'silent', extra: ', stallTimeout: 1s' } }, 'any');
    const outcome = await runBackup(ctx, ['db']);
    expect(outcome.results[0]).toMatchObject({ outcome: 'ok', exitCode: 0 });
    expect(warnings()).toContain(
      "cannot open destination 'gone' (memory:gone): destination 'gone' (memory:gone) gave no answer within 1s (its stallTimeout); continuing without it (require: any)",
    );
    expect((await readCatalog(plan, registry)).map((e) => e.destinations)).toEqual([['good']]);
  });

  it('fault 11.2: when one fills up and the other hangs, none is left: exit 1 and no manifest anywhere', async () => {
    const { plan, registry, ctx, events, left } = setup({ full: { fault: 'full' }, stuck: { fault: 'hang', extra: ', stallTimeout: 1s' } }, 'any');
    const outcome = await runBackup(ctx, ['db']);
    expect(outcome.results[0]).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(events.find((e) => e.type === 'failed')).toMatchObject({
      message: "backup of db failed: writing to destination 'stuck' failed: it took no data for 1s (its stallTimeout)",
    });
    expect(await readCatalog(plan, registry)).toEqual([]);
    expect(left('full')).toEqual([]);
    expect(left('stuck')).toEqual([]);
  });

  it('require: all — a destination that fills up fails the backup, with nothing left in either', async () => {
    const { plan, registry, ctx, left } = setup({ good: { fault: 'none' }, full: { fault: 'full' } }, 'all');
    const outcome = await runBackup(ctx, ['db']);
    expect(outcome.results[0]).toMatchObject({ outcome: 'failed', exitCode: 1, error: "backup of db failed: writing to destination 'full' failed: no space left on device (ENOSPC)" });
    expect(await readCatalog(plan, registry)).toEqual([]);
    expect(left('good')).toEqual([]);
    expect(left('full')).toEqual([]);
  });
});
