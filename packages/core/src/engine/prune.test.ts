import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { z } from 'zod';
import { PlanError } from '../errors.js';
import type { RunEvent } from '../events.js';
import { readJournal } from '../journal/journal.js';
import { parsePlan } from '../plan/load.js';
import { pinBackup, unpinBackup } from './pin.js';
import type { ByteRange, PutOptions, StorageAdapter, StorageType, StoredObject, VersionedObject, WriteCondition } from '../storage.js';
import type { Strategy } from '../strategy.js';
import { MemoryStorage } from '../test/memory-storage.js';
import { runBackup } from './backup.js';
import { readCatalog } from './catalog.js';
import type { EngineContext } from './context.js';
import { autoPrune, runPrune } from './prune.js';
import { registerReader } from './repository-lock.js';
import { Registry } from './registry.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * MemoryStorage whose objects carry the time they were written by the test's
 * clock (as the fs adapter's mtime does), and whose deletes can be made to fail.
 */
class ClockedStorage implements StorageAdapter {
  readonly inner: MemoryStorage;
  readonly description: string;
  readonly times = new Map<string, Date>();
  failDelete?: (keys: string[]) => boolean;
  constructor(
    name: string,
    private readonly clock: () => Date,
  ) {
    this.inner = new MemoryStorage(name);
    this.description = this.inner.description;
  }
  async put(key: string, body: Readable, opts?: PutOptions): Promise<StoredObject> {
    const stored = await this.inner.put(key, body, opts);
    this.times.set(key, this.clock());
    return { ...stored, modifiedAt: this.clock() };
  }
  get(key: string, range?: ByteRange): Promise<Readable> {
    return this.inner.get(key, range);
  }
  async head(key: string): Promise<StoredObject | undefined> {
    const found = await this.inner.head(key);
    return found && { ...found, modifiedAt: this.times.get(key) ?? found.modifiedAt };
  }
  async *list(prefix: string): AsyncIterable<StoredObject> {
    for await (const object of this.inner.list(prefix)) yield { ...object, modifiedAt: this.times.get(object.key) ?? object.modifiedAt };
  }
  async delete(keys: string[]): Promise<void> {
    if (this.failDelete?.(keys)) throw new Error('connection reset by peer');
    await this.inner.delete(keys);
  }
  putIf(key: string, bytes: Uint8Array, condition: WriteCondition): Promise<string | undefined> {
    return this.inner.putIf(key, bytes, condition);
  }
  getVersioned(key: string): Promise<VersionedObject | undefined> {
    return this.inner.getVersioned(key);
  }
  keys(): string[] {
    return [...this.inner.sizes.keys()].filter((k) => !k.startsWith('runs/') && !k.startsWith('locks/') && k !== 'lifeboat.json').sort();
  }
}

const noteSource: Strategy<{ label: string }> = {
  kind: 'text',
  summary: 'test source',
  config: z.object({ label: z.string() }),
  backup: async (ctx) => {
    await ctx.storeArtifact('text', Readable.from([Buffer.from('notes')]), { format: 'text', compress: false });
    return {};
  },
  restore: async () => ({ target: 'nowhere', checks: [] }),
};

function setup(extra: { retention?: string; top?: string; prune?: 'auto' | 'manual' } = {}) {
  const clock = { now: new Date('2026-01-01T02:00:00Z') };
  const stores = new Map<string, ClockedStorage>();
  const memoryType: StorageType<{ path: string }> = {
    type: 'memory',
    defaultMedium: 'disk',
    config: z.object({ path: z.string() }),
    create: (config) => {
      if (!stores.has(config.path)) stores.set(config.path, new ClockedStorage(config.path, () => clock.now));
      return stores.get(config.path)!;
    },
  };
  const registry = new Registry({ strategies: [noteSource as Strategy<never>], storage: [memoryType as StorageType<never>] });
  const dir = scratchDir('prune-');
  const plan = parsePlan(
    `version: 1
name: t
destinations:
  a: { type: memory, path: a }
  b: { type: memory, path: b }
${extra.top ?? ''}components:
  notes:
    type: text
    label: x
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 1h
    destinations: [a, b]
${extra.prune ? `    prune: ${extra.prune}\n` : ''}    retention:
${extra.retention ?? '      a: { within: 3d }\n      b: { keepLast: 2 }\n'}`,
    join(dir, 'lifeboat.yaml'),
    registry,
  );
  const events: RunEvent[] = [];
  const ctx: EngineContext = { plan, registry, env: {}, lockDir: join(dir, 'locks'), toolVersion: 'test', onEvent: (e) => events.push(e), now: () => clock.now };
  const store = (name: 'a' | 'b') => {
    registry.repository(plan, name); // creates it
    return stores.get(name)!;
  };
  /** One backup a day at 02:00 from the clock's day on; returns their ids. */
  const backupDaily = async (days: number) => {
    const ids: string[] = [];
    for (let i = 0; i < days; i++) {
      const outcome = await runBackup(ctx, ['notes']);
      expect(outcome.exitCode).toBe(0);
      ids.push(outcome.results[0]!.backupId!);
      clock.now = new Date(clock.now.getTime() + DAY);
    }
    clock.now = new Date(clock.now.getTime() - DAY + 10 * HOUR); // noon on the last backup's day
    return ids;
  };
  const catalogIn = async (destination: string) =>
    (await readCatalog(plan, registry, { component: 'notes' })).filter((e) => e.destinations.includes(destination)).map((e) => e.id);
  return { clock, registry, plan, ctx, events, store, backupDaily, catalogIn, dir };
}

const decisions = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === 'retention' ? [`${e.destination} ${e.decision} ${e.backupId.slice(0, 16)}: ${e.reasons.join('; ')}`] : []));

