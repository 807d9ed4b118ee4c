import { readFile } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, LifeboatError, readCatalog, runBackup, runRestore, type Plan, type RestoreRequest, type RestoreOutcome } from '@lifeboat/core';
import { useS3VersionedFake, type S3VersionedFake } from '@lifeboat/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { runDrill } from '@lifeboat/verify';
import { COMPONENT, ContractWorkspace } from '../contract/workspace.js';
import { readInventory } from './backup.js';
import { s3BucketStrategy } from './index.js';
import type { Strategy } from '@lifeboat/core';

const theFake = useS3VersionedFake({ beforeAll, afterAll });
let fake: S3VersionedFake;
beforeAll(() => {
  fake = theFake();
});
let ws: ContractWorkspace;
let n = 0;
let bucket: string;
beforeEach(async () => {
  ws = await ContractWorkspace.create(s3BucketStrategy as Strategy<never>);
  bucket = `media-${++n}`;
  fake.createBucket(bucket, { versioning: 'Enabled' });
});
afterEach(() => ws.cleanup());

const planFor = (extra: Record<string, unknown> = {}) => ws.plan({ config: { bucket, region: fake.region, endpoint: fake.endpoint, ...extra } });
const env = { XDG_STATE_HOME: '' };
const backUp = async (plan: Plan) => (await runBackup(ws.engine(plan, { ...env, XDG_STATE_HOME: join(ws.dir, 'state') }), [COMPONENT])).results[0]!;
const restore = (plan: Plan, options: Record<string, unknown>, extra: Partial<RestoreRequest> = {}): Promise<RestoreOutcome> =>
  runRestore(ws.engine(plan, { XDG_STATE_HOME: join(ws.dir, 'state') }), { component: COMPONENT }, { clean: false, yes: false, options, ...extra });
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LifeboatError);
  return err as LifeboatError;
};

/** The live keys of a bucket (under `prefix`), with their contents. */
function live(name: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of fake.versions(name)) {
    if (!v.key.startsWith(prefix)) continue;
    const latest = fake.versions(name).find((x) => x.key === v.key)!;
    if (latest === undefined || latest.deleteMarker || out[v.key] !== undefined) continue;
    out[v.key.slice(prefix.length)] = latest.body?.toString() ?? `<${latest.size} bytes>`;
  }
  return out;
}

/** Minutes ago: histories are seeded in the past, so that --as-of is never in the future. */
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

/** A history: three photos, then (after `asOf`) one overwritten, one deleted, one added. */
function history(): { asOf: string; before: Record<string, string> } {
  fake.seed(bucket, 'uploads/a.jpg', { body: 'a1', lastModified: ago(60) });
  fake.seed(bucket, 'uploads/b.jpg', { body: 'b1', lastModified: ago(59) });
  fake.seed(bucket, 'uploads/gone.jpg', { body: 'g0', lastModified: ago(58) });
  fake.seed(bucket, 'uploads/gone.jpg', { deleteMarker: true, lastModified: ago(57) });
  fake.seed(bucket, 'avatars/c.png', { body: 'c1', lastModified: ago(56) });
  const before = live(bucket);
  const asOf = ago(55).toISOString();
  fake.seed(bucket, 'uploads/a.jpg', { body: 'a2 overwritten', lastModified: ago(50) });
  fake.seed(bucket, 'uploads/b.jpg', { deleteMarker: true, lastModified: ago(49) });
  fake.seed(bucket, 'uploads/new.jpg', { body: 'new', lastModified: ago(48) });
  return { asOf, before };
}

