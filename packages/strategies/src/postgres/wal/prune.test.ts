import { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Repository, type ArchivePruneContext, type EngineContext, type Manifest } from '@lifeboat/core';
import { FsStorage } from '@lifeboat/storage';
import type { PostgresConfig } from '../config.js';
import { clusterKey, entryKey, timelineDir } from './archive-layout.js';
import { walPrune } from './prune.js';

const SYSID = '7442512345678901234';
let dir: string;
let storage: FsStorage;
let repository: Repository;
/** Each delete call's keys, in order. */
let deletes: string[][];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wal-prune-'));
  storage = new FsStorage(dir);
  const remove = storage.delete.bind(storage);
  deletes = [];
  storage.delete = async (keys) => {
    deletes.push(keys);
    return remove(keys);
  };
  repository = new Repository('local', storage);
  await put(clusterKey('database'), JSON.stringify({ lifeboat: 'wal-cluster', format: 1, component: 'database', systemIdentifier: SYSID, createdAt: '2026-01-01T00:00:00Z' }));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function put(key: string, text: string): Promise<void> {
  await storage.put(key, Readable.from([Buffer.from(text)]));
}

/** An archived WAL file: its stored object, then its entry. */
async function archived(file: string, opts: { entry?: boolean } = {}): Promise<void> {
  const tl = file.slice(0, 8);
  const name = `${file}.gz`;
  await put(timelineDir('database', SYSID, tl) + name, 'x'.repeat(10));
  if (opts.entry === false) return;
  const kind = file.endsWith('.history') ? 'history' : file.endsWith('.backup') ? 'backup' : 'segment';
  await put(
    entryKey('database', SYSID, tl, file),
    JSON.stringify({ lifeboat: 'wal', format: 1, file, kind, timeline: parseInt(tl, 16), systemIdentifier: SYSID, bytes: 10, sha256: 'a', stored: { name, bytes: 10, sha256: 'b' }, archivedAt: '2026-01-01T00:00:00Z' }),
  );
}

function baseBackup(id: string, startWalFile: string, systemIdentifier = SYSID): Manifest {
  return { id, facts: { baseBackup: { systemIdentifier, startWalFile, stopTime: '2026-01-01T00:00:00Z' } } } as unknown as Manifest;
}

function ctx(kept: Manifest[], opts: { dryRun?: boolean; unknown?: string[] } = {}): ArchivePruneContext<PostgresConfig> {
  return {
    engine: {} as EngineContext,
    component: 'database',
    config: {} as ArchivePruneContext<PostgresConfig>['config'],
    now: new Date('2026-01-02T00:00:00Z'),
    repository,
    kept,
    unknown: opts.unknown ?? [],
    dryRun: opts.dryRun ?? false,
    signal: new AbortController().signal,
  };
}

async function files(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.list(`wal/database/${SYSID}/`)) keys.push(o.key.split('/').slice(-1)[0]!);
  return keys.sort();
}

test('deletes WAL older than the oldest kept base backup on every timeline, entries before their objects and oldest first; .history and newer files stay', async () => {
  for (const f of ['000000010000000000000001', '000000010000000000000002', '000000010000000000000002.00000028.backup', '000000010000000000000003', '000000010000000000000004.00000028.backup', '000000010000000000000004', '000000010000000000000005']) {
    await archived(f);
  }
  await archived('00000002.history');
  await archived('000000020000000000000003');
  // An interrupted push left an object without an entry, older than the cut: debris.
  await archived('000000010000000000000000', { entry: false });

  const report = await walPrune(ctx([baseBackup('B2', '000000010000000000000004'), baseBackup('other-cluster', '000000010000000000000001', '1')]));
  expect(report.removed).toBe(6);
  expect(report.remove).toMatchObject({ files: 6, through: '000000020000000000000003' });
  expect(report.summary).toContain('base backup B2 is the oldest kept and needs WAL from 000000010000000000000004 on');
  expect(await files()).toEqual([
    '000000010000000000000004.00000028.backup.gz',
    '000000010000000000000004.00000028.backup.json',
    '000000010000000000000004.gz',
    '000000010000000000000004.json',
    '000000010000000000000005.gz',
    '000000010000000000000005.json',
    '00000002.history.gz',
    '00000002.history.json',
  ]);
  // Entries went first: no object was deleted while its entry still existed.
  const order = deletes.flat();
  for (const key of order.filter((k) => k.endsWith('.gz') && !k.includes('000000010000000000000000'))) {
    expect(order.indexOf(key.replace(/\.gz$/, '.json'))).toBeLessThan(order.indexOf(key));
  }
});

test('keeps everything with no kept base backup, with a manifest it cannot read, and in a dry run', async () => {
  await archived('000000010000000000000001');
  await archived('000000010000000000000002');
  const before = await files();

  const none = await walPrune(ctx([{ id: 'dump-only', facts: {} } as unknown as Manifest]));
  expect(none.summary).toContain('keeps all 2 WAL file(s)');
  expect(none.summary).toContain('no kept base backup');
  const unknown = await walPrune(ctx([baseBackup('B', '000000010000000000000002')], { unknown: ['20260101T000000Z-abcdef'] }));
  expect(unknown.summary).toContain('the manifest of 20260101T000000Z-abcdef cannot be read');
  const dry = await walPrune(ctx([baseBackup('B', '000000010000000000000002')], { dryRun: true }));
  expect(dry.remove).toMatchObject({ files: 1, through: '000000010000000000000001' });
  expect(dry.summary).toContain('1 WAL file(s) (10 B) up to 000000010000000000000001 would be deleted');
  expect(dry.removed).toBe(0);

  expect(await files()).toEqual(before);
  expect(deletes).toEqual([]);
});
