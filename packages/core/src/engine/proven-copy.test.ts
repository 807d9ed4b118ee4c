/**
 * Issue 16: a restore from a store on this host's filesystem proves an
 * artifact stored as its content (no age, no gzip) through one open
 * descriptor and reads that same descriptor, instead of copying it to a spool
 * first — and still refuses bytes that were not the ones hashed.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { z } from 'zod';
import type { RunEvent } from '../events.js';
import { parsePlan } from '../plan/load.js';
import type { StorageType } from '../storage.js';
import type { LocalFile, RestoreContext, Strategy } from '../strategy.js';
import { MemoryStorage, generated } from '../test/memory-storage.js';
import { runBackup } from './backup.js';
import { Registry } from './registry.js';
import { runRestore } from './restore.js';

/** A memory store whose objects can also be opened as files on this disk, like the fs adapter's. */
class LocalFiles extends MemoryStorage {
  readonly dir = scratchDir('proven-copy-store-');
  readonly files = new Map<string, string>();
  async openFile(key: string) {
    let file = this.files.get(key);
    if (!file) {
      file = join(this.dir, key.replaceAll('/', '_'));
      await writeFile(file, this.objects.get(key)!, { mode: 0o600 });
      this.files.set(key, file);
    }
    return open(file, 'r');
  }
}

/** Reads a path whole. */
const contentOf = async (path: string) => {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

function setup(compress: boolean, duringRestore: (ctx: RestoreContext<unknown>, local: LocalFile, store: LocalFiles) => Promise<void> = async () => {}) {
  const stores = new Map<string, LocalFiles>();
  const localType: StorageType<{ path: string }> = {
    type: 'local',
    defaultMedium: 'disk',
    config: z.object({ path: z.string() }),
    create: ({ path }) => {
      if (!stores.has(path)) stores.set(path, new LocalFiles(path));
      return stores.get(path)!;
    },
  };
  const seen: { path?: string; content?: Buffer } = {};
  const strategy: Strategy<{ label: string }> = {
    kind: 'dump',
    summary: 'test source',
    config: z.object({ label: z.string() }),
    backup: async (ctx) => {
      await ctx.storeArtifact('dump', generated(2_000_000), { format: 'bytes', compress });
      return {};
    },
    restore: async (ctx) => {
      const local = await ctx.localFile('dump');
      try {
        seen.path = local.path;
        // What a child process (pg_restore) does: opens the path by name.
        seen.content = await contentOf(local.path);
        await duringRestore(ctx, local, stores.get('a')!);
        await local.unchanged();
      } finally {
        await local.release();
      }
      return { target: 'memory', checks: [{ name: 'bytes', expected: 2_000_000, actual: seen.content.length, ok: seen.content.length === 2_000_000 }] };
    },
  };
  const registry = new Registry({ strategies: [strategy as Strategy<never>], storage: [localType as StorageType<never>] });
  const planDir = scratchDir('proven-copy-');
  const plan = parsePlan(
    'version: 1\nname: t\ndestinations:\n  a: { type: local, path: a }\n' +
      'components:\n  db:\n    type: dump\n    label: x\n    schedule: "0 2 * * *"\n    rpo: 24h\n    rto: 1h\n    destinations: [a]\n',
    join(planDir, 'lifeboat.yaml'),
    registry,
  );
  const spoolDir = scratchDir('proven-copy-spool-');
  const events: RunEvent[] = [];
  const ctx = { plan, registry, env: { PATH: process.env.PATH }, lockDir: join(plan.dir, 'locks'), toolVersion: 'test', spoolDir, onEvent: (e: RunEvent) => events.push(e) };
  return { ctx, stores, seen, spoolDir };
}

const restore = (ctx: Parameters<typeof runRestore>[0]) => runRestore(ctx, { component: 'db' }, { clean: false, yes: false, options: {} });
const spoolFiles = async (spoolDir: string) => (await Promise.all((await readdir(spoolDir)).map((d) => readdir(join(spoolDir, d))))).flat();

describe.runIf(process.platform === 'linux')('restore: an artifact stored as its content in a local store is read in place', () => {
  it('is hashed and handed over through its open descriptor: no spool copy, the same bytes', async () => {
    let spooledDuring: string[] = [];
    const { ctx, stores, seen, spoolDir } = setup(false, async () => {
      spooledDuring = await spoolFiles(spoolDir);
    });
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    const outcome = await restore(ctx);
    expect(outcome.checks.every((c) => c.ok)).toBe(true);
    expect(seen.path).toMatch(new RegExp(`^/proc/${process.pid}/fd/\\d+$`));
    const [stored] = stores.get('a')!.files.values();
    expect(seen.content!.equals(await readFile(stored!))).toBe(true);
    expect(spooledDuring).toEqual([]);
  });

  it('a stored file replaced after it was proven does not reach the restore (it reads the inode that was hashed), and the change fails it', async () => {
    const { ctx, seen } = setup(false, async (_ctx, local, store) => {
      const [file] = store.files.values();
      expect(file, 'the stored file was opened in place').toBeDefined();
      const before = await contentOf(local.path);
      // What a careless tool does: a new file, renamed over the old name.
      await writeFile(`${file}.new`, Buffer.alloc(2_000_000, 1));
      await rename(`${file}.new`, file!);
      seen.content = await contentOf(local.path);
      expect(seen.content.equals(before)).toBe(true);
    });
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    await expect(restore(ctx)).rejects.toThrow(/dump in destination 'a' .* was written to, replaced or removed after it was verified/);
    expect(seen.content!.equals(Buffer.alloc(2_000_000, 1))).toBe(false);
  });

  it('a stored file written in place after it was proven fails the restore before its result is used', async () => {
    const { ctx } = setup(false, async (_ctx, _local, store) => {
      const [file] = store.files.values();
      expect(file, 'the stored file was opened in place').toBeDefined();
      // Even the same byte written back: the bytes read may not be the ones hashed.
      const handle = await open(file!, 'r+');
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, 1000);
      await handle.write(byte, 0, 1, 1000);
      await handle.close();
    });
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    await expect(restore(ctx)).rejects.toThrow(/dump in destination 'a' .* was written to, replaced or removed after it was verified.*may not be what was proven/);
  });

  it('an artifact Lifeboat compressed is still proven into the spool, as content', async () => {
    const { ctx, seen, spoolDir } = setup(true);
    expect((await runBackup(ctx, ['db'])).exitCode).toBe(0);
    const outcome = await restore(ctx);
    expect(outcome.checks.every((c) => c.ok)).toBe(true);
    expect(seen.path!.startsWith(spoolDir)).toBe(true);
  });
});