describe('checkpoint (backup)', () => {
  test('streams every version through ListObjectVersions pages (and an empty truncated page) into a gzip JSON-lines artifact with a manifest', async () => {
    for (let i = 0; i < 2300; i++) {
      const lastModified = new Date(Date.now() - 86_400_000 + i);
      fake.seed(bucket, `k/${String(i % 900).padStart(4, '0')}`, i % 7 === 6 ? { deleteMarker: true, lastModified } : { body: `v${i}`, lastModified });
    }
    fake.emptyPages(1);
    const before = fake.requests.get('ListObjectVersions') ?? 0;
    const result = await backUp(await planFor());
    expect(result.error).toBeUndefined();
    expect(fake.requests.get('ListObjectVersions')! - before).toBe(1 + 3); // the empty page, then 2300 versions in pages of 1000
    const [entry] = await readCatalog(await planFor(), ws.registry, { component: COMPONENT });
    const all = fake.versions(bucket);
    expect(entry!.manifest.facts).toMatchObject({ bucket, versions: all.length, deleteMarkers: all.filter((v) => v.deleteMarker).length, versioning: 'Enabled' });
    const newest = (entry!.manifest.facts.newestVersions as { lastModified: string }[]).map((v) => v.lastModified);
    expect(newest).toHaveLength(20);
    expect(newest).toEqual([...all.filter((v) => !v.deleteMarker && all.find((x) => x.key === v.key) === v)].map((v) => v.lastModified.toISOString()).sort().reverse().slice(0, 20));
    const file = (await ws.backupFiles()).find((f) => f.endsWith('inventory.jsonl.gz'))!;
    const lines = [];
    for await (const v of readInventory(createReadStream(join(ws.repo, file)).pipe(createGunzip()))) lines.push(`${v.key}@${v.versionId}:${v.deleteMarker}`);
    expect(lines).toEqual(all.map((v) => `${v.key}@${v.versionId}:${v.deleteMarker}`));
  });

  test('a bucket without versioning: exit 1, one sentence, no manifest', async () => {
    const plain = `plain-${n}`;
    fake.createBucket(plain);
    const result = await backUp(await planFor({ bucket: plain }));
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(new RegExp(`s3://${plain} has versioning off`));
    expect(await ws.backupFiles()).toEqual([]);
  });
});

describe('restore as of a time', () => {
  test('--to-bucket: the other bucket gets exactly the keys live then, with their bytes; the source is unchanged', async () => {
    const { asOf, before } = history();
    const plan = await planFor();
    await backUp(plan);
    const other = `restored-${n}`;
    fake.createBucket(other, { versioning: 'Enabled' });
    const source = fake.versions(bucket);
    const outcome = await restore(plan, { asOf, toBucket: other, toPrefix: 'r/' });
    expect(live(other, 'r/')).toEqual(before);
    expect(fake.versions(bucket)).toEqual(source);
    expect(outcome.checks).toEqual([expect.objectContaining({ ok: true, expected: 3, actual: 3 })]);
  });

  test('--dry-run writes a reviewable JSON-lines plan with counts and bytes, and changes nothing', async () => {
    const { asOf } = history();
    const plan = await planFor();
    await backUp(plan);
    const source = fake.versions(bucket);
    const planFile = join(ws.dir, 'plan.jsonl');
    const outcome = await restore(plan, { asOf, inPlace: true, dryRun: true, planFile });
    expect(fake.versions(bucket)).toEqual(source);
    const lines = (await readFile(planFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string; key: string });
    expect(lines.map((l) => `${l.action} ${l.key}`).sort()).toEqual(['copy uploads/a.jpg', 'copy uploads/b.jpg', 'delete uploads/new.jpg']);
    expect(outcome.report!.data).toMatchObject({ dryRun: true, copy: 2, copyBytes: 4, delete: 1, keys: 5 });
  });

  test('--in-place --yes: the live keys become what they were then (new versions, delete markers); without --yes exit 2 and nothing changes', async () => {
    const { asOf, before } = history();
    const plan = await planFor();
    await backUp(plan);
    const source = fake.versions(bucket);
    const refused = await refusal(restore(plan, { asOf, inPlace: true }));
    expect([refused.exitCode, refused.message]).toEqual([ExitCode.usage, expect.stringContaining('needs --yes')]);
    expect(fake.versions(bucket)).toEqual(source);
    await restore(plan, { asOf, inPlace: true }, { yes: true });
    expect(live(bucket)).toEqual(before);
    // Every earlier version is still there: the restore only added.
    expect(fake.versions(bucket).length).toBe(source.length + 3);
  });

  test('--undelete removes only the delete markers made after the time (overwrites stay)', async () => {
    const { asOf } = history();
    const plan = await planFor();
    await backUp(plan);
    await restore(plan, { asOf, undelete: true }, { yes: true });
    expect(live(bucket)).toMatchObject({ 'uploads/a.jpg': 'a2 overwritten', 'uploads/b.jpg': 'b1', 'uploads/new.jpg': 'new' });
    expect(live(bucket)['uploads/gone.jpg']).toBeUndefined();
  });

  test('throttling (SlowDown) is backed off; a version over 5 GB is copied by UploadPartCopy and verified; GLACIER is reported, not failed', async () => {
    const { asOf } = history();
    fake.seed(bucket, 'videos/big.mp4', { size: 6 * 1024 ** 3, lastModified: new Date(Date.parse(asOf) - 1) });
    fake.seed(bucket, 'old/cold.tif', { body: 'cold', storageClass: 'DEEP_ARCHIVE', lastModified: new Date(Date.parse(asOf) - 2) });
    const plan = await planFor();
    await backUp(plan);
    const other = `restored-${n}`;
    fake.createBucket(other, { versioning: 'Enabled' });
    fake.throttle(3, 'CopyObject');
    const outcome = await restore(plan, { asOf, toBucket: other, jobs: 4 });
    expect(fake.requests.get('UploadPartCopy')).toBe(12);
    expect(live(other)).toMatchObject({ 'uploads/a.jpg': 'a1', 'videos/big.mp4': `<${6 * 1024 ** 3} bytes>` });
    expect(live(other)['old/cold.tif']).toBeUndefined();
    expect(outcome.report!.data).toMatchObject({ archived: 1, multipart: 1 });
    expect(JSON.stringify(outcome.report!.data.archivedVersions)).toContain('aws s3api restore-object --bucket');
  });

  test('an interrupted restore resumes from its journal without redoing the copies already done', async () => {
    for (let i = 0; i < 30; i++) fake.seed(bucket, `p/${i}`, { body: `x${i}`, lastModified: ago(10) });
    const asOf = ago(5).toISOString();
    const plan = await planFor();
    await backUp(plan);
    const other = `restored-${n}`;
    fake.createBucket(other, { versioning: 'Enabled' });
    const copies = () => fake.requests.get('CopyObject') ?? 0;
    const start = copies();
    fake.failAfter('CopyObject', 10, 1);
    await refusal(restore(plan, { asOf, toBucket: other, jobs: 1 }));
    const firstRun = copies() - start;
    expect(Object.keys(live(other))).toHaveLength(10);
    await restore(plan, { asOf, toBucket: other, jobs: 1 });
    expect(copies() - start - firstRun).toBe(20);
    expect(Object.keys(live(other))).toHaveLength(30);
  });

  test('bad requests are one sentence and exit 2, before anything changes', async () => {
    history();
    const plan = await planFor();
    await backUp(plan);
    const source = fake.versions(bucket);
    const cases: [Record<string, unknown>, string][] = [
      [{ inPlace: true }, 'needs --as-of'],
      [{ asOf: '2999-01-01T00:00:00Z', inPlace: true }, 'is in the future'],
      [{ asOf: new Date(Date.now() - 200 * 86_400_000).toISOString(), inPlace: true }, 'before the 90d'],
      [{ asOf: '2026-01-01 12:00', inPlace: true }, 'not a time with a zone'],
      [{ asOf: new Date().toISOString(), inPlace: true, toBucket: 'x-bucket' }, 'cannot be given together'],
      [{ asOf: new Date().toISOString(), toBucket: bucket }, 'own bucket without --to-prefix'],
      [{ asOf: new Date().toISOString(), toBucket: 'no-such-bucket' }, 'cannot be reached'],
    ];
    for (const [options, sentence] of cases) {
      const err = await refusal(restore(plan, options));
      expect([err.exitCode, err.message]).toEqual([ExitCode.usage, expect.stringContaining(sentence)]);
    }
    expect(fake.versions(bucket)).toEqual(source);
  });
});

