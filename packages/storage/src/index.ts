export { FsStorage } from './fs/fs-adapter.js';
export { fsStorageType } from './fs/fs-type.js';
// The s3 destination type and its settings load without the AWS SDK; the SDK
// loads when a bucket is first used (LazyS3Storage) or through loadS3Sdk().
export {
  S3_SERVER_SIDE_ENCRYPTION,
  S3_STORAGE_CLASSES,
  type S3ServerSideEncryption,
  type S3StorageClass,
} from './s3/s3-options.js';
export { s3StorageType, type S3Config } from './s3/s3-type.js';
export { LazyS3Storage } from './s3/lazy-s3-storage.js';
export type { S3Storage, S3StorageOptions } from './s3/s3-adapter.js';
export type { S3Connection } from './s3/s3-client.js';
export { ARTIFACT_TAG } from './s3/artifact-tag.js';
// Buckets as code: `lifeboat s3 apply`, `s3 check` and `s3 policy`.
export {
  desiredBucket,
  type BucketDestination,
  type BucketLifecycle,
  type DesiredBucket,
  type EncryptionSpec,
  type LifecycleRuleSpec,
  type ObjectLockSpec,
  type ReplicationRuleSpec,
} from './s3/bucket-plan.js';
export type { BucketState } from './s3/bucket-state.js';
export type { BucketChange, BucketDiff, BucketSetting } from './s3/bucket-diff.js';
export type { IamPolicy, IamStatement } from './s3/iam-policy.js';

/** The parts of the s3 destination that need the AWS SDK, which this loads (a third of a second and more). */
export const loadS3Sdk = (): Promise<typeof import('./s3/s3-sdk.js')> => import('./s3/s3-sdk.js');
