import type { DestinationPlan, LifecyclePolicy, Plan } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { APPLY_SID, iamPolicy } from './iam-policy.js';

const CIVICQ_LIFECYCLE: LifecyclePolicy = {
  scope: 'artifacts',
  transitions: [
    { days: 30, class: 'STANDARD_IA' },
    { days: 90, class: 'GLACIER' },
    { days: 365, class: 'DEEP_ARCHIVE' },
  ],
  expireDays: 2555,
};

function plan(destinations: Record<string, Omit<DestinationPlan, 'name' | 'medium' | 'offsite'>>, lifecycle: Record<string, LifecyclePolicy> = {}): Plan {
  return {
    file: '/etc/lifeboat/civicq.yaml',
    dir: '/etc/lifeboat',
    version: 1,
    name: 'civicq',
    destinations: Object.fromEntries(
      Object.entries(destinations).map(([name, d]): [string, DestinationPlan] => [name, { name, medium: d.type === 's3' ? 'object-storage' : 'disk', offsite: d.type === 's3', ...d } as DestinationPlan]),
    ),
    notify: [],
    runbooks: [],
    legalHolds: [],
    lifecycle,
    components: {},
    storageCapabilities: {},
  };
}

const REPLICATION = { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/lifeboat-replication' };

describe('iamPolicy', () => {
  it('the CivicQ plan: objects under the prefix, restores for archived artifacts, and bucket settings apart', () => {
    const { policy, notes } = iamPolicy(
      plan(
        {
          local: { type: 'fs', path: '/var/backups/lifeboat' },
          s3: { type: 's3', bucket: 'civicq-backups', region: 'us-west-2', prefix: 'civicq', replication: REPLICATION },
        },
        { 'civicq-backups': CIVICQ_LIFECYCLE },
      ),
    );
    expect(notes).toEqual([]);
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'LifeboatListBackups',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: ['arn:aws:s3:::civicq-backups'],
          Condition: { StringLike: { 's3:prefix': ['civicq/*'] } },
        },
        {
          Sid: 'LifeboatReadWriteBackups',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:PutObjectTagging'],
          Resource: ['arn:aws:s3:::civicq-backups/civicq/*'],
        },
        { Sid: 'LifeboatThawArchivedBackups', Effect: 'Allow', Action: ['s3:RestoreObject'], Resource: ['arn:aws:s3:::civicq-backups/civicq/*'] },
        {
          Sid: APPLY_SID,
          Effect: 'Allow',
          Action: [
            's3:GetBucketPublicAccessBlock',
            's3:GetBucketVersioning',
            's3:GetEncryptionConfiguration',
            's3:GetLifecycleConfiguration',
            's3:GetReplicationConfiguration',
            's3:PutBucketPublicAccessBlock',
            's3:PutBucketVersioning',
            's3:PutEncryptionConfiguration',
            's3:PutLifecycleConfiguration',
            's3:PutReplicationConfiguration',
          ],
          Resource: ['arn:aws:s3:::civicq-backups'],
        },
        {
          Sid: 'OnlyForLifeboatS3ApplyAndCheckPassReplicationRole',
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: ['arn:aws:iam::123456789012:role/lifeboat-replication'],
          Condition: { StringEquals: { 'iam:PassedToService': 's3.amazonaws.com' } },
        },
      ],
    });
  });

  it('never grants what could destroy older versions or switch protection off to backup hosts', () => {
    const { policy } = iamPolicy(plan({ s3: { type: 's3', bucket: 'civicq-backups', region: 'us-west-2', objectLock: { mode: 'COMPLIANCE', days: 30 } } }));
    const backup = policy.Statement.filter((s) => !s.Sid.startsWith(APPLY_SID)).flatMap((s) => s.Action);
    expect(backup).not.toContain('s3:DeleteObjectVersion');
    expect(backup.filter((a) => /Bucket|Configuration/.test(a) && a !== 's3:ListBucket')).toEqual([]);
    // The bucket's root: no prefix condition, every object.
    expect(policy.Statement[0]).not.toHaveProperty('Condition');
    expect(policy.Statement[1]?.Resource).toEqual(['arn:aws:s3:::civicq-backups/*']);
    expect(policy.Statement.find((s) => s.Sid === APPLY_SID)?.Action).toContain('s3:PutBucketObjectLockConfiguration');
  });

  it('KMS: the key ARN when the plan names one, else any key through S3 with a note', () => {
    const arn = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const byArn = iamPolicy(plan({ s3: { type: 's3', bucket: 'civicq-backups', region: 'us-west-2', sse: 'aws:kms', kmsKeyId: arn } }));
    expect(byArn.policy.Statement.find((s) => s.Sid === 'LifeboatUseKmsKeyThroughS3')).toEqual({
      Sid: 'LifeboatUseKmsKeyThroughS3',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: [arn],
      Condition: { StringEquals: { 'kms:ViaService': ['s3.us-west-2.amazonaws.com'] } },
    });
    const byAlias = iamPolicy(plan({ s3: { type: 's3', bucket: 'civicq-backups', region: 'us-west-2', defaultEncryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/backups' } } }));
    expect(byAlias.policy.Statement.find((s) => s.Sid === 'LifeboatUseKmsKeyThroughS3')?.Resource).toEqual(['*']);
    expect(byAlias.notes).toEqual([
      'KMS keys named by alias or id (alias/backups) cannot be an IAM resource; the policy allows any key used through S3 in the region: replace "*" with the key ARNs to narrow it',
    ]);
  });

  it('only the destinations named, and a sentence for a name that is not an s3 destination', () => {
    const p = plan({
      local: { type: 'fs', path: '/var/backups' },
      a: { type: 's3', bucket: 'bucket-a', region: 'us-west-2' },
      b: { type: 's3', bucket: 'bucket-b', region: 'us-east-1', prefix: 'x' },
    });
    expect(iamPolicy(p, ['b']).policy.Statement[1]?.Resource).toEqual(['arn:aws:s3:::bucket-b/x/*']);
    expect(() => iamPolicy(p, ['local'])).toThrow("destination 'local' is type fs, not s3; the s3 destinations are a, b");
    expect(() => iamPolicy(p, ['nope'])).toThrow("/etc/lifeboat/civicq.yaml has no destination 'nope'; its s3 destinations are a, b");
  });
});