describe('drill', () => {
  test('restores as of the checkpoint into a scratch prefix, compares with the checkpoint, records the RTO and deletes the scratch versions', async () => {
    const { before } = history();
    const plan = await planFor();
    await backUp(plan);
    fake.seed(bucket, 'uploads/after-checkpoint.jpg', { body: 'later' });
    const source = fake.versions(bucket);
    const scratchSeen: Record<string, string>[] = [];
    const { exitCode, results } = await runDrill(
      ws.engine(plan, { XDG_STATE_HOME: join(ws.dir, 'state') }, (event) => {
        if (event.type === 'restored') scratchSeen.push(live(bucket, (event.target.split(`s3://${bucket}/`)[1] ?? '')));
      }),
      [COMPONENT],
    );
    expect(results[0]!.error).toBeUndefined();
    expect(exitCode).toBe(ExitCode.ok);
    // The latest state at the checkpoint: everything in `before` and the changes made before the checkpoint.
    expect(scratchSeen[0]).toEqual({ ...before, 'uploads/a.jpg': 'a2 overwritten', 'uploads/new.jpg': 'new', 'uploads/b.jpg': undefined });
    expect(results[0]!.checks.map((c) => [c.name, c.ok])).toEqual([
      ['actions done and verified', true],
      ['keys copied, as the checkpoint lists them', true],
      ['bytes copied, as the checkpoint lists them', true],
    ]);
    expect(results[0]!.rtoActualMs).toBeGreaterThanOrEqual(0);
    expect(fake.versions(bucket)).toEqual(source);
  });
});
