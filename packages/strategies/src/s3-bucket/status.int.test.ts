import { PutBucketLifecycleConfigurationCommand, PutBucketReplicationCommand, PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { useS3VersionedFake, type S3VersionedFake } from '@lifeboat/testkit';
import type { ComponentPlan, EngineContext, Manifest } from '@lifeboat/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mediaArchive } from './archive.js';
import type { S3BucketConfig } from './config.js';
import { doctorMedia } from './doctor.js';

const theFake = useS3VersionedFake({ beforeAll, afterAll });
let fake: S3VersionedFake;
let s3: S3Client;
beforeAll(() => {
  fake = theFake();
  s3 = new S3Client({ endpoint: fake.endpoint, region: fake.region, credentials: fake.credentials, forcePathStyle: true });
});
afterAll(() => s3.destroy());

let n = 0;
const HOUR = 3_600_000;
function configFor(bucket: string, extra: Partial<S3BucketConfig> = {}): ComponentPlan & S3BucketConfig {
  return { bucket, region: fake.region, endpoint: fake.endpoint, versionRetention: '90d', rpo: HOUR, rto: HOUR, ...extra } as ComponentPlan & S3BucketConfig;
}
const doctor = (config: ComponentPlan & S3BucketConfig) => doctorMedia({ component: 'media', config } as Parameters<typeof doctorMedia>[0]);
const ROLE = 'arn:aws:iam::123456789012:role/r';

async function protectedBucket(): Promise<{ bucket: string; replica: string }> {
  const bucket = `media-st-${++n}`;
  const replica = `${bucket}-replica`;
  fake.createBucket(bucket, { versioning: 'Enabled' });
  fake.createBucket(replica, { versioning: 'Enabled' });
  await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
  await s3.send(
    new PutBucketReplicationCommand({ Bucket: bucket, ReplicationConfiguration: { Role: ROLE, Rules: [{ Status: 'Enabled', Priority: 1, Filter: {}, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: `arn:aws:s3:::${replica}` } }] } }),
  );
  return { bucket, replica };
}

describe('media bucket settings (doctor) and replication health (status)', () => {
  test('a well-protected bucket is ok; a lifecycle rule expiring noncurrent versions before versionRetention is critical', async () => {
    const { bucket, replica } = await protectedBucket();
    const config = configFor(bucket, { replication: { bucket: replica, region: fake.region } });
    expect(await doctor(config)).toEqual([expect.objectContaining({ level: 'ok', check: `media replica s3://${replica}` }), expect.objectContaining({ level: 'ok', check: `media bucket s3://${bucket}` })]);
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [{ ID: 'nc', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }] } }));
    expect((await doctor(config)).filter((f) => f.level !== 'ok')).toEqual([expect.objectContaining({ level: 'critical', detail: expect.stringContaining('"nc" expires noncurrent versions after 30 days, before the 90 days the versionRetention of media (90d) keeps them') })]);
  });

  test('versioning off, replication missing and an unversioned replica are critical', async () => {
    const bucket = `media-st-${++n}`;
    fake.createBucket(bucket);
    fake.createBucket(`${bucket}-replica`);
    const found = await doctor(configFor(bucket, { replication: { bucket: `${bucket}-replica`, region: fake.region } }));
    expect(found.filter((f) => f.level === 'critical').map((f) => [f.check, f.detail.split(/[:;]/)[0]])).toEqual([
      [`media replica s3://${bucket}-replica`, 'versioning is off'],
      [`media bucket s3://${bucket}`, 'versioning is off'],
      [`media bucket s3://${bucket}`, `no enabled replication rule copies the bucket to s3`],
    ]);
  });

  test('status samples the newest objects the checkpoint named: FAILED is critical, PENDING past the RPO a warning', async () => {
    const { bucket, replica } = await protectedBucket();
    const old = fake.seed(bucket, 'a.jpg', { body: 'a', lastModified: new Date(Date.now() - 3 * HOUR), replicationStatus: 'PENDING' });
    const bad = fake.seed(bucket, 'b.jpg', { body: 'b', lastModified: new Date(Date.now() - 60_000), replicationStatus: 'FAILED' });
    const fine = fake.seed(bucket, 'c.jpg', { body: 'c', lastModified: new Date(Date.now() - 30_000), replicationStatus: 'COMPLETED' });
    const newestVersions = [
      { key: 'c.jpg', versionId: fine, lastModified: new Date(Date.now() - 30_000).toISOString() },
      { key: 'b.jpg', versionId: bad, lastModified: new Date(Date.now() - 60_000).toISOString() },
      { key: 'a.jpg', versionId: old, lastModified: new Date(Date.now() - 3 * HOUR).toISOString() },
    ];
    const status = await mediaArchive.status({
      engine: {} as EngineContext,
      component: 'media',
      config: configFor(bucket, { replication: { bucket: replica, region: fake.region } }),
      now: new Date(),
      backups: [{ facts: { newestVersions } } as unknown as Manifest],
      reachable: [],
    });
    expect(status.fields.replicationHealth).toMatchObject({ sampled: 3, completed: 1, pending: 1, failed: 1 });
    expect(status.problems.map((p) => [p.health, p.reason.split(' (')[0]])).toEqual([
      ['critical', '1 of the 3 newest objects of media failed to replicate'],
      ['warning', expect.stringMatching(/PENDING replication for 3h/)],
    ]);
  });
});
