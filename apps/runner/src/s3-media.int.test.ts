import { join } from 'node:path';
import { s3SdkFor, useS3VersionedFake, type S3VersionedFake } from '@lifeboat/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eachWorkspace, lifeboat } from './test/harness.js';

// `lifeboat s3 check` / `s3 apply` on the buckets a media component (type: s3-bucket) relies on, against the S3 versioning FAKE (tooling/testkit).
const theFake = useS3VersionedFake({ beforeAll, afterAll });
let fake: S3VersionedFake;
let s3: Awaited<ReturnType<typeof s3SdkFor>>['client'];
let sdk: Awaited<ReturnType<typeof s3SdkFor>>['sdk'];
beforeAll(async () => {
  fake = theFake();
  ({ sdk, client: s3 } = await s3SdkFor(fake));
});
afterAll(() => s3.destroy());

const ROLE = 'arn:aws:iam::123456789012:role/media-replication';
let n = 0;

interface Report {
  bucket: string;
  role?: string;
  outcome: string;
  changes: string[];
  applied: string[];
  problems: string[];
}

describe('lifeboat s3 check / s3 apply on a media bucket and its replica (fake)', () => {
  const ws = eachWorkspace();
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir });
  const json = async (...args: string[]) => {
    const run = await cli(...args, '--json');
    return { exitCode: run.exitCode, reports: JSON.parse(run.stdout || '[]') as Report[], stderr: run.stderr };
  };
  const planFor = (bucket: string, replication: boolean) =>
    ws.writePlan(`version: 1
name: test
destinations:
  checkpoints: { type: fs, path: ${JSON.stringify(join(ws.dir, 'repo'))} }
components:
  media:
    type: s3-bucket
    bucket: ${bucket}
    region: ${fake.region}
    endpoint: ${fake.endpoint}
    versionRetention: 90d
${replication ? `    replication: { bucket: ${bucket}-replica, region: ${fake.region}, roleArn: ${ROLE} }\n` : ''}    schedule: "0 * * * *"
    rpo: 1h
    rto: 1h
    destinations: [checkpoints]
`);

  test('check on a bare bucket is exit 3 naming each missing setting; apply makes them true, then check passes and apply again changes nothing', async () => {
    const bucket = `media-apply-${++n}`;
    const replica = `${bucket}-replica`;
    fake.createBucket(bucket);
    fake.createBucket(replica);
    await planFor(bucket, true);

    const check = await json('s3', 'check');
    expect(check.exitCode, check.stderr).toBe(3);
    expect(check.reports.map((r) => [r.bucket, r.role, r.outcome, r.changes])).toEqual([
      [replica, 'media replica', 'drift', ['enable versioning']],
      [bucket, 'media bucket', 'drift', ['enable versioning', `add replication rule lifeboat-media-replication: every object to s3://${replica} (${fake.region}), role ${ROLE}`, 'block all public access']],
    ]);
    const human = await cli('s3', 'check', 'media');
    expect(human.exitCode).toBe(3);
    expect(human.stdout).toContain(`s3://${bucket} (media bucket of component media):\n  enable versioning\n`);

    const dry = await cli('s3', 'apply', '--dry-run');
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing was changed (3 changes would be made)');
    expect((await s3.send(new sdk.GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();

    const apply = await json('s3', 'apply');
    expect(apply.exitCode, apply.stderr).toBe(0);
    expect(apply.reports.map((r) => [r.bucket, r.outcome, r.applied])).toEqual([
      [replica, 'changed', ['versioning']],
      [bucket, 'changed', ['versioning', 'publicAccessBlock', 'replication']],
    ]);
    for (const Bucket of [bucket, replica]) expect((await s3.send(new sdk.GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    const rules = (await s3.send(new sdk.GetBucketReplicationCommand({ Bucket: bucket }))).ReplicationConfiguration!;
    expect([rules.Role, rules.Rules!.map((r) => [r.ID, r.Status, r.Destination!.Bucket])]).toEqual([ROLE, [['lifeboat-media-replication', 'Enabled', `arn:aws:s3:::${replica}`]]]);
    expect((await s3.send(new sdk.GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });

    const again = await cli('s3', 'check');
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.stdout).toBe(`s3://${replica}: matches the plan\ns3://${bucket}: matches the plan\n`);
    const twice = await json('s3', 'apply');
    expect(twice.exitCode).toBe(0);
    expect(twice.reports.map((r) => [r.outcome, r.applied])).toEqual([
      ['unchanged', []],
      ['unchanged', []],
    ]);
    // doctor reads through the same checks.
    const doctor = await cli('doctor', '--json');
    expect(doctor.stdout).toContain(`versioning on; noncurrent versions kept for ever`);
  });

  test('a lifecycle rule expiring noncurrent versions before versionRetention is reported by check (exit 3) and apply (exit 1), and left as it was', async () => {
    const bucket = `media-short-${++n}`;
    fake.createBucket(bucket, { versioning: 'Enabled' });
    await s3.send(new sdk.PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    const Rules = [
      { ID: 'thumbnails-30d', Status: 'Enabled' as const, Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 30 } },
      { ID: 'archive-1y', Status: 'Enabled' as const, Filter: { Prefix: 'archive/' }, NoncurrentVersionExpiration: { NoncurrentDays: 365 } },
    ];
    await s3.send(new sdk.PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules } }));
    await planFor(bucket, false);

    const problem = `lifecycle rule "thumbnails-30d" expires noncurrent versions after 30 days, before the 90 days the versionRetention of media (90d) keeps them; set its NoncurrentDays to at least 90`;
    const check = await json('s3', 'check', 'media');
    expect(check.exitCode).toBe(3);
    expect(check.reports).toEqual([expect.objectContaining({ bucket, outcome: 'drift', changes: [], problems: [expect.stringContaining(problem)] })]);

    const apply = await cli('s3', 'apply');
    expect(apply.exitCode).toBe(1);
    expect(apply.stdout).toContain(`  problem: ${problem}`);
    const kept = (await s3.send(new sdk.GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules!;
    expect(kept.map((r) => [r.ID, r.NoncurrentVersionExpiration?.NoncurrentDays])).toEqual([
      ['thumbnails-30d', 30],
      ['archive-1y', 365],
    ]);
  });

  test('a name that is neither an s3 destination nor a component relying on a bucket is exit 2', async () => {
    await planFor(`media-names-${++n}`, false);
    const wrong = await cli('s3', 'check', 'checkpoints');
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toBe("lifeboat: destination 'checkpoints' is type fs, not s3; name components that rely on a bucket (media)\n");
  });
});
