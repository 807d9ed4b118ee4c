import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useS3VersionedFake, type S3VersionedFake } from '@lifeboat/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mediaPlan } from './commands/demo-media.js';
import { eachWorkspace, lifeboat } from './test/harness.js';

// `type: s3-bucket` through the CLI, against the S3 versioning FAKE (tooling/testkit): no cloud.
const theFake = useS3VersionedFake({ beforeAll, afterAll });
let fake: S3VersionedFake;
beforeAll(() => {
  fake = theFake();
});

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
let n = 0;

describe('lifeboat restore of an s3-bucket component (media) on the fake', () => {
  const ws = eachWorkspace();
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, env: { XDG_STATE_HOME: join(ws.dir, 'state') } });

  const setUp = async () => {
    const bucket = `media-cli-${++n}`;
    fake.createBucket(bucket, { versioning: 'Enabled' });
    fake.seed(bucket, 'uploads/a.jpg', { body: 'a1', lastModified: ago(30) });
    fake.seed(bucket, 'uploads/b.jpg', { body: 'b1', lastModified: ago(29) });
    const asOf = ago(20).toISOString();
    fake.seed(bucket, 'uploads/a.jpg', { body: 'a2', lastModified: ago(10) });
    fake.seed(bucket, 'uploads/b.jpg', { deleteMarker: true, lastModified: ago(9) });
    await ws.writePlan(mediaPlan({ name: 'test', repo: join(ws.dir, 'repo'), bucket, fake }));
    const backup = await cli('backup', 'media');
    expect(backup, backup.stderr).toMatchObject({ exitCode: 0 });
    return { bucket, asOf };
  };
  const latest = (bucket: string, key: string) => fake.versions(bucket).find((v) => v.key === key)!;

  test('--dry-run --json prints counts and bytes and the plan file; then --in-place --yes restores; without --yes exit 2', async () => {
    const { bucket, asOf } = await setUp();
    const planFile = join(ws.dir, 'media-plan.jsonl');
    const dry = await cli('restore', 'media', '--as-of', asOf, '--in-place', '--dry-run', '--plan-file', planFile, '--json');
    expect(dry.exitCode).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ report: { dryRun: true, copy: 2, copyBytes: 4, planFile } });
    expect((await readFile(planFile, 'utf8')).trim().split('\n')).toHaveLength(2);
    expect(latest(bucket, 'uploads/a.jpg').body?.toString()).toBe('a2');

    const refused = await cli('restore', 'media', '--as-of', asOf, '--in-place');
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout + refused.stderr).toContain('needs --yes');

    const done = await cli('restore', 'media', '--as-of', asOf, '--in-place', '--yes');
    expect(done.exitCode).toBe(0);
    expect([latest(bucket, 'uploads/a.jpg').body?.toString(), latest(bucket, 'uploads/b.jpg').body?.toString()]).toEqual(['a1', 'b1']);
  });

  test('--to-bucket/--to-prefix copies beside; an --as-of in the future is exit 2 with one sentence', async () => {
    const { asOf } = await setUp();
    const other = `media-copy-${n}`;
    fake.createBucket(other, { versioning: 'Enabled' });
    expect(await cli('restore', 'media', '--as-of', asOf, '--to-bucket', other, '--to-prefix', 'r/')).toMatchObject({ exitCode: 0 });
    expect(fake.versions(other).map((v) => [v.key, v.body?.toString()])).toEqual([
      ['r/uploads/a.jpg', 'a1'],
      ['r/uploads/b.jpg', 'b1'],
    ]);
    const future = await cli('restore', 'media', '--as-of', '2999-01-01T00:00:00Z', '--to-bucket', other);
    expect(future.exitCode).toBe(2);
    expect(future.stdout + future.stderr).toContain('is in the future');
  });

  test('restore --help shows the media options', async () => {
    await setUp();
    const help = await cli('restore', '--help');
    for (const flag of ['--as-of', '--to-bucket', '--to-prefix', '--undelete', '--dry-run', '--plan-file', '--prefix']) expect(help.stdout).toContain(flag);
  });

  test('status --json reports the bucket versions as found (versioning on) under the media component', async () => {
    await setUp();
    const status = await cli('status', '--json');
    expect(status.stdout, status.stderr).not.toBe('');
    const parsed = JSON.parse(status.stdout) as { components?: unknown[] } | unknown[];
    const media = (Array.isArray(parsed) ? parsed : (parsed.components ?? [])).find((c) => (c as { component: string }).component === 'media') as { archive?: { name: string; fields: Record<string, unknown> } };
    expect(media.archive).toMatchObject({ name: 'bucket versions', fields: { versioning: 'Enabled' } });
  });
});