describe('runPrune', () => {
  it('applies each destination its own policy, explains every decision, and journals the deletions', async () => {
    const { ctx, events, backupDaily, catalogIn, registry, plan } = setup();
    const ids = await backupDaily(6); // 2026-01-01 … 2026-01-06, now 2026-01-06T12:00Z
    events.length = 0;

    const outcome = await runPrune(ctx, ['notes'], { dryRun: false });
    expect(outcome.exitCode).toBe(0);
    expect(decisions(events)).toEqual([
      'a keep 20260104T020000Z: within 3d',
      'a keep 20260105T020000Z: within 3d',
      'a keep 20260106T020000Z: newest (minimum 1); within 3d',
      'a delete 20260101T020000Z: older than 3d and not kept by any rule',
      'a delete 20260102T020000Z: older than 3d and not kept by any rule',
      'a delete 20260103T020000Z: older than 3d and not kept by any rule',
      'b keep 20260105T020000Z: keepLast #2',
      'b keep 20260106T020000Z: newest (minimum 1); keepLast #1',
      'b delete 20260101T020000Z: not kept by keepLast 2',
      'b delete 20260102T020000Z: not kept by keepLast 2',
      'b delete 20260103T020000Z: not kept by keepLast 2',
      'b delete 20260104T020000Z: not kept by keepLast 2',
    ]);
    expect(await catalogIn('a')).toEqual(ids.slice(3));
    expect(await catalogIn('b')).toEqual(ids.slice(4));

    const record = (await readJournal(plan, registry)).find((r) => r.operation === 'prune')!;
    expect(record).toMatchObject({ exitCode: 0, components: [{ component: 'notes', outcome: 'ok', details: { kept: 5, deleted: 7, debrisRemoved: 0 } }] });
    expect((record.components[0]!.details as { destinations: Record<string, { deleted: unknown[] }> }).destinations['a']!.deleted).toEqual([
      { id: ids[0], reason: 'older than 3d and not kept by any rule' },
      { id: ids[1], reason: 'older than 3d and not kept by any rule' },
      { id: ids[2], reason: 'older than 3d and not kept by any rule' },
    ]);

    // Deciding again with the same clock deletes nothing more.
    events.length = 0;
    const again = await runPrune(ctx, ['notes'], { dryRun: false });
    expect(again.results[0]!.destinations.flatMap((d) => d.delete)).toEqual([]);
  });

  it('--dry-run decides and says so, but deletes nothing, takes no lock and writes no journal', async () => {
    const { ctx, events, backupDaily, store, registry, plan } = setup();
    await backupDaily(6);
    const before = [store('a').keys(), store('b').keys()];
    const journalBefore = (await readJournal(plan, registry)).length;
    events.length = 0;

    const outcome = await runPrune(ctx, ['notes'], { dryRun: true });
    expect(outcome).toMatchObject({ exitCode: 0, dryRun: true });
    expect(events.filter((e) => e.type === 'retention' && e.decision === 'delete')).toHaveLength(7);
    expect(events.every((e) => e.type !== 'retention' || e.dryRun)).toBe(true);
    expect(events).toContainEqual({ type: 'step', component: 'notes', message: 'dry run: nothing was deleted (7 backups and 0 debris folders would be)' });
    expect([store('a').keys(), store('b').keys()]).toEqual(before);
    expect((await readJournal(plan, registry)).length).toBe(journalBefore);
  });

  it('a destination with no policy keeps every backup', async () => {
    const { ctx, events, backupDaily } = setup({ retention: '      a: { keepLast: 1 }\n' });
    await backupDaily(3);
    events.length = 0;
    const outcome = await runPrune(ctx, ['notes'], { dryRun: false });
    const b = outcome.results[0]!.destinations.find((d) => d.destination === 'b')!;
    expect(b).toMatchObject({ delete: [], debris: [] });
    expect(b.keep.map((k) => k.reasons)).toEqual(Array(3).fill(['no retention policy for b: it keeps every backup']));
    expect(b).not.toHaveProperty('policy');
  });

  it('keeps held and pinned backups whatever the policy says; an unpinned backup goes at the next prune', async () => {
    const { ctx, events, backupDaily, catalogIn } = setup({
      retention: '      a: { keepLast: 1 }\n      b: { keepLast: 1 }\n',
      top: 'legalHolds:\n  - { component: notes, from: 2026-01-02, to: 2026-01-02, until: 2028-09-03, reason: election + 22 months }\n',
    });
    const ids = await backupDaily(5);
    await pinBackup(ctx, 'notes', ids[3]!, 'before the schema migration');
    events.length = 0;

    await runPrune(ctx, ['notes'], { dryRun: false });
    expect(decisions(events).filter((d) => d.startsWith('a keep'))).toEqual([
      'a keep 20260102T020000Z: legal hold until 2028-09-03: election + 22 months',
      'a keep 20260104T020000Z: pinned: before the schema migration',
      'a keep 20260105T020000Z: newest (minimum 1); keepLast #1',
    ]);
    expect(await catalogIn('b')).toEqual([ids[1], ids[3], ids[4]]);

    expect((await unpinBackup(ctx, 'notes', ids[3]!)).destinations).toEqual(['a', 'b']);
    await runPrune(ctx, ['notes'], { dryRun: false });
    expect(await catalogIn('a')).toEqual([ids[1], ids[4]]);
  });

  it('pin warns that a lifecycle rule deletes the backup whatever the pin says, naming who deletes it', async () => {
    const { ctx, backupDaily } = setup({ top: 'lifecycle:\n  a: { scope: artifacts, expireDays: 400 }\n' });
    const [id] = await backupDaily(1);
    // No registered type here has lifecycle rules (s3 names S3: see lifecycle-capability.test.ts).
    expect((await pinBackup(ctx, 'notes', id!, 'audit')).warnings).toEqual([
      'lifecycle.a deletes objects in a after 400 days whatever a pin says: the rule will delete this backup there around 2027-02-05',
    ]);
  });

  it('pin refuses a backup that does not exist, and writes pin.json beside the manifest, never into it', async () => {
    const { ctx, backupDaily, store } = setup();
    const [id] = await backupDaily(1);
    await expect(pinBackup(ctx, 'notes', '20250101T000000Z-abcdef', 'x')).rejects.toThrow(
      'no complete backup 20250101T000000Z-abcdef of notes in any destination; lifeboat list notes shows them',
    );
    await expect(pinBackup(ctx, 'notes', id!, '  ')).rejects.toThrow(/a pin needs a reason/);
    const manifestKey = `notes/2026/01/${id}/manifest.json`;
    const manifest = store('a').inner.objects.get(manifestKey)!.toString();
    await pinBackup(ctx, 'notes', id!, 'investigation #42');
    expect(store('a').inner.objects.get(manifestKey)!.toString()).toBe(manifest);
    expect(JSON.parse(store('b').inner.objects.get(`notes/2026/01/${id}/pin.json`)!.toString())).toMatchObject({
      lifeboat: 'pin',
      component: 'notes',
      backupId: id,
      reason: 'investigation #42',
    });
  });

  it('removes debris older than a day, leaves younger folders and damaged manifests alone', async () => {
    const { ctx, events, clock, backupDaily, store } = setup({ retention: '      a: { keepLast: 5 }\n' });
    await backupDaily(2);
    const a = store('a');
    const put = (key: string) => a.put(key, Readable.from([Buffer.from('x')]));
    clock.now = new Date('2026-01-01T05:00:00Z');
    await put('notes/2026/01/20260101T050000Z-aaaaaa/text');
    await put('notes/2026/01/20260101T050000Z-aaaaaa/pin.json');
    clock.now = new Date('2026-01-02T11:00:00Z');
    await put('notes/2026/01/20260102T110000Z-bbbbbb/text');
    await put('notes/2026/01/20260102T120000Z-cccccc/manifest.json'); // not a manifest at all
    await put('notes/2026/01/not-an-id/text'); // not Lifeboat's layout: not ours to judge
    clock.now = new Date('2026-01-02T12:00:00Z');
    events.length = 0;

    const outcome = await runPrune(ctx, ['notes'], { dryRun: false });
    const result = outcome.results[0]!.destinations.find((d) => d.destination === 'a')!;
    expect(result.debris).toEqual([
      expect.objectContaining({
        prefix: 'notes/2026/01/20260101T050000Z-aaaaaa/',
        objects: 2,
        removed: true,
        reason: 'no manifest (an interrupted backup or prune), last written 1d 7h ago: 2 objects that no command treats as a backup',
      }),
    ]);
    expect(result.left.map((l) => [l.prefix, l.reason.replace(/\(.*\)/, '(…)')])).toEqual([
      ['notes/2026/01/20260102T120000Z-cccccc/', 'its manifest cannot be read (…); left for lifeboat verify to report, neither pruned nor counted'],
      ['notes/2026/01/20260102T110000Z-bbbbbb/', 'no manifest, but written 1h ago: possibly a backup in progress; debris once it is a day old'],
    ]);
    expect(a.keys().filter((k) => !k.includes('T020000Z'))).toEqual([
      'notes/2026/01/20260102T110000Z-bbbbbb/text',
      'notes/2026/01/20260102T120000Z-cccccc/manifest.json',
      'notes/2026/01/not-an-id/text',
    ]);
    expect(decisions(events)).toContain(
      'a debris 20260101T050000Z: no manifest (an interrupted backup or prune), last written 1d 7h ago: 2 objects that no command treats as a backup',
    );
  });

  it('an interrupted prune never leaves something that looks like a backup, and the next prune removes the rest', async () => {
    const { ctx, clock, backupDaily, store, catalogIn } = setup({ retention: '      a: { keepLast: 1 }\n' });
    const ids = await backupDaily(3); // 01-01, 01-02, 01-03 at 02:00; now 01-03T12:00
    ids.push((await runBackup(ctx, ['notes'])).results[0]!.backupId!); // 01-03T12:00
    const a = store('a');
    // The manifest delete succeeds; the artifacts' delete fails, as if the connection dropped between them.
    a.failDelete = (keys) => !keys.every((k) => k.endsWith('/manifest.json'));

    const first = await runPrune(ctx, ['notes'], { dryRun: false });
    expect(first.exitCode).toBe(1);
    expect(first.results[0]!.error).toMatch(/^could not delete 20260101T020000Z-[0-9a-f]{6} from destination 'a' \(memory:a\): connection reset by peer \(and 2 more\)$/);
    expect(await catalogIn('a')).toEqual([ids[3]]);
    expect(a.keys()).toEqual([
      `notes/2026/01/${ids[0]}/text`,
      `notes/2026/01/${ids[1]}/text`,
      `notes/2026/01/${ids[2]}/text`,
      `notes/2026/01/${ids[3]}/manifest.json`,
      `notes/2026/01/${ids[3]}/text`,
    ]);

    a.failDelete = undefined;
    clock.now = new Date(clock.now.getTime() + HOUR);
    const second = await runPrune(ctx, ['notes'], { dryRun: false });
    expect(second.exitCode).toBe(0);
    const result = second.results[0]!.destinations.find((d) => d.destination === 'a')!;
    // Leftovers keep their artifacts' own times: written more than a day ago, they are debris at once…
    expect(result.debris.map((d) => d.backupId)).toEqual([ids[0], ids[1]]);
    // …and this morning's waits until it is a day old.
    expect(result.left.map((d) => d.backupId)).toEqual([ids[2]]);
    clock.now = new Date(clock.now.getTime() + DAY);
    await runPrune(ctx, ['notes'], { dryRun: false });
    expect(a.keys()).toEqual([`notes/2026/01/${ids[3]}/manifest.json`, `notes/2026/01/${ids[3]}/text`]);
  });

  it('a component whose lock another live run holds is exit 75 (locked), deleting nothing', async () => {
    const { ctx, backupDaily, plan, catalogIn } = setup({ retention: '      a: { keepLast: 1 }\n' });
    await backupDaily(2);
    const lockFile = join(ctx.lockDir, `${plan.name}.notes.lock`);
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, host: 'here', operation: 'backup', startedAt: '2026-01-01T00:00:00Z' }));
    const outcome = await runPrune(ctx, ['notes'], { dryRun: false });
    expect(outcome.exitCode).toBe(75);
    expect(outcome.results[0]).toMatchObject({ outcome: 'locked', error: expect.stringMatching(/holds the lock for t\.notes/) });
    expect(await catalogIn('a')).toHaveLength(2);
  });

  it('a destination whose repository lock another host holds is left alone and the prune exits 75; the others are pruned', async () => {
    const { ctx, backupDaily, store, catalogIn, events } = setup({ retention: '      a: { keepLast: 1 }\n      b: { keepLast: 1 }\n' });
    await backupDaily(3);
    const lock = { lifeboat: 'lock', plan: 't', component: 'notes', operation: 'backup', owner: 'ops@db-2', host: 'db-2', pid: 4242, token: 'other', acquiredAt: '2026-11-26T01:50:00Z', refreshedAt: '2026-11-26T01:55:00Z', expiresAt: '2099-01-01T00:00:00Z' };
    await store('a').putIf('locks/notes.json', Buffer.from(JSON.stringify(lock)), { ifAbsent: true });
    const outcome = await runPrune(ctx, ['notes'], { dryRun: false });
    expect(outcome.exitCode).toBe(75);
    expect(outcome.results[0]).toMatchObject({ outcome: 'locked', error: expect.stringMatching(/^destination 'a' \(memory:a\) is locked for notes by backup on ops@db-2 \(pid 4242\) .*; nothing was pruned there$/) });
    expect(await catalogIn('a')).toHaveLength(3);
    expect(await catalogIn('b')).toHaveLength(1);
    expect(store('b').inner.objects.has('locks/notes.json')).toBe(false);
    expect(events.some((e) => e.type === 'failed' && e.exitCode === 75)).toBe(true);
  });

  it('keeps a backup a restore is reading, whatever the policy says; a stale reader mark protects nothing and is removed', async () => {
    const { ctx, backupDaily, plan, registry, store, events, catalogIn } = setup({ retention: '      a: { keepLast: 1 }\n' });
    const ids = await backupDaily(3);
    const [oldest, middle] = ids;
    const reading = await registerReader([registry.repository(plan, 'a')], { component: 'notes', backupId: oldest!, operation: 'restore' });
    const stale = { lifeboat: 'reader', component: 'notes', backupId: middle, operation: 'drill', owner: 'ops@db-2', host: 'db-2', pid: 4242, token: 'old', since: '2026-01-01T00:00:00Z', expiresAt: '2026-01-01T00:30:00Z' };
    await store('a').put('locks/notes.readers/old.json', Readable.from([Buffer.from(JSON.stringify(stale))]));

    expect((await runPrune(ctx, ['notes'], { dryRun: false })).exitCode).toBe(0);
    expect(decisions(events)).toContainEqual(expect.stringMatching(new RegExp(`^a keep ${oldest!.slice(0, 16)}: in use: restore on .+ \\(pid ${process.pid}\\) since `)));
    expect(await catalogIn('a')).toEqual([oldest, ids[2]]); // the middle one, named only by a stale mark, went by the policy
    expect(store('a').inner.objects.has('locks/notes.readers/old.json')).toBe(false);
    await reading.release();
    expect([...store('a').inner.objects.keys()].filter((k) => k.startsWith('locks/'))).toEqual([]);
  });

  it('a lock left by a process that is gone is taken over, and removed when prune is done', async () => {
    const { ctx, backupDaily, plan } = setup();
    await backupDaily(1);
    const lockFile = join(ctx.lockDir, `${plan.name}.notes.lock`);
    writeFileSync(lockFile, JSON.stringify({ pid: 2 ** 22 + 1, host: 'here', operation: 'backup', startedAt: '2026-01-01T00:00:00Z' }));
    expect((await runPrune(ctx, ['notes'], { dryRun: false })).exitCode).toBe(0);
    expect(() => writeFileSync(lockFile, '', { flag: 'wx' })).not.toThrow();
  });

  it('refuses to start when the lifecycle contradicts the retention', async () => {
    const { ctx } = setup({ top: 'lifecycle:\n  a: { scope: artifacts, expireDays: 2 }\n' });
    await expect(runPrune(ctx, ['notes'], { dryRun: true })).rejects.toThrow(PlanError);
    // No registered type here has lifecycle rules, so no store is named as the one that deletes.
    await expect(runPrune(ctx, ['notes'], { dryRun: true })).rejects.toThrow(
      /lifecycle\.a\.expireDays: the rule deletes objects in a after 2 days, but components\.notes\.retention\.a keeps backups within 3d; raise expireDays to at least 3 or shorten within$/,
    );
  });
});

