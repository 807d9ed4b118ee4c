import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useS3VersionedFake, type S3VersionedFake } from '@lifeboat/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mediaPlan } from './commands/demo-media.js';
import { eachWorkspace, lifeboat } from './test/harness.js';

// The as-of restore checks each copy's size and ETag: a copy the S3 versioning FAKE corrupts on purpose (corruptNextCopy) must be caught.
const theFake = useS3VersionedFake({ beforeAll, afterAll });
let fake: S3VersionedFake;
beforeAll(() => {
  fake = theFake();
});

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('a media restore whose copy comes out wrong (fake fault injection)', () => {
  const ws = eachWorkspace();
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, env: { XDG_STATE_HOME: join(ws.dir, 'state') } });
  /** The keys the restore journal says are done (none when it has not been written). */
  const journaled = async (): Promise<string[]> => {
    const dir = join(ws.dir, 'state', 'lifeboat', 'media-restore');
    const files = await readdir(dir).catch(() => [] as string[]);
    const lines = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('').split('\n').filter(Boolean);
    return lines.map((line) => (JSON.parse(line) as { id: string }).id.split('\u0000')[1]!);
  };

  test('a wrong ETag fails the restore naming the key (exit 1), the journal does not mark it done, and running it again copies it right', async () => {
    const bucket = 'media-etag';
    const copy = 'media-etag-copy';
    fake.createBucket(bucket, { versioning: 'Enabled' });
    fake.createBucket(copy, { versioning: 'Enabled' });
    for (const key of ['a', 'b', 'c']) fake.seed(bucket, `uploads/${key}.jpg`, { body: `${key} as uploaded`, lastModified: ago(30) });
    const asOf = ago(20).toISOString();
    for (const key of ['a', 'b', 'c']) fake.seed(bucket, `uploads/${key}.jpg`, { body: `${key} overwritten`, lastModified: ago(10) });
    await ws.writePlan(mediaPlan({ name: 'test', repo: join(ws.dir, 'repo'), bucket, fake }));
    expect(await cli('backup', 'media')).toMatchObject({ exitCode: 0 });

    fake.corruptNextCopy('uploads/b.jpg');
    // One copy at a time, so that a.jpg is done (journaled) before b.jpg fails.
    const restore = () => cli('restore', 'media', '--as-of', asOf, '--to-bucket', copy, '--to-prefix', 'r/', '--jobs', '1');
    const failed = await restore();
    expect(failed.exitCode).toBe(1);
    // The runner logs JSON lines when not on a terminal: the failure is the sentence of the `failed` event.
    const failure = failed.stdout.split('\n').flatMap((line) => (line.includes('"event":"failed"') ? [(JSON.parse(line) as { message: string }).message] : []));
    expect(failure).toHaveLength(1);
    expect(failure[0]).toMatch(/the copy of uploads\/b\.jpg \(version \w+\) to s3:\/\/media-etag-copy\/r\/uploads\/b\.jpg does not match: \d+ bytes, ETag "\w+"; expected \d+ bytes, ETag "\w+"/);
    expect(await journaled()).toEqual(['uploads/a.jpg']);

    const again = await restore();
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('1 already done by an earlier run');
    const latest = new Map<string, string | undefined>();
    for (const v of fake.versions(copy)) if (!latest.has(v.key)) latest.set(v.key, v.body?.toString());
    expect(Object.fromEntries(latest)).toEqual({ 'r/uploads/a.jpg': 'a as uploaded', 'r/uploads/b.jpg': 'b as uploaded', 'r/uploads/c.jpg': 'c as uploaded' });
    expect(await journaled()).toEqual([]);
  });
});
