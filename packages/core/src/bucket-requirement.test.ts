import { describe, expect, test } from 'vitest';
import { bucketShortfalls, observeBucket, type BucketRequirement, type ObservedBucket } from './bucket-requirement.js';

const media: BucketRequirement = {
  component: 'media',
  role: 'media bucket',
  bucket: 'civicq-media',
  region: 'us-west-2',
  versioning: true,
  keepNoncurrentDays: 90,
  prefix: 'uploads/',
  replication: { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/r' },
  blockPublicAccess: true,
};
const fine: ObservedBucket = {
  versioning: 'Enabled',
  lifecycle: [],
  replication: { role: 'arn:aws:iam::123456789012:role/r', rules: [{ id: 'theirs', enabled: true, prefix: '', bucket: 'civicq-media-backup' }] },
  publicAccessBlocked: true,
};
const settings = (req: BucketRequirement, seen: ObservedBucket) => bucketShortfalls(req, seen).map((s) => [s.setting, s.change === undefined ? 'problem' : 'change']);

describe('bucketShortfalls (what s3 check reports, s3 apply fixes, and doctor/status of a media bucket say)', () => {
  test('a bucket as required has none; a rule of someone else replicating the prefix to the replica counts', () => {
    expect(bucketShortfalls(media, fine)).toEqual([]);
  });

  test('a lifecycle rule expiring noncurrent versions sooner is a problem apply does not fix, unless its prefix is elsewhere; longer ones are fine', () => {
    const lifecycle = [
      { id: 'short', enabled: true, prefix: '', noncurrentDays: 30 },
      { id: 'elsewhere', enabled: true, prefix: 'tmp/', noncurrentDays: 1 },
      { id: 'disabled', enabled: false, prefix: '', noncurrentDays: 1 },
      { id: 'long', enabled: true, prefix: 'uploads/', noncurrentDays: 365 },
    ];
    const found = bucketShortfalls(media, { ...fine, lifecycle });
    expect(found.map((s) => [s.setting, s.change, s.problem.split(' expires')[0]])).toEqual([['lifecycle', undefined, 'lifecycle rule "short"']]);
  });

  test('replication: without a role anywhere, or with another role in the bucket, it is a problem; with one it is a change', () => {
    const none = { ...fine, replication: undefined };
    expect(settings(media, none)).toEqual([['replication', 'change']]);
    const { roleArn: _, ...noRole } = media.replication!;
    expect(settings({ ...media, replication: noRole }, none)).toEqual([['replication', 'problem']]);
    const otherRole = { ...fine, replication: { role: 'arn:aws:iam::123456789012:role/other', rules: [] } };
    expect(bucketShortfalls(media, otherRole)[0]?.remedy).toContain('S3 allows one role per bucket');
    // The bucket's own role serves when the plan names none.
    expect(settings({ ...media, replication: noRole }, otherRole)).toEqual([['replication', 'change']]);
  });

  test('object lock: at least as strong (COMPLIANCE ≥ GOVERNANCE) and as long is fine; weaker or shorter is a change; off is a problem (turning it on is for good)', () => {
    const req = { ...media, objectLock: { mode: 'GOVERNANCE' as const, days: 30 } };
    expect(settings(req, { ...fine, objectLock: { enabled: true, mode: 'COMPLIANCE', days: 60 } })).toEqual([]);
    expect(settings(req, { ...fine, objectLock: { enabled: true, mode: 'GOVERNANCE', days: 7 } })).toEqual([['objectLock', 'change']]);
    expect(settings(req, { ...fine, objectLock: { enabled: true } })).toEqual([['objectLock', 'change']]);
    expect(settings(req, { ...fine, objectLock: { enabled: false } })).toEqual([['objectLock', 'problem']]);
  });

  test('observeBucket reads S3 answers as the SDK returns them, and only what the requirement covers', () => {
    const seen = observeBucket(
      { ...media, replication: undefined, blockPublicAccess: false },
      { versioning: { Status: 'Suspended' }, lifecycleRules: [{ ID: 'x', Status: 'Enabled', Filter: { And: { Prefix: 'a/' } }, NoncurrentVersionExpiration: { NoncurrentDays: 3 } }], replication: { Role: 'r', Rules: [] } },
    );
    expect(seen).toEqual({ versioning: 'Suspended', lifecycle: [{ id: 'x', enabled: true, prefix: 'a/', noncurrentDays: 3 }] });
  });
});
