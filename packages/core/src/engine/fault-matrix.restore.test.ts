/**
 * Issue 11 at the engine: a restore proves a copy before it changes anything,
 * and a copy whose read stops delivering is an unusable copy, not a wait
 * forever (items 1 and 3, "every wait has a deadline").
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { z } from 'zod';
import type { RunEvent } from '../events.js';
import { parsePlan } from '../plan/load.js';
import type { StorageType } from '../storage.js';
import type { Strategy } from '../strategy.js';
import { MemoryStorage, generated } from '../test/memory-storage.js';
import { runBackup } from './backup.js';
import { Registry } from './registry.js';
import { runRestore } from './restore.js';

/** Reads that deliver a little and then nothing, once `stalled` is set. */
class StallingReads extends MemoryStorage {
  stalled = false;
  override async get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    if (!this.stalled || !/\/dump(\.gz)?$/.test(key)) return super.get(key, range);
    // The first kilobyte of the real bytes, and then nothing again: a hung socket.
    const head = this.objects.get(key)!.subarray(0, 1000);
    let sent = false;
    return new Readable({
      read() {
        if (!sent) this.push(head);
        sent = true;
      },
    });
  }
}

function setup() {
  const stores = new Map<string, StallingReads>();
  const memoryType: StorageType<{ path: string }> = {
    type: 'memory',
    defaultMedium: 'disk',
    config: z.object({ path: z.string() }),
    create: ({ path }) => {
      if (!stores.has(path)) stores.set(path, new StallingReads(path));
      return stores.get(path)!;
    },
  };
  const restored: string[] = [];
  const strategy: Strategy<{ label: string }> = {
    kind: 'dump',
    summary: 'test source',
    config: z.object({ label: z.string() }),
    backup: async (ctx) => {
      await ctx.storeArtifact('dump', generated(3_000_000), { format: 'bytes', compress: true });
      return {};
    },
    restore: async (ctx) => {
      let bytes = 0;
      for await (const chunk of await ctx.open('dump')) bytes += (chunk as Buffer).length;
      restored.push(`${bytes} bytes`);
      return { target: 'memory', checks: [{ name: 'bytes', expected: 3_000_000, actual: bytes, ok: bytes === 3_000_000 }] };
    },
  };
  const registry = new Registry({ strategies: [strategy as Strategy<never>], storage: [memoryType as StorageType<never>] });
  const plan = parsePlan(
    'version: 1\nname: t\ndestinations:\n  a: { type: memory, path: a, stallTimeout: 1s }\n  b: { type: memory, path: b }\n' +
      'components:\n  db:\n    type: dump\n    label: x\n    schedule: "0 2 * * *"\n    rpo: 24h\n    rto: 1h\n    destinations: [a, b]\n    hooks:\n      beforeRestore: ["touch hook-ran"]\n',
    join(scratchDir('engine-restore-'), 'lifeboat.yaml'),
    registry,
  );
  const events: RunEvent[] = [];
  const ctx = { plan, registry, env: { PATH: process.env.PATH }, lockDir: join(plan.dir, 'locks'), toolVersion: 'test', onEvent: (e: RunEvent) => events.push(e) };
  return { ctx, stores, events, restored };
}

describe('restore: proving a copy has deadlines', () => {
  it('fault 11.3: a copy whose read stops delivering is given up on after its stallTimeout, and the next copy is restored', async () => {
    const { ctx, stores, events, restored } = setup();
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    stores.get('a')!.stalled = true;
    const outcome = await runRestore(ctx, { component: 'db' }, { clean: false, yes: false, options: {} });
    expect(outcome.checks.every((c) => c.ok)).toBe(true);
    expect(restored).toEqual(['3000000 bytes']);
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings, JSON.stringify(warnings)).toSatisfy((ws: string[]) => ws.some((w) => /dump(\.gz)? in destination 'a'.*no data for 1s.*trying the copy in destination 'b'/.test(w)));
  });

  it('fault 11.1: no usable copy at all: the run fails before the beforeRestore hook, saying nothing was changed', async () => {
    const { ctx, stores, restored } = setup();
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    for (const store of stores.values()) for (const key of store.objects.keys()) if (/\/dump(\.gz)?$/.test(key)) store.objects.delete(key);
    await expect(runRestore(ctx, { component: 'db' }, { clean: false, yes: false, options: {} })).rejects.toThrow(/no usable copy of backup .*Nothing was changed/);
    expect(restored).toEqual([]);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(ctx.plan.dir, 'hook-ran'))).toBe(false);
  });
});
