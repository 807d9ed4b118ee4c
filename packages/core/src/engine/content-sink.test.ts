/**
 * Issue 13: a strategy's sink takes an artifact's content as the copy is
 * proven (a restore to a point lays its base backup out in an empty folder in
 * the same read). What it wrote is undone before the next copy is read and
 * when the restore does not start; a sink that fails stops the restore (every
 * copy would meet a full disk) instead of trying the next copy.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { z } from 'zod';
import type { RunEvent } from '../events.js';
import { parsePlan } from '../plan/load.js';
import type { StorageType } from '../storage.js';
import type { ContentSink, Strategy } from '../strategy.js';
import { MemoryStorage, generated } from '../test/memory-storage.js';
import { runBackup } from './backup.js';
import { Registry } from './registry.js';
import { runRestore } from './restore.js';

const BYTES = 1_500_000;

interface Log {
  calls: string[];
  /** What each opened writable received. */
  received: Buffer[];
  spoolError?: string;
  restored: boolean;
}

function setup(opts: { sinkFails?: boolean; hook?: string } = {}) {
  const stores = new Map<string, MemoryStorage>();
  const memType: StorageType<{ path: string }> = {
    type: 'mem',
    defaultMedium: 'disk',
    config: z.object({ path: z.string() }),
    create: ({ path }) => {
      if (!stores.has(path)) stores.set(path, new MemoryStorage(path));
      return stores.get(path)!;
    },
  };
  const log: Log = { calls: [], received: [], restored: false };
  const sink: ContentSink = {
    artifacts: ['dump'],
    async open(artifact) {
      log.calls.push(`open ${artifact}`);
      const parts: Buffer[] = [];
      const index = log.received.push(Buffer.alloc(0)) - 1;
      return new Writable({
        write(chunk: Buffer, _enc, cb) {
          // The disk fills once half the content is written (after the first piece, however the content is cut).
          if (opts.sinkFails && parts.reduce((n, p) => n + p.length, 0) >= BYTES / 2) return cb(new Error('ENOSPC: no space left on device, write'));
          parts.push(chunk);
          cb();
        },
        final(cb) {
          log.received[index] = Buffer.concat(parts);
          cb();
        },
      });
    },
    async reset() {
      log.calls.push('reset');
    },
  };
  const strategy: Strategy<{ label: string }> = {
    kind: 'dump',
    summary: 'test source',
    config: z.object({ label: z.string() }),
    backup: async (ctx) => {
      await ctx.storeArtifact('dump', generated(BYTES), { format: 'bytes', compress: true });
      await ctx.storeArtifact('notes', generated(1000), { format: 'bytes', compress: false });
      return {};
    },
    sink: async () => sink,
    restore: async (ctx) => {
      log.restored = true;
      expect(ctx.sink).toBe(sink);
      // The sink's artifact has no spool file; the others do.
      await ctx.localFile('dump').then(
        () => (log.spoolError = 'none'),
        (err: Error) => (log.spoolError = err.message),
      );
      const notes = await ctx.localFile('notes');
      await notes.release();
      return { target: 'memory', checks: [{ name: 'bytes', expected: BYTES, actual: log.received.at(-1)!.length, ok: log.received.at(-1)!.length === BYTES }] };
    },
  };
  const registry = new Registry({ strategies: [strategy as Strategy<never>], storage: [memType as StorageType<never>] });
  const planDir = scratchDir('content-sink-');
  const hooks = opts.hook ? `    hooks:\n      beforeRestore: ["${opts.hook}"]\n` : '';
  const plan = parsePlan(
    'version: 1\nname: t\ndestinations:\n  a: { type: mem, path: a }\n  b: { type: mem, path: b }\n' +
      `components:\n  db:\n    type: dump\n    label: x\n    schedule: "0 2 * * *"\n    rpo: 24h\n    rto: 1h\n    destinations: [a, b]\n${hooks}`,
    join(planDir, 'lifeboat.yaml'),
    registry,
  );
  const events: RunEvent[] = [];
  const ctx = { plan, registry, env: { PATH: process.env.PATH }, lockDir: join(plan.dir, 'locks'), toolVersion: 'test', spoolDir: scratchDir('content-sink-spool-'), onEvent: (e: RunEvent) => events.push(e) };
  return { ctx, stores, log, events };
}

const restore = (ctx: Parameters<typeof runRestore>[0]) => runRestore(ctx, { component: 'db' }, { clean: false, yes: false, options: {} });

/** Flips one byte of the stored dump in a destination: its sha256 no longer matches. */
function damage(store: MemoryStorage) {
  const key = [...store.objects.keys()].find((k) => /\/dump/.test(k) && !k.endsWith('.json'))!;
  const bytes = Buffer.from(store.objects.get(key)!);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  store.objects.set(key, bytes);
}

describe('a strategy sink takes content as the copy is proven', () => {
  it('receives the verified content instead of the spool, and the restore owns it', async () => {
    const { ctx, log } = setup();
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    const outcome = await restore(ctx);
    expect(outcome.checks.every((c) => c.ok)).toBe(true);
    expect(log.calls).toEqual(['open dump']);
    expect(log.received[0]!.length).toBe(BYTES);
    expect(log.spoolError).toMatch(/dump of backup .* went to the restore's sink as it was proven; it has no spool file/);
    expect(await readdir(ctx.spoolDir)).toEqual([]);
  });

  it('a damaged copy: what the sink took is reset before the next copy is read into a fresh writable', async () => {
    const { ctx, log, stores, events } = setup();
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    damage(stores.get('a')!);
    const outcome = await restore(ctx);
    expect(outcome.checks.every((c) => c.ok)).toBe(true);
    expect(log.calls).toEqual(['open dump', 'reset', 'open dump']);
    expect(log.received[1]!.length).toBe(BYTES);
    expect(events.some((e) => e.type === 'warning' && /trying the copy in destination 'b'/.test(e.message))).toBe(true);
  });

  it('no usable copy: reset, and the restore never starts', async () => {
    const { ctx, log, stores } = setup();
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    damage(stores.get('a')!);
    damage(stores.get('b')!);
    await expect(restore(ctx)).rejects.toThrow(/no usable copy/);
    expect(log.restored).toBe(false);
    expect(log.calls.filter((c) => c === 'reset').length).toBeGreaterThanOrEqual(2);
    expect(log.calls.at(-1)).toBe('reset');
    // Each copy's spool folder went with it.
    expect(await readdir(ctx.spoolDir)).toEqual([]);
  });

  it('a sink that fails (a full disk) stops the restore at once with its error: the next copy would meet it too', async () => {
    const { ctx, log } = setup({ sinkFails: true });
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    await expect(restore(ctx)).rejects.toThrow(/ENOSPC: no space left on device/);
    expect(log.calls).toEqual(['open dump', 'reset', 'reset']);
    expect(log.restored).toBe(false);
    expect(await readdir(ctx.spoolDir)).toEqual([]);
  });

  it('a beforeRestore hook that fails after the proof: what the sink wrote is reset, the restore never starts', async () => {
    const { ctx, log } = setup({ hook: 'exit 3' });
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    await expect(restore(ctx)).rejects.toThrow(/beforeRestore/);
    expect(log.calls).toEqual(['open dump', 'reset']);
    expect(log.restored).toBe(false);
    // The proven copy's spool folder too (lifeboat-restore-*), though the proof had passed.
    expect(await readdir(ctx.spoolDir)).toEqual([]);
  });
});
