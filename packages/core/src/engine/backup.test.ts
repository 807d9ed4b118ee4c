import { Readable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunEvent } from '../events.js';
import { readJournal } from '../journal/journal.js';
import { parsePlan } from '../plan/load.js';
import type { StorageType } from '../storage.js';
import type { Strategy } from '../strategy.js';
import { MemoryStorage } from '../test/memory-storage.js';
import { runBackup } from './backup.js';
import { readCatalog } from './catalog.js';
import { Registry } from './registry.js';

/** A source whose content the test sets; on-change like the files strategy. */
function textSource() {
  const state = { text: 'v1' };
  const strategy: Strategy<{ label: string }> = {
    kind: 'text',
    summary: 'test source',
    config: z.object({ label: z.string() }),
    backup: async (ctx) => {
      if (ctx.previous?.facts.text === state.text) return ctx.unchanged(`text is still ${state.text}`);
      await ctx.storeArtifact('text', Readable.from([Buffer.from(state.text)]), { format: 'text', compress: false });
      return { text: state.text };
    },
    restore: async () => ({ target: 'nowhere', checks: [] }),
  };
  return { state, strategy };
}

function setup() {
  const stores = new Map<string, MemoryStorage>();
  const memoryType: StorageType<{ path: string }> = {
    type: 'memory',
    defaultMedium: 'disk',
    config: z.object({ path: z.string() }),
    create: (config) => {
      if (!stores.has(config.path)) stores.set(config.path, new MemoryStorage(config.path));
      return stores.get(config.path)!;
    },
  };
  const { state, strategy } = textSource();
  const registry = new Registry({ strategies: [strategy as Strategy<never>], storage: [memoryType as StorageType<never>] });
  const plan = parsePlan(
    'version: 1\nname: t\ndestinations:\n  a: { type: memory, path: a }\n  b: { type: memory, path: b }\ncomponents:\n  notes:\n    type: text\n    label: x\n    schedule: on-change\n    rpo: 0\n    rto: 1h\n    destinations: [a, b]\n',
    join(mkdtempSync(join(tmpdir(), 'engine-')), 'lifeboat.yaml'),
    registry,
  );
  const events: RunEvent[] = [];
  const ctx = { plan, registry, env: {}, lockDir: join(plan.dir, 'locks'), toolVersion: 'test', onEvent: (e: RunEvent) => events.push(e) };
  return { state, registry, plan, ctx, events };
}

describe('runBackup', () => {
  it('commits to every destination, then skips an unchanged source and journals both runs', async () => {
    const { state, registry, plan, ctx, events } = setup();
    expect((await runBackup(ctx, ['notes'])).results[0]).toMatchObject({ outcome: 'ok', exitCode: 0 });
    const second = await runBackup(ctx, ['notes']);
    expect(second.results[0]).toMatchObject({ outcome: 'unchanged', exitCode: 0 });
    expect(events.filter((e) => e.type === 'unchanged')).toEqual([
      { type: 'unchanged', component: 'notes', reason: 'text is still v1', previousId: second.results[0]!.backupId },
    ]);
    expect(await readCatalog(plan, registry)).toHaveLength(1);

    state.text = 'v2';
    expect((await runBackup(ctx, ['notes'])).results[0]!.outcome).toBe('ok');
    const catalog = await readCatalog(plan, registry);
    expect(catalog.map((e) => e.manifest.facts.text)).toEqual(['v1', 'v2']);
    expect(catalog.every((e) => e.destinations.join() === 'a,b')).toBe(true);

    const journal = await readJournal(plan, registry);
    expect(journal.map((r) => r.components[0]!.outcome)).toEqual(['ok', 'unchanged', 'ok']);
    expect(journal[1]).toMatchObject({ operation: 'backup', plan: 't', exitCode: 0, toolVersion: 'test' });
  });
});
