import type { LifecyclePolicy } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { desiredBucket, type BucketDestination } from './bucket-plan.js';
import type { S3Config } from './s3-type.js';

const s3 = (config: Partial<S3Config> = {}, name = 's3'): BucketDestination => ({
  name,
  config: { bucket: 'civicq-backups', region: 'us-west-2', prefix: 'civicq', ...config },
});

/** The guide's lifecycle.json ("Storage Classes"), scoped to artifacts. */
const CIVICQ_LIFECYCLE: LifecyclePolicy = {
  scope: 'artifacts',
  transitions: [
    { days: 30, class: 'STANDARD_IA' },
    { days: 90, class: 'GLACIER' },
    { days: 365, class: 'DEEP_ARCHIVE' },
  ],
  expireDays: 2555,
};

describe('desiredBucket', () => {
  it("turns the guide's lifecycle.json into an artifacts-only rule, plus housekeeping under the prefix", () => {
    const desired = desiredBucket([s3()], [{ key: 'civicq-backups', policy: CIVICQ_LIFECYCLE }]);
    expect(desired.lifecycle).toEqual([
      {
        id: 'lifeboat-artifacts',
        prefix: '',
        tag: { key: 'lifeboat-kind', value: 'artifact' },
        transitions: [
          { days: 30, storageClass: 'STANDARD_IA' },
          { days: 90, storageClass: 'GLACIER' },
          { days: 365, storageClass: 'DEEP_ARCHIVE' },
        ],
        expirationDays: 2555,
      },
      {
        id: 'lifeboat-cleanup',
        prefix: 'civicq/',
        transitions: [],
        expiredObjectDeleteMarker: true,
        noncurrentExpirationDays: 30,
        abortIncompleteUploadDays: 7,
      },
    ]);
    expect(desired.problems).toEqual([]);
  });

  it('secures the bucket by default: versioning, no public access, AES256', () => {
    expect(desiredBucket([s3()])).toMatchObject({
      bucket: 'civicq-backups',
      connection: { region: 'us-west-2' },
      destinations: ['s3'],
      keyPrefixes: ['civicq/'],
      versioning: true,
      blockPublicAccess: true,
      encryption: { algorithm: 'AES256' },
    });
    expect(desiredBucket([s3()])).not.toHaveProperty('replication');
    expect(desiredBucket([s3()])).not.toHaveProperty('objectLock');
  });

  it('takes default encryption from the plan, else from the destination\'s sse: aws:kms', () => {
    expect(desiredBucket([s3({ defaultEncryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/backups' } })]).encryption).toEqual({
      algorithm: 'aws:kms',
      kmsKeyId: 'alias/backups',
    });
    expect(desiredBucket([s3({ sse: 'aws:kms', kmsKeyId: 'alias/objects' })]).encryption).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'alias/objects' });
    expect(desiredBucket([s3({ defaultEncryption: 'AES256' })]).encryption).toEqual({ algorithm: 'AES256' });
  });

  it('keeps a prefix-limited rule of scope bucket without a tag filter', () => {
    const policy: LifecyclePolicy = { scope: 'bucket', prefix: 'civicq/redis/', transitions: [{ days: 30, class: 'STANDARD_IA' }] };
    expect(desiredBucket([s3()], [{ key: 's3', policy }]).lifecycle[0]).toEqual({
      id: 'lifeboat-bucket',
      prefix: 'civicq/redis/',
      transitions: [{ days: 30, storageClass: 'STANDARD_IA' }],
    });
  });

  it('replicates the destination prefix, as in the guide\'s replication.json', () => {
    const replication = { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/replication', storageClass: 'STANDARD_IA' as const };
    expect(desiredBucket([s3({ replication })]).replication).toEqual({
      roleArn: 'arn:aws:iam::123456789012:role/replication',
      rules: [{ id: 'lifeboat-replication', prefix: 'civicq/', bucket: 'civicq-media-backup', region: 'us-east-1', storageClass: 'STANDARD_IA' }],
    });
  });

  it('says what in the plan S3 would refuse', () => {
    const replication = { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/replication' };
    expect(desiredBucket([s3({ replication, versioning: false, sse: 'aws:kms', kmsKeyId: 'alias/x' })]).problems).toEqual([
      "destination 's3': replication needs versioning, which versioning: false leaves off; S3 replicates only from versioned buckets",
      "destination 's3': objects are encrypted with aws:kms, which S3 replicates only with replication.kmsKeyId, a KMS key in us-east-1 for the replicas",
    ]);
    expect(desiredBucket([s3({ replication: { ...replication, bucket: 'civicq-backups' } })]).problems).toEqual([
      "destination 's3': replication.bucket is civicq-backups itself; name another bucket, in another region",
    ]);
  });

  it('merges destinations that share a bucket, and names those that disagree', () => {
    const desired = desiredBucket([
      s3({ prefix: 'civicq/db', objectLock: { mode: 'GOVERNANCE', days: 30 } }, 'db'),
      s3({ prefix: 'civicq/files', versioning: false, objectLock: { mode: 'COMPLIANCE', days: 30 }, keepNoncurrentDays: 60 }, 'files'),
    ]);
    expect(desired.versioning).toBe(true);
    expect(desired.lifecycle.map((r) => [r.id, r.prefix, r.noncurrentExpirationDays])).toEqual([
      ['lifeboat-cleanup-civicq/db', 'civicq/db/', 30],
      ['lifeboat-cleanup-civicq/files', 'civicq/files/', 60],
    ]);
    expect(desired.problems).toEqual([
      "s3://civicq-backups: object lock differs between destinations that share the bucket: 'db' has GOVERNANCE for 30 days, 'files' has COMPLIANCE for 30 days; a bucket has one",
    ]);
  });
});
