import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { LifecyclePolicy } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { desiredBucket, type BucketDestination } from './bucket-plan.js';
import { diffBucket, type BucketDiff } from './bucket-diff.js';
import type { BucketState } from './bucket-state.js';
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
const civicq = (config: Partial<S3Config> = {}) => desiredBucket([s3(config)], [{ key: 'civicq-backups', policy: CIVICQ_LIFECYCLE }]);
const REPLICATION = { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/lifeboat-replication' };

/** A bucket as S3 creates it today: versioning never enabled, SSE-S3 by default, nothing else. */
const NEW_BUCKET: BucketState = { versioning: 'Off', encryption: { algorithm: 'AES256' }, lifecycle: [] };

/** The bucket after apply put what the diff said. */
function afterApply(state: BucketState, diff: BucketDiff): BucketState {
  const { put } = diff;
  return {
    ...state,
    ...(put.versioning && { versioning: 'Enabled' }),
    ...(put.encryption && { encryption: put.encryption }),
    ...(put.publicAccessBlock && { publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }),
    ...(put.objectLock && { objectLock: { enabled: true, ...put.objectLock } }),
    ...(put.lifecycle && { lifecycle: put.lifecycle.rules }),
    ...(put.replication !== undefined && (put.replication === null ? { replication: undefined } : { replication: put.replication })),
  };
}

const sentences = (diff: BucketDiff) => diff.changes.map((c) => c.sentence);

/** The guide's own rule, put by hand with aws s3api: it archives manifests too. */
const GUIDE_RULE: LifecycleRule = {
  ID: 'Archive old backups',
  Status: 'Enabled',
  Filter: { Prefix: '' },
  Transitions: [
    { Days: 30, StorageClass: 'STANDARD_IA' },
    { Days: 90, StorageClass: 'GLACIER' },
    { Days: 365, StorageClass: 'DEEP_ARCHIVE' },
  ],
  Expiration: { Days: 2555 },
};

describe('diffBucket', () => {
  it('a new bucket for the CivicQ plan: one sentence per change', () => {
    const diff = diffBucket(civicq(), NEW_BUCKET);
    expect(sentences(diff)).toEqual([
      'enable versioning',
      'block all public access (was: none blocked)',
      'set lifecycle rule lifeboat-artifacts: STANDARD_IA at 30 days, GLACIER at 90, DEEP_ARCHIVE at 365, expire at 2555 (objects tagged lifeboat-kind=artifact)',
      'set lifecycle rule lifeboat-cleanup: delete noncurrent versions after 30 days, remove expired delete markers, abort incomplete multipart uploads after 7 days (every object under civicq/)',
    ]);
    expect(diff.changes.map((c) => c.setting)).toEqual(['versioning', 'publicAccessBlock', 'lifecycle', 'lifecycle']);
    expect(diff.problems).toEqual([]);
    expect(diff.put.lifecycle?.rules).toEqual([
      {
        ID: 'lifeboat-artifacts',
        Status: 'Enabled',
        Filter: { Tag: { Key: 'lifeboat-kind', Value: 'artifact' } },
        Transitions: [
          { Days: 30, StorageClass: 'STANDARD_IA' },
          { Days: 90, StorageClass: 'GLACIER' },
          { Days: 365, StorageClass: 'DEEP_ARCHIVE' },
        ],
        Expiration: { Days: 2555 },
      },
      {
        ID: 'lifeboat-cleanup',
        Status: 'Enabled',
        Filter: { Prefix: 'civicq/' },
        Expiration: { ExpiredObjectDeleteMarker: true },
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
    ]);
  });

  it('finds nothing to change once the changes are made (idempotent)', () => {
    const desired = civicq({ replication: REPLICATION, objectLock: { mode: 'GOVERNANCE', days: 30 } });
    const before: BucketState = { ...NEW_BUCKET, objectLock: { enabled: true } };
    const first = diffBucket(desired, before);
    expect(first.changes.length).toBeGreaterThan(0);
    const second = diffBucket(desired, afterApply(before, first));
    expect(second).toMatchObject({ changes: [], problems: [], put: {} });
  });

  it('a tag and a prefix go together inside And, as S3 requires', () => {
    const desired = desiredBucket([s3()], [{ key: 's3', policy: { ...CIVICQ_LIFECYCLE, prefix: 'civicq/database/' } }]);
    expect(diffBucket(desired, NEW_BUCKET).put.lifecycle?.rules[0]?.Filter).toEqual({
      And: { Prefix: 'civicq/database/', Tags: [{ Key: 'lifeboat-kind', Value: 'artifact' }] },
    });
  });

  it('says what a changed rule was, and removes Lifeboat rules the plan no longer has', () => {
    const applied = afterApply(NEW_BUCKET, diffBucket(civicq(), NEW_BUCKET));
    const shorter = desiredBucket([s3()], [{ key: 'civicq-backups', policy: { ...CIVICQ_LIFECYCLE, expireDays: 3650 } }]);
    expect(sentences(diffBucket(shorter, applied))).toEqual([
      'set lifecycle rule lifeboat-artifacts: STANDARD_IA at 30 days, GLACIER at 90, DEEP_ARCHIVE at 365, expire at 3650 (objects tagged lifeboat-kind=artifact) ' +
        '(was: STANDARD_IA at 30 days, GLACIER at 90, DEEP_ARCHIVE at 365, expire at 2555 (objects tagged lifeboat-kind=artifact))',
    ]);
    const diff = diffBucket(desiredBucket([s3()]), applied);
    expect(sentences(diff)).toEqual(['remove lifecycle rule lifeboat-artifacts, which the plan no longer has']);
    expect(diff.put.lifecycle?.rules.map((r) => r.ID)).toEqual(['lifeboat-cleanup']);
  });

  it("keeps others' lifecycle rules, and refuses one that would archive the catalog", () => {
    const logs: LifecycleRule = { ID: 'app-logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 14 } };
    const diff = diffBucket(civicq(), { ...NEW_BUCKET, lifecycle: [logs, GUIDE_RULE] });
    expect(diff.notes).toEqual(["keeps lifecycle rule \"app-logs\", which is not Lifeboat's: expire at 14 days (every object under logs/)"]);
    expect(diff.problems).toEqual([
      's3://civicq-backups: lifecycle rule "Archive old backups" is not Lifeboat\'s and moves every object under civicq/ to GLACIER (day 90) and DEEP_ARCHIVE (day 365) ' +
        'and deletes it at day 2555, manifests and the run journal included, so Lifeboat could lose its catalog; ' +
        "remove it and let the plan's lifecycle (scope: artifacts) replace it",
    ]);
    expect(diff.put.lifecycle?.rules.map((r) => r.ID)).toEqual(['app-logs', 'Archive old backups', 'lifeboat-artifacts', 'lifeboat-cleanup']);
  });

  it('replicates to the plan\'s bucket, after others\' rules', () => {
    const desired = civicq({ replication: { ...REPLICATION, storageClass: 'STANDARD_IA' } });
    const theirs = { ID: 'media', Priority: 4, Status: 'Enabled' as const, Filter: { Prefix: 'media/' }, Destination: { Bucket: 'arn:aws:s3:::media-copy' } };
    const diff = diffBucket(desired, { ...NEW_BUCKET, replication: { Role: REPLICATION.roleArn, Rules: [theirs] } });
    expect(sentences(diff).filter((s) => s.startsWith('replicate'))).toEqual([
      'replicate to civicq-media-backup in us-east-1 (objects under civicq/, as STANDARD_IA, role arn:aws:iam::123456789012:role/lifeboat-replication)',
    ]);
    expect(diff.put.replication).toEqual({
      Role: REPLICATION.roleArn,
      Rules: [
        theirs,
        {
          ID: 'lifeboat-replication',
          Priority: 5,
          Status: 'Enabled',
          Filter: { Prefix: 'civicq/' },
          DeleteMarkerReplication: { Status: 'Enabled' },
          Destination: { Bucket: 'arn:aws:s3:::civicq-media-backup', StorageClass: 'STANDARD_IA' },
        },
      ],
    });
    expect(diff.notes).toEqual([
      "keeps replication rule \"media\", which is not Lifeboat's: objects under media/, deletions not replicated",
    ]);
  });

  it("cannot replicate with another role than the one others' rules use", () => {
    const theirs = { ID: 'media', Status: 'Enabled' as const, Filter: { Prefix: 'media/' }, Destination: { Bucket: 'arn:aws:s3:::media-copy' } };
    const diff = diffBucket(civicq({ replication: REPLICATION }), { ...NEW_BUCKET, replication: { Role: 'arn:aws:iam::123456789012:role/media', Rules: [theirs] } });
    expect(diff.problems).toEqual([
      's3://civicq-backups replicates with role arn:aws:iam::123456789012:role/media for rules that are not Lifeboat\'s, and S3 allows one role per bucket; ' +
        'set replication.roleArn to it, or move those rules to arn:aws:iam::123456789012:role/lifeboat-replication',
    ]);
    expect(diff.put.replication).toBeUndefined();
  });

  it('stops replicating when the plan no longer replicates', () => {
    const replicated = afterApply(NEW_BUCKET, diffBucket(civicq({ replication: REPLICATION }), NEW_BUCKET));
    const diff = diffBucket(civicq(), replicated);
    expect(sentences(diff)).toEqual(['stop replicating to civicq-media-backup (rule lifeboat-replication), which the plan no longer has']);
    expect(diff.put.replication).toBeNull();
  });

  it('object lock: sets the default retention, but never turns object lock on', () => {
    const desired = civicq({ objectLock: { mode: 'COMPLIANCE', days: 30 } });
    expect(sentences(diffBucket(desired, { ...NEW_BUCKET, objectLock: { enabled: true, mode: 'GOVERNANCE', days: 7 } }))).toContain(
      'set object lock default retention to COMPLIANCE for 30 days (was: GOVERNANCE for 7 days)',
    );
    const without = diffBucket(desired, { ...NEW_BUCKET, objectLock: { enabled: false } });
    expect(without.problems).toEqual([
      's3://civicq-backups has no object lock, which objectLock (COMPLIANCE for 30 days) needs; S3 turns it on when a bucket is created ' +
        '(create-bucket --object-lock-enabled-for-bucket), or for good on a versioned one, so Lifeboat leaves that to you',
    ]);
    expect(without.put.objectLock).toBeUndefined();
  });

  it('encryption and versioning: says what they were; versioning: false never suspends', () => {
    const kms = civicq({ defaultEncryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/backups' } });
    expect(sentences(diffBucket(kms, { ...NEW_BUCKET, versioning: 'Suspended' })).slice(0, 2)).toEqual([
      'enable versioning (it is suspended)',
      'set default encryption to aws:kms with key alias/backups (was: AES256)',
    ]);
    expect(sentences(diffBucket(civicq({ versioning: false, blockPublicAccess: false }), NEW_BUCKET)).some((s) => /versioning|public/.test(s))).toBe(false);
  });

  it('puts nothing in a bucket for which the plan contradicts itself', () => {
    const desired = desiredBucket([s3({ replication: REPLICATION, versioning: false })]);
    const diff = diffBucket(desired, NEW_BUCKET);
    expect(diff.blocked).toBe(true);
    expect(diff.problems).toEqual(desired.problems);
    expect(diff.changes.length).toBeGreaterThan(0);
    expect(diff.put).toEqual({});
  });
});
