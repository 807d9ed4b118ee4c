import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../test/memory-storage.js';
import { idTime, isId, newId } from './ids.js';
import { MANIFEST_FORMAT, type Manifest } from './manifest.js';
import { Repository } from './repository.js';

const manifest = (id: string, component = 'database'): Manifest => ({
  format: MANIFEST_FORMAT,
  id,
  component,
  kind: 'postgres',
  plan: { name: 'p', componentHash: 'h' },
  startedAt: '2026-02-14T02:00:00.000Z',
  finishedAt: '2026-02-14T02:01:00.000Z',
  tool: { name: 'lifeboat', version: '0.1.0' },
  destinations: ['local'],
  artifacts: [{ name: 'database.dump', bytes: 3, sha256: 'a'.repeat(64), compression: 'none', format: 'x' }],
  facts: {},
});

describe('backup ids', () => {
  it('sort by time as strings and carry their time', () => {
    const early = newId(new Date('2026-02-14T02:00:00Z'));
    const late = newId(new Date('2026-02-14T02:00:01Z'));
    expect(early < late).toBe(true);
    expect(isId(early)).toBe(true);
    expect(idTime(early)?.toISOString()).toBe('2026-02-14T02:00:00.000Z');
    expect(early).toMatch(/^20260214T020000Z-[0-9a-f]{6}$/);
    expect(isId('20260214T020000Z')).toBe(false);
  });
});

describe('Repository', () => {
  it('lays backups out by component/yyyy/mm/id and lists only those with a manifest', async () => {
    const repo = new Repository('local', new MemoryStorage());
    const id = '20260214T020000Z-abcdef';
    expect(repo.artifactKey('database', id, 'database.dump')).toBe('database/2026/02/20260214T020000Z-abcdef/database.dump');
    await repo.adapter.put(repo.artifactKey('database', id, 'database.dump'), Readable.from([Buffer.from('abc')]));
    expect(await repo.manifests('database')).toEqual([]);
    await repo.writeManifest(manifest(id));
    const found = await repo.manifests('database');
    expect(found.map((f) => f.manifest.id)).toEqual([id]);
  });

  it('reports a damaged manifest instead of taking it for a backup', async () => {
    const repo = new Repository('local', new MemoryStorage());
    await repo.adapter.put('database/2026/02/20260214T020000Z-abcdef/manifest.json', Readable.from([Buffer.from('{"format":1')]));
    const damaged: string[] = [];
    expect(await repo.manifests(undefined, (key) => damaged.push(key))).toEqual([]);
    expect(damaged).toEqual(['database/2026/02/20260214T020000Z-abcdef/manifest.json']);
  });

  it('creates its marker once and refuses to mix two plans in one place', async () => {
    const storage = new MemoryStorage();
    const repo = new Repository('local', storage);
    await repo.ensureMarker('civicq', new Date());
    await repo.ensureMarker('civicq', new Date());
    expect((await repo.readMarker())?.plan).toBe('civicq');
    await expect(new Repository('local', storage).ensureMarker('other', new Date())).rejects.toThrow(
      "destination 'local' (memory:memory) already holds the repository of plan 'civicq', not 'other'",
    );
  });

  it('removes a backup manifest first, then its artifacts', async () => {
    const storage = new MemoryStorage();
    const repo = new Repository('local', storage);
    const id = '20260214T020000Z-abcdef';
    await repo.adapter.put(repo.artifactKey('database', id, 'database.dump'), Readable.from([Buffer.from('abc')]));
    await repo.writeManifest(manifest(id));
    await repo.removeBackup('database', id);
    expect(storage.sizes.size).toBe(0);
  });
});
