import { Readable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
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
  const { state, strategy: text } = textSource();
  const hooks: { during?: (signal: AbortSignal) => Promise<void> } = {};
  const strategy: Strategy<{ label: string }> = {
    ...text,
    backup: async (ctx) => {
      await hooks.during?.(ctx.signal);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      return text.backup(ctx);
    },
  };
  const registry = new Registry({ strategies: [strategy as Strategy<never>], storage: [memoryType as StorageType<never>] });
  const plan = parsePlan(
    'version: 1\nname: t\ndestinations:\n  a: { type: memory, path: a }\n  b: { type: memory, path: b }\ncomponents:\n  notes:\n    type: text\n    label: x\n    schedule: on-change\n    rpo: 0\n    rto: 1h\n    destinations: [a, b]\n',
    join(scratchDir('engine-'), 'lifeboat.yaml'),
    registry,
  );
  const events: RunEvent[] = [];
  const ctx = { plan, registry, env: {}, lockTiming: { refreshMs: 20 }, lockDir: join(plan.dir, 'locks'), toolVersion: 'test', onEvent: (e: RunEvent) => events.push(e) };
  return { state, registry, plan, ctx, events, stores, hooks };
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

describe('runBackup and the repository lock', () => {
  const foreignLock = (expiresAt: string) =>
    Buffer.from(
      JSON.stringify({ lifeboat: 'lock', plan: 't', component: 'notes', operation: 'backup', owner: 'ops@db-2', host: 'db-2', pid: 4242, token: 'other', acquiredAt: '2026-11-26T01:50:00Z', refreshedAt: '2026-11-26T01:55:00Z', expiresAt }),
    );

  it('holds the lock in every destination while it writes, and removes it after', async () => {
    const { ctx, stores, hooks, plan, registry } = setup();
    let seen: string[] = [];
    hooks.during = async () => {
      seen = [...stores.values()].filter((s) => s.objects.has('locks/notes.json')).map((s) => s.description);
    };
    expect((await runBackup(ctx, ['notes'])).exitCode).toBe(0);
    expect(seen).toEqual(['memory:a', 'memory:b']);
    expect([...stores.values()].some((s) => s.objects.has('locks/notes.json'))).toBe(false);
    expect(await readCatalog(plan, registry)).toHaveLength(1);
  });

  it('exits 75 when another host holds the lock in one destination, and writes nothing anywhere', async () => {
    const { ctx, stores, events, plan, registry } = setup();
    registry.repository(plan, 'a');
    registry.repository(plan, 'b');
    await stores.get('b')!.putIf('locks/notes.json', foreignLock('2099-01-01T00:00:00Z'), { ifAbsent: true });
    const outcome = await runBackup(ctx, ['notes']);
    expect(outcome.exitCode).toBe(75);
    expect(outcome.results[0]).toMatchObject({ outcome: 'locked', exitCode: 75 });
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ exitCode: 75, message: expect.stringContaining('is locked for notes by backup on ops@db-2 (pid 4242)') });
    expect(await readCatalog(plan, registry)).toEqual([]);
    expect(stores.get('a')!.objects.has('locks/notes.json')).toBe(false); // its own lock in a was released
    expect(JSON.parse(stores.get('b')!.objects.get('locks/notes.json')!.toString()).token).toBe('other');
  });

  it('stops without committing when its lock is taken over mid-run', async () => {
    const { ctx, stores, hooks, plan, registry } = setup();
    hooks.during = async (signal) => {
      const b = stores.get('b')!;
      await b.putIf('locks/notes.json', foreignLock('2099-01-01T00:00:00Z'), { ifVersion: b.versions.get('locks/notes.json')! });
      // The next refresh (every 20 ms here) finds the lock gone from under it and aborts the run's signal.
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    };
    const outcome = await runBackup(ctx, ['notes']);
    expect(outcome.results[0]).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(outcome.results[0]!.error).toBe(
      "backup of notes failed: lost the lock locks/notes.json in destination 'b' (memory:b): another run took it over or removed it",
    );
    expect(await readCatalog(plan, registry)).toEqual([]);
    expect([...stores.get('a')!.objects.keys()].filter((k) => k.startsWith('notes/'))).toEqual([]);
    expect(JSON.parse(stores.get('b')!.objects.get('locks/notes.json')!.toString()).token).toBe('other');
  });
});

describe('runBackup and its views', () => {
  it('commits even when a view throws on every event, and journals who ran it where', async () => {
    const { ctx, plan, registry } = setup();
    const outcome = await runBackup(
      {
        ...ctx,
        identity: { user: 'ops', host: 'db-1' },
        onEvent: () => {
          throw new Error('the terminal went away');
        },
      },
      ['notes'],
    );
    expect(outcome.results[0]).toMatchObject({ outcome: 'ok', exitCode: 0 });
    expect(await readCatalog(plan, registry)).toHaveLength(1);
    expect(await readJournal(plan, registry)).toEqual([expect.objectContaining({ operation: 'backup', user: 'ops', host: 'db-1', exitCode: 0 })]);
  });
});
