import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  type LifecycleRule,
  type PublicAccessBlockConfiguration,
  type ReplicationConfiguration,
  type S3Client,
  type TransitionDefaultMinimumObjectSize,
} from '@aws-sdk/client-s3';
import { LifeboatError } from '@lifeboat/core';
import type { DesiredBucket } from './bucket-plan.js';
import { s3ErrorCode, s3Explanation } from './s3-error.js';

/** A bucket's configuration as S3 reports it; what is not set is absent. */
export interface BucketState {
  /** `Off`: never enabled. */
  versioning: 'Enabled' | 'Suspended' | 'Off';
  encryption?: { algorithm: string; kmsKeyId?: string };
  /** Not read (absent) when the plan leaves public access alone. */
  publicAccessBlock?: PublicAccessBlockConfiguration;
  /** Not read (absent) when the plan asks for no object lock; `enabled: false` when the bucket has none. */
  objectLock?: { enabled: boolean; mode?: string; days?: number; years?: number };
  lifecycle: LifecycleRule[];
  /** The bucket's setting for which small objects transition, kept when apply rewrites the rules. */
  lifecycleMinimumObjectSize?: TransitionDefaultMinimumObjectSize;
  replication?: ReplicationConfiguration;
}

/** Reads what `desired` manages with Get* calls; a configuration S3 says does not exist is absent. */
export async function readBucketState(client: S3Client, desired: Pick<DesiredBucket, 'bucket' | 'blockPublicAccess' | 'objectLock'>): Promise<BucketState> {
  const Bucket = desired.bucket;
  // Every read runs at once; the first to fail in this order is the one reported, so the message never depends on timing.
  const read = <T>(what: string, absent: string | undefined, get: () => Promise<T>): Promise<() => T | undefined> =>
    get().then(
      (value) => () => value,
      (err: unknown) => () => {
        if (absent !== undefined && s3ErrorCode(err) === absent) return undefined;
        throw new LifeboatError(`cannot read the ${what} of s3://${Bucket}: ${s3Explanation(err)}`);
      },
    );
  const skipped = async () => () => undefined;
  const reads = await Promise.all([
    read('versioning', undefined, () => client.send(new GetBucketVersioningCommand({ Bucket }))),
    read('default encryption', 'ServerSideEncryptionConfigurationNotFoundError', () => client.send(new GetBucketEncryptionCommand({ Bucket }))),
    desired.blockPublicAccess
      ? read('public access block', 'NoSuchPublicAccessBlockConfiguration', () => client.send(new GetPublicAccessBlockCommand({ Bucket })))
      : skipped(),
    desired.objectLock !== undefined
      ? read('object lock configuration', 'ObjectLockConfigurationNotFoundError', () => client.send(new GetObjectLockConfigurationCommand({ Bucket })))
      : skipped(),
    read('lifecycle configuration', 'NoSuchLifecycleConfiguration', () => client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))),
    read('replication configuration', 'ReplicationConfigurationNotFoundError', () => client.send(new GetBucketReplicationCommand({ Bucket }))),
  ] as const);
  const versioning = reads[0]();
  const encryption = reads[1]();
  const publicAccess = reads[2]();
  const objectLock = reads[3]();
  const lifecycle = reads[4]();
  const replication = reads[5]();

  const byDefault = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  const lock = objectLock?.ObjectLockConfiguration;
  const retention = lock?.Rule?.DefaultRetention;
  return {
    versioning: versioning?.Status ?? 'Off',
    ...(byDefault?.SSEAlgorithm !== undefined && {
      encryption: { algorithm: byDefault.SSEAlgorithm, ...(byDefault.KMSMasterKeyID !== undefined && { kmsKeyId: byDefault.KMSMasterKeyID }) },
    }),
    ...(publicAccess?.PublicAccessBlockConfiguration !== undefined && { publicAccessBlock: publicAccess.PublicAccessBlockConfiguration }),
    ...(desired.objectLock !== undefined && {
      objectLock: {
        enabled: lock?.ObjectLockEnabled === 'Enabled',
        ...(retention?.Mode !== undefined && { mode: retention.Mode }),
        ...(retention?.Days !== undefined && { days: retention.Days }),
        ...(retention?.Years !== undefined && { years: retention.Years }),
      },
    }),
    lifecycle: lifecycle?.Rules ?? [],
    ...(lifecycle?.TransitionDefaultMinimumObjectSize !== undefined && { lifecycleMinimumObjectSize: lifecycle.TransitionDefaultMinimumObjectSize }),
    ...(replication?.ReplicationConfiguration !== undefined && { replication: replication.ReplicationConfiguration }),
  };
}
