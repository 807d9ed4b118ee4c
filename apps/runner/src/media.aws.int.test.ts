import { join } from 'node:path';
import { s3SdkFor } from '@lifeboat/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lifeboat, workspace, type Workspace } from './test/harness.js';

/**
 * The media scenarios against REAL AWS, opt-in and never in CI (docs/media.md,
 * "The real-AWS suite"): LIFEBOAT_TEST_AWS=1, credentials from the AWS default
 * chain, AWS_REGION, and LIFEBOAT_TEST_AWS_BUCKET naming a bucket that does
 * not exist yet — the suite creates it, and deletes every version and the
 * bucket at the end. Everywhere else the same scenarios run on the fake.
 */
const enabled = process.env.LIFEBOAT_TEST_AWS === '1';
const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '';
const bucket = process.env.LIFEBOAT_TEST_AWS_BUCKET ?? '';

type Sdk = Awaited<ReturnType<typeof s3SdkFor>>;

describe.skipIf(!enabled)('media bucket on real AWS (opt-in: LIFEBOAT_TEST_AWS=1)', () => {
  let s3: Sdk['client'];
  let sdk: Sdk['sdk'];
  let ws: Workspace;
  let created = false;
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, env: { XDG_STATE_HOME: join(ws.dir, 'state') } });
  const body = async (Key: string) => (await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString();
  const put = async (Key: string, Body: string) => {
    await s3.send(new sdk.PutObjectCommand({ Bucket: bucket, Key, Body }));
    return (await s3.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key }))).LastModified!;
  };
  /** Polls `ready` until it holds, failing after `ms`: S3's clock, not a fixed sleep, decides. */
  const until = async (what: string, ready: () => boolean | Promise<boolean>, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  beforeAll(async () => {
    if (region === '' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new Error('LIFEBOAT_TEST_AWS=1 needs AWS_REGION and LIFEBOAT_TEST_AWS_BUCKET (a new bucket name the suite creates and deletes), and AWS credentials (the default chain)');
    }
    ({ sdk, client: s3 } = await s3SdkFor({ region }));
    const exists = await s3.send(new sdk.HeadBucketCommand({ Bucket: bucket })).then(
      () => true,
      () => false,
    );
    if (exists) throw new Error(`LIFEBOAT_TEST_AWS_BUCKET=${bucket} exists; the suite creates and deletes its own bucket and never touches one it did not make: give a new name`);
    await s3.send(new sdk.CreateBucketCommand({ Bucket: bucket, ...(region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}) }));
    created = true;
    ws = await workspace();
    await ws.writePlan(`version: 1
name: lifeboat-aws-test
destinations:
  checkpoints: { type: fs, path: ${JSON.stringify(join(ws.dir, 'repo'))} }
components:
  media:
    type: s3-bucket
    bucket: ${bucket}
    region: ${region}
    prefix: uploads/
    versionRetention: 7d
    schedule: "0 * * * *"
    rpo: 1h
    rto: 1h
    destinations: [checkpoints]
`);
  }, 60_000);

  afterAll(async () => {
    if (created) {
      // Every version and delete marker, then the bucket: nothing left to pay for.
      for (let marker: { KeyMarker?: string; VersionIdMarker?: string } = {}; ; ) {
        const page = await s3.send(new sdk.ListObjectVersionsCommand({ Bucket: bucket, ...marker }));
        const Objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId! }));
        if (Objects.length > 0) await s3.send(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects } }));
        if (!page.IsTruncated) break;
        marker = { ...(page.NextKeyMarker ? { KeyMarker: page.NextKeyMarker } : {}), ...(page.NextVersionIdMarker ? { VersionIdMarker: page.NextVersionIdMarker } : {}) };
      }
      await s3.send(new sdk.DeleteBucketCommand({ Bucket: bucket }));
    }
    s3?.destroy();
    await ws?.cleanup();
  }, 120_000);

  test('s3 check on the new bucket is exit 3 (versioning off, public access open); s3 apply sets both; s3 check then passes', async () => {
    const check = await cli('s3', 'check', 'media');
    expect(check.exitCode).toBe(3);
    expect(check.stdout).toContain('enable versioning');
    expect(check.stdout).toContain('block all public access');
    expect((await cli('s3', 'apply', 'media')).exitCode).toBe(0);
    // S3 applies bucket settings eventually: wait for it to say so.
    await until('versioning Enabled', async () => (await s3.send(new sdk.GetBucketVersioningCommand({ Bucket: bucket }))).Status === 'Enabled');
    await until('s3 check passing', async () => (await cli('s3', 'check', 'media')).exitCode === 0, 60_000);
  }, 120_000);

  test('a checkpoint, then an overwrite and a delete, then a restore as of before into a prefix brings back the bytes from before', async () => {
    const times = [await put('uploads/a.jpg', 'a as uploaded'), await put('uploads/b.jpg', 'b as uploaded')];
    // LastModified has whole seconds: "as of" is a second after the newest, and must be in the past here before the damage.
    const asOf = new Date(Math.max(...times.map((t) => t.getTime())) + 1000);
    await until('the as-of time passing', () => Date.now() > asOf.getTime() + 1000);
    const backup = await cli('backup', 'media');
    expect(backup.exitCode, backup.stdout + backup.stderr).toBe(0);

    const overwritten = await put('uploads/a.jpg', 'a overwritten');
    await s3.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: 'uploads/b.jpg' }));
    expect(overwritten.getTime(), 'the local clock is ahead of S3 by more than a second').toBeGreaterThan(asOf.getTime());

    const dry = await cli('restore', 'media', '--as-of', asOf.toISOString(), '--to-bucket', bucket, '--to-prefix', 'restored/', '--dry-run', '--json');
    expect(dry.exitCode).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ report: { dryRun: true, copy: 2 } });
    const restore = await cli('restore', 'media', '--as-of', asOf.toISOString(), '--to-bucket', bucket, '--to-prefix', 'restored/');
    expect(restore.exitCode, restore.stdout + restore.stderr).toBe(0);
    expect([await body('restored/uploads/a.jpg'), await body('restored/uploads/b.jpg')]).toEqual(['a as uploaded', 'b as uploaded']);
    expect(await body('uploads/a.jpg')).toBe('a overwritten');
  }, 180_000);
});