describe('autoPrune', () => {
  it('prunes components with prune: auto after a committed backup, and turns failures into warnings', async () => {
    const { ctx, events, backupDaily, store, catalogIn } = setup({ retention: '      a: { keepLast: 1 }\n' });
    const ids = await backupDaily(2);
    const backup = await runBackup(ctx, ['notes']);
    events.length = 0;
    const pruned = await autoPrune(ctx, backup.results);
    expect(pruned?.exitCode).toBe(0);
    expect(await catalogIn('a')).toEqual([backup.results[0]!.backupId]);
    expect(await catalogIn('b')).toEqual([...ids, backup.results[0]!.backupId]);
    // Kept backups are counted, not listed, after a backup.
    expect(events.filter((e) => e.type === 'retention').every((e) => e.type === 'retention' && e.decision !== 'keep')).toBe(true);
    expect(events).toContainEqual({ type: 'step', component: 'notes', message: 'a: keeping 1 backup' });

    store('a').failDelete = () => true;
    const next = await runBackup(ctx, ['notes']);
    events.length = 0;
    await expect(autoPrune(ctx, next.results)).resolves.toMatchObject({ exitCode: 1 });
    expect(events.filter((e) => e.type === 'warning').at(-1)).toMatchObject({
      message: expect.stringMatching(/^the backup is committed, but pruning notes afterwards did not finish: could not delete/),
    });
  });

  it('leaves alone prune: manual components, failed backups, and components without retention', async () => {
    const { ctx } = setup({ prune: 'manual' });
    expect(await autoPrune(ctx, [{ component: 'notes', outcome: 'ok', exitCode: 0 }])).toBeUndefined();
    const auto = setup();
    expect(await autoPrune(auto.ctx, [{ component: 'notes', outcome: 'failed', exitCode: 1 }])).toBeUndefined();
    const keepsAll = setup({ retention: '      {}\n' });
    expect(await autoPrune(keepsAll.ctx, [{ component: 'notes', outcome: 'ok', exitCode: 0 }])).toBeUndefined();
  });
});
