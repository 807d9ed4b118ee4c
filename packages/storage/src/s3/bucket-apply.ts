import {
  DeleteBucketLifecycleCommand,
  DeleteBucketReplicationCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { LifeboatError } from '@lifeboat/core';
import { BUCKET_SETTINGS, diffBucket, type BucketDiff, type BucketPuts, type BucketSetting } from './bucket-diff.js';
import type { DesiredBucket } from './bucket-plan.js';
import { readBucketState } from './bucket-state.js';
import { s3Explanation } from './s3-error.js';

const WHAT: Record<BucketSetting, string> = {
  versioning: 'versioning',
  encryption: 'default encryption',
  publicAccessBlock: 'public access block',
  objectLock: 'object lock default retention',
  lifecycle: 'lifecycle configuration',
  replication: 'replication configuration',
};

/**
 * `lifeboat s3 apply` for one bucket: read it, compare it with the plan, and
 * (unless `dryRun`, or the plan contradicts itself there) put what differs.
 * `lifeboat s3 check` is the same with `dryRun`.
 */
export async function reconcileBucket(client: S3Client, desired: DesiredBucket, opts: { dryRun: boolean }): Promise<{ diff: BucketDiff; applied: BucketSetting[] }> {
  const diff = diffBucket(desired, await readBucketState(client, desired));
  const applied = opts.dryRun ? [] : await applyBucketDiff(client, diff);
  return { diff, applied };
}

/**
 * Puts what the diff says, one setting at a time in BUCKET_SETTINGS order
 * (S3 refuses replication and object lock on a bucket without versioning).
 * Returns the settings it changed; a failure says which were already set.
 */
export async function applyBucketDiff(client: S3Client, diff: Pick<BucketDiff, 'bucket' | 'put'>): Promise<BucketSetting[]> {
  const Bucket = diff.bucket;
  const done: BucketSetting[] = [];
  for (const setting of BUCKET_SETTINGS) {
    if (diff.put[setting] === undefined) continue;
    try {
      await put(client, Bucket, setting, diff.put);
    } catch (err) {
      const already = done.length === 0 ? '' : ` (${done.map((s) => WHAT[s]).join(', ')} ${done.length === 1 ? 'was' : 'were'} already set)`;
      throw new LifeboatError(`cannot set the ${WHAT[setting]} of s3://${Bucket}: ${s3Explanation(err)}${already}`);
    }
    done.push(setting);
  }
  return done;
}

async function put(client: S3Client, Bucket: string, setting: BucketSetting, puts: BucketPuts): Promise<void> {
  switch (setting) {
    case 'versioning':
      await client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
      return;
    case 'encryption': {
      const encryption = puts.encryption!;
      const kms = encryption.algorithm === 'aws:kms';
      await client.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: { SSEAlgorithm: encryption.algorithm, ...(kms && { KMSMasterKeyID: encryption.kmsKeyId }) },
                // One KMS data key per bucket rather than per object: far fewer KMS requests to pay for.
                ...(kms && { BucketKeyEnabled: true }),
              },
            ],
          },
        }),
      );
      return;
    }
    case 'publicAccessBlock':
      await client.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        }),
      );
      return;
    case 'objectLock': {
      const { mode, days } = puts.objectLock!;
      await client.send(
        new PutObjectLockConfigurationCommand({
          Bucket,
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, Days: days } } },
        }),
      );
      return;
    }
    case 'lifecycle': {
      const { rules, minimumObjectSize } = puts.lifecycle!;
      if (rules.length === 0) {
        await client.send(new DeleteBucketLifecycleCommand({ Bucket }));
        return;
      }
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: { Rules: rules },
          ...(minimumObjectSize !== undefined && { TransitionDefaultMinimumObjectSize: minimumObjectSize }),
        }),
      );
      return;
    }
    case 'replication': {
      const configuration = puts.replication;
      if (configuration === null || configuration === undefined) await client.send(new DeleteBucketReplicationCommand({ Bucket }));
      else await client.send(new PutBucketReplicationCommand({ Bucket, ReplicationConfiguration: configuration }));
      return;
    }
  }
}
